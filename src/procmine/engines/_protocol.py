"""What an engine computes: the aggregates every analysis needs, and what the engine can do.

procmine separates its analyses from the engines that compute their figures, as pandera
separates its API from its backends: an analysis asks :func:`procmine.engines.get_engine`
for the engine of a log and reads aggregates from it, never testing the log's type. Three
engines implement :class:`Engine`:

* ``memory`` (:mod:`procmine.engines.memory`): the in-memory :class:`procmine.EventLog`,
  through its integer codes (vectorised numpy);
* ``duckdb`` (:mod:`procmine.engines.duckdb`): SQL group-bys, out of core;
* ``spark`` (:mod:`procmine.engines.spark`): Spark window functions and group-bys.

Every engine gives the same frames, with the same columns, dtypes and order (tested on
BPIC12 and the shipped samples). The definitions are those of the in-memory code: events
ordered by completion time within a case, ties by source order; a directly-follows gap runs
from the source's completion to the target's start when it is known (else its completion);
a case starts at its first start time (else its first completion).

Analyses that need every event (detectors, what-if, comparison, reports) are marked with
:func:`procmine.engines.needs_events`: an engine whose ``capabilities.in_memory`` is false
loads the log into memory when it has at most ``capabilities.max_materialise_events``
events, or raises :class:`procmine.errors.LogError` saying how to make it smaller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = [
    "MAP_PATH_COLUMNS",
    "PERF_STATS",
    "Capabilities",
    "Engine",
    "LogLike",
    "OfLog",
    "local_periods",
    "period_counts",
]

#: columns of :meth:`Engine.map_paths`
MAP_PATH_COLUMNS = ("source", "target", "count", "median_us", "cases")

#: the statistics of every ``wait_*``/``proc_*`` group of :meth:`Engine.perf_activities` and
#: :meth:`Engine.perf_edges` (float µs, NaN where nothing was measured; ``mean`` is the
#: exact integer ``sum`` divided by the count, as every engine computes it)
PERF_STATS = ("median", "mean", "p90", "sum")


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do.

    Examples
    --------
    >>> Capabilities("memory", "", in_memory=True, start_times=True, max_materialise_events=None).in_memory
    True
    """

    name: str  #: ``"memory"``, ``"duckdb"``, ``"spark"``
    label: str  #: what reprs add after the log's name, e.g. ``" (DuckDB)"``
    in_memory: bool  #: the events are a pandas frame (every analysis runs directly)
    start_times: bool  #: the log has start timestamps (waits end at the start, processing is known)
    max_materialise_events: int | None  #: largest log loaded into memory on demand (None: no limit)
    #: the engine splits the waits by cause itself (``wait_office``... columns of the
    #: performance aggregates, :meth:`Engine.wait_explanation`); else the split needs the events
    wait_causes: bool = True


@runtime_checkable
class LogLike(Protocol):
    """What every event log offers, whichever engine holds it: the names of
    :class:`procmine.EventLog` (a :class:`~procmine.engines.duckdb.DuckLog` or a
    :class:`~procmine.engines.spark.SparkLog` answers them from its engine). Every
    analysis accepts it; :func:`procmine.read_log` returns one."""

    name: str

    @property
    def n_events(self) -> int: ...

    @property
    def n_cases(self) -> int: ...

    @property
    def activities(self) -> pd.Series: ...

    @property
    def has_start_timestamps(self) -> bool: ...

    def variants(self) -> pd.DataFrame: ...

    def case_durations(self) -> pd.Series: ...

    def sample(self, n_cases: int, *, seed: int = 0) -> Any: ...


class OfLog:
    """What every engine takes from its log unchanged: the log, its name and its counts
    (each engine adds its aggregates and :class:`Capabilities`)."""

    def __init__(self, log: Any) -> None:
        self.log = log

    @property
    def name(self) -> str:
        return self.log.name

    @property
    def n_events(self) -> int:
        return self.log.n_events

    @property
    def n_cases(self) -> int:
        return self.log.n_cases


