"""The key figures :func:`procmine.whatif.simplify` compares before and after."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._core.event_times import case_start_us
from ..log import GROUP, RESOURCE, EventLog

__all__: list[str] = []

_DURATION_KPIS = ("median_case_duration", "mean_case_duration", "p90_case_duration")
_WORKING_KPIS = ("median_case_working_time", "mean_case_working_time", "p90_case_working_time")


def kpis(log: EventLog, calendar: Any = None) -> dict[str, Any]:
    """The what-if KPIs of ``log`` (see the module docstring)."""
    c = log.codes
    n = c.n_cases
    dur = log.case_durations()
    out: dict[str, Any] = {
        "median_case_duration": _q(dur, 0.5),
        "mean_case_duration": dur.mean() if n else pd.Timedelta(0),
        "p90_case_duration": _q(dur, 0.9),
        "events_per_case": log.n_events / n if n else 0.0,
        "handovers_per_case": _handovers(log) / n if n else 0.0,
        "cases": n,
    }
    if calendar is not None and n:
        work = pd.Series(
            pd.to_timedelta(calendar.working_time(case_start_us(c), c.ts[c.case_offsets[1:] - 1]), unit="us")
        )
        out["median_case_working_time"] = _q(work, 0.5)
        out["mean_case_working_time"] = work.mean()
        out["p90_case_working_time"] = _q(work, 0.9)
    return out


def _q(s: pd.Series, q: float) -> pd.Timedelta:
    if len(s) == 0:
        return pd.Timedelta(0)
    us = np.quantile(s.to_numpy(dtype="timedelta64[us]").view(np.int64), q)
    return pd.Timedelta(round(float(us)), unit="us")


def _handovers(log: EventLog) -> int:
    df = log.df
    col = GROUP if GROUP in df.columns and df[GROUP].notna().any() else RESOURCE
    if col not in df.columns or log.n_events < 2:
        return 0
    s = df[col]
    nxt, prev = s.iloc[1:].reset_index(drop=True), s.iloc[:-1].reset_index(drop=True)
    changed = (
        nxt.ne(prev).fillna(False).to_numpy(dtype=bool) & nxt.notna().to_numpy() & prev.notna().to_numpy()
    )
    c = log.codes
    return int((changed & (c.case[1:] == c.case[:-1])).sum())
