"""``automation_candidate``: a high-volume, short, invariant step done by people that a system could do.

**Definition.** An activity X is an automation candidate when

- it is frequent: it occurs in at least ``max(min_case_share, min_volume_share)`` of the
  cases;
- it is short: its median handling time is at most ``max_handling`` (working time from
  start to completion; when start times are unknown, from the previous event's
  completion, which then also contains the waiting);
- it is invariant: the most common predecessor and the most common successor each account
  for at least ``min_invariant`` of its occurrences, and its handling time varies little:
  its coefficient of variation (standard deviation over median, see
  :func:`handling_dispersion`: outliers such as a task left open overnight do not count,
  and the rounding of minute or hour timestamps is allowed for) is at most
  ``max_dispersion``. Handling under an hour on the clock is timed on the clock (start to
  completion), longer handling in working time: a short step spans no closure, and a
  calendar that does not match the office's opening hours would cut real work out of it;
- it is done by people: the log has ``org:resource`` for it and at most
  ``max_system_share`` of its events are done by a resource whose name looks like a
  system or batch user (``system``, ``batch``, ``auto``, ``robot``, ``cron``, ...);
- it occurs at most once per case in at least ``1 - max_repeat_share`` of its cases
  (a repeated step is ``rework``, not a routine step).

**Statistic.** ``evidence``: ``volume_share`` (cases with X / cases), ``events``,
``median_handling``, ``handling_dispersion``, ``handling_basis`` (``"processing"`` with start
times, else ``"since previous event"``), ``predecessor`` and ``predecessor_share``,
``successor`` and ``successor_share``, ``resources`` (distinct), ``system_share``,
``median_wait`` (working time waited in front of X).

**Guard.** A decision point is not invariant (its successors vary), a step by a system
user is already automated, a rare or long step does not pay off, a loop step repeats, a
step whose duration varies (``max_dispersion``: it depends on the case, i.e. needs
judgement) is not routine;
steps declared ``required`` are not reported (automating a required step keeps it, but
the legal basis must be checked first). Without ``org:resource`` the detector reports
nothing: "done by people" cannot be checked.

**Saving.** Per occurrence, its handling time plus the waiting in front of it (working
time): an automated step runs on arrival. Only what the office can shorten counts: waiting
for the applicant or a third party and legal periods (:mod:`procmine.waits._causes`) stay
when the step runs by itself (a system that closes a 30-day public inquiry still waits the
30 days). ``time_cost`` is the sum over all occurrences, ``saving_per_case`` that sum divided
by the cases containing X; the evidence gives the waiting left out (``client_wait``,
``statutory_wait``).

**Limits.** The log does not say whether a step needs judgement: "short and always the
same" is a hint, not a proof. Without start times, handling and waiting cannot be told
apart, and the step is not judged (``require_start=True``, the default). With
``require_start=False`` the gap since the previous event stands in for the handling
time; it must then be short and regular itself, which queues rarely allow, and a step
chained right after another one by the same person can pass for a short one (a false
positive seen on the samples without start times).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import Threshold, check_detector
from ..log import EventLog
from ..waits._causes import wait_causes
from ._base import event_table, make_finding, pick_examples, sample_confidence, td, tr, wilson_lower
from ._base import top_org_units as _org_units
from ._finding import Finding

__all__ = ["SYSTEM_USER", "detect", "handling_dispersion", "handling_times"]

_CLOCK_US = 3_600_000_000  # handling under an hour on the clock is timed on the clock

#: reads ``wait_causes(log)`` under the log's own declarations: find_redundancies
#: computes them once before the detectors that read them run side by side
READS_WAIT_CAUSES = True


#: the thresholds of :func:`detect` (validation, ``docs/detectors.md`` and the catalogue read them)
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("min_volume_share", "fraction", 0.5,
              "Minimum share of cases containing the step."),
    Threshold("max_handling", "duration", "15min",
              "Maximum median handling time (working time)."),
    Threshold("min_invariant", "fraction", 0.9,
              "Minimum share of the most common predecessor and successor."),
    Threshold("max_dispersion", "number", 0.25,
              "Maximum robust coefficient of variation of the handling time.", low=0),
    Threshold("max_system_share", "fraction", 0.2,
              "Maximum share of events by system-like resources."),
    Threshold("max_repeat_share", "fraction", 0.1,
              "Maximum share of the step's cases in which it occurs more than once."),
    Threshold("require_start", "bool", True,
              "Judge only steps with start times for at least half of their events (without them "
              "handling and waiting cannot be told apart)."),
    Threshold("waits", "mapping", None,
              "Declared wait causes per step, as for `procmine.performance` (`{'Frist': 'statutory'}`)."),
    Threshold("external", "names", None,
              "Steps the outside world triggers, as for `procmine.performance`."),
)

#: resource names that look like a system, batch or interface user (case-insensitive search)
SYSTEM_USER = re.compile(
    r"(system|batch|auto|robot|\bbot\b|cron|job|scheduler|server|interface|schnittstelle|daemon|"
    r"\brpa\b|\bsys\b|noreply|technical|technique|technisch)",
    re.IGNORECASE,
)


def detect(
    log: EventLog,
    *,
    min_case_share: float = 0.05,
    required: frozenset[str] = frozenset(),
    calendar: Any = None,
    min_volume_share: float = 0.5,
    max_handling: pd.Timedelta | str = "15min",
    min_invariant: float = 0.9,
    max_dispersion: float = 0.25,
    max_system_share: float = 0.2,
    max_repeat_share: float = 0.1,
    require_start: bool = True,
    waits: dict[str, str] | None = None,
    external: Any = None,
) -> list[Finding]:
    """Find frequent, short, always-the-same steps done by people.

    Parameters
    ----------
    log
        The event log.
    min_case_share
        Steps in a smaller share of cases are not reported.
    required
        Activities that must not be touched.
    calendar
        Working-time calendar (default: the Swiss office week).
    min_volume_share
        Minimum share of cases containing the step (default 0.5).
    max_handling
        Maximum median handling time (default 15 minutes of working time).
    min_invariant
        Minimum share of the most common predecessor and successor (default 0.9).
    max_dispersion
        Maximum coefficient of variation of the handling time (default 0.25), see
        :func:`handling_dispersion`.
    max_system_share
        Maximum share of events by system-like resources (default 0.2).
    max_repeat_share
        Maximum share of the step's cases in which it occurs more than once (default 0.1).
    require_start
        Judge only steps with start times for at least half of their events (default
        True): without them handling and waiting cannot be told apart. With False, the
        time since the previous event stands in for the handling time.
    waits, external
        Declared wait causes and external steps, as for :func:`procmine.performance`: the
        waiting they make the applicant's or a legal period is not counted as saved.

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.redundancy import automation_candidate
    >>> found = automation_candidate.detect(pm.samples.load("permit_de"), min_case_share=0.05)
    >>> all(f.kind == "automation_candidate" for f in found)
    True
    """
    check_detector("automation_candidate.detect", THRESHOLDS, locals())
    max_handling_us = pd.Timedelta(max_handling).value // 1000
    t = event_table(log, calendar)
    res = t.resources
    if t.n_events == 0 or res.column is None:
        return []
    volume = t.activity_cases / max(t.n_cases, 1)
    cand = np.flatnonzero(volume >= max(min_case_share, min_volume_share))
    if len(cand) == 0:
        return []
    handling_all = np.where(t.has_start, handling_times(t), t.gap)
    is_system = _system_events(res)
    req = frozenset(required)
    out: list[Finding] = []
    outside: tuple[np.ndarray, np.ndarray] | None = None
    for x in cand:
        x = int(x)
        if t.name(x) in req:
            continue
        m = _measure(t, x, handling_all, is_system, max_system_share=max_system_share,
                     max_repeat_share=max_repeat_share, require_start=require_start, max_handling_us=max_handling_us,
                     max_dispersion=max_dispersion, min_invariant=min_invariant)
        if m is not None:
            if outside is None:  # only for a step that passed the guards: most logs have none
                outside = wait_causes(log, waits=waits, external=external).outside_office(
                    t.wait, t.processing, t.c.activity)
            out.append(_finding(log, t, m, float(volume[x]), outside))
    return out


def _system_events(res: Any) -> np.ndarray:
    """Per event: done by a system account (a resource named like one)."""
    system_name = np.array([bool(SYSTEM_USER.search(str(n))) for n in res.names], dtype=bool)
    return np.where(
        res.codes >= 0, system_name[np.maximum(res.codes, 0)] if len(system_name) else False, False
    )


@dataclass(frozen=True)
class _Step:
    """The measures of a step that passed the guards."""

    x: int  #: activity code
    occ: np.ndarray  #: its events
    cases: np.ndarray  #: its cases
    system_share: float
    median_h: float  #: median handling (µs)
    dispersion: float
    pred: tuple[int, float, int]  #: most frequent predecessor, its share and count
    succ: tuple[int, float, int]  #: most frequent successor, its share and count


def _measure(t: Any, x: int, handling_all: np.ndarray, is_system: np.ndarray, *, max_system_share: float,
             max_repeat_share: float, require_start: bool, max_handling_us: int, max_dispersion: float,
             min_invariant: float) -> _Step | None:
    """The guards of the module docstring on step ``x``: its measures, or None when one fails."""
    c, res, use_start = t.c, t.resources, t.has_start
    occ = np.flatnonzero(c.activity == x)
    has_res = res.codes[occ] >= 0
    if has_res.mean() < 0.5:
        return None
    system_share = float(is_system[occ][has_res].mean())
    if system_share > max_system_share:
        return None
    cases, per_case = np.unique(c.case[occ], return_counts=True)
    repeat_share = float((per_case > 1).mean())
    if repeat_share > max_repeat_share:
        return None
    measurable = use_start[occ] if require_start else use_start[occ] | t.same_case_prev[occ]
    if measurable.mean() < 0.5:
        return None
    handling = handling_all[occ][measurable]
    median_h = float(np.median(handling))
    if median_h > max_handling_us:
        return None
    dispersion = handling_dispersion(handling, t.resolution)
    if dispersion > max_dispersion:
        return None
    pred = _mode_share(t.prev_activity[occ])
    succ = _mode_share(t.next_activity[occ])
    if pred[1] < min_invariant or succ[1] < min_invariant:
        return None
    return _Step(x, occ, cases, system_share, median_h, dispersion, pred, succ)


def _finding(log: EventLog, t: Any, m: _Step, volume: float, outside: tuple[np.ndarray, np.ndarray]) -> Finding:
    """The finding of a step that passed the guards (``volume``: its share of cases;
    ``outside``: per event, the waiting for the applicant and the legal periods)."""
    c, res, occ = t.c, t.resources, m.occ
    name = t.name(m.x)
    (pred_code, pred_share, pred_n), (succ_code, succ_share, succ_n) = m.pred, m.succ
    client = outside[0][occ].astype(np.float64)
    statutory = outside[1][occ].astype(np.float64)
    # handling plus the waiting in front of it, but for what the office cannot shorten
    cost = np.maximum(t.gap[occ] - client - statutory, 0.0)
    total = float(cost.sum(dtype=np.float64))
    has_res = res.codes[occ] >= 0
    n_res = len(np.unique(res.codes[occ][has_res]))
    basis = "processing" if t.has_start[occ].mean() >= 0.5 else "since previous event"
    conf = (
        min(wilson_lower(pred_n, len(occ)), wilson_lower(succ_n, len(occ)))
        * (1.0 - m.system_share)
        * sample_confidence(len(m.cases))
    )
    evidence = {
        "volume_share": volume,
        "events": len(occ),
        "median_handling": td(m.median_h),
        "handling_dispersion": m.dispersion,
        "handling_basis": basis,
        "predecessor": _act_name(t, pred_code, "(start)"),
        "predecessor_share": pred_share,
        "successor": _act_name(t, succ_code, "(end)"),
        "successor_share": succ_share,
        "resources": n_res,
        "system_share": m.system_share,
        "median_wait": td(np.median(t.wait[occ])),
    }
    for key, part in (("client_wait", client), ("statutory_wait", statutory)):
        if part.any():  # waiting left out of the saving: shown beside it
            evidence[key] = td(float(part.sum(dtype=np.float64)))
    rec = tr(
        "Let a system do '{a}': it occurs in {share:.0%} of cases, takes a median {handling} of "
        "handling and follows '{prev}' in {prev_share:.0%} of its occurrences.",
        a=name,
        share=evidence["volume_share"],
        handling=evidence["median_handling"],
        prev=evidence["predecessor"],
        prev_share=evidence["predecessor_share"],
    )
    return make_finding(
        "automation_candidate",
        (name,),
        n_cases_log=t.n_cases,
        cases=len(m.cases),
        time_cost_us=total,
        saving_per_case_us=total / len(m.cases),
        confidence=conf,
        evidence=evidence,
        recommendation=rec,
        example_cases=pick_examples(log, c.case[occ], weights=cost),
        org_units=_org_units(t, occ),
    )


def handling_times(t: Any) -> np.ndarray:
    """Per event of the :class:`~procmine.redundancy._base.EventTable` ``t``: its handling
    time (µs) from start to completion, on the clock when under an hour (a step that short
    spans no night, and a calendar that does not match the office's hours would cut real
    work out of it), else in working time; meaningful where ``t.has_start``."""
    clock = t.c.ts - t.start
    return np.where(clock < _CLOCK_US, clock, t.processing)


def handling_dispersion(handling: np.ndarray, resolution: float = 0.0) -> float:
    """Coefficient of variation of ``handling`` (µs), robust to outliers and to the
    timestamp ``resolution`` (µs).

    Occurrences outside a third to three times the median (a task left open overnight) are
    not the step's own variation and are left out. A duration between two timestamps
    rounded to ``resolution`` carries a rounding error of variance ``resolution² / 6`` (two
    independent uniform errors), which is taken off the observed variance (Sheppard's
    correction): with minute timestamps, a step of 2 minutes ± 10 seconds reads as 1, 2 or
    3 minutes, yet it is invariant.

    >>> minutes = np.array([2, 2, 3, 2, 2, 3, 2, 2]) * 60e6  # read to the minute
    >>> round(handling_dispersion(minutes), 2), round(handling_dispersion(minutes, resolution=60e6), 2)
    (0.22, 0.07)
    >>> round(handling_dispersion(np.array([10, 20, 40, 15, 30.0]) * 60e6), 2)
    0.54
    """
    h = np.asarray(handling, dtype=np.float64)
    if len(h) == 0:
        return float("inf")
    med = float(np.median(h))
    if med <= 0:
        return float("inf")
    core = h[(h >= med / 3) & (h <= 3 * med)]
    var = float(np.var(core)) - float(resolution) ** 2 / 6 if len(core) > 1 else 0.0
    return float(np.sqrt(max(var, 0.0)) / med)


def _mode_share(codes: np.ndarray) -> tuple[int, float, int]:
    """Most common code (-1 = none), its share and count."""
    vals, n = np.unique(codes, return_counts=True)
    k = int(np.argmax(n))
    return int(vals[k]), float(n[k] / len(codes)), int(n[k])


def _act_name(t: Any, code: int, none: str) -> str:
    """The activity's name; ``none`` (``"(start)"``, ``"(end)"``: codes the report
    translates) where the case starts or ends there."""
    return none if code < 0 else t.name(code)
