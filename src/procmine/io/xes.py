"""XES event logs (``.xes``, ``.xes.gz``): :func:`read_xes` and :func:`write_xes`.

Reading is vectorised: the decompressed bytes are tokenized with numpy in chunks of
whole traces (see :mod:`procmine.io._xes_scan`), attribute values become Arrow string
arrays without a Python object per value, and each column is typed once (``date`` ->
``datetime64[us, UTC]``, ``int`` -> ``Int64``, ``float`` -> ``float64``, ``boolean`` ->
``boolean``, ``string``/``id`` -> ``str``). Whatever the fast scanner does not read
exactly (CDATA, nested ``<list>``/``<container>``, single-quoted attributes, another
encoding) is read again with a safe streaming lxml parser: the data never depends on
which path was taken.

Safety: entities are never resolved, no DTD is loaded, nothing is fetched. A file with
a ``<!DOCTYPE`` or ``<!ENTITY`` declaration, an unknown entity, a truncated gzip stream
or unbalanced tags raises :class:`~procmine.LogError` naming the file and line, and so
does an element at the wrong depth (an ``<event>`` outside a ``<trace>``, a ``<trace>``
inside another element, a log attribute after the first trace), by both readers. A
gzip stream that inflates past :data:`procmine.io.LIMITS` is refused while streaming,
a log with more distinct attribute keys than ``LIMITS.max_attribute_keys`` as soon as
they are seen.

What is kept: every event attribute under its XES key (``concept:name``,
``time:timestamp``, ``org:resource``...), every trace attribute as ``case:<key>``
(trace ``concept:name`` is ``case:concept:name``, as in pm4py). Log-level attributes,
``<global>`` defaults, ``<extension>`` and ``<classifier>`` are not events and are
ignored. Children of nested attributes (an attribute inside an attribute, ``<list>``,
``<container>``) are skipped; the parent keeps its own value when it has one; the
report counts what was skipped and names the keys. A key with mixed types across
events becomes ``float64`` when all are ``int``/``float``, else ``str``.

Row numbers in ``log.report.dropped_rows`` are 1-based event numbers in file order.
Events with ``lifecycle:transition`` start/complete are paired into one event per step
by default, as for every format (see :mod:`procmine.io._lifecycle`; merged starts are
counted as dropped rows with the reason ``"start merged into its complete"``);
``pair_lifecycle=False`` keeps one row per transition, as pm4py's ``read_xes`` does.

Speed and memory: the file is decompressed in chunks of about 4 MB cut after a
``</trace>``; two chunks are scanned at a time in threads (numpy, zlib and Arrow release
the GIL) and each chunk's attribute values become typed Arrow values at once, kept with
the events (traces) that carry them (see :mod:`procmine.io._xes_columns`), so the
chunk's text and tokens are freed right away. At the end each column is assembled and
spread to the events once (a trace attribute is broadcast to the events of its traces
with one ``take``), so the work per chunk does not grow with keys times events: a log
with a hundred sparse attributes costs about what its bytes cost (strings stay
Arrow-backed, their text is not copied again). Freed memory is handed back to the system as the chunks
are read (see :mod:`procmine.io._xes_memory`). ``benchmarks/ingest.py`` measures time
and peak memory against pm4py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core.notes import note
from ..errors import LogError
from ..log import (
    ACTIVITY,
    CASE,
    ROLE_COLUMNS,
    START,
    TIMESTAMP,
    EventLog,
    IngestReport,
)
from ._common import UNPARSEABLE_TS, ReadOptions, finalize
from ._dates import out_of_range_reason
from ._xes_columns import BAD_DATE, OUT_OF_RANGE, Assembler, parse_dates, pivot_chunk
from ._xes_memory import release as _release
from ._xes_memory import system_pool as _system_pool
from ._xes_scan import Malformed, Refused, Unsupported, scan_chunk
from ._xes_source import iter_chunks, line_at, source_encoding
from ._xes_write import write_xes

__all__ = ["read_xes", "write_xes"]

logger = logging.getLogger("procmine")

_DATE = 1
_THREADS = 2
_RELEASE_EVERY = 8  # chunks read between two _release() (each costs page faults later)
_RELEASE_BYTES = 256 * 2**20  # column bytes converted between two _release()


def read_xes(path: Path, opts: ReadOptions | None = None) -> EventLog:
    """Read an XES or gzipped XES file into an :class:`~procmine.EventLog`.

    Called by :func:`procmine.read_log` for ``.xes`` and ``.xes.gz``; see the module
    documentation for what is kept and how types are mapped.

    Parameters
    ----------
    path
        The file; gzip is recognised by its content, whatever the suffix.
    opts
        The options of ``read_log``: ``case``, ``activity``, ``timestamp``,
        ``start_timestamp``, ``resource``, ``org``, ``lifecycle`` name other XES keys to
        use for those roles (the standard column they replace is kept as
        ``xes:<column>``); ``attributes`` limits the other columns; ``tz`` is the zone
        of dates without offset; ``strict`` raises instead of dropping;
        ``pair_lifecycle`` (default: when there are start rows) merges
        ``start``/``complete`` pairs (see :func:`procmine.io._lifecycle.pair_lifecycle`).

    Returns
    -------
    EventLog
        ``log.report.rows_read`` is the number of events in the file; empty traces and
        traces sharing an id are counted in ``empty_traces`` and ``duplicate_case_ids``.

    Raises
    ------
    LogError
        Not XES, not well-formed, truncated, or declares a DOCTYPE/entities.

    Examples
    --------
    >>> import procmine as pm, pandas as pd, tempfile, pathlib
    >>> df = pd.DataFrame({"case:concept:name": ["c1", "c1"], "concept:name": ["Eingang", "Prüfung"],
    ...                    "time:timestamp": pd.to_datetime(["2024-03-01 08:00", "2024-03-04 10:30"], utc=True)})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.xes.gz"
    >>> _ = write_xes(pm.EventLog(df), path)
    >>> log = pm.read_log(path)
    >>> log.n_events, log.report.format, log.df["concept:name"].tolist()
    (2, 'xes', ['Eingang', 'Prüfung'])
    """
    with _system_pool():
        return _read_xes(Path(path), opts or ReadOptions())


def _read_xes(path: Path, opts: ReadOptions) -> EventLog:
    report = IngestReport(source=str(path), format="xes")
    wanted = _wanted(opts)
    parts, reader = _read_columns(path, wanted, opts.tz, frozenset())
    again = parts.retry()
    if again:
        # only those columns are built again (as text, typed as a whole at the end): in a
        # log with many keys one mixed key no longer costs a second full read
        logger.info("%s: reading again with %s typed as a whole", path, sorted(again))
        text_parts, _ = _read_columns(path, set(again), opts.tz, frozenset(again))
        parts.replace(text_parts, again)
        del text_parts
    report.formats["xes_reader"] = reader
    encoding = source_encoding(path)
    if encoding is not None:  # read as UTF-8 text (see _xes_source)
        report.formats["encoding"] = encoding
    n = report.rows_read = parts.n_events
    _structure_report(parts, report)
    cols, kinds, bad_dates = parts.finish(report)
    del parts
    _release()
    cols = _apply_roles(cols, kinds, opts, report, path)

    extra: dict[str, np.ndarray] = {}
    if TIMESTAMP in bad_dates:  # codes: not a date, or a date out of range
        extra[UNPARSEABLE_TS] = bad_dates[TIMESTAMP] == BAD_DATE
        extra[out_of_range_reason(TIMESTAMP)] = bad_dates[TIMESTAMP] == OUT_OF_RANGE
    del bad_dates
    df = _to_frame(cols, n)  # empties cols as the frame's columns are made
    _release()
    return finalize(
        df,
        report=report,
        row_numbers=np.arange(1, n + 1),
        extra_drops=extra,
        strict=opts.strict,
        path=path,
        name=path.name.split(".")[0],
        pair_lifecycle=opts.pairing(),
    )


# -- reading: chunks of text -> typed columns ---------------------------------------------------------


def _read_columns(
    path: Path, wanted: set[str] | None, tz: str | None, as_text: frozenset[str]
) -> tuple[Assembler, str]:
    """The typed pieces of every chunk and the reader used (``"numpy"`` or ``"lxml (why)"``)."""
    try:
        return _read_fast(path, wanted, tz, as_text), "numpy"
    except Unsupported as exc:
        why = str(exc)
        logger.info("%s: fast XES scanner does not handle %s; reading with lxml", path, why)
    except Malformed as exc:
        why = f"not well-formed: {exc}"
        logger.info("%s: %s; reading with lxml for the precise error", path, why)
    except LogError as exc:
        if exc.path is None:
            raise LogError(exc.message, path=str(path), line=exc.line) from None
        raise
    from ._xes_lxml import read_long_lxml

    parts = Assembler(tz=tz)
    try:
        parts.add(pivot_chunk(read_long_lxml(path), wanted, tz, as_text))
    except LogError as exc:
        if exc.path is None:
            raise LogError(exc.message, path=str(path), line=exc.line) from None
        raise
    return parts, f"lxml ({why})"


def _read_fast(path: Path, wanted: set[str] | None, tz: str | None, as_text: frozenset[str]) -> Assembler:
    """Scan and type the chunks, two at a time (numpy, zlib and Arrow release the GIL).

    Each chunk's text and tokens are freed as soon as its typed columns are made, so the
    memory held is the typed columns plus a few chunks in flight.
    """
    from concurrent.futures import ThreadPoolExecutor

    parts = Assembler(tz=tz)
    pending: list = []

    def work(buf: bytes, first: bool):
        data = scan_chunk(buf, first=first, start_depth=0 if first else 1, base_event=0, base_trace=0)
        del buf
        return pivot_chunk(data, wanted, tz, as_text)

    def collect(fut, start: int) -> None:
        try:
            part = fut.result()
        except Refused as exc:
            raise LogError(exc.message, path=str(path), line=line_at(path, start + exc.pos)) from None
        if parts.ended:
            raise Malformed("content after </log>")
        parts.add(part)
        del part
        if len(parts.sizes) % _RELEASE_EVERY == 0:
            _release()

    offset = 0
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        try:
            for i, buf in enumerate(iter_chunks(path)):
                if i == 0:
                    head = buf[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
                    if not head.startswith(b"<"):
                        # NUL bytes: wide text whose first bytes say nothing (no mark, no "<?")
                        wide = (
                            "; it holds NUL bytes, as UTF-16 text without a byte-order mark does: "
                            "save it as UTF-8"
                            if b"\x00" in head
                            else "; is it really XES?"
                        )
                        raise LogError(
                            f"not an XML file (it does not start with '<'){wide}",
                            path=str(path),
                            line=1,
                        )
                if len(buf) < 4096 and not buf.strip():
                    continue
                pending.append((pool.submit(work, buf, i == 0), offset))
                offset += len(buf)
                del buf
                while len(pending) > _THREADS:
                    collect(*pending.pop(0))
            while pending:
                collect(*pending.pop(0))
        finally:
            for fut, _ in pending:
                fut.cancel()
    if not parts.sizes:
        raise LogError("the file is empty", path=str(path))
    if not parts.ended:
        # every trace was whole: the message is precise already, and reading a large
        # truncated file again with lxml would double its time and memory
        raise LogError(
            "the file ends without </log> (after a complete trace): it is truncated; "
            "download or export it again",
            path=str(path),
            line=line_at(path, offset),
        )
    return parts


def _wanted(opts: ReadOptions) -> set[str] | None:
    """Column names to build (None: all): roles, their sources and ``opts.attributes``."""
    if opts.attributes is None:
        return None
    keep = set(ROLE_COLUMNS.values()) | set(opts.attributes)
    keep |= {f"case:{a}" for a in opts.attributes}
    for src in opts.explicit_roles().values():
        keep |= {src, f"case:{src}"}
    return keep


def _structure_report(parts: Assembler, report: IngestReport) -> None:
    """Empty traces, traces sharing an id, skipped nested attributes."""
    empty = parts.empty_traces
    report.empty_traces = empty
    if empty:
        report.warnings.append(
            note("{n:,} trace(s) without any event (nothing to keep; not counted in rows read)", n=empty)
        )
    ids = parts.ids()
    if ids is not None:
        dup = len(ids) - len(pc.unique(ids))
        report.duplicate_case_ids = dup
        if dup:
            report.warnings.append(note(
                "{n:,} trace(s) share their id with an earlier trace; their events "
                "are merged into one case (as pm4py does)", n=dup
            ))
    if parts.nested_skipped:
        keys = ", ".join(sorted(parts.nested_keys)[:10])
        report.formats["nested_attributes_skipped"] = parts.nested_skipped
        report.warnings.append(note(
            "{n:,} nested attribute(s) (children of list, container "
            "or other attributes) skipped; keys include: {keys}", n=parts.nested_skipped, keys=keys
        ))


# -- roles ------------------------------------------------------------------------------------------


def _apply_roles(
    cols: dict[str, pa.Array], kinds: dict[str, int], opts: ReadOptions, report: IngestReport, path: Path
) -> dict[str, pa.Array]:
    explicit = opts.explicit_roles()
    for role, src in explicit.items():
        target = ROLE_COLUMNS[role]
        found = next((c for c in (src, f"case:{src}") if c in cols), None)
        if found is None:
            avail = ", ".join(sorted(cols)[:30])
            raise LogError(
                f"the XES file has no attribute {src!r} for the {role} role; available: {avail}",
                path=str(path),
                column=src,
            )
        if found == target:
            continue
        col = cols.pop(found)
        if target in (TIMESTAMP, START) and kinds.get(found) != _DATE:
            col, bad = parse_dates(col.cast(pa.string()), opts.tz, report, found)
            if target == TIMESTAMP and bad.any():
                report.warnings.append(note("{n:,} value(s) of {column!r} are not dates",
                                                n=int(np.count_nonzero(bad)), column=found))
        if target in cols:
            cols[f"xes:{target}"] = cols.pop(target)
        cols[target] = col
    for role, target in ROLE_COLUMNS.items():
        if role in explicit:
            report.roles[role] = explicit[role]
            report.role_detection[role] = "explicit"
        elif target in cols:
            src = "concept:name (trace)" if role == "case" else target
            report.roles[role] = src
            report.role_detection[role] = "standard"
    for target in (CASE, ACTIVITY):
        if target not in cols:
            cols[target] = pa.nulls(0 if not cols else len(next(iter(cols.values()))), pa.string())
    if TIMESTAMP not in cols:
        cols[TIMESTAMP] = pa.nulls(len(next(iter(cols.values()))), pa.timestamp("us", "UTC"))
    elif not pa.types.is_timestamp(cols[TIMESTAMP].type):
        raise LogError(
            f"the attribute {TIMESTAMP!r} is not a date in this file; name the date "
            "attribute with timestamp=...",
            path=str(path),
            column=TIMESTAMP,
        )
    return cols


def _to_frame(cols: dict[str, pa.Array | pa.ChunkedArray], n: int) -> pd.DataFrame:
    """The frame, column by column; ``cols`` is emptied so each Arrow column is freed as
    soon as it is converted (strings stay Arrow-backed: their text is not copied)."""
    first = [CASE, ACTIVITY, TIMESTAMP]
    names = first + [c for c in cols if c not in first]
    out: dict[str, pd.Series] = {}
    freed = 0
    for c in names:
        col = cols.pop(c)
        if len(col) != n:
            col = pa.nulls(n, col.type)
        out[c] = _to_series(col)
        freed += col.nbytes
        del col
        # by bytes, not by column: each malloc_trim walks the whole heap, so trimming
        # every few columns is quadratic in a log with thousands of small columns
        if freed >= _RELEASE_BYTES:
            _release()
            freed = 0
    return pd.DataFrame(out, copy=False)


_STR_DTYPE = pd.StringDtype(storage="pyarrow", na_value=np.nan)  # pandas' default ``str``


def _to_series(col: pa.Array | pa.ChunkedArray) -> pd.Series:
    typ = col.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ):
        if not isinstance(col, pa.ChunkedArray):
            col = pa.chunked_array([col])
        if not pa.types.is_large_string(typ):
            col = col.cast(pa.large_string())
        return pd.Series(pd.arrays.ArrowStringArray(col, dtype=_STR_DTYPE), copy=False)
    if pa.types.is_timestamp(typ):
        return pd.Series(col.to_pandas(), copy=False).astype("datetime64[us, UTC]")
    mapper = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return col.to_pandas(types_mapper=mapper.get)
