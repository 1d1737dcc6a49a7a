"""The streaming pass that writes the ordered table of a DuckLog whose source is in case order.

DuckDB scans the source in Arrow record batches; :class:`Shifted` shifts each batch's
columns by one row (the previous batch's last event and the next batch's first at the
edges), masks the neighbours of another case, and :class:`Tally` counts on the way what the
order check needs and the figures that would otherwise each take a scan of the table (cases
per directly-follows pair, start/end activities, variants). Used by
:meth:`procmine.engines.duckdb._setup._DuckViews._stream_seq`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._core.codes import distinct_hashes
from ..._core.kernels import group_stats, key_counts, run_starts
from ...errors import LogError

__all__ = ["CASE_HASH", "SEP", "STREAM_BATCH", "Prefetched", "Shifted", "Tally"]

SEP = "\x1f"  #: unit separator between the activities of a variant: never part of an activity name in practice (checked)


#: the column of the streamed query holding DuckDB's ``hash(case_id)`` (the order check's)
CASE_HASH = "__case_hash"


#: events per record batch of the pass that writes ``seq`` (:meth:`procmine.engines.duckdb._setup._DuckViews._stream_seq`):
#: 262,144 held the pass's own memory to 0.5 GB on 10 M events (1.1 GB with 1,048,576) in
#: the same time
STREAM_BATCH = 1 << 18


#: batches made ahead of the writer by :class:`Prefetched`
PREFETCH = 2


class Prefetched:
    """The items of ``items``, made in a thread up to :data:`PREFETCH` ahead of the consumer.

    DuckDB's writer pulls each batch from Python and then inserts it, one after the other:
    the source's scan, the Python work on the batch (Arrow and numpy, which release the
    GIL) and the insertion ran in turn (10 M events: 0.8 + 0.8 + 3.0 s for the ordered
    table). Made ahead, the batches are ready when the writer asks. An error in ``items``
    is raised to the consumer; a consumer that stops early stops the thread.
    """

    _END = object()

    def __init__(self, items: Any) -> None:
        import queue
        import threading

        self._queue: queue.Queue[Any] = queue.Queue(maxsize=PREFETCH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iter(items),), daemon=True,
                                        name="procmine-prefetch")
        self._thread.start()

    def _put(self, item: Any) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, it: Any) -> None:
        try:
            for item in it:
                if not self._put((True, item)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((False, exc))
            return
        self._put((True, self._END))

    def __iter__(self) -> Any:
        try:
            while True:
                ok, item = self._queue.get()
                if not ok:
                    raise item
                if item is self._END:
                    return
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the thread (it ends at its next batch) and wait for it."""
        self._stop.set()
        self._thread.join()


