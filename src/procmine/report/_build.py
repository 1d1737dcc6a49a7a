"""``report()``: one self-contained HTML file per procedure, with optional XLSX/CSV tables."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import inspect
import logging
import warnings
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from .._core.validation import check_positive_int, fail
from ..engines import needs_events
from ..errors import ProcmineWarning
from ..i18n import check_language, format_date, format_message, gettext
from ..log import RESOURCE, EventLog
from . import _sections as S
from . import _sections_about as A
from . import _sections_client as C
from . import _sections_findings as F
from . import _sections_limits as LIM
from . import _sections_tobe as T
from ._blocks import Context, Notice, Section

__all__ = ["SECTIONS", "render", "report"]

logger = logging.getLogger("procmine")

#: section id -> (English title msgid, builder), in report order
SECTIONS: dict[str, tuple[str, Callable[[Context], Section | None]]] = {
    "summary": ("Summary", S.summary),
    "map": ("Process map", S.process_map),
    "variants": ("Main variants", S.variants),
    "time": ("Where time goes", S.time),
    "limits": ("Time limits", LIM.limits),  # only with report(..., limits=rules)
    "client": ("The applicant's view", C.client),
    "findings": ("Redundancy findings", F.findings),
    "whatif": ("What-if: simplifying the top findings", F.whatif),
    "proposal": ("Proposal", T.proposal),
    "compare": ("Comparison across units", F.comparison),
    "quality": ("Data quality", A.quality),
    "method": ("Method", A.method),
}


@lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("procmine.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "css"), default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render(template: str, language: str, **context: Any) -> str:
    """Render one of the package's templates with ``_`` translating into ``language``."""
    from .._version import __version__

    def _(msgid: str, **kw: Any) -> str:
        return format_message(gettext(msgid, language), language, **kw)

    colon = "\u202f: " if language == "fr" else ": "
    return (
        _env().get_template(template).render(_=_, lang=language, version=__version__, colon=colon, **context)
    )


def _run(sid: str, ctx: Context) -> Section | None:
    title, build = SECTIONS[sid]
    try:
        return build(ctx)
    except Exception as exc:
        # said in the report and as a warning: a section must never vanish silently
        logger.debug("report: section %r failed", sid, exc_info=exc)
        warnings.warn(
            f"report: section {sid!r} could not be computed ({type(exc).__name__}: {exc}); "
            "the report says so in that section",
            ProcmineWarning,
            stacklevel=4,
        )
        ctx.errors[sid] = f"{type(exc).__name__}: {exc}"
        msg = ctx._(
            "This section could not be computed ({error}). The rest of the report is not affected.",
            error=f"{type(exc).__name__}: {exc}",
        )
        return Section(sid, ctx._(title), [Notice(msg, "error")])


def _relabel_findings(findings: Any, maps: dict[str, dict[Any, str]]) -> Any:
    """Findings made from the raw log, with person names replaced by the report's pseudonyms."""
    from ..redundancy import Findings

    mapping = maps.get(RESOURCE, {})
    if not mapping:
        return findings

    def fix(v: Any) -> Any:
        if isinstance(v, str):
            return mapping.get(v, v)
        if isinstance(v, tuple):
            return tuple(fix(x) for x in v)
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v

    items = [
        dataclasses.replace(f, org_units=fix(f.org_units), evidence=fix(dict(f.evidence))) for f in findings
    ]
    return Findings(
        items,
        n_cases=getattr(findings, "n_cases", None),
        log_name=getattr(findings, "log_name", ""),
        calendar=getattr(findings, "calendar", None),
    )


def _sheet_name(ctx: Context, key: str) -> str:
    """The workbook sheet (and CSV file) name of a report table, in the report language."""
    _ = ctx._
    names = {
        "transitions": _("Transitions"),
        "variants": _("Variants"),
        "activities": _("Activities"),
        "findings": _("Findings"),
        "what-if": _("What-if"),
        "comparison": _("Comparison"),
        "data quality": _("Data quality"),
        "time limits": _("Time limits"),
        "wait causes": _("Wait causes"),
        "contact steps": _("Contact steps"),
        "applicant by unit": _("Applicant by unit"),
        "legend": _("Legend"),
    }
    return names.get(key, key)