@runtime_checkable
class Engine(Protocol):
    """The aggregates of one event log, as an engine computes them.

    Frames and series have the shapes of the in-memory functions named below; the
    equality tests (``tests/engines/test_engine_equality.py``) hold every engine to them.
    """

    log: Any  #: the log the engine reads (EventLog, DuckLog, SparkLog)
    capabilities: Capabilities

    @property
    def name(self) -> str: ...

    @property
    def n_events(self) -> int: ...

    @property
    def n_cases(self) -> int: ...

    def activity_counts(self) -> pd.Series:
        """Events per activity, most frequent first, ties by name (``EventLog.activities``)."""
        ...

    def activity_cases(self) -> pd.Series:
        """Distinct cases per activity, index in code point order of the names."""
        ...

    def dfg(self) -> pd.DataFrame:
        """Directly-follows edges with timing statistics (:func:`procmine.discovery.compute_dfg`)."""
        ...

    def variants(self) -> pd.DataFrame:
        """Variants with cases, share and durations (:func:`procmine.discovery.compute_variants`)."""
        ...

    def variant_counts(self) -> pd.DataFrame:
        """``variant`` (tuple), ``cases``, ``first`` (rank of first appearance in source order),
        most frequent first: what the miner's variant pruning needs."""
        ...

    def start_activities(self) -> pd.Series:
        """Cases starting with each activity (:func:`procmine.discovery.start_end_activities`)."""
        ...

    def end_activities(self) -> pd.Series:
        """Cases ending with each activity."""
        ...

    def case_times(self) -> pd.DataFrame:
        """Per case (index: case id, sorted): ``start`` and ``end`` as UTC timestamps."""
        ...

    def case_durations(self) -> pd.Series:
        """First start (else completion) to last completion per case (``EventLog.case_durations``)."""
        ...

    def map_paths(self, kept: list[str]) -> pd.DataFrame:
        """Paths of the log projected on ``kept`` activities (:data:`MAP_PATH_COLUMNS`;
        ``None`` source/target for the start/end pseudo-edges): what the process map draws."""
        ...

    def activity_labels(self, column: str) -> dict[str, str]:
        """The first value of ``column`` per activity (readable labels for the map)."""
        ...

    def to_eventlog(self) -> Any:
        """The log in memory as a :class:`procmine.EventLog` (small logs only)."""
        ...

    # -- performance (procmine.Performance's frames are built from these) -----------------
    # ``calendar``: a procmine.Calendar (working time, or elapsed for Calendar.always());
    # ``declared``: the normalised declarations of procmine.waits._causes.check_declarations.
    # With ``capabilities.wait_causes`` the three tables carry the total wait per cause
    # (``wait_office``, ``wait_client``, ``wait_statutory``, ``wait_batch``, float µs).
    def has_measured_starts(self) -> bool:
        """Some event has a start time at or before its completion (processing is measured)."""
        ...

    def perf_cases(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        """Per case, in the order of first appearance in the source (index: case id):
        ``start``, ``end`` (int64 µs UTC), ``events``, ``duration`` (int64 µs under
        ``calendar``, ``NAT`` where not measurable)."""
        ...

    def perf_activities(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        """Per activity (index: name, code point order): ``count`` and ``proc_*``/``wait_*``
        statistics (:data:`PERF_STATS`) of processing and waiting under ``calendar``."""
        ...

    def perf_edges(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        """Per directly-follows pair, by (source, target) in code point order: ``source``,
        ``target``, ``count``, ``cases`` and ``wait_*`` statistics of the wait before the target."""
        ...

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        """Events (completions) per period of local time ``tz`` (:func:`local_periods`)."""
        ...

    def wait_explanation(self, declared: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(steps, explain)``: :attr:`procmine.Performance.steps` and
        :attr:`procmine.Performance.wait_causes` (engines with ``capabilities.wait_causes``)."""
        ...


def period_counts(engine: Engine, freq: str = "M", tz: str = "Europe/Zurich") -> pd.DataFrame:
    """Cases started and completed per period (local time ``tz``), from ``engine.case_times()``.

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.engines import get_engine
    >>> t = period_counts(get_engine(pm.samples.load("permit_de")), "Y")
    >>> int(t["started"].sum()) == pm.samples.load("permit_de").n_cases
    True
    """
    ct = engine.case_times()
    out = {}
    for col, name in (("start", "started"), ("end", "completed")):
        local = pd.DatetimeIndex(ct[col]).tz_convert(tz).tz_localize(None)
        out[name] = pd.Series(np.ones(len(local), dtype=np.int64)).groupby(local.to_period(freq)).sum()
    frame = pd.DataFrame(out).fillna(0).astype("int64")
    frame.index.name = "period"
    return frame.sort_index()


#: 15 minutes in µs: every time zone's offset is a multiple of it, so a UTC bin of this
#: width never straddles a local period boundary
BIN_US = 15 * 60 * 1_000_000


def local_periods(us: Any, tz: str, freq: str, weights: Any = None) -> pd.Series:
    """How many instants (int64 µs UTC; ``weights`` instants at each when given) fall in
    each period of local time ``tz``. Instants are first counted in 15-minute UTC bins
    (:data:`BIN_US`); only the occupied bins are converted to local periods. A query
    engine passes its bins' starts and counts as ``us`` and ``weights``.

    Examples
    --------
    >>> import numpy as np
    >>> us = np.array([0, 3_600_000_000, 90_000_000_000], dtype=np.int64)
    >>> local_periods(us, "UTC", "D").tolist()
    [2, 1]
    """
    us = np.asarray(us, dtype=np.int64)
    w = np.ones(len(us), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    if len(us):
        q = us // BIN_US
        q0 = int(q.min())
        span = int(q.max()) - q0 + 1
        if span <= 4 * len(us) + 1_000_000:  # else a few instants over centuries: one by one
            binned = np.bincount(q - q0, weights=w, minlength=span).astype(np.int64)
            occupied = np.flatnonzero(binned)
            us, w = (occupied + q0) * BIN_US, binned[occupied]
    local = pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return pd.Series(w).groupby(local.to_period(freq)).sum()


def sorted_by_name(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """``df`` ordered by ``cols`` (names) in code point order, as the in-memory codes number them."""
    keys = tuple(df[c].to_numpy(dtype=object).astype(str) for c in reversed(cols))
    return df.iloc[np.lexsort(keys) if len(df) else np.arange(0)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# the canonical frames, from what a query engine returns (shared by DuckDB and Spark)
# ---------------------------------------------------------------------------------------
def _us_to_td(values: Any) -> np.ndarray:
    """float µs (NaN = none) -> timedelta64[us], rounded to the µs as the in-memory kernels."""
    a = np.round(pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan))
    return pd.to_timedelta(a, unit="us").as_unit("us").to_numpy()


def counts_by_name(names: Any, counts: Any, name: str, index_name: str) -> pd.Series:
    """A count per name, most frequent first, ties in code point order of the names (the
    order of the in-memory activity codes)."""
    names = np.asarray(names, dtype=object)
    counts = np.asarray(counts, dtype=np.int64)
    order = np.argsort(names.astype(str), kind="stable")
    names, counts = names[order], counts[order]
    s = pd.Series(counts, index=pd.Index(names, name=index_name, dtype=object), name=name)
    return s.iloc[np.argsort(-counts, kind="stable")]


def finish_dfg(df: pd.DataFrame) -> pd.DataFrame:
    """The frame of :func:`procmine.discovery.compute_dfg` from ``source``, ``target``,
    ``count``, ``cases`` and float µs ``median_us``, ``mean_us``, ``p90_us``: most
    frequent first, ties by (source, target) in code point order."""
    out = pd.DataFrame(
        {
            "source": pd.Series(df["source"].to_numpy(dtype=object), dtype=object),
            "target": pd.Series(df["target"].to_numpy(dtype=object), dtype=object),
            "count": df["count"].to_numpy(dtype=np.int64),
            "cases": df["cases"].to_numpy(dtype=np.int64),
        }
    )
    for col in ("median", "mean", "p90"):
        out[col] = _us_to_td(df[f"{col}_us"])
    order = np.lexsort((out["target"].to_numpy(dtype=str), out["source"].to_numpy(dtype=str)))
    out = out.iloc[order].reset_index(drop=True)
    return out.iloc[np.argsort(-out["count"].to_numpy(), kind="stable")].reset_index(drop=True)


def finish_variants(variants: list[tuple[str, ...]], table: pd.DataFrame) -> pd.DataFrame:
    """The frame of :func:`procmine.discovery.compute_variants` from the variants (in
    rank order) and ``cases``, float µs ``median_us`` and ``mean_us`` of the same rows."""
    total = int(table["cases"].sum())
    cases = table["cases"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "variant": pd.Series(variants, dtype=object),
            "cases": cases,
            "share": cases / total if total else np.array([], dtype=float),
            "median_duration": _us_to_td(table["median_us"]),
            "mean_duration": _us_to_td(table["mean_us"]),
        }
    )
