"""Exceptions and warnings raised by procmine.

Every error says *where* (file, line or row, column) and *what to do next*.
"""

from __future__ import annotations

from typing import Any

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


_UNSET: Any = object()


class ParameterError(ProcmineError, ValueError):
    """A function was called with an invalid argument.

    Raised with its data, as scikit-learn's ``InvalidParameterError``:
    ``ParameterError(function, parameter, value, expected)`` builds the one message shape
    and keeps ``function``, ``parameter``, ``value`` and ``expected`` as attributes, for a
    caller (a notebook, the CLI, a test) to act on. A single argument is a message of its own
    (``parameter`` and the rest are then None).

    Examples
    --------
    >>> err = ParameterError("discover", "noise", 1.5, "a float in [0, 1]")
    >>> str(err)
    "The 'noise' parameter of discover must be a float in [0, 1]. Got 1.5 instead."
    >>> err.parameter, err.value
    ('noise', 1.5)
    """

    def __init__(
        self,
        *args: Any,
        function: str | None = None,
        parameter: str | None = None,
        value: Any = _UNSET,
        expected: str | None = None,
    ) -> None:
        if len(args) == 4 and function is parameter is expected is None and value is _UNSET:
            function, parameter, value, expected = args
            args = ()
        self.function = function
        self.parameter = parameter
        self.value = None if value is _UNSET else value
        self.expected = expected
        if not args and parameter is not None:
            args = (
                f"The {parameter!r} parameter of {function} must be {expected}. Got {self.value!r} instead.",
            )
        super().__init__(*args)

    def __reduce__(self) -> Any:  # keep the data through pickling (multiprocessing, joblib)
        data = {"function": self.function, "parameter": self.parameter, "value": self.value,
                "expected": self.expected}
        return (_rebuild_parameter_error, (self.args, data))


def _rebuild_parameter_error(args: tuple, data: dict[str, Any]) -> ParameterError:
    err = ParameterError(*args)
    err.__dict__.update(data)
    return err


class ProcmineWarning(UserWarning):
    """Base class of procmine's warnings."""


class DataQualityWarning(ProcmineWarning):
    """The data was read, but something in it deserves the analyst's attention."""
