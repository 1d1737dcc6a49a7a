"""Report sections about the data and the method: data quality (the ingest report) and how figures were computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import DAY_NAMES, format_number, localise
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
                _("Dropped: {reason}", reason=localise(reason, ctx.language)),
                ctx.int(n) + (f" ({_('e.g. rows')} {sample})" if sample else ""),
            ]
        )
    rows += [[_("Duplicate events (kept)"), ctx.int(r.duplicates)]]
    if r.duplicate_case_ids:
        rows.append([_("Duplicate case ids (merged)"), ctx.int(r.duplicate_case_ids)])
    if r.empty_traces:
        rows.append([_("Cases without events"), ctx.int(r.empty_traces)])
    for role, col in r.roles.items():
        how = _how_found(ctx, r.role_detection.get(role, ""))
        rows.append([_role_label(ctx, role) or _("Column for {role}", role=role), f"{col}" + (f" ({how})" if how else "")])
    rows += format_rows(ctx, r.formats)
    if r.alerts and ctx.log.n_events:  # an implausible read (wrong case column?) comes first, loudly
        sizes = np.diff(ctx.log.codes.case_offsets)
        column = r.roles.get("case", "?")
        alert = (_("Only {cases} case for {events} events: is “{column}” really the case id? If not, read the log "
                   "again with case=\"...\".", cases=1, events=ctx.log.n_events, column=column)
                 if ctx.log.n_cases == 1 else
                 _("Only {cases} cases for {events} events, the largest holding {share:.0%} of them: is “{column}” "
                   "really the case id? If not, read the log again with case=\"...\".", cases=ctx.log.n_cases,
                   events=ctx.log.n_events, share=sizes.max() / ctx.log.n_events, column=column))
        sec.add(Notice("⚠ " + alert, "warning"))
    sec.add(Table([_("Item"), _("Value")], rows, ["l", "l"]))
    others = [w for w in r.warnings if w not in r.alerts]
    if others:
        sec.add(Notice(_("Warnings while reading:") + " " + " · ".join(localise(w, ctx.language) for w in others),
                       "warning"))
    if r.filters:
        sec.add(
            Text(
                _("Steps applied after reading:")
                + " "
                + "; ".join(localise(f.get("description", ""), ctx.language) for f in r.filters)
            )
        )
    if r.rows_dropped == 0 and not r.warnings:
        sec.add(Notice(_("No row was dropped."), "info"))
    ctx.tables["data quality"] = r.to_frame()
    return sec


def _role_label(ctx: Context, role: str) -> str | None:
    """The row label of a role's column in the report language (None: a role without one)."""
    _ = ctx._
    return {
        "case": _("Column of the case id"), "activity": _("Column of the activity"),
        "timestamp": _("Column of the completion time"), "start_timestamp": _("Column of the start time"),
        "resource": _("Column of the person (resource)"), "org": _("Column of the unit"),
        "lifecycle": _("Column of the lifecycle transition"),
    }.get(role)


def _how_found(ctx: Context, how: str) -> str | None:
    """How a role's column was found, in the report language."""
    _ = ctx._
    return {"header": _("found by its name"), "content": _("found by its values"),
            "explicit": _("named when reading"), "standard": _("standard XES name"),
            "structure": _("found by the structure of its rows")}.get(how)


def format_rows(ctx: Context, formats: dict[str, Any]) -> list[list[str]]:
    """Rows of the data-quality table for what the reader detected (``report.formats``), in
    the report language: the readers' notes translated, numbers in the locale's format;
    a key this function does not know is shown as it is."""
    _, lang = ctx._, ctx.language
    rows: list[list[str]] = []
    for key, val in formats.items():
        if key == "dayfirst":
            continue  # said by each date column's reason
        if key == "dates" and isinstance(val, dict):
            for col, d in val.items():
                if not isinstance(d, dict):  # (the XES reader's: the format alone)
                    rows.append([_("Dates in {column}", column=col), localise(d, lang)])
                    continue
                parts = [localise(d.get("format", ""), lang)]
                if d.get("why") and str(d["why"]) != str(d.get("format")):
                    parts.append(localise(d["why"], lang))
                if d.get("tz"):
                    parts.append(_("time zone: {tz}", tz=localise(d["tz"], lang)))
                rows.append([_("Dates in {column}", column=col), " · ".join(parts)])
        elif key == "lifecycle" and isinstance(val, dict):
            rows.append([_("Start and complete rows"), _lifecycle_text(ctx, val)])
        elif key == "lifecycle_words" and isinstance(val, dict):  # found from the rows' structure
            first = next((w for w, k in val.items() if k == "start"), "")
            second = next((w for w, k in val.items() if k == "complete"), "")
            rows.append([_("Lifecycle words"), _("{first!r} opens a step, {second!r} closes it", first=first,
                                                   second=second)])
        elif key == "time_of_day" and isinstance(val, dict):
            for col, clock in val.items():
                rows.append([_("Time of day"), _("{clock} joined to the dates of {column}", clock=clock, column=col)])
        elif key in _FORMAT_LABELS:
            rows.append([_format_label(ctx, key), _format_value(ctx, key, val)])
        else:
            rows.append([_("Detected format: {item}", item=key), localise(val, lang)])
    return rows


