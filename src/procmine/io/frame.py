"""The core every tabular reader shares: roles, timestamps and canonical columns.

:func:`read_frame` takes a frame as read from a CSV, Excel or Parquet file (or given by
the user), finds the column roles (explicit arguments win, then headers, then content),
parses each date column with one format for all its rows, renames the role columns to
the canonical names and hands the result to :func:`procmine.io._common.finalize`.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LogError
from ..log import ROLE_COLUMNS, TS_DTYPE, EventLog, IngestReport
from ._common import DEFAULT_TZ, UNPARSEABLE_TS, ReadOptions, finalize, to_utc
from .detect import DateSpec, detect_date_format, detect_roles

__all__ = ["parse_dates", "read_frame"]

REQUIRED = ("case", "activity", "timestamp")
SAMPLE_ROWS = 50_000  # rows detect_roles looks at


def read_frame(
    df: pd.DataFrame,
    opts: ReadOptions | None = None,
    *,
    source: str = "<DataFrame>",
    fmt: str = "dataframe",
    report: IngestReport | None = None,
    row_numbers: np.ndarray | None = None,
    numbers: bool = False,
) -> EventLog:
    """Build an :class:`EventLog` from a frame in the user's own columns.

    Parameters
    ----------
    df
        One row per event; not modified.
    opts
        The options of :func:`procmine.read_log` (roles, ``dayfirst``, ``tz``,
        ``attributes``, ``strict``).
    source, fmt
        What to call the source in the report and in error messages.
    report
        A report the reader already started (e.g. with malformed lines of a CSV
        counted as dropped); ``rows_read`` is set here to those plus ``len(df)``.
    row_numbers
        1-based source row of each frame row (see the reader for what it counts).
    numbers
        Turn text columns other than the roles into numbers when every value is one
        (and none has a leading zero, like ``"007"``); used for CSV.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> df = pd.DataFrame({"Fall-ID": ["007", "007", "008"],
    ...                    "Tätigkeit": [" Eingang", "Prüfung", "Eingang"],
    ...                    "Datum": ["03.01.2024 09:00", "15.07.2024 10:30", "04.01.2024 08:00"]})
    >>> log = read_frame(df)
    >>> log.df["case:concept:name"].tolist()
    ['007', '007', '008']
    >>> log.df["time:timestamp"].dt.strftime("%H:%M").tolist()  # Zurich winter/summer -> UTC
    ['08:00', '08:30', '07:00']
    >>> log.report.formats["dates"]["Datum"]["format"]
    '%d.%m.%Y %H:%M'
    """
    opts = opts or ReadOptions()
    if report is None:
        report = IngestReport(source=source, format=fmt)
    report.rows_read = len(df) + report.rows_dropped
    where = None if source == "<DataFrame>" else source
    df = _unique_columns(df, report)
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        df = df.reset_index(drop=True)  # a new frame: positions, not labels, from here on
    columns = [str(c) for c in df.columns]

    explicit = opts.explicit_roles()
    for role, col in explicit.items():
        if col not in df.columns:
            raise LogError(
                f"the {role} column {col!r} given as {role}={col!r} does not exist; "
                f"the columns are: {', '.join(map(repr, columns))}",
                path=where,
                column=col,
            )
    det = detect_roles(df, explicit, dayfirst=opts.dayfirst, sample_rows=SAMPLE_ROWS)
    missing = [r for r in REQUIRED if r not in det.roles]
    if missing:
        hint = ", ".join(f'{r}="..."' for r in missing)
        notes = "".join(f" ({w})" for w in det.warnings if "not dates" in w)
        raise LogError(
            f"cannot tell which column holds the {' / '.join(missing)}; the columns are: "
            f"{', '.join(map(repr, columns))}{notes}. Name it: read_log(path, {hint})",
            path=where,
        )
    report.roles = dict(det.roles)
    report.role_detection = dict(det.how)
    report.warnings.extend(det.warnings)

    tz = opts.tz or DEFAULT_TZ
    out: dict[str, pd.Series] = {}
    bad_ts = np.zeros(len(df), dtype=bool)
    time_cols: set[str] = set()
    dates: dict[str, dict] = {}
    for role, col in det.roles.items():
        canon = ROLE_COLUMNS[role]
        if role in ("timestamp", "start_timestamp"):
            got = _read_dates(df, role, col, det, opts, tz, report, where, time_cols)
            if got is None:
                continue
            out[canon], bad, dates[col] = got
            if role == "timestamp":
                bad_ts = bad
            elif bad.any():
                report.warnings.append(f"{int(bad.sum()):,} unparseable start time(s) in {col!r} left empty")
        elif role == "activity":
            out[canon] = df[col].astype("str").str.strip().where(df[col].notna(), None)
        else:
            out[canon] = df[col]
    report.formats.update(
        {"dates": dates, "dayfirst": {c: d["dayfirst"] for c, d in dates.items()}, "tz": tz}
    )

    used = set(det.roles.values()) | time_cols
    if opts.attributes is not None:
        absent = [a for a in opts.attributes if a not in df.columns]
        if absent:
            raise LogError(
                f"attribute column(s) {absent} do not exist; the columns are: {', '.join(map(repr, columns))}",
                path=where,
            )
        extra = [a for a in opts.attributes if a not in used]
    else:
        extra = [c for c in df.columns if c not in used]
    for col in extra:
        name = col if col not in out else f"{col} (source)"
        if name != col:
            report.warnings.append(f"column {col!r} clashes with a canonical column; kept as {name!r}")
        out[name] = _as_number(df[col]) if numbers else df[col]

    frame = pd.DataFrame(out, index=df.index).reset_index(drop=True)
    return finalize(
        frame,
        report=report,
        row_numbers=row_numbers,
        extra_drops={UNPARSEABLE_TS: bad_ts},
        strict=opts.strict,
        path=where,
        name=Path(source).name if where else None,
    )


def _read_dates(df, role, col, det, opts, tz, report, where, time_cols):
    """Parse one date role -> (UTC series, unparseable mask, format description), or None."""
    values = df[col]
    # detected again on the whole column: the day-first proof may lie beyond the sample
    spec = detect_date_format(values, dayfirst=opts.dayfirst) if len(df) > SAMPLE_ROWS else None
    spec = spec or det.date_specs.get(col) or detect_date_format(values, dayfirst=opts.dayfirst)
    if role == "timestamp" and spec is not None and _date_only(spec, values):
        clock = _time_column(df, set(det.roles.values()) | time_cols, opts.explicit_roles())
        if clock is not None:
            values = _join_date_time(values, df[clock])
            spec = detect_date_format(values, dayfirst=opts.dayfirst) or spec
            time_cols.add(clock)
            report.formats["time_of_day"] = {col: clock}
            report.warnings.append(f"date column {col!r} and time column {clock!r} joined into the timestamp")
    if spec is None:
        if role == "start_timestamp":
            report.warnings.append(f"start column {col!r} holds no dates; ignored")
            return None
        raise LogError(
            "the timestamp column holds no dates in a known format (ISO 8601, dd.mm.yyyy HH:MM[:SS], "
            "dd/mm/yyyy, Excel serial); pass timestamp=... to name another column or convert it",
            path=where,
            column=col,
        )
    parsed, bad = parse_dates(values, spec, tz=tz, report=report, column=col)
    if spec.reason.startswith(("ambiguous", "conflicting")):
        report.warnings.append(f"column {col!r}: {spec.reason}")
    return parsed, bad, _describe(spec, tz, values)


_NUMBER = r"^[ \t]*[+-]?(?:(?:[1-9][0-9]*|0)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$"
_LEADING_ZERO = r"^[ \t]*[+-]?0[0-9]"


def _as_number(s: pd.Series) -> pd.Series:
    """A text column as int64/Int64/float64 when all its values are plain numbers, else as is.

    Vectorised with pyarrow (RE2 regexes, exact string -> float conversion).
    """
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        return s
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s, type=pa.string(), from_pandas=True)
    head = arr.drop_null().slice(0, 1000)
    if len(head) == 0 or not pc.all(pc.match_substring_regex(head, _NUMBER)).as_py():
        return s
    num = _cast_number(arr) or _cast_number(pc.utf8_trim_whitespace(arr))
    if num is None:
        return s
    if num.type == pa.float64():
        if pc.any(pc.is_nan(num)).as_py() or pc.any(pc.is_inf(num)).as_py():
            return s  # "nan"/"inf" spelled out: keep the text
        return pd.Series(num.to_numpy(zero_copy_only=False), index=s.index, name=s.name)
    if pc.any(pc.match_substring_regex(arr, _LEADING_ZERO)).as_py():
        return s  # ids like "007"
    if num.null_count == 0:
        return pd.Series(num.to_numpy(), index=s.index, name=s.name)
    values = pc.fill_null(num, 0).to_numpy()
    mask = pc.is_null(num).to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(values, mask), index=s.index, name=s.name)


def _cast_number(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    for kind in (pa.int64(), pa.float64()):
        try:
            return pc.cast(arr, kind)
        except (pa.ArrowInvalid, OverflowError):
            continue
    return None


_CLOCK = r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?\s*$"


def _date_only(spec: DateSpec, values: pd.Series) -> bool:
    """True when a text date column carries no time of day."""
    if spec.kind == "format":
        return not any("%H" in f for f in spec.formats)
    if spec.kind == "iso":
        return not values.head(1000).astype("str").str.contains(":", regex=False).fillna(False).any()
    return False


def _time_column(df: pd.DataFrame, used: set[str], explicit: dict[str, str]) -> str | None:
    """An unassigned column of times of day (``HH:MM[:SS]``) to join to a date-only column."""
    if "timestamp" in explicit:
        return None  # the user named the timestamp column: take it as it is
    for col in df.columns:
        if col in used:
            continue
        head = df[col].dropna().head(1000)
        if not len(head) or not (head.dtype == object or pd.api.types.is_string_dtype(head.dtype)):
            continue
        if head.astype("str").str.match(_CLOCK).mean() >= 0.9:
            return col
    return None


def _join_date_time(date: pd.Series, clock: pd.Series) -> pd.Series:
    d = date.astype("str").str.strip()
    c = clock.astype("str").str.strip()
    has = clock.notna() & (c != "")
    joined = d.where(~has, d + " " + c)
    return joined.where(date.notna(), None)


def _unique_columns(df: pd.DataFrame, report: IngestReport) -> pd.DataFrame:
    names = [str(c) for c in df.columns]
    if len(set(names)) == len(names) and all(isinstance(c, str) for c in df.columns):
        return df
    seen: dict[str, int] = {}
    new = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        new.append(n if k == 0 else f"{n}.{k}")
    if new != names:
        report.warnings.append("duplicate column names made unique with .1, .2, ...")
    return df.set_axis(new, axis=1)  # a new frame: the caller's is untouched


def _describe(spec: DateSpec, tz: str, values: pd.Series) -> dict:
    return {
        "format": spec.describe(),
        "dayfirst": spec.dayfirst,
        "why": spec.reason,
        "tz": tz if spec.kind != "datetime" or getattr(values.dtype, "tz", None) is None else "in the data",
    }


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
            parsed = to_utc(_parse_formats(text, spec.formats), tz, report, column)
    bad = present & parsed.isna().to_numpy()
    return parsed, bad


def _from_serial(nums: pd.Series) -> pd.Series:
    lo, hi = 0.0, 2958465.0  # what Excel can show
    nums = nums.where((nums >= lo) & (nums <= hi))
    return pd.to_datetime(nums * 86_400_000, unit="ms", origin="1899-12-30").dt.round("ms")


def _parse_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.to_datetime(text, format=formats[0], errors="coerce")
    for fmt in formats[1:]:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    return out.astype("datetime64[us]")


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
