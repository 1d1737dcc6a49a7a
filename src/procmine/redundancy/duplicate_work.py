"""Duplicate work: the same activity (the same check) done by two or more org units in one case.

**Definition.** The org unit of an event is its ``org:group`` (else its ``org:resource``,
noted in the evidence). A case *duplicates* activity *a* when *a* is performed in it by at
least two different units. *a* is reported when the duplicating cases are at least
``min_case_share`` of all cases and at least ``min_duplicate_share`` of the cases that
contain *a*.

**Statistic.** ``duplicate_share`` (duplicating cases / cases with *a*),
``cases_with_activity``, ``unit_pair`` and ``unit_pair_share`` (the most frequent pair of
first and second unit, and its share among duplicating cases), ``units_per_case``,
``extra_time_median`` (office working time of one duplicate occurrence), ``unit_column``.

**Guard.** Activities declared ``required`` (a legally required double check) are never
reported. Occurrences by the *same* unit are rework, not duplicate work. Rare duplicates
(``min_case_share``, ``min_duplicate_share``) are ignored; events without a unit are ignored.
The check that raised a request to the applicant (the step right before the request), done
again after it once the documents are in, belongs to the request's loop, which
``incomplete_submission`` reports: it is not counted here, so one redone check is reported
once (as ``rework`` leaves it too).
A loop in which the second unit redoes the step *after the outcome changed* cannot be told
apart here: the rework detector's outcome test covers those loops.

**Saving.** ``saving_per_case`` is the mean working time (wait before plus processing) of the
occurrences by the second and further units per duplicating case, office time only: the
wait for the applicant or a third party and legal periods before them
(:mod:`procmine.waits._causes`) stay when the step is done once (calls chasing a customer
who has not answered yet, made by whoever is on duty); ``time_cost`` is their total. The
evidence shows ``office_time``, ``client_wait`` and ``statutory_wait`` of those occurrences.

**Hand-over of one task.** When units are people (``org:resource``, no ``org:group``), an
occurrence that directly follows an occurrence of the same step in the case (nothing else
done in between) is the same task taken up again by a colleague (a work item resumed in
sessions, a call tried again), not a second check: only *fresh* takes of the step (after
another step) count, for the duplicating cases and for the saving. With org units, two
units one after the other on the same step stay a duplicate check.

**System steps.** A step a system records (:func:`procmine.waits._steps.classify_steps`'
``system``: sub-second durations, a system account) is nobody's check: recorded again by a
second person it marks a new state (a new offer selected after the first was cancelled),
and the wait before it belongs to the work before it. Such steps are not reported.

**Limits.** When units are resources (no ``org:group``), two persons doing the same step
may still be a hand-over within one office rather than a duplicate check. Checks with different
names in each unit (e.g. "Prüfung Gemeinde" and "Prüfung Kanton") are not recognised as
the same check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import RESOURCE, EventLog
from ..waits._causes import wait_causes
from ._base import event_table, make_finding, pick_examples, sample_confidence, td, tr
from ._finding import Finding

__all__ = ["detect"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_duplicate_share", "fraction", 0.1,
              "Minimum share, among the cases with the activity, of cases in which two or more units do"
              " it."),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)


_UNITS = ("Do '{activity}' once: in {share:.0%} of the cases that contain it, two or more units do it, most "
          "often {unit_a} and {unit_b} ({pair_share:.0%} of those cases).")
# units are people (no org:group): the sentence says people, not units
_PEOPLE = ("Do '{activity}' once: in {share:.0%} of the cases that contain it, two or more people take it up "
           "separately, most often {unit_a} and {unit_b} ({pair_share:.0%} of those cases).")


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_duplicate_share: float = 0.1,
    waits: Any = None,
    external: Any = None,
) -> list[Finding]:
    """Activities performed by two or more org units in one case (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Minimum share of all cases that duplicate the activity.
    required
        Activities that are legally required (never reported).
    calendar
        Working-time calendar (default: Swiss office week).
    min_duplicate_share
        Minimum share, among the cases with the activity, of duplicating cases.
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`.

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> all(f.kind == "duplicate_work" for f in found)
    True
    """
    check_detector("duplicate_work.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    if t.n_events == 0 or t.units.column is None:
        return []
    d = _duplicates(t, _redone_after_request(log, t))
    if d is None:
        return []
    n_act = t.c.n_activities
    dup_cases = np.bincount(d.d_act, minlength=n_act)
    share = dup_cases / np.maximum(t.activity_cases, 1)
    cand = (dup_cases >= max(min_case_share * t.n_cases, 1)) & (share >= min_duplicate_share)
    # a step a system records (sub-second, by a system account) is nobody's check: done again
    # it records a new state (a new offer selected), and the time before it is other work's
    causes = wait_causes(log, waits=waits, external=external)
    cand &= ~causes.steps["system"].to_numpy(dtype=bool)
    if not cand.any():
        return []
    x = _extra_time(t, d, causes)
    out: list[Finding] = []
    for a in np.flatnonzero(cand):
        if t.name(a) in required:
            continue
        out.append(_finding(log, t, d, x, int(a), int(dup_cases[a]), float(share[a]), min_duplicate_share))
    return out


@dataclass(frozen=True)
class _Duplicates:
    """The (case, activity) pairs done by at least two units."""

    taken_up: np.ndarray  #: per event: a person continuing a colleague's occurrence right before, or a request loop's redo
    d_first: np.ndarray  #: first-unit row of each duplicating (case, activity)
    d_second: np.ndarray  #: second-unit row
    d_act: np.ndarray  #: activity of each
    units_per_case: np.ndarray  #: distinct units of each


def _redone_after_request(log: EventLog, t: Any) -> np.ndarray:
    """Per event: the check that raised a request to the applicant, done again after it (the
    check redone once the documents are in: the step right before the request in the case).
    That is the incomplete_submission detector's loop, reported there (as rework leaves it):
    counting it here too reported the same redone check twice (BPIC12: *W_Valideren
    aanvraag* after the calls about an incomplete file). Other steps done before and after a
    request by two units stay duplicate work.

    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> int(_redone_after_request(log, event_table(log)).sum()) >= 0
    True
    """
    from .incomplete_submission import request_steps

    c = t.c
    n = t.n_events
    is_req, _ = request_steps(log)
    out = np.zeros(n, dtype=bool)
    if not is_req.any() or n < 2:
        return out
    rows = np.arange(n, dtype=np.int64)
    req = is_req[c.activity]
    req[1:] &= (c.case[1:] == c.case[:-1]) & (c.activity[:-1] != c.activity[1:])
    req[0] = False
    raised = np.flatnonzero(req)  # request rows; the check that raised each is the row before
    n_act = max(c.n_activities, 1)
    key = c.case.astype(np.int64) * n_act + c.activity
    raised_key = key[raised - 1]
    # the first request each (case, check) raised; the check's occurrences after it are the loop's
    order = np.lexsort((raised, raised_key))
    raised_key, raised = raised_key[order], raised[order]
    first = np.r_[True, raised_key[1:] != raised_key[:-1]]
    raised_key, raised = raised_key[first], raised[first]
    pos = np.minimum(np.searchsorted(raised_key, key), len(raised_key) - 1)
    return (raised_key[pos] == key) & (rows > raised[pos])


def _duplicates(t: Any, redone: np.ndarray) -> _Duplicates | None:
    """The (case, activity) pairs done by two or more units (None when there is none);
    ``redone``: occurrences that are a request loop's work, not a second check."""
    c = t.c
    u = t.units.codes
    n_act = c.n_activities
    n_units = max(len(t.units.names), 1)
    # a person taking up the step right after a colleague's occurrence of it (nothing else
    # done in the case in between) continues one task, not a second check: only fresh
    # takes of the step count when the units are people
    taken_up = redone.copy()
    if t.units.column == RESOURCE and t.n_events > 1:
        taken_up[1:] |= (c.case[1:] == c.case[:-1]) & (c.activity[1:] == c.activity[:-1])
    ok = np.flatnonzero((u >= 0) & ~taken_up)
    # distinct (case, activity, unit) triples, in time order of their first event
    key3 = (c.case[ok].astype(np.int64) * n_act + c.activity[ok]) * n_units + u[ok]
    _, first3 = np.unique(key3, return_index=True)
    tri = np.sort(ok[first3])  # row of the first event of each triple, time order per case
    pair_key = c.case[tri].astype(np.int64) * n_act + c.activity[tri]
    order = np.argsort(pair_key, kind="stable")
    tri, pair_key = tri[order], pair_key[order]
    starts = np.flatnonzero(np.r_[True, pair_key[1:] != pair_key[:-1]])
    n_units_pair = np.diff(np.r_[starts, len(tri)])
    dup = n_units_pair >= 2
    if not dup.any():
        return None
    d_first = tri[starts[dup]]
    return _Duplicates(taken_up, d_first, tri[starts[dup] + 1], c.activity[d_first], n_units_pair[dup])


@dataclass(frozen=True)
class _Extra:
    """The office time of the duplicate occurrences."""

    extra: np.ndarray  #: per event: an occurrence by another unit than the first
    extra_time: np.ndarray  #: per event: its office time (µs)
    client: np.ndarray
    statutory: np.ndarray
    cost: np.ndarray  #: per activity: office time of its duplicate occurrences


def _extra_time(t: Any, d: _Duplicates, causes: Any) -> _Extra:
    """Time of the duplicate occurrences: events of a duplicating (case, activity) whose
    unit differs from the first unit; office time only."""
    c = t.c
    u = t.units.codes
    n_act = c.n_activities
    dup_pairs = c.case[d.d_first].astype(np.int64) * n_act + d.d_act  # sorted (pair_key order)
    ev_pair = c.case.astype(np.int64) * n_act + c.activity
    pos = np.minimum(np.searchsorted(dup_pairs, ev_pair), len(dup_pairs) - 1)
    in_dup = dup_pairs[pos] == ev_pair
    first_unit = u[d.d_first][pos]
    extra = in_dup & (u >= 0) & (u != first_unit) & ~d.taken_up
    # office time only: the client's wait and legal periods before a duplicate stay anyway
    client, statutory = causes.outside_office(t.wait, t.processing, c.activity)
    outside = np.where(extra, client + statutory, 0).astype(np.float64)
    gap = np.where(extra, t.gap, 0).astype(np.float64)
    extra_time = np.maximum(gap - outside, 0.0)
    cost = np.bincount(c.activity, weights=extra_time, minlength=n_act)
    return _Extra(extra, extra_time, client, statutory, cost)


def _finding(log: EventLog, t: Any, d: _Duplicates, x: _Extra, a: int, n_dc: int, share: float,
             min_duplicate_share: float) -> Finding:
    """The finding of activity ``a`` done again by another unit in ``n_dc`` cases."""
    c = t.c
    u = t.units.codes
    names = t.units.names
    n_units = max(len(names), 1)
    name = t.name(a)
    sel = d.d_act == a
    p1, p2 = u[d.d_first[sel]], u[d.d_second[sel]]
    lo, hi = np.minimum(p1, p2).astype(np.int64), np.maximum(p1, p2).astype(np.int64)
    vals, cnt = np.unique(lo * n_units + hi, return_counts=True)
    best = vals[np.argmax(cnt)]
    pair = (str(names[best // n_units]), str(names[best % n_units]))
    ev_a = x.extra & (c.activity == a)
    evidence: dict[str, Any] = {
        "duplicate_share": share,
        "cases_with_activity": int(t.activity_cases[a]),
        "unit_pair": " / ".join(pair),
        "unit_pair_share": float(cnt.max() / sel.sum(dtype=np.float64)),
        "units_per_case": float(d.units_per_case[sel].mean()),
        "extra_time_median": td(float(np.median(x.extra_time[ev_a])) if ev_a.any() else 0.0),
        "unit_column": t.units.column,
        "office_time": td(float(x.extra_time[ev_a].sum(dtype=np.float64))),
        "client_wait": td(float(np.where(ev_a, x.client, 0).sum(dtype=np.float64))),
        "statutory_wait": td(float(np.where(ev_a, x.statutory, 0).sum(dtype=np.float64))),
    }
    return make_finding(
        "duplicate_work",
        (name,),
        n_cases_log=t.n_cases,
        cases=n_dc,
        time_cost_us=float(x.cost[a]),
        saving_per_case_us=float(x.cost[a]) / max(n_dc, 1),
        confidence=sample_confidence(n_dc) * (min(1.0, share / (2 * min_duplicate_share)) if min_duplicate_share else 1.0),
        evidence=evidence,
        # duplicate_share counts cases with any two units; the named pair is only the
        # most frequent one, with its own share among those cases
        recommendation=tr(
            _PEOPLE if t.units.column == RESOURCE else _UNITS,
            activity=name,
            share=evidence["duplicate_share"],
            unit_a=pair[0],
            unit_b=pair[1],
            pair_share=evidence["unit_pair_share"],
        ),
        example_cases=pick_examples(log, c.case[ev_a], weights=t.gap[ev_a]),
        org_units=pair,
    )
