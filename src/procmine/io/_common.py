"""What every reader shares: time-zone handling and the final row accounting.

Readers produce a frame with the canonical columns (case, activity and a parsed
``time:timestamp``), plus masks of rows they already know are bad. :func:`finalize`
drops and counts the bad rows under one reason each, sorts, and builds the
:class:`~procmine.log.EventLog`, so that ``rows_read == rows_kept + sum(dropped)``
holds for every format.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core.notes import note
from ..errors import DataQualityWarning, LogError
from ..log import ACTIVITY, CASE, START, TIMESTAMP, TS_DTYPE, EventLog, IngestReport
from ._blank import _blank, padded
from ._dates import DEFAULT_TZ, to_utc  # noqa: F401  (they live below this module: _dates needs them)

logger = logging.getLogger("procmine")


# reasons, in the order a row is tested (a row is counted once, under the first that applies)
MISSING_CASE = note("missing case id")
MISSING_ACTIVITY = note("missing activity")
UNPARSEABLE_TS = note("unparseable timestamp")
MISSING_TS = note("missing timestamp")


def as_str(s: pd.Series) -> pd.Series:
    """Ids and names as pandas strings; integral floats lose their '.0' (pm4py does the same)."""
    if pd.api.types.is_float_dtype(s.dtype):
        as_int = s.dropna()
        if (as_int == np.floor(as_int)).all():
            s = s.astype("Int64")
    if pd.api.types.is_string_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype("str")
    out = s.astype("str")
    return out.where(s.notna(), None) if s.isna().any() else out


def finalize(
    df: pd.DataFrame,
    *,
    report: IngestReport,
    row_numbers: np.ndarray | None = None,
    extra_drops: Mapping[str, np.ndarray] | None = None,
    strict: bool = False,
    path: str | Path | None = None,
    name: str | None = None,
    presorted: bool = False,
    pair_lifecycle: bool | None = None,
    case_blocks: CaseBlocks | None = None,
    strip_ids: bool = False,
) -> EventLog:
    """Drop and count bad rows, sort, and return the :class:`EventLog`.

    Parameters
    ----------
    df
        Canonical columns present; ``time:timestamp`` already ``datetime64[us, UTC]``
        (NaT where missing or unparseable).
    report
        Filled in place: ``rows_read`` must already be set by the reader.
    row_numbers
        1-based source row (or line) number of each frame row, for the samples in
        ``dropped_rows`` and in error messages; defaults to ``1..len(df)``.
    extra_drops
        reason -> boolean mask of rows the reader knows are bad (e.g. unparseable
        timestamps); tested after missing case id / activity, before missing timestamp.
    strict
        Raise :class:`LogError` on the first bad row instead of dropping.
    pair_lifecycle
        ``None`` (default): when ``lifecycle:transition`` holds start (or schedule,
        suspend...) rows, pair each start with its complete into one event with a
        ``start_timestamp`` (:mod:`procmine.io._lifecycle`); ``True``: the same, and warn
        when there is nothing to pair; ``False``: keep every row as its own event.
    case_blocks
        The case blocks of the reader's case column, computed meanwhile (used only when
        the column reaches the log unchanged).
    strip_ids
        Case ids with white space around them lose it (exports: CSV, Excel, Parquet, frames;
        see :func:`_without_padding`). XES traces keep their names as written.
    """
    rows = np.arange(1, len(df) + 1) if row_numbers is None else np.asarray(row_numbers)
    extra = {k: np.asarray(v, dtype=bool) for k, v in (extra_drops or {}).items()}
    if pair_lifecycle is not False:
        # every reader passes here: lifecycle rows are paired once, the same way for all formats
        from ._lifecycle import pair_lifecycle as _pair

        df, rows, extra = _pair(df, rows, extra, report, requested=bool(pair_lifecycle))
    case_blank = case_blocks.blank_for(df[CASE]) if case_blocks is not None else None
    df = _drop_bad_rows(df, rows, extra, report, strict=strict, path=path, case_blank=case_blank)
    df[CASE] = as_str(df[CASE])
    df[ACTIVITY] = as_str(df[ACTIVITY])
    if START in df.columns:
        df[START] = df[START].astype(TS_DTYPE)

    if START in df.columns:
        bad = (df[START] > df[TIMESTAMP]).sum()
        if bad:
            report.warnings.append(note("{n:,} event(s) start after they complete", n=int(bad)))

    log = _event_log(df, report, name, presorted, case_blocks)
    if strip_ids:
        log = _without_padding(log, report, name)
    _describe(log, report)
    return log


class CaseBlocks:
    """The blank ids and :func:`~procmine._core.codes.contiguous_codes` (no fallback) of a
    case column, in a background thread: the reader checks activities, lifecycle and times
    meanwhile (Arrow and numpy release the GIL, so both cores work)."""

    #: rows from which a thread pays off
    MIN_ROWS = 100_000

    def __init__(self, values: pd.Series) -> None:
        from .._core.codes import contiguous_codes

        self.array = getattr(values.array, "_pa_array", None)
        pool = ThreadPoolExecutor(max_workers=1)
        self._blank = pool.submit(_blank, values)  # first: the rows dropped are decided first
        self._future = pool.submit(contiguous_codes, values, fallback=False)
        pool.shutdown(wait=False)  # the thread ends with its two tasks

    @classmethod
    def start(cls, values: pd.Series) -> CaseBlocks | None:
        """Started for a large Arrow string column without missing values (else None:
        contiguous_codes would not look at it)."""
        arr = getattr(values.array, "_pa_array", None)
        if len(values) < cls.MIN_ROWS or arr is None or arr.null_count or not pd.api.types.is_string_dtype(values):
            return None
        return cls(values)

    def covers(self, values: pd.Series) -> bool:
        """Whether ``values`` hold the very Arrow data the blocks are computed on (no row
        dropped, merged or converted since): the same memory, so the same values."""
        return _same_arrow_data(getattr(values.array, "_pa_array", None), self.array)

    def blank_for(self, values: pd.Series) -> np.ndarray | None:
        """``_blank(values)`` when :meth:`covers` ``values``, else None."""
        got = self._blank.result()
        return got if self.covers(values) else None

    def result_for(self, values: pd.Series) -> tuple[np.ndarray, Any] | None:
        """The blocks when :meth:`covers` ``values``, else None; waits for the thread either way."""
        got = self._future.result()
        return got if self.covers(values) else None


def _same_arrow_data(a: Any, b: Any) -> bool:
    """Whether two Arrow chunked arrays view the same buffers in the same way (Arrow
    data never changes in place: the same memory holds the same values)."""
    if a is b:
        return a is not None
    if a is None or b is None or len(a) != len(b) or a.type != b.type or a.num_chunks != b.num_chunks:
        return False

    def layout(ch: Any) -> tuple:
        return ch.offset, len(ch), tuple(buf.address if buf is not None else None for buf in ch.buffers())

    return all(layout(x) == layout(y) for x, y in zip(a.chunks, b.chunks))


def _event_log(
    df: pd.DataFrame, report: IngestReport, name: str | None, presorted: bool, case_blocks: CaseBlocks | None
) -> EventLog:
    """``EventLog(df, ...)``; with case blocks computed meanwhile, the sort check of
    ``EventLog`` (cases in blocks, time never going back inside one) is done here on them,
    and they seed the log's codes, as ``EventLog`` would have done itself."""
    blocks = case_blocks.result_for(df[CASE]) if case_blocks is not None else None
    if blocks is None or presorted:
        return EventLog(df, report, name=name, presorted=presorted)
    from ..log import _ts_int

    codes, ts = blocks[0], _ts_int(df[TIMESTAMP])
    if ((codes[1:] == codes[:-1]) & (ts[1:] < ts[:-1])).any():
        return EventLog(df, report, name=name)  # time goes back: EventLog sorts
    log = EventLog(df.reset_index(drop=True), report, name=name, presorted=True)
    log._seed = blocks  # what EventLog's own sort check returns for a frame in order
    return log


