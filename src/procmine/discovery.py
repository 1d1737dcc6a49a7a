"""Discovery: directly-follows graph, variants, start/end activities and process models.

The tables (:func:`compute_dfg`, :func:`compute_variants`, :func:`variant_codes`,
:func:`start_end_activities`) are computed on the integer codes of the log
(:attr:`procmine.EventLog.codes`) with vectorised numpy: no loop per case or per event.
:func:`discover` bundles them in a lazy :class:`ProcessModel` that also mines a BPMN /
Petri net with pm4py (through :mod:`procmine._pm4py`) on demand.
"""

from __future__ import annotations

import html
import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_choice, check_fraction, fail
from .errors import ProcmineError
from .log import ACTIVITY, EventLog

__all__ = [
    "variant_codes",
    "compute_variants",
    "compute_dfg",
    "start_end_activities",
    "dfg_arrays",
    "discover",
    "ProcessModel",
]

logger = logging.getLogger("procmine")

_US = "us"


# ---------------------------------------------------------------------------------------
# variants
# ---------------------------------------------------------------------------------------
def _case_positions(offsets: np.ndarray, n_events: int) -> np.ndarray:
    """Position of each event within its case (0, 1, 2, ...)."""
    sizes = np.diff(offsets)
    return np.arange(n_events, dtype=np.int64) - np.repeat(offsets[:-1], sizes)


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
    pos = _case_positions(offsets, n)
    max_len = int(sizes.max())
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(max_len, 0x9E3779B97F4A7C15, dtype=np.uint64), dtype=np.uint64)
        terms = (c.activity.astype(np.uint64) + np.uint64(1)) * powers[pos]
        h = np.add.reduceat(terms, offsets[:-1]) if n else np.zeros(0, np.uint64)
        # the length enters the hash too (a prefix never equals the whole)
        h ^= sizes.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    vcode, uniq = pd.factorize(h, sort=False)
    vcode = vcode.astype(np.int64, copy=False)
    # codes appear in order 0, 1, 2, ...: a new code is where the running maximum grows
    first = np.flatnonzero(np.diff(np.maximum.accumulate(vcode), prepend=-1) > 0)
    # exact check: every case has the length and the activities of its variant's first case
    rep = first[vcode]
    ok = np.array_equal(sizes, sizes[rep])
    if ok:
        rep_event = np.repeat(offsets[rep], sizes) + pos
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
    first = c.case_offsets[:-1]
    start = c.ts[first]
    if c.start_ts is not None:
        s0 = np.where(c.start_ts == np.iinfo(np.int64).min, np.iinfo(np.int64).max, c.start_ts)
        start = np.minimum(start, np.minimum.reduceat(s0, first))
    return c.ts[c.case_offsets[1:] - 1] - start


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
    variants = [tuple(names[c.activity[offsets[r]:offsets[r + 1]]].tolist()) for r in rep]
    dur = _case_durations_us(log)
    med, mean, _p90 = _group_stats(rank, dur, len(counts))
    return pd.DataFrame(
        {
            "variant": pd.Series(variants, dtype=object),
            "cases": counts.astype(np.int64),
            "share": counts / c.n_cases,
            "median_duration": pd.to_timedelta(med, unit=_US),
            "mean_duration": pd.to_timedelta(mean, unit=_US),
        }
    )


