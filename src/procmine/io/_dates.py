"""Date columns: one format for all rows of a column, day-first decided from the data.

:func:`detect_date_format` looks at the values and returns a :class:`DateSpec`;
:func:`parse_column` (and :func:`parse_dates`) parses the whole column with it,
vectorised (explicit ``format=`` strings, never pandas' per-row guessing, which would
read 05/01 as May and 13/01 as January in the same column). Naive times are local in
``tz`` and stored in UTC.

The families recognised, one per column:

- ISO 8601 with or without offset;
- ``dd.mm.yyyy``, ``dd/mm/yyyy``, ``dd-mm-yyyy`` with ``HH:MM[:SS[.ffffff]]`` and an
  optional ``AM``/``PM`` or ``Uhr`` (``09:00 Uhr``), or French hours (``09h00``,
  ``9 h 00``); month-first (``mm/dd/yyyy``) only when the data prove it (a second field
  above 12 and no first field above 12); columns that do not decide it are read
  day-first, the Swiss convention;
- ``yyyy/mm/dd`` and ``yyyy.mm.dd`` (always year, month, day), with or without time;
- month names in German, French, Italian and English, full or abbreviated, with or
  without dot, in any letter case: ``3. März 2024 14:05``, ``1er mars 2024``,
  ``1° marzo 2024``, ``03-Mar-2024``, ``1st March 2024``, ``Mar 3, 2024``. An abbreviation is any start of
  three or more letters of one month's name (``Sept``, ``janv.``, ``Mrz`` too);
- two-digit years (``03.05.24``, ``03-MAR-24``) as Python's ``%y``: 69-99 are
  1969-1999, 00-68 are 2000-2068;
- ``yyyymmdd`` and ``yyyymmddHHMMSS`` digits (SAP and other ERP exports), as text or
  numbers, only when nearly every value is a valid date of :func:`plausible_range`;
- Excel serial day numbers (in the 1904 date system too, see :func:`serial_origin`), and
  typed datetimes.

Times out of range are a different problem from text that is not a date:
:data:`TIME_BOUNDS` are the years 1678 to 2261, what pandas' nanosecond timestamps hold
(and hence what pm4py and most tools take). :func:`parse_column` reports times outside
them, and dates whose year no timestamp type holds (year 0, years beyond 9999), apart from
the unparseable ones, so that readers drop and count them under
:func:`out_of_range_reason`. Kept times before 2 January 1970 (1970-01-01 and 1900-01-01
are common placeholders) or more than ten years after reading are warned about.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core.notes import Note, note
from ..log import TS_DTYPE, IngestReport

#: the zone of naive times when the caller names none (the canton's)
DEFAULT_TZ = "Europe/Zurich"


def to_utc(values: pd.Series, tz: str | None, report: IngestReport | None = None, column: str = "") -> pd.Series:
    """Datetime series -> ``datetime64[us, UTC]``; naive values are local time in ``tz``.

    A naive time in the autumn's repeated hour is read as summer time and one in
    the spring's skipped hour is moved an hour later (02:30 -> 03:30, as a clock not yet
    put forward meant it; times in that hour keep their order); both are counted in the
    report.
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, errors="coerce")
        if values.dt.tz is None:
            zone = tz or DEFAULT_TZ
            localized = values.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            odd = localized.isna() & values.notna()
            if odd.any():
                if report is not None:
                    report.warnings.append(note(
                        "{n:,} naive time(s) in {column} fall in a "
                        "daylight-saving change of {zone}; read as summer time / moved an hour later",
                        n=int(odd.sum()), column=column or note("a date column"), zone=zone))
                localized = values.dt.tz_localize(
                    zone, ambiguous=np.ones(len(values), dtype=bool), nonexistent=pd.Timedelta(hours=1)
                )
            values = localized
    return values.dt.tz_convert("UTC").astype(TS_DTYPE)

