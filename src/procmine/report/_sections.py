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
import pandas as pd

from ..i18n import localise
from ..privacy import activity_cases
from . import _charts
from ._blocks import KPI, Context, Figure, Notice, Section, Table, Text, table_from_frame
from ._savings import headline, lead_days_per_year, shown_figure, staff_hours_total, whole_number
from ._svg import sanitize_svg

__all__ = [
    "findings_of",
    "kind_label",
    "kind_name",
    "model",
    "part_failed",
    "perf",
    "process_map",
    "processing_medians",
    "report_calendar",
    "step_occurrences",
    "summary",
    "time",
    "variants",
    "workday_hours",
]

logger = logging.getLogger("procmine")


def _hidden_caption(_: Any, a: int, p: int, n: int) -> str:
    """What the map hides for privacy: ``a`` activities and ``p`` paths (one or both), each
    count in the singular when it is one (the sentences agree in French and German)."""
    if a and p:
        if a == 1 and p == 1:
            return _("{a} activity and {p} path seen in fewer than {n} cases are hidden (privacy).", a=a, p=p, n=n)
        if a == 1:
            return _("{a} activity and {p} paths seen in fewer than {n} cases are hidden (privacy).", a=a, p=p, n=n)
        if p == 1:
            return _("{a} activities and {p} path seen in fewer than {n} cases are hidden (privacy).", a=a, p=p, n=n)
        return _("{a} activities and {p} paths seen in fewer than {n} cases are hidden (privacy).", a=a, p=p, n=n)
    if a:
        return (_("{a} activity seen in fewer than {n} cases is hidden (privacy).", a=a, n=n) if a == 1 else
                _("{a} activities seen in fewer than {n} cases are hidden (privacy).", a=a, n=n))
    return (_("{p} path seen in fewer than {n} cases is hidden (privacy).", p=p, n=n) if p == 1 else
            _("{p} paths seen in fewer than {n} cases are hidden (privacy).", p=p, n=n))


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


def shown_findings(ctx: Context) -> list[Any]:
    """The findings the report shows, in rank order: those of at least ``min_cases`` cases
    (privacy: a smaller group appears nowhere)."""
    return [f for f in findings_of(ctx) if f.cases >= ctx.min_cases]


def nothing_to_simplify(ctx: Context) -> Notice:
    """What the what-if and proposal sections say when no top finding is a change a what-if can make."""
    _ = ctx._
    return Notice(_("None of the top findings is a step that a what-if can remove, merge or parallelize."), "info")


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
    sec = Section("summary", _("Summary"))
    sec.add(*_log_tiles(ctx, sec))
    try:
        f = shown_findings(ctx)
    except Exception as exc:
        part_failed(ctx, sec, _("Findings"), exc)
        return sec
    if not f:
        sec.add(KPI(_("Findings"), "0", _("no redundancy above the thresholds")))
        return sec
    # each card on its own: one that fails leaves the others
    sec.add(KPI(_("Findings"), ctx.int(len(f)), _("ranked by estimated saving")))
    _lead_time_cards(ctx, sec, f)
    _staff_card(ctx, sec, f)
    _best_opportunity(ctx, sec, f)
    return sec


