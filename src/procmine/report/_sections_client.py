"""The report section "The applicant's view" (:func:`procmine.client_view`).

Shown by default when the log has contact steps with the applicant; without any, the
section is left out unless it was asked for by name (``sections=["client"]``).
"""

from __future__ import annotations

import numpy as np

from . import _charts
from ._blocks import KPI, Context, Figure, Notice, Section, table_from_frame
from ._sections_findings import comparison_column

__all__ = ["client"]

_KINDS = {"request": "request", "notice": "notice", "payment": "payment", "hearing": "hearing",
          "inbound": "inbound"}


def client(ctx: Context) -> Section | None:
    """The applicant's view: contacts, asked again, whose waiting the lead time is."""
    from ..client import _figure, client_view

    _ = ctx._
    by = comparison_column(ctx.log)
    cv = ctx.memo("client_view", lambda: client_view(ctx.log, calendar=ctx.calendar, by=by,
                                                     min_cases=ctx.min_cases, language=ctx.language))
    sec = Section("client", _("The applicant's view"))
    if cv.contact_steps.empty:
        if not ctx.cache.get("explicit_sections"):
            return None
        sec.add(Notice(_("The log shows no contact with the applicant (no request, notice, payment, "
                         "hearing or step the applicant triggers)."), "info"))
        return sec
    s = cv.summary()
    sec.intro = cv.headline(ctx.language)
    sec.add(
        KPI(_("Contacts per case (median)"), ctx.num(s["contacts_per_case_median"], 0
                                                     if float(s["contacts_per_case_median"]).is_integer() else 1)),
        KPI(_("Asked again"), ctx.pct(s["asked_again_share"]), _("of the cases")),
        KPI(_("Waiting for the applicant"), ctx.pct(s["client_wait_share"]), _("of the lead time")),
        KPI(_("Waiting for the administration"), ctx.pct(s["office_wait_share"]), _("of the lead time")),
    )
    if cv.offices_basis == "org:group":
        sec.add(KPI(_("Offices per case (median)"), ctx.num(s["offices_per_case_median"], 0)))

    groups = cv.by_group() if cv.by is not None else None
    if groups is not None and len(groups) >= 2:
        frame = groups.head(15)
        labels = [str(g) for g in frame.index]
    else:
        frame = None
        labels = [ctx.log.name]
    rows = frame if frame is not None else s
    get = (lambda k: frame[k].to_numpy(dtype=float)) if frame is not None else (lambda k: np.array([rows[k]]))
    client_d, office_d, stat_d = get("client_wait_days_mean"), get("office_wait_days_mean"), get("statutory_wait_days_mean")
    rest = np.maximum(get("lead_time_days_mean") - client_d - office_d - stat_d, 0)
    sec.add(Figure(
        # colours mean what they mean in the other charts: office waiting orange, the
        # applicant's grey, legal periods green, processing blue
        _charts.hbar_stacked(labels, [(_("waiting for the applicant"), client_d, "grey"),
                                      (_("waiting for the administration"), office_d, "wait"),
                                      (_("legal periods"), stat_d, "good"),
                                      (_("processing and other time"), rest, "main")],
                             xlabel=_("mean lead time in {unit}", unit=ctx.working_days), prefix="client"),
        _("Whose waiting the lead time is: the applicant's, the administration's or a legal period's."),
    ))

    # privacy: steps seen in fewer than min_cases cases appear nowhere, not even in the workbook
    public = cv.contact_steps[cv.contact_steps["case_share"] * len(cv.cases) >= ctx.min_cases]
    steps = public.assign(kind=[_(_KINDS[k]) for k in public["kind"]])
    ctx.tables["contact steps"] = public.reset_index(drop=True)
    sec.add(table_from_frame(ctx, steps, [("activity", _("Activity"), "text"), ("kind", _("Kind"), "text"),
                                          ("events", _("Times"), "int"), ("case_share", _("Share of cases"), "pct"),
                                          ("why", _("Why"), "text")],
                             caption=_("Contact steps with the applicant (correct them with contact_steps=[...])"),
                             max_rows=15))
    after = cv.asked_again_after()
    after = after[after["cases"] >= ctx.min_cases]  # privacy: no small groups
    if len(after):
        sec.add(table_from_frame(ctx, after, [("activity", _("After step"), "text"), ("request", _("Request"), "text"),
                                              ("cases", _("Cases"), "int"), ("case_share", _("Share of cases"), "pct")],
                                 caption=_("Where applicants are asked again"), max_rows=10))
    if groups is not None and len(groups):
        g = groups.reset_index()
        ctx.tables["applicant by unit"] = g
        sec.add(table_from_frame(
            ctx, g, [(g.columns[0], ctx.source_name(str(cv.by)), "text"), ("cases", _("Cases"), "int"),
                     ("contacts_per_case_median", _("Contacts per case (median)"),
                      lambda v: _figure(float(v), ctx.language)),
                     ("asked_again_share", _("Asked again"), "pct"),
                     ("client_wait_share", _("Waiting for the applicant"), "pct"),
                     ("office_wait_share", _("Waiting for the administration"), "pct")],
            caption=_("The applicant's view by {by}", by=ctx.source_name(str(cv.by))),
            note=("" if not groups.attrs.get("suppressed") else
                   _("{n} group with fewer than {m} cases not shown.", n=1, m=ctx.min_cases)
                   if groups.attrs["suppressed"] == 1 else
                   _("{n} groups with fewer than {m} cases not shown.", n=groups.attrs["suppressed"], m=ctx.min_cases)),
            max_rows=20))
    return sec

