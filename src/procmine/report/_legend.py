"""The workbook's legend: per sheet, each column, what it means and its unit, in the report language.

The sheets keep their machine column names (``median_duration [h]``): scripts read them
by those names. But ``[h]`` means elapsed hours in some sheets (transitions, variants,
what-if) and working hours of the report's calendar in others (activities, comparison,
findings), so the workbook carries a legend sheet ("Legende" / "Légende" / "Legend")
that says which, for every column of every sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ._blocks import Context

__all__ = ["legend_frame", "unit_of_kpi", "whatif_frame"]

#: unit codes: wh working hours, wd working days, eh elapsed hours, whyear / wdyear per year,
#: share 0..1, pct percent, count, per_case, text, code, bool, row (see the column "unit")


def _units(ctx: Context) -> dict[str, str]:
    """Unit code -> its text in the report language (working time names whose calendar)."""
    from ._sections import report_calendar

    _ = ctx._
    elapsed_cal = bool(getattr(report_calendar(ctx), "is_elapsed", False))
    cal = ctx.calendar_note
    eh = _("elapsed hours (calendar time)")
    return {
            "wh": eh if elapsed_cal else _("working hours ({calendar})", calendar=cal),
            "wd": _("elapsed days (calendar time)") if elapsed_cal else _("working days ({calendar})", calendar=cal),
            "eh": eh,
            "whyear": _("hours per year (calendar time)") if elapsed_cal
            else _("working hours per year ({calendar})", calendar=cal),
            "wdyear": _("days per year (calendar time)") if elapsed_cal
            else _("working days per year ({calendar})", calendar=cal),
            "share": _("share from 0 to 1"),
            "pct": _("percent"),
            "count": _("number"),
            "per_case": _("number per case"),
            "text": _("text"),
            "code": _("code (English)"),
            "bool": _("true or false"),
            "row": _("as given in the column “unit” of the row"),
    }


def _meanings(ctx: Context) -> dict[str, dict[str, tuple[str, str]]]:
    """Table key -> {column (without the workbook's `` [h]``): (meaning, unit code)}."""
    _ = ctx._
    stats = {"median": _("median"), "mean": _("mean"), "p90": _("90th percentile")}
    return {**_flow_meanings(_, stats), **_time_meanings(_, stats), **_client_meanings(_, stats),
            **_finding_meanings(_), **_other_meanings(_, stats)}


def _flow_meanings(_: Callable[..., str], stats: dict[str, str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The legend of transitions and variants."""
    median, mean, p90 = stats["median"], stats["mean"], stats["p90"]
    return {
        "transitions": {
            "source": (_("activity the transition starts from"), "text"),
            "target": (_("activity that directly follows"), "text"),
            "count": (_("times the transition occurs"), "count"),
            "cases": (_("cases in which the transition occurs"), "count"),
            "median": (_("time between the two activities ({stat})", stat=median), "eh"),
            "mean": (_("time between the two activities ({stat})", stat=mean), "eh"),
            "p90": (_("time between the two activities ({stat})", stat=p90), "eh"),
        },
        "variants": {
            "rank": (_("rank by number of cases"), "count"),
            "variant": (_("the sequence of activities"), "text"),
            "cases": (_("cases following the variant"), "count"),
            "share": (_("share of all cases"), "share"),
            "median_duration": (_("case duration ({stat})", stat=median), "eh"),
            "mean_duration": (_("case duration ({stat})", stat=mean), "eh"),
            "steps": (_("steps in the sequence"), "count"),
        },
    }


def _time_meanings(_: Callable[..., str], stats: dict[str, str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The legend of wait causes and activities."""
    median, mean, p90 = stats["median"], stats["mean"], stats["p90"]
    activity = (_("name of the activity"), "text")
    return {
        "wait causes": {
            "activity": activity,
            "cause": (_("whom the waiting before the step depends on: office, client (applicant or third "
                        "party), statutory (legal period), batch (fixed date)"), "code"),
            "events": (_("occurrences of the step"), "count"),
            "why": (_("why this cause was assigned"), "text"),
        },
        "activities": {
            "concept:name": activity,
            "count": (_("occurrences of the activity"), "count"),
            "processing_median": (_("processing time of the step ({stat})", stat=median), "wh"),
            "processing_mean": (_("processing time of the step ({stat})", stat=mean), "wh"),
            "processing_p90": (_("processing time of the step ({stat})", stat=p90), "wh"),
            "waiting_median": (_("waiting time before the step ({stat})", stat=median), "wh"),
            "waiting_mean": (_("waiting time before the step ({stat})", stat=mean), "wh"),
            "waiting_p90": (_("waiting time before the step ({stat})", stat=p90), "wh"),
            "waiting_total": (_("waiting time before the step, summed over all cases"), "wh"),
            "waiting_total_hours": (_("waiting time before the step, summed over all cases"), "wh"),
            "share": (_("share of all case time spent waiting before the step"), "share"),
            "wait_office": (_("waiting before the step that the office controls, summed over all cases"), "wh"),
            "wait_client": (_("waiting before the step for the applicant or third parties, summed over all cases"),
                            "wh"),
            "wait_statutory": (_("legal periods before the step, summed over all cases"), "wh"),
            "wait_batch": (_("waiting before the step for a fixed date, summed over all cases"), "wh"),
        },
    }


def _client_meanings(_: Callable[..., str], stats: dict[str, str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The legend of the applicant's view."""
    median, mean = stats["median"], stats["mean"]
    activity = (_("name of the activity"), "text")
    return {
        "contact steps": {
            "activity": activity,
            "kind": (_("kind of contact: request, notice, payment, hearing, inbound (the applicant acts)"), "code"),
            "why": (_("why the step counts as a contact"), "text"),
            "events": (_("occurrences of the step"), "count"),
            "case_share": (_("share of cases with the step"), "share"),
            "routine": (_("true when the step is in at least 90% of the cases (routine)"), "bool"),
        },
        "applicant by unit": {
            "cases": (_("cases of the unit"), "count"),
            "contacts_per_case_median": (_("contacts with the applicant per case ({stat})", stat=median), "per_case"),
            "contacts_per_case_mean": (_("contacts with the applicant per case ({stat})", stat=mean), "per_case"),
            "asked_again_share": (_("share of cases in which the applicant is asked again"), "share"),
            "asked_again_mean": (_("times the applicant is asked again per case ({stat})", stat=mean), "per_case"),
            "lead_time_days_median": (_("lead time per case ({stat})", stat=median), "wd"),
            "lead_time_days_mean": (_("lead time per case ({stat})", stat=mean), "wd"),
            "client_wait_days_mean": (_("waiting for the applicant per case ({stat})", stat=mean), "wd"),
            "client_wait_days_median": (_("waiting for the applicant per case ({stat})", stat=median), "wd"),
            "office_wait_days_mean": (_("waiting for the administration per case ({stat})", stat=mean), "wd"),
            "statutory_wait_days_mean": (_("legal periods per case ({stat})", stat=mean), "wd"),
            "client_wait_share": (_("share of the lead time waiting for the applicant"), "share"),
            "office_wait_share": (_("share of the lead time waiting for the administration"), "share"),
            "offices_per_case_median": (_("offices (org units) per case ({stat})", stat=median), "per_case"),
        },
    }


def _finding_meanings(_: Callable[..., str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The legend of findings and what-if."""
    return {
        "findings": {
            "kind": (_("kind of finding (its code; the report names it)"), "code"),
            "activities": (_("steps concerned"), "text"),
            "org_units": (_("units concerned"), "text"),
            "cases": (_("cases affected"), "count"),
            "case_share": (_("share of all cases affected"), "share"),
            "time_cost": (_("office time the pattern costs, summed over the affected cases"), "wh"),
            "saving_per_case": (_("estimated saving per affected case (office time)"), "wh"),
            "total_saving": (_("estimated saving summed over the affected cases (office time)"), "wh"),
            "confidence": (_("confidence of the detector"), "share"),
            "evidence": (_("the figures the finding rests on"), "text"),
            "recommendation": (_("recommendation"), "text"),
            "example_cases": (_("example case ids"), "text"),
            "lead time saved per year [working days]": (
                _("lead time saved per year, summed over cases"), "wdyear"),
            "staff time saved per year [h]": (
                _("staff time saved per year by this finding alone (findings on the same step overlap; "
                  "the report's summary counts each step once)"), "whyear"),
        },
        "what-if": {
            "scenario": (_("the change replayed"), "text"),
            "kpi": (_("key figure (code): *_case_duration elapsed time, *_case_working_time_h working time"),
                    "code"),
            "unit": (_("unit of the row's before, after and change"), "text"),
            "before": (_("value as recorded"), "row"),
            "after": (_("value with the change"), "row"),
            "change": (_("after minus before"), "row"),
            "change %": (_("change in percent of the value before"), "pct"),
        },
    }


def _other_meanings(_: Callable[..., str], stats: dict[str, str]) -> dict[str, dict[str, tuple[str, str]]]:
    """The legend of comparison, data quality, time limits."""
    median, mean, p90 = stats["median"], stats["mean"], stats["p90"]
    return {
        "comparison": {
            "group": (_("unit compared"), "text"),
            "cases": (_("cases of the unit"), "count"),
            "events_per_case": (_("events per case ({stat})", stat=mean), "per_case"),
            "variants": (_("distinct variants"), "count"),
            "median_duration": (_("case duration ({stat})", stat=median), "wh"),
            "p90_duration": (_("case duration ({stat})", stat=p90), "wh"),
            "median_elapsed": (_("case duration ({stat})", stat=median), "eh"),
            "p90_elapsed": (_("case duration ({stat})", stat=p90), "eh"),
            "rework_share": (_("share of cases with a step repeated"), "share"),
            "top_variant_share": (_("share of cases in the unit's most frequent variant"), "share"),
        },
        "data quality": {
            "item": (_("what was read or checked"), "code"),
            "value": (_("what was found"), "text"),
        },
        "time limits": {
            "rule": (_("name of the rule"), "text"),
            "group": (_("group"), "text"),
            "cases": (_("cases that reached the start of the rule"), "count"),
            "open_cases": (_("cases still within their period that have not reached the end"), "count"),
            "excluded": (_("cases left out of the rule"), "count"),
            "within": (_("cases that reached the end within the limit"), "count"),
            "breaches": (_("cases over the limit"), "count"),
            "share_within": (_("share of the decided cases within the limit"), "share"),
            "median_used": (_("part of the limit used ({stat}; 1 is the whole period)", stat=median), "share"),
            "p90_used": (_("part of the limit used ({stat}; 1 is the whole period)", stat=p90), "share"),
            "limit": (_("the limit as given (number and unit)"), "text"),
            "limit_text": (_("the limit in words"), "text"),
        },
    }


def _base(column: str) -> str:
    """A workbook column without the unit the export adds (``median [h]`` -> ``median``)."""
    return column[:-4] if column.endswith(" [h]") else column


def legend_frame(ctx: Context, tables: Mapping[str, pd.DataFrame], sheet_name: Callable[[str], str]) -> pd.DataFrame:
    """One row per column of every table: sheet, column (as the workbook writes it),
    meaning and unit in the report language. ``tables``: report table key -> frame."""
    from ..export import _sheet_names, export_frame

    _ = ctx._
    meanings, units = _meanings(ctx), _units(ctx)
    sheets = _sheet_names([sheet_name(k) for k in tables])
    rows = []
    for sheet, (key, frame) in zip(sheets, tables.items()):
        known = meanings.get(key, {})
        for j, column in enumerate(export_frame(frame).columns):
            meaning, unit = known.get(column) or known.get(_base(column)) or _unknown(ctx, key, j, column, frame)
            rows.append({_("Sheet"): sheet, _("Column"): column, _("Meaning"): meaning, _("Unit"): units[unit]})
    return pd.DataFrame(rows, columns=[_("Sheet"), _("Column"), _("Meaning"), _("Unit")])


def _unknown(ctx: Context, key: str, j: int, column: str, frame: pd.DataFrame) -> tuple[str, str]:
    """A column the legend has no entry for: the grouping column of a per-unit table (its
    first), else its unit from its type (hours without saying whose are not guessed)."""
    _ = ctx._
    if j == 0 and key in ("applicant by unit", "comparison"):
        return _("unit (column {column} of the log)", column=ctx.source_name(column)), "text"
    s = frame[column] if column in frame.columns else None
    if s is not None and pd.api.types.is_bool_dtype(s.dtype):
        return "–", "bool"
    if s is not None and pd.api.types.is_numeric_dtype(s.dtype):
        return "–", "count"
    return "–", "text"


def unit_of_kpi(ctx: Context, kpi: str) -> str:
    """The unit of a what-if row (:meth:`procmine.whatif.WhatIf.delta`) in the report language."""
    units = _units(ctx)
    if kpi.endswith("_working_time_h") or kpi.endswith("_working_time"):
        return units["wh"]
    if kpi.endswith("_duration"):
        return units["eh"]
    if kpi.endswith("_per_case"):
        return units["per_case"]
    return units["count"]


def whatif_frame(ctx: Context, delta: pd.DataFrame) -> pd.DataFrame:
    """A what-if delta for the workbook: durations as hours (floats) and a ``unit`` column
    after ``kpi`` saying, per row, what ``before``, ``after`` and ``change`` count."""
    out = delta.copy()

    def hours(v: Any) -> Any:
        return v.total_seconds() / 3600 if isinstance(v, pd.Timedelta) else v

    for col in ("before", "after", "change"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col].map(hours), errors="coerce")
    if "kpi" in out.columns:
        out.insert(int(out.columns.get_loc("kpi")) + 1, "unit", [unit_of_kpi(ctx, str(k)) for k in out["kpi"]])
    return out
