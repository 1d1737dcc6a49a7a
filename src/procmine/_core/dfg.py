"""Directly-follows graph, variants and start/end activities on the integer codes of a log.

Everything here is vectorised numpy over :attr:`procmine.EventLog.codes`: no loop per
case or per event. The public functions are re-exported by :mod:`procmine.discovery`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .columns import ACTIVITY
from .event_times import _td_values, case_start_us, numpy_frame
from .kernels import NAT, group_stats

if TYPE_CHECKING:  # annotations only: the log imports this module
    from ..log import EventLog

__all__ = [
    "compute_dfg",
    "compute_variants",
    "dfg_arrays",
    "pair_wait_stats",
    "start_end_activities",
    "variant_codes",
]


# ---------------------------------------------------------------------------------------
# variants
# ---------------------------------------------------------------------------------------
def _case_positions(offsets: np.ndarray, n_events: int, case: np.ndarray | None = None) -> np.ndarray:
    """Position of each event within its case (0, 1, 2, ...); ``case``: the case code of
    each event, when known (a gather of the case starts is cheaper than repeating them)."""
    start = np.take(offsets[:-1], case) if case is not None else np.repeat(offsets[:-1], np.diff(offsets))
    return np.arange(n_events, dtype=np.int64) - start


def _variant_first_codes(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """(variant code per case, first case of each variant), codes in order of first appearance.

    Each case's activity sequence is hashed with a polynomial hash over uint64 (wrapping
    arithmetic); equal hashes are then *verified* event by event against the variant's
    first case, so a hash collision can never merge two different variants (on a
    collision the exact, sort-based method is used instead).
    """
    c = log.codes
    n_cases = c.n_cases
    n = len(c.activity)
    if n_cases == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    offsets = c.case_offsets
    sizes = np.diff(offsets)
    pos = _case_positions(offsets, n, c.case)
    max_len = int(sizes.max())
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(max_len, 0x9E3779B97F4A7C15, dtype=np.uint64), dtype=np.uint64)
        terms = (c.activity.astype(np.uint64) + np.uint64(1)) * powers[pos]
        h = np.add.reduceat(terms, offsets[:-1]) if n else np.zeros(0, np.uint64)
        # the length enters the hash too (a prefix never equals the whole)
        h ^= sizes.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    vcode, _uniq = pd.factorize(h, sort=False)
    vcode = vcode.astype(np.int64, copy=False)
    # codes appear in order 0, 1, 2, ...: a new code is where the running maximum grows
    top = np.maximum.accumulate(vcode)
    grows = np.empty(len(top), dtype=bool)
    grows[:1] = True
    np.greater(top[1:], top[:-1], out=grows[1:])
    first = np.flatnonzero(grows)
    # exact check: every case has the length and the activities of its variant's first case
    rep = first[vcode]
    ok = np.array_equal(sizes, sizes[rep])
    if ok:
        rep_event = np.take(offsets[rep], c.case) + pos
        ok = np.array_equal(c.activity, c.activity[rep_event])
    if not ok:  # pragma: no cover - 64-bit hash collision, astronomically rare
        return _variant_first_codes_exact(log)
    return vcode, first


def _variant_first_codes_exact(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Exact variant codes by sorting cases on their padded activity sequences."""
    c = log.codes
    offsets = c.case_offsets
    sizes = np.diff(offsets)
    n_cases = len(sizes)
    pos = _case_positions(offsets, len(c.activity))
    mat = np.full((n_cases, int(sizes.max())), -1, dtype=np.int32)
    mat[c.case, pos] = c.activity
    _, first_idx, inverse = np.unique(mat, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # renumber in order of first appearance
    order = np.argsort(first_idx, kind="stable")
    renum = np.empty_like(order)
    renum[order] = np.arange(len(order))
    return renum[inverse].astype(np.int64), first_idx[order].astype(np.int64)


def variant_codes(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each case's variant, and the number of cases per rank.

    Variants are ranked by case count, most frequent first; ties are broken by first
    appearance in the log. ``rank[i]`` is case ``i``'s variant (0 = most frequent) and
    ``counts[r]`` the number of cases of variant ``r``.

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": list("aabbc"), "concept:name": list("xyxyz"),
    ...     "time:timestamp": pd.to_datetime(range(5), unit="h", utc=True)})
    >>> rank, counts = variant_codes(pm.EventLog(df))
    >>> rank.tolist(), counts.tolist()
    ([0, 0, 1], [2, 1])
    """
    vcode, _first = _variant_first_codes(log)
    rank, counts, _order = _rank_variants(vcode)
    return rank, counts


def _rank_variants(vcode: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rank per case, cases per rank, variant code of each rank)."""
    counts = np.bincount(vcode) if len(vcode) else np.zeros(0, dtype=np.int64)
    order = np.argsort(-counts, kind="stable")  # codes are in order of first appearance
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(len(order))
    return rank_of[vcode], counts[order], order


