"""The log edits behind :func:`procmine.whatif.simplify`: remove, merge and parallelise steps.

Each edit returns the changed frame; times are shifted case by case with one cumulative
sum of the saved time (elapsed, or working time under a calendar).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from ..log import ACTIVITY, START, TIMESTAMP, TS_DTYPE, EventLog

__all__: list[str] = []



def _prev_end(c: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per event: completion of the previous event of the case, and whether there is one."""
    n = len(c.case)
    has_prev = np.zeros(n, dtype=bool)
    has_prev[1:] = c.case[1:] == c.case[:-1]
    prev = c.ts.copy()
    idx = np.flatnonzero(has_prev)
    prev[idx] = c.ts[idx - 1]
    return prev, has_prev


def _saved(a: np.ndarray, b: np.ndarray, calendar: Any) -> np.ndarray:
    """Time from ``a`` to ``b`` (µs): elapsed, or working time under ``calendar``."""
    if calendar is None:
        return np.maximum(b - a, 0)
    return np.maximum(np.asarray(calendar.working_time(a, b), dtype=np.int64), 0)


def _later_shift(c: Any, saved: np.ndarray) -> np.ndarray:
    """Per event: the sum of ``saved`` over the *earlier* events of the same case."""
    cs = np.cumsum(saved) - saved  # exclusive prefix sum over the whole log
    base = cs[c.case_offsets[:-1]]  # value at each case's first event
    return cs - base[c.case]


def _move(us: np.ndarray, shift: np.ndarray, calendar: Any) -> np.ndarray:
    """``us`` moved earlier by ``shift`` (elapsed, or working time under ``calendar``); NaT kept."""
    out = us.copy()
    sel = (shift != 0) & (us != NAT)
    if not sel.any():
        return out
    if calendar is None:
        out[sel] = us[sel] - shift[sel]
    else:
        # the earliest instant at that working-time position (Friday 17:00 rather than
        # Monday 07:30): step back one microsecond further, then forward again
        back = np.asarray(calendar.add_working_time(us[sel], -shift[sel] - 1), dtype=np.int64)
        out[sel] = np.asarray(
            calendar.add_working_time(back, np.ones(len(back), dtype=np.int64)), dtype=np.int64
        )
    return out


def _keep_order(c: Any, ts: np.ndarray, calendar: Any, *, skip: np.ndarray) -> np.ndarray:
    """Under a calendar, an event moved onto an office-hour boundary may land before the
    previous event of its case when that one lies outside office hours (a night-time
    event): keep the case's events in order (``skip`` marks events exempt and ignored)."""
    if calendar is None or len(ts) == 0:
        return ts
    vals = np.where(skip, NAT, ts)
    running = pd.Series(vals).groupby(c.case).cummax().to_numpy()
    return np.where(skip, ts, np.maximum(ts, running))


