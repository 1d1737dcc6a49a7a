"""Report section "Fristen / Délais / Time limits": shown when ``report(..., limits=rules)``.

One table of the rules (cases, open, within, breaches, share within, time used), then per
rule with breaches the steps that push cases over (``TimeLimits.culprits``). Rows counting
fewer than ``min_cases`` cases are left out, as everywhere in the report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._blocks import Context, Notice, Section, table_from_frame

__all__ = ["RESULT_KEY", "RULES_KEY", "limits"]

#: where build_report puts the rules given to ``report(..., limits=...)``
RULES_KEY = "limits_rules"
#: where the section leaves its :class:`~procmine.limits.TimeLimits` (for the portfolio)
RESULT_KEY = "time_limits"


def limits(ctx: Context) -> Section:
    from ..limits import limit_text, time_limits

    _ = ctx._
    sec = Section("limits", _("Time limits"))
    rules = ctx.cache.get(RULES_KEY)
    if rules is None:
        sec.add(Notice(_("No case reached the start of any rule."), "info"))
        return sec
    tl = time_limits(ctx.log, rules, calendar=ctx.calendar)
    ctx.cache[RESULT_KEY] = tl
    cal = tl.calendar
    sec.intro = " ".join([
        _("Periods are counted as Swiss law counts them: from the day after the starting step to the end (24:00) "
          "of the last day; a last day on a week-end or public holiday moves to the next working day ({calendar}).",
          calendar=_("calendar {name}", name=cal.label)),
        _("Cases whose end is still to come before their deadline are open: neither met nor breached. "
          "A case that passed its deadline without reaching the end is a breach."),
    ])
    frame = tl.to_frame()
    by_name = {r.name: r for r in tl.rules}
    # a period in working days names whose: the calendar and the length of its day
    frame["limit_text"] = [limit_text(by_name[n], ctx.language, cal) for n in frame["rule"]]
    shown = frame[frame["cases"] >= ctx.min_cases]
    ctx.tables["time limits"] = shown.reset_index(drop=True)
    if shown.empty:
        sec.add(Notice(_("No case reached the start of any rule."), "info"))
        return sec
    sec.add(table_from_frame(ctx, shown, [
        ("rule", _("Rule"), "text"),
        ("limit_text", _("Limit"), "text"),
        ("cases", _("Cases"), "int"),
        ("open_cases", _("Open cases"), "int"),
        ("within", _("Within the limit"), "int"),
        ("breaches", _("Breaches"), "int"),
        ("share_within", _("Share within"), "pct"),
        ("median_used", _("Median of the limit used"), "pct"),
        ("p90_used", _("90th percentile of the limit used"), "pct"),
    ]))
    for name in shown.loc[shown["breaches"] >= ctx.min_cases, "rule"]:
        cul: pd.DataFrame = tl.culprits(name)
        cul = cul[cul["pushes_over"].clip(lower=cul["largest_in"]) >= ctx.min_cases]
        if cul.empty:
            continue
        sec.add(table_from_frame(ctx, cul, [
            ("step", _("Step"), "text"),
            ("pushes_over", _("Breaches it alone explains"), "int"),
            ("largest_in", _("Cases where it took the most time"), "int"),
            ("median_time", _("Median time in breaching cases (elapsed)"), "dur"),
            ("cause", _("Cause"), _cause(ctx)),
        ], caption=_("Steps that push cases over the limit: {rule}", rule=name), max_rows=8))
    return sec


def _cause(ctx: Context) -> Any:
    labels = {"office": ctx._("the office"), "client": ctx._("applicant or third party"),
              "statutory": ctx._("legal period"), "batch": ctx._("fixed date")}

    def fmt(v: Any) -> str:
        return labels.get(str(v), str(v))

    return fmt
