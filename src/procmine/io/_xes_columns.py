"""Typed columns of the XES reader, built chunk by chunk (see :mod:`procmine.io.xes`).

The scanner gives the attributes of one chunk of whole traces in long format (one entry
per attribute element). :func:`pivot_chunk` types them at once per key (``date`` ->
``timestamp[us, UTC]``, ``int`` -> ``int64``...), so that only typed values outlive the
chunk's text; each key's values stay sparse, with the events (traces) of the chunk that
carry them. :class:`Assembler` collects the pieces in file order and makes each column
once for the whole log: values concatenated, spread to one per event (nulls where an
event has no value), trace attributes broadcast to the events of their trace.

A column is typed from the XES types of all its values: when the chunks disagree
(``int`` in one, ``string`` in another) or a chunk's values do not parse as their type,
the caller reads the file again with that column kept as text (``as_text``) and typed
once as a whole, so the result never depends on where the chunks were cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core.notes import note
from ..log import START, TIMESTAMP, IngestReport
from ._dates import (
    TIME_BOUNDS,
    DateSpec,
    detect_date_format,
    implausible_warning,
    parse_column,
    plausible_range,
)
from ._xes_scan import ATTR_TYPES, ChunkResult

__all__ = ["Assembler", "ChunkColumns", "Piece", "key_codes", "parse_dates", "pivot_chunk", "typed"]

_STR, _DATE, _INT, _FLOAT, _BOOL, _ID = range(6)
TEXT = -1  #: kind of a column kept as raw text until the end (typed as a whole)
#: codes of the date masks: a value that is not a date, a date out of range (TIME_BOUNDS)
BAD_DATE, OUT_OF_RANGE = 1, 2
#: keys read as dates even when the file types them as strings
_TIME_KEYS = (TIMESTAMP, START)


@dataclass
class Piece:
    """One column of one chunk: its values and the events (traces) of the chunk carrying them."""

    array: pa.Array
    kind: int
    tset: frozenset[int]
    bad: np.ndarray | None  #: per value: date codes (0, BAD_DATE, OUT_OF_RANGE) of date columns
    warnings: list[str]
    needs_text: bool  #: not typable as its XES type says: the column is typed as a whole
    rows: np.ndarray | None = None  #: chunk-local event (trace) of each value; None: all, in order


@dataclass
class ChunkColumns:
    """The typed columns of one chunk and what the report needs from it."""

    n_events: int
    n_traces: int
    empty_traces: int
    event_cols: dict[str, Piece]
    trace_cols: dict[str, Piece]
    trace_ids: pa.Array | None  #: the ``concept:name`` of the traces that have one
    nested_skipped: int
    nested_keys: set[str]
    ended: bool
    event_trace: np.ndarray | None = None  #: chunk-local trace of each event


def key_codes(keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Integer code of each key and the key names in order of first appearance."""
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