class Shifted:
    """The batches of ``seq`` from the source's batches in case order (see :meth:`procmine.engines.duckdb._setup._DuckViews._stream_seq`)."""

    def __init__(self, batches: Any, has_start: bool, has_grp: bool) -> None:
        import pyarrow as pa

        self._batches = batches
        self._grp = has_grp
        src = batches.schema
        # the hash of each case id (the query's last column) is for the tally, not the table
        self._keep = [f.name for f in src if f.name != CASE_HASH]
        self.schema = pa.schema([
            *(src.field(k) for k in self._keep), pa.field("pos", pa.int64()),
            # the previous activity as codes into the activities so far (DuckDB reads it as
            # text): no copy of the names, as a string if_else made (a third of the pass)
            pa.field("prev_activity", pa.dictionary(pa.int32(), pa.string())),
            pa.field("prev_ts", src.field("ts").type),
            *([pa.field("prev_grp", src.field("grp").type)] if has_grp else []),
        ])
        self.tally = Tally(has_start)

    def __iter__(self) -> Any:
        done = 0
        last: Any = None  # the last row of the batch before
        cur: Any = None
        for batch in self._batches:
            if batch.num_rows == 0:
                continue
            if cur is not None:
                yield self._batch(cur, last, batch.slice(0, 1), done)
                done += cur.num_rows
                last = cur.slice(cur.num_rows - 1, 1)
            cur = batch
        if cur is not None:
            yield self._batch(cur, last, None, done)
        # after the last batch, while the writer still inserts it
        self.tally.finish()

    def _batch(self, cur: Any, last: Any, first: Any, done: int) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        n = cur.num_rows

        def before(col: str, values: Any = None) -> Any:
            """The column shifted down one row, the previous batch's last value first."""
            v = cur.column(col) if values is None else values
            head = last.column(col) if last is not None else pa.nulls(1, v.type)
            return pa.concat_arrays([head, v.slice(0, n - 1)])

        case = cur.column("case_id")
        same_prev = pc.fill_null(pc.equal(before("case_id"), case), False)
        # the next row's case (the next batch's first last): the tally's last activities
        tail = first.column("case_id") if first is not None else pa.nulls(1, case.type)
        same_next = pc.fill_null(pc.equal(pa.concat_arrays([case.slice(1), tail]), case), False)
        prev_ts = before("ts")
        prev_rn = before("__rn")
        ok = pc.and_(
            pc.fill_null(pc.less(prev_rn, cur.column("__rn")), True),
            pc.or_(pc.invert(same_prev), pc.fill_null(pc.less_equal(prev_ts, cur.column("ts")), False)),
        )
        prev, starts = self.tally.add(cur, same_prev, same_next, ok, cur.column(CASE_HASH))
        out = [
            *(cur.column(k) for k in self._keep),
            pa.array(np.arange(done + 1, done + n + 1, dtype=np.int64)),
            # a case's first event has no previous activity
            pa.DictionaryArray.from_arrays(pa.array(prev.astype(np.int32), mask=starts), self.tally.names()),
            pc.if_else(same_prev, prev_ts, None),
            *([pc.if_else(same_prev, before("grp"), None)] if self._grp else []),
        ]
        return pa.RecordBatch.from_arrays(out, schema=self.schema)