def _default_calendar(calendar: Any) -> Any:
    from ..calendar import Calendar

    return calendar if calendar is not None else Calendar()


# over 80 lines by its docstring (56 lines: every option documented); the work is build_report's
def report(
    log: EventLog | str | Path,
    path: str | Path,
    *,
    title: str | None = None,
    language: str = "de",
    directorate: str | None = None,
    min_cases: int = 10,
    pseudonymize: bool = True,
    xlsx: bool = False,
    csv: bool = False,
    findings: Any = None,
    calendar: Any = None,
    required: Iterable[str] = (),
    show_case_ids: bool = False,
    sections: Iterable[str] | None = None,
    limits: Any = None,
) -> Path:
    """Write the report of one procedure as a single self-contained HTML file.

    The file holds its CSS and SVG charts inline, loads nothing from the network, needs
    no script and prints on A4. Sections: summary, process map, main variants, where time
    goes, the applicant's view (when the log has contact steps with the applicant),
    redundancy findings, what-if of the top findings, comparison across units, data
    quality and method. A section whose analysis fails says so; the others still render.

    Parameters
    ----------
    log
        The event log (or a path, read with :func:`procmine.read_log`).
    path
        The HTML file to write (its folder is created).
    title
        Report title (default: the log's name).
    language
        ``"de"``, ``"fr"`` or ``"en"``; numbers and dates follow de_CH, fr_CH, en_CH.
    directorate
        Shown above the title.
    min_cases
        Groups (units, variants, findings, transitions) with fewer cases are not shown.
    pseudonymize
        Replace ``org:resource`` names by pseudonyms valid only within this report.
    xlsx, csv
        Also write the report's tables to ``path.with_suffix(".xlsx")`` / to
        ``<stem>-<table>.csv`` files next to it (formula-safe, see :mod:`procmine.export`).
    findings
        Precomputed :class:`procmine.Findings` (default: ``find_redundancies(log, required=required)``).
    calendar
        A :class:`procmine.Calendar` for working time (default: the Swiss office week).
    required
        Legally required activities: never proposed for removal.
    show_case_ids
        Show example case ids in findings (off by default: they may identify people).
    sections
        Only these section ids (see :data:`SECTIONS`), in report order.
    limits
        Legal time limits (:class:`procmine.TimeLimit` list or a TOML path, see
        :func:`procmine.time_limits`): adds the section "Time limits". Without it the
        section is left out.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import procmine as pm, tempfile, pathlib
    >>> log = pm.samples.load("permit_de").sample(100)
    >>> out = pm.report(log, pathlib.Path(tempfile.mkdtemp()) / "r.html", language="fr",
    ...                 sections=["summary", "quality"])
    >>> "Synthèse" in out.read_text(encoding="utf-8")
    True
    """
    # report's signature is the one definition of the keywords and their defaults
    return build_report(**locals())[0]


@needs_events("report")  # a log outside memory is loaded (or refused)
def build_report(log: EventLog | str | Path, path: str | Path, **options: Any) -> tuple[Path, Context]:
    """:func:`report` (its keywords, with its defaults), also returning the context (its
    analyses, for :func:`portfolio`)."""
    o = keywords_of(report, options)
    func = "report"
    language = check_language(o.language, func)
    check_positive_int(func, "min_cases", o.min_cases)
    if isinstance(log, (str, Path)):
        from ..io import read_log

        log = read_log(log)
    if not isinstance(log, EventLog):
        raise fail(func, "log", "a procmine.EventLog or a path to a log", type(log).__name__)
    chosen, limits = _chosen_sections(func, o.sections, o.limits, log)
    path = Path(path)
    required = (o.required,) if isinstance(o.required, str) else o.required

    maps: dict[str, dict[Any, str]] = {}
    work = log
    if o.pseudonymize:
        from ..privacy import log_salt, pseudonymize_with_maps

        # numbered from a salt of the log's own content: the same log gives the same
        # pseudonyms in every run (a report can be regenerated and compared), and nobody
        # without the complete log can recompute them from a list of names
        work, maps = pseudonymize_with_maps(log, (RESOURCE,), salt=log_salt(log), numbered=True)
    findings = _relabel_findings(o.findings, maps) if o.findings is not None and maps else o.findings
    ctx = Context(
        log=work,
        language=language,
        min_cases=o.min_cases,
        calendar=_default_calendar(o.calendar),
        show_case_ids=o.show_case_ids,
        required=tuple(required),
        given_findings=findings,
    )

    ctx.cache["day_hours"] = S.workday_hours(ctx)
    if limits is not None:
        ctx.cache[LIM.RULES_KEY] = limits
    ctx.cache["explicit_sections"] = o.sections is not None
    # a section with nothing to show by default (no contact steps) returns None: left out
    built = [b for b in (_run(sid, ctx) for sid in chosen) if b is not None]
    html = _render_report(ctx, built, title=o.title, directorate=o.directorate, pseudonymized=bool(maps))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    if o.xlsx or o.csv:
        _write_tables(ctx, path, xlsx=o.xlsx, csv=o.csv)
    if ctx.errors:
        logger.warning("report %s: %d section(s) failed: %s", path, len(ctx.errors), ", ".join(ctx.errors))
    return path, ctx


