"""Shared vectorised helpers of the redundancy detectors.

Every detector works on :attr:`EventLog.codes` (integer codes, one entry per event, sorted
by case then time). The per-event figures they all need (working time waited before an
event, its processing time, its org unit, the next/previous activity in the case) are
computed here once per ``(log, calendar)`` and cached on a weak reference to the log.

Conventions
-----------
- Times are int64 microseconds; :func:`td` turns them into ``pd.Timedelta``.
- ``-1`` means "none" in code arrays (no next activity, no org unit).
- ``wait[i]`` is the working time between the completion of the previous event of the
  same case and the *start* of event ``i`` (its completion when start times are unknown,
  then ``wait`` includes the processing time: ``has_start`` says which). The first event
  of a case waits 0. Waiting and processing time are those of
  :func:`procmine._core.event_times.event_times` (the one definition), with 0 where that
  gives NAT (no previous event, no start time).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._core.event_times import EventTimes, event_times
from .._core.kernels import NAT
from ..log import GROUP, RESOURCE, EventLog
from ._finding import Finding

__all__ = [
    "MIN_SAVING",
    "NAT",
    "ElapsedCalendar",
    "EventTable",
    "case_activity_keys",
    "case_activity_order",
    "case_counts",
    "case_id_strings",
    "distinct_sorted",
    "event_table",
    "first_per_case",
    "get_calendar",
    "group_cases",
    "group_quantiles",
    "machine_recorded",
    "make_finding",
    "pick_examples",
    "sample_confidence",
    "td",
    "top_org_units",
    "tr",
    "wilson_lower",
]

_US_PER_HOUR = 3_600_000_000

#: The smallest saving worth listing: a finding that saves less office time per affected
#: case (one minute) is not reported by :func:`procmine.find_redundancies` (its
#: ``min_saving``). Steps a system records seconds apart "save" seconds when merged or run in
#: parallel; an analyst cannot forward such a finding.
MIN_SAVING = pd.Timedelta(minutes=1)
#: Two events completed less than this apart, with no processing time, were recorded by a
#: system in one go (a status change, an e-mail sent on submission), not worked on.
_MACHINE_GAP_US = 60_000_000


# -- calendar and translations -------------------------------------------------------------------
class ElapsedCalendar:
    """A minimal calendar whose working time is elapsed time (a stand-in for tests and callers
    that pass their own calendar-like object; ``Calendar.always()`` is the public one)."""

    name = "elapsed"
    is_elapsed = True

    def cumulative(self, *instants: np.ndarray) -> tuple[np.ndarray, ...]:
        """Elapsed time from the epoch: the instants themselves (see ``Calendar.cumulative``)."""
        return tuple(np.array(a, dtype=np.int64) for a in instants)

    def working_time(self, start_us: np.ndarray, end_us: np.ndarray) -> np.ndarray:
        start_us = np.asarray(start_us, dtype=np.int64)
        end_us = np.asarray(end_us, dtype=np.int64)
        return np.maximum(end_us - start_us, 0)

    def __repr__(self) -> str:
        return "<ElapsedCalendar: working time = elapsed time>"


def get_calendar(calendar: Any = None) -> Any:
    """The calendar to use: the given one, else ``procmine.calendar.Calendar()`` (Swiss office
    week)."""
    from ..calendar import Calendar

    return calendar if calendar is not None else Calendar()


def tr(msgid: str, **kwargs: Any) -> dict[str, str]:
    """``{"de", "fr", "en"}`` texts of ``msgid`` via :func:`procmine.i18n.tr`.

    ``pd.Timedelta`` values are working time in every detector: they are written as working
    days or hours (:func:`procmine.i18n.format_working_time`), never as calendar days.
    """
    from ..i18n import LANGUAGES, format_working_time
    from ..i18n import tr as _tr

    durations = [k for k, v in kwargs.items() if isinstance(v, pd.Timedelta)]
    if not durations:
        return _tr(msgid, **kwargs)
    return {
        lang: _tr(msgid, **{**kwargs, **{k: format_working_time(kwargs[k], lang) for k in durations}})[lang]
        for lang in LANGUAGES
    }


# -- small numeric helpers ---------------------------------------------------------------------
#: microsecond Timedeltas (pandas >= 3) hold about 292,000 years: enough for any total of a
#: real log (road fines: 19,000 years of waiting summed over 150,000 cases)
_TD_MAX_US = np.iinfo(np.int64).max - 1


def td(us: float | int | np.integer | np.floating) -> pd.Timedelta:
    """Microseconds -> ``pd.Timedelta`` (rounded to the microsecond, NaN -> 0).

    A total beyond what a microsecond ``Timedelta`` holds (about 292,000 years) is clipped to the largest microsecond ``Timedelta`` with a logged warning rather than raising.
    """
    if us is None or not np.isfinite(us):
        return pd.Timedelta(0)
    value = float(us)
    if abs(value) >= _TD_MAX_US:
        import logging

        logging.getLogger("procmine").warning(
            "a total of %.3g years is beyond what a Timedelta holds; shown as the maximum", value / 3.156e13
        )
        value = _TD_MAX_US if value > 0 else -_TD_MAX_US
    return pd.Timedelta(round(value), unit="us")


def wilson_lower(k: float | np.ndarray, n: float | np.ndarray, z: float = 1.96) -> Any:
    """Lower bound of the Wilson score interval of the proportion ``k / n``.

    >>> round(wilson_lower(90, 100), 3)
    0.826
    >>> wilson_lower(0, 0)
    0.0
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
        nn = np.where(n > 0, n, 1)
        denom = 1 + z * z / nn
        centre = p + z * z / (2 * nn)
        margin = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn))
        out = np.where(n > 0, (centre - margin) / denom, 0.0)
    out = np.clip(out, 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def sample_confidence(n: float, n0: float = 30.0) -> float:
    """How much a figure resting on ``n`` cases can be trusted: ``1 - exp(-n / n0)``.

    >>> round(sample_confidence(30), 2), round(sample_confidence(300), 2)
    (0.63, 1.0)
    """
    return float(1.0 - np.exp(-max(float(n), 0.0) / n0))


# -- the per-event table -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Units:
    codes: np.ndarray  #: int32 per event, -1 = none
    names: np.ndarray  #: object array: code -> name
    column: str | None  #: source column (org:group or org:resource) or None


def _factorize_column(log: EventLog, column: str) -> _Units:
    """``pd.factorize(column, sort=True)``: codes in the order of the sorted distinct values,
    -1 where missing. Text values are ranked from the column codes the step classification
    keeps with the log (:mod:`procmine.waits._steps`): one dictionary encoding per log and
    column instead of a second factorization of millions of strings."""
    from ..waits._steps import _column_codes

    codes, values = _column_codes(log.codes, log.df, column)
    if not all(isinstance(v, str) for v in values):  # mixed types: pandas' own sort order
        codes, names = pd.factorize(log.df[column], sort=True, use_na_sentinel=True)
        return _Units(codes.astype(np.int32, copy=False), np.asarray(names, dtype=object), column)
    order = np.argsort(np.asarray(values, dtype=object), kind="stable")
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1  # a missing value's code -1 picks the last entry
    return _Units(rank[codes], np.asarray(values, dtype=object)[order], column)


class EventTable:
    """Per-event arrays every detector shares, computed lazily and cached.

    Build it with :func:`event_table` (cached per log and calendar), not directly.
    """

    def __init__(self, log: EventLog, calendar: Any) -> None:
        self.log = log
        self.calendar = calendar
        self.c = log.codes
        self.n_events = len(self.c.case)
        self.n_cases = self.c.n_cases

    # structure -------------------------------------------------------------------------------
    @cached_property
    def same_case_next(self) -> np.ndarray:
        """Boolean per event: the next row belongs to the same case."""
        out = np.zeros(self.n_events, dtype=bool)
        if self.n_events > 1:
            out[:-1] = self.c.case[1:] == self.c.case[:-1]
        return out

    @cached_property
    def same_case_prev(self) -> np.ndarray:
        out = np.zeros(self.n_events, dtype=bool)
        out[1:] = self.same_case_next[:-1]
        return out

    @cached_property
    def next_activity(self) -> np.ndarray:
        """Activity code of the next event in the case, -1 at the case end."""
        out = np.full(self.n_events, -1, dtype=np.int32)
        out[:-1] = np.where(self.same_case_next[:-1], self.c.activity[1:], -1)
        return out

    @cached_property
    def prev_activity(self) -> np.ndarray:
        """Activity code of the previous event in the case, -1 at the case start."""
        out = np.full(self.n_events, -1, dtype=np.int32)
        out[1:] = np.where(self.same_case_prev[1:], self.c.activity[:-1], -1)
        return out

    @cached_property
    def position(self) -> np.ndarray:
        """0-based position of each event within its case."""
        return np.arange(self.n_events, dtype=np.int64) - self.c.case_offsets[:-1][self.c.case]

    @cached_property
    def case_length(self) -> np.ndarray:
        """Events per case (per case, not per event)."""
        return np.diff(self.c.case_offsets)

    # times -------------------------------------------------------------------------------------
    @cached_property
    def has_start(self) -> np.ndarray:
        """Boolean per event: a usable start timestamp (not NaT, not after completion)."""
        s = self.c.start_ts
        if s is None:
            return np.zeros(self.n_events, dtype=bool)
        return (s != NAT) & (s <= self.c.ts)

    @cached_property
    def start(self) -> np.ndarray:
        """Start time per event (completion time when the start is unknown)."""
        if self.c.start_ts is None:
            return self.c.ts
        return np.where(self.has_start, self.c.start_ts, self.c.ts)

    @cached_property
    def prev_end(self) -> np.ndarray:
        """Completion time of the previous event of the case (own start for the first event)."""
        out = np.array(self.start, copy=True)
        np.copyto(out[1:], self.c.ts[:-1], where=self.same_case_prev[1:])  # no row-index arrays
        return out

    @cached_property
    def times(self) -> EventTimes:
        """The log's per-event times under :attr:`calendar` (the one definition)."""
        return event_times(self.log, _clock(self.calendar))

    @cached_property
    def wait(self) -> np.ndarray:
        """Working time waited before each event (see the module docstring)."""
        w = self.times.wait
        return np.where(w == NAT, 0, w)

    @cached_property
    def processing(self) -> np.ndarray:
        """Working time from start to completion (0 where the start is unknown)."""
        p = self.times.proc
        return np.where(p == NAT, 0, p)

    @cached_property
    def resolution(self) -> int:
        """The log's timestamp resolution in µs: the coarsest of an hour, a minute and a second
        that (almost) every completion and start time is a whole multiple of; 0 when finer.

        Exports often write minutes only; a duration of a few minutes then carries a rounding
        error of up to one resolution step, which a measure of variation must allow for.
        """
        ts = self.c.ts
        if self.c.start_ts is not None:
            ts = np.concatenate([ts, self.c.start_ts[self.has_start]])
        if len(ts) == 0:
            return 0
        for step in (_US_PER_HOUR, 60_000_000, 1_000_000):
            if float(np.mean(ts % step == 0)) >= 0.99:
                return step
        return 0

    @cached_property
    def gap(self) -> np.ndarray:
        """Working time from the previous completion to this completion (wait + processing)."""
        return self.wait + self.processing

    @cached_property
    def case_working_duration(self) -> np.ndarray:
        """Working time from the case start (first start, else first completion) to the last completion, per case."""
        return self.times.case_duration

    # organisation ---------------------------------------------------------------------------------
    @cached_property
    def units(self) -> _Units:
        """Org unit per event: ``org:group`` when present, else ``org:resource``."""
        df = self.log.df
        for col in (GROUP, RESOURCE):
            if col in df.columns and bool(df[col].notna().any()):
                return self._factorized(col)
        return _Units(np.full(self.n_events, -1, dtype=np.int32), np.asarray([], dtype=object), None)

    @cached_property
    def resources(self) -> _Units:
        """Resource per event (``org:resource``), -1 when absent."""
        df = self.log.df
        if RESOURCE in df.columns and bool(df[RESOURCE].notna().any()):
            return self._factorized(RESOURCE)
        return _Units(np.full(self.n_events, -1, dtype=np.int32), np.asarray([], dtype=object), None)

    def _factorized(self, column: str) -> _Units:
        """The codes of ``column``, factorized once (``units`` falls back to the resources)."""
        cache = self.__dict__.setdefault("_columns", {})
        if column not in cache:
            cache[column] = _factorize_column(self.log, column)
        return cache[column]

    # per activity -------------------------------------------------------------------------------
    @cached_property
    def case_activity(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`first_per_case` of ``(case, activity)``: the row of the first occurrence of
        each activity in each case and its number of occurrences, in (case, activity) order
        (one sort shared by the detectors that count activities per case)."""
        if self.n_events == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return _first_of_runs(*case_activity_keys(self.log))

    @cached_property
    def activity_cases(self) -> np.ndarray:
        """Number of distinct cases containing each activity (per activity code)."""
        a, _ = self.case_activity
        return np.bincount(self.c.activity[a], minlength=self.c.n_activities)

    def name(self, code: int) -> str:
        return str(self.c.activity_names[code])


class _WorkingTimeClock:
    """A calendar-like object that only has ``working_time(start, end)`` (a caller's own),
    seen as the :class:`procmine._core.event_times.Clock` that :func:`event_times` reads:
    working time from one origin (the earliest instant) to each instant."""

    is_elapsed = False

    def __init__(self, calendar: Any) -> None:
        self.calendar = calendar

    def cumulative(self, *instants: np.ndarray) -> tuple[np.ndarray, ...]:
        arrays = [np.asarray(a, dtype=np.int64) for a in instants]
        valid = [a[a != NAT] for a in arrays]
        origin = min((int(v.min()) for v in valid if len(v)), default=0)
        out = []
        for a in arrays:
            ok = a != NAT
            r = np.full(a.shape, NAT, dtype=np.int64)
            r[ok] = np.asarray(self.calendar.working_time(np.full(int(ok.sum()), origin, dtype=np.int64), a[ok]),
                               dtype=np.int64)
            out.append(r)
        return tuple(out)


def _clock(calendar: Any) -> Any:
    """``calendar`` itself when :func:`event_times` can read it, else a :class:`_WorkingTimeClock`."""
    if hasattr(calendar, "cumulative") and hasattr(calendar, "is_elapsed"):
        return calendar
    return _WorkingTimeClock(calendar)


_TABLES: weakref.WeakKeyDictionary[EventLog, dict[Any, EventTable]] = weakref.WeakKeyDictionary()


def event_table(log: EventLog, calendar: Any = None) -> EventTable:
    """The cached :class:`EventTable` of ``log`` under ``calendar`` (default: see :func:`get_calendar`)."""
    cal = get_calendar(calendar)
    per_log = _TABLES.setdefault(log, {})
    try:
        hash(cal)
        key: Any = ("cal", cal)  # calendars are hashable and compare by their settings
    except TypeError:
        key = ("id", id(cal))
    table = per_log.get(key)
    if table is None or (table.calendar is not cal and key[0] == "id"):
        table = EventTable(log, cal)
        per_log[key] = table
    return table


def machine_recorded(t: EventTable, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per succession ``first[k] -> second[k]`` (event rows): were both steps recorded by a
    system rather than worked on?

    True when the second completed less than a minute after the first and neither has a
    measured processing time (a status change and the notice a system sends with it), or,
    in a log that records who does the work, when neither event names a resource. Such
    steps are not work to merge or parallelise.
    """
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    ts = t.c.ts
    seconds_apart = (ts[second] - ts[first]) < _MACHINE_GAP_US
    no_processing = (t.processing[first] <= 0) & (t.processing[second] <= 0)
    out = seconds_apart & no_processing
    res = t.resources
    if res.column is not None and (res.codes >= 0).mean() >= 0.2:
        out |= (res.codes[first] < 0) & (res.codes[second] < 0)
    return out


# -- grouping helpers --------------------------------------------------------------------------------
def small_unique(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_counts=True)`` for keys in ``0..size-1``.

    Counted with ``bincount`` instead of sorting when the key space is small (activity
    pairs: ``n_activities ** 2``), which on millions of events is several times faster;
    the same result either way.
    """
    key = np.asarray(key, dtype=np.int64)
    if size > max(4 * len(key), 1 << 20):  # a sparse key space: sorting is cheaper
        return np.unique(key, return_inverse=True, return_counts=True)
    counts = np.bincount(key, minlength=size)
    values = np.flatnonzero(counts)
    rank = np.zeros(size, dtype=np.int64)
    rank[values] = np.arange(len(values))
    return values, rank[key], counts[values]


def group_quantiles(x: np.ndarray, group: np.ndarray, n_groups: int, qs: tuple[float, ...]) -> np.ndarray:
    """``pd.Series(x).groupby(group).quantile(qs)`` (linear interpolation) as an
    ``(n_groups, len(qs))`` float array, NaN for empty groups; ``group`` in ``0..n_groups-1``.

    The same figures as pandas (the order statistic at ``int(q * (n - 1))`` plus ``frac``
    of the step to the next one), from one partition per group instead of a sort of all
    values: linear in the number of values.

    >>> group_quantiles(np.array([4.0, 1.0, 3.0, 2.0, 9.0]), np.array([0, 0, 0, 0, 1]), 3, (0.5,)).tolist()
    [[2.5], [9.0], [nan]]
    """
    x = np.asarray(x, dtype=np.float64)
    group = np.asarray(group)
    # group codes of 16 bits sort by radix (linear); each group's values follow in a block
    order = np.argsort(group.astype(np.int16) if n_groups <= 1 << 15 else group, kind="stable")
    xs = x[order]
    counts = np.bincount(group, minlength=n_groups)
    ends = np.cumsum(counts)
    out = np.full((n_groups, len(qs)), np.nan)
    for g in np.flatnonzero(counts):  # one partition per group (pairs of activities: few)
        block = xs[ends[g] - counts[g]:ends[g]]
        last = len(block) - 1
        pos = [q * last for q in qs]
        lo = [int(p) for p in pos]
        block.partition(sorted({*lo, *(min(i + 1, last) for i in lo)}))
        for k, (p, i) in enumerate(zip(pos, lo)):
            frac = p % 1
            val = block[i]
            out[g, k] = val if frac == 0.0 else val + (block[i + 1] - val) * frac
    return out


def first_per_case(case: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first event of each distinct ``(case, key)`` pair, and the count per pair.

    Returns ``(first_index, count)`` aligned with the distinct pairs (in sorted order).
    """
    if len(case) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    k = case.astype(np.int64) * (int(key.max()) + 2) + (key.astype(np.int64) + 1)
    # what np.unique(k, return_index=True, return_counts=True) returns, from one stable
    # argsort: the log is in case blocks, so k is sorted but inside each case and the
    # merge sort's runs make it several times cheaper than np.unique's path on 10 M events
    perm = np.argsort(k, kind="stable")
    return _first_of_runs(perm, k[perm])


def _first_of_runs(perm: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row (``perm`` at the start) of each run of equal sorted keys ``k``, and the
    length of each run."""
    starts = np.empty(len(k), dtype=bool)
    starts[0] = True
    np.not_equal(k[1:], k[:-1], out=starts[1:])
    at = np.flatnonzero(starts)
    counts = np.diff(at, append=len(k))
    return perm[at], counts


_ORDERS: weakref.WeakKeyDictionary[EventLog, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def case_activity_order(log: EventLog) -> np.ndarray:
    """The rows of ``log`` ordered by (case, activity), stable (read-only, cached per log).

    One sort shared by the detectors: the occurrences of each activity per case
    (:attr:`EventTable.case_activity`) and the repetitions (``rework.repetitions``).
    """
    return case_activity_keys(log)[0]


def case_activity_keys(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """:func:`case_activity_order` and the ``case * n_activities + activity`` key of each
    row in that order (ascending; read-only, cached per log with the order)."""
    cached = _ORDERS.get(log)
    if cached is None:
        c = log.codes
        key = c.case.astype(np.int64) * max(c.n_activities, 1) + c.activity
        perm = np.argsort(key, kind="stable")  # case blocks: the merge sort's runs are long
        key = key[perm]
        perm.setflags(write=False)
        key.setflags(write=False)
        cached = _ORDERS[log] = (perm, key)
    return cached


def case_counts(case: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """Number of distinct cases per key code (``key`` values in ``0..n_keys-1``; -1 ignored)."""
    ok = key >= 0
    if not ok.any():
        return np.zeros(n_keys, dtype=np.int64)
    first, _ = first_per_case(case[ok], key[ok])
    return np.bincount(key[ok][first], minlength=n_keys)


def group_cases(case: np.ndarray) -> np.ndarray:
    """Distinct case codes in ``case`` (sorted)."""
    return np.unique(case)


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a non-decreasing array, without sorting it again.

    The rows of a log are in case blocks, so the case codes of any ascending selection of
    rows (``c.case[mask]``, ``c.case[rows]`` with ``rows`` ascending) are non-decreasing.
    """
    values = np.asarray(values)
    if len(values) == 0:
        return np.unique(values)
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def case_id_strings(log: EventLog, case_codes: np.ndarray) -> tuple[str, ...]:
    """The case ids (as text) of ``case_codes``.

    When the log's ids have not been gathered yet (an Arrow column taken lazily), only
    these few are taken: gathering all of them costs seconds on millions of cases.
    """
    c = log.codes
    ids = c.case_id_values
    if "case_ids" not in vars(c) and hasattr(ids, "array") and hasattr(ids, "rows"):
        rows = ids.rows[np.asarray(case_codes, dtype=np.int64)]
        picked = np.asarray(ids.array.take(rows).to_numpy(zero_copy_only=False), dtype=object)
        return tuple(str(v) for v in picked)
    return tuple(str(c.case_ids[i]) for i in case_codes)


def pick_examples(log: EventLog, case_codes: np.ndarray, k: int = 3, weights: np.ndarray | None = None) -> tuple[str, ...]:
    """Up to ``k`` example case ids: the cases with the largest ``weights`` (ties: first seen)."""
    case_codes = np.asarray(case_codes)
    if len(case_codes) == 0:
        return ()
    if weights is None:
        chosen = np.unique(case_codes)[:k]
    else:
        order = np.lexsort((case_codes, -np.asarray(weights, dtype=float)))
        seen = pd.unique(case_codes[order])
        chosen = seen[:k]
    return case_id_strings(log, chosen)


def make_finding(
    kind: str,
    activities: tuple[str, ...],
    *,
    n_cases_log: int,
    cases: int,
    time_cost_us: float,
    saving_per_case_us: float,
    confidence: float,
    evidence: dict[str, Any],
    recommendation: dict[str, str],
    example_cases: tuple[str, ...] = (),
    org_units: tuple[str, ...] = (),
) -> Finding:
    """A :class:`Finding` from plain numbers (µs for times)."""
    return Finding(
        kind=kind,
        activities=tuple(str(a) for a in activities),
        org_units=tuple(str(u) for u in org_units),
        cases=int(cases),
        case_share=float(cases) / n_cases_log if n_cases_log else 0.0,
        time_cost=td(time_cost_us),
        saving_per_case=td(saving_per_case_us),
        confidence=float(np.clip(confidence, 0.0, 1.0)),
        evidence=evidence,
        recommendation=recommendation,
        example_cases=example_cases,
    )


def top_org_units(t: Any, events: np.ndarray, min_share: float = 0.1) -> tuple[str, ...]:
    """The org units (``org:group``, else resource) of ``events`` holding at least
    ``min_share`` of them, most frequent first (at most three)."""
    u = t.units.codes[events]
    u = u[u >= 0]
    if len(u) == 0:
        return ()
    vals, n = np.unique(u, return_counts=True)
    order = np.argsort(-n, kind="stable")
    top = [v for v, k in zip(vals[order], n[order]) if k >= min_share * len(u)][:3]
    return tuple(str(t.units.names[v]) for v in top)
