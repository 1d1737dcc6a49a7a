"""Vectorised filters behind :meth:`procmine.EventLog.filter`.

Every filter works on the log's integer codes and returns a new log whose report
records what was removed, so that an analysis on a filtered log says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._core.notes import note
from ._core.validation import fail

if TYPE_CHECKING:
    from .log import EventLog

__all__ = ["apply_filters"]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _utc(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise fail("EventLog.filter", name, "a date or time", value) from exc
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _activity_codes(log: EventLog, names: Any, param: str) -> np.ndarray:
    names = _as_list(names)
    known = {n: i for i, n in enumerate(log.codes.activity_names)}
    unknown = [n for n in names if n not in known]
    if unknown and len(unknown) == len(names):
        raise fail("EventLog.filter", param, "names of activities of this log (see log.activities)", unknown[:3])
    return np.array([known[n] for n in names if n in known], dtype=np.int32)


def _case_mask_to_events(log: EventLog, case_keep: np.ndarray) -> np.ndarray:
    return case_keep[log.codes.case]


def apply_filters(
    log: EventLog,
    *,
    start: Any,
    end: Any,
    mode: str,
    activities: Any,
    exclude_activities: Any,
    variants_coverage: float | None,
    case_attributes: dict[str, Any] | None,
    through: Any,
    cases: Any,
) -> EventLog:
    """Apply the filters in a fixed order (cases first, then events) and record each."""
    out = log
    if cases is not None:
        wanted = pd.Index(_as_list(cases)).astype(str)
        keep = pd.Index(out.codes.case_ids).isin(wanted)
        out = _take(out, _case_mask_to_events(out, keep), note("cases: {n:,} listed", n=len(wanted)))
    if case_attributes:
        for name, values in case_attributes.items():
            column = out.column(name)  # an original header is mapped to its role's column
            if column is None:
                raise fail("EventLog.filter", "case_attributes",
                           f"a dict whose keys are columns of this log ({list(out.df.columns)[:12]})", name)
            vals = _as_list(values)
            first = out.df[column].to_numpy()[out.codes.case_offsets[:-1]]
            keep = pd.Series(first).isin(vals).to_numpy()
            out = _take(out, _case_mask_to_events(out, keep), note("case attribute {column} in {values!r}", column=column, values=vals))
    if through is not None:
        codes = _activity_codes(out, through, "through")
        hit = np.isin(out.codes.activity, codes)
        keep = np.zeros(out.n_cases, dtype=bool)
        keep[out.codes.case[hit]] = True
        out = _take(out, _case_mask_to_events(out, keep), note("cases through {activities!r}", activities=_as_list(through)))
    if start is not None or end is not None:
        ts = out.codes.ts
        lo = _utc(start, "start").value // 1000 if start is not None else np.iinfo(np.int64).min
        hi = _utc(end, "end").value // 1000 if end is not None else np.iinfo(np.int64).max
        inside = (ts >= lo) & (ts <= hi)
        if mode == "events":
            mask = inside
        else:
            per_case = np.add.reduceat(inside.astype(np.int64), out.codes.case_offsets[:-1]) if out.n_events else np.array([], dtype=np.int64)
            sizes = np.diff(out.codes.case_offsets)
            keep = per_case == sizes if mode == "contained" else per_case > 0
            mask = _case_mask_to_events(out, keep)
        out = _take(out, mask, note("time window {start} – {end} ({mode})", start=str(start), end=str(end), mode=mode))
    if activities is not None:
        codes = _activity_codes(out, activities, "activities")
        out = _take(out, np.isin(out.codes.activity, codes), note("activities kept: {activities!r}", activities=_as_list(activities)))
    if exclude_activities is not None:
        codes = _activity_codes(out, exclude_activities, "exclude_activities")
        out = _take(out, ~np.isin(out.codes.activity, codes), note("activities removed: {activities!r}", activities=_as_list(exclude_activities)))
    if variants_coverage is not None:
        from ._core.dfg import variant_codes

        vcode, order_counts = variant_codes(out)
        # order_counts: cases per variant code, most frequent first (variant codes are ranked)
        cum = np.cumsum(order_counts) / max(out.n_cases, 1)
        n_keep = int(np.searchsorted(cum, variants_coverage - 1e-12) + 1) if len(cum) else 0
        keep = vcode < n_keep
        out = _take(
            out, _case_mask_to_events(out, keep),
            note("most frequent {n:,} variant(s) covering {share:.0%} of cases", n=n_keep, share=variants_coverage),
        )
    return out


def _take(log: EventLog, mask: np.ndarray, description: str) -> EventLog:
    if mask.all():
        return log._derive(log.df, description)
    return log._derive(log.df.loc[mask].reset_index(drop=True), description)

