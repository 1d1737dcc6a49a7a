"""Report sections about the data and the method: data quality (the ingest report) and how figures were computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..i18n import format_number
from ._blocks import Context, Notice, Section, Table, Text
from ._sections import report_calendar, workday_hours

__all__ = ["method", "quality"]


def quality(ctx: Context) -> Section:
    _ = ctx._
    r = ctx.log.report
    sec = Section(
        "quality",
        _("Data quality"),
        intro=_("How the log was read: every row is either kept or counted with the reason it was dropped."),
    )
    rows = [
        [_("Source"), Path(str(r.source)).name or str(r.source)],
        [_("Format"), str(r.format)],
        [_("Rows read"), ctx.int(r.rows_read)],
        [_("Rows kept"), ctx.int(r.rows_kept)],
    ]
    for reason, n in r.dropped.items():
        sample = ", ".join(str(x) for x in r.dropped_rows.get(reason, [])[:5])
        rows.append(
            [
                _("Dropped: {reason}", reason=reason),
                ctx.int(n) + (f" ({_('e.g. rows')} {sample})" if sample else ""),
            ]
        )
    rows += [[_("Duplicate events (kept)"), ctx.int(r.duplicates)]]
    if r.duplicate_case_ids:
        rows.append([_("Duplicate case ids (merged)"), ctx.int(r.duplicate_case_ids)])
    if r.empty_traces:
        rows.append([_("Cases without events"), ctx.int(r.empty_traces)])
    for role, col in r.roles.items():
        how = r.role_detection.get(role, "")
        rows.append([_("Column for {role}", role=role), f"{col}" + (f" ({how})" if how else "")])
    for k, val in r.formats.items():
        rows.append([_("Detected format: {item}", item=k), str(val)])
    if r.alerts and ctx.log.n_events:  # an implausible read (wrong case column?) comes first, loudly
        sizes = np.diff(ctx.log.codes.case_offsets)
        msg = "Only {cases} case(s) for {events} events, the largest holding {share:.0%} of them: is '{column}' really the case id? If not, read the log again with case=\"...\"."
        sec.add(Notice("⚠ " + _(msg, cases=ctx.log.n_cases, events=ctx.log.n_events,
                                share=sizes.max() / ctx.log.n_events, column=r.roles.get("case", "?")), "warning"))  # fmt: skip
    sec.add(Table([_("Item"), _("Value")], rows, ["l", "l"]))
    others = [w for w in r.warnings if w not in r.alerts]
    if others:
        sec.add(Notice(_("Warnings while reading:") + " " + " · ".join(map(str, others)), "warning"))
    if r.filters:
        sec.add(
            Text(
                _("Steps applied after reading:")
                + " "
                + "; ".join(str(f.get("description", "")) for f in r.filters)
            )
        )
    if r.rows_dropped == 0 and not r.warnings:
        sec.add(Notice(_("No row was dropped."), "info"))
    ctx.tables["data quality"] = r.to_frame()
    return sec


def method(ctx: Context) -> Section:
    _ = ctx._
    sec = Section("method", _("Method"))
    hours = workday_hours(ctx)
    items = [
        (
            _("Durations"),
            _(
                "Case duration runs from the first to the last recorded event of a case. Unless stated otherwise, durations are working time under the Swiss office calendar (weekdays, office hours, public holidays); elapsed time counts every hour of the day."
            ),
        ),
        (
            _("Calendar"),
            _calendar_text(ctx),
        ),
        (
            _("Waiting and processing"),
            _(
                "Processing time is start to end of a step, where the log records starts. Waiting time is from the end of the previous step to the start of the next; without start times it includes the step's own processing."
            ),
        ),
        (
            _("Variants and process map"),
            _(
                "Variants group cases with exactly the same sequence of activities. The process map shows the directly-follows relation: how often one activity was immediately followed by another within a case."
            ),
        ),
        (
            _("Findings"),
            _(
                "Each finding comes from a detector looking for one pattern (rework, duplicate work, ping-pong, rubber stamps, mergeable or parallelizable steps, bottlenecks, batching, automation candidates) in at least 5% of cases. Its saving is the working time attributable to the pattern, per affected case; the total multiplies by the number of affected cases. Findings can overlap, so their sum is an upper bound. Steps declared legally required are never proposed for removal."
            ),
        ),
        (
            _("Lead time saved"),
            _(
                "The working time affected cases would no longer spend, summed over cases, scaled to one year by the time span of the log (at least 30 days) and shown in working days of {hours} hours. It says how much shorter cases get, not how much staff time is freed.",
                hours=hours,
            ),
        ),
        (
            _("Staff time saved"),
            _(
                "The median processing time of the steps a finding would remove or that are repeated, times the occurrences saved, per year. It needs start times in the log; bottlenecks, batching, merging and parallelizing shorten waiting and count no staff time."
            ),
        ),
        (
            _("What-if"),
            _(
                "The what-if scenarios replay the log without the step (or with steps merged or run in parallel): the time a removed step added to each case is taken out and later events move earlier. This assumes the rest of the process would run as recorded."
            ),
        ),
        (
            _("Privacy"),
            _(
                "Person names are replaced by pseudonyms (R-0001, …) that are valid only within this report. Groups, variants, findings, activities and paths of the process map seen in fewer than {n} cases are not shown, in the report and in its workbook. Case numbers are not shown.",
                n=ctx.min_cases,
            )
            if not ctx.show_case_ids
            else _(
                "Groups, variants, findings, activities and paths of the process map seen in fewer than {n} cases are not shown, in the report and in its workbook. Example case numbers are shown on request.",
                n=ctx.min_cases,
            ),
        ),
    ]
    rows = [[a, b] for a, b in items]
    sec.add(Table([_("Figure"), _("How it was computed")], rows, ["l", "l"], wide=(1,)))
    return sec


def _calendar_text(ctx: Context) -> str:
    """Which calendar measured working time, and how long its working day is."""
    _ = ctx._
    cal = report_calendar(ctx)
    if cal.is_elapsed:
        return _("Durations are elapsed time: every hour of every day counts; a working day here is 24 hours.")
    if cal.label == "custom":
        closed = _("the holidays given to the calendar")
    elif cal.canton:
        closed = _("the public holidays of canton {canton}", canton=cal.canton)
    else:
        closed = _(
            "the public holidays common to all cantons (New Year, Ascension, National Day, Christmas); cantonal holidays count as working days unless a canton is chosen"
        )
    return _(
        "Working time follows {calendar}: office hours {hours}, closed on weekends and on {closed}. Every figure in working days divides working hours by the {day} hours of one working day.",
        calendar=ctx.calendar_note,
        hours=cal._hours_text(),
        closed=closed,
        day=format_number(cal.day_hours, ctx.language, digits=1),
    )