def pivot_chunk(
    data: ChunkResult, wanted: set[str] | None, tz: str | None, as_text: frozenset[str] = frozenset()
) -> ChunkColumns:
    """Typed values of each column of a chunk, with the events (traces) that carry them.

    The values are not spread to one per event here: :class:`Assembler` does that once per
    column for the whole log, so the work per chunk does not grow with the number of
    keys times the number of events (and trace attributes are broadcast to their events
    once, at the end). Per level, the values are sorted by key with one ``take``; each
    key's values are then a zero-copy slice.
    """
    _check_keys(_n_keys(data.ev_key) + _n_keys(data.tr_key))
    per_trace = np.bincount(data.event_trace, minlength=data.n_traces)
    trace_ids = None
    levels: dict[str, dict[str, Piece]] = {"event": {}, "trace": {}}
    for level, owner, keys, types, values, n, prefix in (
        ("event", data.ev_event, data.ev_key, data.ev_type, data.ev_value, data.n_events, ""),
        ("trace", data.tr_trace, data.tr_key, data.tr_type, data.tr_value, data.n_traces, "case:"),
    ):
        codes, names = key_codes(keys)
        if not names:
            continue
        if len(names) < 2**15:
            codes = codes.astype(np.int16)  # numpy sorts 16-bit integers by radix
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        who_all = owner[order]
        # the same key twice on one event (trace): the last is kept (attributes are in file order)
        again = np.zeros(len(order), dtype=bool)
        again[:-1] = (codes[1:] == codes[:-1]) & (who_all[1:] == who_all[:-1])
        dups = np.bincount(codes[again], minlength=len(names)) if again.any() else None
        if dups is not None:
            keep = ~again
            order, codes, who_all = order[keep], codes[keep], who_all[keep]
        bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(names)))))
        n_types = len(ATTR_TYPES)
        tmat = np.bincount(
            codes.astype(np.int64) * n_types + types[order], minlength=len(names) * n_types
        ).reshape(len(names), n_types)
        del codes
        sorted_values = values.take(pa.array(order))
        if isinstance(sorted_values, pa.ChunkedArray):
            sorted_values = sorted_values.combine_chunks()
        del order
        for k, key in enumerate(names):
            col_name = prefix + key
            want = wanted is None or col_name in wanted
            is_id = level == "trace" and key == "concept:name"
            if not (want or is_id):
                continue
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            compact = sorted_values.slice(lo, hi - lo)
            if is_id:
                trace_ids = compact
            if not want:
                continue
            warns: list[str] = []
            if dups is not None and dups[k]:
                warns.append(
                    f"{int(dups[k]):,} {level}(s) carry the key {key!r} more than once; "
                    "the last value is kept"
                )
            tset = frozenset(np.flatnonzero(tmat[k]).tolist())
            if col_name in as_text:
                col, kind, bad, needs = compact, TEXT, None, False
            else:
                scratch = IngestReport()
                col, kind, bad = typed(compact, tset, col_name, tz, scratch)
                # a date format found from the values is decided on the whole column
                found = col_name in scratch.formats.get("dates", {})
                needs = (kind == _STR and not tset <= {_STR, _ID}) or found
                warns.extend(scratch.warnings)
            # owners are increasing within a key: as many as the events means every one, in order
            rows = None if hi - lo == n else who_all[lo:hi]
            levels[level][col_name] = Piece(col, kind, tset, bad, warns, needs, rows)
        trace_ids = _own_text(levels[level], sorted_values, trace_ids)
    return ChunkColumns(
        n_events=data.n_events,
        n_traces=data.n_traces,
        empty_traces=int((per_trace == 0).sum()),
        event_cols=levels["event"],
        trace_cols=levels["trace"],
        trace_ids=trace_ids,
        nested_skipped=data.nested_skipped,
        nested_keys=data.nested_keys,
        ended=data.ended,
        event_trace=data.event_trace,
    )


def _own_text(pieces: dict[str, Piece], shared: pa.Array, trace_ids: pa.Array | None) -> pa.Array | None:
    """Text pieces copied out of the level's shared buffer when other keys were typed.

    The pieces kept as text are slices of one array holding the text of every key of the
    level; kept as they are, they would hold the text of the dates and numbers too until
    the end of the read. Returns ``trace_ids`` pointing into the copy if it was a slice.
    """
    data = shared.buffers()[-1]
    if data is None:
        return trace_ids

    def in_shared(arr: pa.Array) -> bool:
        buf = arr.buffers()[-1]
        return buf is not None and buf.address == data.address

    text = [name for name, p in pieces.items() if in_shared(p.array)]
    if text and len(text) < len(pieces):
        arrays = [pieces[name].array for name in text]
        joined = pa.concat_arrays(arrays)  # one copy of the text values only
        start = 0
        for name, arr in zip(text, arrays, strict=True):
            new = joined.slice(start, len(arr))
            if trace_ids is arr:
                trace_ids = new
            pieces[name].array = new
            start += len(arr)
    if trace_ids is not None and in_shared(trace_ids) and len(text) < len(pieces):
        trace_ids = trace_ids.take(pa.array(np.arange(len(trace_ids))))  # not kept as a column
    return trace_ids


def _n_keys(keys: pa.Array | pa.ChunkedArray) -> int:
    if isinstance(keys, pa.DictionaryArray):
        return len(keys.dictionary)
    return len(pc.unique(keys))


def _check_keys(n: int) -> None:
    """Refuse a log with more distinct attribute keys than ``LIMITS.max_attribute_keys``.

    Each key becomes a column: a hostile file with 100,000 keys would make 100,000 columns.
    """
    from ..errors import LogError
    from ._limits import LIMITS

    if n > LIMITS.max_attribute_keys:
        raise LogError(
            f"the log has more than {LIMITS.max_attribute_keys:,} distinct attribute keys "
            f"({n:,} so far; the limit procmine.io.LIMITS.max_attribute_keys); each key becomes a "
            "column. If it is a real log, raise that limit or keep fewer keys with attributes=[...]"
        )