_FORMAT_LABELS = ("encoding", "separator", "tz", "sheet", "header_row", "header_line", "unbalanced_quote_lines",
                  "lines_decoded_as_cp1252", "xes_reader", "nested_attributes_skipped", "parts", "date_format",
                  "generator")


def _format_label(ctx: Context, key: str) -> str:
    _ = ctx._
    return {
        "encoding": _("Text encoding"), "separator": _("Column separator"),
        "tz": _("Time zone of times without an offset"), "sheet": _("Sheet"), "header_row": _("Header row in the sheet"),
        "header_line": _("Header line in the file"), "unbalanced_quote_lines": _("Lines with an unbalanced quote"),
        "lines_decoded_as_cp1252": _("Lines read as Windows text (cp1252)"), "xes_reader": _("XES reader"),
        "nested_attributes_skipped": _("Nested XES attributes skipped"), "parts": _("Files read as one log"),
        "date_format": _("Date format"), "generator": _("Generated by procmine's sample generator"),
    }[key]


def _format_value(ctx: Context, key: str, val: Any) -> str:
    _ = ctx._
    if key == "separator":
        return {"\t": _("tab"), " ": _("space")}.get(str(val), str(val))
    if key == "sheet" and isinstance(val, int):
        return _("sheet {n} of the workbook", n=str(val + 1))  # (read_log's sheet=0 is the first)
    if key in ("header_row", "header_line"):
        return str(val)  # a line number: not grouped
    if key in ("lines_decoded_as_cp1252", "nested_attributes_skipped") and isinstance(val, int):
        return ctx.int(val)
    if isinstance(val, (list, tuple)):
        shown = ", ".join(str(v) for v in val[:10])
        return shown + (" …" if len(val) > 10 else "")
    if isinstance(val, dict):
        return ", ".join(f"{k}={v}" for k, v in val.items())
    return localise(val, ctx.language)


def _lifecycle_text(ctx: Context, info: dict[str, Any]) -> str:
    """What the pairing of start and complete rows did, in the report language."""
    _ = ctx._
    column, paired = info.get("column", "?"), int(info.get("paired", 0))
    parts = [_("column {column}: {paired} step with its start and completion paired", column=column, paired=paired)
             if paired == 1 else
             _("column {column}: {paired} steps with their start and completion paired", column=column, paired=paired)]
    n = int(info.get("unmatched_starts") or 0)
    if n:
        parts.append(_("{n} start without a complete dropped", n=n) if n == 1 else
                     _("{n} starts without a complete dropped", n=n))
    n = int(info.get("unmatched_completes") or 0)
    if n:
        parts.append(_("{n} complete without its start kept as an instantaneous step", n=n) if n == 1 else
                     _("{n} completes without their start kept as instantaneous steps", n=n))
    n = int(info.get("complete_only") or 0)
    if n:
        parts.append(_("{n} step recorded at completion only", n=n) if n == 1 else
                     _("{n} steps recorded at completion only", n=n))
    if info.get("other_dropped"):
        parts.append(_("other transitions dropped: {values}",
                       values=", ".join(f"{k} {ctx.int(v)}" for k, v in info["other_dropped"].items())))
    if info.get("unrecognised_kept"):
        parts.append(_("unknown transitions kept as steps: {values}",
                       values=", ".join(f"{k!r} {ctx.int(v)}" for k, v in list(info["unrecognised_kept"].items())[:10])))
    return "; ".join(parts)


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
                "Each finding comes from a detector looking for one pattern (rework, duplicate work, ping-pong, rubber stamps, mergeable or parallelizable steps, bottlenecks, batching, automation candidates, incomplete applications) in at least 5% of cases. Its saving is the working time attributable to the pattern, per affected case; its total multiplies that saving by the number of affected cases. Findings can overlap, so their sum is an upper bound. Steps declared legally required are never proposed for removal."
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
                "The median processing time of the steps a finding would remove or that are repeated, times the occurrences saved, per year. In the summary, a step that several findings touch counts once: at most its occurrences times its median processing. It needs start times in the log; bottlenecks, batching, merging and parallelizing shorten waiting and count no staff time."
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
        hours=cal._hours_text(DAY_NAMES.get(ctx.language, DAY_NAMES["en"]), _("never open")),
        closed=closed,
        day=format_number(cal.day_hours, ctx.language, digits=1),
    )