def _without_padding(log: EventLog, report: IngestReport, name: str | None) -> EventLog:
    """The log with the white space around its case ids removed, when some have it: exports
    padded to a fixed width, cells typed with a trailing space. ``"A1 "`` and ``"A1"`` are
    one case; left as they were, the case was cut in two without a word. The report names
    the column and how many ids then matched another. (Activity names are stripped as the
    roles are read, :func:`procmine.io.frame._strip`.)

    Looked at on the distinct ids the log's codes hold (one per case), not on every event:
    35 ms on the 2.7 M cases of 10 M events."""
    c = log.codes
    ids = c.case_id_values
    if hasattr(ids, "to_arrow"):  # ids gathered from Arrow on first use: looked at there
        ids = ids.to_arrow()
    if ids is None or not len(ids) or not padded(ids):
        return log
    df = log.df.copy(deep=False)
    df[CASE] = df[CASE].str.strip()
    merged = c.n_cases - int(df[CASE].nunique())
    report.warnings.append(note(
        "{column!r}: white space around the values removed; {n:,} value(s) then matched another and were "
        "read as one", column=report.roles.get("case", CASE), n=merged))
    return EventLog(df, report, name=name)


def _drop_bad_rows(
    df: pd.DataFrame, rows: np.ndarray, extra: Mapping[str, np.ndarray], report: IngestReport, *,
    strict: bool, path: str | Path | None, case_blank: np.ndarray | None = None,
) -> pd.DataFrame:
    """``df`` without the rows missing a case, an activity or a time (or in a reader's mask
    of ``extra``), each counted under the first reason that applies; ``strict``: raise instead.
    ``case_blank``: ``_blank(df[CASE])`` when the caller has it already."""
    reasons: list[tuple[str, np.ndarray, str]] = [
        (MISSING_CASE, _blank(df[CASE]) if case_blank is None else case_blank, CASE),
        (MISSING_ACTIVITY, _blank(df[ACTIVITY]), ACTIVITY),
    ]
    for reason, mask in extra.items():
        reasons.append((reason, mask, TIMESTAMP))
    reasons.append((MISSING_TS, df[TIMESTAMP].isna().to_numpy(), TIMESTAMP))

    taken = np.zeros(len(df), dtype=bool)
    for reason, mask, column in reasons:
        if not mask.any():  # the usual case: no row to look at (two passes fewer per reason)
            continue
        hit = mask & ~taken
        if not hit.any():
            continue
        if strict:
            first = int(rows[hit][0])
            raise LogError(
                f"{int(hit.sum()):,} row(s) with {reason} (first at row {first}); fix them in the "
                "source or read with strict=False to drop and count them",
                path=str(path) if path else report.source,
                row=first,
                column=report.roles.get(_role_of(column), column),
            )
        report.count_dropped(reason, rows[hit])
        taken |= hit
    if taken.any():
        df = df.loc[~taken]
    return df.reset_index(drop=True)


