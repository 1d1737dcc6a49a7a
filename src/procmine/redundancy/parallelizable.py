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

from dataclasses import dataclass
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
#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True

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
    if t.n_events < 2:
        return []
    s = _successions(log, t, waits, external, min_case_share=min_case_share, min_order_share=min_order_share,
                     max_tie_share=max_tie_share)
    if s is None:
        return []
    req = frozenset(required)
    out: list[Finding] = []
    for p in s.cand:
        m = _measure(t, s, int(p), req, min_case_share=min_case_share, max_repeat_share=max_repeat_share,
                     min_adjacent_share=min_adjacent_share, max_overlap_share=max_overlap_share,
                     max_context_tv=max_context_tv, min_position_ratio=min_position_ratio)
        found = None if m is None else _finding(log, t, s, m, min_order_share)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Successions:
    """The untied direct successions of two distinct activities, grouped by unordered pair."""

    act: np.ndarray  #: activity code per event
    client: np.ndarray  #: waiting for the applicant or a third party per event
    statutory: np.ndarray  #: legal periods per event
    idx: np.ndarray  #: row of the first event of each succession (the second at ``idx + 1``)
    tied: np.ndarray  #: per succession: same timestamp or recorded by a system (no order)
    forward: np.ndarray  #: per succession: in the order lower code -> higher code
    pairs: np.ndarray  #: pair key ``lo * n_act + hi``
    inv: np.ndarray  #: pair number of each succession
    n_total: np.ndarray  #: successions per pair
    n_all: np.ndarray  #: untied successions per pair
    cand: np.ndarray  #: pairs seen in both orders often enough
    ca_key: np.ndarray  #: sorted ``case * n_act + activity`` keys
    ca_n: np.ndarray  #: occurrences per key


def _successions(log: EventLog, t: Any, waits: Any, external: Any, *, min_case_share: float,
                 min_order_share: float, max_tie_share: float) -> _Successions | None:
    """The successions and the pairs whose both orders are common (None when there is none)."""
    c = t.c
    act = c.activity
    n_act = c.n_activities
    client, statutory = wait_causes(log, waits=waits, external=external).outside_office(t.wait, t.processing, act)
    # successions of two distinct steps in one case (the log's directly-follows pairs):
    # compressed shifted views, cheaper than gathering rows i and i + 1 by index
    succ = c.pairs.same & (act[:-1] != act[1:])
    idx = np.flatnonzero(succ)
    x, y = act[:-1][succ], act[1:][succ]
    # two events with the same timestamp have no observable order, and steps a system
    # records seconds apart are not work to parallelise: neither is evidence
    tied = (c.ts[1:] == c.ts[:-1])[succ] | machine_recorded(t, idx, idx + 1)
    del succ
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    forward = x == lo  # order lo -> hi
    key = lo.astype(np.int64) * n_act + hi
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
        return None
    # occurrences of each activity per case, for the loop and adjacency guards
    ca_first, ca_n = t.case_activity  # in (case, activity) order: the keys below ascend
    ca_key = c.case[ca_first].astype(np.int64) * n_act + act[ca_first]
    return _Successions(act, client, statutory, idx, tied, forward, pairs, inv, n_total, n_all, cand, ca_key, ca_n)


@dataclass(frozen=True)
class _Pair:
    """The measures of one candidate pair ``{a, b}`` that passed the guards."""

    p: int
    a: int
    b: int
    occ: np.ndarray  #: first row of each untied succession
    fwd: np.ndarray  #: per succession: order lower code -> higher code
    cases: np.ndarray
    repeat_share: float
    adjacent_share: float
    overlap_share: float | None
    tv: float
    own1: np.ndarray
    period_days: int
    position_ratio: float