__all__ = [
    "EXCEL_SERIAL_RANGE",
    "TIME_BOUNDS",
    "DateSpec",
    "ParsedDates",
    "detect_date_format",
    "known_formats",
    "not_dates_note",
    "out_of_range_reason",
    "parse_column",
    "parse_dates",
    "serial_origin",
]

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
# time of day after a date: separator, hours, minutes (after ":" or the French "h": 09h00,
# 9 h 00), optional seconds, fraction, AM/PM and the German "Uhr" (09:00 Uhr)
_TIME = (
    r"(?:(?P<tsep>T|\s+|,\s*)(?P<H>\d{1,2})(?P<hsep>:|\s?[hH]\s?)(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:(?P<fsep>[.,])(?P<f>\d{1,6}))?)?"
    r"(?:(?P<psep>\s*)(?P<p>[AaPp][Mm]))?(?:(?P<usep>\s*)(?P<u>[Uu]hr))?)?"
)
# patterns are plain strings without look-arounds or back-references: pandas may run
# them with RE2 (Arrow strings) or Python's re (object columns)
_DMY = r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})[./-](?P<y>\d{4}|\d{2})" + _TIME + "$"
_YMD = r"^(?P<y>\d{4})(?P<sep>[./])(?P<a>\d{1,2})[./](?P<b>\d{1,2})" + _TIME + "$"
# yyyymmdd, then HHMMSS digits or a time as above (a date column joined to its time column)
_COMPACT = r"^(?P<y>\d{4})(?P<sep>)(?P<a>\d{2})(?P<b>\d{2})(?P<hms>\d{6})?" + _TIME + "$"
# what a compact value must look like before a format reads it: pandas' %Y%m%d is lenient
# about the number of digits (2024114 would read as 4 November)
_COMPACT_GATE = r"^\d{8}(?:\d{6}|\D.*)?$"
_WORD = r"(?P<w>[A-Za-zÀ-ÿ]+)\.?"
_REST = r"(?P<rest>(?:T|\s|,).*)?$"
_NAME_DMY = (
    r"^(?P<d>\d{1,2})(?:\.|er|°|º|st|nd|rd|th)?[\s./-]*" + _WORD + r"[\s./-]*(?P<y>\d{4}|\d{2})" + _REST
)
_NAME_MDY = r"^" + _WORD + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _REST
EXCEL_SERIAL_RANGE = (20000.0, 80000.0)  # 1954-10-03 .. 2119-01-10
#: Unix times (UTC since 1970) per unit, in the range 2001-09-09 .. 2099-12-31: whole numbers
#: of these sizes in a time column are seconds, milliseconds or microseconds since 1970
EPOCH_RANGES = (("s", 1e9, 4.1e9), ("ms", 1e12, 4.1e12), ("us", 1e15, 4.1e15))
#: times a log may hold: [start, end) in UTC, the range of pandas' nanosecond timestamps
TIME_BOUNDS = (pd.Timestamp("1678-01-01", tz="UTC"), pd.Timestamp("2262-01-01", tz="UTC"))
_PLAUSIBLE_FROM = pd.Timestamp("1970-01-02", tz="UTC")
_PLAUSIBLE_YEARS_AHEAD = 10
# the first run of 4+ digits (the year in every family above) when no timestamp holds it
_BAD_YEAR = re.compile(r"^(\D*(?:\d{1,3}\D+)*)(?:\d{5,}|0000)(\D.*)?$")

# fmt: off
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("januar", "jänner", "janvier", "gennaio", "january"),
    2: ("februar", "feber", "février", "febbraio", "february"),
    3: ("märz", "mrz", "mars", "marzo", "march"),
    4: ("april", "avril", "aprile"),
    5: ("mai", "maggio", "may"),
    6: ("juni", "juin", "giugno", "june"),
    7: ("juli", "juillet", "luglio", "july"),
    8: ("august", "août", "agosto"),
    9: ("september", "septembre", "settembre"),
    10: ("oktober", "octobre", "ottobre", "october"),
    11: ("november", "novembre"),
    12: ("dezember", "décembre", "dicembre", "december"),
}
# fmt: on


def _fold(word: str) -> str:
    """Lower case without accents or dots: ``"Févr."`` -> ``"fevr"``."""
    s = unicodedata.normalize("NFKD", word.casefold().replace(".", ""))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def _month_words() -> dict[str, int]:
    """Folded month word -> month: full names and every start of 3+ letters that belongs
    to one month only (``"jui"`` could be juin or juillet and is left out)."""
    seen: dict[str, set[int]] = {}
    for month, names in _MONTH_NAMES.items():
        for name in names:
            folded = _fold(name)
            for k in range(3, len(folded) + 1):
                seen.setdefault(folded[:k], set()).add(month)
    return {w: next(iter(m)) for w, m in seen.items() if len(m) == 1}


_MONTH_WORDS = _month_words()


@dataclass
class DateSpec:
    """How a date column is parsed: one format (or ISO 8601 / Excel serials) for all rows.

    ``kind`` is ``"datetime"`` (already typed), ``"iso"``, ``"format"`` (``formats[0]``
    for all rows; the others only differ in time precision; ``order`` ``"compact"`` for
    ``yyyymmdd[HHMMSS]`` digits), ``"names"`` (month names, ``order`` ``"dmy"`` or
    ``"mdy"``; ``formats`` are those of the values rewritten as ``d.m.yyyy``) or
    ``"excel"`` (serial days since 1899-12-30, or the day :func:`serial_origin` sets).
    ``share`` is the part of the sampled values it parses.
    """

    kind: str
    formats: tuple[str, ...] = ()
    dayfirst: bool | None = None
    reason: str = ""  #: why the format was chosen (a :class:`~procmine._core.notes.Note`)
    share: float = 1.0
    order: str = ""

    def describe(self) -> str:
        if self.kind == "format":
            return " | ".join(self.formats)
        if self.kind == "names":
            shape = note("day month-name year") if self.order == "dmy" else note("month-name day, year")
            return note("{shape} (month names de/fr/it/en), read as {formats}", shape=shape,
                        formats=" | ".join(self.formats))
        if self.kind == "epoch":
            return note("Unix time in {unit} (UTC)", unit=self.formats[0])
        if self.kind == "excel" and _serial_origin().year == 1904:
            return note("Excel serial days (1904 date system)")
        return {"datetime": note("typed datetimes"), "iso": "ISO 8601", "excel": note("Excel serial days")}[self.kind]


def _sample_values(s: pd.Series, n: int = 1000) -> pd.Series:
    """Distinct non-blank stripped strings from the start and the end of the column."""
    s = s.dropna()
    if len(s) > 4 * n:
        s = pd.concat([s.iloc[: 2 * n], s.iloc[-2 * n :]])
    s = s.astype("str").str.strip()
    s = s[s != ""].drop_duplicates()
    return s.head(n)


