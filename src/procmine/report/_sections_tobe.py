"""Report section "Proposal": the to-be process of the top findings beside the as-is one.

The changes are those of the what-if section's combined scenario (the top findings that a
what-if can remove, merge or parallelise); the as-is and to-be models are drawn from their
BPMN layouts as inline SVG (self-contained), with the predicted key figures.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pandas as pd
from markupsafe import Markup

from ._blocks import Context, Figure, Notice, Section, Table
from ._sections import model, nothing_to_simplify, shown_findings
from ._svg import sanitize_svg

__all__ = ["proposal"]

logger = logging.getLogger("procmine")


def _scrollable(svg: str, prefix: str, scale: float = 0.7) -> Markup:
    """The diagram at a readable size (labels of about 6 px) in a box that scrolls sideways:
    a long procedure shrunk to the page width would have unreadable labels."""
    import re

    m = re.search(r'width="([0-9.]+)"', svg)
    width = float(m.group(1)) * scale if m else 900.0
    svg = svg.replace(
        'style="max-width:100%;height:auto"', f'style="width:{width:.0f}px;max-width:none;height:auto"', 1
    )
    return Markup('<div style="overflow-x:auto">') + sanitize_svg(svg, prefix) + Markup("</div>")


def _simulated(ctx: Context, shown: list[Any], kw: dict[str, Any]) -> Any:
    """The :class:`procmine.whatif.WhatIf` of the changes ``kw``: the what-if section's run
    of the same scenario when it has one (no required steps: ``simplify`` would check them
    against the changes), else a new ``simplify``."""
    import dataclasses

    from ..whatif import simplify
    from ._sections_findings import WHATIF_KEY, scenario_key

    done = ctx.cache.get(WHATIF_KEY, {}).pop(scenario_key(kw), None)  # its log is not kept past here
    if done is not None and not ctx.required and done.source is ctx.log:
        return dataclasses.replace(done, findings=shown)  # the same simulation, with its findings
    return simplify(ctx.log, calendar=ctx.calendar, required=ctx.required, findings=shown, **kw)


def _changes(ctx: Context, shown: list[Any]) -> dict[str, list[Any]]:
    """The combined scenario of the what-if section (all of its changes at once)."""
    from ._sections_findings import _scenarios

    scen = _scenarios(ctx, shown)
    return scen[-1][1] if scen else {}


def proposal(ctx: Context) -> Section:
    """As-is and to-be process side by side, with the predicted key figures."""
    from ..errors import ProcmineWarning

    _ = ctx._
    sec = Section(
        "proposal",
        _("Proposal"),
        intro=_(
            "The process as mined from the log (as-is) and as it would run with the changes of the "
            "what-if section (to-be): red steps go, amber steps are merged or run in parallel. "
            "Both models are laid out the same way; the BPMN file of the to-be process opens in "
            "BPMN tools (procmine simplify ... -o tobe.bpmn)."
        ),
    )
    shown = shown_findings(ctx)
    kw = _changes(ctx, shown)
    if not kw:
        sec.add(nothing_to_simplify(ctx))
        return sec
    try:
        w = _simulated(ctx, shown, kw)
        if w.source is ctx.log:  # the as-is model is the map section's: discover the log once
            w.__dict__.setdefault("_as_is", model(ctx))
        as_is, to_be = w.svgs(titles=("", ""), language=ctx.language)  # the captions name them
    except Exception as exc:  # a section never breaks the report
        logger.debug("report: proposal failed", exc_info=exc)
        warnings.warn(
            f"report: the to-be process could not be drawn ({type(exc).__name__}: {exc})",
            ProcmineWarning,
            stacklevel=3,
        )
        ctx.errors["proposal"] = f"{type(exc).__name__}: {exc}"
        sec.add(Notice(_("could not be computed: {error}", error=str(exc)), "warning"))
        return sec
    sec.add(Figure(_scrollable(as_is, "tobe-a"), _("As-is")))
    sec.add(Figure(_scrollable(to_be, "tobe-b"), _("To-be")))
    b, a = w.before, w.after
    working = "median_case_working_time" in b
    rows = []
    for key, label in (
        ("median_case_working_time" if working else "median_case_duration", _("Median case duration")),
        ("p90_case_working_time" if working else "p90_case_duration", _("Slowest 10% of cases")),
        ("events_per_case", _("Steps per case")),
        ("handovers_per_case", _("Handovers per case")),
    ):
        if isinstance(b[key], pd.Timedelta):
            fmt = ctx.wdur if key.endswith("working_time") else ctx.dur
            if not working:  # (durations are working time unless stated)
                label = f"{label} {_('(elapsed)')}"
            change = (a[key] - b[key]) / b[key] if b[key] != pd.Timedelta(0) else float("nan")
        else:
            fmt = ctx.num
            change = (a[key] - b[key]) / b[key] if b[key] else float("nan")
        rows.append([label, fmt(b[key]), fmt(a[key]), "–" if pd.isna(change) else ctx.pct(change)])
    sec.add(
        Table(
            [_("Key figure"), _("As-is"), _("To-be (estimate)"), _("Change")],
            rows,
            ["l", "r", "r", "r"],
            note=_("Estimated by replaying the recorded cases with the changes (see What-if)."),
        )
    )
    return sec
