"""Savings of findings in the two units the portfolio ranks by.

* **Lead time** (working days per year): a finding's ``total_saving`` (working time the
  affected cases would no longer spend, summed over them) scaled to one year by the log's
  time span, in working days of the calendar (:attr:`procmine.Calendar.day_hours`). It
  measures how much shorter cases get, summed over cases, not staff effort.
* **Staff hours** per year: the processing time of the steps a finding would remove or
  that are repeated (median processing time per occurrence, from start timestamps),
  times the occurrences saved. Only measurable when the log has start timestamps, and only
  for kinds that remove work (rework, duplicate work, ping-pong, rubber stamp, automation
  candidate, incomplete submission: the request and the steps repeated after the answer); bottlenecks, batching, merging and parallelizing shorten waiting, not work.
  Summed over findings (:func:`staff_hours_total`), each step's staff time counts once:
  per step the findings' hours are capped at its occurrences times its median processing.
* **Headline** (:func:`headline`): what the office can change, each figure once. Office
  time saved per year (working days): every finding's ``total_saving`` is spread over its
  activities in proportion to their office time (office waiting before them plus their
  processing, :mod:`procmine.waits._causes`), and per activity the findings together are
  capped at that office time, so that a wait two findings touch counts once and waiting
  for the applicant or a legal period never counts. Client waiting avoided (calendar days
  per year): the applicant's waits after the request steps of ``incomplete_submission``
  findings. Cases affected: the distinct cases containing a step of a finding (an upper
  bound). Figures are rounded to two significant digits: they are estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from ..waits._causes import CLIENT

__all__ = ["EFFORT_KINDS", "Headline", "headline", "lead_days_per_year", "round_figure", "staff_hours",
           "staff_hours_by_step", "staff_hours_total", "yearly_factor"]

EFFORT_KINDS = ("rework", "duplicate_work", "ping_pong", "rubber_stamp", "automation_candidate", "incomplete_submission")


def yearly_factor(log: Any) -> float:
    """Multiply a total over the log's time span by this to get a yearly figure (span >= 30 days)."""
    tr = log.time_range
    if tr is None:
        return 1.0
    days = max((tr[1] - tr[0]).total_seconds() / 86400, 30.0)
    return 365.25 / days


def lead_days_per_year(findings: Iterable[Any], log: Any, day_hours: float | None = None) -> float:
    """Sum of the findings' ``total_saving`` per year, in working days of ``day_hours``
    (the report calendar's; ``None``: the default ``Calendar()``'s).

    Summed as float seconds: on a large log one finding's total can pass what a
    ``Timedelta`` holds (292 years), and a sum of ``Timedelta`` overflows.
    """
    if day_hours is None:
        from ..calendar import Calendar

        day_hours = Calendar().day_hours
    seconds = sum(f.saving_per_case.total_seconds() * f.cases for f in findings)
    return seconds / 3600 / day_hours * yearly_factor(log)


def staff_hours(finding: Any, processing: Mapping[str, pd.Timedelta] | None, log: Any = None) -> float | None:
    """Staff hours per year the finding would save, or ``None`` when not measurable.

    ``processing``: activity -> median processing time (``None`` if the log has no start
    timestamps). The sum of :func:`staff_hours_by_step`, scaled to one year.
    """
    steps = staff_hours_by_step(finding, processing)
    if steps is None:
        return None
    return sum(steps.values()) * (yearly_factor(log) if log is not None else 1.0)


def staff_hours_by_step(finding: Any, processing: Mapping[str, pd.Timedelta] | None) -> dict[str, float] | None:
    """The finding's staff hours over the log's span, per step whose processing it saves
    (``{}`` for kinds that shorten waiting only; ``None`` when not measurable)."""
    if finding.kind not in EFFORT_KINDS:
        return {}
    if not processing:
        return None

    def proc(a: str) -> float:
        v = processing.get(a)
        return 0.0 if v is None or pd.isna(v) else pd.Timedelta(v).total_seconds() / 3600

    out: dict[str, float] = {}

    def add(a: str, hours: float) -> None:
        out[a] = out.get(a, 0.0) + hours

    ev = finding.evidence
    acts = finding.activities
    if finding.kind == "rework":
        occurrences = finding.cases * float(ev.get("repeats_per_case", 1.0) or 1.0)
        for a in acts:
            add(a, occurrences * proc(a))
    elif finding.kind == "duplicate_work":
        extra = max(float(ev.get("units_per_case", 2.0) or 2.0) - 1.0, 1.0)
        add(acts[0], finding.cases * extra * proc(acts[0]))
    elif finding.kind == "ping_pong":
        trips = float(ev.get("round_trips_per_case", 1.0) or 1.0)
        for a in acts:
            add(a, finding.cases * trips * proc(a) / max(len(acts), 1))
    elif finding.kind == "incomplete_submission":
        repeated = [a.strip() for a in str(ev.get("repeated_steps", "")).split(",") if a.strip()]
        loops = finding.cases * float(ev.get("requests_per_case", 1.0) or 1.0)
        for a in (acts[0], *repeated):
            add(a, loops * proc(a))
    else:  # rubber_stamp, automation_candidate: the step itself
        add(acts[0], finding.cases * proc(acts[0]))
    return out


