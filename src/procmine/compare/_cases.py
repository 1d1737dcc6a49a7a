"""Per-case inputs of :func:`procmine.compare.compare`: the group label of each case, its
exact variant id, and the directly-follows pairs with their case."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from .._core.validation import fail
from ..calendar import Calendar
from ..log import EventLog

__all__: list[str] = []

_PERIODS = {"period:M": "M", "period:Q": "Q", "period:Y": "Y"}


#: how cases are assigned to groups (``Comparison.assignment``)
FIRST_EVENT = "first event"
CASE_ATTRIBUTE = "case attribute"
MOST_WORK = "most working time"


def _case_labels(
    log: EventLog, by: Any, calendar: Calendar, case_start: np.ndarray, times: Any = None
) -> tuple[str, np.ndarray, str]:
    """(description of ``by``, label per case as an object array (None/NaN = missing), how
    cases were assigned: :data:`CASE_ATTRIBUTE`, :data:`FIRST_EVENT` or :data:`MOST_WORK`)."""
    first = log.codes.case_offsets[:-1]
    if callable(by):
        values = np.asarray(by(log.df), dtype=object)
        if len(values) != log.n_events:
            raise fail("compare", "by", f"a callable that returns one label per event ({log.n_events:,})",
                       f"{len(values):,} labels")
        return getattr(by, "__name__", "callable"), values[first], FIRST_EVENT
    if not isinstance(by, str):
        raise fail("compare", "by", "a column name, 'period:M'/'period:Q'/'period:Y' or a callable", by)
    if by in _PERIODS:
        local = (
            pd.DatetimeIndex(case_start.view("datetime64[us]"))
            .tz_localize("UTC")
            .tz_convert(calendar.tz)
            .tz_localize(None)
        )
        return by, local.to_period(_PERIODS[by]).astype(str).to_numpy(dtype=object), CASE_ATTRIBUTE
    col = log.column(by)  # also an original header mapped to a role ("Gemeinde" -> org:group)
    if col is None:
        raise fail("compare", "by", f"a column of the log ({list(log.df.columns)}), 'period:M', 'period:Q', "
                   "'period:Y' or a callable", by)
    return (by, *_owner_labels(log, log.df[col], calendar, times))


def _owner_labels(log: EventLog, values: pd.Series, calendar: Calendar, times: Any) -> tuple[np.ndarray, str]:
    """Label per case of an event column: its value when constant within every case (a case
    attribute); for an event-level column (``org:group``: several units work on a case) the
    unit that spent the most working time on the case: processing time where start times
    are known, else the time from the previous completion to the event's completion; ties
    go to the unit with more elapsed time, then to the unit that came first. Events without
    a value do not count."""
    c = log.codes
    first = c.case_offsets[:-1]
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    nxt = np.flatnonzero(c.case[1:] == c.case[:-1])
    varies = bool(np.any((codes[nxt] != codes[nxt + 1]) & (codes[nxt] >= 0) & (codes[nxt + 1] >= 0)))
    names = np.asarray(uniq, dtype=object)
    if not varies or c.n_cases == 0:
        return values.to_numpy(dtype=object)[first], CASE_ATTRIBUTE if not varies else FIRST_EVENT
    if times is None:
        from .._core.event_times import event_times

        times = event_times(log, calendar)

    def measured(proc: np.ndarray, before: np.ndarray) -> np.ndarray:
        w = np.where(proc != NAT, proc, before) if times.has_start else before
        return np.where(w == NAT, 0, w).astype(np.float64)

    work = measured(times.proc, times.delta)
    # elapsed time breaks ties: work done outside office hours is 0 working time
    work_elapsed = measured(times.proc_elapsed, np.where(times.first, 0, times.wait_elapsed))
    ok = codes >= 0
    n_u = max(len(names), 1)
    key = c.case[ok].astype(np.int64) * n_u + codes[ok]
    pairs, first_row, inv = np.unique(key, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    sums = np.bincount(inv, weights=work[ok], minlength=len(pairs))
    sums_elapsed = np.bincount(inv, weights=work_elapsed[ok], minlength=len(pairs))
    pair_case = pairs // n_u
    # per case: most working time, then most elapsed time, then the unit seen first
    order = np.lexsort((first_row, -sums_elapsed, -sums, pair_case))
    best = order[np.r_[True, pair_case[order][1:] != pair_case[order][:-1]]]
    out = np.full(c.n_cases, None, dtype=object)
    out[pair_case[best]] = names[pairs[best] % n_u]
    return out, MOST_WORK


def _variant_per_case(log: EventLog) -> np.ndarray:
    """An exact variant id per case (same activity sequence <=> same id)."""
    from ..discovery import variant_codes

    return np.asarray(variant_codes(log)[0], dtype=np.int64)


def _variant_ids(log: EventLog) -> np.ndarray:
    """Exact variant ids by extending prefix ids one position at a time (a trie level per
    position; each level is one vectorised factorize over the cases that long).

    Not used by :func:`procmine.compare` (which takes discovery's variant codes): kept as an
    independent implementation the tests check discovery's variants against."""
    c = log.codes
    sizes = np.diff(c.case_offsets)
    node = np.zeros(c.n_cases, dtype=np.int64)
    if c.n_cases == 0:
        return node
    pos = np.arange(len(c.activity)) - np.repeat(c.case_offsets[:-1], sizes)
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(int(sizes.max()) + 1))
    n_act = c.n_activities + 1
    for p in range(int(sizes.max())):
        ev = order[bounds[p] : bounds[p + 1]]
        cs = c.case[ev]
        node[cs] = pd.factorize(node[cs] * n_act + c.activity[ev])[0]
    return pd.factorize(node * (int(sizes.max()) + 1) + sizes)[0].astype(np.int64)


def _dfg_pairs(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, case) codes of every directly-follows pair."""
    from ..discovery import dfg_arrays

    p = dfg_arrays(log)
    return p["src"], p["dst"], p["case"]
