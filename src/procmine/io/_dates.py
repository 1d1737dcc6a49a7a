"""Date columns: one format for all rows of a column, day-first decided from the data.

:func:`detect_date_format` looks at the values (ISO 8601 with or without offset,
``dd.mm.yyyy HH:MM[:SS]``, ``dd/mm/yyyy``, ``mm/dd/yyyy`` only when the data proves it,
Excel serial numbers, typed datetimes) and returns a :class:`DateSpec`;
:func:`parse_dates` parses the whole column with it, vectorised (explicit ``format=``
strings, never pandas' per-row guessing, which would read 05/01 as May and 13/01 as
January in the same column). Naive times are local in ``tz`` and stored in UTC.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..log import TS_DTYPE, IngestReport
from ._common import to_utc

__all__ = ["EXCEL_SERIAL_RANGE", "DateSpec", "detect_date_format", "parse_dates"]

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_SHAPE = re.compile(
    r"^(\d{1,2})([./-])(\d{1,2})[./-](\d{4}|\d{2})(?:(T|\s+|,\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:([.,])(\d{1,6}))?)?)?$"
)
EXCEL_SERIAL_RANGE = (20000.0, 80000.0)  # 1954-10-03 .. 2119-01-10


@dataclass
class DateSpec:
    """How a date column is parsed: one format (or ISO 8601 / Excel serials) for all rows.

    ``kind`` is ``"datetime"`` (already typed), ``"iso"``, ``"format"`` (``formats[0]``
    for all rows; the others only differ in time precision) or ``"excel"`` (serial days
    since 1899-12-30). ``share`` is the part of the sampled values it parses.
    """

    kind: str
    formats: tuple[str, ...] = ()
    dayfirst: bool | None = None
    reason: str = ""
    share: float = 1.0

    def describe(self) -> str:
        if self.kind == "format":
            return " | ".join(self.formats)
        return {"datetime": "typed datetimes", "iso": "ISO 8601", "excel": "Excel serial days"}[self.kind]


def _sample_values(s: pd.Series, n: int = 1000) -> pd.Series:
    """Distinct non-blank stripped strings from the start and the end of the column."""
    s = s.dropna()
    if len(s) > 4 * n:
        s = pd.concat([s.iloc[: 2 * n], s.iloc[-2 * n :]])
    s = s.astype("str").str.strip()
    s = s[s != ""].drop_duplicates()
    return s.head(n)


def detect_date_format(
    values: pd.Series, *, dayfirst: bool | None = None, strict_numbers: bool = False
) -> DateSpec | None:
    """The one format that parses a date column, or None if it does not hold dates.

    Parameters
    ----------
    values
        The column (strings, numbers or datetimes).
    dayfirst
        Force day-first (True) or month-first (False); by default decided from the
        whole column: a first field above 12 proves day-first, a second field above 12
        month-first; undecidable columns are read day-first (the Swiss convention).
    strict_numbers
        Accept Excel serial numbers only if some carry a time of day (content-based
        detection, where whole numbers are more likely ids).

    Examples
    --------
    >>> s = pd.Series(["05/01/2024", "13/01/2024"])
    >>> spec = detect_date_format(s)
    >>> spec.formats[0], spec.dayfirst
    ('%d/%m/%Y', True)
    >>> detect_date_format(pd.Series(["2024-03-01T10:00:00+01:00"])).kind
    'iso'
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return DateSpec("datetime", reason="typed datetime column", share=1.0)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _excel_spec(pd.to_numeric(values, errors="coerce").dropna(), strict_numbers)
    if values.dtype == object:
        head = values.dropna().head(2000)
        typed = head.map(lambda v: isinstance(v, (_dt.datetime, _dt.date)))
        if len(head) and typed.any():
            # Excel: date cells, perhaps mixed with serial numbers and text dates
            spec = DateSpec("datetime", reason="date cells (with serial numbers / text dates)")
            parsed, _ = parse_dates(head, spec, tz="UTC")
            spec.share = float(parsed.notna().mean())
            return spec
    sample = _sample_values(values)
    if sample.empty:
        return None
    iso = float(sample.str.match(_ISO).mean())
    if iso >= 0.5:
        parsed = pd.to_datetime(sample, format="ISO8601", errors="coerce", utc=True)
        return DateSpec("iso", ("ISO8601",), reason="ISO 8601", share=float(parsed.notna().mean()))
    nums = pd.to_numeric(sample, errors="coerce")
    if nums.notna().mean() >= 0.9:
        return _excel_spec(nums.dropna(), strict_numbers)
    shape = sample.str.extract(_SHAPE)
    ok = shape[0].notna()
    if ok.mean() < 0.5:
        return None
    shape = shape[ok]
    sep = shape[1].mode().iloc[0]
    shape = shape[shape[1] == sep]
    first, reason = _decide_dayfirst(values, dayfirst)
    formats = _formats_of(shape, sep, first)
    share = float(_parse_family(sample, formats).notna().mean())
    return DateSpec("format", formats, dayfirst=first, reason=reason, share=share)


