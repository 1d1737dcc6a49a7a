"""Report sections about the log itself: summary, process map, variants, time, data quality, method.

Each builder takes a :class:`~procmine.report._blocks.Context` and returns a
:class:`~procmine.report._blocks.Section`; :func:`procmine.report._build.report` runs
them so that one failing analysis never stops the report.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from ..privacy import activity_cases
from . import _charts
from ._blocks import KPI, Context, Figure, Notice, Section, Table, Text, table_from_frame
from ._savings import lead_days_per_year, staff_hours
from ._svg import sanitize_svg

__all__ = [
    "findings_of",
    "kind_label",
    "model",
    "part_failed",
    "perf",
    "process_map",
    "processing_medians",
    "report_calendar",
    "summary",
    "time",
    "variants",
    "workday_hours",
]

logger = logging.getLogger("procmine")


# -- shared analyses (computed once per report) ------------------------------------------------
def model(ctx: Context) -> Any:
    from ..discovery import discover

    return ctx.memo("model", lambda: discover(ctx.log))


def perf(ctx: Context) -> Any:
    from ..performance import performance

    return ctx.memo("perf", lambda: performance(ctx.log, calendar=ctx.calendar))


def findings_of(ctx: Context) -> Any:
    def compute() -> Any:
        if ctx.given_findings is not None:
            return ctx.given_findings
        from ..redundancy import find_redundancies

        return find_redundancies(ctx.log, required=ctx.required, calendar=ctx.calendar)

    return ctx.memo("findings", compute)


def processing_medians(ctx: Context) -> dict[str, Any] | None:
    """Activity -> median processing time, or ``None`` when the log has no start timestamps."""

    def compute() -> dict[str, Any] | None:
        try:
            p = perf(ctx)
        except Exception:
            return None
        if not p.times.has_start:
            return None
        return p.activities["processing_median"].to_dict()

    return ctx.memo("processing", compute)


def workday_hours(ctx: Context) -> float:
    """Hours of one working day under the report's calendar (:attr:`procmine.Calendar.day_hours`)."""
    return report_calendar(ctx).day_hours or 24.0


def report_calendar(ctx: Context) -> Any:
    """The calendar the report measures working time with (the default ``Calendar()`` if none)."""
    if ctx.calendar is not None:
        return ctx.calendar
    from ..calendar import Calendar

    return Calendar()


def part_failed(ctx: Context, sec: Section, what: str, exc: BaseException) -> None:
    """A part of a section could not be computed: say so in the section (a translated
    notice naming ``what``, already in the report language) and emit a ``ProcmineWarning``;
    the rest of the section stays."""
    from ..errors import ProcmineWarning

    error = f"{type(exc).__name__}: {exc}"
    ctx.errors[f"{sec.id}: {what}"] = error
    logger.debug("report: %s / %s failed", sec.id, what, exc_info=exc)
    warnings.warn(f"report: {what} in section {sec.id!r} could not be computed ({error})", ProcmineWarning,
                  stacklevel=3)
    sec.add(Notice(ctx._("{what} could not be computed ({error}).", what=what, error=error), "warning"))


