"""Report sections about what could change: findings, what-if scenarios, comparison across units."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..log import CASE, GROUP
from ..privacy import suppress_small_groups
from . import _charts
from ._blocks import Context, Figure, Notice, Section, Table, Text, table_from_frame
from ._evidence import evidence_items
from ._legend import whatif_frame
from ._savings import lead_days_per_year, shown_figure, staff_hours
from ._sections import findings_of, kind_label, nothing_to_simplify, processing_medians, shown_findings

__all__ = ["FindingCard", "comparison", "comparison_column", "findings", "whatif"]

logger = logging.getLogger("procmine")

#: finding kinds that a what-if can test, and how
_SCENARIO_KINDS = ("rubber_stamp", "automation_candidate", "mergeable", "parallelizable", "incomplete_submission")
_GROUP_NAMES = (
    "gemeinde",
    "commune",
    "comune",
    "municipality",
    "bezirk",
    "district",
    "region",
    "amt",
    "office",
    "dienststelle",
    "service",
    "department",
    "abteilung",
    "directorate",
    "direktion",
)


@dataclass
class FindingCard:
    rank: int
    title: str
    subtitle: str
    figures: list[tuple[str, str]]
    recommendation: str
    evidence: list[tuple[str, str]] = field(default_factory=list)
    examples: str = ""
    kind: str = "finding"


def findings(ctx: Context) -> Section:
    _ = ctx._
    sec = Section(
        "findings",
        _("Redundancy findings"),
        intro=_(
            "Patterns in the log that suggest work could be saved, ranked by estimated saving. Each finding names the figures it rests on; check them with the people who do the work before acting."
        ),
    )
    allf = list(findings_of(ctx))
    shown = shown_findings(ctx)
    proc = processing_medians(ctx)
    if not shown:
        sec.add(Notice(_("No redundancy was found above the detectors' thresholds."), "info"))
        return sec
    top = shown[:10]
    days = [lead_days_per_year([f], ctx.log, ctx.day_hours) for f in top]
    labels = [
        f"{i + 1}. {kind_label(ctx, f.kind)}{ctx.colon}{' → '.join(f.activities)}" for i, f in enumerate(top)
    ]
    sec.add(
        Figure(
            _charts.hbar(
                labels,
                days,
                xlabel=_("lead time per year in {unit}", unit=ctx.working_days),
                prefix="find",
                value_labels=[ctx.num(d) for d in days],
            ),
            _("Estimated lead time saved per year (summed over cases) by the ten largest findings."),
        )
    )
    sec.add(*(_finding_card(ctx, i, f, proc) for i, f in enumerate(shown[:15], start=1)))
    if len(shown) > 15:
        more = len(shown) - 15
        sec.add(Text(_("{n} further finding is in the workbook export.", n=more) if more == 1
                     else _("{n} further findings are in the workbook export.", n=more)))
    if len(shown) < len(allf):
        sec.add(
            Text(
                _("{n} finding concerning fewer than {m} cases is not shown.", n=1, m=ctx.min_cases)
                if len(allf) - len(shown) == 1 else
                _(
                    "{n} findings concerning fewer than {m} cases are not shown.",
                    n=len(allf) - len(shown),
                    m=ctx.min_cases,
                )
            )
        )
    _findings_table(ctx, shown, proc)
    return sec


def _finding_card(ctx: Context, i: int, f: Any, proc: Any) -> FindingCard:
    """The report card of the ``i``-th finding: its figures, recommendation and evidence."""
    _ = ctx._
    figures = [
        (_("Cases"), f"{ctx.int(f.cases)} ({ctx.pct(f.case_share)})"),
        (_("Saving per case"), ctx.wdur(f.saving_per_case)),
        (
            _("Lead time per year"),
            # an estimate, rounded as the summary's (423 864,9 read as exact)
            _("{x} working days", x=shown_figure(lead_days_per_year([f], ctx.log, ctx.day_hours))),
        ),
    ]
    sh = staff_hours(f, proc, ctx.log)
    if sh:
        figures.append((_("Staff time per year"), _("{x} hours", x=shown_figure(sh))))
    figures.append((_("Confidence"), ctx.pct(f.confidence)))
    if f.org_units:
        figures.insert(1, (_("Units"), ", ".join(f.org_units)))
    ev = evidence_items(ctx, f.evidence, f.kind)
    return FindingCard(
        rank=i,
        title=kind_label(ctx, f.kind),
        subtitle=" → ".join(f.activities),
        figures=figures,
        recommendation=f.text(ctx.language),
        evidence=ev,
        examples=", ".join(map(str, f.example_cases[:5])) if ctx.show_case_ids else "",
    )


def _findings_table(ctx: Context, shown: list[Any], proc: Any) -> None:
    """The findings as the workbook's table (``ctx.tables["findings"]``)."""
    frame = pd.DataFrame([{**f.to_dict(), "recommendation": f.text(ctx.language)} for f in shown])
    # the workbook shows the evidence as the report cards do (labels and values in the report language)
    frame["evidence"] = [
        "; ".join(f"{label}{ctx.colon}{value}" for label, value in evidence_items(ctx, f.evidence, f.kind))
        for f in shown
    ]
    frame["lead time saved per year [working days]"] = [
        lead_days_per_year([f], ctx.log, ctx.day_hours) for f in shown
    ]
    frame["staff time saved per year [h]"] = [staff_hours(f, proc, ctx.log) for f in shown]
    if not ctx.show_case_ids:
        frame = frame.drop(columns=["example_cases"], errors="ignore")
    ctx.tables["findings"] = frame


