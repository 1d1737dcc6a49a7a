"""Per-case inputs of :func:`procmine.compare.compare`: the group label of each case, its
exact variant id, and the directly-follows pairs with their case."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._validation import fail
from .calendar import Calendar
from .errors import ParameterError
from .log import EventLog

__all__: list[str] = []

_PERIODS = {"period:M": "M", "period:Q": "Q", "period:Y": "Y"}


def _case_labels(
    log: EventLog, by: Any, calendar: Calendar, case_start: np.ndarray
) -> tuple[str, np.ndarray]:
    """(description of ``by``, label per case as an object array, None/NaN = missing)."""
    first = log.codes.case_offsets[:-1]
    if callable(by):
        values = np.asarray(by(log.df), dtype=object)
        if len(values) != log.n_events:
            raise ParameterError(
                f"The callable given as 'by' to compare must return one label per event "
                f"({log.n_events:,}); it returned {len(values):,}."
            )
        return getattr(by, "__name__", "callable"), values[first]
    if not isinstance(by, str):
        raise fail("compare", "by", "a column name, 'period:M'/'period:Q'/'period:Y' or a callable", by)
    if by in _PERIODS:
        local = (
            pd.DatetimeIndex(case_start.view("datetime64[us]"))
            .tz_localize("UTC")
            .tz_convert(calendar.tz)
            .tz_localize(None)
        )
        return by, local.to_period(_PERIODS[by]).astype(str).to_numpy(dtype=object)
    col = log.column(by)  # also an original header mapped to a role ("Gemeinde" -> org:group)
    if col is None:
        raise ParameterError(
            f"The 'by' parameter of compare names column {by!r}, which the log does not have. "
            f"Columns: {list(log.df.columns)}; or use 'period:M', 'period:Q', 'period:Y' or a callable."
        )
    return by, log.df[col].to_numpy(dtype=object)[first]


def _variant_per_case(log: EventLog) -> np.ndarray:
    """An exact variant id per case (same activity sequence <=> same id)."""
    try:
        from .discovery import variant_codes
    except ImportError:  # pragma: no cover - discovery not available
        return _variant_ids(log)
    return np.asarray(variant_codes(log)[0], dtype=np.int64)


def _variant_ids(log: EventLog) -> np.ndarray:
    """Exact variant ids by extending prefix ids one position at a time (a trie level per
    position; each level is one vectorised factorize over the cases that long)."""
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
    try:
        from .discovery import dfg_arrays
    except ImportError:  # pragma: no cover - discovery not available
        c = log.codes
        idx = np.flatnonzero(c.case[1:] == c.case[:-1])
        return c.activity[idx], c.activity[idx + 1], c.case[idx]
    p = dfg_arrays(log)
    return p["src"], p["dst"], p["case"]
