"""The ``procmine`` command: batch work for directorates from the shell.

User errors (a file that cannot be read, a wrong option) exit with code 2 and one clear
message, never a traceback. ``--quiet`` silences progress bars and notes.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import ProcmineError

F = TypeVar("F", bound=Callable[..., Any])

LANGS = click.Choice(["de", "fr", "en"])


def _user_errors(func: F) -> F:
    """Turn procmine's own errors and missing files into exit code 2 with a message."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProcmineError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _read_options(func: F) -> F:
    """Options shared by every command that reads a log."""
    options = [
        click.option("--case", help="Column holding the case id (detected when omitted)."),
        click.option("--activity", help="Column holding the activity name."),
        click.option("--timestamp", help="Column holding the completion time."),
        click.option("--start-timestamp", help="Column holding the start time."),
        click.option("--resource", help="Column holding the person / resource."),
        click.option("--org", help="Column holding the org unit (office, commune)."),
        click.option("--sep", help="CSV separator (detected when omitted)."),
        click.option("--encoding", help="CSV encoding (detected when omitted)."),
        click.option("--dayfirst/--monthfirst", default=None, help="Force reading of ambiguous dates."),
        click.option("--tz", help="Time zone of naive times (default Europe/Zurich)."),
        click.option("--strict", is_flag=True, help="Fail on the first bad row instead of dropping it."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def _load(log_path: str, kw: dict[str, Any]) -> Any:
    import warnings

    from .errors import DataQualityWarning
    from .io import read_log

    keys = ("case", "activity", "timestamp", "start_timestamp", "resource", "org", "sep",
            "encoding", "dayfirst", "tz", "strict")
    with warnings.catch_warnings():
        # the commands print what was dropped themselves (inspect) or in the report
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(log_path, **{k: kw.pop(k) for k in keys if k in kw})
    if log.report.rows_dropped:
        click.echo(f"note: {log.report.rows_dropped:,} of {log.report.rows_read:,} rows dropped "
                   f"({', '.join(f'{v:,} {k}' for k, v in log.report.dropped.items())}); "
                   "see 'procmine inspect'", err=True)
    return log


def _quiet(quiet: bool) -> None:
    if quiet:
        os.environ["TQDM_DISABLE"] = "1"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="procmine")
def main() -> None:
    """procmine: evidence for simpler administrative procedures.

    Read event logs (CSV, Excel, XES, Parquet), discover how procedures run, find
    redundant steps and write reports per directorate.
    """


@main.command()
@click.option("-o", "--output", default="procmine-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the demo reports into.")
@click.option("--lang", type=LANGS, default=None, help="Only this language (default: de and fr).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_user_errors
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
        click.echo(str(Path(path).resolve()))


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("--top", default=10, show_default=True, help="How many activities to list.")
@_user_errors
def inspect(log: str, top: int, **kw: Any) -> None:
    """Read LOG and print the ingest report, the top activities and the time range."""
    ev = _load(log, kw)
    r = ev.report
    click.echo(repr(ev))
    click.echo("")
    click.echo(f"rows read      {r.rows_read:>12,}")
    click.echo(f"rows kept      {r.rows_kept:>12,}")
    for reason, count in r.dropped.items():
        sample = ", ".join(str(x) for x in r.dropped_rows.get(reason, [])[:5])
        click.echo(f"dropped        {count:>12,}  {reason} (e.g. rows {sample})")
    for role, col in r.roles.items():
        click.echo(f"role {role:<17} {col!s:<28} ({r.role_detection.get(role, '?')})")
    for key, value in r.formats.items():
        click.echo(f"format {key:<15} {value}")
    if r.duplicate_case_ids:
        click.echo(f"duplicate case ids {r.duplicate_case_ids:,}")
    if r.empty_traces:
        click.echo(f"empty traces   {r.empty_traces:,}")
    if ev.time_range:
        click.echo(f"time range     {ev.time_range[0]} – {ev.time_range[1]}")
    click.echo("")
    click.echo("top activities:")
    for name, count in ev.activities.head(top).items():
        click.echo(f"  {count:>10,}  {name}")
    for w in r.warnings:
        click.echo(f"warning: {w}")


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the process map as SVG.")
@click.option("--bpmn", type=click.Path(dir_okay=False), help="Write a BPMN 2.0 model (with layout).")
@click.option("--activities", type=float, default=None, help="Share of events the kept activities cover (default: at most 25 activities).")
@click.option("--paths", type=float, default=None, help="Share of paths kept (default 0.8).")
@click.option("--metric", type=click.Choice(["frequency", "time"]), default="frequency", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_user_errors
def discover(log: str, output: str | None, bpmn: str | None, activities: float | None, paths: float | None,
             metric: str, quiet: bool, **kw: Any) -> None:
    """Discover the process of LOG: map (SVG), BPMN model and the main variants."""
    _quiet(quiet)
    from .discovery import discover as _discover

    model = _discover(_load(log, kw))
    click.echo(repr(model))
    if output:
        model.to_svg(output, activities=activities, paths=paths, metric=metric)
        click.echo(f"map: {Path(output).resolve()}")
    if bpmn:
        model.to_bpmn(bpmn)
        click.echo(f"bpmn: {Path(bpmn).resolve()}")
    v = model.variants.head(10)
    click.echo("\nmain variants:")
    for _, row in v.iterrows():
        click.echo(f"  {row['cases']:>8,} ({row['share']:.1%})  {' → '.join(row['variant'])}")


@main.command()
@click.argument("log", type=click.Path())
@_read_options
@click.option("--kinds", help="Comma-separated kinds to look for (default: all).")
@click.option("--required", multiple=True, help="A legally required activity (repeatable); never proposed for removal.")
@click.option("--min-case-share", default=0.05, show_default=True, help="Ignore patterns in fewer cases than this share.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the findings as CSV.")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_user_errors
def findings(log: str, kinds: str | None, required: tuple[str, ...], min_case_share: float,
             csv_path: str | None, lang: str, quiet: bool, **kw: Any) -> None:
    """Find redundant steps in LOG and list them by estimated saving."""
    _quiet(quiet)
    from .redundancy import find_redundancies

    found = find_redundancies(
        _load(log, kw),
        kinds=[k.strip() for k in kinds.split(",")] if kinds else None,
        min_case_share=min_case_share,
        required=required,
    )
    frame = found.to_frame(language=lang) if _accepts_language(found.to_frame) else found.to_frame()
    if not len(frame):
        click.echo("no findings")
    from .calendar import Calendar
    from .i18n import calendar_note, format_integer, format_percent, format_working_time, gettext

    cal = found.calendar if found.calendar is not None else Calendar()
    if len(found):  # whose working days the savings count
        click.echo(f"({calendar_note(cal, lang)})")
    for i, f in enumerate(found, 1):
        units = f" [{', '.join(f.org_units)}]" if f.org_units else ""
        click.echo(f"{i:>3}. {f.kind:<21} {' → '.join(f.activities)}{units}")
        click.echo(
            f"     {format_integer(f.cases, lang)} {gettext('cases', lang)} "
            f"({format_percent(f.case_share, lang, 0)}), "
            f"{gettext('Saving per case', lang)} {format_working_time(f.saving_per_case, lang, day_hours=cal.day_hours)}, "
            f"{gettext('Confidence', lang)} {f.confidence:.2f}"
        )
        click.echo(f"     {f.text(lang)}")
    if csv_path:
        from .export import to_csv

        to_csv(frame, csv_path)
        click.echo(f"csv: {Path(csv_path).resolve()}")


def _accepts_language(func: Callable[..., Any]) -> bool:
    import inspect as _inspect

    return "language" in _inspect.signature(func).parameters


@main.command("report")
@click.argument("log", type=click.Path())
@_read_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--lang", type=LANGS, default="de", show_default=True)
@click.option("--title", help="Report title (default: the log's name).")
@click.option("--directorate", help="Directorate the procedure belongs to.")
@click.option("--min-cases", default=10, show_default=True, help="Suppress groups with fewer cases.")
@click.option("--xlsx", is_flag=True, help="Also write the tables as a workbook next to the report.")
@click.option("--no-pseudonymize", is_flag=True, help="Show resource names as they are in the log.")
@click.option("--required", multiple=True, help="A legally required activity (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_user_errors
def report_cmd(log: str, output: str, lang: str, title: str | None, directorate: str | None,
               min_cases: int, xlsx: bool, no_pseudonymize: bool, required: tuple[str, ...],
               quiet: bool, **kw: Any) -> None:
    """Write the directorate report of LOG as one self-contained HTML file."""
    _quiet(quiet)
    from .report import report

    ev = _load(log, kw)
    extra: dict[str, Any] = {}
    if required:
        from .redundancy import find_redundancies

        extra["findings"] = find_redundancies(ev, required=required)
    path = report(ev, output, language=lang, title=title, directorate=directorate,
                  min_cases=min_cases, xlsx=xlsx, pseudonymize=not no_pseudonymize, **extra)
    click.echo(str(Path(path).resolve()))


@main.command("portfolio")
@click.argument("source", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--lang", type=LANGS, default="de", show_default=True)
@click.option("--min-cases", default=10, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_user_errors
def portfolio_cmd(source: str, output: str, lang: str, min_cases: int, quiet: bool) -> None:
    """Rank procedures by estimated saving: SOURCE is a TOML batch file or a folder of logs."""
    _quiet(quiet)
    from .report import portfolio

    src = Path(source)
    if src.is_dir():
        from .io import _known

        logs = sorted(p for p in src.iterdir() if p.is_file() and _known(p, None))
        if not logs:
            raise click.UsageError(f"{src}: no event log files in this folder")
        path = portfolio(logs, output, language=lang, min_cases=min_cases)
    else:
        path = portfolio(None, output, language=lang, config=src, min_cases=min_cases)
    click.echo(str(Path(path).resolve()))


if __name__ == "__main__":  # pragma: no cover
    main()
