"""Open a log with a named engine, for :func:`procmine.read_log` (``engine="duckdb"``).

Apart from the package's ``__init__`` so that the engines, which import the readers, and the
readers, which open an engine's log, do not import each other in a circle.
"""

from __future__ import annotations

from typing import Any

from ..errors import LogError


def open_log(engine: str, source: Any, **options: Any) -> Any:
    """A log of ``source`` held by a named engine (``"duckdb"``), for :func:`procmine.read_log`.

    Examples
    --------
    >>> open_log("abacus", "x.parquet")
    Traceback (most recent call last):
    ...
    procmine.errors.LogError: unknown engine 'abacus': use 'pandas', 'duckdb' or 'auto'
    """
    if engine == "duckdb":
        from .duckdb import DuckLog

        return DuckLog(source, **options)
    raise LogError(f"unknown engine {engine!r}: use 'pandas', 'duckdb' or 'auto'")