def _log_tiles(ctx: Context, sec: Section) -> list[KPI]:
    """The summary's tiles about the log: size, period, variants, case durations (a part that
    fails is noted in ``sec`` and left out)."""
    _ = ctx._
    log = ctx.log
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
        # "the top 5" of five variants or fewer would be all of them: then the most frequent's share
        sub = (_("top 5 cover {share} of cases", share=ctx.pct(v["share"].head(5).sum())) if len(v) > 5 else
               _("the most frequent covers {share} of cases", share=ctx.pct(v["share"].iloc[0])) if len(v) else "")
        tiles.append(KPI(_("Variants"), ctx.int(len(v)), sub))
    except Exception as exc:
        part_failed(ctx, sec, _("Variants"), exc)
    try:
        p = perf(ctx)
        dur = p.cases["duration"]
        tiles.append(
            KPI(
                _("Median case duration"),
                ctx.wdur(dur.median()),
                _("working time ({calendar}); elapsed: {x}", calendar=ctx.calendar_note,
                  x=ctx.dur(p.cases["elapsed"].median())),
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
    return tiles


def _lead_time_cards(ctx: Context, sec: Section, f: list[Any]) -> None:
    """Lead time the office can cut, applicant waiting avoided, cases affected."""
    _ = ctx._
    try:
        head = headline(f, perf(ctx), ctx.day_hours)
        sec.add(
            KPI(
                _("Lead time the office can cut per year"),
                _("{x} working days", x=whole_number(head.office_days_per_year)),
                # the calendar note already says how long a working day is
                _("summed over cases, not staff hours: office waiting and work only, each wait counted once "
                  "({calendar})", calendar=ctx.calendar_note),
            )
        )
        if head.client_cases:
            sec.add(
                KPI(
                    _("Applicant waiting avoided per year"),
                    _("{x} calendar days", x=whole_number(head.client_days_per_year)),
                    _("waiting for missing documents or information, {n} cases in the log", n=head.client_cases),
                )
            )
        sec.add(
            KPI(
                _("Cases affected"),
                _("up to {n}", n=head.cases_affected),
                _("{share} of the cases in the log", share=ctx.pct(head.cases_affected / max(head.n_cases, 1))),
            )
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Lead time the office can cut per year"), exc)


def _staff_card(ctx: Context, sec: Section, f: list[Any]) -> None:
    """Staff time saved per year by the findings together, each step's processing counted
    once (as the lead-time card counts each wait once, :func:`~._savings.staff_hours_total`)."""
    _ = ctx._
    log = ctx.log
    try:
        proc = processing_medians(ctx)
        total = staff_hours_total(f, proc, log, step_occurrences(ctx))
        # not measurable without start times, even when no finding removes work (as the portfolio says)
        if proc is None or total is None:
            sec.add(KPI(_("Staff time saved per year"), "–", _("not measurable: the log has no start times")))
        else:
            sec.add(
                KPI(
                    _("Staff time saved per year"),
                    _("{x} hours", x=shown_figure(total)),
                    _("processing time of steps that would no longer be done; a step that several findings "
                      "touch counts once"),
                )
            )
    except Exception as exc:
        part_failed(ctx, sec, _("Staff time saved per year"), exc)


def step_occurrences(ctx: Context) -> dict[str, float] | None:
    """Activity -> its events in the log (what caps the staff time of a step), or ``None``."""
    try:
        counts = perf(ctx).activities["count"]
    except Exception:
        return None
    return {str(a): float(n) for a, n in counts.items()}


def _best_opportunity(ctx: Context, sec: Section, f: list[Any]) -> None:
    _ = ctx._
    log = ctx.log
    try:
        best = f[0]
        sec.add(
            Text(
                _(
                    "Largest single opportunity: {kind} on “{acts}” ({share} of cases), about {days} working days of lead time in the office per year (summed over cases).",
                    kind=kind_label(ctx, best.kind),
                    acts=" → ".join(best.activities),
                    share=ctx.pct(best.case_share),
                    days=shown_figure(lead_days_per_year([best], log, ctx.day_hours)),
                )
            )
        )
    except Exception as exc:
        part_failed(ctx, sec, _("Largest single opportunity"), exc)


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

        pmap = draw(ctx.log, title="", min_cases=ctx.min_cases, language=ctx.language)
        svg = getattr(pmap, "svg", None) or pmap._repr_svg_()
        caption = _("Most frequent activities and paths; rare ones are left out for readability.")
        shown = pmap.graph.shown
        a, p = shown.get("private_activities", 0), shown.get("private_paths", 0)
        if a or p:  # only what is hidden ("0 activities and 23 paths ..." reads oddly), in number
            caption += " " + _hidden_caption(_, a, p, ctx.min_cases)
        sec.add(Figure(sanitize_svg(svg, "map"), caption))
    except Exception as exc:
        part_failed(ctx, sec, _("Process map"), exc)
    dfg = m.dfg.sort_values("cases", ascending=False, kind="stable")
    dfg = dfg[dfg["cases"] >= ctx.min_cases]
    ctx.tables["transitions"] = dfg.reset_index(drop=True)
    rows = 12
    # BPIC12: "O_SENT -> W_Completeren aanvraag: -10 min": the next step's start precedes the
    # previous step's completion; a true figure, which the table says how to read
    top = dfg.head(rows)
    overlap = bool((top["median"] < pd.Timedelta(0)).any()) if "median" in top.columns else False
    sec.add(
        table_from_frame(
            ctx,
            dfg,
            [
                ("source", _("From"), "text"),
                ("target", _("To"), "text"),
                ("cases", _("Cases"), "int"),
                ("count", _("Times"), "int"),
                # elapsed (calendar) time, as the variants' durations: the report's rule says
                # durations are working time unless stated, so the header states it
                ("median", _("Median time in between (elapsed)"), "dur"),
            ],
            caption=_("Most frequent transitions"),
            max_rows=rows,
            note=_("A negative time: the next step mostly starts before the previous one is completed "
                   "(the two overlap).") if overlap else "",
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
    # of all variants (a share, naming none): those shown may be fewer than ten, or none
    cover = float(v["share"].head(10).sum())
    if n_all > 10:
        sec.add(Text(_("{n} variants in all; the ten most frequent cover {share} of cases.", n=n_all,
                       share=ctx.pct(cover))))
    elif n_all == 1:  # (every case follows it)
        sec.add(Text(_("{n} variant in all: every case follows the same sequence of activities.", n=1)))
    elif n_all:  # ("the ten most frequent" of ten or fewer would be all of them)
        sec.add(Text(_("{n} variants in all; the most frequent covers {share} of cases.", n=n_all,
                       share=ctx.pct(float(v["share"].iloc[0])))))
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
    _duration_histogram(ctx, sec, p)
    _causes(ctx, p, sec)
    _activity_times(ctx, sec, p, waiting_only)
    _bottlenecks(ctx, sec)
    return sec


def _duration_histogram(ctx: Context, sec: Section, p: Any) -> None:
    _ = ctx._
    cases = p.cases
    dur_h = cases["duration"].dt.total_seconds() / 3600
    med, p90 = cases["duration"].median(), cases["duration"].quantile(0.9)
    if len(dur_h.dropna()) > 1:
        sec.add(
            Figure(
                _charts.histogram(
                    dur_h / ctx.day_hours,
                    xlabel=_("case duration in {unit}", unit=ctx.working_days),
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


def _activity_times(ctx: Context, sec: Section, p: Any, waiting_only: bool) -> None:
    """The chart and table of time per activity (those seen in at least ``min_cases`` cases)."""
    _ = ctx._
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


def _bottlenecks(ctx: Context, sec: Section) -> None:
    _ = ctx._
    try:
        bn = [f for f in shown_findings(ctx) if f.kind == "bottleneck"]
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


def _causes(ctx: Context, p: Any, sec: Section) -> None:
    """Office, applicant and legal-period time: tiles with the shares of all case time and,
    per activity, the waiting by cause (:mod:`procmine.waits._causes`). A legal period
    recorded as a system step lasting it counts as legal period, not processing."""
    from .._core.kernels import NAT

    _ = ctx._
    t, c = p.times, p.log.codes
    n_act = c.n_activities
    split = p.causes.split(t.wait)
    client, statutory = p.causes.outside_office(t.wait, t.proc, c.activity)
    proc = np.where(t.proc == NAT, 0, t.proc)
    per_act = {
        "office": np.bincount(c.activity, weights=split["office"].astype(float), minlength=n_act),
        "client": np.bincount(c.activity, weights=client.astype(float), minlength=n_act),
        "statutory": np.bincount(c.activity, weights=statutory.astype(float), minlength=n_act),
        "batch": np.bincount(c.activity, weights=split["batch"].astype(float), minlength=n_act),
    }
    work = float(proc.sum(dtype=np.float64)) - float((statutory - split["statutory"]).sum(dtype=np.float64))
    total = {k: float(v.sum(dtype=np.float64)) for k, v in per_act.items()}
    all_time = sum(total.values()) + (work if t.has_start else 0.0)
    if all_time <= 0:
        return

    def share(x: float) -> str:
        return ctx.pct(x / all_time)

    tiles = [
        KPI(_("Office waiting"), share(total["office"]), _("of all case time: queues the office controls")),
        KPI(_("Waiting for the applicant or third parties"), share(total["client"]),
            _("after a request, or before a step the outside world triggers")),
        KPI(_("Legal periods"), share(total["statutory"]), _("fixed periods (e.g. objection periods)")),
    ]
    if total["batch"] > 0:
        tiles.append(KPI(_("Waiting for a fixed date"), share(total["batch"]),
                         _("steps released in batches on a few days, or declared so")))
    if t.has_start:
        tiles.append(KPI(_("Processing"), share(work), _("the steps themselves")))
    sec.add(*tiles)
    names = np.asarray(c.activity_names, dtype=object)
    public = _public_activities(ctx, c)
    _causes_chart(ctx, sec, per_act, total, names, public)
    _not_office_table(ctx, sec, p, names, public)


def _public_activities(ctx: Context, c: Any) -> np.ndarray:
    """Per activity code: seen in at least ``min_cases`` cases (privacy: the others appear nowhere)."""
    n_act = c.n_activities
    first = np.unique(c.case.astype(np.int64) * max(n_act, 1) + c.activity, return_index=True)[1]
    return np.bincount(c.activity[first], minlength=n_act) >= ctx.min_cases


def _causes_chart(
    ctx: Context, sec: Section, per_act: dict[str, np.ndarray], total: dict[str, float], names: np.ndarray,
    public: np.ndarray,
) -> None:
    """The waiting before each of the top steps, by cause."""
    _ = ctx._
    not_office = per_act["client"] + per_act["statutory"] + per_act["batch"]
    order = np.argsort(-(per_act["office"] + not_office), kind="stable")
    top = [a for a in order if public[a] and per_act["office"][a] + not_office[a] > 0][:12]
    if top:
        day_us = 3_600_000_000 * ctx.day_hours
        parts = [
            (_("office waiting"), per_act["office"][top] / day_us, "wait"),
            (_("waiting for the applicant or third parties"), per_act["client"][top] / day_us, "grey"),
            (_("legal periods"), per_act["statutory"][top] / day_us, "good"),
        ]
        if total["batch"] > 0:
            parts.append((_("waiting for a fixed date"), per_act["batch"][top] / day_us, "main"))
        sec.add(
            Figure(
                _charts.hbar_stacked([str(names[a]) for a in top], parts, xlabel=_("total in {unit}", unit=ctx.working_days),
                                     prefix="causes"),
                _(
                    "Where the waiting before each step comes from: only office waiting can be shortened by the office; "
                    "savings count only office time."
                ),
            )
        )


def _not_office_table(ctx: Context, sec: Section, p: Any, names: np.ndarray, public: np.ndarray) -> None:
    """The steps whose waiting the office does not control, and why."""
    _ = ctx._
    shown = set(names[public].astype(str))
    wc = p.wait_causes[p.wait_causes["activity"].isin(shown)]
    ctx.tables["wait causes"] = wc.reset_index(drop=True)
    wc = wc[wc["cause"] != "office"]
    if len(wc):
        label = {"client": _("applicant or third party"), "statutory": _("legal period"), "batch": _("fixed date")}
        steps = p.steps

        def why(r: Any) -> str:
            if str(r.why).startswith("declared"):
                return _("declared")
            if r.cause == "statutory":  # its own period, else the one after the previous step
                d = steps.loc[r.activity, ["period_days", "inherited_period_days"]].dropna()
                return _("fixed period of about {d} calendar days", d=round(float(d.iloc[0])))
            if r.cause == "client" and bool(steps.loc[r.activity, "external"]):
                return _("the outside world triggers this step")
            if r.cause == "batch":  # (it read "waits after a request" for a step released in batches)
                return localise(r.why, ctx.language) if str(r.why) != "batch" else _("released in batches")
            return _("waits after a request to the applicant or a third party")

        rows = [[str(r.activity), label.get(r.cause, r.cause), ctx.int(r.events), why(r)]
                for r in wc.sort_values("events", ascending=False).head(12).itertuples(index=False)]
        sec.add(Table([_("Activity"), _("Cause"), _("Waits"), _("Why")], rows, ["l", "l", "r", "l"],
                      caption=_("Waiting the office does not control"), wide=(3,)))


def kind_label(ctx: Context, kind: str) -> str:
    """The translated name of a finding kind."""
    return kind_name(kind, ctx.language)


def kind_name(kind: str, language: str) -> str:
    """The name of a finding kind (``"rubber_stamp"``) in ``language``, as the report and
    the command line show it (the code itself when unknown)."""
    from ..i18n import format_message, gettext

    def _(msgid: str) -> str:
        return format_message(gettext(msgid, language), language)

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