_COUNTED = re.compile(r"([\d,]+) (.*)", re.S)


def merge_counts(warnings: list[str]) -> list[str]:
    """Warnings of several chunks as one list: ``"3 x"`` and ``"4 x"`` become ``"7 x"``."""
    merged: dict[tuple[bool, str], int] = {}
    for w in warnings:
        m = _COUNTED.fullmatch(w)
        if m:
            key = (True, m.group(2))
            merged[key] = merged.get(key, 0) + int(m.group(1).replace(",", ""))
        else:
            merged.setdefault((False, w), 0)
    return [f"{v:,} {text}" if counted else text for (counted, text), v in merged.items()]


@dataclass
class Assembler:
    """Pieces of every chunk, in file order, made into one column each by :meth:`finish`."""

    tz: str | None = None
    sizes: list[int] = field(default_factory=list)
    trace_sizes: list[int] = field(default_factory=list)
    event_cols: dict[str, dict[int, Piece]] = field(default_factory=dict)
    trace_cols: dict[str, dict[int, Piece]] = field(default_factory=dict)
    trace_ids: list[pa.Array] = field(default_factory=list)
    event_trace: list[np.ndarray] = field(default_factory=list)
    n_traces: int = 0
    empty_traces: int = 0
    nested_skipped: int = 0
    nested_keys: set[str] = field(default_factory=set)
    ended: bool = False

    @property
    def n_events(self) -> int:
        return sum(self.sizes)

    def add(self, part: ChunkColumns) -> None:
        i = len(self.sizes)
        self.sizes.append(part.n_events)
        self.trace_sizes.append(part.n_traces)
        for store, cols in ((self.event_cols, part.event_cols), (self.trace_cols, part.trace_cols)):
            for name, piece in cols.items():
                store.setdefault(name, {})[i] = piece
        _check_keys(len(self.event_cols) + len(self.trace_cols))
        if part.trace_ids is not None:
            self.trace_ids.append(part.trace_ids)
        if part.trace_cols:
            self.event_trace.append(part.event_trace + self.n_traces)
        else:  # no trace attribute in this chunk: nothing will be broadcast to its events
            self.event_trace.append(np.zeros(0, dtype=np.int32))
        self.n_traces += part.n_traces
        self.empty_traces += part.empty_traces
        self.nested_skipped += part.nested_skipped
        self.nested_keys |= part.nested_keys
        self.ended = part.ended

    def retry(self) -> set[str]:
        """Columns to read again as text: chunks typed them differently or could not type them."""
        if len(self.sizes) == 1:
            return set()  # one chunk: already typed as a whole
        out = set()
        for store in (self.event_cols, self.trace_cols):
            for name, pieces in store.items():
                kinds = {p.kind for p in pieces.values()}
                if any(p.needs_text for p in pieces.values()) or not (
                    len(kinds) == 1 or kinds == {_INT, _FLOAT}
                ):
                    out.add(name)
        return out

    def replace(self, other: Assembler, names: set[str]) -> None:
        """Take the pieces of ``names`` from ``other``, a second read of the same file (the
        chunks are cut at the same places) that built only those columns."""
        if other.sizes != self.sizes:
            raise RuntimeError("the second read of the file was cut into other chunks")
        for mine, theirs in ((self.event_cols, other.event_cols), (self.trace_cols, other.trace_cols)):
            for name in names:
                if name in mine:
                    mine[name] = theirs.pop(name)

    def ids(self) -> pa.ChunkedArray | None:
        return pa.chunked_array(self.trace_ids, type=pa.string()) if self.trace_ids else None

    def finish(self, report: IngestReport):
        """(columns, kinds, bad-date masks); the pieces are released as columns are built."""
        cols: dict[str, pa.Array] = {}
        kinds: dict[str, int] = {}
        bad_dates: dict[str, np.ndarray] = {}
        event_trace = None
        for store, sizes in ((self.event_cols, self.sizes), (self.trace_cols, self.trace_sizes)):
            for name in list(store):
                pieces = store.pop(name)
                if name in cols:
                    report.warnings.append(note(
                        "trace attribute {trace!r} clashes with the event attribute "
                        "{name!r}; the event attribute is kept", trace=name[5:], name=name
                    ))
                    continue
                if store is self.trace_cols and event_trace is None:
                    event_trace = self._event_trace()
                col, kind, bad, warns = self._column(name, pieces, sizes, event_trace)
                report.warnings.extend(warns)
                if bad is not None and bad.any():
                    bad_dates[name] = bad
                cols[name] = col
                kinds[name] = kind
        return cols, kinds, bad_dates

    def _event_trace(self) -> np.ndarray:
        """The trace of every event of the log (-1 in chunks without trace attributes)."""
        parts = [
            et if len(et) == size else np.full(size, -1, dtype=np.int32)
            for et, size in zip(self.event_trace, self.sizes, strict=True)
        ]
        self.event_trace = []
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def _column(self, name: str, pieces: dict[int, Piece], sizes: list[int], event_trace: np.ndarray | None):
        """One column for the whole log: the values of every chunk, spread once to the events.

        ``sizes`` are the events (traces) per chunk; for a trace column ``event_trace`` maps
        each event of the log to its trace, so its values are broadcast with one ``take``.
        """
        kinds = {p.kind for p in pieces.values()}
        kind = _FLOAT if kinds == {_INT, _FLOAT} else next(iter(kinds))
        typ = pa.float64() if kind == _FLOAT else next(iter(pieces.values())).array.type
        warns = merge_counts([w for p in pieces.values() for w in p.warnings])
        tset = frozenset().union(*(p.tset for p in pieces.values()))
        any_bad = any(p.bad is not None for p in pieces.values())
        arrays, rows, bads = [], [], []
        dense = True  # every event (trace) of the log has a value, in order
        base = 0
        for i, size in enumerate(sizes):
            p = pieces.pop(i, None)
            if p is not None:
                # int pieces of a float column: rounded as parsing their text would (no check)
                arrays.append(p.array if p.array.type == typ else p.array.cast(typ, safe=False))
                dense = dense and p.rows is None
                rows.append(np.arange(base, base + size) if p.rows is None else p.rows.astype(np.int64) + base)
                if any_bad:
                    bads.append(p.bad if p.bad is not None else np.zeros(len(p.array), dtype=np.uint8))
                del p
            else:
                dense = dense and size == 0
            base += size
        values = arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)
        del arrays
        bad = np.concatenate(bads) if bads else None
        del bads
        if kind == TEXT:
            scratch = IngestReport()
            values, kind, bad = typed(values, tset, name, self.tz, scratch)
            warns.extend(scratch.warnings)
        # position of each event's (trace's) value in ``values``; -1: none
        if dense:
            where = None
        else:
            where = np.full(base, -1, dtype=np.int64)
            where[np.concatenate(rows)] = np.arange(len(values))
        del rows
        if event_trace is not None:  # a trace column: each event takes its trace's value
            if where is None:
                where = event_trace.astype(np.int64)
            else:
                where = np.where(event_trace >= 0, where[event_trace], -1)
        if where is None:
            return values, kind, bad, warns
        missing = where < 0
        col = values.take(pa.array(where, mask=missing) if missing.any() else pa.array(where))
        if bad is not None:
            bad = np.where(missing, 0, bad[np.maximum(where, 0)]).astype(np.uint8)
        return col, kind, bad, warns