def detect_date_format(
    values: pd.Series, *, dayfirst: bool | None = None, strict_numbers: bool = False, _others: bool = True
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
        Accept Excel serial numbers only if their fractions are times of day, and
        ``yyyymmdd`` digits only with a time (content-based detection, where whole
        numbers are more likely ids and decimal ones amounts).

    Examples
    --------
    >>> s = pd.Series(["05/01/2024", "13/01/2024"])
    >>> spec = detect_date_format(s)
    >>> spec.formats[0], spec.dayfirst
    ('%d/%m/%Y', True)
    >>> detect_date_format(pd.Series(["2024-03-01T10:00:00+01:00"])).kind
    'iso'
    >>> detect_date_format(pd.Series([20241104, 20241105])).formats
    ('%Y%m%d',)
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return DateSpec("datetime", reason=note("typed datetime column"), share=1.0)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _number_spec(pd.to_numeric(values, errors="coerce").dropna(), strict_numbers)
    if values.dtype == object:
        head = values.dropna().head(2000)
        typed = head.map(lambda v: isinstance(v, (_dt.datetime, _dt.date)))
        if len(head) and typed.any():
            # Excel: date cells, perhaps mixed with serial numbers and text dates
            spec = DateSpec("datetime", reason=note("date cells (with serial numbers / text dates)"))
            parsed, _ = parse_dates(head, spec, tz="UTC")
            spec.share = float(parsed.notna().mean())
            return spec
    sample = _sample_values(values)
    if sample.empty:
        return None
    iso = float(sample.str.match(_ISO).mean())
    if iso >= 0.5:
        spec = DateSpec("iso", ("ISO8601",), reason="ISO 8601")
    elif (compact := _compact_spec(sample, strict_numbers)) is not None:
        spec = compact
    else:
        nums = pd.to_numeric(sample, errors="coerce")
        if nums.notna().mean() >= 0.9:
            return _excel_spec(nums.dropna(), strict_numbers)
        spec = _text_spec(sample, values, dayfirst)
        if spec is None and _others:
            # no format holds half of the values: several may together (exports merged from
            # systems that write dates differently); the most used one leads
            floor = 1 / MAX_FORMATS
            spec = _text_spec(sample, values, dayfirst, floor=floor)
            if iso >= floor and (spec is None or iso >= float(_sample_parsed(sample, spec).mean())):
                spec = DateSpec("iso", ("ISO8601",), reason="ISO 8601")
            if spec is not None:
                spec = _with_other_formats(sample, spec, dayfirst)
                return spec if spec.share >= 0.5 else None
        if spec is None:
            return None
    return _with_other_formats(sample, spec, dayfirst) if _others else _measured(sample, spec)


def _measured(sample: pd.Series, spec: DateSpec) -> DateSpec:
    """``spec`` with its share: the part of the sampled values it parses."""
    spec.share = float(_sample_parsed(sample, spec).mean())
    return spec


def _with_other_formats(sample: pd.Series, spec: DateSpec, dayfirst: bool | None) -> DateSpec:
    """``spec`` with its share counting the sampled values in other formats too, as
    :func:`parse_column` reads them (see :func:`_other_formats`)."""
    ok = _sample_parsed(sample, spec)
    used = [spec]
    while not ok.all() and len(used) < MAX_FORMATS:
        other = _another_format(sample[~ok], used, dayfirst)
        if other is None:
            break
        hit = _sample_parsed(sample[~ok], other)
        if not hit.any():
            break
        ok[np.flatnonzero(~ok)[hit]] = True
        used.append(other)
    spec.share = float(ok.mean())
    return spec


#: the kinds of date columns written as text (see :class:`DateSpec`)
_TEXT_KINDS = ("iso", "format", "names")


def _sample_parsed(sample: pd.Series, spec: DateSpec) -> np.ndarray:
    """Which of the sampled (stripped, non-blank) text values ``spec`` parses."""
    if spec.kind == "iso":
        parsed = pd.to_datetime(sample, format="ISO8601", errors="coerce", utc=True)
    else:
        parsed = _parse_text(sample, spec)
    return parsed.notna().to_numpy(dtype=bool, copy=True)


def _text_spec(sample: pd.Series, values: pd.Series, dayfirst: bool | None, floor: float = 0.5) -> DateSpec | None:
    """Numeric day/month/year (either order, or year first), else month names: the shape
    at least ``floor`` of the sampled values have."""
    dmy = sample.str.extract(_DMY)
    ymd = sample.str.extract(_YMD)
    n_dmy, n_ymd = float(dmy["a"].notna().mean()), float(ymd["a"].notna().mean())
    if max(n_dmy, n_ymd) >= floor:
        if n_ymd > n_dmy:
            shape, first, order, reason = ymd[ymd["a"].notna()], None, "ymd", note("year, month, day")
        else:
            shape = dmy[dmy["a"].notna()]
            first, reason = _decide_dayfirst(values, dayfirst)
            order = "dmy" if first else "mdy"
        sep = shape["sep"].mode().iloc[0]
        formats = _formats_of(shape[shape["sep"] == sep], order, sep)
        # (the share parsed: measured by the caller, with the values in other formats)
        return DateSpec("format", formats, dayfirst=first, reason=reason, order=order)
    best = None
    for order in ("dmy", "mdy"):
        numeric = _names_numeric(sample, order)
        hit = float(numeric.notna().mean())
        if hit >= floor and (best is None or hit > best[0]):
            best = (hit, order, numeric)
    if best is None:
        return None
    _, order, numeric = best
    shape = numeric.dropna().str.extract(_DMY)
    shape = shape[shape["a"].notna()]
    if shape.empty:
        return None
    formats = _formats_of(shape, "dmy", ".")
    reason = note("month names, day before month") if order == "dmy" else note("month names, month before day")
    return DateSpec("names", formats, reason=reason, order=order)


def _names_numeric(text: pd.Series, order: str) -> pd.Series:
    """Dates with month names rewritten as ``d.m.yyyy`` plus their time (None if not one).

    Vectorised with pyarrow (RE2); the month words are mapped once per distinct word
    (a handful per column), not per row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text, type=pa.string(), from_pandas=True)
    m = pc.extract_regex(arr, _NAME_DMY if order == "dmy" else _NAME_MDY)
    words = pc.dictionary_encode(pc.struct_field(m, "w"))
    if isinstance(words, pa.ChunkedArray):
        words = words.combine_chunks()
    lookup = [_MONTH_WORDS.get(_fold(w), 0) for w in words.dictionary.to_pylist()]
    names = pa.array([str(k) if k else None for k in lookup], type=pa.string())
    month = pc.take(names, words.indices)
    date = pc.binary_join_element_wise(pc.struct_field(m, "d"), month, pc.struct_field(m, "y"), ".")
    out = pc.binary_join_element_wise(date, pc.fill_null(pc.struct_field(m, "rest"), ""), "")
    return pd.Series(pd.arrays.ArrowStringArray(out), index=text.index, dtype="str")


def _number_spec(nums: pd.Series, strict: bool) -> DateSpec | None:
    """Numbers as dates: ``yyyymmdd[HHMMSS]`` digits, else Excel serial days or Unix times
    (see :func:`_excel_spec`; the ranges do not overlap)."""
    if nums.empty:
        return None
    eight = (nums >= 1e7) & (nums < 1e8)
    fourteen = (nums >= 1e13) & (nums < 1e14)
    if float((eight | fourteen).mean()) >= 0.9:
        head_tail = nums if len(nums) <= 4000 else pd.concat([nums.iloc[:2000], nums.iloc[-2000:]])
        return _compact_spec(_sample_values(_digits(head_tail)), strict)
    return _excel_spec(nums, strict)


def _digits(values: pd.Series) -> pd.Series:
    """Whole numbers as their digits (``20241104.0`` -> ``"20241104"``: a column of numbers
    with blanks is float), other values as text; missing values stay missing."""
    nums = pd.to_numeric(values, errors="coerce")
    whole = ((nums == np.floor(nums)) & (nums.abs() < 1e15)).to_numpy(dtype=bool)
    out = values.astype("str").astype(object)
    out[whole] = nums[whole].astype("int64").astype("str").to_numpy(dtype=object)
    return out.where(values.notna(), None)


def _compact_spec(sample: pd.Series, strict: bool) -> DateSpec | None:
    """``yyyymmdd`` / ``yyyymmddHHMMSS`` (SAP and other ERP exports), perhaps with a time
    joined after a space; ``sample`` holds stripped distinct strings.

    Eight digits are as often an id as a date: taken only when nearly every value (0.9, as
    for Excel serials) is a valid calendar date, with a valid time if any, in
    :func:`plausible_range`, which running numbers (20240001, 20241299...) and random ids
    are not. In content detection (``strict``) only when nearly every value carries a time
    and some not midnight, as Excel serials must there (a time makes an id unlikely).
    """
    if sample.empty:
        return None
    shape = sample.str.extract(_COMPACT)
    hit = shape["y"].notna()
    if float(hit.mean()) < 0.9:
        return None
    shape = shape[hit]
    spec = DateSpec("format", _formats_of(shape, "ymd", ""), order="compact",
                    reason=note("year, month, day as digits without separators (yyyymmdd)"))
    times = _parse_text(sample, spec)
    first, last = (t.tz_localize(None) for t in plausible_range())
    if float(((times >= first) & (times <= last)).mean()) < 0.9:
        return None
    if strict:
        timed = shape["hms"].notna() | shape["H"].notna()
        if float(timed.mean()) < 0.9 or not (times.notna() & (times != times.dt.normalize())).any():
            return None
    spec.share = float(times.notna().mean())
    return spec


def _excel_spec(nums: pd.Series, strict: bool) -> DateSpec | None:
    """Numbers as dates: Excel serial days, or (not in content detection, ``strict``: whole
    numbers of ten or thirteen digits are as likely ids there) Unix times. In content
    detection serial days must carry times of day (see :func:`_times_of_day`)."""
    if nums.empty:
        return None
    lo, hi = EXCEL_SERIAL_RANGE
    inside = float(((nums >= lo) & (nums <= hi)).mean())
    frac = nums - np.floor(nums)
    whole = not (frac != 0).any()
    if inside >= 0.9 and not (strict and not _times_of_day(frac[frac != 0])):
        return DateSpec("excel", reason=note("numbers in the range of Excel serial dates"), share=inside)
    if strict or not whole:
        return None
    for unit, e_lo, e_hi in EPOCH_RANGES:
        share = float(((nums >= e_lo) & (nums <= e_hi)).mean())
        if share >= 0.9:
            return DateSpec("epoch", (unit,), reason=note("whole numbers in the range of Unix times in {unit}", unit=unit),
                            share=share)
    return None


def _times_of_day(frac: pd.Series) -> bool:
    """Whether the fractions of numbers (whole ones left out) are times of day, as in
    Excel serial date-times, and not the decimals of amounts: CHF 23456.78 is also a day
    of 1964 in Excel's range, and a column of amounts must not become a start time.

    An exported time is a whole number of seconds (or, written to five decimals, of
    minutes): ``frac * 86400`` is whole. That alone does not tell amounts apart: every
    multiple of 0.01 is a whole number of seconds (0.01 day = 864 s). What does is that an
    amount has at most two decimals, always, while a clock time is a multiple of 0.01 day
    only every 14 min 24 s: 100 of the 86,400 seconds of a day, 3 of the 23 whole hours
    after midnight. So: nearly all fractions (0.9) are clock times, and fewer than half are
    multiples of 0.01. No fraction at all (whole days) is no time of day.

    Examples
    --------
    >>> _times_of_day(pd.Series([0.375, 0.5416666667, 0.6875]))  # 09:00, 13:00, 16:30
    True
    >>> _times_of_day(pd.Series([0.78, 0.05, 0.4, 0.25]))  # Rappen
    False
    """
    if frac.empty:
        return False
    secs, mins, cents = frac * 86_400, frac * 1_440, frac * 100
    clock = ((secs - secs.round()).abs() < 0.05) | ((mins - mins.round()).abs() < 0.01)
    money = (cents - cents.round()).abs() < 1e-6
    return float(clock.mean()) >= 0.9 and float(money.mean()) < 0.5


def known_formats() -> Note:
    """The date formats read, for messages that ask to convert a column."""
    return note("ISO 8601, dd.mm.yyyy HH:MM[:SS] (also 09:00 Uhr, 09h00), dd/mm/yyyy, yyyy/mm/dd, "
                "yyyymmdd[HHMMSS], 3. März 2024 / 3 mars 2024, Excel serial days, Unix seconds or milliseconds")


def not_dates_note(values: pd.Series, column: str, role: str, spec: DateSpec | None = None) -> Note:
    """Why a column named like a time is ignored: one or two of its values that are not
    dates, quoted, and the formats read, so that the user sees what to convert.

    ``spec`` is what :func:`detect_date_format` found for ``values`` (None, or a format
    that reads too few of them: the values quoted are among those it does not read).

    Examples
    --------
    >>> not_dates_note(pd.Series(["Q1/2024", "Q2/2024"]), "Datum", "timestamp").split("; ")[0]
    "column 'Datum' is named like a timestamp but its values are not dates ('Q1/2024', 'Q2/2024' cannot be read)"
    """
    sample = _sample_values(values, n=200)
    if not sample.empty:
        if spec is not None and spec.kind in _TEXT_KINDS:
            read = _sample_parsed(sample, spec)
        else:  # (no format reads half of them) the values of no date shape first
            read = np.zeros(len(sample), dtype=bool)
            for shape in (_ISO, _DMY, _YMD, _COMPACT):
                read |= sample.str.match(shape).fillna(False).to_numpy(dtype=bool)
            read |= _names_numeric(sample, "dmy").notna().to_numpy(dtype=bool)
        unread = sample[~read]
        sample = unread if not unread.empty else sample
    quoted = [v if len(v) <= 40 else v[:39] + "…" for v in sample.head(2).tolist()] or [""]  # ('': all blank)
    return note("column {column!r} is named like a {role} but its values are not dates ({values} cannot be "
                "read); ignored. Dates are read as {formats}: convert the column to one of them",
                column=column, role=role, values=", ".join(map(repr, quoted)), formats=known_formats())


def _formats_of(shape: pd.DataFrame, order: str, sep: str) -> tuple[str, ...]:
    """The strftime formats of the sampled values (one date convention), most used first."""

    def const(text: str) -> pd.Series:
        return pd.Series(text, index=shape.index, dtype=object)

    def field(name: str) -> pd.Series:
        return shape[name].astype(object)

    year = const("%Y").where(field("y").str.len() == 4, "%y")
    if order == "ymd":
        date = year + f"{sep}%m{sep}%d"
    else:
        date = (f"%d{sep}%m{sep}" if order == "dmy" else f"%m{sep}%d{sep}") + year
    ampm = field("p").notna()
    hour = const("%I").where(ampm, "%H")
    secs = const("").where(
        field("S").isna(), const(":%S").where(field("f").isna(), ":%S" + field("fsep").fillna(".") + "%f")
    )
    suffix = const("").where(~ampm, field("psep").fillna("") + "%p")
    suffix = suffix + (field("usep").fillna("") + field("u")).fillna("")  # "Uhr" as written
    time = field("tsep").fillna("") + hour + field("hsep") + "%M" + secs + suffix
    fmts = date + time.where(field("H").notna(), "")
    if "hms" in shape:  # yyyymmddHHMMSS
        fmts = fmts.where(field("hms").isna(), date + "%H%M%S")
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


def _decide_dayfirst(values: pd.Series, forced: bool | None) -> tuple[bool, Note]:
    """Day-first or month-first from the whole column (vectorised)."""
    if forced is not None:
        return forced, (note("day-first as passed (dayfirst=True)") if forced
                        else note("month-first as passed (dayfirst=False)"))
    a, b, src = _leading_fields(values)
    day_proof = np.flatnonzero(a > 12)
    month_proof = np.flatnonzero(b > 12)
    if len(day_proof) and not len(month_proof):
        return True, note("day-first: the data proves it ({value!r} has a day > 12)",
                          value=src[int(day_proof[0])].as_py())
    if len(month_proof) and not len(day_proof):
        return False, note("month-first: the data proves it ({value!r} has a day > 12)",
                           value=src[int(month_proof[0])].as_py())
    if len(day_proof) and len(month_proof):
        first = len(day_proof) >= len(month_proof)
        if first:
            return True, note("conflicting: {day:,} value(s) day-first, {month:,} month-first; read day-first, "
                              "the others are unparseable", day=len(day_proof), month=len(month_proof))
        return False, note("conflicting: {day:,} value(s) day-first, {month:,} month-first; read month-first, "
                           "the others are unparseable", day=len(day_proof), month=len(month_proof))
    return True, note("ambiguous (no day above 12): day-first assumed (Swiss convention)")


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


@dataclass
class ParsedDates:
    """A date column parsed by :func:`parse_column`.

    ``times`` are ``datetime64[us, UTC]`` (NaT where empty, unparseable or out of range);
    ``bad`` marks non-empty values that are not dates in the column's format,
    ``out_of_range`` dates outside :data:`TIME_BOUNDS` (year 1, 9999-12-31, 99999...).
    """

    times: pd.Series
    bad: np.ndarray
    out_of_range: np.ndarray


def out_of_range_reason(column: str) -> Note:
    """The drop reason of rows whose time in ``column`` is outside :data:`TIME_BOUNDS`.

    Examples
    --------
    >>> out_of_range_reason("Datum")
    "timestamp out of range (years 1678-2261) in 'Datum'"
    """
    lo, hi = TIME_BOUNDS
    # (the years as text: a year is not grouped like a count, 1678 not 1’678)
    return note("timestamp out of range (years {lo}-{hi}) in {column!r}", lo=str(lo.year), hi=str(hi.year - 1),
                column=column)


def parse_column(
    values: pd.Series,
    spec: DateSpec,
    *,
    tz: str | None = None,
    report: IngestReport | None = None,
    column: str = "",
    _warn_range: bool = True,
) -> ParsedDates:
    """Parse a column with ``spec``; unparseable and out-of-range values told apart.

    Naive times are local in ``tz`` (default Europe/Zurich); values with an offset keep it.
    Kept times before 2 January 1970 or more than ten years ahead add a warning to
    ``report`` (they are often placeholders).

    Examples
    --------
    >>> s = pd.Series(["03.01.2024 10:00", "31.02.2024 10:00", "01.01.0001 00:00", "01.01.99999 00:00"])
    >>> got = parse_column(s, detect_date_format(s), tz="UTC")
    >>> got.times[0].year, got.bad.tolist(), got.out_of_range.tolist()
    (2024, [False, True, False, False], [False, False, True, True])
    """
    values = values.reset_index(drop=True)
    kind = spec.kind
    text = None
    if kind == "datetime" and values.dtype == TS_DTYPE:
        typed = _typed_in_range(values, report if _warn_range else None, column)
        if typed is not None:
            return typed
    if kind == "datetime" and values.dtype == object:
        parsed, bad = _parse_mixed(values, tz, report, column)
    elif kind in ("datetime", "excel", "epoch"):
        present = values.notna().to_numpy()
        if kind == "datetime":
            parsed = to_utc(values, tz, report, column)
        elif kind == "epoch":  # UTC by definition: no local zone applies
            parsed = _from_epoch(pd.to_numeric(values, errors="coerce"), spec.formats[0])
        else:
            parsed = to_utc(_from_serial(pd.to_numeric(values, errors="coerce")), tz, report, column)
        bad = present & parsed.isna().to_numpy()
    else:
        if spec.order == "compact" and pd.api.types.is_numeric_dtype(values.dtype):
            values = _digits(values)  # 20241104.0 (a float column with blanks) -> "20241104"
        text = values.astype("str").str.strip()
        text = text.where(values.notna() & (text != ""), None)
        present = text.notna().to_numpy()
        if kind == "iso":
            parsed = _parse_iso(text, tz, report, column)
        else:
            parsed = to_utc(_parse_text(text, spec).astype("datetime64[us]"), tz, report, column)
        bad = present & parsed.isna().to_numpy()
        if bad.any():
            parsed, bad = _other_formats(text, parsed, bad, spec, tz, report, column)
    lo, hi = TIME_BOUNDS
    out = ((parsed < lo) | (parsed >= hi)).fillna(False).to_numpy(dtype=bool, copy=True)
    bad = np.array(bad, dtype=bool)  # writable: pandas may hand out read-only views
    if out.any():
        parsed = parsed.where(~out)
    if bad.any():
        hit = _unrepresentable(values, text, bad, spec)
        out |= hit
        bad &= ~hit
    if report is not None and _warn_range:  # once per column, not per part of a mixed column
        _warn_implausible(parsed, report, column)
    return ParsedDates(parsed, bad, out)


#: date formats one text column may hold (exports merged from systems that write dates
#: differently); values in none of them are unparseable
MAX_FORMATS = 3


def _other_formats(text, parsed, bad, spec, tz, report, column) -> tuple[pd.Series, np.ndarray]:
    """The values the column's format does not read, read in a format of their own when
    most of them share one: exports merged from two systems mix e.g. ISO 8601 and
    ``dd.mm.yyyy`` dates, and dropping either half loses cases that have both.

    Not when the two are day/month numbers with the same separator in the other order
    (``05/03/2024`` beside ``03/14/2024``): there the order of an ambiguous value cannot be
    known, and the values that contradict the column's order stay unparseable (see
    :func:`_decide_dayfirst`). Each format taken adds a warning naming it and its rows.
    """
    used = [spec]
    bad = bad.copy()
    while bad.any() and len(used) < MAX_FORMATS:
        rest = text[bad]
        other = _another_format(rest, used)
        if other is None:
            break
        if other.kind == "iso":
            times = _parse_iso(rest, tz, report, column)
        else:
            times = to_utc(_parse_text(rest, other).astype("datetime64[us]"), tz, report, column)
        ok = times.notna().to_numpy()
        if not ok.any():
            break
        rows = np.flatnonzero(bad)[ok]
        parsed = parsed.copy()
        parsed.iloc[rows] = times[ok].to_numpy()
        bad[rows] = False
        used.append(other)
        if report is not None:
            report.warnings.append(note(
                "column {column!r} also holds dates as {format} ({n:,} row(s)), read as written",
                column=column, format=other.describe(), n=len(rows)))
            if other.reason.startswith("ambiguous"):
                report.warnings.append(note("column {column!r}: {reason}", column=column, reason=other.reason))
    return parsed, bad


def _another_format(values: pd.Series, used: list[DateSpec], dayfirst: bool | None = None) -> DateSpec | None:
    """The format of ``values`` (what the formats ``used`` leave of a column) that may join
    them: a text format that parses at least half of them and is not the other day/month
    order, with the same separator, of one already used (see :func:`_orders_clash`)."""
    other = detect_date_format(values, dayfirst=dayfirst, _others=False)
    if other is None or other.kind not in _TEXT_KINDS or other.share < 0.5:
        return None
    return None if any(_orders_clash(other, u) for u in used) else other


def _orders_clash(a: DateSpec, b: DateSpec) -> bool:
    """Day-first and month-first numbers with the same separator (``%d/%m/%Y``, ``%m/%d/%Y``)."""
    if a.kind != "format" or b.kind != "format" or {a.order, b.order} != {"dmy", "mdy"}:
        return False
    return a.formats[0][2] == b.formats[0][2]


def parse_dates(
    values: pd.Series,
    spec: DateSpec,
    *,
    tz: str | None = None,
    report: IngestReport | None = None,
    column: str = "",
) -> tuple[pd.Series, np.ndarray]:
    """Parse a column with ``spec`` -> (UTC times, mask of non-empty values that failed).

    Like :func:`parse_column`, with the times out of range counted among the failures.

    Examples
    --------
    >>> s = pd.Series(["05/01/2024 10:00", "13/01/2024 10:00", "31/02/2024 10:00", ""])
    >>> spec = detect_date_format(s)
    >>> times, bad = parse_dates(s, spec, tz="UTC")
    >>> times.dt.strftime("%m-%d").tolist()[:2], bad.tolist()
    (['01-05', '01-13'], [False, False, True, False])
    >>> s = pd.Series(["3. März 2024 14:05", "12. Okt. 2024 09:30"])
    >>> parse_dates(s, detect_date_format(s))[0].dt.strftime("%d.%m. %H:%M").tolist()  # UTC
    ['03.03. 13:05', '12.10. 07:30']
    """
    got = parse_column(values, spec, tz=tz, report=report, column=column)
    return got.times, got.bad | got.out_of_range


def _parse_text(text: pd.Series, spec: DateSpec) -> pd.Series:
    """Naive times of a ``format`` or ``names`` column."""
    if spec.kind == "names":
        text = _names_numeric(text, spec.order)
    elif spec.order == "compact":
        text = text.where(text.str.match(_COMPACT_GATE).fillna(False).astype(bool))
    return _parse_family(text, spec.formats)


def _from_epoch(nums: pd.Series, unit: str) -> pd.Series:
    """Unix times (``unit`` since 1970-01-01 UTC) as UTC times; values outside
    :data:`EPOCH_RANGES`' unit range are NaT (unparseable), not a date of 1970 or 2500."""
    lo, hi = next((a, b) for u, a, b in EPOCH_RANGES if u == unit)
    ok = (nums >= lo) & (nums <= hi) & (nums == np.floor(nums))
    ints = nums.where(ok).astype("Int64")
    return pd.to_datetime(ints, unit=unit, utc=True).astype(TS_DTYPE)