def _case_durations_us(log: EventLog) -> np.ndarray:
    """Case durations in µs, as :meth:`EventLog.case_durations` (without building a Series)."""
    c = log.codes
    return c.ts[c.case_offsets[1:] - 1] - case_start_us(c)


def compute_variants(log: EventLog) -> pd.DataFrame:
    """Variants with their case count, share of cases and case durations.

    Returns
    -------
    pandas.DataFrame
        One row per variant, most frequent first (ties: first appearance): ``variant``
        (tuple of activity names), ``cases``, ``share`` (of all cases),
        ``median_duration`` and ``mean_duration`` (``Timedelta``, first to last event of
        the case, as :meth:`procmine.EventLog.case_durations`).

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": list("aabbc"), "concept:name": list("xyxyz"),
    ...     "time:timestamp": pd.to_datetime([0, 2, 0, 4, 0], unit="h", utc=True)})
    >>> v = compute_variants(pm.EventLog(df))
    >>> v[["variant", "cases"]].values.tolist()
    [[('x', 'y'), 2], [('z',), 1]]
    >>> str(v["median_duration"].iloc[0])
    '0 days 03:00:00'
    """
    c = log.codes
    cols = ["variant", "cases", "share", "median_duration", "mean_duration"]
    if c.n_cases == 0:
        out = pd.DataFrame({k: pd.Series([], dtype=object) for k in cols})
        out["cases"] = out["cases"].astype(np.int64)
        out["share"] = out["share"].astype(float)
        for k in cols[3:]:
            out[k] = pd.to_timedelta(out[k])
        return out
    vcode, first = _variant_first_codes(log)
    rank, counts, order = _rank_variants(vcode)
    offsets = c.case_offsets
    names = c.activity_names
    rep = first[order]
    # the representative cases' activities gathered in one go, then cut into tuples
    lens = np.diff(offsets)[rep]
    ends = np.cumsum(lens)
    idx = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(offsets[rep] - (ends - lens), lens)
    flat = names[c.activity[idx]].tolist()
    variants = [tuple(flat[a:b]) for a, b in zip((ends - lens).tolist(), ends.tolist(), strict=True)]
    dur = _case_durations_us(log)
    med, mean, _p90 = _group_stats(rank, dur, len(counts))
    vt = np.empty(len(variants), dtype=object)  # an object array of tuples (not a 2-d array)
    vt[:] = variants
    return numpy_frame(
        {
            "variant": vt,
            "cases": counts.astype(np.int64),
            "share": counts / c.n_cases,
            "median_duration": _td_values(med),
            "mean_duration": _td_values(mean),
        }
    )