def typed(col: pa.Array, tset: frozenset[int] | set[int], name: str, tz: str | None, report: IngestReport):
    """Cast a string column to the XES type of its values; returns (array, kind, date mask).

    The date mask is ``None`` or uint8 codes per value: 0, :data:`BAD_DATE` or
    :data:`OUT_OF_RANGE`. ``time:timestamp`` and ``start_timestamp`` typed ``string`` in
    the file (as some tools write them) are read as dates when their values are dates in
    one format; a date format found from the values (not ISO 8601) is noted in
    ``report.formats["dates"]``.
    """
    as_time = name in _TIME_KEYS and tset <= {_DATE, _STR, _ID} and tset != {_DATE}
    if tset <= {_STR, _ID} and not as_time:
        return col, _STR, None
    if tset == {_DATE} or as_time:
        ts, bad = parse_dates(col, tz, report, name, strings=as_time)
        if ts is None:
            return col, _STR, None  # text, not dates: the reader says so if it is the timestamp
        n_bad = int(np.count_nonzero(bad == BAD_DATE))
        if n_bad and name != TIMESTAMP:
            report.warnings.append(
                note("{n:,} value(s) of the date attribute {name!r} cannot be parsed and are left empty", n=n_bad, name=name)
            )
        n_out = int(np.count_nonzero(bad == OUT_OF_RANGE))
        if n_out and name != TIMESTAMP:
            lo, hi = TIME_BOUNDS
            report.warnings.append(note(
                "{n:,} value(s) of the date attribute {name!r} lie outside the years "
                "{lo}-{hi} and are left empty", n=n_out, name=name, lo=str(lo.year), hi=str(hi.year - 1)
            ))
        how = report.formats.get("dates", {}).get(name)
        if as_time:
            report.warnings.append(note(
                "the attribute {name!r} is typed string in the file; read as dates ({how})", name=name,
                how=how or "ISO 8601"))
        elif how:
            report.warnings.append(note("the date attribute {name!r} is not in ISO 8601; read as {how}", name=name,
                                        how=how))
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
            report.warnings.append(note(
                "the {kind} attribute {name!r} has values that are "
                "not numbers/booleans; kept as text", kind=ATTR_TYPES[min(tset)], name=name
            ))
            return col, _STR, None
    shown = "/".join(sorted(ATTR_TYPES[t] for t in tset))
    report.warnings.append(note("the attribute {name!r} has mixed types ({types}); kept as text", name=name, types=shown))
    return col, _STR, None