def _unrepresentable(
    values: pd.Series, text: pd.Series | None, bad: np.ndarray, spec: DateSpec
) -> np.ndarray:
    """Failed values that are dates in the column's format but for a year no timestamp
    holds (0, or five digits and more): they parse once that year is replaced by 2000."""
    out = np.zeros(len(bad), dtype=bool)
    idx = np.flatnonzero(bad)
    if spec.kind == "excel":
        nums = pd.to_numeric(values.iloc[idx], errors="coerce")
        out[idx] = nums.notna().to_numpy()  # a number, but not a day Excel can show
        return out
    if text is None or spec.kind not in ("iso", "format", "names"):
        return out
    failed = text.iloc[idx].astype(object)
    fixed = failed.str.replace(_BAD_YEAR, r"\g<1>2000\g<2>", regex=True)
    changed = (fixed != failed).to_numpy(dtype=bool)
    if changed.any():
        again = parse_column(fixed[changed], spec, tz="UTC").times
        out[idx[changed]] = again.notna().to_numpy()
    return out


def plausible_range() -> tuple[pd.Timestamp, pd.Timestamp]:
    """Times outside are kept but warned about: before 2 January 1970 (1970-01-01 and
    1900-01-01 are common placeholders) or more than ten years after now."""
    return _PLAUSIBLE_FROM, pd.Timestamp.now(tz="UTC") + pd.DateOffset(years=_PLAUSIBLE_YEARS_AHEAD)


