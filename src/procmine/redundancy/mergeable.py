"""``mergeable``: two steps always done one right after the other, by the same person (or unit), that could be one step.

**Definition.** An ordered pair of distinct activities ``(A, B)`` is mergeable when

- B directly follows A almost always, seen from both sides: ``P(next = B | A) >= min_follow``
  and ``P(prev = A | B) >= min_follow`` (directly-follows counts within cases), so no
  decision and no other step sits between them;
- the same person does both: among the direct successions A→B, the share where both
  events have the same ``org:resource`` is ``>= min_same_unit`` (when the log has no
  resources, the same org unit, ``org:group``, is checked instead);
- the hand-off between them is short: the median working time from A's completion to
  B's start is ``<= max_gap``; when B's start time is unknown the time runs to B's
  completion and contains B's own work, so it may exceed ``max_gap`` by
  ``processing_allowance`` (a typical office step's processing);
- the succession occurs in at least ``min_case_share`` of the cases.

**Statistic.** ``evidence``: ``p_next_b_given_a``, ``p_prev_a_given_b`` (the two
directly-follows probabilities), ``successions`` (number of direct A→B successions),
``follow_share`` (the smaller of the two), ``same_unit_share``, ``unit_column``
(``org:resource``, or ``org:group`` as the fallback: the column used is named, and the
recommendation says "the same person" only when it is ``org:resource``, else "the same
unit"), ``machine_share`` (successions a system recorded, see guard), ``main_unit`` (the resource or unit doing it
most), ``median_gap`` and ``mean_gap`` (working time, ``pd.Timedelta``), ``gap_basis``
(``"wait before B"`` when start times are known, else ``"completion to completion"``).

**Guard.** Pairs done by different people (a hand-off between people or offices is not a
merge candidate: that is what ``duplicate_work`` and ``ping_pong`` look at; a system step
followed by a person's step is not either), pairs with a long median gap (e.g. a
legally fixed waiting period), pairs a system records (in more than half of the
successions B completes less than a minute after A with no processing time, or neither
event names a resource in a log that records resources: a status change and the notice
sent with it are not work to merge), pairs with a decision or other steps in
between (the two directly-follows probabilities drop), self-loops (``A == A``, which is
``rework``) and pairs involving an activity declared ``required`` (a required step is
neither removed nor merged away, e.g. the two signatures of a four-eyes check) are not
reported. Without ``org:resource`` or ``org:group`` the detector reports nothing: "same
person" cannot be checked.

**Saving.** Per succession, the working time between A's completion and B's start (the
queue in front of B that a single step would not have); when start times are unknown,
the working time between the two completions, which also contains B's processing and is
therefore an upper bound (``gap_basis`` says which). ``time_cost`` is the sum over all
successions; ``saving_per_case`` is the *median* gap (not the mean: a few successions
where B waited for days dominate the mean, and a merge would not have prevented those).

**Limits.** A merge removes the hand-off, not the work: the saving is only real when the
gap is queueing. Chains A→B→C produce two findings (A, B) and (B, C). Direct successions
only: steps that always occur together but with something in between are not found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import Threshold, check_detector
from ..log import RESOURCE, EventLog
from ._base import (
    event_table,
    machine_recorded,
    make_finding,
    pick_examples,
    sample_confidence,
    td,
    tr,
    wilson_lower,
)
from ._base import top_org_units as _org_units
from ._finding import Finding

__all__ = ["detect"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_follow", "fraction", 0.85,
              "Minimum of P(next=B | A) and P(prev=A | B)."),
    Threshold("min_same_unit", "fraction", 0.8,
              "Minimum share of A→B successions done by the same resource (org unit when the log has no"
              " resources)."),
    Threshold("max_gap", "duration", "1h",
              "Maximum median working time between A and B."),
    Threshold("processing_allowance", "duration", "1h",
              "Without start times the gap runs to B's completion, so it holds B's own work: the gap may"
              " exceed max_gap by up to this much."),
)

logger = logging.getLogger("procmine")


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_follow: float = 0.85,
    min_same_unit: float = 0.8,
    max_gap: pd.Timedelta | str = "1h",
    processing_allowance: pd.Timedelta | str = "1h",
) -> list[Finding]:
    """Find pairs of steps that always follow each other directly in the same unit.

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Pairs seen in a smaller share of cases are not reported.
    required
        Activities that must not be merged away.
    calendar
        Working-time calendar (default: the Swiss office week).
    min_follow
        Minimum of ``P(next=B | A)`` and ``P(prev=A | B)`` (default 0.85).
    min_same_unit
        Minimum share of A→B successions done by the same resource (org unit when the
        log has no resources; default 0.8).
    max_gap
        Maximum median working time between A and B (default 1 hour).
    processing_allowance
        Without B's start time the gap runs to B's completion and contains B's own work:
        such a gap may exceed ``max_gap`` by this much (default 1 hour, a typical office
        step's processing).

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.redundancy import mergeable
    >>> found = mergeable.detect(pm.samples.load("permit_de"), min_case_share=0.05)
    >>> all(f.kind == "mergeable" for f in found)
    True
    """
    check_detector("mergeable.detect", THRESHOLDS, locals())
    max_gap_us = pd.Timedelta(max_gap).value // 1000
    allowance_us = pd.Timedelta(processing_allowance).value // 1000
    t = event_table(log, calendar)
    who = t.resources if t.resources.column is not None else t.units
    if t.n_events < 2 or who.column is None:
        if who.column is None:
            logger.debug("mergeable: no org:resource or org:group column, nothing to check")
        return []
    s = _successions(t, min_follow)
    if s is None:
        return []
    req = frozenset(required)
    out: list[Finding] = []
    for p in s.cand:
        found = _judge(log, t, who, s, int(p), req, min_case_share=min_case_share, min_same_unit=min_same_unit,
                       max_gap_us=max_gap_us, allowance_us=allowance_us)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Successions:
    """The direct successions A -> B of a log, grouped by ordered pair of activities."""

    idx: np.ndarray  #: row of A in each succession (A at ``idx``, B at ``idx + 1``)
    inv: np.ndarray  #: pair number of each succession
    n_pair: np.ndarray  #: successions per pair
    a_code: np.ndarray
    b_code: np.ndarray
    n_act_events: np.ndarray  #: events per activity
    p_next: np.ndarray  #: P(next = B | A) per pair
    p_prev: np.ndarray  #: P(prev = A | B) per pair
    cand: np.ndarray  #: pairs of distinct activities that follow each other often enough
    gap_all: np.ndarray  #: per event: the wait before it (with a start time), else its gap
    has_start: bool  #: the log records start times


def _successions(t: Any, min_follow: float) -> _Successions | None:
    """The successions and the pairs of distinct activities with ``P(next=B | A)`` and
    ``P(prev=A | B)`` both at least ``min_follow`` (None when there is none)."""
    c = t.c
    act = c.activity
    n_act = c.n_activities
    # the log's directly-follows pairs, grouped by edge once per log (the step
    # classification of the wait causes reads them too)
    dfp = c.pairs
    idx = np.flatnonzero(dfp.same)  # event i followed by i+1 in the same case
    pairs, inv, n_pair = dfp.keys, dfp.edge, dfp.counts
    a_code, b_code = pairs // n_act, pairs % n_act
    n_act_events = np.bincount(act, minlength=n_act)
    p_next = n_pair / n_act_events[a_code]
    p_prev = n_pair / n_act_events[b_code]
    cand = np.flatnonzero((a_code != b_code) & (p_next >= min_follow) & (p_prev >= min_follow))
    if len(cand) == 0:
        return None
    return _Successions(idx, inv, n_pair, a_code, b_code, n_act_events, p_next, p_prev, cand,
                        np.where(t.has_start, t.wait, t.gap), bool(t.has_start.any()))


def _judge(log: EventLog, t: Any, who: Any, s: _Successions, p: int, req: frozenset[str], *,
           min_case_share: float, min_same_unit: float, max_gap_us: int, allowance_us: int) -> Finding | None:
    """The finding of pair ``p`` when it passes every guard (see the module docstring), else None."""
    c = t.c
    a, b = int(s.a_code[p]), int(s.b_code[p])
    name_a, name_b = t.name(a), t.name(b)
    if name_a in req or name_b in req:
        return None
    occ = s.idx[s.inv == p]  # positions of A in each A->B succession
    # distinct cases: the positions are ascending and case codes non-decreasing with them
    occ_cases = c.case[occ]
    n_cases = int(np.count_nonzero(occ_cases[1:] != occ_cases[:-1])) + 1 if len(occ) else 0
    if n_cases < max(1, min_case_share * t.n_cases):
        return None
    ua, ub = who.codes[occ], who.codes[occ + 1]
    same = (ua == ub) & (ua >= 0)
    same_share = float(same.mean())
    if same_share < min_same_unit:
        return None
    machine_share = float(machine_recorded(t, occ, occ + 1).mean())
    if machine_share > 0.5:
        logger.debug("mergeable: %r -> %r is recorded by a system, not work", name_a, name_b)
        return None
    gaps = s.gap_all[occ + 1]
    median_gap = float(np.median(gaps))
    # the hand-off alone: without B's start, its processing is allowed for
    hand_off = gaps - np.where(t.has_start[occ + 1], 0, allowance_us)
    if float(np.median(hand_off)) > max_gap_us:
        return None
    unit_codes, unit_n = np.unique(ua[same], return_counts=True)
    top_unit = str(who.names[unit_codes[np.argmax(unit_n)]]) if len(unit_codes) else ""
    conf = min(
        wilson_lower(s.n_pair[p], s.n_act_events[a]),
        wilson_lower(s.n_pair[p], s.n_act_events[b]),
        wilson_lower(int(same.sum()), len(occ)),
    ) * sample_confidence(n_cases)
    evidence = {
        "p_next_b_given_a": float(s.p_next[p]),
        "p_prev_a_given_b": float(s.p_prev[p]),
        "follow_share": float(min(s.p_next[p], s.p_prev[p])),
        "successions": int(s.n_pair[p]),
        "same_unit_share": same_share,
        "unit_column": who.column,
        "machine_share": machine_share,
        "main_unit": top_unit,
        "median_gap": td(median_gap),
        "mean_gap": td(gaps.mean()),
        "gap_basis": "wait before B" if s.has_start else "completion to completion",
    }
    return make_finding(
        "mergeable",
        (name_a, name_b),
        n_cases_log=t.n_cases,
        cases=n_cases,
        time_cost_us=float(gaps.sum(dtype=np.float64)),
        saving_per_case_us=median_gap,
        confidence=conf,
        evidence=evidence,
        recommendation=_recommendation(who.column, name_a, name_b, evidence),
        example_cases=pick_examples(log, c.case[occ], weights=gaps),
        org_units=_org_units(t, occ),
    )


def _recommendation(column: str, name_a: str, name_b: str, evidence: dict[str, Any]) -> dict[str, str]:
    """The advice to merge ``name_a`` and ``name_b``: "the same person" only when persons were compared."""
    msgid = (
        "Merge '{a}' and '{b}' into one step: the same person does '{b}' right after '{a}' "
        "in {share:.0%} of cases (median hand-off {gap})."
        if column == RESOURCE
        else "Merge '{a}' and '{b}' into one step: the same unit does '{b}' right after '{a}' "
        "in {share:.0%} of cases (median hand-off {gap})."
    )
    return tr(msgid, a=name_a, b=name_b, share=evidence["follow_share"], gap=evidence["median_gap"])
