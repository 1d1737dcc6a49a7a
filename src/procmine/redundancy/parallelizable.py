"""``parallelizable``: two steps always done one after the other, in either order, independent of each other.

**Definition.** An unordered pair of distinct activities ``{A, B}`` is parallelizable when

- they occur as direct neighbours (A directly followed by B, or B directly followed by A)
  in at least ``min_case_share`` of the cases;
- both orders are common: each order accounts for at least ``min_order_share`` of those
  direct successions (the order is not prescribed);
- the order does not matter for what happens next: the total-variation distance between
  the distribution of the activity that follows the pair after ``A, B`` and after
  ``B, A`` is at most ``max_context_tv`` (no visible data dependency, no decision
  encoded in the order);
- neither step repeats: in at most ``max_repeat_share`` of the cases containing the pair
  does A or B occur more than once (a loop A→B→A→B also shows both orders);
- they are not already parallel: when start times are known, in at most
  ``max_overlap_share`` of the successions does the second start before the first
  completes; and (with or without start times) each step done second takes about as long
  as when done first: the ratio of its time in second position to that in first
  position, at the median and at the lower quartile (the smaller of the two), is at
  least ``min_position_ratio`` (in a pair that already runs in parallel, the one
  finishing second only shows the remainder of its time, which is often next to nothing:
  its short end falls far below the step's own even when the medians agree). With start
  times the waits are compared (previous completion to start): a step queued after the
  first waits its own queue in either position, one queued with it shows only the rest of
  its wait, even when the two never overlap; unless every case waits whole calendar days
  before the pair (see below: a period ends on any day, also on days the office is closed,
  so the wait after it is not comparable), then the processing time in first position is
  compared with the time from the first step's completion in second position. Only the pair's own
  time is compared, never a wait inherited from before the pair: in second position a
  step's time runs from the first step's completion; in first position, with start times,
  it is the step's processing time, and without start times the time from the previous
  completion less the *inherited period*: the whole calendar days every case spends before
  the pair (the 5th percentile of that elapsed time, floored to days: a statutory or
  client period counted in days, e.g. 14 days for objections, is waited whichever step
  comes first);
- when they occur together they are usually neighbours: the share of cases containing
  both in which they are directly adjacent is at least ``min_adjacent_share``.

**Statistic.** ``evidence``: ``order_ab`` and ``order_ba`` (successions in each order),
``minor_order_share``, ``tie_share`` (tied or system-recorded successions),
``position_ratio``, ``inherited_period_days``, ``context_tv`` (total-variation distance of the next activity
between the two orders), ``repeat_share``, ``adjacent_share``, ``overlap_share``
(``None`` without start times), ``median_duration_a``,
``median_duration_b`` (working time from the previous completion to the completion of
each step, i.e. its waiting plus processing) and ``median_saving``.

**Guard.** Strictly ordered steps (always A then B: the minor order stays below
``min_order_share`` even with noisy timestamps), loops (``max_repeat_share``), steps whose
order changes what follows (``max_context_tv``), steps that already run in parallel
(``max_overlap_share``: their completion order is random too), pairs recorded mostly at
the same instant (``max_tie_share``: a tie has no order, and tied successions are never
counted as order evidence; nor are successions a system recorded, seconds apart with no
processing time or with no resource in a log that has resources: they are not work to run
in parallel), pairs whose parallel run would save nothing and rare pairs
(``min_case_share``) are not reported, nor are pairs with a ``required`` activity.

**Saving.** Run in parallel, both steps start when the first one would have started; the
pair then ends after the longer of the two instead of after both. Per succession the
saving is the shorter of the two steps' waiting-plus-processing (working time), counting
office time only: waiting for the applicant or a third party and legal periods
(:mod:`procmine.waits._causes`) stay. ``time_cost`` is the sum, ``saving_per_case`` the sum
divided by the cases; the evidence shows ``office_time``, ``client_wait`` and
``statutory_wait``. Without such waits this is exactly what :func:`procmine.simplify` with
``parallelize=[(A, B)]`` assumes.

**Limits.** Independence is inferred from behaviour, not from the data the steps read
and write: an order that varies by chance may still hide a dependency. Resource
contention (the same person doing both) would reduce the saving; it is not modelled.
Only pairs are found; a block of three interchangeable steps appears as up to three pairs.
Without start times, two steps that already run in parallel are told apart from a
sequential pair in random order only by ``min_position_ratio``; two parallel steps of
nearly constant duration leave no short remainders and can pass for a sequential pair. Without start times, completion times alone cannot tell a pair that
already runs in parallel from a sequential pair behind a wait: the inherited period is
taken to be waiting only when it is whole days that every case spends (a legal or client
period); two parallel steps that each take days in every case may then look sequential.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import EventLog
from ..waits._causes import wait_causes
from ._base import (
    distinct_sorted,
    event_table,
    machine_recorded,
    make_finding,
    pick_examples,
    sample_confidence,
    small_unique,
    td,
    tr,
    wilson_lower,
)
from ._base import top_org_units as _org_units
from ._finding import Finding

__all__ = ["detect"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_order_share", "fraction", 0.2,
              "Each order must account for at least this share of the successions."),
    Threshold("max_context_tv", "fraction", 0.3,
              "Maximum total-variation distance of the following activity between the two orders."),
    Threshold("max_repeat_share", "fraction", 0.1,
              "Maximum share of the pair's cases in which A or B repeats."),
    Threshold("min_adjacent_share", "fraction", 0.5,
              "Minimum share of the cases containing both in which they are neighbours."),
    Threshold("max_overlap_share", "fraction", 0.05,
              "Maximum share of successions in which the second starts before the first completes "
              "(checked when start times are known)."),
    Threshold("max_tie_share", "fraction", 0.5,
              "Maximum share of successions with both events at the same timestamp (never counted as "
              "evidence of an order)."),
    Threshold("min_position_ratio", "fraction", 0.6,
              "Minimum ratio of a step's duration when done second to its duration when done first, "
              "at the median and at the lower quartile."),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_order_share: float = 0.2,
    max_context_tv: float = 0.3,
    max_repeat_share: float = 0.1,
    min_adjacent_share: float = 0.5,
    max_overlap_share: float = 0.05,
    max_tie_share: float = 0.5,
    min_position_ratio: float = 0.6,
    waits: Any = None,
    external: Any = None,
) -> list[Finding]:
    """Find pairs of steps observed in both orders that never depend on each other.

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Pairs seen in a smaller share of cases are not reported.
    required
        Activities that must not be touched.
    calendar
        Working-time calendar (default: the Swiss office week).
    min_order_share
        Each order must account for at least this share of the successions (default 0.2).
    max_context_tv
        Maximum total-variation distance of the following activity between orders (0.3).
    max_repeat_share
        Maximum share of the pair's cases in which A or B repeats (default 0.1).
    min_adjacent_share
        Minimum share of cases containing both in which they are neighbours (default 0.5).
    max_overlap_share
        Maximum share of successions in which the second starts before the first
        completes (default 0.05; only checked when start times are known).
    max_tie_share
        Maximum share of successions with both events at the same timestamp (default
        0.5); such successions are never counted as evidence of an order.
    min_position_ratio
        Minimum ratio of a step's duration when done second to its duration when
        done first, at the median and at the lower quartile (default 0.6).
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`
        (``find_redundancies(log, parallelizable={"waits": {"Frist": "statutory"}})``).

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.redundancy import parallelizable
    >>> found = parallelizable.detect(pm.samples.load("permit_de"), min_case_share=0.05)
    >>> all(f.kind == "parallelizable" for f in found)
    True
    """
    check_detector("parallelizable.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    c = t.c
    if t.n_events < 2:
        return []
    act = c.activity.astype(np.int64)
    n_act = c.n_activities
    client, statutory = wait_causes(log, waits=waits, external=external).outside_office(t.wait, t.processing, c.activity)
    outside = client + statutory
    idx = np.flatnonzero(t.same_case_next)
    x, y = act[idx], act[idx + 1]
    keep = x != y
    idx, x, y = idx[keep], x[keep], y[keep]
    # two events with the same timestamp have no observable order, and steps a system
    # records seconds apart are not work to parallelise: neither is evidence
    tied = (c.ts[idx + 1] == c.ts[idx]) | machine_recorded(t, idx, idx + 1)
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    forward = x == lo  # order lo -> hi
    key = lo * n_act + hi
    pairs, inv, _ = small_unique(key, n_act * n_act)
    n_total = np.bincount(inv, minlength=len(pairs))
    n_all = np.bincount(inv, weights=~tied, minlength=len(pairs))
    n_fwd = np.bincount(inv, weights=forward & ~tied, minlength=len(pairs))
    minor = np.minimum(n_fwd, n_all - n_fwd)
    cand = np.flatnonzero(
        (minor >= min_order_share * n_all)
        & (minor > 0)
        & (n_all >= max(2, min_case_share * t.n_cases))
        & (n_all >= (1 - max_tie_share) * n_total)
    )
    if len(cand) == 0:
        return []
    req = frozenset(required)
    # occurrences of each activity per case, for the loop and adjacency guards
    ca_first, ca_n = t.case_activity  # in (case, activity) order: the keys below ascend
    ca_key = c.case[ca_first].astype(np.int64) * n_act + act[ca_first]
    out: list[Finding] = []
    for p in cand:
        a, b = int(pairs[p] // n_act), int(pairs[p] % n_act)
        name_a, name_b = t.name(a), t.name(b)
        if name_a in req or name_b in req:
            continue
        sel = (inv == p) & ~tied
        occ = idx[sel]
        fwd = forward[sel]
        cases = distinct_sorted(c.case[occ])  # occ ascends
        if len(cases) < max(2, min_case_share * t.n_cases):
            continue
        # loop guard: A or B more than once in the pair's cases
        cnt_a = _lookup(ca_key, ca_n, cases.astype(np.int64) * n_act + a)
        cnt_b = _lookup(ca_key, ca_n, cases.astype(np.int64) * n_act + b)
        repeat_share = float(((cnt_a > 1) | (cnt_b > 1)).mean())
        if repeat_share > max_repeat_share:
            continue
        # adjacency: cases containing both vs cases where they are neighbours
        cases_a = ca_key[(ca_key % n_act) == a] // n_act
        cases_b = ca_key[(ca_key % n_act) == b] // n_act
        n_both = len(np.intersect1d(cases_a, cases_b, assume_unique=True))
        adjacent_share = len(cases) / n_both if n_both else 0.0
        if adjacent_share < min_adjacent_share:
            continue
        # already parallel: the second starts before the first completes
        known = t.has_start[occ + 1]
        overlap_share = None
        if known.mean() >= 0.5:
            overlap_share = float((t.start[occ + 1][known] < c.ts[occ][known]).mean())
            if overlap_share > max_overlap_share:
                continue
        # context: does the order change what follows?
        after = t.next_activity[occ + 1].astype(np.int64)
        tv = _tv_distance(after[fwd], after[~fwd], n_act)
        if tv > max_context_tv:
            continue
        d1 = t.gap[occ]
        d2 = t.gap[occ + 1]
        own1, period_days = _own_first(t, occ)
        # durations per activity (not per position)
        dur_a = np.where(act[occ] == a, d1, d2)
        dur_b = np.where(act[occ] == a, d2, d1)
        # done second, a step of a sequential pair takes as long as when done first; in a
        # pair already running in parallel the one finishing second shows only a remainder
        a_first = act[occ] == a
        if t.has_start[occ].mean() >= 0.5 and t.has_start[occ + 1].mean() >= 0.5 and not _inherits_days(t, occ):
            # with start times, the waits: a step queued after the first waits its own queue
            # in either position; queued with it (already parallel), it shows only the rest
            q1, q2 = t.wait[occ], t.wait[occ + 1]
            position_ratio = min(_ratio(q2[~a_first], q1[a_first]), _ratio(q2[a_first], q1[~a_first]))
        else:
            position_ratio = min(_ratio(d2[~a_first], own1[a_first]), _ratio(d2[a_first], own1[~a_first]))
        if position_ratio < min_position_ratio:
            continue
        # the saving is office time: waiting for the applicant or a legal period stays
        first_office = np.maximum(d1 - outside[occ], 0)
        if period_days > 0:
            # without start times the classified legal period covers the first step's whole
            # gap; its own time is what remains once the inherited period is taken off
            first_office = np.maximum(own1, 0)
        saving = np.minimum(first_office, np.maximum(d2 - outside[occ + 1], 0))
        total = float(saving.sum())
        if total <= 0:
            continue
        n_ab, n_ba = int(fwd.sum()), int((~fwd).sum())
        first, second = (name_a, name_b) if n_ab >= n_ba else (name_b, name_a)
        minor_share = min(n_ab, n_ba) / len(occ)
        conf = (
            min(1.0, wilson_lower(min(n_ab, n_ba), len(occ)) / max(min_order_share, 1e-9))
            * (1.0 - tv)
            * sample_confidence(len(cases))
        )
        evidence = {
            "order_ab": n_ab if first == name_a else n_ba,
            "order_ba": n_ba if first == name_a else n_ab,
            "minor_order_share": float(minor_share),
            "tie_share": float(1 - n_all[p] / n_total[p]),
            "position_ratio": float(position_ratio),
            "inherited_period_days": int(period_days),
            "context_tv": float(tv),
            "repeat_share": repeat_share,
            "adjacent_share": float(adjacent_share),
            "overlap_share": overlap_share,
            "median_duration_a": td(np.median(dur_a if first == name_a else dur_b)),
            "median_duration_b": td(np.median(dur_b if first == name_a else dur_a)),
            "median_saving": td(np.median(saving)),
            "saving_per_case": td(total / len(cases)),
            "office_time": td(total),
            "client_wait": td(float(client[occ].sum() + client[occ + 1].sum())),
            "statutory_wait": td(float(statutory[occ].sum() + statutory[occ + 1].sum())),
        }
        rec = tr(
            "Run '{a}' and '{b}' in parallel: they are done in either order ({share:.0%} the other way round) "
            "and the order never changes what follows; this saves about {saving} per case.",
            a=first,
            b=second,
            share=evidence["minor_order_share"],
            saving=evidence["saving_per_case"],
        )
        out.append(
            make_finding(
                "parallelizable",
                (first, second),
                n_cases_log=t.n_cases,
                cases=len(cases),
                time_cost_us=total,
                saving_per_case_us=total / len(cases),
                confidence=conf,
                evidence=evidence,
                recommendation=rec,
                example_cases=pick_examples(log, c.case[occ], weights=saving),
                org_units=_org_units(t, np.concatenate([occ, occ + 1])),
            )
        )
    return out


def _own_first(t: Any, occ: np.ndarray) -> tuple[np.ndarray, int]:
    """The first step's own working time per succession, without the wait inherited from
    before the pair, and the inherited period in whole days (see the module docstring)."""
    if t.has_start[occ].mean() >= 0.5:
        return np.where(t.has_start[occ], t.processing[occ], t.gap[occ]), 0
    prev_end, done = t.prev_end[occ], t.c.ts[occ]
    elapsed = done - prev_end
    days = int(np.quantile(elapsed, 0.05) // _US_PER_DAY) if len(elapsed) else 0
    if days <= 0:
        return t.gap[occ], 0
    after = np.minimum(prev_end + days * _US_PER_DAY, done)
    return np.asarray(t.calendar.working_time(after, done), dtype=np.int64), days


_US_PER_DAY = 86_400_000_000


def _inherits_days(t: Any, occ: np.ndarray) -> bool:
    """Whether every case waits whole calendar days before the pair (the 5th percentile of
    the first step's elapsed wait is at least a day: a legal or client period). The period
    ends on any calendar day, also on days the office does not work, so the wait after it
    cannot be compared with a wait after office work unless the calendar is the office's."""
    if not len(occ):
        return False
    elapsed = t.start[occ] - np.minimum(t.prev_end[occ], t.start[occ])
    return bool(np.quantile(elapsed, 0.05) >= _US_PER_DAY)


def _ratio(second: np.ndarray, first: np.ndarray) -> float:
    """The smaller of the ratios second / first at the median and at the lower quartile; 1
    when either is empty (a quantile of ``first`` that is 0 compares nothing).

    A step done after another takes its own time in either position: its times agree at
    every quantile. The one finishing second in a pair already running in parallel shows
    only the remainder of its time, which is often next to nothing: the short end of its
    times falls far below its own, even when the median is not far off."""
    if len(second) == 0 or len(first) == 0:
        return 1.0
    lo, hi = np.quantile(first, _QUANTILES), np.quantile(second, _QUANTILES)
    ratios = [float(h / m) for h, m in zip(hi, lo, strict=True) if m > 0]
    return min(ratios) if ratios else 1.0


_QUANTILES = (0.5, 0.25)  # the median and the short end of a step's times (see _ratio)


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at ``query`` in sorted ``keys`` (0 where absent)."""
    pos = np.searchsorted(keys, query)
    pos = np.minimum(pos, len(keys) - 1)
    found = keys[pos] == query
    return np.where(found, values[pos], 0)


def _tv_distance(u: np.ndarray, v: np.ndarray, n_act: int) -> float:
    """Total-variation distance between the empirical distributions of codes ``u`` and ``v`` (-1 = end)."""
    if len(u) == 0 or len(v) == 0:
        return 1.0
    pu = np.bincount(u + 1, minlength=n_act + 1) / len(u)
    pv = np.bincount(v + 1, minlength=n_act + 1) / len(v)
    return float(0.5 * np.abs(pu - pv).sum())
