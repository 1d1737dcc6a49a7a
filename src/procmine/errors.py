"""Exceptions and warnings raised by procmine.

Every error says *where* (file, line or row, column) and *what to do next*.
"""

from __future__ import annotations

__all__ = [
    "DataQualityWarning",
    "LogError",
    "ParameterError",
    "ProcmineError",
    "ProcmineWarning",
]


class ProcmineError(Exception):
    """Base class of every error procmine raises on purpose."""


class LogError(ProcmineError, ValueError):
    """An event log cannot be read or is not usable as it is.

    Parameters
    ----------
    message
        What is wrong and what to do about it.
    path
        The file (or source description) concerned.
    line, row, column
        Where in the file, when known. ``line`` is a 1-based physical line of a
        text/XML file, ``row`` a 1-based data row (header excluded).

    Examples
    --------
    >>> err = LogError("no case id column found", path="permits.csv", column=None)
    >>> str(err)
    'permits.csv: no case id column found'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.row = row
        self.column = column
        where = []
        if self.path:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ParameterError(ProcmineError, ValueError):
    """A function was called with an invalid argument."""


class ProcmineWarning(UserWarning):
    """Base class of procmine's warnings."""


class DataQualityWarning(ProcmineWarning):
    """The data was read, but something in it deserves the analyst's attention."""