# ---------------------------------------------------------------------------------------
# grouped statistics
# ---------------------------------------------------------------------------------------
def _group_stats(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Median, mean and 90th percentile of int64 ``values`` per ``group`` (0..n_groups-1).

    Percentiles use linear interpolation, as ``numpy.percentile``'s default. Values are
    rounded to whole microseconds. Empty groups give NaN.
    """
    if len(values) == 0:
        nan = np.full(n_groups, np.nan)
        return nan, nan.copy(), nan.copy()
    sv = _sorted_within_groups(group, values, n_groups)
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sums = np.bincount(group, weights=values.astype(np.float64), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.round(sums / sizes)
    out = [mean]
    for q in (0.5, 0.9):
        pos = (sizes - 1) * q
        lo = np.floor(pos).astype(np.int64)
        frac = pos - lo
        lo_idx = np.clip(starts + lo, 0, len(sv) - 1)
        hi_idx = np.clip(starts + np.minimum(lo + 1, sizes - 1), 0, len(sv) - 1)
        val = sv[lo_idx] + (sv[hi_idx] - sv[lo_idx]) * frac
        out.append(np.where(sizes > 0, np.round(val), np.nan))
    return out[1], out[0], out[2]


def _sorted_within_groups(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """``values`` (int64) sorted by (group, value), as float64.

    When the group code and the value range fit together in 63 bits (almost always:
    10 years in microseconds take 49 bits), one SIMD ``np.sort`` of combined keys does it;
    otherwise a ``lexsort``.
    """
    lo = int(values.min())
    span = int(values.max()) - lo
    gbits = max(int(n_groups - 1).bit_length(), 1)
    vbits = max(span.bit_length(), 1)
    if gbits + vbits <= 63:
        comb = (group.astype(np.int64) << vbits) | (values - lo)
        comb.sort()
        return ((comb & ((1 << vbits) - 1)) + lo).astype(np.float64)
    order = np.lexsort((values, group))
    return values[order].astype(np.float64)


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
    same = c.case[1:] == c.case[:-1]
    idx = np.flatnonzero(same)
    nxt = idx + 1
    target_ts = c.ts[nxt]
    if c.start_ts is not None:
        st = c.start_ts[nxt]
        target_ts = np.where(st == np.iinfo(np.int64).min, target_ts, st)
    return {
        "src": c.activity[idx],
        "dst": c.activity[nxt],
        "case": c.case[idx],
        "idx": idx,
        "wait": target_ts - c.ts[idx],
    }


def _distinct_per_group(group: np.ndarray, item: np.ndarray, n_groups: int, n_items: int) -> np.ndarray:
    """Number of distinct ``item`` values (0..n_items-1) per group, by one sort."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    comb = group.astype(np.int64) * max(n_items, 1) + item
    comb.sort()
    new = np.empty(len(comb), dtype=bool)
    new[0] = True
    np.not_equal(comb[1:], comb[:-1], out=new[1:])
    return np.bincount(comb[new] // max(n_items, 1), minlength=n_groups)


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
    p = dfg_arrays(log)
    key = p["src"].astype(np.int64) * n_act + p["dst"]
    if n_act * n_act <= 4 * max(len(key), 1) + 1_000_000:
        counts_full = np.bincount(key, minlength=n_act * n_act)
        keys = np.flatnonzero(counts_full)
        lookup = np.full(n_act * n_act, -1, dtype=np.int64)
        lookup[keys] = np.arange(len(keys))
        grp = lookup[key]
        counts = counts_full[keys]
    else:
        keys, grp, counts = np.unique(key, return_inverse=True, return_counts=True)
    n_edges = len(keys)
    # distinct cases per edge: unique (case, edge) pairs
    cases = _distinct_per_group(grp, p["case"], n_edges, c.n_cases)
    med, mean, p90 = _group_stats(grp, p["wait"], n_edges)
    names = c.activity_names
    src = keys // max(n_act, 1)
    dst = keys % max(n_act, 1)
    out = pd.DataFrame(
        {
            "source": pd.Series(names[src], dtype=object),
            "target": pd.Series(names[dst], dtype=object),
            "count": counts.astype(np.int64),
            "cases": cases.astype(np.int64),
            "median": pd.to_timedelta(med, unit=_US),
            "mean": pd.to_timedelta(mean, unit=_US),
            "p90": pd.to_timedelta(p90, unit=_US),
        }
    )
    # keys are sorted by (source code, target code) = by name; a stable sort keeps that for ties
    order = np.argsort(-out["count"].to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


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
        s = pd.Series(n[keep].astype(np.int64), index=pd.Index(c.activity_names[keep], name=ACTIVITY, dtype=object), name=name)
        return s.iloc[np.argsort(-s.to_numpy(), kind="stable")]

    if c.n_cases == 0:
        empty = pd.Series([], dtype=np.int64, index=pd.Index([], name=ACTIVITY, dtype=object))
        return empty.rename("start cases"), empty.rename("end cases")
    return (
        count(c.activity[offsets[:-1]], "start cases"),
        count(c.activity[offsets[1:] - 1], "end cases"),
    )


# ---------------------------------------------------------------------------------------
# the process model
# ---------------------------------------------------------------------------------------
_DEFAULT_ACTIVITY_SHARE = 0.9
_DEFAULT_VARIANT_SHARE = 0.8
_MAX_MINER_ACTIVITIES = 40


def _select_activities(log: EventLog, activities: Any, min_case_share: float) -> tuple[list[str], str]:
    """The activities the miner sees, and how they were chosen (for ``pruning``)."""
    counts = log.activities  # events per activity, most frequent first
    names = counts.index.tolist()
    if activities is not None and not isinstance(activities, (int, float)):
        wanted = [str(a) for a in (activities if not isinstance(activities, str) else [activities])]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise fail("discover", "activities", f"activity names of the log (unknown: {unknown[:5]})", activities)
        return [a for a in names if a in set(wanted)], "given by the caller"
    if min_case_share > 0:
        c = log.codes
        pairs = np.unique(c.case.astype(np.int64) * c.n_activities + c.activity)
        in_cases = np.bincount(pairs % c.n_activities, minlength=c.n_activities) / max(c.n_cases, 1)
        frequent = set(c.activity_names[in_cases >= min_case_share].tolist())
        names = [a for a in names if a in frequent]
        counts = counts.loc[names]
    if isinstance(activities, int) and not isinstance(activities, bool):
        return names[:activities], f"the {activities} most frequent"
    share = _DEFAULT_ACTIVITY_SHARE if activities is None else float(activities)
    cum = np.cumsum(counts.to_numpy()) / max(int(log.activities.sum()), 1)
    n = int(np.searchsorted(cum, share - 1e-12) + 1) if len(cum) else 0
    how = f"most frequent covering {share:.0%} of events"
    if activities is None and n > _MAX_MINER_ACTIVITIES:
        n = _MAX_MINER_ACTIVITIES
        how += f", capped at {_MAX_MINER_ACTIVITIES}"
    return names[:n], how


class ProcessModel:
    """What :func:`discover` found: DFG, variants, start/end activities and a mined model.

    Each view is computed on first access and cached. ``dfg``, ``variants``,
    ``start_activities`` and ``end_activities`` describe the *whole* log; ``petri_net``
    and ``bpmn`` are mined on the activities and variants that carry most of the cases,
    as recorded in :attr:`pruning`.

    Examples
    --------
    >>> import procmine as pm
    >>> model = pm.discover(pm.samples.load("permit_de"))
    >>> model.dfg.columns.tolist()
    ['source', 'target', 'count', 'cases', 'median', 'mean', 'p90']
    >>> int(model.variants["cases"].sum()) == model.log.n_cases
    True
    """

    def __init__(
        self,
        log: EventLog,
        *,
        algorithm: str,
        noise: float,
        min_case_share: float,
        activities: Any,
        variants: Any,
    ) -> None:
        self.log = log
        self.algorithm = algorithm
        self.noise = noise
        self.min_case_share = min_case_share
        self._activities_arg = activities
        self._variants_arg = variants

    # -- tables of the whole log ---------------------------------------------------------
    @cached_property
    def dfg(self) -> pd.DataFrame:
        """Directly-follows edges of the whole log (see :func:`compute_dfg`)."""
        return compute_dfg(self.log)

    @cached_property
    def variants(self) -> pd.DataFrame:
        """Variants of the whole log (see :func:`compute_variants`)."""
        return compute_variants(self.log)

    @cached_property
    def _start_end(self) -> tuple[pd.Series, pd.Series]:
        return start_end_activities(self.log)

    @property
    def start_activities(self) -> pd.Series:
        """Cases starting with each activity."""
        return self._start_end[0]

    @property
    def end_activities(self) -> pd.Series:
        """Cases ending with each activity."""
        return self._start_end[1]

    def variants_covering(self, share: float) -> pd.DataFrame:
        """The most frequent variants that together cover ``share`` of the cases."""
        share = check_fraction("ProcessModel.variants_covering", "share", share)
        v = self.variants
        cum = v["share"].cumsum().to_numpy()
        n = int(np.searchsorted(cum, share - 1e-12) + 1) if len(cum) else 0
        return v.head(n)

    # -- the mined model ----------------------------------------------------------------------
    @cached_property
    def mined_log(self) -> EventLog:
        """The part of the log the miner sees (see :attr:`pruning`)."""
        return self._pruned[0]

    @cached_property
    def pruning(self) -> dict[str, Any]:
        """What the mined model leaves out: activities, variants, events and cases kept."""
        return self._pruned[1]

    @cached_property
    def _pruned(self) -> tuple[EventLog, dict[str, Any]]:
        log = self.log
        kept, how = _select_activities(log, self._activities_arg, self.min_case_share)
        all_acts = log.activities
        projected = log if len(kept) == len(all_acts) else log.filter(activities=kept)
        v_arg = self._variants_arg
        n_var_total = len(variant_codes(projected)[1]) if projected.n_events else 0
        if isinstance(v_arg, int) and not isinstance(v_arg, bool):
            rank, counts = variant_codes(projected)
            keep_cases = rank < v_arg
            mined = projected.filter(cases=list(projected.codes.case_ids[keep_cases]))
            v_how = f"the {v_arg} most frequent"
        else:
            share = _DEFAULT_VARIANT_SHARE if v_arg is None else float(v_arg)
            mined = projected if share >= 1 else projected.filter(variants_coverage=share)
            v_how = f"most frequent covering {share:.0%} of cases"
        n_var_kept = len(variant_codes(mined)[1]) if mined.n_events else 0
        pruning = {
            "activities_kept": len(kept),
            "activities_total": len(all_acts),
            "activities_rule": how,
            "activities_left_out": [a for a in all_acts.index if a not in set(kept)],
            "events_kept": mined.n_events,
            "events_total": log.n_events,
            "variants_kept": n_var_kept,
            "variants_total": n_var_total,
            "variants_rule": v_how + " (after leaving out activities)",
            "cases_kept": mined.n_cases,
            "cases_total": log.n_cases,
        }
        return mined, pruning

    @cached_property
    def petri_net(self) -> tuple[Any, Any, Any]:
        """``(net, initial_marking, final_marking)`` mined by pm4py on :attr:`mined_log`."""
        from . import _pm4py

        if self.mined_log.n_events == 0:
            raise ProcmineError("no events left to mine a model from: relax the activities/variants pruning")
        return _pm4py.discover_petri_net(_pm4py.frame(self.mined_log), algorithm=self.algorithm, noise=self.noise)

    @cached_property
    def bpmn(self) -> Any:
        """The mined model as a pm4py BPMN graph."""
        from . import _pm4py

        return _pm4py.petri_to_bpmn(*self.petri_net)

    def fitness(self, *, method: str = "token", timeout: float = 60.0, on: str = "mined") -> dict[str, Any]:
        """How much of the log the mined model can replay.

        Parameters
        ----------
        method
            ``"token"`` (token-based replay, fast) or ``"alignments"`` (exact but can
            take hours on large logs: limited by ``timeout``).
        timeout
            Seconds for alignments (pm4py's ``max_align_time``); unaligned traces count as unfit.
        on
            ``"mined"`` replays the log the model was mined on (:attr:`mined_log`),
            ``"full"`` the whole log (activities left out of the model then count as deviations).

        Returns
        -------
        dict
            pm4py's figures (``log_fitness``, ``average_trace_fitness``, the share of
            fitting traces) plus ``summary`` (one readable sentence), ``method`` and ``on``.
        """
        from . import _pm4py

        check_choice("ProcessModel.fitness", "method", method, ("token", "alignments"))
        check_choice("ProcessModel.fitness", "on", on, ("mined", "full"))
        target = self.mined_log if on == "mined" else self.log
        df = _pm4py.frame(target)
        if method == "token":
            res = dict(_pm4py.fitness_token_based(df, *self.petri_net))
        else:
            if not isinstance(timeout, (int, float)) or timeout <= 0:
                raise fail("ProcessModel.fitness", "timeout", "a positive number of seconds", timeout)
            res = dict(_pm4py.fitness_alignments(df, *self.petri_net, timeout=timeout))
        fit = res.get("perc_fit_traces", res.get("percentage_of_fitting_traces", float("nan")))
        res["summary"] = (
            f"{fit:.1f}% of the {target.n_cases:,} cases fit the model completely; "
            f"log fitness {res.get('log_fitness', float('nan')):.3f} ({method} replay on the {on} log)"
        )
        res["method"], res["on"] = method, on
        return res

    def precision(self, *, on: str = "mined") -> float:
        """ETConformance precision (token-based, pm4py): 1 = the model allows nothing the log does not show."""
        from . import _pm4py

        check_choice("ProcessModel.precision", "on", on, ("mined", "full"))
        target = self.mined_log if on == "mined" else self.log
        return _pm4py.precision_token_based(_pm4py.frame(target), *self.petri_net)

    # -- output ----------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The directly-follows graph (a copy)."""
        return self.dfg.copy()

    def plot(self, ax: Any = None, *, metric: str = "frequency", activities: float | None = None,
             paths: float | None = None) -> Any:
        """The process map: a :class:`procmine.viz.ProcessMap` (SVG), or drawn on ``ax``.

        See :func:`procmine.viz.process_map` for ``metric``, ``activities`` and ``paths``.
        With ``ax`` the map is drawn with matplotlib and the axes are returned.
        """
        from . import viz

        kw = dict(metric=metric, activities=activities, paths=paths, model=self)
        if ax is not None:
            return viz.draw_map(self.log, ax=ax, **kw)
        return viz.process_map(self.log, **kw)

    def to_svg(self, path: str | Path, **kwargs: Any) -> Path:
        """Write the process map (see :meth:`plot`) as an SVG file."""
        return self.plot(**kwargs).save(path)

    def to_bpmn(self, path: str | Path) -> Path:
        """Write the mined model as BPMN 2.0 XML with diagram layout (BPMN DI).

        The file opens with a layout in BPMN tools (Camunda Modeler, bpmn.io) and is
        read back by ``pm4py.read_bpmn``.
        """
        from . import _pm4py

        return _pm4py.write_bpmn(self.bpmn, path)

    def __repr__(self) -> str:
        dfg = self.__dict__.get("dfg")
        var = self.__dict__.get("variants")
        parts = [f"{self.log.codes.n_activities:,} activities", f"{self.log.n_cases:,} cases"]
        if dfg is not None:
            parts.append(f"{len(dfg):,} edges")
        if var is not None:
            parts.append(f"{len(var):,} variants")
        text = f"<ProcessModel of {self.log.name!r}: " + ", ".join(parts) + f"; {self.algorithm} miner, noise {self.noise:g}"
        if "_pruned" in self.__dict__:
            p = self.pruning
            text += (
                f"; mined on {p['activities_kept']}/{p['activities_total']} activities, "
                f"{p['variants_kept']:,}/{p['variants_total']:,} variants, "
                f"{p['cases_kept']:,}/{p['cases_total']:,} cases"
            )
        return text + ">"

    def _repr_html_(self) -> str:
        from . import viz

        try:
            svg = self.plot().svg
        except Exception as exc:  # display must never raise in a notebook
            logger.warning("process map could not be drawn: %s", exc)
            svg = ""
        top = self.variants.head(5)
        rows = "".join(
            f"<tr><td>{html.escape(' → '.join(map(str, v)))}</td><td>{n:,}</td><td>{s:.1%}</td></tr>"
            for v, n, s in zip(top["variant"], top["cases"], top["share"])
        )
        return (
            f"<div><p><strong>{html.escape(repr(self))}</strong></p>{svg}"
            f"<table><tr><th>variant</th><th>cases</th><th>share</th></tr>{rows}</table>"
            f"<p>{html.escape(viz.summary_line(self))}</p></div>"
        )


def discover(
    log: EventLog,
    *,
    algorithm: str = "inductive",
    noise: float = 0.2,
    min_case_share: float = 0.0,
    activities: Any = None,
    variants: Any = None,
) -> ProcessModel:
    """Discover how the process runs: a lazy :class:`ProcessModel`.

    Nothing is computed until a view is asked for: ``discover(log).dfg`` costs only the DFG.

    Parameters
    ----------
    log
        The event log.
    algorithm
        ``"inductive"`` (pm4py's inductive miner, IMf with ``noise``) or ``"heuristics"``.
    noise
        Noise threshold in [0, 1] of the inductive miner (for the heuristics miner, the
        dependency threshold is ``1 - noise``).
    min_case_share
        Leave out of the mined model activities present in fewer than this share of cases.
    activities
        Which activities the miner sees: ``None`` (default: the most frequent covering
        90% of events, at most 40, so that pm4py finishes in seconds on logs with hundreds
        of activities), a share of events in (0, 1], a number of activities, or a list of names.
    variants
        Which cases the miner sees, after leaving out activities: ``None`` (default: the
        most frequent variants covering 80% of cases), a share of cases, or a number of variants.

    Examples
    --------
    >>> import procmine as pm
    >>> model = pm.discover(pm.samples.load("permit_de"))
    >>> model.start_activities.index[0] != ""
    True
    """
    check_choice("discover", "algorithm", algorithm, ("inductive", "heuristics"))
    check_fraction("discover", "noise", noise)
    check_fraction("discover", "min_case_share", min_case_share)
    if isinstance(activities, float) or isinstance(activities, bool):
        if isinstance(activities, bool) or not 0 < activities <= 1:
            raise fail("discover", "activities", "a share in (0, 1], a positive int, a list of names or None", activities)
    elif isinstance(activities, int) and activities < 1:
        raise fail("discover", "activities", "a share in (0, 1], a positive int, a list of names or None", activities)
    if variants is not None:
        bad = isinstance(variants, bool) or not isinstance(variants, (int, float))
        bad = bad or (isinstance(variants, float) and not 0 < variants <= 1) or (isinstance(variants, int) and variants < 1)
        if bad:
            raise fail("discover", "variants", "a share of cases in (0, 1], a positive int or None", variants)
    if not isinstance(log, EventLog):
        raise fail("discover", "log", "a procmine.EventLog (use procmine.read_log)", type(log).__name__)
    return ProcessModel(log, algorithm=algorithm, noise=noise, min_case_share=min_case_share,
                        activities=activities, variants=variants)
