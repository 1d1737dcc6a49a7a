"""Tables to Excel workbooks and CSV files that are safe to open in a spreadsheet.

Spreadsheets run text that looks like a formula (CSV/formula injection): a cell
``=HYPERLINK("http://evil","click")`` from an activity name becomes a live link. Every
text cell starting with ``=``, ``+``, ``-``, ``@`` (also after leading spaces, tabs or line
breaks, which spreadsheets may trim), a tab or a carriage return (or with an apostrophe, so
the rule can be undone exactly) is written with a leading apostrophe ``'``; numbers,
negative ones included, stay numbers. :func:`read_table` reads a file back and removes that
apostrophe again.

Characters that XML 1.0 forbids (the C0 control characters other than tab, line feed and
carriage return, lone surrogates, U+FFFE and U+FFFF) cannot be stored in a workbook at all;
they are replaced by U+FFFD (``�``), so the cell shows that something was there. CSV files
get the same replacement, so a table reads the same from both formats. Text longer than a
cell holds (32,767 characters) is cut and ends with ``…``. :func:`cell_text` is this one
rule, used for every cell and header procmine writes.

Types are made spreadsheet-friendly: durations (``Timedelta``) become hours as floats with
``[h]`` in the header; time-zone-aware timestamps become naive Swiss local times with the
zone in the header (Excel has no time zones); tuples are joined with `` → ``.

Examples
--------
>>> import pandas as pd
>>> from procmine.export import to_xlsx, read_table
>>> import tempfile, pathlib
>>> t = pd.DataFrame({"activity": ['=HYPERLINK("http://x","y")', "Prüfung"], "delta": [-3, 4]})
>>> path = to_xlsx({"findings": t}, pathlib.Path(tempfile.mkdtemp()) / "t.xlsx")
>>> back = read_table(path)["findings"]
>>> back["activity"].tolist() == t["activity"].tolist(), back["delta"].tolist()
(True, [-3, 4])
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._core.validation import fail

__all__ = [
    "TRIGGERS",
    "cell_text",
    "clean_text",
    "export_frame",
    "neutralise",
    "read_table",
    "to_csv",
    "to_xlsx",
    "unneutralise",
]

#: first characters that make a spreadsheet treat text as a formula
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LOCAL_TZ = "Europe/Zurich"
#: the most characters one spreadsheet cell holds
MAX_CELL = 32_767
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
# XML 1.0 forbids these; openpyxl refuses them and a workbook holding them does not open
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LEADING_BLANK = " \t\r\n\u00a0"


def clean_text(text: str) -> str:
    r"""``text`` without the characters a workbook cannot hold (each becomes U+FFFD).

    >>> clean_text("Prüfung\x01A\x0b"), clean_text("Zeile 1\nZeile 2\tTab")
    ('Prüfung�A�', 'Zeile 1\nZeile 2\tTab')
    """
    text = _XML_ILLEGAL.sub("\ufffd", text)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return text


def neutralise(text: str) -> str:
    r"""``text`` made inert for spreadsheets (apostrophe in front if it could be a formula).

    A formula character after leading blanks counts too: spreadsheets may trim them.

    >>> neutralise("=1+1"), neutralise("-5"), neutralise("Gesuch"), neutralise("'quoted")
    ("'=1+1", "'-5", 'Gesuch', "''quoted")
    >>> neutralise("  =1+1"), neutralise("\n@SUM(A1)")
    ("'  =1+1", "'\n@SUM(A1)")
    """
    if not text:
        return text
    head = text.lstrip(_LEADING_BLANK)[:1]
    if text[0] in TRIGGERS or text[0] == "'" or (head and head in "=+-@"):
        return "'" + text
    return text


def cell_text(text: str) -> str:
    r"""The text procmine writes into a spreadsheet cell or CSV field for ``text``.

    :func:`clean_text` then :func:`neutralise`: the one rule for every workbook and CSV file.

    >>> cell_text('=HYPERLINK("x")\x01')
    '\'=HYPERLINK("x")�'
    """
    return neutralise(clean_text(text))


def unneutralise(text: str) -> str:
    """The inverse of :func:`neutralise`.

    >>> unneutralise("'=1+1"), unneutralise("Gesuch")
    ('=1+1', 'Gesuch')
    """
    return text[1:] if isinstance(text, str) and text.startswith("'") else text


def _cell_text(v: Any) -> Any:
    # text is cleaned here already: pandas may store it as Arrow strings, which refuse
    # lone surrogates
    if isinstance(v, (tuple, list)):
        return clean_text(" → ".join(str(x) for x in v))
    if isinstance(v, dict):
        return clean_text("; ".join(f"{k}: {_cell_text(x)}" for k, x in v.items()))
    if isinstance(v, pd.Timedelta):
        return v.total_seconds() / 3600
    if isinstance(v, str):
        return clean_text(v)
    return v


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` converted to the types a spreadsheet holds (cleaned, not yet neutralised).

    Timedelta columns -> float hours (header ``name [h]``), tz-aware datetimes -> naive
    Europe/Zurich (header ``name [Europe/Zurich]``), naive datetimes kept, tuples/lists
    joined with `` → ``, dicts as ``key: value; ...``, the index dropped unless named.

    >>> f = pd.DataFrame({"wait": pd.to_timedelta(["90min"]), "at": pd.to_datetime(["2024-01-01 08:00"], utc=True)})
    >>> export_frame(f).to_dict("records")
    [{'wait [h]': 1.5, 'at [Europe/Zurich]': Timestamp('2024-01-01 09:00:00')}]
    """
    df = frame.copy()
    if any(n is not None for n in df.index.names) and not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    else:
        df = df.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for col in df.columns:
        s = df[col]
        name = clean_text(" / ".join(str(c) for c in col) if isinstance(col, tuple) else str(col))
        if pd.api.types.is_timedelta64_dtype(s.dtype):
            out[f"{name} [h]"] = s.dt.total_seconds() / 3600
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            out[f"{name} [{LOCAL_TZ}]"] = s.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        elif (
            pd.api.types.is_bool_dtype(s.dtype)
            or pd.api.types.is_numeric_dtype(s.dtype)
            or pd.api.types.is_datetime64_dtype(s.dtype)
        ):
            out[name] = s
        else:
            vals = s.astype(object).map(_cell_text)
            out[name] = vals
    result = pd.DataFrame(out, index=df.index)
    if len(set(result.columns)) != len(result.columns):
        raise fail("export_frame", "frame", "a table whose column names stay distinct with their units added",
                   list(result.columns))
    return result


