"""Engines that compute procmine's aggregates: in memory, in DuckDB (out of core), in Spark.

The engine of a log is chosen in one place, :func:`get_engine`: an
:class:`procmine.EventLog` is computed in memory; any other log names its engine through
a ``__procmine_engine__()`` method (as networkx dispatches on a backend attribute), which
:class:`~procmine.engines.duckdb.DuckLog` and :class:`~procmine.engines.spark.SparkLog` define.
Analyses read aggregates from the engine (:class:`Engine`) or, when they need every event,
are decorated with :func:`needs_events`.

Examples
--------
>>> import procmine as pm
>>> get_engine(pm.samples.load("permit_de")).capabilities.name
'memory'
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import LogError
from ._protocol import Capabilities, Engine, LogLike, period_counts

__all__ = [
    "Capabilities",
    "Engine",
    "LogLike",
    "get_engine",
    "in_memory_engine",
    "materialise",
    "needs_events",
    "period_counts",
]

logger = logging.getLogger("procmine")

F = TypeVar("F", bound=Callable[..., Any])


def get_engine(log: Any) -> Engine:
    """The engine that computes the aggregates of ``log``.

    Raises :class:`procmine.errors.LogError` for an object that is no event log.

    Examples
    --------
    >>> import procmine as pm
    >>> get_engine(pm.samples.load("permit_de")).dfg().columns[:4].tolist()
    ['source', 'target', 'count', 'cases']
    """
    engine = _engine_or_none(log)
    if engine is None:
        raise LogError(
            f"not an event log: a {type(log).__name__}; read one with procmine.read_log "
            "(in memory, or engine='duckdb' for logs larger than memory)"
        )
    return engine


def _engine_or_none(log: Any) -> Engine | None:
    from ..log import EventLog

    if isinstance(log, EventLog):
        from .memory import MemoryEngine

        return MemoryEngine(log)
    hook = getattr(type(log), "__procmine_engine__", None)
    return hook(log) if hook is not None else None


def materialise(log: Any, what: str) -> Any:
    """``log`` itself when it is in memory (or no log at all: the analysis then says what it
    expects), else its events loaded as an :class:`procmine.EventLog`.

    A log is loaded once (logged at INFO level, cached by its engine) if it has at most
    ``capabilities.max_materialise_events`` events; a larger one raises
    :class:`procmine.errors.LogError` saying how to make it smaller.

    Examples
    --------
    >>> materialise("not a log", "find_redundancies")
    'not a log'
    """
    engine = _engine_or_none(log)
    if engine is None or engine.capabilities.in_memory:
        return log
    limit = engine.capabilities.max_materialise_events
    n = engine.n_events
    if limit is not None and n > limit:
        raise LogError(
            f"this {engine.capabilities.name} log is too large to analyse in memory: {what} needs every "
            f"event, and it has {n:,} (more than the engine's materialise limit of {limit:,}); "
            f"{getattr(engine, 'shrink_hint', 'filter it to fewer cases first')}",
            path=getattr(engine, "path", None),
        )
    if not getattr(engine, "materialised", False):
        logger.info("%s: loading the %s log %s into memory (%d events)", what,
                    engine.capabilities.label.strip(" ()"), engine.name, n)
    return engine.to_eventlog()


def in_memory_engine(engine: Engine, what: str) -> Any:
    """The in-memory engine (:class:`procmine.engines.memory.MemoryEngine`) of ``engine``'s
    log, for a view that works per event: ``engine`` itself when it holds the events in
    memory, else that of the log loaded by :func:`materialise` (within the engine's limit).

    Examples
    --------
    >>> import procmine as pm
    >>> e = get_engine(pm.samples.load("permit_de"))
    >>> in_memory_engine(e, "per-event times") is e
    True
    """
    if engine.capabilities.in_memory:
        return engine
    from .memory import MemoryEngine

    return MemoryEngine(materialise(engine.log, what))


def needs_events(what: str) -> Callable[[F], F]:
    """Mark an analysis that needs every event in memory: its first argument (the log, or a
    list or dict of logs) goes through :func:`materialise` before the analysis runs.

    Examples
    --------
    >>> @needs_events("count")
    ... def count(log):
    ...     return log.n_events
    >>> import procmine as pm
    >>> count(pm.samples.load("permit_de")) > 0
    True
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(log: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(log, dict):
                log = {k: materialise(v, what) for k, v in log.items()}
            elif isinstance(log, (list, tuple)):
                log = type(log)(materialise(v, what) for v in log)
            else:
                log = materialise(log, what)
            return func(log, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