def _measure(t: Any, s: _Successions, p: int, req: frozenset[str], *, min_case_share: float,
             max_repeat_share: float, min_adjacent_share: float, max_overlap_share: float, max_context_tv: float,
             min_position_ratio: float) -> _Pair | None:
    """The guards of the module docstring on pair ``p``: its measures, or None when one fails
    (or the pair has a required activity)."""
    c = t.c
    a, b = int(s.pairs[p] // c.n_activities), int(s.pairs[p] % c.n_activities)
    if t.name(a) in req or t.name(b) in req:
        return None
    sel = (s.inv == p) & ~s.tied
    occ = s.idx[sel]
    fwd = s.forward[sel]
    cases = distinct_sorted(c.case[occ])  # occ ascends
    if len(cases) < max(2, min_case_share * t.n_cases):
        return None
    repeat_share, adjacent_share = _loop_and_adjacency(s, c.n_activities, cases, a, b)
    if repeat_share > max_repeat_share or adjacent_share < min_adjacent_share:
        return None
    # already parallel: the second starts before the first completes
    known = t.has_start[occ + 1]
    overlap_share = None
    if known.mean() >= 0.5:
        overlap_share = float((t.start[occ + 1][known] < c.ts[occ][known]).mean())
        if overlap_share > max_overlap_share:
            return None
    # context: does the order change what follows?
    after = t.next_activity[occ + 1].astype(np.int64)
    tv = _tv_distance(after[fwd], after[~fwd], c.n_activities)
    if tv > max_context_tv:
        return None
    own1, period_days = _own_first(t, occ)
    position_ratio = _position_ratio(t, s, occ, a, own1)
    if position_ratio < min_position_ratio:
        return None
    return _Pair(p, a, b, occ, fwd, cases, repeat_share, adjacent_share, overlap_share, tv, own1, period_days,
                 position_ratio)


def _loop_and_adjacency(s: _Successions, n_act: int, cases: np.ndarray, a: int, b: int) -> tuple[float, float]:
    """The share of the pair's cases in which A or B repeats (loop guard) and the share of
    the cases containing both in which they are neighbours (adjacency)."""
    cnt_a = _lookup(s.ca_key, s.ca_n, cases.astype(np.int64) * n_act + a)
    cnt_b = _lookup(s.ca_key, s.ca_n, cases.astype(np.int64) * n_act + b)
    repeat_share = float(((cnt_a > 1) | (cnt_b > 1)).mean())
    cases_a = s.ca_key[(s.ca_key % n_act) == a] // n_act
    cases_b = s.ca_key[(s.ca_key % n_act) == b] // n_act
    n_both = len(np.intersect1d(cases_a, cases_b, assume_unique=True))
    return repeat_share, (len(cases) / n_both if n_both else 0.0)


def _position_ratio(t: Any, s: _Successions, occ: np.ndarray, a: int, own1: np.ndarray) -> float:
    """Done second, a step of a sequential pair takes as long as when done first; in a pair
    already running in parallel the one finishing second shows only a remainder."""
    d2 = t.gap[occ + 1]
    a_first = s.act[occ] == a
    if t.has_start[occ].mean() >= 0.5 and t.has_start[occ + 1].mean() >= 0.5 and not _inherits_days(t, occ):
        # with start times, the waits: a step queued after the first waits its own queue
        # in either position; queued with it (already parallel), it shows only the rest
        q1, q2 = t.wait[occ], t.wait[occ + 1]
        return min(_ratio(q2[~a_first], q1[a_first]), _ratio(q2[a_first], q1[~a_first]))
    return min(_ratio(d2[~a_first], own1[a_first]), _ratio(d2[a_first], own1[~a_first]))


def _finding(log: EventLog, t: Any, s: _Successions, m: _Pair, min_order_share: float) -> Finding | None:
    """The finding of a pair that passed the guards (None when running it in parallel saves nothing)."""
    c = t.c
    occ, fwd = m.occ, m.fwd
    name_a, name_b = t.name(m.a), t.name(m.b)
    d1, d2 = t.gap[occ], t.gap[occ + 1]
    # durations per activity (not per position)
    dur_a = np.where(s.act[occ] == m.a, d1, d2)
    dur_b = np.where(s.act[occ] == m.a, d2, d1)
    # the saving is office time: waiting for the applicant or a legal period stays
    outside = s.client + s.statutory
    first_office = np.maximum(d1 - outside[occ], 0)
    if m.period_days > 0:
        # without start times the classified legal period covers the first step's whole
        # gap; its own time is what remains once the inherited period is taken off
        first_office = np.maximum(m.own1, 0)
    saving = np.minimum(first_office, np.maximum(d2 - outside[occ + 1], 0))
    total = float(saving.sum(dtype=np.float64))
    if total <= 0:
        return None
    n_ab, n_ba = int(fwd.sum()), int((~fwd).sum())
    first, second = (name_a, name_b) if n_ab >= n_ba else (name_b, name_a)
    conf = (
        min(1.0, wilson_lower(min(n_ab, n_ba), len(occ)) / max(min_order_share, 1e-9))
        * (1.0 - m.tv)
        * sample_confidence(len(m.cases))
    )
    evidence = {
        "order_ab": n_ab if first == name_a else n_ba,
        "order_ba": n_ba if first == name_a else n_ab,
        "minor_order_share": float(min(n_ab, n_ba) / len(occ)),
        "tie_share": float(1 - s.n_all[m.p] / s.n_total[m.p]),
        "position_ratio": float(m.position_ratio),
        "inherited_period_days": int(m.period_days),
        "context_tv": float(m.tv),
        "repeat_share": m.repeat_share,
        "adjacent_share": float(m.adjacent_share),
        "overlap_share": m.overlap_share,
        "median_duration_a": td(np.median(dur_a if first == name_a else dur_b)),
        "median_duration_b": td(np.median(dur_b if first == name_a else dur_a)),
        "median_saving": td(np.median(saving)),
        "saving_per_case": td(total / len(m.cases)),
        "office_time": td(total),
        "client_wait": td(float(s.client[occ].sum(dtype=np.float64) + s.client[occ + 1].sum(dtype=np.float64))),
        "statutory_wait": td(float(s.statutory[occ].sum(dtype=np.float64) + s.statutory[occ + 1].sum(dtype=np.float64))),
    }
    rec = tr(
        "Run '{a}' and '{b}' in parallel: they are done in either order ({share:.0%} the other way round) "
        "and the order never changes what follows; this saves about {saving} per case.",
        a=first,
        b=second,
        share=evidence["minor_order_share"],
        saving=evidence["saving_per_case"],
    )
    return make_finding(
        "parallelizable",
        (first, second),
        n_cases_log=t.n_cases,
        cases=len(m.cases),
        time_cost_us=total,
        saving_per_case_us=total / len(m.cases),
        confidence=conf,
        evidence=evidence,
        recommendation=rec,
        example_cases=pick_examples(log, c.case[occ], weights=saving),
        org_units=_org_units(t, np.concatenate([occ, occ + 1])),
    )


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
    return float(0.5 * np.abs(pu - pv).sum(dtype=np.float64))