def _write_value(v: Any) -> Any:
    """A Python value for openpyxl/csv: None for missing, neutralised text, plain numbers."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, pd.Timestamp):
        if v.tzinfo is not None:
            v = v.tz_convert(LOCAL_TZ).tz_localize(None)
        return v.to_pydatetime()
    if isinstance(v, _dt.datetime) and v.tzinfo is not None:
        return pd.Timestamp(v).tz_convert(LOCAL_TZ).tz_localize(None).to_pydatetime()
    if isinstance(v, str):
        return cell_text(v)
    if isinstance(v, (bool, int, float, _dt.datetime, _dt.date)):
        return v
    return cell_text(str(v))


def _sheet_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        base = _SHEET_BAD.sub("_", str(n)).strip("'")[:31] or "Sheet"
        cand, i = base, 2
        while cand.lower() in (o.lower() for o in out):
            suffix = f" ({i})"
            cand, i = base[: 31 - len(suffix)] + suffix, i + 1
        out.append(cand)
    return out


def _check_tables(tables: Any, func: str) -> Mapping[str, pd.DataFrame]:
    if isinstance(tables, pd.DataFrame):
        return {"table": tables}
    if not isinstance(tables, Mapping) or not all(isinstance(v, pd.DataFrame) for v in tables.values()):
        raise fail(func, "tables", "a dict of name -> pandas.DataFrame", type(tables).__name__)
    return tables


def to_xlsx(tables: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | Path) -> Path:
    """Write ``tables`` (sheet name -> frame) to one workbook, formula-safe.

    Every text cell is stored as inert text (``data_type == "s"``), never as a formula;
    header row bold and frozen, columns sized to their content.

    Parameters
    ----------
    tables
        Sheet name -> DataFrame (names are cut to Excel's 31 characters and made unique).
    path
        The ``.xlsx`` file to write (its folder is created).

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tables = _check_tables(tables, "to_xlsx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    names = _sheet_names(list(tables))
    bold = Font(bold=True)
    for sheet, frame in zip(names, tables.values()):
        ws = wb.create_sheet(sheet)
        df = export_frame(frame)
        widths = [len(str(c)) for c in df.columns]
        for j, col in enumerate(df.columns, start=1):
            c = ws.cell(row=1, column=j, value=cell_text(str(col)))
            c.data_type = TYPE_STRING
            c.font = bold
        for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, v in enumerate(row, start=1):
                w = _write_value(v)
                c = ws.cell(row=i, column=j, value=w)
                if isinstance(w, str):
                    c.data_type = TYPE_STRING  # never a formula, whatever the text
                    widths[j - 1] = max(widths[j - 1], min(len(w), 60))
                elif isinstance(w, _dt.datetime):
                    c.number_format = "dd.mm.yyyy hh:mm"
                    widths[j - 1] = max(widths[j - 1], 16)
                elif isinstance(w, float):
                    c.number_format = "#,##0.00"
                    widths[j - 1] = max(widths[j - 1], 10)
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = max(8, min(w + 2, 62))
        ws.freeze_panes = "A2"
    if not names:
        wb.create_sheet("empty")
    wb.save(path)
    return path


def to_csv(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    path: str | Path,
    *,
    sep: str = ";",
    encoding: str = "utf-8-sig",
) -> list[Path]:
    """Write each table as a formula-safe CSV file.

    Parameters
    ----------
    tables
        Name -> DataFrame, or a single DataFrame.
    path
        A ``.csv`` file for a single table; otherwise a stem or folder: table ``name`` goes
        to ``<stem>-<name>.csv`` (or ``<folder>/<name>.csv``).
    sep, encoding
        Defaults suit Excel in Switzerland (``;`` and UTF-8 with byte order mark).
        Decimals are written with a point.

    Returns
    -------
    list of Path
        The files written.
    """
    tables = _check_tables(tables, "to_csv")
    path = Path(path)
    written: list[Path] = []
    single = len(tables) == 1 and path.suffix.lower() == ".csv"
    for name, frame in tables.items():
        safe = re.sub(r"[^\w.-]+", "_", str(name)).strip("_") or "table"
        if single:
            target = path
        elif path.is_dir() or path.suffix == "":
            target = path / f"{safe}.csv" if path.is_dir() else path.with_name(f"{path.name}-{safe}.csv")
        else:
            target = path.with_name(f"{path.stem}-{safe}.csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        df = export_frame(frame)
        with open(target, "w", encoding=encoding, newline="") as f:
            w = csv.writer(f, delimiter=sep, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            w.writerow([cell_text(str(c)) for c in df.columns])
            for row in df.itertuples(index=False, name=None):
                w.writerow(["" if (x := _write_value(v)) is None else _csv_text(x) for v in row])
        written.append(target)
    return written


def _csv_text(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, float):
        return repr(v)
    return str(v)


def read_table(path: str | Path, *, sep: str = ";", encoding: str = "utf-8-sig") -> dict[str, pd.DataFrame]:
    """Read a workbook (every sheet) or a CSV written by this module, undoing the neutralisation.

    Returns sheet/file stem -> DataFrame.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    else:
        frames = {path.stem: pd.read_csv(path, sep=sep, encoding=encoding, dtype=None, keep_default_na=True)}
    out = {}
    for name, df in frames.items():
        df = df.rename(columns=lambda c: unneutralise(str(c)))
        for col in df.columns:
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col].dtype):
                df[col] = df[col].map(lambda v: unneutralise(v) if isinstance(v, str) else v)
        out[name] = df
    return out
