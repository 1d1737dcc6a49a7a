"""Bottleneck: a step whose waiting time dominates the case duration.

**Definition.** For each activity *a*, the *step wait share* is the working time cases wait
in front of *a* (from the previous event's completion to *a*'s start, or to its completion
when start times are unknown), summed over its occurrences, divided by the summed working
duration of the cases that contain *a* (without their fixed periods, see the guard). Steps
with a share of at least ``min_step_share`` are *waiting steps*. Waiting steps done (mostly)
by the same org unit are grouped: an overloaded unit makes every step it does wait, and the
remedy (staff, priorities) is the same for all of them (only with ``org:group``: with
``org:resource`` as fallback every step is judged alone). A group is a bottleneck when its
waiting, as a share of all cases' working time (``wait_share``), is at least
``min_wait_share``, its main step's share is at least ``dominance`` times the largest
share of any other step that waits at all (its waiting dominates case duration), and the
main step's mean office wait per occurrence is at least ``dominance`` times the mean office
wait at the steps outside the group (``typical_wait_other_steps``): a long queue, not an
ordinary one met often (a step done twice per case has twice the share; that is rework).
When no other step waits, nothing stands out and nothing is reported.

**Statistic.** ``wait_share`` (of all cases' working time), ``step_wait_shares`` (per
step), ``next_wait_share`` (the largest share of another step), ``median_wait`` and
``p90_wait`` (per occurrence), ``typical_wait_other_steps`` (mean), ``wait_cv``
(coefficient of variation of the elapsed wait of the main step), ``unit_column``.

**Guard.** Only *office* waiting counts (:mod:`procmine.waits._causes`): the wait after a
request to the applicant or a third party, the wait before a step the outside world
triggers (documents received, objection filed, payment) and a legally fixed period (a
wait, or a system step, whose elapsed calendar length clusters at one value of at least 5
days, e.g. a 30-day objection period) cannot be shortened by the office: they are not
counted, are taken out of the case durations the shares are computed on, and a step with a
fixed period is never reported nor counted among the "other steps". The same rule is also
applied per pair of steps (previous step, step): a period run before two steps done in
either order, after whichever of two concurrent steps completes last, shows in neither
step's waits as a whole but in each pair's; the lengths of a pair count as clustered also
when their interdecile range is under 0.256 of their median (what a coefficient of
variation under 0.1 gives a bell-shaped spread, robust to a few late cases), the period
being their tenth percentile. The wait up to the period is statutory, the rest office. Steps in fewer than
``min_case_share`` of cases are ignored. Required activities are kept (shortening the wait
in front of a step does not remove it) with ``evidence["required"] = True``.

**Saving.** ``saving_per_case`` is the group's office waiting per affected case minus what
the same number of steps waits on average elsewhere in the log (``typical_wait_other_steps``:
the mean office wait at the steps outside the group, leaving out the waits that are wholly
the applicant's or a legal period, which say nothing of the office's queues);
``time_cost`` is the group's total office waiting. The evidence shows the group's waiting by
cause: ``office_time`` (the office waiting counted), ``client_wait`` and ``statutory_wait``
(not counted).

**Limits.** Without start timestamps the "wait" includes the step's own processing time.
Waiting for the applicant is recognised only after a recognisable request or before a
recognisable external step (by name or data, see :func:`procmine.waits._steps.classify_steps`);
declare others with ``performance(log, waits=..., external=...)``. Only single steps are
assessed, not chains.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import GROUP, EventLog
from ..waits._causes import fixed_periods, wait_causes
from ._base import (
    distinct_sorted,
    event_table,
    group_quantiles,
    make_finding,
    pick_examples,
    sample_confidence,
    small_unique,
    td,
    tr,
)
from ._finding import Finding

__all__ = ["detect"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_step_share", "fraction", 0.1,
              "A step is a waiting step when cases wait in front of it at least this share of their "
              "working time."),
    Threshold("min_wait_share", "fraction", 0.15,
              "Minimum share of all cases' working time spent waiting in front of the waiting steps of "
              "one unit."),
    Threshold("dominance", "number", 2.0,
              "The main step's share must be at least this multiple of the largest share of any other "
              "waiting step, and its mean wait this multiple of the mean wait at the other steps.", low=0),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)

logger = logging.getLogger("procmine")
_DAY_US = 86_400_000_000


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_step_share: float = 0.1,
    min_wait_share: float = 0.15,
    dominance: float = 2.0,
    waits: Any = None,
    external: Any = None,
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
    min_step_share
        A step is a waiting step when cases wait in front of it at least this share of
        their working time.
    min_wait_share
        Minimum share of all cases' working time spent waiting in front of the waiting
        steps of one unit.
    dominance
        The group's main step share must be at least this multiple of the largest share of
        any other waiting step.
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`
        (``find_redundancies(log, bottleneck={"waits": {"Frist": "statutory"}})``).

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> all(f.kind == "bottleneck" for f in found)
    True
    """
    check_detector("bottleneck.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    if t.n_events == 0 or t.n_cases == 0:
        return []
    act = t.c.activity
    w = _office_waits(log, t, waits, external, min_case_share)
    cand = w.frequent & (w.share >= min_step_share) & ~w.fixed
    for code in np.flatnonzero(w.frequent & w.fixed):
        logger.debug("bottleneck: %r looks like a fixed waiting period, not reported", t.name(code))
    if not cand.any():
        return []
    main_unit = _main_units(t)
    # the waits a group is compared with: the office's queues at the other steps. A wait that
    # is wholly the applicant's or a legal period says nothing of how long the office's own
    # queues are (counted as 0 it would make every office wait look long)
    office_queue = t.same_case_prev & ~w.fixed[act] & ~((w.wait == 0) & (w.client + w.statutory > 0))
    out: list[Finding] = []
    for unit in np.unique(main_unit[cand]):
        steps = np.flatnonzero(cand & (main_unit == unit))
        steps = steps[np.argsort(-w.share[steps], kind="stable")]
        in_group = np.zeros(len(cand), dtype=bool)
        in_group[steps] = True
        other_mask = office_queue & ~in_group[act]  # elsewhere: every step outside this group
        typical = float(np.mean(w.wait[other_mask])) if other_mask.any() else 0.0
        found = _group_finding(log, t, w, steps, int(unit), typical, required,
                               min_wait_share=min_wait_share, dominance=dominance)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Waits:
    """The office waiting per event and step, and each step's share of case duration."""

    wait: np.ndarray  #: office wait per event (µs, float)
    client: np.ndarray  #: waiting for the applicant or a third party per event
    statutory: np.ndarray  #: legal periods per event
    fixed: np.ndarray  #: per activity: a fixed waiting period (never reported)
    cv: np.ndarray  #: per activity: coefficient of variation of its elapsed wait
    wait_sum: np.ndarray  #: per activity: office waiting
    share: np.ndarray  #: per activity: office waiting / duration of the cases with it
    share_all: np.ndarray  #: per activity: office waiting / duration of all cases
    frequent: np.ndarray  #: per activity: in at least ``min_case_share`` of the cases


def _office_waits(log: EventLog, t: Any, waits: Any, external: Any, min_case_share: float) -> _Waits:
    """Only what the office can shorten: the waits and case durations without the waiting
    for the applicant and without fixed periods (see the module docstring)."""
    c = t.c
    n_act = c.n_activities
    act = c.activity
    wc = wait_causes(log, waits=waits, external=external)
    wait = wc.split(t.wait, ("office",))["office"].astype(np.float64)  # only what the office can shorten
    has_prev = t.same_case_prev
    fixed = ~np.isnan(wc.steps["period_days"].to_numpy(dtype=np.float64))
    start, prev_end = t.start[has_prev], t.prev_end[has_prev]  # the waits only, not the case starts
    cv = _cv_by(act[has_prev], (start - np.minimum(prev_end, start)).astype(np.float64), n_act)
    del start, prev_end
    # duration of the cases the office can shorten: without fixed periods (a period may be a
    # system step lasting it: its whole gap) and without waiting for the applicant
    client, statutory = wc.outside_office(t.wait, t.processing, act)
    in_period = _edge_periods(t, act, n_act, wait)
    if in_period.any():  # a fixed period between two given steps: statutory, not office
        wait = wait - in_period
        statutory = statutory + in_period
    fixed_time = np.bincount(c.case, weights=(client + statutory).astype(np.float64), minlength=t.n_cases)
    case_dur = np.maximum(t.case_working_duration.astype(np.float64) - fixed_time, 0.0)
    first, _ = t.case_activity
    dur_with = np.bincount(act[first], weights=case_dur[c.case[first]], minlength=n_act)
    wait_sum = np.bincount(act, weights=wait, minlength=n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(dur_with > 0, wait_sum / dur_with, 0.0)
    frequent = t.activity_cases >= max(min_case_share * t.n_cases, 1)
    total_dur = float(case_dur.sum(dtype=np.float64))
    share_all = wait_sum / total_dur if total_dur > 0 else np.zeros(n_act)
    return _Waits(wait, client, statutory, fixed, cv, wait_sum, share, share_all, frequent)


def _main_units(t: Any) -> np.ndarray:
    """Per activity, the ``org:group`` doing most of it; a code of its own (negative) when
    the log has no groups or the activity none: one overloaded unit, one finding."""
    act = t.c.activity
    n_act = t.c.n_activities
    unit_codes = t.units.codes
    n_units = len(t.units.names)
    if n_units and t.units.column == GROUP:
        ok = unit_codes >= 0
        uc = np.bincount(act[ok].astype(np.int64) * n_units + unit_codes[ok], minlength=n_act * n_units)
        main_unit = uc.reshape(n_act, n_units).argmax(axis=1)
        return np.where(uc.reshape(n_act, n_units).sum(axis=1) > 0, main_unit, -1 - np.arange(n_act))
    return -1 - np.arange(n_act)


def _group_finding(log: EventLog, t: Any, w: _Waits, steps: np.ndarray, unit: int, typical: float,
                   required: frozenset[str], *, min_wait_share: float, dominance: float) -> Finding | None:
    """The finding of the waiting ``steps`` of one unit (main step first) when their waiting
    dominates case duration, else None."""
    c = t.c
    act = c.activity
    share = w.share
    group_share = float(w.share_all[steps].sum(dtype=np.float64))
    outside = w.frequent & ~w.fixed & (w.wait_sum > 0)
    outside[steps] = False
    if not outside.any():
        return None  # nothing to stand out from: the whole procedure waits alike
    next_share = float(share[outside].max())
    if group_share < min_wait_share or share[steps[0]] < dominance * next_share:
        return None
    # a long queue, not a step done often: each wait in front of the main step is long too
    # (a step done twice per case has twice the share at an ordinary queue: rework, not this)
    main_waits = w.wait[(act == steps[0]) & t.same_case_prev]
    if not len(main_waits) or float(np.mean(main_waits)) < dominance * typical:
        return None
    names = tuple(t.name(a) for a in steps)  # required steps are kept (flagged below)
    ev_mask = np.isin(act, steps)
    wt = w.wait[ev_mask]
    by_cause = {"office_time": td(float(w.wait[ev_mask].sum(dtype=np.float64))),
                "client_wait": td(float(w.client[ev_mask].sum(dtype=np.float64))),
                "statutory_wait": td(float(w.statutory[ev_mask].sum(dtype=np.float64)))}
    n_c = int(distinct_sorted(c.case[ev_mask]).size)
    cost = float(w.wait_sum[steps].sum(dtype=np.float64))
    saving = max((cost - typical * int(ev_mask.sum())) / max(n_c, 1), 0.0)
    unit_name = str(t.units.names[unit]) if unit >= 0 else ""
    evidence: dict[str, Any] = {
        "wait_share": group_share,
        "step_wait_shares": ", ".join(f"{t.name(a)}: {share[a]:.0%}" for a in steps),
        "next_wait_share": next_share,
        "median_wait": td(float(np.median(wt))),
        "p90_wait": td(float(np.quantile(wt, 0.9))),
        "typical_wait_other_steps": td(typical),
        "wait_cv": float(w.cv[steps[0]]),
        "unit_column": t.units.column or "none",
        "other_steps": len(names) - 1,
        **by_cause,
    }
    if required.intersection(names):
        evidence["required"] = True
    conf = sample_confidence(n_c) * min(1.0, group_share / (2 * min_wait_share)) if min_wait_share else 1.0
    return make_finding(
        "bottleneck",
        names,
        n_cases_log=t.n_cases,
        cases=n_c,
        time_cost_us=cost,
        saving_per_case_us=saving,
        confidence=conf,
        evidence=evidence,
        recommendation=_recommendation(names, unit_name, evidence),
        example_cases=pick_examples(log, c.case[ev_mask], weights=wt),
        org_units=(unit_name,) if unit_name else (),
    )


def _recommendation(names: tuple[str, ...], unit_name: str, evidence: dict[str, Any]) -> dict[str, str]:
    """Shorten the wait before one step, or relieve the unit in front of whose steps cases wait."""
    if len(names) == 1 or not unit_name:
        return tr(
            "Shorten the wait before '{activity}': cases wait there {share:.0%} of the working time the office "
            "controls (waiting for the applicant and legal periods left out).",
            activity=names[0],
            share=evidence["wait_share"],
        )
    return tr(
        "Relieve {unit}: cases wait {share:.0%} of the working time the office controls in front of its "
        "steps ('{activity}' and {n} more; waiting for the applicant and legal periods left out).",
        unit=unit_name,
        share=evidence["wait_share"],
        activity=names[0],
        n=evidence["other_steps"],
    )


def _edge_periods(t: Any, act: np.ndarray, n_act: int, office: np.ndarray) -> np.ndarray:
    """Per event, the part of its office wait that is a fixed period run between its
    previous step and it (µs, 0 elsewhere).

    The statutory rule of :mod:`procmine.waits._causes` applied per pair of steps (previous
    step, step): the elapsed time from the previous completion to the step's completion
    clusters at one length of at least 5 days. A period before two steps done in either
    order is absorbed by whichever comes first, and the last of a concurrent block before
    it is either of two steps: neither step nor its predecessor shows the period in all its
    waits, but each pair of steps does. The wait up to the period is statutory; what lies
    beyond it stays office time (split in the proportion of the elapsed parts)."""
    out = np.zeros(t.n_events)
    prev = t.prev_activity  # -1 exactly where the case starts
    sel = np.flatnonzero(t.same_case_prev & (prev >= 0) & (office > 0))
    if not len(sel):
        return out
    length = (t.c.ts[sel] - t.prev_end[sel]).astype(np.int64, copy=False)
    edges, edge, _ = small_unique(prev[sel].astype(np.int64) * n_act + act[sel], n_act * n_act)
    period, _ = fixed_periods(edge, length, len(edges))
    # the same rule robust to a few late cases: the lengths barely vary (an interdecile
    # range under 2.56 x 0.1 of the median, what a coefficient of variation under 0.1 gives
    # a bell-shaped spread) around at least 5 days; the period is their floor (the tenth
    # percentile), the office queue after it the spread above
    n = np.bincount(edge, minlength=len(edges))
    q10, q50, q90 = group_quantiles(length, edge, len(edges), (0.1, 0.5, 0.9)).T
    with np.errstate(invalid="ignore"):
        tight = (n >= 10) & (q50 >= 5 * _DAY_US) & ((q90 - q10) < 0.256 * q50) & np.isnan(period)
    period[tight] = q10[tight]
    # a period is followed by the queue of the step: it starts at the floor of the cluster
    # (within a day below its centre)
    period = np.maximum(np.fmin(period, q10), period - _DAY_US)
    p = period[edge]
    hit = ~np.isnan(p) & (length >= p - _DAY_US)  # reaches the period (less a day)
    if not hit.any():
        return out
    idx = sel[hit]
    wait_el = (t.start[idx] - t.prev_end[idx]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = np.clip(np.where(wait_el > 0, p[hit] / wait_el, 1.0), 0.0, 1.0)
    out[idx] = office[idx] * inside
    return out


def _cv_by(key: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """Coefficient of variation of ``x`` per key code (inf where undefined)."""
    cnt = np.bincount(key, minlength=n).astype(np.float64)
    s = np.bincount(key, weights=x, minlength=n)
    s2 = np.bincount(key, weights=x * x, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / cnt
        var = np.maximum(s2 / cnt - mean * mean, 0.0)
        return np.where((cnt > 1) & (mean > 0), np.sqrt(var) / mean, np.inf)