def implausible_warning(n: int, column: str) -> Note:
    return note(
        "{n:,} time(s) in {column} lie before 2 January 1970 or more than "
        "{years} years ahead (placeholders such as 01.01.1900?); kept",
        n=n, column=repr(column) if column else note("a date column"), years=_PLAUSIBLE_YEARS_AHEAD)


def _typed_in_range(values: pd.Series, report: IngestReport | None, column: str) -> ParsedDates | None:
    """Times already ``datetime64[us, UTC]`` (Parquet, frames) and all in range: nothing to
    parse, drop or copy; the range is checked on the minimum and maximum only (two passes
    over the integers instead of four comparisons of whole columns). None when some time
    lies outside :data:`TIME_BOUNDS` (the general path marks them)."""
    ints = values.array.asi8
    present = ints != np.iinfo(np.int64).min  # NaT
    if not present.any():
        return None
    got = ints if present.all() else ints[present]
    first, last = int(got.min()), int(got.max())
    lo, hi = (t.value // 1000 for t in TIME_BOUNDS)  # ns -> us (the column's unit)
    if first < lo or last >= hi:
        return None
    if report is not None:
        p_lo, p_hi = (t.value // 1000 for t in plausible_range())
        if first < p_lo or last > p_hi:
            odd = int(np.count_nonzero((got < p_lo) | (got > p_hi)))
            report.warnings.append(implausible_warning(odd, column))
    none = np.zeros(len(values), dtype=bool)
    return ParsedDates(values, none, none.copy())


def _warn_implausible(parsed: pd.Series, report: IngestReport, column: str) -> None:
    first, last = plausible_range()
    odd = int(((parsed < first) | (parsed > last)).sum())
    if odd:
        report.warnings.append(implausible_warning(odd, column))


#: the day of Excel's serial 0: 1899-12-30 in the 1900 date system, 1904-01-01 in a
#: workbook of the 1904 system (old Mac Excel); see :func:`serial_origin`
_SERIAL_ORIGIN: ContextVar[pd.Timestamp | None] = ContextVar("serial_origin", default=None)
_EXCEL_1900 = pd.Timestamp("1899-12-30")


def _serial_origin() -> pd.Timestamp:
    return _SERIAL_ORIGIN.get() or _EXCEL_1900


@contextmanager
def serial_origin(day: _dt.datetime | pd.Timestamp | None) -> Iterator[None]:
    """Read Excel serial numbers as days since ``day`` within the block (the workbook's
    ``epoch``: openpyxl gives 1904-01-01 for the 1904 date system); None keeps 1899-12-30.

    Examples
    --------
    >>> _from_serial(pd.Series([45600.375])).dt.strftime("%Y-%m-%d %H:%M").tolist()
    ['2024-11-04 09:00']
    >>> with serial_origin(_dt.datetime(1904, 1, 1)):  # 4 years and a day fewer
    ...     _from_serial(pd.Series([44138.375])).dt.strftime("%Y-%m-%d %H:%M").tolist()
    ['2024-11-04 09:00']
    """
    token = _SERIAL_ORIGIN.set(pd.Timestamp(day) if day is not None else _serial_origin())
    try:
        yield
    finally:
        _SERIAL_ORIGIN.reset(token)


def _from_serial(nums: pd.Series) -> pd.Series:
    lo, hi = 0.0, 2958465.0  # what Excel can show
    nums = nums.where((nums >= lo) & (nums <= hi))
    return pd.to_datetime(nums * 86_400_000, unit="ms", origin=_serial_origin()).dt.round("ms")


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
            report.warnings.append(note(
                "column {column!r} mixes times with and without UTC offset; those without are read as {tz}",
                column=column, tz=tz or DEFAULT_TZ))  # the zone to_utc used
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
        if spec is not None and spec.kind in ("iso", "format", "names"):
            sub = parse_column(text[~blank], spec, tz=tz, report=report, column=column, _warn_range=False)
            parsed[np.flatnonzero(is_text)] = sub.times.to_numpy()
    bad = (is_dt | is_num | is_text) & parsed.isna().to_numpy()
    return parsed, bad
