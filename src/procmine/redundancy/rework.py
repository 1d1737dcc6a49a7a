"""Rework: the same activity repeated within a case (a self-loop or a loop back).

**Definition.** An occurrence of activity *a* in a case is a *repetition* when *a* already
occurred earlier in that case (an exact duplicate record — same activity, same completion
time — is a data-quality artefact and not counted). *a* shows rework when the cases with a
repetition of *a* are at least ``min_case_share`` of all cases and at least
``min_repeat_share`` of the cases that contain *a*. An activity that repeats (almost) only in
cases where a more frequent activity repeats — at least ``loop_overlap`` of its repeating
cases — belongs to that activity's loop; each loop is one finding.

**Statistic.** ``repeat_share`` (cases repeating *a* / cases with *a*), ``cases_with_activity``,
``repeats_per_case`` (extra occurrences per affected case), ``loop_time_median`` (working
time from the previous occurrence's completion to the repetition's completion: the loop),
``outcome_shift`` and ``trigger``/``trigger_specificity`` (see guard), ``unit_column`` (with
``org:group``, the finding's org unit is the one that most often does the repetitions) and, for loops of
several activities, ``loop_activities``.

**Guard.** These repetitions are not rework:

- *A repetition after a request to the applicant* (a request step, see
  :func:`procmine.waits._steps.classify_steps`, between the two occurrences: documents asked for
  and received, then the check done again) is the loop of an incomplete application: it
  is reported as ``incomplete_submission``, once, not as rework.

- *A loop announced by a dedicated step* is a legitimate path of the procedure: when the
  step that opens the loop (the most frequent step right after the previous occurrence of
  *a*, or right before the repetition; the *trigger*, e.g. "request missing documents",
  "change requested") occurs almost only in cases that then repeat *a* — at least
  ``max_trigger_specificity`` of the cases with the trigger — the loop is the process
  asking for new input, not work redone because it was wrong. Rework is the loop back
  after an ordinary step (typically a check) that passes in most cases.
- *A loop that changes the outcome*: the outcome of a case is its last activity;
  ``outcome_shift`` is the total-variation distance between the outcome distributions of
  the cases that repeat *a* and of those that do *a* once. Above ``max_outcome_shift`` the
  loop decides something and is not reported.
- *A loop through other org units* (when units come from ``org:group``): the work was handed
  back (see ``ping_pong``) or redone by another unit (see ``duplicate_work``); rework counts
  only repetitions whose loop stays in one unit. With ``org:resource`` as fallback this
  rule is not applied (colleagues change within one office).

- *A planned repetition*: when the intervals from the previous occurrence to the repetition
  cluster at a fixed number of calendar days (at least 5; the rule of the ``statutory`` wait
  cause in :mod:`procmine.waits._causes`: 60 % within a day of it, or a coefficient of
  variation under 0.1), the repetition is scheduled, e.g. a follow-up visit 90 days after
  the decision; work redone because it was wrong waits in the office's queue, whose length
  varies with the load.

- *A step nobody in the office performs*: when the log records resources (``org:resource``
  on at least 20 % of events) but (almost) never for this activity (under 5 % of its
  events), it is an external or system event — e.g. a fine paid in instalments — and its
  repetitions are not the office's rework.

Rare repetitions (``min_case_share``, ``min_repeat_share``) and duplicated records are
ignored; required activities are never proposed.

**Saving.** ``saving_per_case`` is the mean *office* working time of the loop per affected
case (all repetitions of the loop's most frequent activity, previous completion to
repetition completion, without the waiting for the applicant or a third party and the legal
periods inside the loop, :mod:`procmine.waits._causes`), i.e. what the case would save had
the work been right the first time; ``time_cost`` is that time summed over the affected
cases. The evidence shows the loops' ``office_time``, ``client_wait`` and ``statutory_wait``.

**Limits.** The log cannot tell a failed check from a second check the case needed (e.g.
a new fact arrived); the outcome test only sees the final activity. Nested loops are
reported once per group of co-repeating activities, and overlapping loops may double count.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.kernels import NAT
from .._core.validation import Threshold, check_detector
from ..log import GROUP, EventLog
from ..waits._causes import fixed_periods, wait_causes
from ._base import (
    case_activity_keys,
    distinct_sorted,
    event_table,
    first_per_case,
    make_finding,
    pick_examples,
    sample_confidence,
    td,
    tr,
)
from ._finding import Finding

__all__ = ["detect", "repetitions"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_repeat_share", "fraction", 0.05,
              "Minimum share, among the cases with the activity, of cases that repeat it."),
    Threshold("max_outcome_shift", "fraction", 0.25,
              "Largest total-variation distance between the outcomes of repeating and non-repeating "
              "cases for the loop to count as rework (larger: a legitimate loop)."),
    Threshold("max_trigger_specificity", "fraction", 0.8,
              "A loop whose trigger step is followed by the repetition in at least this share of the "
              "cases with the trigger is an announced, legitimate loop."),
    Threshold("loop_overlap", "fraction", 0.8,
              "An activity whose repeating cases are at least this share of the repeating cases of a "
              "more frequent repeated activity belongs to the same loop."),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)

logger = logging.getLogger("procmine")


def repetitions(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Per event: is it a repetition of an activity already done in the case, and the row
    of that activity's previous occurrence (-1 for first occurrences).

    Exact duplicate records (same activity and completion time as the previous occurrence)
    are not repetitions.

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": ["1"] * 3, "concept:name": ["A", "B", "A"],
    ...     "time:timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True)})
    >>> rep, prev = repetitions(pm.EventLog(df))
    >>> rep.tolist(), prev.tolist()
    ([False, False, True], [-1, -1, 0])
    """
    cached = _REPETITIONS.get(log)
    if cached is None:
        cached = _REPETITIONS[log] = _repetitions(log)  # rework, ping_pong and rubber_stamp share it
    rep, prev = cached
    return rep.copy(), prev  # callers refine ``rep`` in place; ``prev`` is read-only