def _describe(log: EventLog, report: IngestReport) -> None:
    """Fill the report's figures of the finished log, its alerts and warnings (and warn)."""
    dup = _count_duplicates(log)
    report.duplicates = dup
    if dup:
        report.warnings.append(
            note("{n:,} event(s) identical to an earlier one in every column (kept; pm4py keeps them too)", n=dup)
        )
    report.rows_kept = log.n_events
    report.n_cases = log.n_cases
    report.n_activities = log.codes.n_activities
    report.time_range = log.time_range
    report.check()
    from ._lifecycle import MERGED

    _alert_implausible(log, report)
    if report.rows_dropped > report.dropped.get(MERGED, 0):  # merged starts lose nothing: no warning
        msg = ", ".join(f"{v:,} {k}" for k, v in report.dropped.items())
        warnings.warn(
            f"{report.source}: {report.rows_dropped:,} of {report.rows_read:,} rows dropped ({msg}); "
            "see log.report.dropped_rows",
            DataQualityWarning,
            stacklevel=user_stacklevel(),
        )
    logger.info("read %s: %s", report.source, report)


def _alert_implausible(log: EventLog, report: IngestReport) -> None:
    """Too few cases or one case holding most events: warn loudly (report, repr, warning)."""
    from .._core.ingest_report import plausibility_alerts

    sizes = np.diff(log.codes.case_offsets)
    largest = int(sizes.max()) if len(sizes) else 0
    alerts = plausibility_alerts(log.n_cases, log.n_events, largest, report.roles.get("case"))
    report.alerts = alerts
    report.warnings[:0] = alerts
    for alert in alerts:
        warnings.warn(f"{report.source}: {alert}", DataQualityWarning, stacklevel=user_stacklevel())