# -- sections ------------------------------------------------------------------------------------
def summary(ctx: Context) -> Section:
    _ = ctx._
    log = ctx.log
    sec = Section("summary", _("Summary"))
    tr = log.time_range
    period = f"{ctx.date(tr[0])} – {ctx.date(tr[1])}" if tr else "–"
    tiles = [
        KPI(_("Cases"), ctx.int(log.n_cases)),
        KPI(_("Events"), ctx.int(log.n_events), _("{x} per case", x=log.n_events / max(log.n_cases, 1))),
        KPI(_("Activities"), ctx.int(log.codes.n_activities)),
        KPI(_("Period"), period),
    ]
    try:
        v = model(ctx).variants
        top = v["share"].head(5).sum() if len(v) else 0.0
        tiles.append(
            KPI(_("Variants"), ctx.int(len(v)), _("top 5 cover {share} of cases", share=ctx.pct(top)))
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Variants"), exc)
    try:
        p = perf(ctx)
        dur = p.cases["duration"]
        tiles.append(
            KPI(
                _("Median case duration"),
                ctx.wdur(dur.median()),
                _("working time; elapsed: {x}", x=ctx.dur(p.cases["elapsed"].median())),
            )
        )
        tiles.append(
            KPI(
                _("Slowest 10% of cases take more than"),
                ctx.wdur(dur.quantile(0.9)),
                _("working time") + f" ({ctx.calendar_note})",
            )
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Median case duration"), exc)
    sec.add(*tiles)
    try:
        f = [x for x in findings_of(ctx) if x.cases >= ctx.min_cases]
    except Exception as exc:
        part_failed(ctx, sec, _("Findings"), exc)
        return sec
    if not f:
        sec.add(KPI(_("Findings"), "0", _("no redundancy above the thresholds")))
        return sec
    # each card on its own: one that fails leaves the others
    sec.add(KPI(_("Findings"), ctx.int(len(f)), _("ranked by estimated saving")))
    try:
        days = lead_days_per_year(f, log, ctx.day_hours)
        sec.add(
            KPI(
                _("Lead time saved per year"),
                _("{x} working days", x=days),
                _("summed over cases; upper bound, findings may overlap") + f" ({ctx.calendar_note})",
            )
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Lead time saved per year"), exc)
    try:
        staff = [staff_hours(x, processing_medians(ctx), log) for x in f]
        if any(h is None for h in staff):
            sec.add(KPI(_("Staff time saved per year"), "–", _("not measurable: the log has no start times")))
        else:
            sec.add(
                KPI(
                    _("Staff time saved per year"),
                    _("{x} hours", x=float(sum(staff))),
                    _("processing time of steps that would no longer be done"),
                )
            )
    except Exception as exc:
        part_failed(ctx, sec, _("Staff time saved per year"), exc)
    try:
        best = f[0]
        sec.add(
            Text(
                _(
                    "Largest single opportunity: {kind} on “{acts}” ({share} of cases), about {days} working days of lead time per year.",
                    kind=kind_label(ctx, best.kind),
                    acts=" → ".join(best.activities),
                    share=ctx.pct(best.case_share),
                    days=lead_days_per_year([best], log, ctx.day_hours),
                )
            )
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Largest single opportunity"), exc)
    return sec


def process_map(ctx: Context) -> Section:
    _ = ctx._
    sec = Section(
        "map",
        _("Process map"),
        intro=_(
            "How cases actually flow: boxes are activities, arrows the direct successions observed; thicker arrows carry more cases."
        ),
    )
    m = model(ctx)
    try:
        from ..viz import process_map as draw

        pmap = draw(ctx.log, title="", min_cases=ctx.min_cases)
        svg = getattr(pmap, "svg", None) or pmap._repr_svg_()
        caption = _("Most frequent activities and paths; rare ones are left out for readability.")
        shown = pmap.graph.shown
        if shown.get("private_activities") or shown.get("private_paths"):
            caption += " " + _(
                "{a} activities and {p} paths seen in fewer than {n} cases are hidden (privacy).",
                a=shown.get("private_activities", 0),
                p=shown.get("private_paths", 0),
                n=ctx.min_cases,
            )
        sec.add(Figure(sanitize_svg(svg, "map"), caption))
    except Exception as exc:
        part_failed(ctx, sec, _("Process map"), exc)
    dfg = m.dfg.sort_values("cases", ascending=False, kind="stable")
    dfg = dfg[dfg["cases"] >= ctx.min_cases]
    ctx.tables["transitions"] = dfg.reset_index(drop=True)
    sec.add(
        table_from_frame(
            ctx,
            dfg,
            [
                ("source", _("From"), "text"),
                ("target", _("To"), "text"),
                ("cases", _("Cases"), "int"),
                ("count", _("Times"), "int"),
                ("median", _("Median time in between"), "dur"),
            ],
            caption=_("Most frequent transitions"),
            max_rows=12,
        )
    )
    return sec


def _difference(ctx: Context, variant: tuple[str, ...], main: tuple[str, ...]) -> str:
    """How ``variant`` differs from the main variant, in a few words."""
    from collections import Counter

    if variant == main:
        return " → ".join(variant)
    plus, minus = Counter(variant) - Counter(main), Counter(main) - Counter(variant)

    def items(c: Counter[str], sign: str) -> list[str]:
        return [f"{sign} {a}" + (f" (×{n})" if n > 1 else "") for a, n in c.items()]

    parts = items(plus, "+") + items(minus, "−")
    if not parts:
        i = next((k for k, (a, b) in enumerate(zip(variant, main)) if a != b), 0)
        return ctx._("same steps as #1 in another order, from “{a}” on", a=variant[i])
    return "; ".join(parts)


def variants(ctx: Context) -> Section:
    _ = ctx._
    sec = Section(
        "variants",
        _("Main variants"),
        intro=_(
            "A variant is one exact sequence of activities; cases following the same sequence share a variant."
        ),
    )
    v = model(ctx).variants.copy()
    n_all = len(v)
    v.insert(0, "rank", np.arange(1, len(v) + 1))
    v["steps"] = v["variant"].map(len)
    shown = v[v["cases"] >= ctx.min_cases].copy()
    ctx.tables["variants"] = shown.reset_index(drop=True)
    cover = float(shown["share"].head(10).sum()) if len(shown) else 0.0
    sec.add(
        Text(
            _(
                "{n} variants in all; the ten most frequent cover {share} of cases.",
                n=n_all,
                share=ctx.pct(cover),
            )
        )
    )
    if len(shown):
        main = tuple(v["variant"].iloc[0])
        shown["difference"] = [_difference(ctx, tuple(x), main) for x in shown["variant"]]
    sec.add(
        table_from_frame(
            ctx,
            shown,
            [
                ("rank", "#", "int"),
                ("cases", _("Cases"), "int"),
                ("share", _("Share"), "pct"),
                ("steps", _("Steps"), "int"),
                ("median_duration", _("Median duration (elapsed)"), "dur"),
                (
                    "difference",
                    _("Sequence of activities (variant 1 in full, the others as differences from it)"),
                    "text",
                ),
            ],
            max_rows=10,
            wide=("difference",),
            note=_("Variants with fewer than {n} cases are not listed.", n=ctx.min_cases)
            if len(shown) < n_all
            else "",
        )
    )
    return sec


def time(ctx: Context) -> Section:
    _ = ctx._
    p = perf(ctx)
    sec = Section("time", _("Where time goes"))
    waiting_only = p.times.has_start
    sec.intro = (
        _(
            "Waiting time is the time a case spends between the end of one step and the start of the next; processing time is the time a step itself takes."
        )
        if waiting_only
        else _(
            "The log records only when each step ended, so waiting and processing cannot be separated: the time before each step counts both."
        )
    )
    cases = p.cases
    dur_h = cases["duration"].dt.total_seconds() / 3600
    med, p90 = cases["duration"].median(), cases["duration"].quantile(0.9)
    if len(dur_h.dropna()) > 1:
        sec.add(
            Figure(
                _charts.histogram(
                    dur_h / ctx.day_hours,
                    xlabel=_("case duration (working days)") + f" ({ctx.calendar_note})",
                    ylabel=_("cases"),
                    prefix="dur",
                    marks=[
                        (med.total_seconds() / 3600 / ctx.day_hours, _("median")),
                        (p90.total_seconds() / 3600 / ctx.day_hours, "90%"),
                    ],
                ),
                _(
                    "Distribution of case durations in working time; the longest 2% are shown at the right edge."
                ),
            )
        )
    # privacy: activities seen in fewer than min_cases cases appear nowhere, not even in the workbook
    seen = activity_cases(ctx.log).reindex(p.activities.index).fillna(0)
    public = p.activities[(seen >= ctx.min_cases).to_numpy()]
    acts = public.head(12)
    ctx.tables["activities"] = public.reset_index()
    if len(acts):
        wait = acts["waiting_median"].dt.total_seconds() / 3600
        proc = acts["processing_median"].dt.total_seconds() / 3600
        parts = [
            (
                _("median waiting") if waiting_only else _("median waiting + processing"),
                wait.to_numpy(),
                "wait",
            )
        ]
        if waiting_only:
            parts.append((_("median processing"), proc.to_numpy(), "work"))
        sec.add(
            Figure(
                _charts.hbar_stacked(list(acts.index), parts, xlabel=_("working hours"), prefix="acts"),
                _("Activities with the most total waiting time, median per occurrence."),
            )
        )
        wait_label = _("Waiting (median)") if waiting_only else _("Waiting + processing (median)")
        cols = [
            (acts.index.name or "concept:name", _("Activity"), "text"),
            ("count", _("Times"), "int"),
            ("waiting_median", wait_label, "wdur"),
            ("waiting_p90", _("Slowest 10% wait more than"), "wdur"),
        ]
        if waiting_only:
            cols.append(("processing_median", _("Processing (median)"), "wdur"))
        cols += [("waiting_total", _("Total waiting"), "wdur"), ("share", _("Share of case time"), "pct")]
        sec.add(table_from_frame(ctx, acts.reset_index(), cols, caption=_("Time per activity"), max_rows=12))
    try:
        bn = findings_of(ctx).filter(kind="bottleneck")
        bn = [f for f in bn if f.cases >= ctx.min_cases]
        if bn:
            rows = [
                [
                    " → ".join(f.activities),
                    ctx.int(f.cases),
                    ctx.pct(f.case_share),
                    ctx.wdur(f.saving_per_case),
                    f.text(ctx.language),
                ]
                for f in bn[:5]
            ]
            sec.add(
                Table(
                    [_("Bottleneck"), _("Cases"), _("Share"), _("Saving per case"), _("Recommendation")],
                    rows,
                    ["l", "r", "r", "r", "l"],
                    caption=_("Bottlenecks"),
                    wide=(4,),
                )
            )
    except Exception as exc:
        part_failed(ctx, sec, _("Bottlenecks"), exc)
    return sec


def kind_label(ctx: Context, kind: str) -> str:
    """The translated name of a finding kind."""
    _ = ctx._
    labels = {
        "rework": _("Rework"),
        "duplicate_work": _("Duplicate work"),
        "ping_pong": _("Ping-pong"),
        "rubber_stamp": _("Rubber stamp"),
        "mergeable": _("Mergeable steps"),
        "parallelizable": _("Parallelizable steps"),
        "bottleneck": _("Bottleneck"),
        "batching": _("Batching"),
        "automation_candidate": _("Automation candidate"),
        "incomplete_submission": _("Incomplete applications"),
    }
    return labels.get(kind, kind)
