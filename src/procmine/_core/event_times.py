"""Per-event times of a log (waiting, processing, attributed time, case start/end and
duration) as int64 µs arrays, and their conversion to Timedeltas and short texts.

Shared by :mod:`procmine.performance` (which defines the terms and re-exports these
names), :mod:`procmine.organisation`, :mod:`procmine.compare`, :mod:`procmine.waits` and the
redundancy detectors (:class:`procmine.redundancy._base.EventTable`).

This module is in the bottom layer: it takes the log's codes and a calendar from its caller
(anything with ``is_elapsed`` and ``cumulative``, as :class:`procmine.calendar.Calendar`)
and imports neither.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .kernels import NAT

__all__ = ["Clock", "EventTimes", "case_start_us", "elapsed_times", "event_times", "numpy_frame"]

logger = logging.getLogger("procmine")


class Clock(Protocol):
    """What :func:`event_times` needs of a calendar (:class:`procmine.calendar.Calendar` has it)."""

    @property
    def is_elapsed(self) -> bool:  # pragma: no cover - a protocol
        """Working time is elapsed time (no lookups needed)."""
        ...

    def cumulative(self, *instants: np.ndarray) -> tuple[np.ndarray, ...]:  # pragma: no cover
        """Working µs from one origin to each instant (int64 µs, NAT kept)."""
        ...


class _HasCodes(Protocol):
    codes: Any  #: :class:`procmine._core.codes.LogCodes`


def case_start_us(c: Any) -> np.ndarray:
    """The start of each case (int64 µs): its first start time, else its first completion.

    The one definition of the case start (``c``: :class:`procmine._core.codes.LogCodes`).
    A start time after its own completion is a data error and is ignored; it can never be
    earlier than the case's first completion (events are sorted by completion), so the
    minimum below ignores it without a mask.

    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> bool((case_start_us(log.codes) <= log.codes.ts[log.codes.case_offsets[:-1]]).all())
    True
    """
    first = c.case_offsets[:-1]
    start = c.ts[first]
    if c.start_ts is not None and len(first):
        s0 = np.where(c.start_ts == NAT, np.iinfo(np.int64).max, c.start_ts)
        start = np.minimum(start, np.minimum.reduceat(s0, first))
    return start


# ---------------------------------------------------------------------------------------
# per-event times (shared with organisation.py and compare.py)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class EventTimes:
    """Per-event durations in int64 µs (``NAT`` = not measurable), in ``log.df`` order."""

    first: np.ndarray  #: bool: first event of its case
    wait: np.ndarray  #: waiting (or waiting+processing) before the event, working time
    wait_elapsed: np.ndarray
    proc: np.ndarray  #: processing time (start -> complete), working time; NAT w/o start
    proc_elapsed: np.ndarray
    delta: np.ndarray  #: time attributed to the event: previous completion -> completion
    case_start: np.ndarray  #: per case, µs
    case_end: np.ndarray
    case_duration: np.ndarray  #: per case, working time
    case_elapsed: np.ndarray
    has_start: bool  #: the log has start timestamps (processing time is known)


def event_times(log: _HasCodes, calendar: Clock) -> EventTimes:
    """Waiting, processing and case times of every event, vectorised (definitions: :mod:`procmine.performance`).

    ``calendar`` is required: the caller chooses working time (``Calendar()``) or elapsed
    time (``Calendar.always()``). Computed once per log and calendar (kept with the log's
    codes, read-only): performance, the wait causes and the detectors share them.
    """
    c = log.codes
    memo = _memo_of(c)
    key = ("event_times", calendar)
    if memo is None or not _hashable(calendar):
        return _event_times(c, calendar)
    if key not in memo:
        memo[key] = _frozen(_event_times(c, calendar))
    return memo[key]


def _event_times(c: Any, calendar: Clock) -> EventTimes:
    """:func:`event_times` without the cache."""
    cal = calendar
    n = len(c.ts)
    first = c.is_first
    first_idx = c.case_offsets[:-1]
    last_idx = c.case_offsets[1:] - 1
    ts = c.ts
    has_start = c.start_ts is not None and bool((c.start_ts != NAT).any())
    if not has_start:
        # the common case, kept lean for 10M-event logs: few temporaries, no masks
        cum_ts = ts if cal.is_elapsed else cal.cumulative(ts)[0]
        wait_elapsed = elapsed_times(c)[0]
        wait = wait_elapsed if cal.is_elapsed else _step(cum_ts, first_idx)
        # NAT everywhere as one value seen n times (read-only, no memory: 80 MB on 10 M events)
        proc = proc_elapsed = np.broadcast_to(np.int64(NAT), n)
        delta = wait.copy()
        delta[first_idx] = 0
        case_start = ts[first_idx]
    else:
        wait_elapsed, proc_elapsed, _ = elapsed_times(c)
        if cal.is_elapsed:  # cumulative time is the instant itself: the elapsed times are the times
            cum_ts, wait, proc = ts, wait_elapsed, proc_elapsed
        else:
            _prev, start, wait_end = _wait_bounds(c)
            # one cumulative-working-time lookup per distinct array, then differences
            cum_ts, cum_start, cum_wait_end = cal.cumulative(ts, start, wait_end)
        cum_prev = np.full(n, NAT, dtype=np.int64)
        if n:
            cum_prev[1:] = cum_ts[:-1]
            cum_prev[first_idx] = NAT
        if not cal.is_elapsed:
            wait = _sub(cum_wait_end, cum_prev)
            proc = _sub(cum_ts, cum_start)
        # attributed time: previous completion -> completion (first event: its processing time)
        delta = np.where(first, np.where(proc == NAT, 0, proc), _sub(cum_ts, cum_prev))
        case_start = case_start_us(c)
    case_end = ts[last_idx]  # events are sorted by time within a case
    case_elapsed = case_end - case_start
    return EventTimes(
        first=first,
        wait=wait,
        wait_elapsed=wait_elapsed,
        proc=proc,
        proc_elapsed=proc_elapsed,
        delta=delta,
        case_start=case_start,
        case_end=case_end,
        case_duration=case_elapsed if cal.is_elapsed else _sub(*cal.cumulative(case_end, case_start)),
        case_elapsed=case_elapsed,
        has_start=has_start,
    )


def elapsed_times(c) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """``(wait_elapsed, proc_elapsed, has_start)`` of :func:`event_times` under elapsed time,
    without the rest (working time, attributed time, case times): what the step
    classification reads. ``proc_elapsed`` is None when the log has no start times (it
    would be NAT everywhere).

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.calendar import Calendar
    >>> log = pm.samples.load("permit_de")
    >>> wait, proc, _ = elapsed_times(log.codes)
    >>> full = event_times(log, Calendar.always())
    >>> bool((wait == full.wait_elapsed).all()) and (proc is None or bool((proc == full.proc_elapsed).all()))
    True
    """
    memo = _memo_of(c)
    if memo is not None and "elapsed" in memo:
        return memo["elapsed"]
    ts = c.ts
    first_idx = c.case_offsets[:-1]
    if c.start_ts is None or not bool((c.start_ts != NAT).any()):
        out: tuple[np.ndarray, np.ndarray | None, bool] = (_step(ts, first_idx), None, False)
    else:
        prev, start, wait_end = _wait_bounds(c)
        out = (_sub(wait_end, prev), _sub(ts, start), True)
    if memo is not None:
        # shared by every caller (performance, wait causes, step classification): read-only
        for a in out[:2]:
            if a is not None:
                a.flags.writeable = False
        memo["elapsed"] = out
    return out


def _memo_of(c: Any) -> dict | None:
    """The cache kept with a log's codes (:attr:`procmine._core.codes.LogCodes.memo`), if any."""
    memo = getattr(c, "memo", None)
    return memo if isinstance(memo, dict) else None


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _frozen(t: EventTimes) -> EventTimes:
    """``t`` with its arrays made read-only: it is cached and shared."""
    for f in dataclasses.fields(t):
        v = getattr(t, f.name)
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    return t