def _with_times(df: pd.DataFrame, ts: np.ndarray, start: np.ndarray | None) -> pd.DataFrame:
    df = df.copy()
    df[TIMESTAMP] = pd.DatetimeIndex(ts.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    if start is not None:
        # int64 min is NaT in numpy's datetime64
        df[START] = pd.DatetimeIndex(start.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    return df


def _remove(log: EventLog, names: list[str], calendar: Any, outside: np.ndarray) -> pd.DataFrame:
    """The log without the events of ``names`` and the time they added (see
    :func:`procmine.whatif.simplify`), but for ``outside``: per event of ``log``, the part
    of that time a removal keeps (:func:`removed_outside`, computed on the log before other
    edits, whose wait causes are known already)."""
    c = log.codes
    codes = np.flatnonzero(np.isin(c.activity_names, names))
    gone = np.isin(c.activity, codes)
    prev, has_prev = _prev_end(c)
    saved = np.where(gone & has_prev, _saved(prev, c.ts, calendar), 0)
    saved = np.maximum(saved - np.where(gone & has_prev, outside, 0), 0)
    shift = _later_shift(c, saved)
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=gone)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    df = _with_times(log.df, ts, start)
    return df.loc[~gone].reset_index(drop=True)


def removed_outside(log: EventLog, names: list[str], calendar: Any) -> np.ndarray:
    """Per event of ``log`` (0 but for the events of ``names`` that have a previous event):
    the part of the time from the previous completion to its own (in ``calendar``'s time)
    that is waiting for the applicant or a third party or a legal period
    (:mod:`procmine.waits._causes`). A removed step takes neither with it: the next step
    still waits for the documents, and a 30-day objection period runs whether or not a step
    records its end."""
    from ..waits._causes import wait_causes

    c = log.codes
    prev, has_prev = _prev_end(c)
    idx = np.flatnonzero(np.isin(c.activity, np.flatnonzero(np.isin(c.activity_names, names))) & has_prev)
    start = c.start_ts[idx] if c.start_ts is not None else np.full(len(idx), NAT, dtype=np.int64)
    known = start != NAT
    begin = np.where(known, np.maximum(start, prev[idx]), c.ts[idx])  # no start: the gap is waiting
    wait = np.full(len(c.ts), NAT, dtype=np.int64)
    proc = np.full(len(c.ts), NAT, dtype=np.int64)
    wait[idx] = _saved(prev[idx], begin, calendar)
    proc[idx] = np.where(known, _saved(begin, c.ts[idx], calendar), NAT)
    client, statutory = wait_causes(log).outside_office(wait, proc, c.activity)
    out = np.zeros(len(c.ts), dtype=np.int64)
    out[idx] = np.asarray(client[idx], dtype=np.int64) + np.asarray(statutory[idx], dtype=np.int64)
    return out


def _codes_of(log: EventLog, a: str, b: str) -> tuple[int, int] | None:
    """Activity codes of ``a`` and ``b``; None when either is not in the log (nothing to edit)."""
    names = list(map(str, log.codes.activity_names))
    if a not in names or b not in names:
        return None
    return names.index(a), names.index(b)


def _pair_starts(log: EventLog, a: str, b: str, *, either_order: bool) -> np.ndarray | None:
    """Positions ``i`` where events ``i`` and ``i + 1`` of one case are ``a`` then ``b``
    (or ``b`` then ``a`` too, with ``either_order``); None when either is not in the log."""
    found = _codes_of(log, a, b)
    if found is None:
        return None
    c = log.codes
    ca, cb = found
    pair = np.zeros(len(c.case), dtype=bool)
    if len(c.case) > 1:
        x, y = c.activity[:-1], c.activity[1:]
        hit = (x == ca) & (y == cb)
        if either_order:
            hit |= (x == cb) & (y == ca)
        pair[:-1] = hit & (c.case[1:] == c.case[:-1])
    return np.flatnonzero(pair)


def _merge(log: EventLog, a: str, b: str, name: str) -> pd.DataFrame:
    c = log.codes
    idx = _pair_starts(log, a, b, either_order=False)
    if idx is None or len(idx) == 0:
        return log.df
    n = len(c.case)
    df = log.df.copy()
    ts = c.ts.copy()
    ts[idx] = c.ts[idx + 1]
    df[TIMESTAMP] = pd.DatetimeIndex(ts.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    act = df[ACTIVITY].astype(object).to_numpy(copy=True)
    act[idx] = name
    df[ACTIVITY] = pd.array(act, dtype=log.df[ACTIVITY].dtype)
    drop = np.zeros(n, dtype=bool)
    drop[idx + 1] = True
    return df.loc[~drop].reset_index(drop=True)


def _parallelize(log: EventLog, a: str, b: str, calendar: Any) -> pd.DataFrame:
    c = log.codes
    idx = _pair_starts(log, a, b, either_order=True)
    if idx is None:
        return log.df
    n = len(c.case)
    # non-overlapping: a pair cannot start on the second event of the previous pair
    if len(idx) > 1:
        keep = np.ones(len(idx), dtype=bool)
        prev_taken = -2
        clash = np.flatnonzero(np.diff(idx) == 1)
        if len(clash):  # rare (A B A ...): resolve sequentially
            for k, i in enumerate(idx):
                if i == prev_taken + 1:
                    keep[k] = False
                else:
                    prev_taken = i
        idx = idx[keep]
    if len(idx) == 0:
        return log.df
    prev, has_prev = _prev_end(c)
    p = np.where(has_prev[idx], prev[idx], c.ts[idx])
    if c.start_ts is not None:  # the first event of a case starts at its own start, if known
        s = c.start_ts[idx]
        p = np.where(~has_prev[idx] & (s != NAT) & (s <= c.ts[idx]), s, p)
    d1 = _saved(p, c.ts[idx], calendar)
    d2 = _saved(c.ts[idx], c.ts[idx + 1], calendar)
    saved = np.zeros(n, dtype=np.int64)
    saved[idx + 1] = np.minimum(d1, d2)
    shift = _later_shift(c, saved)
    shift[idx + 1] = d1  # the second one starts when the first one starts
    moved_second = np.zeros(n, dtype=bool)
    moved_second[idx + 1] = True
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=moved_second)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    return _with_times(log.df, ts, start)
