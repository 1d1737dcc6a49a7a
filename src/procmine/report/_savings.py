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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["EFFORT_KINDS", "lead_days_per_year", "staff_hours", "yearly_factor"]

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
    timestamps).
    """
    if finding.kind not in EFFORT_KINDS:
        return 0.0
    if not processing:
        return None

    def proc(a: str) -> float:
        v = processing.get(a)
        return 0.0 if v is None or pd.isna(v) else pd.Timedelta(v).total_seconds() / 3600

    ev = finding.evidence
    acts = finding.activities
    if finding.kind == "rework":
        occurrences = finding.cases * float(ev.get("repeats_per_case", 1.0) or 1.0)
        hours = occurrences * sum(proc(a) for a in acts)
    elif finding.kind == "duplicate_work":
        extra = max(float(ev.get("units_per_case", 2.0) or 2.0) - 1.0, 1.0)
        hours = finding.cases * extra * proc(acts[0])
    elif finding.kind == "ping_pong":
        trips = float(ev.get("round_trips_per_case", 1.0) or 1.0)
        hours = finding.cases * trips * (sum(proc(a) for a in acts) / max(len(acts), 1))
    elif finding.kind == "incomplete_submission":
        repeated = [a.strip() for a in str(ev.get("repeated_steps", "")).split(",") if a.strip()]
        loops = finding.cases * float(ev.get("requests_per_case", 1.0) or 1.0)
        hours = loops * (proc(acts[0]) + sum(proc(a) for a in repeated))
    else:  # rubber_stamp, automation_candidate: the step itself
        hours = finding.cases * proc(acts[0])
    return hours * (yearly_factor(log) if log is not None else 1.0)