def _excel_spec(nums: pd.Series, strict: bool) -> DateSpec | None:
    if nums.empty:
        return None
    lo, hi = EXCEL_SERIAL_RANGE
    inside = float(((nums >= lo) & (nums <= hi)).mean())
    if inside < 0.9 or (strict and not (nums != np.floor(nums)).any()):
        return None
    return DateSpec("excel", reason="numbers in the range of Excel serial dates", share=inside)


def _formats_of(shape: pd.Series, sep: str, dayfirst: bool) -> tuple[str, ...]:
    """The strftime formats of the sampled values (one date convention), most used first."""
    date = f"%d{sep}%m{sep}" if dayfirst else f"%m{sep}%d{sep}"
    year = np.where(shape[3].str.len() == 4, "%Y", "%y")
    time = np.where(
        shape[5].isna(),
        "",
        np.where(
            shape[7].isna(),
            "%H:%M",
            np.where(shape[8].isna(), "%H:%M:%S", "%H:%M:%S" + shape[8].fillna(".").astype(object) + "%f"),
        ),
    )
    fmts = pd.Series(date + year + shape[4].fillna("").astype(object).to_numpy() + time, dtype=object)
    return tuple(fmts.value_counts(sort=True).index)


def _parse_family(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """``values`` parsed with the first format, the rest tried in turn on what is left
    (the formats of one family differ only in time precision)."""
    out = pd.to_datetime(values, format=formats[0], errors="coerce")
    for fmt in formats[1:]:
        todo = out.isna() & values.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(values.where(todo), format=fmt, errors="coerce"))
    return out


def _decide_dayfirst(values: pd.Series, forced: bool | None) -> tuple[bool, str]:
    """Day-first or month-first from the whole column (vectorised)."""
    if forced is not None:
        return forced, f"{'day' if forced else 'month'}-first as passed (dayfirst={forced})"
    a, b, src = _leading_fields(values)
    day_proof = np.flatnonzero(a > 12)
    month_proof = np.flatnonzero(b > 12)
    if len(day_proof) and not len(month_proof):
        return True, f"day-first: the data proves it ({src[int(day_proof[0])].as_py()!r} has a day > 12)"
    if len(month_proof) and not len(day_proof):
        return False, f"month-first: the data proves it ({src[int(month_proof[0])].as_py()!r} has a day > 12)"
    if len(day_proof) and len(month_proof):
        first = len(day_proof) >= len(month_proof)
        return first, (
            f"conflicting: {len(day_proof):,} value(s) day-first, {len(month_proof):,} month-first; "
            f"read {'day' if first else 'month'}-first, the others are unparseable"
        )
    return True, "ambiguous (no day above 12): day-first assumed (Swiss convention)"