def parse_dates(
    col: pa.Array | pa.ChunkedArray,
    tz: str | None,
    report: IngestReport | None = None,
    name: str = "",
    *,
    strings: bool = False,
) -> tuple[pa.Array | None, np.ndarray]:
    """Date strings -> ``timestamp[us, UTC]`` and uint8 codes per value (0 fine,
    :data:`BAD_DATE` non-empty but not a date, :data:`OUT_OF_RANGE` outside
    :data:`~procmine.io._dates.TIME_BOUNDS`, left null).

    ISO 8601 is cast by Arrow at once; other values are read as one family found from
    the whole column (``2019/11/03 01:11:19.000``, ``03.11.2019 01:11``...), as in CSV.
    Dates without offset are local to ``tz``. With ``strings`` (values typed ``string`` in
    the file) the result is ``(None, ...)`` unless most values are dates.
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    try:
        out = pc.cast(col, pa.timestamp("us", "UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = None
    if out is not None:
        codes = np.zeros(len(col), dtype=np.uint8)
        lo, hi = (pa.scalar(t, type=pa.timestamp("us", "UTC")) for t in TIME_BOUNDS)
        outside = pc.fill_null(pc.or_(pc.less(out, lo), pc.greater_equal(out, hi)), False)
        if pc.any(outside).as_py():
            codes[outside.to_numpy(zero_copy_only=False)] = OUT_OF_RANGE
            out = pc.if_else(outside, pa.scalar(None, type=out.type), out)
        if report is not None and name in _TIME_KEYS:
            _warn_implausible(out, report, name)
        return out, codes
    s = pd.Series(col.to_pandas(), dtype="str")
    spec = detect_date_format(s)
    if spec is None or spec.kind not in ("iso", "format", "names") or spec.share < 0.5:
        if strings:
            return None, np.zeros(len(col), dtype=np.uint8)
        spec = DateSpec("iso", ("ISO8601",), reason="ISO 8601")
    if spec.kind != "iso" and report is not None:
        report.formats.setdefault("dates", {})[name] = spec.describe()
    got = parse_column(s, spec, tz=tz, report=report, column=name, _warn_range=name in _TIME_KEYS)
    codes = got.bad.astype(np.uint8) * BAD_DATE + got.out_of_range.astype(np.uint8) * OUT_OF_RANGE
    return pa.array(got.times, type=pa.timestamp("us", "UTC")), codes


def _warn_implausible(times: pa.Array, report: IngestReport, name: str) -> None:
    """Like :func:`procmine.io._dates.parse_column`'s warning, on an Arrow array."""
    typ = pa.timestamp("us", "UTC")
    first, last = (pa.scalar(t, type=typ) for t in plausible_range())
    odd = pc.fill_null(pc.or_(pc.less(times, first), pc.greater(times, last)), False)
    n = pc.sum(odd.cast(pa.int64())).as_py() or 0
    if n:
        report.warnings.append(implausible_warning(n, name))
