"""Pairing lifecycle ``start`` and ``complete`` events into one event with a start time.

Within a case and an activity, events are ordered by time (a start before a complete at
the same instant, then file order). Each ``complete`` is paired with the oldest
``start`` still open (first in, first out); a ``complete`` with no open start stays
unpaired. A pair becomes one event: the ``complete`` row, with ``start_timestamp`` = the
start's time (its other attributes are the complete's). What is not paired is kept as
a point event whose ``start_timestamp`` equals its own time: unpaired starts, unpaired
completes and other transitions (``schedule``, ``assign``...). The report counts the
merged starts as dropped rows (reason ``"start merged into its complete"``, so that
``rows_read == rows_kept + dropped`` holds) and the unpaired ones in its warnings.

Everything is vectorised: one sort and a few cumulative sums, no loop per event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..log import ACTIVITY, CASE, LIFECYCLE, START, TIMESTAMP, TS_DTYPE, IngestReport

__all__ = ["MERGED", "match_fifo", "pair_lifecycle"]

MERGED = "start merged into its complete"


def _blank(s: pd.Series) -> np.ndarray:
    mask = s.isna().to_numpy()
    stripped = s.astype("str").str.strip()
    return mask | (stripped == "").fillna(True).to_numpy(dtype=bool)


def match_fifo(group: np.ndarray, is_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FIFO matching of starts and completes, rows already sorted by (group, time).

    Returns the positions of the matched starts and of their completes, aligned.

    Examples
    --------
    >>> g = np.array([0, 0, 0, 0, 0])
    >>> s = np.array([False, True, True, False, False])  # C S S C C
    >>> match_fifo(g, s)
    (array([1, 2]), array([3, 4]))
    """
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    step = np.where(is_start, 1, -1).astype(np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = group[1:] != group[:-1]
    gid = np.cumsum(new) - 1
    csum = np.cumsum(step)
    base = (csum - step)[new]  # running sum before each group
    s = csum - base[gid]
    k = 2 * n + 2
    running_min = np.minimum.accumulate(s - gid * k) + gid * k  # per-group cumulative min
    pending_after = s - np.minimum(running_min, 0)
    pending_before = np.concatenate(([0], pending_after[:-1]))
    pending_before[new] = 0
    matched_complete = ~is_start & (pending_before > 0)
    # the starts left open at the end of a group are its last ones (FIFO consumes the oldest)
    ends = np.concatenate((np.flatnonzero(new)[1:], [n])) - 1
    left_open = pending_after[ends]
    n_starts = np.bincount(gid, weights=is_start, minlength=len(ends)).astype(np.int64)
    starts_so_far = np.cumsum(is_start)
    starts_before_group = (starts_so_far - is_start)[new]
    rank_in_group = starts_so_far - 1 - starts_before_group[gid]
    matched_start = is_start & (rank_in_group < (n_starts - left_open)[gid])
    return np.flatnonzero(matched_start), np.flatnonzero(matched_complete)


def pair_lifecycle(
    df: pd.DataFrame, row_numbers: np.ndarray, extra: dict[str, np.ndarray], report: IngestReport
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Merge start/complete pairs of ``df`` (see the module documentation)."""
    if LIFECYCLE not in df.columns:
        report.warnings.append(
            "pair_lifecycle: the log has no lifecycle:transition attribute; nothing paired"
        )
        return df, row_numbers, extra
    if START in df.columns:
        report.warnings.append("pair_lifecycle: the log already has start_timestamp; nothing paired")
        return df, row_numbers, extra
    n = len(df)
    valid = ~_blank(df[CASE]) & ~_blank(df[ACTIVITY]) & df[TIMESTAMP].notna().to_numpy()
    for mask in extra.values():
        valid &= ~mask
    lc = df[LIFECYCLE].astype("str").str.strip().str.lower()
    is_start = valid & (lc == "start").fillna(False).to_numpy(dtype=bool)
    is_complete = valid & (lc == "complete").fillna(False).to_numpy(dtype=bool)
    cand = np.flatnonzero(is_start | is_complete)
    ts = df[TIMESTAMP].astype(TS_DTYPE).to_numpy(dtype="datetime64[us]").view("int64")
    start_ts = df[TIMESTAMP].astype(TS_DTYPE).copy()

    case_codes = pd.factorize(df[CASE].iloc[cand])[0]
    act_codes = pd.factorize(df[ACTIVITY].iloc[cand])[0]
    sub_start = is_start[cand]
    order = np.lexsort((cand, ~sub_start, ts[cand], act_codes, case_codes))
    rows = cand[order]
    group = case_codes[order].astype(np.int64) * (int(act_codes.max(initial=0)) + 1) + act_codes[order]
    ms, mc = match_fifo(group, sub_start[order])
    start_rows, complete_rows = rows[ms], rows[mc]
    start_ts.iloc[complete_rows] = df[TIMESTAMP].iloc[start_rows].to_numpy()

    out = df.assign(**{START: start_ts})
    keep = np.ones(n, dtype=bool)
    keep[start_rows] = False
    n_pairs = len(start_rows)
    unpaired_starts = int(is_start.sum()) - n_pairs
    unpaired_completes = int(is_complete.sum()) - n_pairs
    others = int((valid & ~is_start & ~is_complete).sum())
    report.formats["lifecycle_pairs"] = n_pairs
    if n_pairs:
        report.dropped[MERGED] = report.dropped.get(MERGED, 0) + n_pairs
        report.dropped_rows.setdefault(MERGED, []).extend(int(r) for r in row_numbers[start_rows[:5]])
    if unpaired_starts:
        report.warnings.append(
            f"pair_lifecycle: {unpaired_starts:,} start event(s) without a later complete "
            "kept as point events (start = completion = their time)"
        )
    if unpaired_completes:
        report.warnings.append(
            f"pair_lifecycle: {unpaired_completes:,} complete event(s) without an open "
            "start kept with start_timestamp = their own time"
        )
    if others:
        report.warnings.append(
            f"pair_lifecycle: {others:,} event(s) with other transitions (schedule, "
            "suspend, ...) kept as point events"
        )
    out = out.loc[keep].reset_index(drop=True)
    return out, row_numbers[keep], {k: v[keep] for k, v in extra.items()}
