"""Reading event logs: :func:`read_log` and one module per format.

``read_log`` dispatches on the file type; each reader maps the source to the canonical
columns and hands the frame to :func:`procmine.io._common.finalize`, which keeps or
counts every row. :data:`LIMITS` caps what a compressed, wide or hostile file may cost
(see :mod:`procmine.io._limits`).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import DataQualityWarning, LogError
from ..log import EventLog, IngestReport
from ._common import ReadOptions, finalize, partitioned_parquet
from ._limits import LIMITS, Limits

if TYPE_CHECKING:
    from ..engines._protocol import LogLike

__all__ = ["LIMITS", "Limits", "ReadOptions", "read_log"]

FORMATS = ("csv", "xes", "parquet", "excel", "dataframe")
_SUFFIXES = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xes": "xes",
    ".xes.gz": "xes",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


def read_log(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    resource: str | None = None,
    org: str | None = None,
    lifecycle: str | None = None,
    format: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    dayfirst: bool | None = None,
    tz: str | None = None,
    attributes: list[str] | None = None,
    strict: bool = False,
    pair_lifecycle: bool | None = None,
    sheet: str | int | None = None,
    engine: str = "pandas",
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> EventLog | LogLike:
    """Read an event log from a file, a folder of parts or a DataFrame.

    Parameters
    ----------
    source
        A path to a ``.csv``/``.txt``, ``.xes``/``.xes.gz``, ``.parquet`` or ``.xlsx``
        file, a folder whose files are parts of one log, or a ``pandas.DataFrame``.
    case, activity, timestamp, start_timestamp, resource, org, lifecycle
        Source column of each role. Without them roles are detected from the headers
        (German, French, Italian, English) and from the content; explicit names win.
        The detection is written to ``log.report.roles`` and ``role_detection``.
    format
        ``"csv"``, ``"xes"``, ``"parquet"``, ``"excel"``; by default from the suffix.
    sep, encoding
        CSV separator and encoding; detected when omitted (``;``/``,``/tab,
        UTF-8/UTF-8-BOM/cp1252).
    dayfirst
        Force day-first (``True``) or month-first (``False``) reading of ambiguous
        dates; by default decided from the data, day-first (Swiss) when undecidable.
    tz
        Time zone of naive times (default ``"Europe/Zurich"``). Times are stored in UTC.
    attributes
        Keep only these extra columns (default: keep all).
    strict
        Raise :class:`~procmine.LogError` on the first bad row instead of dropping it.
    pair_lifecycle
        Logs with one row per lifecycle transition (a ``start`` and a ``complete`` row
        per step; German ``Start``/``Ende``, French ``début``/``fin``...; the column is
        ``lifecycle:transition`` or found from its header and values): ``None``
        (default) pairs each start with its complete into one event whose
        ``start_timestamp`` is the start's time, for every format; ``True`` does the
        same and warns when there is nothing to pair; ``False`` keeps every row as an
        event of its own. Starts without a complete and other transitions
        (``schedule``, ``suspend``...) are dropped and counted; see
        ``log.report.formats["lifecycle"]`` and :mod:`procmine.io._lifecycle`.
    sheet
        Excel sheet name or index (default: the first sheet that reads as an event log; the
        report names the sheets passed over and those not read).
    engine
        ``"pandas"`` (default): read into memory. ``"duckdb"``: keep the events in
        DuckDB and aggregate out of core (Parquet or CSV, roles and date formats
        detected as here; returns a :class:`procmine.engines.duckdb.DuckLog`, which
        :func:`procmine.discover`, :func:`procmine.performance` and the other analyses
        accept, with the same results as the in-memory path). ``"auto"``: DuckDB for Parquet/CSV sources larger
        than ``AUTO_DUCKDB_BYTES`` (2 GB), pandas otherwise.
    memory_limit, temp_directory
        DuckDB engine only: its memory limit (e.g. ``"8GB"``; default DuckDB's, 80 % of
        the machine's memory) and the folder its sorts spill to beyond it (default a
        folder beside the log's temporary database). Ignored when the log is read into
        memory (``"auto"`` below the threshold); an error with ``engine="pandas"``.

    Returns
    -------
    EventLog or LogLike
        An :class:`~procmine.EventLog` (``engine="pandas"``, and ``"auto"`` below the size
        threshold), else a log held by DuckDB that offers the same names
        (:class:`procmine.engines.LogLike`). An EventLog has ``log.report`` (an :class:`~procmine.IngestReport`) saying what was kept,
        what was dropped and why, and how the columns were recognised.

    Raises
    ------
    LogError
        The file cannot be read as an event log; the message names the file, the line
        or column and what to do.

    Examples
    --------
    >>> import procmine as pm
    >>> from procmine.samples import sample_path
    >>> log = pm.read_log(sample_path("permit_de", "csv"))
    >>> log.report.roles["case"]
    'Dossier-Nr'
    """
    opts = ReadOptions(
        case=case,
        activity=activity,
        timestamp=timestamp,
        start_timestamp=start_timestamp,
        resource=resource,
        org=org,
        lifecycle=lifecycle,
        format=format,
        sep=sep,
        encoding=encoding,
        dayfirst=dayfirst,
        tz=tz,
        attributes=list(attributes) if attributes is not None else None,
        strict=strict,
        pair_lifecycle=pair_lifecycle,
        sheet=sheet,
    )
    duck = _duckdb_options(engine, memory_limit, temp_directory)
    if engine != "pandas" and _use_duckdb(source, engine):
        from ..engines._open import open_log

        roles = {k: v for k, v in opts.explicit_roles().items() if k in ("case", "activity", "timestamp", "start_timestamp")}
        return open_log("duckdb", source, pair_lifecycle=pair_lifecycle, **roles, **duck)
    if isinstance(source, pd.DataFrame):
        from .frame import read_frame

        return read_frame(source, opts)
    if isinstance(source, EventLog):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise LogError(
            f"cannot read an event log from a {type(source).__name__}; "
            "pass a file path, a folder of parts or a pandas DataFrame"
        )
    path = Path(source)
    if not path.exists():
        raise LogError("no such file or folder; check the path", path=str(path))
    if path.is_dir():
        return _read_folder(path, opts)
    return _read_file(path, opts)


AUTO_DUCKDB_BYTES = 2 * 1024**3


def _duckdb_options(engine: str, memory_limit: Any, temp_directory: Any) -> dict[str, Any]:
    """The DuckDB options given (``memory_limit``, ``temp_directory``), after checking
    ``engine`` and that no DuckDB option comes with ``engine="pandas"``."""
    from .._core.validation import fail

    if engine not in ("pandas", "duckdb", "auto"):
        raise fail("read_log", "engine", "one of 'pandas', 'duckdb', 'auto'", engine)
    duck = {k: v for k, v in (("memory_limit", memory_limit), ("temp_directory", temp_directory)) if v is not None}
    if engine == "pandas" and duck:
        raise fail("read_log", next(iter(duck)), "None with engine='pandas' (a DuckDB option)", next(iter(duck.values())))
    return duck


def _use_duckdb(source: Any, engine: str) -> bool:
    if engine == "duckdb":
        return True
    if isinstance(source, pd.DataFrame):
        return False
    path = Path(source)
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path] if path.exists() else []
    big = sum(p.stat().st_size for p in files if p.name.lower().endswith((".parquet", ".pq", ".csv")))
    return big > AUTO_DUCKDB_BYTES


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS[:-1]:
            raise LogError(f"unknown format {fmt!r}; use one of {FORMATS[:-1]}", path=str(path))
        return fmt
    name = path.name.lower()
    for suffix, f in sorted(_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return f
    if name.endswith(".xls"):
        raise LogError(
            "old Excel .xls files are not supported; save the sheet as .xlsx or CSV", path=str(path)
        )
    raise LogError(
        "cannot tell the format from the file name; pass format='csv', 'xes', 'parquet' or 'excel'",
        path=str(path),
    )


def _read_file(path: Path, opts: ReadOptions) -> EventLog:
    fmt = _format_of(path, opts.format)
    if fmt == "xes":
        from .xes import read_xes

        return read_xes(path, opts)
    if fmt == "csv":
        from .csv import read_csv

        return read_csv(path, opts)
    if fmt == "parquet":
        from .parquet import read_parquet

        return read_parquet(path, opts)
    from .excel import read_excel

    return read_excel(path, opts)


def _read_folder(path: Path, opts: ReadOptions) -> EventLog:
    """Read every log file of a folder (sorted by name) as parts of one log."""
    parts = sorted(
        p for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and _known(p, opts.format)
    )
    if not parts:
        if opts.format in (None, "parquet") and partitioned_parquet(path):
            # Spark, DuckDB and pandas write a log partitioned by a column as folders
            # ``column=value`` of Parquet files: one dataset, the column taken from the names
            from .parquet import read_parquet

            return read_parquet(path, opts)
        raise LogError(
            "the folder holds no .csv, .txt, .xes(.gz), .parquet or .xlsx file to read", path=str(path)
        )
    # parts are paired together below: a step may start in one part and end in the next
    with warnings.catch_warnings():
        # a part may hold few cases; whether the whole log is plausible is judged below
        warnings.filterwarnings("ignore", message=r".*implausible log", category=DataQualityWarning)
        logs = [_read_file(p, dataclasses.replace(opts, defer_pairing=True)) for p in parts]
    kinds = {lg.report.format for lg in logs}
    frames = [lg.df for lg in logs]
    df = pd.concat(frames, ignore_index=True, sort=False)
    report = IngestReport(source=str(path), format="+".join(sorted(kinds)))
    report.rows_read = sum(lg.report.rows_read for lg in logs)
    for lg in logs:
        for k, v in lg.report.dropped.items():
            report.dropped[k] = report.dropped.get(k, 0) + v
        for k, v in lg.report.dropped_rows.items():
            report.dropped_rows.setdefault(k, []).extend(f"{lg.report.source}:{r}" for r in v)
        report.warnings.extend(
            f"{Path(lg.report.source).name}: {w}" for w in lg.report.warnings if w not in lg.report.alerts
        )
        report.duplicate_case_ids += lg.report.duplicate_case_ids
        report.empty_traces += lg.report.empty_traces
    report.roles = dict(logs[0].report.roles)
    report.role_detection = dict(logs[0].report.role_detection)
    report.role_evidence = dict(logs[0].report.role_evidence)
    report.formats = {"parts": [p.name for p in parts], **logs[0].report.formats}
    # rows were already checked per part: only lifecycle pairing may drop more here
    pre_dropped = dict(report.dropped)
    report.dropped = {}
    report.rows_read = len(df)
    log = finalize(df, report=report, name=path.name, pair_lifecycle=opts.pair_lifecycle)
    report.rows_read += sum(pre_dropped.values())
    for k, v in pre_dropped.items():
        report.dropped[k] = report.dropped.get(k, 0) + v
    report.check()
    return log


def _known(p: Path, fmt: str | None) -> bool:
    try:
        _format_of(p, fmt)
    except LogError:
        return False
    return True


def read_any(source: Any) -> EventLog:
    """An EventLog as is, anything else through :func:`read_log` with defaults."""
    return source if isinstance(source, EventLog) else read_log(source)