def _count_duplicates(log: EventLog) -> int:
    """Events identical to an earlier one in every column.

    Identical events share case and completion time, so in the sorted log they sit in
    the same run of equal (case, time): only those runs are compared on all columns
    (hashing every column of every row costs seconds on ten million events).
    """
    c = log.codes
    if log.n_events < 2:
        return 0
    same = (c.case[1:] == c.case[:-1]) & (c.ts[1:] == c.ts[:-1])
    if not same.any():
        return 0
    idx = np.flatnonzero(np.concatenate(([False], same)) | np.concatenate((same, [False])))
    # narrow further to rows that also share the activity (date-only logs have long runs)
    order = _by_case_time_activity(idx, c.case[idx], c.ts[idx], c.activity[idx])
    eq = (c.case[order][1:] == c.case[order][:-1]) & (c.ts[order][1:] == c.ts[order][:-1]) & (
        c.activity[order][1:] == c.activity[order][:-1]
    )
    if not eq.any():
        return 0
    # groups of rows sharing case, time and activity, split further column by column: a
    # row is a duplicate when its group holds an earlier row (rows - groups in the end);
    # rows alone in their group drop out, so most columns are looked at for a few rows only
    start = np.concatenate(([True], ~eq))
    group = np.cumsum(start) - 1
    multi = np.bincount(group)[group] > 1
    rows, group = order[multi], group[multi]
    df = log.df
    skip = {i for i, name in enumerate(df.columns) if name in (CASE, ACTIVITY, TIMESTAMP)}  # equal by the codes
    # numpy columns first: cheapest to compare, and once no row is left the others are not
    # looked at (the count does not depend on the order of the columns)
    dtypes = df.dtypes.tolist()  # (once: df.dtypes builds a Series on every access)
    cheap = sorted(range(df.shape[1]), key=lambda i: not isinstance(dtypes[i], np.dtype))
    for i in cheap:
        if i in skip or not len(rows):
            continue
        by = np.argsort(rows, kind="stable")  # _take_rows wants ascending rows
        labels = np.empty(len(rows), dtype=np.int64)
        # pandas' own equality of DataFrame.duplicated: factorize, missing values as one label
        labels[by] = pd.factorize(_take_rows(df.iloc[:, i], rows[by]))[0]
        group = pd.factorize(group * (len(rows) + 1) + labels + 1)[0]
        multi = np.bincount(group)[group] > 1
        rows, group = rows[multi], group[multi]
    return int(len(rows) - len(np.unique(group)))


