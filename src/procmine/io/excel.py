"""Excel (.xlsx) reader with openpyxl: header row, typed and serial dates, then :func:`read_frame`.

The header is the first row unless one of the first ten rows names the roles better
(exports often start with a title line). Date cells keep their value; numbers in a
date column are read as Excel serial days (counted from 1904 in a workbook of the 1904
date system); text dates are parsed like CSV text. Without ``sheet=``, visible sheets
are tried before hidden ones.
The workbook's zip directory is checked against :data:`procmine.io.LIMITS` before
anything is inflated (see :func:`check_workbook`), the sheet's width after reading.
Row numbers count data rows below the header (the header is row 0), blank rows
included, so sheet row = header row + row number; ``report.formats["header_row"]``
gives the header's sheet row.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.notes import note
from ..errors import DataQualityWarning, LogError
from ..log import EventLog, IngestReport
from ._common import ReadOptions, drop_repeated_header, user_stacklevel
from ._dates import serial_origin
from ._limits import LIMITS, check_inflation
from .detect import match_header
from .frame import read_frame

__all__ = ["check_workbook", "read_excel"]

HEADER_SEARCH_ROWS = 10


def read_excel(path: str | Path, opts: ReadOptions | None = None) -> EventLog:
    """Read an event log from an ``.xlsx`` sheet (``sheet=`` name or index; by default the
    first sheet that reads as an event log: exports often put a cover or info sheet first;
    a hidden sheet only when no visible one does).

    Parameters
    ----------
    path
        The workbook.
    opts
        :func:`procmine.read_log` options; ``sheet`` picks the sheet.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import tempfile, os, datetime
    >>> p = os.path.join(tempfile.mkdtemp(), "log.xlsx")
    >>> pd.DataFrame({"Fall-ID": ["A1", "A1"], "Aktivität": ["Eingang", "Entscheid"],
    ...               "Datum": [datetime.datetime(2024, 1, 5, 9), 45300.5]}).to_excel(p, index=False)
    >>> log = read_excel(p)
    >>> log.df["time:timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    ['2024-01-05 08:00', '2024-01-09 11:00']
    """
    opts = opts or ReadOptions()
    src = str(path)
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise LogError(
            "reading Excel files needs openpyxl: pip install procmine[excel] (or save the sheet as CSV)",
            path=src,
        ) from exc
    check_workbook(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # zipfile.BadZipFile, openpyxl errors
        raise LogError(
            f"cannot read the file as .xlsx ({exc}); check that it is an Excel workbook", path=src
        ) from exc
    with book:
        names = list(book.sheet_names)
        # numbers in date columns count from the workbook's day 0 (1904-01-01 in the 1904 date
        # system of old Mac workbooks); openpyxl already reads date cells with it
        with serial_origin(getattr(book.book, "epoch", None)):
            if opts.sheet is not None or len(names) < 2:
                return _read_sheet(book, 0 if opts.sheet is None else opts.sheet, opts, src)
            hidden = _hidden_sheets(book)
            # visible sheets first, in order: a hidden one (a lookup list, an old copy) is read
            # only when no visible sheet holds a log
            order = [n for n in names if n not in hidden] + [n for n in names if n in hidden]
            return _first_log_sheet(book, order, opts, src, hidden)


def _hidden_sheets(book: pd.ExcelFile) -> frozenset[str]:
    """The names of the hidden (and very hidden) worksheets: openpyxl's ``sheet_state``, read
    from the workbook part that pandas has already loaded (read-only, external links not
    followed)."""
    try:
        return frozenset(ws.title for ws in book.book.worksheets if getattr(ws, "sheet_state", "visible") != "visible")
    except AttributeError:  # not an openpyxl workbook
        return frozenset()


def _first_log_sheet(
    book: pd.ExcelFile, names: list[str], opts: ReadOptions, src: str, hidden: frozenset[str] = frozenset()
) -> EventLog:
    """The first sheet of a workbook of several that reads as an event log (an export often
    puts a cover or info sheet first), its report naming the sheets passed over and those
    not read, and saying so when the sheet read is ``hidden``; the first sheet's error, with
    the sheets' names, when none does. ``names`` in the order tried."""
    passed: list[tuple[str, LogError]] = []
    for name in names:
        try:
            log = _read_sheet(book, name, opts, src)
        except LogError as exc:
            passed.append((name, exc))
            continue
        warn = log.report.warnings
        if passed:
            warn.append(note("sheet(s) {sheets} hold no event log; read sheet {sheet!r}",
                             sheets=", ".join(repr(n) for n, _ in passed), sheet=name))
        if name in hidden:
            warn.append(note("sheet {sheet!r} is hidden in the workbook; read because no visible sheet holds "
                             "an event log", sheet=name))
        others = names[len(passed) + 1:]
        if others:  # perhaps more events (a sheet per year): said aloud, as dropped rows are
            warn.append(note("sheet(s) {sheets} of the workbook not read; pass sheet=... to read one",
                             sheets=", ".join(repr(n) for n in others)))
            warnings.warn(f"{src}: {warn[-1]}", DataQualityWarning, stacklevel=user_stacklevel())
        return log
    first = passed[0][1]
    raise LogError(
        f"{first.message} (sheet {passed[0][0]!r}; no sheet of the workbook holds an event log procmine can "
        f"read: {', '.join(repr(n) for n in names)}; pass sheet=... to name it)",
        path=src,
        column=first.column,
    ) from first


def _read_sheet(book: pd.ExcelFile, sheet: str | int, opts: ReadOptions, src: str) -> EventLog:
    """One sheet of the workbook as an event log (see :func:`read_excel`)."""
    try:
        raw = book.parse(sheet, header=None)
    except (ValueError, KeyError, IndexError) as exc:
        raise LogError(
            f"cannot read sheet {sheet!r} ({exc}); pass sheet= with an existing name or index", path=src
        ) from exc
    except Exception as exc:  # openpyxl errors
        raise LogError(
            f"cannot read the file as .xlsx ({exc}); check that it is an Excel workbook", path=src
        ) from exc
    if raw.shape[1] > LIMITS.max_columns:
        raise LogError(
            f"sheet {sheet!r} has {raw.shape[1]:,} columns, more than {LIMITS.max_columns:,} (the limit "
            "procmine.io.LIMITS.max_columns); an event log needs a few. If it is a real log, "
            "raise that limit",
            path=src,
        )
    raw = raw.dropna(axis=1, how="all")
    if raw.dropna(how="all").empty:
        raise LogError(f"sheet {sheet!r} is empty; expected a header row and one row per event", path=src)
    h = _header_row(raw)
    names = _names(raw.iloc[h].tolist())
    body = raw.iloc[h + 1 :].set_axis(names, axis=1)
    if body.dropna(how="all").empty:
        raise LogError(
            f"sheet {sheet!r} has a header but no data rows; expected one row per event below it",
            path=src,
        )
    rows = np.arange(1, len(body) + 1)
    filled = body.notna().any(axis=1).to_numpy()
    body = body.loc[filled].reset_index(drop=True).infer_objects()
    report = IngestReport(source=src, format="excel")
    report.formats.update({"sheet": sheet, "header_row": int(raw.index[h]) + 1})
    header = ["" if pd.isna(v) else str(v) for v in raw.iloc[h]]
    body, kept = drop_repeated_header(body, header, rows[filled], report, strict=opts.strict, path=src)
    return read_frame(body, opts, source=src, fmt="excel", report=report, row_numbers=kept)


def check_workbook(path: str | Path) -> None:
    """Refuse a workbook whose zip directory declares more than :data:`procmine.io.LIMITS` allow.

    Checked before anything is inflated: the declared sizes of all parts together
    (``max_inflated_bytes``) and each part's inflation ratio (``max_inflation_ratio``,
    above ``ratio_floor_bytes``). The declared sizes cannot lie: Python's zip reader stops
    a part at its declared size and then fails its checksum.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "log.xlsx")
    >>> pd.DataFrame({"case": ["1"], "activity": ["A"]}).to_excel(p, index=False)
    >>> check_workbook(p)  # a normal workbook passes
    """
    import zipfile

    src = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LogError(
            f"cannot read the file as .xlsx ({exc}); check that it is an Excel workbook", path=src
        ) from exc
    for p in parts:
        check_inflation(src, p.file_size, p.compress_size, what=f"the workbook part {p.filename!r}")
    total = sum(p.file_size for p in parts)
    check_inflation(src, total, sum(p.compress_size for p in parts), what="the workbook")


def _header_row(raw: pd.DataFrame) -> int:
    """The row among the first ones whose cells name the most roles (first row on ties)."""
    best, best_score = 0, -1
    for i in range(min(HEADER_SEARCH_ROWS, len(raw))):
        cells = [c for c in raw.iloc[i].tolist() if isinstance(c, str) and c.strip()]
        score = sum(1 for c in cells if match_header(c))
        if score > best_score and (score >= 2 or i == 0):
            best, best_score = i, score
    return best


def _names(cells: list) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(cells):
        n = (
            str(c).strip()
            if c is not None and not (isinstance(c, float) and np.isnan(c))
            else f"column{i + 1}"
        )
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}.{k}")
    return out