def staff_hours_total(
    findings: Iterable[Any],
    processing: Mapping[str, pd.Timedelta] | None,
    log: Any = None,
    occurrences: Mapping[str, float] | None = None,
) -> float | None:
    """Staff hours per year of ``findings`` together, each step's processing counted once
    (``None`` when a finding that removes work cannot be measured: no start times).

    As the headline counts each wait once: per step, the hours the findings claim are
    summed and capped at the step's own staff time, its occurrences (``occurrences``:
    activity -> events in the log) times its median processing. Two findings on one step
    (a rubber stamp that is also an automation candidate) claim the same occurrences and
    count once; a step without a known count is not capped.
    """
    claimed: dict[str, float] = {}
    for f in findings:
        steps = staff_hours_by_step(f, processing)
        if steps is None:
            return None
        for a, h in steps.items():
            claimed[a] = claimed.get(a, 0.0) + h
    total = 0.0
    for a, h in claimed.items():
        n = None if occurrences is None else occurrences.get(a)
        if n is not None and processing and not pd.isna(n):
            v = processing.get(a)
            own = 0.0 if v is None or pd.isna(v) else float(n) * pd.Timedelta(v).total_seconds() / 3600
            h = min(h, own)
        total += h
    return total * (yearly_factor(log) if log is not None else 1.0)


def whole_number(x: float) -> float | int:
    """``x`` as an int when whole (a figure is shown without decimals then)."""
    return int(x) if float(x).is_integer() else x


def shown_figure(x: float) -> float | int:
    """:func:`round_figure` as an int when whole.

    >>> shown_figure(3600.0), shown_figure(4.26)
    (3600, 4.3)
    """
    return whole_number(round_figure(x))


def round_figure(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant digits (an estimate shows no false precision).

    >>> round_figure(37336.0), round_figure(4.26), round_figure(0.0)
    (37000.0, 4.3, 0.0)
    """
    if not np.isfinite(x) or x == 0:
        return 0.0 if not np.isfinite(x) else float(x)
    return float(round(x, digits - 1 - int(np.floor(np.log10(abs(x))))))


@dataclass(frozen=True)
class Headline:
    """The report's headline savings (see the module documentation); all rounded."""

    office_days_per_year: float  #: working days of ``day_hours`` of office time saved per year
    day_hours: float  #: hours of one working day of the calendar
    client_days_per_year: float  #: calendar days of the applicant's waiting avoided per year
    client_cases: int  #: cases with such a wait (in the log)
    cases_affected: int  #: distinct cases containing a step of a finding (upper bound)
    n_cases: int  #: cases in the log


def headline(findings: Iterable[Any], perf: Any, day_hours: float = 8.4) -> Headline:
    """Headline savings of ``findings`` on the :class:`procmine.Performance` ``perf``
    (its calendar is the findings' calendar), without double counting.

    Examples
    --------
    >>> import procmine as pm
    >>> log = pm.samples.load("permit_de")
    >>> h = headline(pm.find_redundancies(log), pm.performance(log))
    >>> 0 < h.office_days_per_year, h.cases_affected <= h.n_cases
    (True, True)
    """
    findings = list(findings)
    log = perf.log
    c = log.codes
    act = c.activity
    n_act = c.n_activities
    t = perf.times
    wc = perf.causes
    proc = np.where(t.proc == NAT, 0, t.proc).astype(np.float64)
    office = np.bincount(act, weights=wc.split(t.wait)["office"] + proc, minlength=n_act)
    code = {str(a): i for i, a in enumerate(c.activity_names)}
    claimed = np.zeros(n_act)
    touched = np.zeros(n_act, dtype=bool)
    for f in findings:
        acts = np.array([code[a] for a in f.activities if a in code], dtype=np.int64)
        if len(acts) == 0:
            continue
        touched[acts] = True
        w = office[acts]
        share = w / w.sum() if w.sum() > 0 else np.full(len(acts), 1.0 / len(acts))
        claimed[acts] += f.total_saving / pd.Timedelta(microseconds=1) * share
    office_us = float(np.minimum(claimed, office).sum(dtype=np.float64))
    year = yearly_factor(log)
    office_days = office_us / 3_600_000_000 / day_hours * year

    # the applicant's waiting after the request steps of incomplete submissions
    requests = np.zeros(n_act, dtype=bool)
    for f in findings:
        if f.kind == "incomplete_submission":
            for a in f.activities:
                if a in code and bool(wc.steps["request"].iloc[code[a]]):
                    requests[code[a]] = True
    prev = np.full(len(act), -1, dtype=np.int64)
    if len(act):
        prev[1:] = act[:-1]
        prev[t.first] = -1
    after = (prev >= 0) & requests[np.maximum(prev, 0)] & (wc.cause == CLIENT)
    client_us = float(np.where(after, np.maximum(t.wait_elapsed, 0), 0).sum(dtype=np.float64))
    client_cases = int(np.unique(c.case[after]).size)
    in_finding = touched[act]
    cases_affected = int(np.unique(c.case[in_finding]).size)
    if findings:
        cases_affected = min(cases_affected, sum(int(f.cases) for f in findings))
    return Headline(
        office_days_per_year=round_figure(office_days),
        day_hours=day_hours,
        client_days_per_year=round_figure(client_us / 86_400_000_000 * year),
        client_cases=client_cases,
        cases_affected=cases_affected,
        n_cases=log.n_cases,
    )