def _leading_fields(values: pd.Series) -> tuple[np.ndarray, np.ndarray, object]:
    """First two numbers of ``dd.mm.`` / ``mm/dd/`` values (vectorised with pyarrow; -1 if absent)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.dropna().astype("str"), type=pa.string())
    arr = pc.unique(pc.utf8_trim_whitespace(arr))
    m = pc.extract_regex(arr, r"^(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-]")
    out = []
    for field in ("a", "b"):
        f = pc.struct_field(m, field)
        out.append(pc.fill_null(pc.cast(f, pa.int32()), -1).to_numpy(zero_copy_only=False))
    return out[0], out[1], arr


def parse_dates(
    values: pd.Series,
    spec: DateSpec,
    *,
    tz: str | None = None,
    report: IngestReport | None = None,
    column: str = "",
) -> tuple[pd.Series, np.ndarray]:
    """Parse a column with ``spec`` -> (UTC times, mask of non-empty values that failed).

    Naive times are local in ``tz`` (default Europe/Zurich); values with an offset keep it.

    Examples
    --------
    >>> s = pd.Series(["05/01/2024 10:00", "13/01/2024 10:00", "31/02/2024 10:00", ""])
    >>> spec = detect_date_format(s)
    >>> times, bad = parse_dates(s, spec, tz="UTC")
    >>> times.dt.strftime("%m-%d").tolist()[:2], bad.tolist()
    (['01-05', '01-13'], [False, False, True, False])
    """
    values = values.reset_index(drop=True)
    kind = spec.kind
    present = values.notna().to_numpy()
    if kind == "datetime" and values.dtype == object:
        return _parse_mixed(values, tz, report, column)
    if kind == "datetime":
        parsed = to_utc(values, tz, report, column)
    elif kind == "excel":
        parsed = to_utc(_from_serial(pd.to_numeric(values, errors="coerce")), tz, report, column)
    else:
        text = values.astype("str").str.strip()
        text = text.where(values.notna() & (text != ""), None)
        present = text.notna().to_numpy()
        if kind == "iso":
            parsed = _parse_iso(text, tz, report, column)
        else:
            parsed = to_utc(_parse_family(text, spec.formats).astype("datetime64[us]"), tz, report, column)
    bad = present & parsed.isna().to_numpy()
    return parsed, bad


def _from_serial(nums: pd.Series) -> pd.Series:
    lo, hi = 0.0, 2958465.0  # what Excel can show
    nums = nums.where((nums >= lo) & (nums <= hi))
    return pd.to_datetime(nums * 86_400_000, unit="ms", origin="1899-12-30").dt.round("ms")


def _parse_iso(text: pd.Series, tz, report, column) -> pd.Series:
    try:  # one pass when all values are naive or all carry the same offset
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # mixed offsets, or values with and without offset
        parsed = None
    if parsed is not None:
        if getattr(parsed.dtype, "tz", None) is None:
            return to_utc(parsed.astype("datetime64[us]"), tz, report, column)
        return parsed.dt.tz_convert("UTC").astype(TS_DTYPE)
    has_offset = (
        text.str.contains(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", regex=True).fillna(False).to_numpy(dtype=bool)
    )
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], format="ISO8601", errors="coerce", utc=True)
        out[has_offset] = aware.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    if (~has_offset).any():
        naive = pd.to_datetime(text[~has_offset], format="ISO8601", errors="coerce").astype("datetime64[us]")
        out[~has_offset] = (
            to_utc(naive, tz, report, column).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        )
        if has_offset.any() and report is not None:
            report.warnings.append(
                f"column {column!r} mixes times with and without UTC offset; those without are read as {tz}"
            )
    return pd.Series(out, index=text.index).dt.tz_localize("UTC").astype(TS_DTYPE)


def _parse_mixed(values: pd.Series, tz, report, column) -> tuple[pd.Series, np.ndarray]:
    """Excel cells: datetimes, serial numbers and text in one column, each parsed by kind."""
    filled = values.notna().to_numpy(dtype=bool, copy=True)
    is_dt = values.map(lambda v: isinstance(v, (_dt.datetime, _dt.date))).to_numpy(dtype=bool, copy=True)
    is_num = values.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
    is_num = is_num.to_numpy(dtype=bool, copy=True) & filled
    is_text = filled & ~is_dt & ~is_num
    naive = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if is_dt.any():
        naive[is_dt] = pd.to_datetime(values[is_dt].astype(object), errors="coerce").astype("datetime64[us]")
    if is_num.any():
        naive[is_num] = _from_serial(pd.to_numeric(values[is_num], errors="coerce")).astype("datetime64[us]")
    parsed = to_utc(naive, tz, report, column)
    if is_text.any():
        text = values[is_text].astype("str").str.strip()
        blank = (text == "").to_numpy()
        is_text[np.flatnonzero(is_text)[blank]] = False
        spec = detect_date_format(text[~blank]) if (~blank).any() else None
        if spec is not None and spec.kind in ("iso", "format"):
            sub, _ = parse_dates(text[~blank], spec, tz=tz, report=report, column=column)
            parsed[np.flatnonzero(is_text)] = sub.to_numpy()
    bad = (is_dt | is_num | is_text) & parsed.isna().to_numpy()
    return parsed, bad