def _by_case_time_activity(idx: np.ndarray, case: np.ndarray, ts: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """``idx[np.lexsort((activity, ts, case))]``: in a sorted log (case and time already in
    order along ``idx``) only the activities of each run of equal case and time are sorted,
    by one stable sort of a run-major key (a fraction of a three-key lexsort)."""
    new = np.ones(len(idx), dtype=bool)
    new[1:] = (case[1:] != case[:-1]) | (ts[1:] != ts[:-1])
    in_order = not ((case[1:] < case[:-1]) | ((case[1:] == case[:-1]) & (ts[1:] < ts[:-1]))).any()
    if not in_order or not len(idx) or activity.min() < 0:
        return idx[np.lexsort((activity, ts, case))]
    key = np.cumsum(new, dtype=np.int64) * (int(activity.max()) + 1) + activity
    return idx[np.argsort(key, kind="stable")]


def _take_rows(s: pd.Series, rows: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of ``s`` at the sorted positions ``rows``, chunk by chunk for Arrow columns.

    Taking a few rows of a chunked Arrow column at once joins all its chunks first (a copy
    of every string of the column: half a second on 10 M events read from Parquet); taking
    from each chunk the rows it holds touches only those.
    """
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not hasattr(arr, "chunks") or arr.num_chunks < 2:
        return s.array.take(rows)
    import pyarrow as pa

    bounds = np.cumsum([0, *(len(ch) for ch in arr.chunks)])
    cut = np.searchsorted(rows, bounds)  # rows ascending: each chunk's rows are one slice
    parts = []
    for ci in np.flatnonzero(np.diff(cut)).tolist():
        local = rows[cut[ci] : cut[ci + 1]] - bounds[ci]
        parts.append(arr.chunks[ci].take(pa.array(local)))
    taken = pa.chunked_array(parts, type=arr.type) if parts else pa.chunked_array([], type=arr.type)
    return type(s.array)(taken)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside procmine."""
    import sys

    package = str(Path(__file__).resolve().parents[1])
    frame = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _role_of(column: str) -> str:
    return {CASE: "case", ACTIVITY: "activity", TIMESTAMP: "timestamp"}.get(column, column)


@dataclass
class ReadOptions:
    """The arguments of :func:`procmine.read_log`, passed as one object to every reader."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    org: str | None = None
    lifecycle: str | None = None
    format: str | None = None
    sep: str | None = None
    encoding: str | None = None
    dayfirst: bool | None = None
    tz: str | None = None
    attributes: list[str] | None = None
    strict: bool = False
    pair_lifecycle: bool | None = None
    sheet: str | int | None = None
    #: internal: find the lifecycle column but leave the pairing to the caller (parts of a
    #: folder are paired together, so that a start and its complete may sit in two parts)
    defer_pairing: bool = False

    def __post_init__(self) -> None:
        # Checked once here so that every reader (and the CLI) refuses them with one message
        # naming the argument, instead of a KeyError from zoneinfo deep inside a reader.
        from .._core.validation import fail

        if self.tz is not None:
            import zoneinfo

            try:
                zoneinfo.ZoneInfo(str(self.tz))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
                raise fail("read_log", "tz", "an IANA time zone such as 'Europe/Zurich' or 'UTC'", self.tz) from exc
        if self.sep is not None and (
            not isinstance(self.sep, str) or len(self.sep) != 1 or self.sep in "\"\r\n"
        ):
            raise fail("read_log", "sep", "one character other than a quote or a line break (';', ',', '\\t', '|')",
                       self.sep)

    def pairing(self) -> bool | None:
        """The ``pair_lifecycle`` to hand to :func:`finalize` (``False`` when deferred)."""
        return False if self.defer_pairing else self.pair_lifecycle

    def explicit_roles(self) -> dict[str, str]:
        """role -> source column, for the roles the user named."""
        roles = {
            "case": self.case,
            "activity": self.activity,
            "timestamp": self.timestamp,
            "start_timestamp": self.start_timestamp,
            "resource": self.resource,
            "org": self.org,
            "lifecycle": self.lifecycle,
        }
        return {k: v for k, v in roles.items() if v is not None}


def partitioned_parquet(path: Path) -> bool:
    """The folder holds Parquet files in subfolders named ``column=value`` (hive
    partitioning, as Spark, DuckDB and pandas write a partitioned log), at any depth; hidden
    and ``_``-prefixed entries (Spark's ``_SUCCESS``, ``.crc``) do not count."""
    for f in path.rglob("*.parquet"):
        parts = f.relative_to(path).parts
        if len(parts) > 1 and all("=" in p for p in parts[:-1]) and not any(p.startswith((".", "_")) for p in parts):
            return True
    return False


#: drop reason of a row that repeats the header line
REPEATED_HEADER = note("header line repeated (files joined one after the other?)")


def drop_repeated_header(df: pd.DataFrame, header: list[str], rows: np.ndarray, report: IngestReport, *,
                         strict: bool, path: str) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` and ``rows`` (the source row number of each) without the rows that repeat the
    header line, every field equal to its column's header (``header``, as read): what
    joining exports one after the other, each with its header, leaves in the data. They are
    counted in ``report`` under :data:`REPEATED_HEADER`; read as events they were counted
    under a misleading reason (a time 'Horodatage' unparseable). ``strict``: raise instead."""
    again = _repeated_header(df, header)
    if not len(again):
        return df, rows
    if strict:
        raise LogError(
            "the header line comes again as a data row (files joined one after the other?); "
            "remove it or read with strict=False to drop and count it",
            path=path,
            row=int(rows[again[0]]),
        )
    report.dropped[REPEATED_HEADER] = report.dropped.get(REPEATED_HEADER, 0) + len(again)
    report.dropped_rows.setdefault(REPEATED_HEADER, []).extend(rows[again[:5]].tolist())
    return df.drop(index=df.index[again]).reset_index(drop=True), np.delete(rows, again)


def _repeated_header(df: pd.DataFrame, header: list[str]) -> np.ndarray:
    """Positions of the rows of ``df`` whose every field is its column's header (spaces
    around either aside). The first column is compared whole, as it is (one vectorised
    comparison, cheap on millions of rows), as read or stripped; the other fields only on the
    rows it leaves."""
    if not len(df) or len(df.columns) != len(header) or not any(h.strip() for h in header):
        return np.zeros(0, dtype=np.int64)
    first = df.iloc[:, 0]
    hit = np.zeros(len(df), dtype=bool)
    for text in {header[0], header[0].strip()}:
        hit |= first.eq(text).to_numpy(dtype=bool, na_value=False)
    found = np.flatnonzero(hit)
    for j, name in enumerate(header[1:], start=1):
        if not len(found):
            break
        values = df.iloc[found, j]
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        found = found[(text == name.strip()).to_numpy(dtype=bool)]
    return found
