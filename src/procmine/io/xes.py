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
or unbalanced tags raises :class:`~procmine.LogError` naming the file and line.

What is kept: every event attribute under its XES key (``concept:name``,
``time:timestamp``, ``org:resource``...), every trace attribute as ``case:<key>``
(trace ``concept:name`` is ``case:concept:name``, as in pm4py). Log-level attributes,
``<global>`` defaults, ``<extension>`` and ``<classifier>`` are not events and are
ignored. Children of nested attributes (an attribute inside an attribute, ``<list>``,
``<container>``) are skipped; the parent keeps its own value when it has one; the
report counts what was skipped and names the keys. A key with mixed types across
events becomes ``float64`` when all are ``int``/``float``, else ``str``.

Row numbers in ``log.report.dropped_rows`` are 1-based event numbers in file order.
With ``pair_lifecycle=True`` see :mod:`procmine.io._xes_lifecycle` (merged starts are
counted as dropped rows with the reason ``"start merged into its complete"``).

Speed and memory: the file is decompressed in 8 MB chunks cut after a ``</trace>``,
two chunks are scanned at a time in threads (numpy, zlib and Arrow release the GIL);
only the attributes in long format (Arrow strings, one small integer key code per
attribute) stay in memory until the columns are built. ``benchmarks/ingest.py``
measures it against pm4py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LogError
from ..log import (
    ACTIVITY,
    CASE,
    GROUP,
    LIFECYCLE,
    RESOURCE,
    ROLE_COLUMNS,
    START,
    TIMESTAMP,
    EventLog,
    IngestReport,
)
from ._common import UNPARSEABLE_TS, ReadOptions, finalize, to_utc
from ._xes_scan import ATTR_TYPES, ChunkResult, Malformed, Refused, Unsupported, scan_chunk
from ._xes_source import iter_chunks, line_at
from ._xes_write import write_xes

__all__ = ["read_xes", "write_xes"]

logger = logging.getLogger("procmine")

_STANDARD = {
    "case": CASE,
    "activity": ACTIVITY,
    "timestamp": TIMESTAMP,
    "start_timestamp": START,
    "resource": RESOURCE,
    "org": GROUP,
    "lifecycle": LIFECYCLE,
}
_STR, _DATE, _INT, _FLOAT, _BOOL, _ID = range(6)
_THREADS = 2


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
        ``pair_lifecycle`` merges ``start``/``complete`` pairs (see
        :func:`procmine.io._xes_lifecycle.pair_lifecycle`).

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
    opts = opts or ReadOptions()
    path = Path(path)
    report = IngestReport(source=str(path), format="xes")
    data, reader = _read_long(path)
    report.formats["xes_reader"] = reader
    report.rows_read = data.n_events

    n = data.n_events
    _structure_report(data, report)
    cols, kinds, bad_dates = _pivot(data, _wanted(opts), opts, report)
    del data  # the long format is no longer needed: free it before the frame is built
    pa.default_memory_pool().release_unused()
    cols = _apply_roles(cols, kinds, opts, report, path)

    extra: dict[str, np.ndarray] = {}
    if TIMESTAMP in bad_dates:
        extra[UNPARSEABLE_TS] = bad_dates[TIMESTAMP]
    df = _to_frame(cols, n)
    del cols
    row_numbers = np.arange(1, n + 1)
    if opts.pair_lifecycle:
        from ._xes_lifecycle import pair_lifecycle

        df, row_numbers, extra = pair_lifecycle(df, row_numbers, extra, report)
    return finalize(
        df,
        report=report,
        row_numbers=row_numbers,
        extra_drops=extra,
        strict=opts.strict,
        path=path,
        name=path.name.split(".")[0],
    )


# -- reading the attributes in long format ---------------------------------------------------


def _read_long(path: Path) -> tuple[ChunkResult, str]:
    """The attributes in long format and the reader used (``"numpy"`` or ``"lxml (why)"``)."""
    try:
        return _read_long_fast(path), "numpy"
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

    return read_long_lxml(path), f"lxml ({why})"


