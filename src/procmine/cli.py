"""The ``procmine`` command: batch work for directorates from the shell.

User errors (a file that cannot be read, a wrong option, a bad date) exit with code 2 and
one line on stderr, never a traceback. Anything else is a bug: one line naming the error's
type (never a value from the log), exit code 1; ``procmine --debug ...`` (or
``PROCMINE_DEBUG=1``) prints the traceback as well. Warnings are printed as their message
only. ``--quiet`` silences progress bars and notes.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import LogError, ProcmineError

F = TypeVar("F", bound=Callable[..., Any])

LANGS = click.Choice(["de", "fr", "en"])
FORMATS = click.Choice(["csv", "xes", "parquet", "excel"])

# control characters would move the cursor or retitle the terminal when echoed from a log
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: Any) -> str:
    """``text`` safe to echo to a terminal: control characters become U+FFFD."""
    return _UNPRINTABLE.sub("\ufffd", str(text))


def _one_line(text: Any) -> str:
    """``text`` as one printable line."""
    return _printable(" ".join(str(text).splitlines()))


def _out(text: Any = "", err: bool = False) -> None:
    click.echo(_printable(text), err=err)


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    """Warnings as ``warning: <message>``: no source file, line or code of procmine."""
    click.echo(f"warning: {_one_line(message)}", err=True)


def _debug_wanted(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("PROCMINE_DEBUG", "").strip() not in ("", "0")


class _Main(click.Group):
    """The command group, with procmine's error handling around every command.

    click prints usage errors over several lines; here every error is one line on stderr:
    ``Error: ...`` with exit code 2 for user errors, ``procmine: internal error: <type>``
    with exit code 1 for anything else.
    """

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        # --debug is accepted anywhere before a "--", not only right after "procmine"
        cut = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:cut]:
            args = ["--debug"] + [a for i, a in enumerate(args) if not (i < cut and a == "--debug")]
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        debug = _debug_wanted(args[:cut])
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # restored on leaving: the library is untouched
            code = _run(lambda: super(_Main, self).main(args, prog_name, complete_var, False, **extra), debug)
        sys.exit(code)


def _run(call: Callable[[], Any], debug: bool) -> int:
    """Run the command; the exit code, after printing at most one line for an error."""
    try:
        rv = call()
    except click.exceptions.NoArgsIsHelpError as exc:  # "procmine" alone: the help text
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return 2
    except click.ClickException as exc:
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, click.UsageError) and ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        return _fail(f"Error: {exc.format_message()}{hint}", exc.exit_code, debug)
    except click.Abort:
        return _fail("procmine: interrupted", 1, debug)
    except ProcmineError as exc:
        return _fail(f"Error: {exc}", 2, debug)
    except OSError as exc:
        if exc.filename is not None:
            return _fail(f"Error: {exc.strerror or type(exc).__name__}: {exc.filename}", 2, debug)
        return _fail(f"Error: {exc.strerror or type(exc).__name__}", 2, debug)
    except Exception as exc:  # the last resort: a bug, reported without the data it met
        return _fail(
            f"procmine: internal error: {type(exc).__name__}; run 'procmine --debug ...' "
            "(or set PROCMINE_DEBUG=1) for the traceback",
            1,
            debug,
        )
    return rv if isinstance(rv, int) else 0


def _fail(line: str, code: int, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc(file=sys.stderr)
    click.echo(_one_line(line), err=True)
    return code


def _check_tz(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError, TypeError):
        raise click.BadParameter(
            f"{value!r} is not a known time zone; use a name like Europe/Zurich or UTC"
        ) from None
    return value


def _check_sep(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(value, value)
    if len(value) != 1 or value in "\r\n\"":
        raise click.BadParameter(
            f"must be one character such as ';', ',' or '\\t' (tab); got {value!r}"
        )
    return value


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"{value!r} is not an encoding Python knows; try utf-8 or cp1252") from None
    return value


def _read_options(func: F) -> F:
    """Options shared by every command that reads a log."""
    options = [
        click.option("--case", help="Column holding the case id (detected when omitted)."),
        click.option("--activity", help="Column holding the activity name."),
        click.option("--timestamp", help="Column holding the completion time."),
        click.option("--start-timestamp", help="Column holding the start time."),
        click.option("--resource", help="Column holding the person / resource."),
        click.option("--org", help="Column holding the org unit (office, commune)."),
        click.option("--format", "fmt", type=FORMATS, help="File format (default: from the file's suffix)."),
        click.option("--sep", callback=_check_sep, help="CSV separator, one character (detected when omitted)."),
        click.option("--encoding", callback=_check_encoding, help="CSV encoding (detected when omitted)."),
        click.option("--dayfirst/--monthfirst", default=None, help="Force reading of ambiguous dates."),
        click.option("--tz", callback=_check_tz, help="Time zone of naive times (default Europe/Zurich)."),
        click.option("--strict", is_flag=True, help="Fail on the first bad row instead of dropping it."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def _load(log_path: str, kw: dict[str, Any]) -> Any:
    from .errors import DataQualityWarning
    from .io import read_log

    keys = ("case", "activity", "timestamp", "start_timestamp", "resource", "org", "sep",
            "encoding", "dayfirst", "tz", "strict")
    opts = {k: kw.pop(k) for k in keys if k in kw}
    opts["format"] = kw.pop("fmt", None)
    with warnings.catch_warnings():
        # the commands print what was dropped themselves (inspect) or in the report
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            log = read_log(log_path, **opts)
        except (ProcmineError, OSError):
            raise
        except ValueError as exc:
            # a reader's own ValueError (a parser, a codec) is still bad input; its text
            # may quote the file, so only its type is named
            raise LogError(
                f"could not be read as an event log ({type(exc).__name__}); check --format, "
                "--sep and --encoding, or run with --debug for the details",
                path=log_path,
            ) from exc
    from ._core.ingest_report import LIFECYCLE_MERGED

    if log.report.rows_lost:
        _out(f"note: {log.report.rows_lost:,} of {log.report.rows_read:,} rows dropped "
             f"({', '.join(f'{v:,} {k}' for k, v in log.report.dropped.items() if k != LIFECYCLE_MERGED)}); "
             "see 'procmine inspect'", err=True)
    return log


def _quiet(quiet: bool) -> None:
    if quiet:
        os.environ["TQDM_DISABLE"] = "1"


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="procmine")
@click.option("--debug", is_flag=True, help="Print the traceback of an error (also: PROCMINE_DEBUG=1).")
def main(debug: bool) -> None:
    """procmine: evidence for simpler administrative procedures.

    Read event logs (CSV, Excel, XES, Parquet), discover how procedures run, find
    redundant steps and write reports per directorate. Exit codes: 0 done, 2 bad input
    (one line on stderr saying what to fix), 1 an internal error.
    """


@main.command()
@click.option("-o", "--output", default="procmine-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the demo reports into.")
@click.option("--lang", type=LANGS, default=None, help="Only this language (default: de and fr).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def demo(output: str, lang: str | None, quiet: bool) -> None:
    """Run the whole pipeline on the shipped samples and write the reports."""
    _quiet(quiet)
    from . import samples
    from .report import report

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [("permit_de", "de"), ("subsidy_fr", "fr")]
    if lang is not None:
        jobs = [("permit_de" if lang != "fr" else "subsidy_fr", lang)]
    written = []
    for name, language in jobs:
        log = samples.load(name)
        path = report(log, out / f"{name}-report.html", language=language, xlsx=True)
        written.append(path)
    for path in written:
        _out(str(Path(path).resolve()))


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("--top", default=10, show_default=True, help="How many activities to list.")
def inspect(log: str, top: int, **kw: Any) -> None:
    """Read LOG and print the ingest report, the top activities and the time range."""
    ev = _load(log, kw)
    r = ev.report
    _out(repr(ev))
    _out("")
    _out(f"rows read      {r.rows_read:>12,}")
    _out(f"rows kept      {r.rows_kept:>12,}")
    for reason, count in r.dropped.items():
        sample = ", ".join(str(x) for x in r.dropped_rows.get(reason, [])[:5])
        _out(f"dropped        {count:>12,}  {reason} (e.g. rows {sample})")
    for role, col in r.roles.items():
        _out(f"role {role:<17} {col!s:<28} ({r.role_detection.get(role, '?')})")
        if r.role_evidence.get(role):  # why: header words and the content figures
            _out(f"     {'':<17} {r.role_evidence[role]}")
    for key, value in r.formats.items():
        _out(f"format {key:<15} {value}")
    if r.duplicate_case_ids:
        _out(f"duplicate case ids {r.duplicate_case_ids:,}")
    if r.empty_traces:
        _out(f"empty traces   {r.empty_traces:,}")
    if ev.time_range:
        _out(f"time range     {ev.time_range[0]} – {ev.time_range[1]}")
    _out("")
    _out("top activities:")
    for name, count in ev.activities.head(top).items():
        _out(f"  {count:>10,}  {name}")
    for w in r.warnings:
        _out(f"warning: {w}")


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the process map as SVG.")
@click.option("--bpmn", type=click.Path(dir_okay=False), help="Write a BPMN 2.0 model (with layout).")
@click.option("--activities", type=float, default=None, help="Share of events the kept activities cover (default: at most 25 activities).")
@click.option("--paths", type=float, default=None, help="Share of paths kept (default 0.8).")
@click.option("--metric", type=click.Choice(["frequency", "time"]), default="frequency", show_default=True)
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the BPMN's gateway labels.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def discover(log: str, output: str | None, bpmn: str | None, activities: float | None, paths: float | None,
             metric: str, lang: str, quiet: bool, **kw: Any) -> None:
    """Discover the process of LOG: map (SVG), BPMN model and the main variants."""
    _quiet(quiet)
    from .discovery import discover as _discover

    model = _discover(_load(log, kw))
    _out(repr(model))
    if output:
        model.to_svg(output, activities=activities, paths=paths, metric=metric)
        _out(f"map: {Path(output).resolve()}")
    if bpmn:
        model.to_bpmn(bpmn, language=lang)
        _out(f"bpmn: {Path(bpmn).resolve()}")
    v = model.variants.head(10)
    _out("\nmain variants:")
    for _, row in v.iterrows():
        _out(f"  {row['cases']:>8,} ({row['share']:.1%})  {' → '.join(row['variant'])}")


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("--kinds", help="Comma-separated kinds to look for (default: all).")
@click.option("--required", multiple=True, help="A legally required activity (repeatable); never proposed for removal.")
@click.option("--min-case-share", default=0.05, show_default=True, type=click.FloatRange(0, 1),
              help="Ignore patterns in fewer cases than this share.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the findings as CSV.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the findings as a workbook.")
@click.option("--with-case-ids", is_flag=True,
              help="Write example case ids into the CSV/workbook (left out by default: they may identify people).")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def findings(log: str, kinds: str | None, required: tuple[str, ...], min_case_share: float,
             csv_path: str | None, xlsx_path: str | None, with_case_ids: bool, lang: str, quiet: bool,
             **kw: Any) -> None:
    """Find redundant steps in LOG and list them by estimated saving."""
    _quiet(quiet)
    from .redundancy import find_redundancies

    found = find_redundancies(
        _load(log, kw),
        kinds=[k.strip() for k in kinds.split(",")] if kinds else None,
        min_case_share=min_case_share,
        required=required,
    )
    if not len(found):
        _out("no findings")
    from .calendar import Calendar
    from .i18n import calendar_note, format_integer, format_percent, format_working_time, gettext

    cal = found.calendar if found.calendar is not None else Calendar()
    if len(found):  # whose working days the savings count
        _out(f"({calendar_note(cal, lang)})")
    from .report._sections import kind_name

    # the kind by its name in the language (as the report); its code only in --csv/--xlsx
    names = {f.kind: kind_name(f.kind, lang) for f in found}
    width = max((len(n) for n in names.values()), default=0)
    for i, f in enumerate(found, 1):
        units = f" [{', '.join(f.org_units)}]" if f.org_units else ""
        _out(f"{i:>3}. {names[f.kind]:<{width}}  {' → '.join(f.activities)}{units}")
        _out(
            f"     {format_integer(f.cases, lang)} {gettext('cases', lang)} "
            f"({format_percent(f.case_share, lang, 0)}), "
            f"{gettext('Saving per case', lang)} {format_working_time(f.saving_per_case, lang, day_hours=cal.day_hours)}, "
            f"{gettext('Confidence', lang)} {format_percent(f.confidence, lang, 0)}"  # as the report shows it
        )
        _out(f"     {f.text(lang)}")
    if csv_path or xlsx_path:
        frame = found.to_frame(language=lang)
        if not with_case_ids:
            # the Python result keeps them (Finding.example_cases); files travel further
            frame = frame.drop(columns=["example_cases"])
        from .export import to_csv, to_xlsx

        if csv_path:
            to_csv(frame, csv_path)
            _out(f"csv: {Path(csv_path).resolve()}")
        if xlsx_path:
            to_xlsx({"findings": frame}, xlsx_path)
            _out(f"xlsx: {Path(xlsx_path).resolve()}")


@main.command("report")
@click.argument("log", type=click.Path())
@_read_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--lang", type=LANGS, default="de", show_default=True)
@click.option("--title", help="Report title (default: the log's name).")
@click.option("--directorate", help="Directorate the procedure belongs to.")
@click.option("--min-cases", default=10, show_default=True, type=click.IntRange(min=1),
              help="Suppress groups with fewer cases.")
@click.option("--xlsx", is_flag=True, help="Also write the tables as a workbook next to the report.")
@click.option("--no-pseudonymize", is_flag=True, help="Show resource names as they are in the log.")
@click.option("--with-case-ids", is_flag=True,
              help="Show example case ids of the findings (left out by default: they may identify people).")
@click.option("--required", multiple=True, help="A legally required activity (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def report_cmd(log: str, output: str, lang: str, title: str | None, directorate: str | None,
               min_cases: int, xlsx: bool, no_pseudonymize: bool, with_case_ids: bool,
               required: tuple[str, ...], quiet: bool, **kw: Any) -> None:
    """Write the directorate report of LOG as one self-contained HTML file."""
    _quiet(quiet)
    from .report import report

    ev = _load(log, kw)
    path = report(ev, output, language=lang, title=title, directorate=directorate,
                  min_cases=min_cases, xlsx=xlsx, pseudonymize=not no_pseudonymize,
                  show_case_ids=with_case_ids, required=required)
    _out(str(Path(path).resolve()))


@main.command("portfolio")
@click.argument("source", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--lang", type=LANGS, default=None, help="Language (default: the TOML's, else de).")
@click.option("--min-cases", type=click.IntRange(min=1), default=None,
              help="Suppress groups with fewer cases (default: the TOML's, else 10).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def portfolio_cmd(source: str, output: str, lang: str | None, min_cases: int | None, quiet: bool) -> None:
    """Rank procedures by estimated saving: SOURCE is a TOML batch file or a folder of logs.

    The TOML format is described in docs/portfolio.md. Exit code 2 when a procedure could
    not be analysed (the others are still ranked, the failures listed).
    """
    _quiet(quiet)
    from .report._portfolio import run_portfolio

    src = Path(source)
    if src.is_dir():
        from .io import _known

        logs = sorted(p for p in src.iterdir() if p.is_file() and _known(p, None))
        if not logs:
            raise click.UsageError(f"{src}: no event log files in this folder")
        path, rows = run_portfolio(logs, output, language=lang, min_cases=min_cases)
    else:
        path, rows = run_portfolio(None, output, language=lang, config=src, min_cases=min_cases)
    _out(str(Path(path).resolve()))
    failed = [r for r in rows if r["error"]]
    if failed:
        _out(f"Error: {len(failed)} of {len(rows)} procedures could not be analysed "
             f"({', '.join(r['name'] for r in failed)}); listed in {Path(path).name}", err=True)
        for r in failed:  # the full messages, for the operator only: the files name just the type
            _out(f"  {r['name']}: {_one_line(r['detail'])}", err=True)
        sys.exit(2)


@main.command("limits")
@click.argument("log", type=click.Path())
@_read_options
@click.option("--rules", "rules_path", required=True, type=click.Path(dir_okay=False),
              help="TOML file of [[rule]] tables (see docs/time-limits.md).")
@click.option("--lang", type=LANGS, default="de", show_default=True)
@click.option("--canton", help="Canton whose public holidays move a deadline (e.g. BE; default: national holidays).")
@click.option("--by", help="A case attribute: one row per rule and value.")
def limits_cmd(log: str, rules_path: str, lang: str, canton: str | None, by: str | None, **kw: Any) -> None:
    """Check legal time limits on LOG: cases within each limit, breaches, time used.

    Periods are counted as Swiss law counts them (day after the trigger, end of the last
    day, moved off week-ends and public holidays of --canton).
    """
    from .calendar import Calendar
    from .i18n import gettext
    from .limits import display_frame, load_rules, time_limits

    rules = load_rules(rules_path)  # before the log: a bad rules file fails fast
    cal = Calendar(canton=canton) if canton else Calendar()
    tl = time_limits(_load(log, kw), rules, calendar=cal, by=by)
    table = display_frame(tl, lang)
    _out(gettext("Time limits", lang))
    widths = [max(len(str(c)), *(len(str(v)) for v in table[c])) for c in table.columns]
    _out("  ".join(str(c).ljust(w) for c, w in zip(table.columns, widths)).rstrip())
    for row in table.itertuples(index=False):
        _out("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w)
                       for i, (v, w) in enumerate(zip(row, widths))).rstrip())
    from .i18n import format_message

    _out()
    _out(format_message(gettext(
        "Periods are counted as Swiss law counts them: from the day after the starting step to the end (24:00) "
        "of the last day; a last day on a week-end or public holiday moves to the next working day ({calendar}).",
        lang), lang, calendar=format_message(gettext("calendar {name}", lang), lang, name=cal.label)))
    _out(gettext("Cases whose end is still to come before their deadline are open: neither met nor breached. "
                 "A case that passed its deadline without reaching the end is a breach.", lang))


@main.command("client")
@click.argument("log", type=click.Path())
@_read_options
@click.option("--lang", type=LANGS, default="en", show_default=True)
@click.option("--by", "by", help="Compare by this column (e.g. Gemeinde); groups under --min-cases are not shown.")
@click.option("--contact-steps", help='The contact steps with the applicant, comma-separated (default: detected), '
              'e.g. "Unterlagen nachfordern,Entscheid versenden".')
@click.option("--min-cases", default=10, show_default=True, type=click.IntRange(min=1),
              help="Suppress groups with fewer cases.")
@click.option("--canton", help="Canton whose public holidays are not working days (e.g. BE; default: national "
              "holidays).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def client_cmd(log: str, lang: str, by: str | None, contact_steps: str | None, min_cases: int, canton: str | None,
               quiet: bool, **kw: Any) -> None:
    """The applicant's view of LOG: contacts per case, how often applicants are asked again,
    and whose waiting the lead time is."""
    _quiet(quiet)
    from .calendar import Calendar
    from .client import client_view
    from .i18n import format_integer, format_number, format_percent, gettext

    steps = [s.strip() for s in contact_steps.split(",") if s.strip()] if contact_steps else None
    cal = Calendar(canton=canton) if canton else Calendar()
    cv = client_view(_load(log, kw), contact_steps=steps, by=by, min_cases=min_cases, calendar=cal, language=lang)

    def _(msgid: str) -> str:
        return gettext(msgid, lang)

    colon = "\u202f:" if lang == "fr" else ":"
    if cv.contact_steps.empty:
        _out(_("No contact steps with the applicant found; declare them with --contact-steps."))
        return
    # the sentence with the day figures names their calendar: no separate note
    for sentence in cv.sentences(lang):
        _out(sentence)
    _out()
    _out(_("Contact steps with the applicant") + colon)
    for row in cv.contact_steps.itertuples(index=False):
        _out(f"  {_(row.kind):<13} {row.activity}  ({format_percent(row.case_share, lang, 0)} {_('of the cases')})")
    after = cv.asked_again_after()
    after = after[after["cases"] >= min_cases]
    if len(after):
        _out()
        _out(_("Where applicants are asked again") + colon)
        for row in after.head(5).itertuples(index=False):
            _out(f"  {row.activity} → {row.request}{colon} {format_integer(row.cases, lang)} {_('cases')} "
                 f"({format_percent(row.case_share, lang, 1)})")
    if cv.by is not None:
        groups = cv.by_group()
        _out()
        _out(f"{cv.by}{colon} {_('cases')} | {_('Contacts per case (median)')} | {_('Asked again')} | "
             f"{_('Waiting for the applicant')} | {_('Waiting for the administration')}")
        for g, row in groups.iterrows():
            _out(f"  {g}{colon} {format_integer(row['cases'], lang)} | {format_number(row['contacts_per_case_median'], lang, 1)}"
                 f" | {format_percent(row['asked_again_share'], lang, 0)} | {format_percent(row['client_wait_share'], lang, 0)}"
                 f" | {format_percent(row['office_wait_share'], lang, 0)}")
        if groups.attrs.get("suppressed"):
            from .i18n import format_message

            hidden = groups.attrs["suppressed"]
            text = (_("{n} group with fewer than {m} cases not shown.") if hidden == 1
                    else _("{n} groups with fewer than {m} cases not shown."))
            _out(format_message(text, lang, n=hidden, m=min_cases))


def _pairs(option: str, values: tuple[str, ...], sep: str) -> list[tuple[str, ...]]:
    """``"A+B"`` / ``"A,B"`` -> ("A", "B"); anything else is a usage error naming the option."""
    out = []
    for v in values:
        parts = tuple(p.strip() for p in v.split(sep))
        if len(parts) != 2 or not all(parts):
            raise click.BadParameter(f"{v!r}: expected two steps written as \"A{sep}B\"", param_hint=option)
        out.append(parts)
    return out


@main.command("simplify")
@click.argument("log", type=click.Path())
@_read_options
@click.option("--remove", multiple=True, help="A step to remove (repeatable).")
@click.option("--merge", multiple=True, help='Two steps to merge into one, written "A+B" (repeatable).')
@click.option("--parallelize", multiple=True, help='Two steps to run in parallel, written "A,B" (repeatable).')
@click.option("--required", multiple=True, help="A legally required step (repeatable): kept and marked.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the to-be process as BPMN (.bpmn).")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def simplify_cmd(log: str, remove: tuple[str, ...], merge: tuple[str, ...], parallelize: tuple[str, ...],
                 required: tuple[str, ...], output: str | None, lang: str, quiet: bool, **kw: Any) -> None:
    """Estimate LOG's key figures without some steps, with steps merged or run in parallel,
    and write the to-be process as BPMN (with -o)."""
    _quiet(quiet)
    from .i18n import format_duration, format_number, gettext
    from .whatif import simplify

    merges, pars = _pairs("--merge", merge, "+"), _pairs("--parallelize", parallelize, ",")
    if not (remove or merges or pars):
        raise click.UsageError("nothing to simplify: give --remove, --merge or --parallelize")
    w = simplify(_load(log, kw), remove=list(remove), merge=merges, parallelize=pars, required=list(required))
    labels = {
        "median_case_duration": gettext("Median case duration", lang),
        "p90_case_duration": gettext("Slowest 10% of cases", lang),
        "events_per_case": gettext("Steps per case", lang),
        "handovers_per_case": gettext("Handovers per case", lang),
    }
    _out(w._describe_changes(lang))
    if w.calendar is None:  # the durations' unit: calendar time, not working days
        _out(f"({gettext('elapsed time', lang)})")
    for key, label in labels.items():
        b, a = w.before[key], w.after[key]
        fmt = (lambda v: format_duration(v, lang)) if key.endswith("duration") else (lambda v: format_number(v, lang))
        _out(f"  {label:<28} {fmt(b):>12} → {fmt(a):>12}")
    if output:
        _out(f"bpmn: {w.to_bpmn(output, language=lang).resolve()}")


if __name__ == "__main__":  # pragma: no cover
    main()