def _wait_bounds(c: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per event of a log with start times: the previous completion in the case (NAT for a
    case's first event), the usable start (NAT where unknown or after the completion: a data
    error) and the end of the wait (the start, not before the previous completion; the
    completion where the start is unknown)."""
    ts, first_idx = c.ts, c.case_offsets[:-1]
    prev = np.full(len(ts), NAT, dtype=np.int64)
    if len(ts):
        prev[1:] = ts[:-1]
        prev[first_idx] = NAT
    start = np.where(c.start_ts > ts, NAT, c.start_ts)
    wait_end = np.where(start == NAT, ts, np.maximum(start, np.where(prev == NAT, start, prev)))
    return prev, start, wait_end


def _step(x: np.ndarray, first_idx: np.ndarray) -> np.ndarray:
    """``x[i] - x[i-1]`` within cases, NAT for each case's first event."""
    out = np.empty(len(x), dtype=np.int64)
    if len(x):
        np.subtract(x[1:], x[:-1], out=out[1:])
        out[first_idx] = NAT
    return out


def _sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` with NAT where either is NAT."""
    return np.where((a == NAT) | (b == NAT), NAT, a - b)


def _td(us: np.ndarray) -> pd.Series:
    """float/int µs (NaN or NAT = missing) -> timedelta64[us] values, rounded to the µs."""
    a = np.asarray(us)
    if a.ndim != 1:
        return pd.to_timedelta(_rounded_us(a), unit="us").as_unit("us")
    return pd.TimedeltaIndex(_td_values(a))


def _td_values(us: np.ndarray) -> np.ndarray:
    """:func:`_td` of a 1-d array as a timedelta64[us] ndarray (a frame column without the index)."""
    a = np.asarray(us)
    if a.dtype.kind == "f":
        # the common case in one pass: every value rounded and inside timedelta64's range
        r = np.round(a)
        if (np.abs(r) < 9.2e18).all():  # NaN fails the test too
            return r.astype(np.int64).view("m8[us]")
    a = _rounded_us(a)
    # whole µs (rounded above) straight into timedelta64[us]: what
    # ``pd.to_timedelta(a, unit="us").as_unit("us")`` gives, without its per-call parsing
    missing = np.isnan(a)
    whole = np.where(missing, 0.0, a).astype(np.int64)
    whole[missing] = NAT
    return whole.view("m8[us]")


def _rounded_us(a: np.ndarray) -> np.ndarray:
    """float µs rounded (NAT of an integer array as NaN); NaN beyond timedelta64's range."""
    if a.dtype.kind in "iu":
        a = np.where(a == NAT, np.nan, a.astype(np.float64))
    a = np.round(a)
    too_big = np.abs(a) >= 9.2e18  # beyond timedelta64's ±292,000 years (sums on huge logs)
    if too_big.any():
        logger.warning(
            "%d duration total(s) exceed the Timedelta range and are shown as NaT", int(too_big.sum())
        )
        a = np.where(too_big, np.nan, a)
    return a



_COLUMNS: dict[tuple[str, ...], pd.Index] = {}  #: the column labels of the frames numpy_frame built
#: the numpy dtypes a frame holds as they are: bool, integers, float32/64, object, timedelta64 in pandas' units
_KEPT_DTYPES = frozenset(
    [np.dtype(t) for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8", "O")]
    + [np.dtype(f"m8[{u}]") for u in ("s", "ms", "us", "ns")]
)


def _kept(a: object, n: int) -> bool:
    """``a`` is a 1-d numpy array of length ``n`` that a frame holds as it is."""
    return type(a) is np.ndarray and a.ndim == 1 and a.shape[0] == n and a.dtype in _KEPT_DTYPES


def numpy_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` (a RangeIndex) for 1-d numpy arrays of one length whose
    dtypes the frame keeps (bool, numbers, ``timedelta64``, object: an object array stays
    object, as a ``pd.Series(..., dtype=object)`` column would): the same frame and the
    same blocks (one per dtype, columns in order), built directly. The constructor spends
    more on its checks and inference than a small result frame (the DFG, the variants,
    the performance edges) costs to fill.

    Examples
    --------
    >>> f = numpy_frame({"a": np.array(["x"], dtype=object), "n": np.array([1])})
    >>> f.equals(pd.DataFrame({"a": pd.Series(["x"], dtype=object), "n": [1]}))
    True
    """
    from pandas.api.internals import create_dataframe_from_blocks

    arrays = list(columns.values())
    n = len(arrays[0]) if arrays else 0
    if not arrays or not all(_kept(a, n) for a in arrays):
        return pd.DataFrame({k: pd.Series(v, dtype=object) if getattr(v, "dtype", None) == np.dtype(object) else v
                             for k, v in columns.items()})
    names = tuple(columns)
    labels = _COLUMNS.get(names)
    if labels is None:
        labels = _COLUMNS.setdefault(names, pd.Index(list(names)))
    groups: dict[np.dtype, list[int]] = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.dtype, []).append(i)
    # a fresh 2-d array per dtype (the constructor copies its inputs too: no view of a cached array)
    blocks = []
    for dtype, idx in groups.items():
        block = np.empty((len(idx), n), dtype=dtype)
        for row, i in enumerate(idx):
            block[row] = arrays[i]
        blocks.append((block, np.array(idx, dtype=np.intp)))
    # a copy of the shared labels (not their data): setting the frame's ``columns.name``
    # must not reach another frame
    return create_dataframe_from_blocks(blocks, index=pd.RangeIndex(n), columns=labels.copy())
