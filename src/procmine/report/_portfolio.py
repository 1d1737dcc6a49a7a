"""``portfolio()``: rank many procedures by estimated saving, one linked report per procedure."""

from __future__ import annotations

import errno
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .._core.validation import check_positive_int, fail
from ..engines.duckdb import as_eventlogs
from ..errors import LogError, ParameterError
from ..i18n import check_language, format_date, format_message, gettext
from ..log import EventLog
from . import _charts
from ._blocks import KPI, Context, Figure, Notice, Section, Table, Text
from ._build import _default_calendar, build_report, keywords_of, render
from ._config import Procedure, _procedures, load_config
from ._savings import headline, lead_days_per_year, shown_figure, staff_hours_total, yearly_factor
from ._sections import kind_label, processing_medians, step_occurrences

__all__ = ["Procedure", "load_config", "portfolio", "run_portfolio"]

logger = logging.getLogger("procmine")


def _slug(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._").lower()[:60] or "procedure"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


def _failure(exc: BaseException, stage: str, language: str) -> str:
    """Why a procedure failed, for the ranking page and table: the kind of failure and the
    error's type and position, never its message (which may quote the file)."""
    where = type(exc).__name__
    if isinstance(exc, LogError):
        where += "".join(
            f", {gettext(label, language)} {value}"
            for label, value in (("line", exc.line), ("row", exc.row))
            if value is not None
        )
    if isinstance(exc, FileNotFoundError):
        msgid = "the log file was not found ({error})"
    elif isinstance(exc, OSError):
        msgid = "the log file could not be opened ({error})"
    elif isinstance(exc, ParameterError):
        msgid = "an option of this procedure is not valid ({error})"
    elif stage == "read":
        msgid = "could not be read as an event log ({error})"
    else:
        msgid = "the analysis failed ({error})"
    return format_message(gettext(msgid, language), language, error=where)


def _measure(proc: Procedure, page: Path, ctx: Context, log: EventLog) -> dict[str, Any]:
    shown = [f for f in ctx.cache.get("findings", []) if f.cases >= ctx.min_cases]
    proc_medians = processing_medians(ctx)
    perf = ctx.cache.get("perf")
    # each step's staff time once, as the report's card
    staff = staff_hours_total(shown, proc_medians, log, step_occurrences(ctx) if perf is not None else None)
    median = perf.cases["duration"].median() if perf is not None and log.n_cases else None
    cv = ctx.cache.get("client_view")  # the applicant's view, when the report computed it
    burden = cv.summary() if cv is not None and not cv.contact_steps.empty else {}
    return {
        "name": proc.name,
        "directorate": proc.directorate,
        "page": page,
        "cases": log.n_cases,
        "cases_per_year": log.n_cases * yearly_factor(log),
        "median_duration": median,
        "findings": len(shown),
        # office time only, each wait counted once across overlapping findings (as the report's card)
        "lead_days": headline(shown, perf, ctx.day_hours).office_days_per_year
        if perf is not None
        else lead_days_per_year(shown, log, ctx.day_hours),
        # not measurable without start times, even when no finding removes work
        "staff_hours": None if proc_medians is None or staff is None else float(staff),
        "top": (kind_label(ctx, shown[0].kind) + ctx.colon + " → ".join(shown[0].activities))
        if shown
        else "",
        "contacts_per_case": burden.get("contacts_per_case_median"),
        "asked_again_share": burden.get("asked_again_share"),
        "client_wait_share": burden.get("client_wait_share"),
        **_breach_figures(ctx),
        "failed_sections": sorted(ctx.errors),
        "error": "",
        "detail": "",
    }


def _breach_figures(ctx: Context) -> dict[str, Any]:
    """The procedure's worst time limit: the rule with the largest share of decided cases over it.

    Decided: within or breached (open cases are neither, see :meth:`TimeLimits.to_frame`).
    A rule with fewer than ``min_cases`` decided cases is not ranked (a share of three cases
    says nothing); all ``None`` when no rule was given or none is large enough.
    """
    from ._sections_limits import RESULT_KEY

    out: dict[str, Any] = {"breach_rule": None, "breach_share": None, "breaches": None, "decided": None}
    tl = ctx.cache.get(RESULT_KEY)
    if tl is None:
        return out
    f = tl.to_frame()
    f = f.assign(decided=f["within"] + f["breaches"])
    f = f[f["decided"] >= ctx.min_cases]
    if f.empty:
        return out
    f = f.assign(share=f["breaches"] / f["decided"]).sort_values(["share", "decided"], ascending=False, kind="stable")
    worst = f.iloc[0]
    return {"breach_rule": str(worst["rule"]), "breach_share": float(worst["share"]),
            "breaches": int(worst["breaches"]), "decided": int(worst["decided"])}


def portfolio(
    logs_or_paths: Any,
    path: str | Path,
    *,
    language: str | None = None,
    config: str | Path | None = None,
    min_cases: int | None = None,
    title: str | None = None,
    pseudonymize: bool = True,
    calendar: Any = None,
) -> Path:
    """Rank procedures from several directorates by estimated saving; one report per procedure.

    Writes ``index.html`` (the ranking, a summary per directorate) into the folder
    ``path`` (or the file ``path`` if it ends with ``.html``), and each procedure's
    :func:`procmine.report` into a sub-folder, linked relatively, so the folder can be
    copied or zipped as a whole. A procedure whose log cannot be read or analysed is listed
    with the reason (the kind of failure and the error's type, never the error's text, which
    may quote the file); the others are still ranked. Example case ids are never written.

    Parameters
    ----------
    logs_or_paths
        EventLogs or paths (each one procedure), a dict name -> log/path, or ``None``
        with ``config``.
    path
        Output folder (created), or the ``.html`` file of the ranking.
    language
        ``"de"``, ``"fr"`` or ``"en"`` (default: the configuration's, else ``"de"``).
    config
        A TOML batch configuration (see :func:`load_config` and ``docs/portfolio.md``);
        its procedures come after ``logs_or_paths``.
    min_cases
        Suppression threshold of every report (default: the configuration's, else 10).
    title
        Title of the ranking page.
    pseudonymize, calendar
        Passed to each report.

    Returns
    -------
    Path
        The ranking page.

    Examples
    --------
    >>> import procmine as pm, tempfile, pathlib
    >>> logs = {"Baubewilligung": pm.samples.load("permit_de").sample(50),
    ...         "Subventions": pm.samples.load("subsidy_fr").sample(50)}
    >>> index = pm.portfolio(logs, pathlib.Path(tempfile.mkdtemp()) / "portfolio", language="fr")
    >>> "Baubewilligung/report.html" in index.read_text(encoding="utf-8").replace("baubewilligung", "Baubewilligung")
    True
    """
    # portfolio's signature is the one definition of the keywords and their defaults
    return run_portfolio(**locals())[0]


def run_portfolio(logs_or_paths: Any, path: str | Path, **options: Any) -> tuple[Path, list[dict[str, Any]]]:
    """:func:`portfolio` (its keywords, with its defaults), also returning one row per
    procedure (``error`` is ``""`` when it was analysed; ``detail`` holds the full error
    message, which is never written to a file)."""
    o = keywords_of(portfolio, options)
    logs_or_paths = as_eventlogs(logs_or_paths, "portfolio")  # DuckLog: load it (or refuse)
    from tqdm.auto import tqdm

    procs = _procedures(logs_or_paths)
    configured: dict[str, Any] = {}
    if o.config is not None:
        more, configured = load_config(o.config)
        procs += more
    if not procs:
        raise fail(
            "portfolio", "logs_or_paths", "at least one log (or a config listing procedures)", logs_or_paths
        )
    language = check_language(o.language or configured.get("language", "de"), "portfolio")
    min_cases = o.min_cases if o.min_cases is not None else int(configured.get("min_cases", 10))
    check_positive_int("portfolio", "min_cases", min_cases)
    title = o.title or configured.get("title")
    path = Path(path)
    index = path if path.suffix.lower() in (".html", ".htm") else path / "index.html"
    root = index.parent
    root.mkdir(parents=True, exist_ok=True)

    used: set[str] = set()
    rows: list[dict[str, Any]] = []
    for proc in tqdm(procs, desc="portfolio", disable=None, leave=False):
        slug = _slug(proc.name, used)
        page = root / slug / "report.html"
        stage = "read"
        try:
            if isinstance(proc.log, Path) and not proc.log.exists():
                raise FileNotFoundError(errno.ENOENT, "no such file or folder", str(proc.log))
            log = proc.load()
            stage = "analyse"
            _, ctx = build_report(
                log,
                page,
                title=proc.name,
                language=language,
                directorate=proc.directorate or None,
                min_cases=min_cases,
                pseudonymize=o.pseudonymize,
                calendar=o.calendar,
                required=proc.required,
                xlsx=True,
                limits=list(proc.rules) or None,
            )
            rows.append(_measure(proc, page, ctx, ctx.log))
        except Exception as exc:  # one procedure's failure must not stop the ranking of the others
            logger.warning(
                "portfolio: %s could not be analysed: %s: %s",
                proc.name,
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            rows.append(
                {
                    "name": proc.name,
                    "directorate": proc.directorate,
                    "page": None,
                    "error": _failure(exc, stage, language),
                    "detail": f"{type(exc).__name__}: {exc}",
                }
            )
    html = _render_index(rows, root, language=language, title=title, min_cases=min_cases, calendar=o.calendar)
    index.write_text(html, encoding="utf-8")
    _write_table(rows, root, language)
    return index, rows


def _write_table(rows: list[dict[str, Any]], root: Path, language: str) -> None:
    from ..export import to_csv, to_xlsx

    frame = pd.DataFrame([{k: v for k, v in r.items() if k not in ("page", "failed_sections", "detail")} for r in rows])
    to_xlsx({"portfolio": frame}, root / "portfolio.xlsx")
    to_csv({"portfolio": frame}, root / "portfolio.csv")


def _render_index(
    rows: list[dict[str, Any]], root: Path, *, language: str, title: str | None, min_cases: int,
    calendar: Any = None,
) -> str:
    # the procedures' calendar: the index's working days name it as each report does
    ctx = Context(log=None, language=language, min_cases=min_cases, calendar=_default_calendar(calendar))
    _ = ctx._
    ok = sorted((r for r in rows if not r["error"]), key=lambda r: -r["lead_days"])
    failed = [r for r in rows if r["error"]]
    directorates = sorted({r["directorate"] for r in ok if r["directorate"]})
    ranking, table_rows = _ranking(ctx, ok, root)
    sections = [
        s for s in (
            _summary(ctx, ok, failed, directorates),
            ranking,
            _burden(ctx, ok),
            _breaches(ctx, ok),
            _by_directorate(ctx, ok, directorates),
            _failed(ctx, failed),
            _method(ctx),
        ) if s is not None
    ]

    now = pd.Timestamp.now(tz="UTC")
    return render(
        "portfolio.html.j2",
        language,
        title=title or _("Portfolio of procedures"),
        meta=(_("{n} procedure", n=1) if len(rows) == 1 else _("{n} procedures", n=len(rows)))
        + " · "
        + _("generated on {date}", date=format_date(now, language)),
        sections=sections,
        ranking=table_rows,
        footer=format_message(
            gettext(
                "Written by procmine. Figures come from the event log only; see the method section.", language
            ),
            language,
        ),
    )


def _summary(ctx: Context, ok: list[dict[str, Any]], failed: list[dict[str, Any]], directorates: list[str]) -> Section:
    _ = ctx._
    summary = Section("summary", _("Summary"))
    directorates = sorted({r["directorate"] for r in ok if r["directorate"]})
    total_staff = [r["staff_hours"] for r in ok if r["staff_hours"] is not None]
    not_read = ("" if not failed else _("{n} procedure could not be analysed", n=1) if len(failed) == 1
                else _("{n} could not be analysed", n=len(failed)))
    summary.add(
        KPI(_("Procedures"), ctx.int(len(ok)), not_read),
        KPI(_("Directorates"), ctx.int(len(directorates)) if directorates else "–"),
        KPI(_("Cases per year"), ctx.int(sum(r["cases_per_year"] for r in ok))),
        KPI(
            _("Lead time saved per year"),
            _("{x} working days", x=shown_figure(sum(r["lead_days"] for r in ok))),
            f'{_("summed over cases; upper bound, findings may overlap")} ({ctx.calendar_note})',
        ),
        KPI(
            _("Staff time saved per year"),
            _("{x} hours", x=shown_figure(sum(total_staff))) if total_staff else "–",
            _start_times_note(ctx, len(total_staff), len(ok)),
        ),
    )
    if ok:
        best = ok[0]
        summary.add(
            Text(
                _(
                    "The largest opportunity is in “{name}”: about {days} working days of lead time per year ({top}).",
                    name=best["name"],
                    days=shown_figure(best["lead_days"]),
                    top=best["top"] or "–",
                )
            )
        )
    return summary


def _start_times_note(ctx: Context, n: int, m: int) -> str:
    """How many of the ``m`` procedures have start times (what staff time needs), in number."""
    _ = ctx._
    if m == 1:
        return (_("the procedure has start times") if n == 1 else _("the procedure has no start times"))
    if n == 0:
        return _("none of the {m} procedures has start times", m=m)
    return (_("{n} of {m} procedures has start times", n=n, m=m) if n == 1
            else _("{n} of {m} procedures have start times", n=n, m=m))


def _estimate(ctx: Context, x: float) -> str:
    """An estimated saving as the procedure reports show it: two significant digits, no
    false decimals (1 800, not 1 800,0)."""
    f = shown_figure(x)
    return ctx.int(f) if isinstance(f, int) else ctx.num(f)


def _ranking(ctx: Context, ok: list[dict[str, Any]], root: Path) -> tuple[Section, list[dict[str, str]]]:
    """The ranking section (its chart) and the rows of the linked ranking table."""
    _ = ctx._
    ranking = Section(
        "ranking",
        _("Ranking by estimated saving"),
        intro=_(
            "Each procedure links to its own report with the findings, their evidence and the what-if scenarios."
        ),
    )
    if ok:
        ranking.add(
            Figure(
                _charts.hbar(
                    [r["name"] for r in ok[:20]],
                    [r["lead_days"] for r in ok[:20]],
                    xlabel=_("lead time per year in {unit}", unit=ctx.working_days),
                    prefix="pf",
                    value_labels=[_estimate(ctx, r["lead_days"]) for r in ok[:20]],
                )
            )
        )
    table_rows = []
    for i, r in enumerate(ok, start=1):
        link = r["page"].relative_to(root).as_posix()
        table_rows.append(
            {
                "rank": ctx.int(i),
                "name": r["name"],
                "link": link,
                "directorate": r["directorate"] or "–",
                "cases": ctx.int(r["cases_per_year"]),
                "median": ctx.wdur(r["median_duration"]),
                "findings": ctx.int(r["findings"]),
                "lead": _estimate(ctx, r["lead_days"]),
                "staff": "–" if r["staff_hours"] is None else _estimate(ctx, r["staff_hours"]),
                "top": r["top"] or "–",
                "note": _("sections that failed: {s}", s=", ".join(r["failed_sections"]))
                if r["failed_sections"]
                else "",
            }
        )
    return ranking, table_rows


def _burden(ctx: Context, ok: list[dict[str, Any]]) -> Section | None:
    """The applicant's burden: most often asked again first, then most waiting for the applicant."""
    _ = ctx._
    burden = sorted((r for r in ok if r.get("asked_again_share") is not None),
                    key=lambda r: (-r["asked_again_share"], -r["client_wait_share"], -r["contacts_per_case"]))
    if not burden:
        return None
    sec = Section("burden", _("Ranking by applicant burden"),
                  intro=_("Procedures whose applicants are most often asked again come first; then those "
                          "with the largest share of lead time waiting for the applicant."))
    sec.add(Table(
        [_("Procedure"), _("Contacts per case (median)"), _("Asked again"), _("Waiting for the applicant")],
        [[r["name"], ctx.num(r["contacts_per_case"], 0 if float(r["contacts_per_case"]).is_integer() else 1),
          ctx.pct(r["asked_again_share"]), ctx.pct(r["client_wait_share"])] for r in burden],
        ["l", "r", "r", "r"],
    ))
    return sec


def _breaches(ctx: Context, ok: list[dict[str, Any]]) -> Section | None:
    """The legal time limits: the procedure whose worst rule is most often breached first."""
    _ = ctx._
    late = sorted((r for r in ok if r.get("breach_share") is not None),
                  key=lambda r: (-r["breach_share"], -r["breaches"]))
    if not late:
        return None
    sec = Section("limits", _("Ranking by breach share"),
                  intro=_("For procedures with time limits: the share of decided cases (within the limit or "
                          "over it; open cases are neither) that went over the limit, for each procedure's "
                          "most often breached rule. Its report shows every rule."))
    sec.add(Table(
        [_("Procedure"), _("Rule"), _("Decided cases"), _("Breaches"), _("Breach share")],
        [[r["name"], r["breach_rule"], ctx.int(r["decided"]), ctx.int(r["breaches"]), ctx.pct(r["breach_share"])]
         for r in late],
        ["l", "l", "r", "r", "r"],
    ))
    return sec


def _by_directorate(ctx: Context, ok: list[dict[str, Any]], directorates: list[str]) -> Section:
    _ = ctx._
    by_dir = Section("directorates", _("By directorate"))
    if directorates:
        drows = []
        for d in directorates:
            rs = [r for r in ok if r["directorate"] == d]
            st = [r["staff_hours"] for r in rs if r["staff_hours"] is not None]
            drows.append(
                [
                    d,
                    ctx.int(len(rs)),
                    ctx.int(sum(r["cases_per_year"] for r in rs)),
                    _estimate(ctx, sum(r["lead_days"] for r in rs)),
                    _estimate(ctx, sum(st)) if st else "–",
                ]
            )
        drows.sort(key=lambda row: -sum(r["lead_days"] for r in ok if r["directorate"] == row[0]))
        by_dir.add(
            Table(
                [
                    _("Directorate"),
                    _("Procedures"),
                    _("Cases per year"),
                    _("Lead time saved per year (working days)"),
                    _("Staff time saved per year (hours)"),
                ],
                drows,
                ["l", "r", "r", "r", "r"],
            )
        )
    else:
        by_dir.add(Notice(_("No directorate was given for the procedures."), "info"))
    return by_dir


def _failed(ctx: Context, failed: list[dict[str, Any]]) -> Section | None:
    _ = ctx._
    if not failed:
        return None
    fail_sec = Section("failed", _("Procedures that could not be analysed"))
    fail_sec.add(
        Table(
            [_("Procedure"), _("Reason")],
            [[r["name"], r["error"]] for r in failed],
            ["l", "l"],
            wide=(1,),
        )
    )
    return fail_sec


def _method(ctx: Context) -> Section:
    _ = ctx._
    method = Section("method", _("Method"))
    method.add(
        Text(
            _(
                "Savings come from each procedure's redundancy findings (see its report). Lead time saved is the working time affected cases would no longer spend, summed over cases and scaled to one year by the time span of the log; staff time saved is the processing time of steps that would no longer be done, measurable only when the log records start times. Findings of one procedure can overlap, so the figures are upper bounds; they rank where to look first, not what will be saved."
            )
            + " " + _("Working days: {calendar}.", calendar=ctx.calendar_note)
        )
    )
    return method
