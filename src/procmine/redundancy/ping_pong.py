"""Ping-pong: a case handed back and forth between org units (or resources), A→B→A.

**Definition.** The org unit of an event is its ``org:group`` (else its ``org:resource``,
noted in the evidence). Consecutive events of a case by the same unit form a *visit*. A
*round trip* is a visit to unit Y between two visits to unit X (X→Y→X). A round trip is a
*bounce* when the work comes back for something already done: the visit to Y or the return
visit to X contains a repetition of an activity that occurred in an earlier visit of the case
(see :func:`procmine.redundancy.rework.repetitions`; a step repeated within one visit is that
unit's own rework, not a hand-back). A pair of units {X, Y} ping-pongs when the
cases with at least one bounce between them are at least ``min_case_share`` of all cases.

**Statistic.** ``round_trips_per_case`` (bounced visits per affected case, halved: the visit
to Y and the return to X make one trip), ``max_round_trips``, ``bounce_share`` (cases with a
bounce / cases with any X→Y→X round trip), ``redone_events_per_case`` (repetitions inside
bounced visits), ``time_lost_median`` (per affected case), ``activities_share`` (share of the
redone events covered by the named activities), ``unit_column``. The finding names the
activities redone in the bounces (at most ``max_activities``, most frequent first).

**Guard.** A round trip with only new work (X prepares, Y decides, X notifies) is the normal
flow of a procedure through its units and is *not* counted: only bounces are. A bounce
*announced by a dedicated step* is a legitimate path (e.g. "change of project requested":
the case goes back for a new examination): when the visit to Y, or the step that hands the
case to Y, contains an activity done once in the case and found almost only in cases with a
bounce on this pair — at least ``max_trigger_specificity`` of the cases with that activity —
the bounce is not counted (the same rule as for ``rework``). Steps that are themselves
repeated (the question and the answer of the back-and-forth) announce nothing. Events with no unit are skipped; rare patterns
(``min_case_share``) are ignored; findings whose activities are all ``required`` are dropped.

**Saving.** ``time_lost`` of a case is the working time (wait before plus processing) of the
events *redone* in its bounced visits (repetitions of earlier work, the extra rounds of the
exchange); ``saving_per_case`` is its mean over the affected cases and ``time_cost`` its
total. The first, necessary exchange is not counted.

**Limits.** A bounce that was necessary (the applicant really supplied new information) looks
the same in the log. Units as resources (no ``org:group``) make ordinary hand-overs between
colleagues count. Only the return to the *same* unit is seen (X→Y→Z→X is not a bounce).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import Threshold, check_detector
from ..log import EventLog
from ._base import (
    event_table,
    first_per_case,
    make_finding,
    pick_examples,
    sample_confidence,
    td,
    tr,
)
from ._finding import Finding
from .rework import repetitions

__all__ = ["detect"]


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("max_activities", "int", 3,
              "At most this many activities (the most frequent in the bounces) name a finding.", low=1),
    Threshold("max_trigger_specificity", "fraction", 0.8,
              "A bounce whose visit contains an activity seen in bouncing cases at least this often is "
              "an announced, legitimate loop."),
)


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    max_activities: int = 3,
    max_trigger_specificity: float = 0.8,
) -> list[Finding]:
    """Pairs of units that hand cases back and forth (see the module docstring).

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Minimum share of all cases with a bounce between the two units.
    required
        Required activities: a finding made only of required activities is dropped.
    calendar
        Working-time calendar (default: Swiss office week).
    max_activities
        At most this many activities (the most frequent in the bounces) name a finding.
    max_trigger_specificity
        A bounce whose visit (or hand-over step) contains an activity seen in cases with a
        bounce on the pair at least this often is an announced, legitimate loop.

    Examples
    --------
    >>> import procmine as pm
    >>> found = detect(pm.samples.load("permit_de"))
    >>> all(f.kind == "ping_pong" for f in found)
    True
    """
    check_detector("ping_pong.detect", THRESHOLDS, locals())
    t = event_table(log, calendar)
    if t.n_events == 0 or t.units.column is None:
        return []
    v = _visits(log, t)
    if v is None:
        return []
    b = _bounces(t, v, max_trigger_specificity)
    if b is None:
        return []
    bk, b_pair, b_case, t_pair, t_case = b
    # cases per pair (bounces and any round trips)
    bc = np.unique(b_pair * (t.n_cases + 1) + b_case)
    tc = np.unique(t_pair * (t.n_cases + 1) + t_case)
    pairs, b_cases = np.unique(bc // (t.n_cases + 1), return_counts=True)
    t_pairs, t_cases = np.unique(tc // (t.n_cases + 1), return_counts=True)
    trip_cases = dict(zip(t_pairs.tolist(), t_cases.tolist()))
    keep = b_cases >= max(min_case_share * t.n_cases, 1)
    if not keep.any():
        return []
    # bounced visits (Y visit and the return to X), each counted once per pair
    vis_pair = np.full(len(v.vstart), -1, dtype=np.int64)
    vis_pair[bk] = b_pair
    vis_pair[bk + 1] = np.where(vis_pair[bk + 1] >= 0, vis_pair[bk + 1], b_pair)
    out: list[Finding] = []
    for p, n_bc in zip(pairs[keep], b_cases[keep]):
        found = _finding(log, t, v, vis_pair, int(p), n_bc, b_pair, b_case, trip_cases, required, max_activities)
        if found is not None:
            out.append(found)
    return out


@dataclass(frozen=True)
class _Visits:
    """The events with a unit (rows ``ok``) and their visits: runs of one unit within a case."""

    ok: np.ndarray  #: rows of the events with a unit
    case_o: np.ndarray  #: their case
    unit_o: np.ndarray  #: their unit
    act_o: np.ndarray  #: their activity
    visit_of: np.ndarray  #: their visit
    vstart: np.ndarray  #: position (in ``ok``) of each visit's first event
    v_case: np.ndarray  #: case of each visit
    v_unit: np.ndarray  #: unit of each visit
    v_rep: np.ndarray  #: visit holds work coming back from an earlier visit
    rep: np.ndarray  #: per event: a repetition whose earlier occurrence lies in an earlier visit
    rep_any: np.ndarray  #: per event: any repetition
    n_units: int


def _visits(log: EventLog, t: Any) -> _Visits | None:
    """The visits of the units (None when there are fewer than three)."""
    c = t.c
    u = t.units.codes
    rep, prev = repetitions(log)
    ok = np.flatnonzero(u >= 0)
    case_o, unit_o = c.case[ok], u[ok]
    # visits: runs of the same unit within a case
    new_visit = np.r_[True, (case_o[1:] != case_o[:-1]) | (unit_o[1:] != unit_o[:-1])]
    vstart = np.flatnonzero(new_visit)
    visit_of = np.cumsum(new_visit) - 1  # per kept event
    # work comes back only when its earlier occurrence lies in an earlier visit: a loop inside
    # one unit's visit (its own rework) is not a hand-back between units
    vis_all = np.full(len(rep), -1, dtype=np.int64)
    vis_all[ok] = visit_of
    rep_any, rep = rep, rep & (vis_all[np.maximum(prev, 0)] < vis_all)
    v_case, v_unit = case_o[vstart], unit_o[vstart]
    v_rep = np.maximum.reduceat(rep[ok].astype(np.int8), vstart).astype(bool) if len(vstart) else np.zeros(0, bool)
    if len(vstart) < 3:
        return None
    return _Visits(ok, case_o, unit_o, c.activity[ok], visit_of, vstart, v_case, v_unit, v_rep, rep, rep_any,
                   max(len(t.units.names), 1))


def _pair_of(v: _Visits, kk: np.ndarray) -> np.ndarray:
    """The unordered unit pair (code) of the visits ``kk - 1`` and ``kk``."""
    x, y = v.v_unit[kk - 1].astype(np.int64), v.v_unit[kk].astype(np.int64)
    return np.minimum(x, y) * v.n_units + np.maximum(x, y)


def _bounces(t: Any, v: _Visits, max_trigger_specificity: float) -> tuple[np.ndarray, ...] | None:
    """The unannounced bounces (visit index, pair, case) and all round trips (pair, case):
    X -> Y -> X within a case, a bounce when work comes back (None when there is no bounce)."""
    c = t.c
    nv = len(v.vstart)
    k = np.arange(1, nv - 1)
    v_case, v_unit = v.v_case, v.v_unit
    trip = (v_case[k - 1] == v_case[k]) & (v_case[k + 1] == v_case[k]) & (v_unit[k - 1] == v_unit[k + 1])
    bounce = trip & (v.v_rep[k] | v.v_rep[k + 1])
    tk, bk = k[trip], k[bounce]
    if len(bk) == 0:
        return None
    b_pair, b_case = _pair_of(v, bk), v_case[bk]
    # announced bounces (a dedicated step opens the loop) are legitimate
    case_o, act_o = v.case_o, v.act_o
    first_ca, _ = first_per_case(case_o, act_o)
    ca_case, ca_act = case_o[first_ca], act_o[first_ca]
    # events whose activity is repeated in their case (part of the back-and-forth itself)
    pair_ca = case_o.astype(np.int64) * c.n_activities + act_o
    rep_pairs = np.unique(pair_ca[v.rep_any[v.ok]])
    repeated_o = np.isin(pair_ca, rep_pairs)
    legit = _announced(
        bk, b_pair, b_case, v.vstart, ca_case, ca_act, act_o, repeated_o,
        np.maximum(t.activity_cases, 1), c.n_activities, t.n_cases,
    ) >= max_trigger_specificity
    bk, b_pair, b_case = bk[~legit], b_pair[~legit], b_case[~legit]
    if len(bk) == 0:
        return None
    return bk, b_pair, b_case, _pair_of(v, tk), v_case[tk]


def _finding(log: EventLog, t: Any, v: _Visits, vis_pair: np.ndarray, p: int, n_bc: Any, b_pair: np.ndarray,
             b_case: np.ndarray, trip_cases: dict[int, int], required: frozenset[str],
             max_activities: int) -> Finding | None:
    """The finding of unit pair ``p`` bounced in ``n_bc`` cases (None when all its steps are required)."""
    ev_pair = vis_pair[v.visit_of]  # per kept event
    in_visits = ev_pair == p
    sel = in_visits & v.rep[v.ok]  # work done again: a repetition inside a bounced visit
    if not sel.any():  # pragma: no cover - a bounce always holds a repetition
        sel = in_visits
    acts, cnt = np.unique(v.act_o[sel], return_counts=True)
    top = np.argsort(-cnt, kind="stable")[:max_activities]
    activities = tuple(t.name(a) for a in acts[top])
    if required and set(activities) <= required:
        return None
    lost = t.gap[v.ok].astype(np.float64)[sel]
    lost_case = np.bincount(v.case_o[sel], weights=lost, minlength=t.n_cases)
    affected = lost_case[np.unique(b_case[b_pair == p])]
    # round trips: the bounced visits of a case (Y and the returns to X), two per trip
    vis_p = np.flatnonzero(vis_pair == p)
    trips = np.bincount(v.v_case[vis_p], minlength=t.n_cases)[np.unique(b_case[b_pair == p])] / 2.0
    names = t.units.names
    units = (str(names[p // v.n_units]), str(names[p % v.n_units]))
    evidence: dict[str, Any] = {
        "round_trips_per_case": float(trips.mean()),
        "max_round_trips": float(trips.max()),
        "bounce_share": float(n_bc / max(trip_cases.get(int(p), n_bc), 1)),
        "time_lost_median": td(float(np.median(affected))),
        "activities_share": float(cnt[top].sum(dtype=np.float64) / cnt.sum(dtype=np.float64)),
        "redone_events_per_case": float(sel.sum(dtype=np.float64) / max(int(n_bc), 1)),
        "unit_column": t.units.column,
    }
    return make_finding(
        "ping_pong",
        activities,
        n_cases_log=t.n_cases,
        cases=int(n_bc),
        time_cost_us=float(lost.sum(dtype=np.float64)),
        saving_per_case_us=float(lost.sum(dtype=np.float64)) / max(int(n_bc), 1),
        confidence=sample_confidence(n_bc),
        evidence=evidence,
        recommendation=tr(
            "Settle questions between {unit_a} and {unit_b} in one exchange: cases go back and forth "
            "{trips:.1f} times on average.",
            unit_a=units[0],
            unit_b=units[1],
            trips=evidence["round_trips_per_case"],
        ),
        example_cases=pick_examples(log, v.case_o[sel], weights=lost),
        org_units=units,
    )


def _announced(
    bk: np.ndarray,
    b_pair: np.ndarray,
    b_case: np.ndarray,
    vstart: np.ndarray,
    ca_case: np.ndarray,
    ca_act: np.ndarray,
    act_o: np.ndarray,
    repeated_o: np.ndarray,
    activity_cases: np.ndarray,
    n_activities: int,
    n_cases: int,
) -> np.ndarray:
    """Per bounce, the highest specificity of a step in its visit or its hand-over step.

    The specificity of activity ``a`` for a pair is the share of the cases with ``a`` that
    bounce on that pair; a step of the repeated cycle counts 0. Computed for all pairs at
    once, over the (pair, bounced case, activity) triples and the bounced visits' events
    only (a loop over pairs scanned every event once per pair).
    """
    n_ev = len(act_o)
    # (pair, bounced case) once each, then every distinct activity of that case
    pc = np.unique(b_pair.astype(np.int64) * (n_cases + 1) + b_case)
    pc_pair, pc_case = pc // (n_cases + 1), pc % (n_cases + 1)
    ca_start = np.searchsorted(ca_case, np.arange(n_cases + 1))
    first, n_act = ca_start[pc_case], ca_start[pc_case + 1] - ca_start[pc_case]
    rows = _ranges(first, n_act)
    pair_act = np.repeat(pc_pair, n_act) * n_activities + ca_act[rows]
    keys, counts = np.unique(pair_act, return_counts=True)
    # per bounce: the events of its visit and the one before it (the hand-over step)
    vend = np.r_[vstart[1:], n_ev]
    lo = vstart[bk] - 1
    length = vend[bk] - lo
    ev = _ranges(lo, length)
    ev_pair = np.repeat(b_pair.astype(np.int64), length)
    act = act_o[ev]
    pos = np.searchsorted(keys, ev_pair * n_activities + act)  # always present: the case has ``act``
    spec = counts[np.minimum(pos, len(keys) - 1)] / activity_cases[act]
    spec = np.where(repeated_o[ev], 0.0, spec)
    return np.maximum.reduceat(spec, np.r_[0, np.cumsum(length)[:-1]])


def _ranges(start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``start[i] .. start[i] + length[i] - 1``."""
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offset = np.repeat(start.astype(np.int64) - np.r_[0, np.cumsum(length)[:-1]], length)
    return np.arange(total, dtype=np.int64) + offset