#: ``ctx.cache`` key of the what-if run the proposal reuses, by :func:`scenario_key`
WHATIF_KEY = "whatif results"


def scenario_key(kw: dict[str, Any]) -> str:
    """The key of a scenario's :func:`procmine.whatif.simplify` keywords in ``ctx.cache[WHATIF_KEY]``."""
    return repr(sorted(kw.items()))


def _scenarios(ctx: Context, shown: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    _ = ctx._
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for f in shown:
        if f.kind not in _SCENARIO_KINDS or (f.kind, f.activities) in seen:
            continue
        seen.add((f.kind, f.activities))
        acts = f.activities
        if f.kind in ("rubber_stamp", "automation_candidate") and len(acts) >= 1:
            if any(a in ctx.required for a in acts[:1]):
                continue
            verb = (
                _("Remove “{a}”", a=acts[0]) if f.kind == "rubber_stamp" else _("Automate “{a}”", a=acts[0])
            )
            out.append((verb, {"remove": [acts[0]]}))
        elif f.kind == "incomplete_submission" and len(acts) >= 1:
            out.append(
                (_("Complete applications at intake (no “{a}”)", a=acts[0]), {"complete_at_intake": [acts[0]]})
            )
        elif f.kind == "mergeable" and len(acts) >= 2:
            out.append((_("Merge “{a}” and “{b}”", a=acts[0], b=acts[1]), {"merge": [tuple(acts[:2])]}))
        elif f.kind == "parallelizable" and len(acts) >= 2:
            out.append(
                (
                    _("Run “{a}” and “{b}” in parallel", a=acts[0], b=acts[1]),
                    {"parallelize": [tuple(acts[:2])]},
                )
            )
        if len(out) == 3:
            break
    if len(out) > 1:
        combined: dict[str, list[Any]] = {}
        removed: set[str] = set()
        for _label, kw in out:
            for k, v in kw.items():
                for item in v:
                    names = {item} if isinstance(item, str) else set(item)
                    if names & removed:
                        continue  # a step cannot be removed and merged at once
                    combined.setdefault(k, []).append(item)
                    removed |= names
        out.append((_("All of the above"), combined))
    return out


def whatif(ctx: Context) -> Section:
    from ..whatif import simplify

    _ = ctx._
    sec = Section(
        "whatif",
        _("What-if: simplifying the top findings"),
        intro=_(
            "Each scenario replays the recorded cases with the change applied and compares key figures before and after."
        ),
    )
    shown = shown_findings(ctx)
    scen = _scenarios(ctx, shown)
    if not scen:
        sec.add(nothing_to_simplify(ctx))
        return sec
    rows, records = [], []
    working = True  # (the durations shown are working time when the what-if measured it)
    for name, kw in scen:
        try:
            w = simplify(ctx.log, calendar=ctx.calendar, **kw)
            if kw is scen[-1][1]:  # the combined scenario is the proposal's: kept for it (one log)
                ctx.cache.setdefault(WHATIF_KEY, {})[scenario_key(kw)] = w
        except Exception as exc:
            from ..errors import ProcmineWarning

            logger.debug("report: what-if %r failed", name, exc_info=exc)
            warnings.warn(f"report: what-if {name!r} could not be computed ({type(exc).__name__}: {exc})",
                          ProcmineWarning, stacklevel=3)
            ctx.errors[f"whatif: {name}"] = f"{type(exc).__name__}: {exc}"
            rows.append([name, "–", "–", "–", "–", _("could not be computed: {error}", error=str(exc))])
            continue
        b, a = w.before, w.after
        key = "median_case_working_time" if "median_case_working_time" in b else "median_case_duration"
        key90 = "p90_case_working_time" if "p90_case_working_time" in b else "p90_case_duration"
        working = key.endswith("working_time")
        fmt = ctx.wdur if working else ctx.dur
        change = (a[key] - b[key]) / b[key] if b[key] != pd.Timedelta(0) else float("nan")
        rows.append(
            [
                name,
                f"{fmt(b[key])} → {fmt(a[key])}",
                "–" if pd.isna(change) else ctx.pct(change),
                f"{fmt(b[key90])} → {fmt(a[key90])}",
                f"{ctx.num(b['events_per_case'])} → {ctx.num(a['events_per_case'])}",
                f"{ctx.num(b['handovers_per_case'])} → {ctx.num(a['handovers_per_case'])}",
            ]
        )
        d = whatif_frame(ctx, w.delta())  # (with the unit of each row: the workbook's before/after mix units)
        d.insert(0, "scenario", name)
        records.append(d)
    sec.add(
        Table(
            [
                _("Scenario"),
                _("Median case duration"),
                _("Change"),
                _("Slowest 10% of cases"),
                _("Steps per case"),
                _("Handovers per case"),
            ],
            rows,
            ["l", "r", "r", "r", "r", "r"],
            note=_("Durations in working time, before → after.") if working
            else _("Durations in elapsed time, before → after."),
        )
    )
    if records:
        ctx.tables["what-if"] = pd.concat(records, ignore_index=True)
    return sec


def comparison_column(log: Any) -> str | None:
    """The column to compare units by: a commune/office case attribute, else ``org:group``."""
    df = log.df
    for col in df.columns:
        base = str(col).lower().removeprefix("case:").strip()
        if base in _GROUP_NAMES and col not in (CASE, GROUP):
            n = df[col].nunique(dropna=True)
            if 2 <= n <= 200:
                return str(col)
    if GROUP in df.columns and df[GROUP].nunique(dropna=True) >= 2:
        return GROUP
    return None


def comparison(ctx: Context) -> Section:
    _ = ctx._
    sec = Section("compare", _("Comparison across units"))
    by = comparison_column(ctx.log)
    if by is None:
        sec.add(Notice(_("The log names no commune, office or org unit to compare."), "info"))
        return sec
    shown_by = ctx.source_name(by)  # (the header the user knows: "Service", not org:group)
    sec.intro = _("The same procedure compared across “{by}”: each unit's own cases.", by=shown_by)
    from ..compare import compare

    cmp = compare(ctx.log, by=by, min_cases=ctx.min_cases, calendar=ctx.calendar)
    frame = cmp.to_frame().rename_axis("group").reset_index()
    suppressed = cmp.suppressed
    if cmp.assignment == "most working time":
        sec.intro = _(
            "The same procedure compared across “{by}”: several units work on each case; "
            "each case counts for the unit that spent the most working time on it.",
            by=shown_by,
        )
    if "cases" not in frame.columns:
        raise ValueError(f"compare() returned no 'cases' column: {list(frame.columns)}")
    kept = suppress_small_groups(frame, "cases", ctx.min_cases)
    kept.attrs["suppressed"] = kept.attrs.get("suppressed", 0) + suppressed
    ctx.tables["comparison"] = kept.reset_index(drop=True)
    if kept.empty:
        sec.add(Notice(_("No unit has at least {n} cases.", n=ctx.min_cases), "info"))
        return sec
    kept = kept.sort_values("cases", ascending=False, kind="stable")
    dur_col = next((c for c in ("median_duration", "median_case_duration") if c in kept.columns), None)
    if dur_col is not None and len(kept) > 1:
        top = kept.head(15)
        vals = top[dur_col].map(
            lambda v: pd.Timedelta(v).total_seconds() / 3600 / ctx.day_hours if pd.notna(v) else np.nan
        )
        sec.add(
            Figure(
                _charts.hbar(
                    [str(g) for g in top["group"]],
                    vals.to_numpy(),
                    xlabel=_("median case duration in {unit}", unit=ctx.working_days),
                    prefix="cmp",
                    value_labels=[ctx.num(v) for v in vals],
                ),
                _("Median case duration per unit (the {n} largest units).", n=len(top)),
            )
        )
    cols: list[tuple[str, str, Any]] = [("group", shown_by, "text"), ("cases", _("Cases"), "int")]
    labels = {
        "median_duration": (_("Median duration (working time)"), "wdur"),
        "p90_duration": (_("Slowest 10% (working time)"), "wdur"),
        "median_elapsed": (_("Median duration (elapsed)"), "dur"),
        "events_per_case": (_("Steps per case"), "num"),
        "rework_share": (_("Cases with a step repeated"), "pct"),
        "variants": (_("Variants"), "int"),
        "top_variant_share": (_("Cases in the main variant"), "pct"),
    }
    for col in kept.columns:
        if col in labels and col not in ("group", "cases"):
            cols.append((col, labels[col][0], labels[col][1]))
    note = ""
    if kept.attrs.get("suppressed"):
        hidden = kept.attrs["suppressed"]
        note = (_("{n} unit with fewer than {m} cases is not shown.", n=hidden, m=ctx.min_cases) if hidden == 1
                else _("{n} units with fewer than {m} cases are not shown.", n=hidden, m=ctx.min_cases))
    sec.add(table_from_frame(ctx, kept, cols, note=note, max_rows=25))
    return sec