# ---------------------------------------------------------------------------------------
# grouped statistics
# ---------------------------------------------------------------------------------------
def _group_stats(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Median, mean and 90th percentile of int64 ``values`` (none missing) per ``group``,
    rounded to whole microseconds; NaN for empty groups (see :func:`procmine._core.kernels.group_stats`)."""
    st = group_stats(group, values, n_groups, missing=False)
    return np.round(st["median"]), np.round(st["mean"]), np.round(st["p90"])


# ---------------------------------------------------------------------------------------
# directly-follows graph
# ---------------------------------------------------------------------------------------
def dfg_arrays(log: EventLog) -> dict[str, np.ndarray]:
    """The directly-follows pairs of a log as integer arrays (for other modules' kernels).

    Returns a dict with ``src``, ``dst`` (activity codes), ``case`` (case code),
    ``idx`` (row of the source event) and ``wait`` (µs from the source's completion to
    the target's start when start timestamps exist, else to the target's completion),
    one entry per pair of consecutive events of a case.
    """
    c = log.codes
    n = len(c.activity)
    if n < 2:
        e = np.zeros(0, dtype=np.int64)
        return {"src": e, "dst": e, "case": e, "idx": e, "wait": e}
    same = c.pairs.same
    # boolean compression of shifted views is cheaper than gathering by index
    return {
        "src": c.activity[:-1][same],
        "dst": c.activity[1:][same],
        "case": c.case[:-1][same],
        "idx": np.flatnonzero(same),
        "wait": _pair_waits(log),
    }


def _pair_waits(log: EventLog) -> np.ndarray:
    """µs from each pair's source completion to its target's start (completion when the
    target has no start time)."""
    c = log.codes
    same = c.pairs.same
    target_ts = c.ts[1:]
    if c.start_ts is not None:
        st = c.start_ts[1:]
        target_ts = np.where(st == NAT, target_ts, st)
    return np.compress(same, target_ts - c.ts[:-1])


def pair_wait_stats(log: EventLog) -> dict[str, np.ndarray]:
    """:func:`procmine._core.kernels.group_stats` of the directly-follows pairs' times
    (:func:`_pair_waits`) per edge (``LogCodes.pairs``), computed once per log (kept with its
    codes, read-only): the DFG's times, and the elapsed waits of a log without start times."""
    c = log.codes
    memo = getattr(c, "memo", None)
    if isinstance(memo, dict) and "pair_wait_stats" in memo:
        return memo["pair_wait_stats"]
    st = group_stats(c.pairs.edge, _pair_waits(log), len(c.pairs.keys), missing=False)
    for v in st.values():
        v.flags.writeable = False
    if isinstance(memo, dict):
        memo["pair_wait_stats"] = st
    return st


def compute_dfg(log: EventLog) -> pd.DataFrame:
    """The directly-follows graph: one row per pair of activities that follow each other.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``target`` (activity names), ``count`` (number of times the
        target directly follows the source in a case), ``cases`` (distinct cases with that
        pair), ``median``, ``mean`` and ``p90`` (``Timedelta``). The time of a pair runs
        from the *completion* of the source to the *completion* of the target; when the
        log has start timestamps, to the *start* of the target instead (the waiting time
        before it; events without a start time fall back to their completion). Sorted by
        ``count`` descending, then source and target name.

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": list("aabb"), "concept:name": list("xyxy"),
    ...     "time:timestamp": pd.to_datetime([0, 2, 0, 4], unit="h", utc=True)})
    >>> d = compute_dfg(pm.EventLog(df))
    >>> d[["source", "target", "count", "cases"]].values.tolist()
    [['x', 'y', 2, 2]]
    >>> str(d["median"].iloc[0])
    '0 days 03:00:00'
    """
    c = log.codes
    n_act = c.n_activities
    p = c.pairs  # edges, counts and distinct cases: shared with performance() and the map
    keys, counts, cases = p.keys, p.counts, p.cases
    st = pair_wait_stats(log)
    med, mean, p90 = st["median"], st["mean"], st["p90"]  # rounded to whole µs by _td_values
    names = c.activity_names
    # keys are sorted by (source code, target code) = by name; a stable sort keeps that for ties
    count = counts.astype(np.int64)
    order = np.argsort(-count, kind="stable")
    keys = keys[order]
    src = keys // max(n_act, 1)
    dst = keys % max(n_act, 1)
    return numpy_frame(
        {
            "source": names[src].astype(object, copy=False),
            "target": names[dst].astype(object, copy=False),
            "count": count[order],
            "cases": cases.astype(np.int64)[order],
            "median": _td_values(med[order]),
            "mean": _td_values(mean[order]),
            "p90": _td_values(p90[order]),
        }
    )


def start_end_activities(log: EventLog) -> tuple[pd.Series, pd.Series]:
    """Cases starting and ending with each activity, most frequent first.

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": list("aabb"), "concept:name": list("xyxz"),
    ...     "time:timestamp": pd.to_datetime([0, 2, 0, 4], unit="h", utc=True)})
    >>> start, end = start_end_activities(pm.EventLog(df))
    >>> start.to_dict(), end.to_dict()
    ({'x': 2}, {'y': 1, 'z': 1})
    """
    c = log.codes
    offsets = c.case_offsets

    def count(codes: np.ndarray, name: str) -> pd.Series:
        n = np.bincount(codes, minlength=c.n_activities)
        keep = np.flatnonzero(n)
        s = pd.Series(
            n[keep].astype(np.int64),
            index=pd.Index(c.activity_names[keep], name=ACTIVITY, dtype=object),
            name=name,
        )
        return s.iloc[np.argsort(-s.to_numpy(), kind="stable")]

    if c.n_cases == 0:
        empty = pd.Series([], dtype=np.int64, index=pd.Index([], name=ACTIVITY, dtype=object))
        return empty.rename("start cases"), empty.rename("end cases")
    return (
        count(c.activity[offsets[:-1]], "start cases"),
        count(c.activity[offsets[1:] - 1], "end cases"),
    )