def _repetitions(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    c = log.codes
    n = len(c.case)
    order, key = case_activity_keys(log)  # shared with the per-case activity counts
    prev = np.full(n, -1, dtype=np.int64)
    if n > 1:
        same = key[1:] == key[:-1]
        prev[order[1:][same]] = order[:-1][same]
    has_prev = prev >= 0
    rep = has_prev.copy()
    rep[has_prev] = c.ts[has_prev] != c.ts[prev[has_prev]]
    prev.setflags(write=False)
    return rep, prev


_REPETITIONS: weakref.WeakKeyDictionary[EventLog, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_repeat_share: float = 0.05,
    max_outcome_shift: float = 0.25,
    max_trigger_specificity: float = 0.8,
    loop_overlap: float = 0.8,
    waits: Any = None,
    external: Any = None,
) -> list[Finding]:
    """Activities repeated within cases (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Minimum share of all cases that repeat the activity.
    required
        Activities never proposed (their loops are not reported).
    calendar
        Working-time calendar (default: Swiss office week).
    min_repeat_share
        Minimum share, among cases with the activity, of cases that repeat it.
    max_outcome_shift
        Largest total-variation distance between the outcomes of repeating and
        non-repeating cases for the loop to count as rework (larger: a legitimate loop).
    max_trigger_specificity
        A loop whose trigger step is followed by the repetition in at least this share of the
        cases with the trigger is a legitimate, announced loop.
    loop_overlap
        An activity whose repeating cases are at least this share among the repeating cases
        of a more frequent repeated activity belongs to the same loop.
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`
        (``find_redundancies(log, rework={"waits": {"Frist": "statutory"}})``).

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> all(f.kind == "rework" for f in found)
    True
    """
    check_detector("rework.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    if t.n_events == 0:
        return []
    ri = np.flatnonzero(_rework_repetitions(log, t))
    if len(ri) == 0:
        return []
    r = _repeated(log, t, ri, min_case_share=min_case_share, min_repeat_share=min_repeat_share)
    if r is None:
        return []
    loop = _LoopTimes.of(log, t, r, waits, external)
    rep_sets, shift = _outcome_shifts(t, r)
    out: list[Finding] = []
    for g in _loops(r, rep_sets, loop_overlap):
        found = _loop_finding(log, t, r, loop, g, rep_sets, shift, required,
                              max_outcome_shift=max_outcome_shift, max_trigger_specificity=max_trigger_specificity)
        if found is not None:
            out.append(found)
    return out


def _rework_repetitions(log: EventLog, t: Any) -> np.ndarray:
    """Per event: a repetition that may be rework (see the guard of the module docstring):
    its loop stays in one ``org:group`` and passes no request to the applicant."""
    c = t.c
    rep, prev = repetitions(log)
    if t.units.column == GROUP:
        # loops that pass through another unit are hand-backs or duplicates, not rework
        u = t.units.codes
        change = np.zeros(t.n_events, dtype=np.int64)
        change[1:] = t.same_case_prev[1:] & (u[1:] != u[:-1]) & (u[1:] >= 0) & (u[:-1] >= 0)
        cum = np.cumsum(change)
        rep[rep] = cum[rep] == cum[prev[rep]]
    # a repetition after a request to the applicant is the loop of an incomplete
    # application: the incomplete_submission detector reports it, not rework
    from .incomplete_submission import request_steps

    is_req, _ = request_steps(log)
    if is_req.any():
        n_req = np.cumsum(is_req[c.activity])
        rep[rep] = n_req[rep] == n_req[prev[rep]]
    return rep


@dataclass(frozen=True)
class _Repeated:
    """The repetitions (rows ``ri``) and the activities whose repetitions are common enough."""

    ri: np.ndarray  #: rows of the repetitions
    prev: np.ndarray  #: per event: row of the previous occurrence of its activity (-1: none)
    rcase: np.ndarray  #: case of each repetition
    ract: np.ndarray  #: activity of each repetition
    rep_cases: np.ndarray  #: per activity: cases that repeat it
    repeat_share: np.ndarray  #: per activity: repeating cases / cases with it
    cand: np.ndarray  #: per activity: a candidate for rework


def _repeated(log: EventLog, t: Any, ri: np.ndarray, *, min_case_share: float,
              min_repeat_share: float) -> _Repeated | None:
    """The activities repeated in enough cases, without external steps and planned
    repetitions (None when none is left)."""
    c = t.c
    n_act = c.n_activities
    _, prev = repetitions(log)
    rcase, ract = c.case[ri], c.activity[ri]
    first, _ = first_per_case(rcase, ract)
    rep_cases = np.bincount(ract[first], minlength=n_act)
    with_a = t.activity_cases
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_share = np.where(with_a > 0, rep_cases / np.maximum(with_a, 1), 0.0)
    cand = (rep_cases >= max(min_case_share * t.n_cases, 1)) & (repeat_share >= min_repeat_share)
    # steps no recorded person ever performs, in a log that records persons, are external or
    # system events (a payment by the client, an automatic notice): repeating them is not rework
    res = t.resources.codes
    if t.resources.column is not None and (res >= 0).mean() >= 0.2:
        staffed = np.bincount(c.activity[res >= 0], minlength=n_act) / np.maximum(np.bincount(c.activity, minlength=n_act), 1)
        for a in np.flatnonzero(cand & (staffed < 0.05)):
            logger.debug("rework: %r has no recorded performer: external step, not rework", t.name(a))
        cand &= staffed >= 0.05
    # a planned repetition (a follow-up visit N days later, a yearly renewal): the interval from
    # the previous occurrence clusters at a fixed number of calendar days, as a legal period
    # does (the rule of the 'statutory' wait cause); a redo after a failed check waits for the
    # office's queue, whose length varies with the load. Loops through a request are gone above.
    if cand.any():
        interval = (c.ts[ri] - c.ts[prev[ri]]).astype(np.int64)
        period, why = fixed_periods(ract, np.where(cand[ract], interval, NAT), n_act)
        for a in np.flatnonzero(cand & ~np.isnan(period)):
            logger.debug("rework: %r repeats at a %s: a planned repetition, not rework", t.name(a), why[a])
        cand &= np.isnan(period)
    if not cand.any():
        return None
    return _Repeated(ri, prev, rcase, ract, rep_cases, repeat_share, cand)


@dataclass(frozen=True)
class _LoopTimes:
    """Per repetition, the working time of its loop by cause, and sums per activity."""

    loop_us: np.ndarray  #: office time of the loop (µs, float)
    loop_client: np.ndarray  #: waiting for the applicant inside the loop
    loop_stat: np.ndarray  #: legal periods inside the loop
    loop_sum: np.ndarray  #: per activity: office time of its loops
    n_reps: np.ndarray  #: per activity: repetitions

    @classmethod
    def of(cls, log: EventLog, t: Any, r: _Repeated, waits: Any, external: Any) -> _LoopTimes:
        """The loops from each repetition's previous occurrence to its completion."""
        c = t.c
        ri, prev = r.ri, r.prev
        loop_all = np.asarray(t.calendar.working_time(c.ts[prev[ri]], c.ts[ri]), dtype=np.float64)
        # the saving counts office time only: waiting for the applicant and legal periods inside
        # the loop stay even when the work is right the first time
        client, statutory = wait_causes(log, waits=waits, external=external).outside_office(
            t.wait, t.processing, c.activity)
        cum_client = np.cumsum(client.astype(np.float64))
        cum_stat = np.cumsum(statutory.astype(np.float64))
        loop_client = cum_client[ri] - cum_client[prev[ri]]
        loop_stat = cum_stat[ri] - cum_stat[prev[ri]]
        loop_us = np.maximum(loop_all - loop_client - loop_stat, 0.0)
        n_act = c.n_activities
        return cls(loop_us, loop_client, loop_stat, np.bincount(r.ract, weights=loop_us, minlength=n_act),
                   np.bincount(r.ract, minlength=n_act))


def _outcome_shifts(t: Any, r: _Repeated) -> tuple[dict[int, np.ndarray], dict[int, float]]:
    """Per candidate activity: its repeating cases, and the total-variation distance between
    the outcomes (last activities) of the cases that repeat it and of those that do it once."""
    c = t.c
    n_act = c.n_activities
    outcome = c.activity[c.case_offsets[1:] - 1]  # last activity per case
    codes = np.flatnonzero(r.cand)
    rep_sets = {a: distinct_sorted(r.rcase[r.ract == a]) for a in codes}  # ri ascends: its cases do not decrease
    with_sets = {a: distinct_sorted(c.case[c.activity == a]) for a in codes}
    shift: dict[int, float] = {}
    for a in codes:
        once = np.setdiff1d(with_sets[a], rep_sets[a], assume_unique=True)
        if len(once) == 0:
            shift[a] = np.nan
            continue
        p = np.bincount(outcome[rep_sets[a]], minlength=n_act) / len(rep_sets[a])
        q = np.bincount(outcome[once], minlength=n_act) / len(once)
        shift[a] = 0.5 * float(np.abs(p - q).sum(dtype=np.float64))
    return rep_sets, shift


def _loops(r: _Repeated, rep_sets: dict[int, np.ndarray], loop_overlap: float) -> list[list[int]]:
    """Co-repeating activities grouped into loops, most frequent first (the head first)."""
    groups: list[list[int]] = []
    for a in sorted(np.flatnonzero(r.cand), key=lambda x: (-r.rep_cases[x], x)):
        for g in groups:
            inter = len(np.intersect1d(rep_sets[g[0]], rep_sets[a], assume_unique=True))
            if inter / len(rep_sets[a]) >= loop_overlap:
                g.append(a)
                break
        else:
            groups.append([a])
    return groups


def _loop_finding(log: EventLog, t: Any, r: _Repeated, loop: _LoopTimes, g: list[int],
                  rep_sets: dict[int, np.ndarray], shift: dict[int, float], required: frozenset[str], *,
                  max_outcome_shift: float, max_trigger_specificity: float) -> Finding | None:
    """The finding of loop ``g`` unless it is required, changes the outcome or is announced."""
    c = t.c
    head = g[0]
    names = tuple(t.name(a) for a in g)
    if required.intersection(names):
        return None
    sh = shift[head]
    if np.isfinite(sh) and sh > max_outcome_shift:
        logger.debug("rework: loop on %r changes the outcome (shift %.2f): legitimate", names, sh)
        return None
    # the loop is announced if the loop of any of its activities is
    trig, trig_spec = max(
        (
            _trigger(c, rows, a, rep_sets[a], t.activity_cases)
            for a in g
            for rows in (r.ri[r.ract == a] - 1, r.prev[r.ri[r.ract == a]] + 1)
        ),
        key=lambda x: x[1],
    )
    if trig >= 0 and trig_spec >= max_trigger_specificity:
        logger.debug("rework: loop on %r is announced by %r (%.2f): legitimate", names, t.name(trig), trig_spec)
        return None
    n_rc = int(r.rep_cases[head])
    mask = r.ract == head
    evidence = _evidence(t, r, loop, g, names, sh, trig, trig_spec)
    conf = sample_confidence(n_rc) * (1.0 - (sh if np.isfinite(sh) else 0.5))
    units: tuple[str, ...] = ()
    if t.units.column == GROUP:  # a person is not named as the unit of a loop
        u_rep = t.units.codes[r.ri[mask]]
        u_rep = u_rep[u_rep >= 0]
        if len(u_rep):
            units = (str(t.units.names[np.bincount(u_rep).argmax()]),)
            evidence["unit_column"] = t.units.column
    return make_finding(
        "rework",
        names,
        n_cases_log=t.n_cases,
        cases=n_rc,
        time_cost_us=float(loop.loop_sum[head]),
        saving_per_case_us=float(loop.loop_sum[head]) / max(n_rc, 1),
        confidence=conf,
        evidence=evidence,
        recommendation=tr(
            "Reduce rework on '{activity}': it is repeated in {share:.0%} of the cases that contain it.",
            activity=names[0],
            share=evidence["repeat_share"],
        ),
        example_cases=pick_examples(log, r.rcase[mask], weights=loop.loop_us[mask]),
        org_units=units,
    )


def _evidence(t: Any, r: _Repeated, loop: _LoopTimes, g: list[int], names: tuple[str, ...], sh: float,
              trig: int, trig_spec: float) -> dict[str, Any]:
    """The evidence of loop ``g`` (head first): shares, loop times by cause, outcome shift, trigger."""
    head = g[0]
    n_rc = int(r.rep_cases[head])
    in_head = r.ract == head
    evidence: dict[str, Any] = {
        "repeat_share": float(r.repeat_share[head]),
        "cases_with_activity": int(t.activity_cases[head]),
        "repeats_per_case": float(loop.n_reps[head] / max(n_rc, 1)),
        "loop_time_median": td(float(np.median(loop.loop_us[in_head]))),
        "outcome_shift": None if not np.isfinite(sh) else float(sh),
        "trigger": t.name(trig) if trig >= 0 else "",
        "trigger_specificity": float(trig_spec),
    }
    if len(g) > 1:
        evidence["loop_activities"] = ", ".join(names)
    evidence["office_time"] = td(float(loop.loop_us[in_head].sum(dtype=np.float64)))
    evidence["client_wait"] = td(float(loop.loop_client[in_head].sum(dtype=np.float64)))
    evidence["statutory_wait"] = td(float(loop.loop_stat[in_head].sum(dtype=np.float64)))
    return evidence


def _trigger(c: Any, rows: np.ndarray, a: int, rep_cases: np.ndarray, activity_cases: np.ndarray) -> tuple[int, float]:
    """The most frequent activity at ``rows`` (the steps opening or closing the loops of
    ``a``) and the share of the cases containing it that repeat ``a`` (its specificity)."""
    before = c.activity[rows]
    before = before[before != a]  # a self-loop has no dedicated trigger
    if len(before) == 0:
        return -1, 0.0
    b = int(np.bincount(before).argmax())
    cases_b = distinct_sorted(c.case[c.activity == b])
    both = len(np.intersect1d(cases_b, rep_cases, assume_unique=True))
    return b, both / max(int(activity_cases[b]), 1)