def keywords_of(func: Callable[..., Any], options: dict[str, Any]) -> SimpleNamespace:
    """``options`` as the keyword-only arguments of ``func``, completed with its defaults.

    A public function (:func:`report`, :func:`procmine.portfolio`) is the one definition of
    its keywords and defaults; the function doing its work (``build_report``,
    ``run_portfolio``) takes them as ``**options``. An unknown keyword raises the
    :class:`TypeError` a call of ``func`` would."""
    params = [p for p in inspect.signature(func).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - {p.name for p in params})
    if unknown:
        raise TypeError(f"{func.__name__}() got an unexpected keyword argument {unknown[0]!r}")
    return SimpleNamespace(**{p.name: options.get(p.name, p.default) for p in params})


def _chosen_sections(func: str, sections: Iterable[str] | None, limits: Any, log: EventLog) -> tuple[list[str], Any]:
    """The section ids to build, in report order, and the time limits checked against ``log``
    (the limits section only with limits); a bad id or rule fails before any work."""
    chosen = list(SECTIONS) if sections is None else [s for s in SECTIONS if s in set(sections)]
    unknown = set(sections or ()) - set(SECTIONS)
    if unknown:
        raise fail(func, "sections", f"a list of section ids among {list(SECTIONS)}", sorted(unknown))
    if limits is None:
        return [s for s in chosen if s != "limits"], None
    from ..limits import _as_rules, _check_activities

    limits = _as_rules(limits)  # a bad rule fails before any work
    _check_activities(log, limits)
    return chosen, limits


def _write_tables(ctx: Context, path: Path, *, xlsx: bool, csv: bool) -> None:
    """The report's tables beside it: a workbook (``.xlsx``) and/or one CSV file per table,
    the last one a legend: per sheet, each column's meaning and unit (working hours of which
    calendar, or elapsed hours), as the machine column names do not say it."""
    from ._legend import legend_frame

    tables = {_sheet_name(ctx, k): v for k, v in ctx.tables.items()}
    if tables:
        tables[_sheet_name(ctx, "legend")] = legend_frame(ctx, ctx.tables, lambda k: _sheet_name(ctx, k))
    if xlsx:
        from ..export import to_xlsx

        to_xlsx(tables, path.with_suffix(".xlsx"))
    if csv:
        from ..export import to_csv

        to_csv(tables, path.with_suffix(""))


def _render_report(
    ctx: Context, sections: list[Section], *, title: str | None, directorate: str | None, pseudonymized: bool
) -> str:
    _ = ctx._
    log = ctx.log
    title = title or _("Process analysis: {name}", name=log.name)
    tr = log.time_range
    parts = [_("{n} case", n=1) if log.n_cases == 1 else _("{n} cases", n=log.n_cases)]
    if tr is not None:
        parts.append(f"{format_date(tr[0], ctx.language)} – {format_date(tr[1], ctx.language)}")
    parts.append(
        _(
            "generated on {date}",
            date=format_date(pd.Timestamp(_dt.datetime.now(_dt.UTC)), ctx.language),
        )
    )
    footer = _("Written by procmine. Figures come from the event log only; see the method section.")
    if pseudonymized:
        footer += " " + _("Person names are pseudonymised.")
    return render(
        "report.html.j2",
        ctx.language,
        title=title,
        directorate=directorate,
        meta=" · ".join(parts),
        sections=sections,
        footer=footer,
    )
