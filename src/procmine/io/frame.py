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

from .._core.notes import note
from ..errors import LogError
from ..log import LIFECYCLE, ROLE_COLUMNS, EventLog, IngestReport
from ._blank import _maybe_padded
from ._common import DEFAULT_TZ, UNPARSEABLE_TS, CaseBlocks, ReadOptions, finalize
from ._dates import (
    DateSpec,
    detect_date_format,
    known_formats,
    out_of_range_reason,
    parse_column,
    parse_dates,
)
from ._detect_content import clock_micros, is_time_of_day
from .detect import Detection, detect_roles

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
    case_blocks: CaseBlocks | None = None,
) -> EventLog:
    """Build an :class:`EventLog` from a frame in the user's own columns.

    Parameters
    ----------
    df
        One row per event; not modified.
    opts
        The options of :func:`procmine.read_log` (roles, ``dayfirst``, ``tz``,
        ``attributes``, ``strict``, ``pair_lifecycle``: start/complete rows are paired
        into one event, see :mod:`procmine.io._lifecycle`).
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
    case_blocks
        Case blocks a reader started on the column it expects to be the case id; used
        when that is the column found (:meth:`CaseBlocks.covers`), else started here.

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
    det = _roles(df, opts, report, where)
    # the case blocks (the costliest check of the sort) go on in a thread meanwhile
    case = df[det.roles["case"]]
    blocks = case_blocks if case_blocks is not None and case_blocks.covers(case) else CaseBlocks.start(case)
    out, bad_ts, time_cols = _role_columns(df, det, opts, report, where)
    _structural_lifecycle(df, det, out, time_cols, opts, report)
    _add_other_columns(out, df, opts, set(det.roles.values()) | time_cols, report, where, numbers)

    # copy=False: the columns are not stacked into 2-D blocks (a copy of every number
    # column: 0.5 s and 400 MB on 10 M events); copy-on-write keeps the input safe
    frame = pd.DataFrame(out, index=df.index, copy=False).reset_index(drop=True)
    return finalize(
        frame,
        report=report,
        row_numbers=row_numbers,
        extra_drops=bad_ts,
        strict=opts.strict,
        path=where,
        name=Path(source).name if where else None,
        pair_lifecycle=opts.pairing(),
        case_blocks=blocks,
        strip_ids=True,
    )


def _roles(df: pd.DataFrame, opts: ReadOptions, report: IngestReport, where: str | None) -> Detection:
    """The column of each role (explicit arguments, then detection), recorded in the report;
    a :class:`LogError` names a given column that does not exist or a required role not found."""
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
    lifecycle = _lifecycle_column(df, explicit, opts)
    if lifecycle is not None:
        explicit = {**explicit, "lifecycle": lifecycle[0]}
    det = detect_roles(df, explicit, dayfirst=opts.dayfirst, sample_rows=SAMPLE_ROWS)
    if lifecycle is not None:  # found here, passed on as if named: say how it was found
        col, how = lifecycle
        det.how["lifecycle"] = how
        words = "complete words, and start or other transition words"
        det.evidence["lifecycle"] = (f"{col!r} is a known name for the lifecycle; its values are transitions ({words})"
                                     if how == "header" else f"the values of {col!r} are lifecycle transitions ({words})")
    missing = [r for r in REQUIRED if r not in det.roles]
    if missing:
        hint = ", ".join(f'{r}="..."' for r in missing)
        notes = "".join(f" ({w})" for w in det.warnings if "not dates" in w or "case id" in w)
        # a column named like the timestamp but of other values: naming it would not help
        ask = "Name the right one" if "not dates" in notes else "Name it"
        raise LogError(
            f"cannot tell which column holds the {' / '.join(missing)}; the columns are: "
            f"{', '.join(map(repr, columns))}{notes}. {ask}: read_log(path, {hint})",
            path=where,
        )
    report.roles = dict(det.roles)
    report.role_detection = dict(det.how)
    report.role_evidence = dict(det.evidence)
    report.warnings.extend(det.warnings)
    return det


def _role_columns(
    df: pd.DataFrame, det: Detection, opts: ReadOptions, report: IngestReport, where: str | None
) -> tuple[dict[str, pd.Series], dict[str, np.ndarray], set[str]]:
    """The canonical columns of the roles (dates parsed, activity names stripped), the
    rows whose completion time is bad (reason -> mask), and the source columns the dates
    were read from; the date formats go into the report."""
    tz = opts.tz or DEFAULT_TZ
    out: dict[str, pd.Series] = {}
    bad_ts: dict[str, np.ndarray] = {}
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
            else:
                for reason, mask in bad.items():
                    if mask.any():
                        report.warnings.append(
                            note("{n:,} unparseable start time(s) in {column!r} left empty", n=int(mask.sum()), column=col)
                            if reason == UNPARSEABLE_TS else
                            note("{n:,} out-of-range start time(s) in {column!r} left empty", n=int(mask.sum()), column=col)
                        )
        elif role == "activity":
            out[canon] = _strip(df[col])
        else:
            out[canon] = df[col]
    report.formats.update(
        {"dates": dates, "dayfirst": {c: d["dayfirst"] for c, d in dates.items()}, "tz": tz}
    )
    return out, bad_ts, time_cols


def _add_other_columns(
    out: dict[str, pd.Series], df: pd.DataFrame, opts: ReadOptions, used: set[str],
    report: IngestReport, where: str | None, numbers: bool,
) -> None:
    """Add the columns that are no role (all, or ``opts.attributes``) to ``out`` under
    their own names (``"<name> (source)"`` when a canonical column has it)."""
    if opts.attributes is not None:
        absent = [a for a in opts.attributes if a not in df.columns]
        if absent:
            raise LogError(
                f"attribute column(s) {absent} do not exist; the columns are: "
                f"{', '.join(map(repr, [str(c) for c in df.columns]))}",
                path=where,
            )
        extra = [a for a in opts.attributes if a not in used]
    else:
        extra = [c for c in df.columns if c not in used]
    for col in extra:
        name = col if col not in out else f"{col} (source)"
        if name != col:
            report.warnings.append(note("column {column!r} clashes with a canonical column; kept as {name!r}",
                                        column=col, name=name))
        out[name] = _as_number(df[col]) if numbers else df[col]


def _strip(s: pd.Series) -> pd.Series:
    """Names without surrounding white space, as text (missing values stay missing).

    Arrow strings are looked at in place: only values whose first or last byte may belong
    to a space are stripped (stripping copies every string: most of a second on 10 M
    events whose names need nothing).

    Examples
    --------
    >>> _strip(pd.Series([" Eingang", "Prüfung", None], dtype="str")).tolist()
    ['Eingang', 'Prüfung', nan]
    """
    arr = getattr(s.array, "_pa_array", None)
    if arr is not None and pd.api.types.is_string_dtype(s.dtype) and s.dtype.na_value is np.nan:
        maybe = _maybe_padded_rows(arr)
        if maybe is None or not maybe.any():
            return s
        if maybe.mean() < 0.5:
            out = s.copy()
            out[maybe] = s[maybe].str.strip()
            return out
    return s.astype("str").str.strip().where(s.notna(), None)


def _maybe_padded_rows(arr) -> np.ndarray | None:
    """Rows of an Arrow string column whose value may have surrounding white space (None
    for no chunks, or no such name among the distinct ones). Activity names repeat: each
    distinct name is looked at once, and the column's dictionary codes are kept for the
    blank check and the activity codes."""
    import pyarrow as pa

    from .._core.codes import dictionary_codes

    if not arr.num_chunks:
        return None
    if arr.type not in (pa.string(), pa.large_string()) or len(arr) < _KEEP_CODES_FROM:
        return np.concatenate([_maybe_padded(ch) for ch in arr.chunks])
    codes, dictionary = dictionary_codes(arr, keep=True)
    per_value = np.append(_maybe_padded(dictionary), False)  # code -1 (missing): False
    return per_value[codes] if per_value.any() else None


_KEEP_CODES_FROM = 100_000  # rows; below, the checks are cheaper than the dictionary


def _lifecycle_column(df: pd.DataFrame, explicit: dict[str, str], opts: ReadOptions) -> tuple[str, str] | None:
    """The lifecycle column found from headers and values, before the other roles are.

    Found first so that a start/complete column is never taken for the activity (its
    value changes at every row, which is what the content detection of the activity
    looks for); ``pair_lifecycle=False`` leaves detection as it was (headers only).
    """
    if "lifecycle" in explicit or opts.pair_lifecycle is False or LIFECYCLE in df.columns:
        return None
    from ._lifecycle import find_lifecycle_column

    return find_lifecycle_column(df, exclude=set(explicit.values()))


def _structural_lifecycle(df: pd.DataFrame, det: Detection, out: dict[str, pd.Series], time_cols: set[str],
                          opts: ReadOptions, report: IngestReport) -> None:
    """A lifecycle column whose words procmine does not know, found from its structure
    (:func:`procmine.io._lifecycle.find_two_state_column`): taken as ``lifecycle:transition``
    (as a column found by its words is) with its two words in
    ``report.formats["lifecycle_words"]`` for the pairing, and said in the report. Read as
    they were, its rows counted every step twice."""
    if "lifecycle" in det.roles or opts.pairing() is False or LIFECYCLE in out or "start_timestamp" in det.roles:
        return
    from ._lifecycle import find_two_state_column

    found = find_two_state_column(df, det.roles["case"], det.roles["activity"], out[ROLE_COLUMNS["timestamp"]],
                                  exclude=set(det.roles.values()) | time_cols)
    if found is None:
        return
    col, first, second = found
    out[LIFECYCLE] = df[col]  # the role's column, as when found by its words
    det.roles["lifecycle"] = report.roles["lifecycle"] = col
    report.formats["lifecycle_words"] = {first: "start", second: "complete"}
    report.role_detection["lifecycle"] = "structure"
    report.role_evidence["lifecycle"] = note(
        "every step is a {first!r} row followed by a {second!r} row of the same case and activity",
        first=first, second=second)
    report.warnings.append(note(
        "column {column!r} read as start and end of each step from its structure ({first!r} opens a step, "
        "{second!r} closes it); pass pair_lifecycle=False to count every row as an event",
        column=col, first=first, second=second))


def _read_dates(df, role, col, det, opts, tz, report, where, time_cols):
    """Parse one date role -> (UTC series, {drop reason: mask}, format description), or None.

    The reasons are unparseable values and times out of range (named after ``col``).
    """
    values = df[col]
    # detected again on the whole column: the day-first proof may lie beyond the sample
    spec = detect_date_format(values, dayfirst=opts.dayfirst) if len(df) > SAMPLE_ROWS else None
    spec = spec or det.date_specs.get(col) or detect_date_format(values, dayfirst=opts.dayfirst)
    unread = None  # rows whose date or time of day a typed join could not read
    if role == "timestamp" and spec is not None and _date_only(spec, values, tz):
        clock = _time_column(df, set(det.roles.values()) | time_cols, col, report)
        if clock is not None:
            if spec.kind == "datetime":
                values, unread = _join_typed(values, df[clock], tz)
                spec = detect_date_format(values)
            else:
                values = _join_date_time(values, df[clock])
                spec = detect_date_format(values, dayfirst=opts.dayfirst) or spec
            time_cols.add(clock)
            report.formats["time_of_day"] = {col: clock}
            report.warnings.append(note("date column {column!r} and time column {clock!r} joined into the timestamp",
                                        column=col, clock=clock))
    if spec is None:
        if role == "start_timestamp":
            report.warnings.append(note("start column {column!r} holds no dates; ignored", column=col))
            return None
        raise LogError(
            f"the timestamp column holds no dates in a known format ({known_formats()}); pass timestamp=... to name "
            "another column or convert it",
            path=where,
            column=col,
        )
    got = parse_column(values, spec, tz=tz, report=report, column=col)
    if unread is not None and unread.any():
        got.bad |= unread
        got.times = got.times.where(~unread)
    if spec.reason.startswith(("ambiguous", "conflicting")):
        report.warnings.append(note("column {column!r}: {reason}", column=col, reason=spec.reason))
    bad = {UNPARSEABLE_TS: got.bad, out_of_range_reason(col): got.out_of_range}
    return got.times, bad, _describe(spec, tz, values)


_NUMBER = r"^[ \t]*[+-]?(?:(?:[1-9][0-9]*|0)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$"
_LEADING_ZERO = r"^\s*[+-]?0[0-9]"
# thousands separators of Swiss and other exports: apostrophe, right single quote (de-CH,
# it-CH), or spaces (fr-CH: space, no-break space or narrow no-break space, one convention)
_GROUPS = ("'", "\u2019", " \u00a0\u202f")
#: (decimal mark, thousands separator) tried in turn on text columns that are not plain
#: numbers: the first that every value follows wins. A comma is a decimal mark unless
#: the column proves otherwise (two commas in a value, or a dot after one): ``1,234``
#: alone reads 1.234, as Swiss and German exports write it (they group with ’ ' or
#: spaces, English ones with commas).
_CONVENTIONS: tuple[tuple[str, str | None], ...] = (
    (",", None),
    *((",", g) for g in _GROUPS),
    *((".", g) for g in _GROUPS),
    (",", "."),
    (".", ","),
)


def _convention_regex(decimal: str, group: str | None) -> str:
    whole = r"[0-9]+" if group is None else rf"(?:[0-9]{{1,3}}(?:[{group}][0-9]{{3}})+|[0-9]+)"
    return rf"^[+-]?{whole}(?:[{decimal}][0-9]+)?$"


def _as_number(s: pd.Series) -> pd.Series:
    """A text column as int64/Int64/float64 when all its values are numbers, else as is.

    Plain numbers (``-1e3``, ``12.5``) or numbers in one local convention for the whole
    column (:data:`_CONVENTIONS`: ``12,5``, ``1'234,50``, ``1’234.50``, ``1 234,5``);
    never two conventions in one column. Values with a leading zero (``"007"``,
    ``"0800"``) keep the column as text: they are codes. Vectorised with pyarrow (RE2
    regexes, exact string -> number conversion).

    Examples
    --------
    >>> _as_number(pd.Series(["1'234,50", "12,5"], dtype="str")).tolist()
    [1234.5, 12.5]
    >>> _as_number(pd.Series(["000123", "000124"], dtype="str")).tolist()
    ['000123', '000124']
    """
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        return s
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s, type=pa.string(), from_pandas=True)
    head = arr.drop_null().slice(0, 1000)
    if len(head) == 0:
        return s
    if pc.all(pc.match_substring_regex(head, _NUMBER)).as_py():
        num = _cast_number(arr) or _cast_number(pc.utf8_trim_whitespace(arr))
    else:
        num = _local_number(arr, head)
    if num is None:
        return s
    if num.type == pa.float64() and (pc.any(pc.is_nan(num)).as_py() or pc.any(pc.is_inf(num)).as_py()):
        return s  # "nan"/"inf" spelled out: keep the text
    if pc.any(pc.match_substring_regex(arr, _LEADING_ZERO)).as_py():
        return s  # ids like "007"
    if num.type == pa.float64():
        return pd.Series(num.to_numpy(zero_copy_only=False), index=s.index, name=s.name)
    if num.null_count == 0:
        return pd.Series(num.to_numpy(), index=s.index, name=s.name)
    values = pc.fill_null(num, 0).to_numpy()
    mask = pc.is_null(num).to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(values, mask), index=s.index, name=s.name)


def _local_number(arr, head):
    """``arr`` as numbers in the first convention all its values follow, or None."""
    import pyarrow.compute as pc

    head = pc.utf8_trim_whitespace(head)
    if not pc.any(pc.match_substring_regex(head, r"^[+-]?[0-9]")).as_py():
        return None  # not numbers at all: skip the conventions
    trimmed = pc.utf8_trim_whitespace(arr)
    for decimal, group in _CONVENTIONS:
        rx = _convention_regex(decimal, group)
        if not pc.all(pc.match_substring_regex(head, rx)).as_py():
            continue
        if not pc.all(pc.match_substring_regex(trimmed.drop_null(), rx)).as_py():
            continue  # the whole column, not only its head
        plain = trimmed if group is None else pc.replace_substring_regex(trimmed, f"[{group}]", "")
        if decimal == ",":
            plain = pc.replace_substring(plain, ",", ".")
        return _cast_number(plain)
    return None


def _cast_number(arr):
    import pyarrow as pa
    import pyarrow.compute as pc

    for kind in (pa.int64(), pa.float64()):
        try:
            return pc.cast(arr, kind)
        except (pa.ArrowInvalid, OverflowError):
            continue
    return None


def _date_only(spec: DateSpec, values: pd.Series, tz: str) -> bool:
    """True when a date column carries no time of day: a text format without hours, or
    typed values that are dates or all at midnight local time (judged on the first and
    last values)."""
    if spec.kind in ("format", "names"):
        return not any("%H" in f or "%I" in f for f in spec.formats)
    if spec.kind == "iso":
        return not values.head(1000).astype("str").str.contains(":", regex=False).fillna(False).any()
    if spec.kind != "datetime":
        return False
    ends = values if len(values) <= 20_000 else pd.concat([values.head(10_000), values.tail(10_000)])
    ends = ends.dropna()
    if not len(ends):
        return False
    if pd.api.types.is_datetime64_any_dtype(ends.dtype):
        local = ends.dt.tz_convert(tz) if getattr(ends.dtype, "tz", None) is not None else ends
        return bool((local == local.dt.normalize()).all())
    # Excel or Parquet cells: datetime.date, or datetime.datetime at midnight (no text, no serials)
    return all(isinstance(v, _dt.date) and (not isinstance(v, _dt.datetime) or (v.tzinfo is None and v.time()
               == _dt.time())) for v in ends.drop_duplicates())


def _time_column(df: pd.DataFrame, used: set[str], date_col: str, report: IngestReport) -> str | None:
    """The one unassigned column of times of day (text clocks such as ``HH:MM[:SS]`` or
    ``2:30 PM``, ``datetime.time`` cells, durations within a day) to join to a date-only
    timestamp column, also when the caller named that column: there is no parameter for
    the time of day, so this is the only way to keep it. Several such columns: none is
    joined (which one belongs to the date cannot be told), and a warning says so."""
    found = [c for c in df.columns if c not in used and is_time_of_day(df[c])]
    if len(found) > 1:
        report.warnings.append(note(
            "date column {column!r} holds no time of day, and several columns hold times of day ({columns}); "
            "none was joined to it, so the events of a day keep midnight and their order within the day "
            "is not known", column=date_col, columns=", ".join(map(repr, found))))
    return found[0] if len(found) == 1 else None


def _clock_codes(clock: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row codes, distinct values, their time of day in microseconds or -1): a column of
    times holds few distinct values, each read once (see :func:`clock_micros`)."""
    codes, uniques = pd.factorize(clock, sort=False)
    if pd.api.types.is_timedelta64_dtype(clock.dtype):
        distinct = pd.Series(uniques)
    else:
        distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    return codes, distinct.to_numpy(dtype=object), clock_micros(distinct)


def _join_date_time(date: pd.Series, clock: pd.Series) -> pd.Series:
    """Text dates and a time-of-day column joined as text; times read as such (``2:30 PM``,
    ``datetime.time`` cells) are written ``HH:MM[:SS[.ffffff]]``, other values as they are
    (the date format then fails on them: they are counted as unparseable)."""
    codes, distinct, micros = _clock_codes(clock)
    secs, us = divmod(np.maximum(micros, 0), 1_000_000)
    text = [
        (f"{s // 3600:02d}:{s // 60 % 60:02d}" + (f":{s % 60:02d}" if s % 60 or f else "") + (f".{f:06d}" if f else ""))
        if m >= 0 else str(v).strip()
        for v, m, s, f in zip(distinct, micros, secs.tolist(), us.tolist(), strict=True)
    ]
    c = pd.Series(pd.array([*text, ""], dtype="str").take(codes), index=clock.index)  # code -1: the last
    d = date.astype("str").str.strip()
    has = clock.notna() & (c != "")
    joined = d.where(~has, d + " " + c)
    return joined.where(date.notna(), None)


def _join_typed(date: pd.Series, clock: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray]:
    """Typed dates (date cells, midnight datetimes) plus the time of day of each row ->
    (naive local datetimes, rows whose date or time was present but could not be read).

    Values that carry a time already keep it; a row without a time keeps midnight, as
    with text columns."""
    days = _wall_days(date, tz)
    codes, distinct, micros = _clock_codes(clock)
    us = np.append(micros, -1)[codes]  # code -1 (missing): no time
    blank = np.fromiter((isinstance(v, str) and not v.strip() for v in distinct), dtype=bool, count=len(distinct))
    present = ~np.append(blank, True)[codes]
    tod = pd.Series(pd.to_timedelta(np.where(us >= 0, us, 0), unit="us"), index=date.index)
    at_midnight = (days == days.dt.normalize()).to_numpy(dtype=bool) & (us >= 0)
    joined = days.where(~at_midnight, days + tod)
    unread = date.notna().to_numpy() & (days.isna().to_numpy() | (present & (us < 0)))
    return joined.where(~unread), unread


def _wall_days(date: pd.Series, tz: str) -> pd.Series:
    """A typed date column as naive local datetimes (``datetime64[us]``); cells that are no
    date (text, serial numbers in an Excel column) NaT. Object columns are converted per
    distinct value."""
    if pd.api.types.is_datetime64_any_dtype(date.dtype):
        if getattr(date.dtype, "tz", None) is not None:
            date = date.dt.tz_convert(tz).dt.tz_localize(None)
        return date.astype("datetime64[us]")
    codes, uniques = pd.factorize(date, sort=False)
    typed = [v if isinstance(v, _dt.date) else None for v in uniques]
    conv = pd.to_datetime(pd.Series(typed, dtype=object), errors="coerce").astype("datetime64[us]")
    out = np.append(conv.to_numpy(), np.datetime64("NaT", "us"))[codes]
    return pd.Series(out, index=date.index)


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
        report.warnings.append(note("duplicate column names made unique with .1, .2, ..."))
    return df.set_axis(new, axis=1)  # a new frame: the caller's is untouched


def _describe(spec: DateSpec, tz: str, values: pd.Series) -> dict:
    return {
        "format": spec.describe(),
        "dayfirst": spec.dayfirst,
        "why": spec.reason,
        "tz": ("UTC" if spec.kind == "epoch"  # (Unix times count from 1970 in UTC: no local zone)
               else tz if spec.kind != "datetime" or getattr(values.dtype, "tz", None) is None else note("in the data")),
    }
