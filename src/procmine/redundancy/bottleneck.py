"""Bottleneck: a step whose waiting time dominates the case duration.

**Definition.** For each activity *a*, the *wait share* is the working time cases wait in
front of *a* (from the previous event's completion to *a*'s start, or to its completion
when start times are unknown), summed over all occurrences, divided by the summed working
duration of all cases that contain *a*. *a* is a bottleneck when its wait share is at least
``min_wait_share`` and at least ``dominance`` times the largest wait share of the other
activities that are not bottlenecks themselves (i.e. it stands out from the rest).

**Statistic.** ``wait_share`` (of case working time, in cases with the step),
``median_wait`` and ``p90_wait`` (per occurrence), ``next_wait_share`` (the largest share of
another non-dominant step), ``wait_cv`` (coefficient of variation of the elapsed calendar
time of the wait), ``cases``, ``unit_column``/``org_units`` (the units that perform the step).

**Guard.** A step that occurs in fewer than ``min_case_share`` of cases is ignored. A
*legally fixed waiting period* (e.g. a 30-day objection period) is long but cannot be
shortened: the log shows it as a wait whose *elapsed calendar* length is nearly constant
(coefficient of variation below ``fixed_cv``, median at least ``fixed_min_days`` days),
whereas queue waiting varies with load. Such steps are not reported as bottlenecks (they are
logged at debug level). Required activities are kept (shortening the wait in front of a step
does not remove it) with ``evidence["required"] = True``.

**Saving.** ``saving_per_case`` is the mean wait in front of the step per case minus the
mean wait in front of one of the other steps (what the wait would be if this step queued
like the others); ``time_cost`` is the total wait in front of the step.

**Limits.** Without start timestamps the "wait" includes the step's own processing time.
Waiting caused by the case's owner (e.g. a missing document) is not told apart from queueing
in the office. Only single steps are assessed, not chains.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..log import EventLog
from ._base import event_table, first_per_case, make_finding, pick_examples, sample_confidence, td, tr
from ._finding import Finding

__all__ = ["detect"]

logger = logging.getLogger("procmine")
_DAY_US = 86_400_000_000


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_wait_share: float = 0.25,
    dominance: float = 1.5,
    fixed_cv: float = 0.1,
    fixed_min_days: float = 5.0,
) -> list[Finding]:
    """Steps whose waiting dominates case duration (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Ignore steps present in fewer than this share of cases.
    required
        Required activities (kept, flagged in the evidence).
    calendar
        Working-time calendar (default: Swiss office week).
    min_wait_share
        Minimum share of the case working time spent waiting in front of the step.
    dominance
        The step's wait share must be at least this multiple of the largest share among
        the other (non-dominant) steps.
    fixed_cv, fixed_min_days
        A wait at least ``fixed_min_days`` days long whose elapsed length varies less than
        ``fixed_cv`` (coefficient of variation) is a fixed (legal) period, not a bottleneck.

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> all(f.kind == "bottleneck" for f in found)
    True
    """
    t = event_table(log, calendar)
    c = t.c
    n_act = c.n_activities
    if t.n_events == 0 or t.n_cases == 0:
        return []
    act = c.activity
    wait = t.wait.astype(np.float64)
    # duration of the cases containing each activity
    first, _ = first_per_case(c.case, act)
    case_dur = t.case_working_duration.astype(np.float64)
    dur_with = np.bincount(act[first], weights=case_dur[c.case[first]], minlength=n_act)
    wait_sum = np.bincount(act, weights=wait, minlength=n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(dur_with > 0, wait_sum / dur_with, 0.0)
    cases = t.activity_cases
    frequent = cases >= max(min_case_share * t.n_cases, 1)

    # elapsed (calendar) length of the wait, for the fixed-period guard
    elapsed = (t.start - np.minimum(t.prev_end, t.start)).astype(np.float64)
    gap_el = (c.ts - np.minimum(t.prev_end, t.start)).astype(np.float64)
    has_prev = t.same_case_prev
    cv, med_el = _cv_by(act[has_prev], elapsed[has_prev], n_act)
    cv_gap, med_gap = _cv_by(act[has_prev], gap_el[has_prev], n_act)
    fixed = ((cv < fixed_cv) & (med_el >= fixed_min_days * _DAY_US)) | (
        (cv_gap < fixed_cv) & (med_gap >= fixed_min_days * _DAY_US)
    )

    cand = frequent & (share >= min_wait_share) & ~fixed
    for code in np.flatnonzero(frequent & fixed & (share >= min_wait_share)):
        logger.debug("bottleneck: %r looks like a fixed waiting period (cv %.3f), not reported", t.name(code), cv[code])
    if not cand.any():
        return []
    others = frequent & ~cand
    next_share = float(share[others].max()) if others.any() else 0.0
    cand &= share >= dominance * next_share
    if not cand.any():
        return []

    # median wait per activity
    order = np.lexsort((wait, act))
    sorted_act = act[order]
    bounds = np.searchsorted(sorted_act, np.arange(n_act + 1))
    unit_codes = t.units.codes
    out: list[Finding] = []
    other_mask = has_prev & ~cand[act]
    typical = float(np.mean(wait[other_mask])) if other_mask.any() else 0.0
    for code in np.flatnonzero(cand):
        w = wait[order[bounds[code]:bounds[code + 1]]]
        med, p90 = float(np.median(w)), float(np.quantile(w, 0.9))
        ev_mask = act == code
        units = _top_units(unit_codes[ev_mask], t.units.names)
        saving = max(float(wait_sum[code]) / max(int(cases[code]), 1) - typical, 0.0)
        name = t.name(code)
        evidence: dict[str, Any] = {
            "wait_share": float(share[code]),
            "next_wait_share": next_share,
            "median_wait": td(med),
            "p90_wait": td(p90),
            "typical_wait_other_steps": td(typical),
            "wait_cv": float(cv[code]),
            "unit_column": t.units.column or "none",
        }
        if name in required:
            evidence["required"] = True
        conf = sample_confidence(cases[code]) * min(1.0, share[code] / (2 * min_wait_share)) if min_wait_share else 1.0
        out.append(
            make_finding(
                "bottleneck",
                (name,),
                n_cases_log=t.n_cases,
                cases=int(cases[code]),
                time_cost_us=float(wait_sum[code]),
                saving_per_case_us=saving,
                confidence=conf,
                evidence=evidence,
                recommendation=tr(
                    "Shorten the wait before '{activity}': cases wait there {share:.0%} of their working time.",
                    activity=name,
                    share=float(share[code]),
                ),
                example_cases=pick_examples(log, c.case[ev_mask], weights=wait[ev_mask]),
                org_units=units,
            )
        )
    return out


def _cv_by(key: np.ndarray, x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient of variation and median of ``x`` per key code (inf where undefined)."""
    cnt = np.bincount(key, minlength=n).astype(np.float64)
    s = np.bincount(key, weights=x, minlength=n)
    s2 = np.bincount(key, weights=x * x, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / cnt
        var = np.maximum(s2 / cnt - mean * mean, 0.0)
        cv = np.where((cnt > 1) & (mean > 0), np.sqrt(var) / mean, np.inf)
    order = np.lexsort((x, key))
    sk = key[order]
    lo = np.searchsorted(sk, np.arange(n))
    hi = np.searchsorted(sk, np.arange(n), side="right")
    mid = np.where(hi > lo, (lo + hi - 1) // 2, 0)
    med = np.where(hi > lo, x[order][np.minimum(mid, max(len(x) - 1, 0))] if len(x) else 0.0, 0.0)
    return cv, med


def _top_units(codes: np.ndarray, names: np.ndarray, k: int = 3) -> tuple[str, ...]:
    codes = codes[codes >= 0]
    if len(codes) == 0:
        return ()
    counts = np.bincount(codes)
    top = np.argsort(-counts, kind="stable")[:k]
    return tuple(str(names[i]) for i in top if counts[i] > 0)