class Tally:
    """Counts of the streaming pass over a source in case order, batch by batch: events out
    of place (``bad``), case starts (``runs``) with the hashes of their case ids (whether
    every run is a case of its own, :meth:`runs_distinct`), the first and last activity of
    each case, and the distinct cases of each directly-follows pair. A case that runs on
    into the next batch keeps its pairs aside until it ends, so that each case counts a pair
    once."""

    _BITS = 20  # activity codes below 2**20; a pair is prev << 20 | activity

    def __init__(self, has_start: bool) -> None:
        self.bad = 0
        self.runs = 0
        self._run_hashes: list[np.ndarray] = []  # per batch
        self._distinct: bool | None = None  # of the runs' hashes, once the pass is done
        self.code: dict[str, int] = {}
        self._names: Any = None  # the activities so far, as an Arrow array
        self.first = np.zeros(0, dtype=np.int64)
        self.last = np.zeros(0, dtype=np.int64)
        self.pairs: dict[int, int] = {}
        self._prev = -1  # the code of the previous batch's last event
        self._variants = _VariantTally(has_start)
        self._open = np.zeros(0, dtype=np.int64)  # pairs of the case running on from the previous batch

    def _codes(self, activity: Any) -> np.ndarray:
        import pyarrow.compute as pc

        enc = pc.dictionary_encode(activity)
        names = enc.dictionary.to_pylist()
        for name in names:
            self.code.setdefault(name, len(self.code))
        if len(self.code) >= 1 << self._BITS:
            raise LogError(f"more than {1 << self._BITS:,} distinct activities; the DuckDB engine counts fewer")
        local = np.array([self.code[n] for n in names], dtype=np.int64)
        return local[enc.indices.to_numpy(zero_copy_only=False)]

    @staticmethod
    def _grow(counts: np.ndarray, size: int) -> np.ndarray:
        return counts if len(counts) >= size else np.concatenate((counts, np.zeros(size - len(counts), dtype=np.int64)))

    def names(self) -> Any:
        """The activities so far in the order of their codes, as an Arrow array."""
        import pyarrow as pa

        if self._names is None or len(self._names) != len(self.code):
            self._names = pa.array(list(self.code), type=pa.string())
        return self._names

    def add(self, batch: Any, same_prev: Any, same_next: Any, ok: Any,
            case_hash: Any) -> tuple[np.ndarray, np.ndarray]:
        """Count the batch; returns its previous-activity codes (the previous batch's last
        event first, -1 before the first batch) and where its cases start (bool per row)."""
        code = self._codes(batch.column("activity"))
        prev_same = same_prev.to_numpy(zero_copy_only=False)
        next_same = same_next.to_numpy(zero_copy_only=False)
        self.bad += len(code) - int(np.count_nonzero(ok.to_numpy(zero_copy_only=False)))
        starts = ~prev_same
        self.runs += int(np.count_nonzero(starts))
        self._run_hashes.append(case_hash.to_numpy(zero_copy_only=False)[starts])
        n = len(self.code)
        self.first = self._grow(self.first, n) + np.bincount(code[starts], minlength=n)
        self.last = self._grow(self.last, n) + np.bincount(code[~next_same], minlength=n)
        self._variants.add(batch, code, starts, bool(next_same[-1]))
        prev = np.empty_like(code)
        prev[0] = self._prev
        prev[1:] = code[:-1]
        self._prev = int(code[-1])
        # per case of the batch (0: the one running on from the previous batch), its pairs once
        case = np.cumsum(starts)
        has = prev_same
        key = (case[has] << (2 * self._BITS)) | (prev[has] << self._BITS) | code[has]
        key = np.concatenate((self._open, key))  # the open case's earlier pairs, as case 0
        if next_same[-1]:  # the last case runs on: its pairs wait for its end
            last = int(case[-1]) << (2 * self._BITS)
            self._open = key[key >= last] - last
            key = key[key < last]
        else:
            self._open = np.zeros(0, dtype=np.int64)
        # distinct (case, pair) keys by a sort (numpy's unique hashes, several times slower
        # here), then the cases per pair, counted over the pairs of the activities so far
        if len(key) == 0:
            return prev, starts
        # keys ascend with their case (the high bits): a stable sort (timsort) merges the
        # short unsorted stretches of each case (10 M events: 0.01 s against quicksort's 0.30 s)
        key.sort(kind="stable")
        pair = key[run_starts(key)] & ((1 << (2 * self._BITS)) - 1)
        found, cases = key_counts((pair >> self._BITS) * n + (pair & ((1 << self._BITS) - 1)), n * n)
        for p, c in zip((((found // n) << self._BITS) | (found % n)).tolist(), cases.tolist()):
            self.pairs[p] = self.pairs.get(p, 0) + c
        return prev, starts

    def finish(self) -> None:
        """At the end of the pass: whether the runs' hashes are distinct (:meth:`runs_distinct`)."""
        h = np.concatenate(self._run_hashes) if self._run_hashes else np.zeros(0, dtype=np.uint64)
        self._run_hashes = []
        self._distinct = distinct_hashes(h)

    def runs_distinct(self) -> bool:
        """True when no two runs of the pass share the hash of their case id: then every
        case is one run, and the runs are the cases. False when two do: a case split in two
        runs, or two ids with the same 64-bit hash (for 10 M cases a chance of about 3 in a
        million), which the caller tells apart by counting the distinct ids."""
        if self._distinct is None:
            self.finish()
        return bool(self._distinct)

    def edge_cases(self) -> pd.DataFrame:
        """``prev_act, activity, n_cases`` (as :func:`~procmine.engines._sql_perf.edge_cases_sql`)."""
        names = list(self.code)
        mask = (1 << self._BITS) - 1
        pairs = list(self.pairs)
        return pd.DataFrame({
            "prev_act": pd.Series([names[p >> self._BITS] for p in pairs], dtype="str"),
            "activity": pd.Series([names[p & mask] for p in pairs], dtype="str"),
            "n_cases": np.array([self.pairs[p] for p in pairs], dtype=np.int64),
        })

    def variants(self) -> pd.DataFrame | None:
        """The variant table of ``DuckLog._variant_table`` (None when an activity name holds
        the separator: the SQL path then refuses the log with its message)."""
        return self._variants.table(list(self.code))

    def first_last(self) -> pd.DataFrame:
        """``activity, first, last``: the cases starting and ending with each activity."""
        n = len(self.code)
        return pd.DataFrame({"activity": pd.Series(list(self.code), dtype="str"),
                             "first": self._grow(self.first, n), "last": self._grow(self.last, n)})


class _VariantTally:
    """Per case of the streaming pass: its variant (the activity codes of its events, as
    bytes: one id per distinct sequence), its duration and its first source row. A case
    that runs on into the next batch waits for its end."""

    def __init__(self, has_start: bool) -> None:
        self.has_start = has_start
        self.ids: dict[bytes, int] = {}
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._open: tuple[np.ndarray, ...] | None = None  # rows of the case running on

    def add(self, batch: Any, code: np.ndarray, starts: np.ndarray, runs_on: bool) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        ts = batch.column("ts").cast(pa.int64()).to_numpy()
        rn = batch.column("__rn").to_numpy()
        # a case starts at the earliest of its completions and start times (SQL's least
        # of the minimums: a missing start time does not count)
        first = ts
        if self.has_start:
            none = pa.scalar(np.iinfo(np.int64).max, pa.int64())
            first = np.minimum(pc.fill_null(batch.column("start_ts").cast(pa.int64()), none).to_numpy(), ts)
        starts = starts.copy()
        if self._open is not None:  # the case that ran on is case 0 of this batch
            o_code, o_ts, o_first, o_rn = self._open
            code, ts, first, rn = (np.concatenate(x) for x in ((o_code, code), (o_ts, ts), (o_first, first), (o_rn, rn)))
            starts = np.concatenate((np.zeros(len(o_code), dtype=bool), starts))
            starts[0] = True
        at = np.flatnonzero(starts)
        end = len(code)
        if runs_on:  # the last case goes on in the next batch
            end = int(at[-1])
            self._open = (code[end:], ts[end:], first[end:], rn[end:])
            at = at[:-1]
        else:
            self._open = None
        if len(at) == 0:
            return
        bounds = np.append(at, end)
        keys = pa.BinaryArray.from_buffers(
            pa.binary(), len(at),
            [None, pa.py_buffer((bounds * 4).astype(np.int32)), pa.py_buffer(code[:end].astype("<u4").tobytes())],
        )
        enc = pc.dictionary_encode(keys)
        local = np.array([self.ids.setdefault(k, len(self.ids)) for k in enc.dictionary.to_pylist()], dtype=np.int64)
        vid = local[enc.indices.to_numpy(zero_copy_only=False)]
        # times do not decrease within a case (checked): the last completion is the latest
        duration = ts[bounds[1:] - 1] - np.minimum.reduceat(first[:end], at)
        self.parts.append((vid, duration, rn[at]))

    def table(self, names: list[str]) -> pd.DataFrame | None:
        """``v`` (names joined by U+001F), ``cases``, ``median_us``, ``mean_us``, ``first_seen``;
        most frequent first, ties by first appearance."""
        if any(SEP in n for n in names):
            return None
        n_v = len(self.ids)
        vid, dur, rn = (np.concatenate([p[i] for p in self.parts]) if self.parts else np.zeros(0, dtype=np.int64)
                        for i in range(3))
        # the mean from the exact sum, correctly rounded (as SQL's avg): group_stats sums in
        # parts once a sum passes 2**53 (a variant of 160,000 two-year cases passes 2**63)
        st = group_stats(vid, dur, n_v, missing=False)
        first_seen = np.full(n_v, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_seen, vid, rn)
        lookup = np.array(names, dtype=object)
        v = [SEP.join(lookup[np.frombuffer(k, dtype="<u4")]) for k in self.ids]
        df = pd.DataFrame({"v": pd.Series(v, dtype="str"), "cases": st["count"].astype(np.int64),
                           "median_us": st["median"], "mean_us": st["mean"], "first_seen": first_seen})
        return df.sort_values(["cases", "first_seen"], ascending=[False, True], kind="stable").reset_index(drop=True)