def _read_long_fast(path: Path) -> ChunkResult:
    """Scan the chunks, two at a time (numpy and zlib release the GIL), in file order."""
    from concurrent.futures import ThreadPoolExecutor

    parts: list[ChunkResult] = []
    offsets: list[int] = []
    pending: list = []
    offset = 0

    def collect(fut, start: int) -> None:
        try:
            parts.append(fut.result())
        except Refused as exc:
            raise LogError(exc.message, path=str(path), line=line_at(path, start + exc.pos)) from None

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        try:
            for i, buf in enumerate(iter_chunks(path)):
                if i == 0:
                    head = buf[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
                    if not head.startswith(b"<"):
                        raise LogError(
                            "not an XML file (it does not start with '<'); is it really XES?",
                            path=str(path),
                            line=1,
                        )
                if len(buf) < 4096 and not buf.strip():
                    continue
                fut = pool.submit(
                    scan_chunk, buf, first=i == 0, start_depth=0 if i == 0 else 1, base_event=0, base_trace=0
                )
                pending.append((fut, offset))
                offsets.append(offset)
                offset += len(buf)
                del buf
                while len(pending) > _THREADS:
                    collect(*pending.pop(0))
            while pending:
                collect(*pending.pop(0))
        finally:
            for fut, _ in pending:
                fut.cancel()
    if not parts:
        raise LogError("the file is empty", path=str(path))
    n_ev = n_tr = 0
    for j, part in enumerate(parts):
        if part.ended and j != len(parts) - 1:
            raise Malformed("content after </log>")
        part.event_trace += n_tr
        part.ev_event += n_ev
        part.tr_trace += n_tr
        n_ev += part.n_events
        n_tr += part.n_traces
    ended = parts[-1].ended
    if not ended:
        raise Malformed("no closing </log>: the file is truncated")
    if len(parts) == 1:
        return parts[0]
    return ChunkResult(
        n_events=n_ev,
        n_traces=n_tr,
        event_trace=np.concatenate([p.event_trace for p in parts]),
        ev_event=np.concatenate([p.ev_event for p in parts]),
        ev_key=pa.chunked_array([p.ev_key for p in parts]),
        ev_type=np.concatenate([p.ev_type for p in parts]),
        ev_value=pa.concat_arrays([p.ev_value for p in parts]),
        tr_trace=np.concatenate([p.tr_trace for p in parts]),
        tr_key=pa.chunked_array([p.tr_key for p in parts]),
        tr_type=np.concatenate([p.tr_type for p in parts]),
        tr_value=pa.concat_arrays([p.tr_value for p in parts]),
        nested_skipped=sum(p.nested_skipped for p in parts),
        nested_keys=set().union(*(p.nested_keys for p in parts)),
        ended=True,
    )


# -- long format -> typed columns ----------------------------------------------------------------


def _wanted(opts: ReadOptions) -> set[str] | None:
    """Column names to build (None: all): roles, their sources and ``opts.attributes``."""
    if opts.attributes is None:
        return None
    keep = set(_STANDARD.values()) | set(opts.attributes)
    keep |= {f"case:{a}" for a in opts.attributes}
    for src in opts.explicit_roles().values():
        keep |= {src, f"case:{src}"}
    return keep


def _codes(keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Integer code of each key and the key names (from per-chunk dictionaries)."""
    chunks = keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys]
    lookup: dict[str, int] = {}
    out = []
    for ch in chunks:
        if not pa.types.is_dictionary(ch.type):
            ch = pc.dictionary_encode(ch)
        local = ch.dictionary.to_pylist()
        remap = np.array([lookup.setdefault(k, len(lookup)) for k in local] or [0], dtype=np.int32)
        out.append(remap[ch.indices.to_numpy(zero_copy_only=False)])
    if not out:
        return np.zeros(0, dtype=np.int32), []
    return np.concatenate(out), list(lookup)


def _pivot(data: ChunkResult, wanted: set[str] | None, opts: ReadOptions, report: IngestReport):
    """Typed columns (name -> Arrow array of one value per event) from the long format.

    Columns are built in two threads (Arrow's take and cast release the GIL); warnings
    are added to the report in key order, whatever the thread that found them.
    """
    from concurrent.futures import ThreadPoolExecutor

    tasks = []
    for level, owner, keys, types, values, n, prefix in (
        ("event", data.ev_event, data.ev_key, data.ev_type, data.ev_value, data.n_events, ""),
        ("trace", data.tr_trace, data.tr_key, data.tr_type, data.tr_value, data.n_traces, "case:"),
    ):
        codes, names = _codes(keys)
        if not names:
            continue
        if len(names) < 2**15:
            codes = codes.astype(np.int16)  # numpy sorts 16-bit integers by radix
        order = np.argsort(codes, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(names)))))
        for k, key in enumerate(names):
            col_name = prefix + key
            if wanted is not None and col_name not in wanted:
                continue
            sel = order[bounds[k] : bounds[k + 1]]
            tasks.append((level, key, col_name, sel, owner, types, values, n))

    def build(task):
        level, key, col_name, sel, owner, types, values, n = task
        scratch = IngestReport()
        who = owner[sel]
        if len(who) > 1:
            last = np.append(who[1:] != who[:-1], True)  # attributes are in file order
            if not last.all():
                scratch.warnings.append(
                    f"{int((~last).sum()):,} {level}(s) carry the key {key!r} more than once; "
                    "the last value is kept"
                )
                sel, who = sel[last], who[last]
        compact = values.take(pa.array(sel))
        if isinstance(compact, pa.ChunkedArray):
            compact = compact.combine_chunks()
        tset = set(np.unique(types[sel]).tolist())
        col, kind, bad_c = _typed(compact, tset, col_name, opts, scratch)
        bad = None
        if len(who) == n:  # every event (trace) has the key, in order
            bad = bad_c
        else:
            idx = np.full(n, -1, dtype=np.int64)
            idx[who] = np.arange(len(who))
            col = col.take(pa.array(idx, mask=idx < 0))
            if bad_c is not None:
                bad = np.zeros(n, dtype=bool)
                bad[who] = bad_c
        if level == "trace":
            col = col.take(event_trace)
            if bad is not None:
                bad = bad[data.event_trace]
        return col_name, col, kind, bad, scratch.warnings

    event_trace = pa.array(data.event_trace)
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        built = list(pool.map(build, tasks))
    cols: dict[str, pa.Array] = {}
    kinds: dict[str, int] = {}
    bad_dates: dict[str, np.ndarray] = {}
    for col_name, col, kind, bad, warns in built:
        if col_name in cols:
            report.warnings.append(
                f"trace attribute {col_name[5:]!r} clashes with the event attribute "
                f"{col_name!r}; the event attribute is kept"
            )
            continue
        report.warnings.extend(warns)
        if bad is not None and bad.any():
            bad_dates[col_name] = bad
        cols[col_name] = col
        kinds[col_name] = kind
    return cols, kinds, bad_dates


def _typed(col: pa.Array, tset: set[int], name: str, opts: ReadOptions, report: IngestReport):
    """Cast a string column to the XES type of its values; returns (array, kind, bad-date mask)."""
    if tset <= {_STR, _ID}:
        return col, _STR, None
    if tset == {_DATE}:
        ts, bad = parse_dates(col, opts.tz, report, name)
        n_bad = int(bad.sum())
        if n_bad and name != TIMESTAMP:
            report.warnings.append(
                f"{n_bad:,} value(s) of the date attribute {name!r} cannot be parsed and are left empty"
            )
        return ts, _DATE, bad
    target = {
        frozenset({_INT}): (pa.int64(), _INT),
        frozenset({_FLOAT}): (pa.float64(), _FLOAT),
        frozenset({_INT, _FLOAT}): (pa.float64(), _FLOAT),
        frozenset({_BOOL}): (pa.bool_(), _BOOL),
    }
    hit = target.get(frozenset(tset))
    if hit is not None:
        try:
            return pc.cast(pc.utf8_trim_whitespace(col), hit[0]), hit[1], None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            report.warnings.append(
                f"the {ATTR_TYPES[min(tset)]} attribute {name!r} has values that are "
                "not numbers/booleans; kept as text"
            )
            return col, _STR, None
    shown = "/".join(sorted(ATTR_TYPES[t] for t in tset))
    report.warnings.append(f"the attribute {name!r} has mixed types ({shown}); kept as text")
    return col, _STR, None


def parse_dates(
    col: pa.Array, tz: str | None, report: IngestReport | None = None, name: str = ""
) -> tuple[pa.Array, np.ndarray]:
    """ISO-8601 strings (with or without offset) -> ``timestamp[us, UTC]`` and a mask of
    non-empty values that could not be parsed. Dates without offset are local to ``tz``."""
    present = pc.is_valid(col).to_numpy(zero_copy_only=False)
    try:
        out = pc.cast(col, pa.timestamp("us", "UTC"))
        return out, np.zeros(len(col), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = pd.Series(col.to_pandas(), dtype="str")
    aware = s.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False).to_numpy()
    res = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    if aware.any():
        res[aware] = pd.to_datetime(s[aware], format="ISO8601", utc=True, errors="coerce").astype(
            "datetime64[us, UTC]"
        )
    naive = ~aware & present
    if naive.any():
        parsed = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        res[naive] = to_utc(parsed, tz, report, name)
    bad = present & res.isna().to_numpy()
    return pa.array(res, type=pa.timestamp("us", "UTC")), bad


def _structure_report(data: ChunkResult, report: IngestReport) -> None:
    """Empty traces, traces sharing an id, skipped nested attributes."""
    per_trace = np.bincount(data.event_trace, minlength=data.n_traces)
    empty = int((per_trace == 0).sum())
    report.empty_traces = empty
    if empty:
        report.warnings.append(
            f"{empty:,} trace(s) without any event (nothing to keep; not counted in rows read)"
        )
    ids = _trace_ids(data)
    if ids is not None:
        dup = len(ids) - len(pc.unique(ids))
        report.duplicate_case_ids = dup
        if dup:
            report.warnings.append(
                f"{dup:,} trace(s) share their id with an earlier trace; their events "
                "are merged into one case (as pm4py does)"
            )
    if data.nested_skipped:
        keys = ", ".join(sorted(data.nested_keys)[:10])
        report.formats["nested_attributes_skipped"] = data.nested_skipped
        report.warnings.append(
            f"{data.nested_skipped:,} nested attribute(s) (children of list, container "
            f"or other attributes) skipped; keys include: {keys}"
        )


def _trace_ids(data: ChunkResult) -> pa.Array | None:
    """The ``concept:name`` of the traces that have one (one per trace, the last if repeated)."""
    codes, names = _codes(data.tr_key)
    if "concept:name" not in names:
        return None
    sel = np.flatnonzero(codes == names.index("concept:name"))
    who = data.tr_trace[sel]
    if len(who) > 1:
        sel = sel[np.append(who[1:] != who[:-1], True)]
    vals = data.tr_value.take(pa.array(sel))
    return vals.combine_chunks() if isinstance(vals, pa.ChunkedArray) else vals


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
                report.warnings.append(f"{int(bad.sum()):,} value(s) of {found!r} are not dates")
        if target in cols:
            cols[f"xes:{target}"] = cols.pop(target)
        cols[target] = col
    for role, target in _STANDARD.items():
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


def _to_frame(cols: dict[str, pa.Array], n: int) -> pd.DataFrame:
    first = [CASE, ACTIVITY, TIMESTAMP]
    names = first + [c for c in cols if c not in first]
    arrays = [cols[c] if len(cols[c]) == n else pa.nulls(n, cols[c].type) for c in names]
    table = pa.Table.from_arrays(arrays, names=names)
    mapper = {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.null(): pd.StringDtype(na_value=np.nan),
    }
    df = table.to_pandas(types_mapper=mapper.get, split_blocks=True)
    for c in names:
        if pa.types.is_timestamp(cols[c].type):
            df[c] = df[c].astype("datetime64[us, UTC]")
    return df
