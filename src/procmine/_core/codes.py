"""Integer codes of a sorted log: :class:`LogCodes` and the kernels that build them.

Every vectorised analysis reads these codes instead of the string columns. Building
them is the one pass over the strings an analysis pays for, so it is tuned:

- case codes come from comparing each id with its neighbour (the log is in case
  blocks), not from hashing every event's id;
- that the blocks really are distinct cases is checked on one id per case with a
  vectorised 64-bit hash (an exact hash table only when two hashes collide);
- the case-id strings are turned into Python objects only when someone asks for them;
- activity codes come from Arrow's dictionary encoding, in a second thread while the
  case codes are computed (both release the GIL).
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LogCodes",
    "Pairs",
    "activity_codes",
    "all_distinct",
    "column_codes",
    "contiguous_codes",
    "dictionary_codes",
    "distinct_hashes",
    "kept_dictionary_codes",
    "string_buffers",
]

_MIN_PARALLEL = 100_000  # below this a second thread costs more than it saves
_EXACT_DISTINCT = 4096  # up to this many case ids, their distinctness is Arrow's hash table's to tell


@dataclass(frozen=True)
class LogCodes:
    """Integer view of a sorted log, the input of every vectorised computation.

    All arrays have one entry per event, in ``EventLog.df`` row order, except
    ``case_offsets`` (``n_cases + 1`` boundaries: the events of case ``i`` are rows
    ``case_offsets[i]:case_offsets[i+1]``), ``case_ids`` and ``activity_names``.

    Examples
    --------
    >>> import procmine as pm
    >>> c = pm.samples.load("permit_de").codes
    >>> c.n_cases == len(c.case_ids) == len(c.case_offsets) - 1
    True
    """

    case: np.ndarray  #: int32 case code per event (0..n_cases-1, non-decreasing)
    activity: np.ndarray  #: int32 activity code per event
    activity_names: np.ndarray  #: object array: code -> activity name
    case_offsets: np.ndarray  #: int64, length n_cases + 1
    ts: np.ndarray  #: int64 microseconds since epoch (UTC), completion time
    start_ts: np.ndarray | None  #: int64 microseconds or None; NaT as np.iinfo(int64).min
    #: case code -> case id: an object array, or an Arrow array converted on first use
    case_id_values: Any = field(default=None, repr=False, compare=False)
    #: per-event arrays derived from these codes, computed once per log by their owners
    #: (:func:`procmine._core.event_times.elapsed_times`, ``event_times`` per calendar)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def case_ids(self) -> np.ndarray:
        """Object array: case code -> case id."""
        ids = self.case_id_values
        if ids is None:
            return np.zeros(0, dtype=object)
        if isinstance(ids, np.ndarray) and ids.dtype == object:
            return ids
        if hasattr(ids, "to_numpy") and not isinstance(ids, (pd.Index, pd.Series)):
            return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
        return np.asarray(ids, dtype=object)

    @cached_property
    def pairs(self) -> Pairs:
        """The directly-follows pairs grouped by edge, computed once and shared by the
        DFG, the performance edges and the process map (see :class:`Pairs`)."""
        return Pairs.of(self)

    @property
    def n_cases(self) -> int:
        return len(self.case_offsets) - 1

    @property
    def n_activities(self) -> int:
        return len(self.activity_names)

    @property
    def is_first(self) -> np.ndarray:
        """Boolean per event: first event of its case."""
        out = np.zeros(len(self.case), dtype=bool)
        out[self.case_offsets[:-1]] = True
        return out

    @property
    def is_last(self) -> np.ndarray:
        """Boolean per event: last event of its case."""
        out = np.zeros(len(self.case), dtype=bool)
        out[self.case_offsets[1:] - 1] = True
        return out


@dataclass(frozen=True)
class Pairs:
    """The directly-follows pairs of a log (two consecutive events of one case).

    Pair ``k`` runs from event row ``flatnonzero(same)[k]`` to the next row; shifted views
    compressed by ``same`` (``codes.activity[:-1][same]``) are cheaper than gathering by
    index. ``edge`` groups the pairs by (source, target) activity.
    """

    same: np.ndarray  #: bool per row but the last: the next row is in the same case
    edge: np.ndarray  #: edge index of each pair (into keys)
    keys: np.ndarray  #: int64 per edge, sorted: source code * n_activities + target code
    counts: np.ndarray  #: pairs per edge
    cases: np.ndarray  #: distinct cases per edge

    @classmethod
    def of(cls, codes: LogCodes) -> Pairs:
        from .kernels import distinct_per_group

        n_act = max(codes.n_activities, 1)
        if len(codes.case) < 2:
            e = np.zeros(0, dtype=np.int64)
            return cls(np.zeros(max(len(codes.case) - 1, 0), dtype=bool), e, e, e, e)
        same = codes.case[1:] == codes.case[:-1]
        # (np.compress: a boolean index selects several times slower in this numpy)
        key = np.compress(same, codes.activity[:-1]).astype(np.int64) * n_act + np.compress(same, codes.activity[1:])
        if n_act * n_act <= 4 * len(key) + 1_000_000:
            counts_full = np.bincount(key, minlength=n_act * n_act)
            keys = np.flatnonzero(counts_full)
            lookup = np.full(n_act * n_act, -1, dtype=np.int32)
            lookup[keys] = np.arange(len(keys), dtype=np.int32)
            edge, counts = lookup[key], counts_full[keys]
        else:
            keys, edge, counts = np.unique(key, return_inverse=True, return_counts=True)
        cases = distinct_per_group(edge, np.compress(same, codes.case[:-1]), len(keys), codes.n_cases,
                                   items_in_order=True)
        return cls(same, edge.reshape(-1), keys, counts.astype(np.int64), cases.astype(np.int64))


# ---------------------------------------------------------------------------------------
# distinct strings
# ---------------------------------------------------------------------------------------
_C1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's finaliser constants
_C2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word (in place)."""
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _C1
        x ^= x >> np.uint64(27)
        x *= _C2
        x ^= x >> np.uint64(31)
    return x


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def string_buffers(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of an Arrow string or large_string array, as numpy views without
    copying: string ``i`` is ``bytes[offsets[i]:offsets[i + 1]]``."""
    import pyarrow as pa

    off_type = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=off_type)[arr.offset : arr.offset + len(arr) + 1]
    raw = arr.buffers()[2]
    return offsets, (np.frombuffer(raw, dtype=np.uint8) if raw is not None else np.zeros(0, np.uint8))


def _string_hashes(arr: Any, rows: np.ndarray | None = None) -> np.ndarray | None:
    """A 64-bit hash per string of an Arrow (large_)string array (only the given ``rows``
    if any); None for other types or arrays with nulls.

    It reads three 8-byte words of each string (start, middle, end) straight from Arrow's
    data buffer, so it costs a few gathers per string whatever the length. Strings up to
    24 bytes (case ids, almost always) are covered whole; longer ones partly, which only
    makes a repeat of the hash, and so the exact check, more likely.
    """
    import pyarrow as pa

    if arr.null_count or arr.type not in (pa.string(), pa.large_string()):
        return None
    offsets, data = string_buffers(arr)
    if rows is None:
        starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    else:
        starts, ends = offsets[rows].astype(np.int64), offsets[rows + 1].astype(np.int64)
    # a whole (compact) array: its bytes are copied once with 8 zero bytes after them, so
    # that no word reads past the end (the clipping below costs three passes per word)
    padded = rows is None and len(offsets) > 1
    if padded:
        data = np.concatenate([data[int(offsets[0]) : int(offsets[-1])], np.zeros(8, dtype=np.uint8)])
        starts, ends = starts - int(offsets[0]), ends - int(offsets[0])
    elif len(data) < 8:
        data = np.concatenate([data, np.zeros(8, dtype=np.uint8)])
    # words[i] = the 8 bytes from byte i (numpy reads unaligned words fine)
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    last = len(data) - 8

    def word(at: np.ndarray) -> np.ndarray:
        if padded:  # the same word: the bytes past a string's end are masked off below
            return words[at]
        # a read past the buffer's end reads the last word and shifts the extra bytes out
        safe = np.minimum(at, last)
        return words[safe] >> (np.uint64(8) * (at - safe).astype(np.uint64))

    lengths = ends - starts
    over = np.maximum(lengths - 8, 0)
    mask = _MASKS[np.minimum(lengths, 8)]  # strings under 8 bytes keep only their own bytes
    h = _mix((word(starts) & mask) ^ lengths.astype(np.uint64))
    if len(lengths) and int(lengths.max()) > 16:
        # the middle word: up to 16 bytes the first and last words already cover everything
        h ^= word(starts + over // 2) & mask
        h = _mix(h)
    h ^= word(starts + over) & mask
    return _mix(h)


def distinct_hashes(h: np.ndarray) -> bool:
    """Whether no uint64 hash occurs twice. The top bits pick one of at least 4 n buckets:
    hashes alone in their bucket are distinct, and only those sharing one (about a fifth)
    are sorted, instead of all of them (a sort costs ~40 ns a value here)."""
    bits = max(int(4 * len(h)).bit_length(), 1)
    bucket = (h >> np.uint64(64 - bits)).astype(np.intp)
    per = np.bincount(bucket, minlength=1 << bits)
    if int(per.max()) < 2:
        return True
    shared = np.sort(h[per[bucket] > 1])
    return not (shared[1:] == shared[:-1]).any()


def all_distinct(arr: Any, rows: np.ndarray | None = None) -> bool:
    """Whether no string occurs twice in an Arrow array (or among its ``rows``).

    Distinct hashes prove distinct strings; only when two hashes are equal (a repeated id,
    or a collision) does an exact hash table decide.

    Examples
    --------
    >>> import pyarrow as pa
    >>> all_distinct(pa.array(["a", "b", "ab"])), all_distinct(pa.array(["a", "b", "a"]))
    (True, False)
    """
    import pyarrow.compute as pc

    n = len(arr) if rows is None else len(rows)
    if n < 2:
        return True
    h = _string_hashes(arr, rows)
    if h is not None and distinct_hashes(h):
        return True
    subset = arr if rows is None else arr.take(rows)
    return len(pc.unique(subset)) == n


# ---------------------------------------------------------------------------------------
# codes
# ---------------------------------------------------------------------------------------
def contiguous_codes(values: pd.Series, *, fallback: bool = True) -> tuple[np.ndarray, Any] | None:
    """Case codes of a column whose cases are contiguous blocks (as ``EventLog`` keeps them).

    Returns ``(codes, ids)``: int32 codes in order of first appearance and the id of each
    code (gathered from the Arrow column on first use when it is Arrow-backed, else an
    object array). Comparing
    Arrow strings with their neighbours is much cheaper than hashing every event's id
    (``pd.factorize``); if an id turns out to appear in two blocks, factorize decides (or,
    with ``fallback=False``, None is returned).

    Examples
    --------
    >>> codes, ids = contiguous_codes(pd.Series(["b", "b", "a"], dtype="string[pyarrow]"))
    >>> codes.tolist(), ids.to_numpy().tolist()
    ([0, 0, 1], ['b', 'a'])
    """
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and len(values) and not arr.null_count:
        # chunk by chunk: joining the chunks first copies every id of the column
        change = _changes(arr)
        codes = np.zeros(len(values), dtype=np.int32)
        np.cumsum(change, out=codes[1:])
        starts = np.concatenate(([0], np.flatnonzero(change) + 1))
        # one id per case, gathered once into a compact array: hashing it there is cheaper
        # than hashing scattered rows of the whole column, which need not stay alive
        ids = _take_sorted(arr, starts)
        if _ascending(ids) or _distinct_ids(ids):
            return codes, _LazyTake(ids, np.arange(len(ids), dtype=np.int64))
    if not fallback:
        return None
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int32, copy=False), np.asarray(uniques, dtype=object)


def _ascending(ids: Any) -> bool:
    """The ids (an Arrow string array without nulls) strictly ascend, so no id repeats: logs
    sorted by case id (most exports) pass with one comparison of neighbours, cheaper than
    hashing them. The first few are compared first, so that other orders fail fast."""
    import pyarrow.compute as pc

    if len(ids) < 2:
        return True
    head = ids.slice(0, 17).to_pylist()
    if not all(a < b for a, b in pairwise(head)):
        return False
    return bool(pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py())


def _distinct_ids(ids: Any) -> bool:
    """:func:`all_distinct` of the case ids (an Arrow string array without nulls): up to a
    few thousand ids Arrow's exact hash table costs less than hashing and sorting them."""
    import pyarrow.compute as pc

    if len(ids) <= _EXACT_DISTINCT:
        return len(pc.unique(ids)) == len(ids)
    return all_distinct(ids)


def _chunks(arr: Any) -> list[Any]:
    """The non-empty chunks of an Arrow Array or ChunkedArray."""
    return [ch for ch in (arr.chunks if hasattr(arr, "chunks") else [arr]) if len(ch)]


def _changes(arr: Any) -> np.ndarray:
    """Bool per row but the first: the value differs from the one before (Arrow compares
    chunk by chunk; the rows across a chunk boundary are compared as Python values)."""
    import pyarrow.compute as pc

    parts: list[np.ndarray] = []
    last: Any = None
    for i, ch in enumerate(_chunks(arr)):
        if i:
            parts.append(np.array([ch[0].as_py() != last], dtype=bool))
        parts.append(np.asarray(pc.not_equal(ch[1:], ch[:-1]).to_numpy(zero_copy_only=False), dtype=bool))
        last = ch[len(ch) - 1].as_py()
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _take_sorted(arr: Any, rows: np.ndarray) -> Any:
    """``arr.take(rows)`` as one Arrow Array, for ascending ``rows``: each chunk gives the
    rows it holds (a take across chunks locates every row's chunk, several times slower)."""
    import pyarrow as pa

    chunks = _chunks(arr)
    if len(chunks) == 1:
        return chunks[0].take(pa.array(rows))
    bounds = np.cumsum([0, *(len(ch) for ch in chunks)])
    cut = np.searchsorted(rows, bounds)
    parts = [ch.take(pa.array(rows[cut[i] : cut[i + 1]] - bounds[i])) for i, ch in enumerate(chunks)]
    return pa.concat_arrays(parts) if parts else pa.array([], type=arr.type)


class _LazyTake:
    """``array.take(rows)``, done on first use (``LogCodes.case_ids``)."""

    def __init__(self, array: Any, rows: np.ndarray) -> None:
        self.array, self.rows = array, rows

    def __len__(self) -> int:
        return len(self.rows)

    def to_arrow(self) -> Any:
        """The ids as an Arrow array (the array itself when every row is taken in order)."""
        whole = len(self.rows) == len(self.array)  # (rows is then 0..n-1: see contiguous_codes)
        return self.array if whole else self.array.take(self.rows)

    def to_numpy(self, zero_copy_only: bool = False) -> np.ndarray:
        return self.array.take(self.rows).to_numpy(zero_copy_only=zero_copy_only)


def activity_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int32 code per event, object array of names): codes follow the sorted names.

    Examples
    --------
    >>> codes, names = activity_codes(pd.Series(["y", "x", "y"], dtype="string[pyarrow]"))
    >>> codes.tolist(), names.tolist()
    ([1, 0, 1], ['x', 'y'])
    """
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and len(values) and not arr.null_count:
        indices, dictionary = dictionary_codes(arr, consume=True)
        names = np.asarray(dictionary.to_pylist(), dtype=object)
        order = np.argsort(names, kind="stable")  # a few hundred names at most
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        return rank[indices], names[order]
    codes, names = pd.factorize(values, sort=True)
    return codes.astype(np.int32, copy=False), np.asarray(names, dtype=object)


def dictionary_codes(arr: Any, *, keep: bool = False, consume: bool = False) -> tuple[np.ndarray, Any]:
    """(int32 code per value, -1 where missing; Arrow array of the distinct values in order
    of first appearance): Arrow's dictionary encoding of an Array or ChunkedArray.

    The chunks are encoded in place, against one dictionary (joining them first copies
    every string of the column). ``keep``: remember the result for this very column
    object (Arrow arrays are immutable) while it lives, so that the reader's checks of
    the activity column and its codes hash it once; ``consume``: forget it once used.

    Examples
    --------
    >>> import pyarrow as pa
    >>> codes, values = dictionary_codes(pa.chunked_array([["b", None], ["a", "b"]]))
    >>> codes.tolist(), values.to_pylist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    got = kept_dictionary_codes(arr, consume=consume)
    if got is not None:
        return got
    enc = pc.dictionary_encode(arr)
    chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=arr.type)
    # every chunk's dictionary is the encoder's whole table; the last one holds all values
    dictionary = chunks[-1].dictionary
    parts = [np.asarray(pc.fill_null(ch.indices, -1) if ch.indices.null_count else ch.indices) for ch in chunks]
    codes = np.concatenate(parts) if len(parts) > 1 else parts[0]
    got = codes.astype(np.int32, copy=False), dictionary
    if keep and not consume:
        keep_dictionary_codes(arr, got)
    return got


#: id(column) -> (weak reference to the column, its dictionary codes); see dictionary_codes
_KEPT: dict[int, tuple[Any, tuple[np.ndarray, Any]]] = {}


def keep_dictionary_codes(arr: Any, got: tuple[np.ndarray, Any]) -> None:
    """Remember ``got`` as the :func:`dictionary_codes` of this very column object (as
    ``keep=True`` does), for a reader that has them already: e.g. from the dictionary a
    Parquet column was stored with. ``got`` must be what :func:`dictionary_codes` returns."""
    key = id(arr)
    # the entry goes with the column: a new object never finds another's codes
    _KEPT[key] = (weakref.ref(arr, lambda _: _KEPT.pop(key, None)), got)
    while len(_KEPT) > 2:
        _KEPT.pop(next(iter(_KEPT)))


def kept_dictionary_codes(arr: Any, *, consume: bool = False) -> tuple[np.ndarray, Any] | None:
    """The codes :func:`dictionary_codes` kept for this column object, or None."""
    entry = _KEPT.get(id(arr))
    if entry is None or entry[0]() is not arr:
        return None
    if consume:
        _KEPT.pop(id(arr), None)
    return entry[1]


def column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=True)`` with the distinct values as an object
    array: codes in order of first appearance, -1 where the value is missing.

    An Arrow-backed string column is encoded by Arrow directly (pandas' factorize of it goes
    through the same dictionary encoding, plus conversions).

    Examples
    --------
    >>> codes, names = column_codes(pd.Series(["b", None, "a", "b"], dtype="string[pyarrow]"))
    >>> codes.tolist(), names.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and len(values):
        import pyarrow as pa

        if arr.type in (pa.string(), pa.large_string()):
            indices, dictionary = dictionary_codes(arr)
            return indices, np.asarray(dictionary.to_pylist(), dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def case_and_activity_codes(
    cases: pd.Series, activities: pd.Series, seed: tuple[np.ndarray, Any] | None
) -> tuple[tuple[np.ndarray, Any], tuple[np.ndarray, np.ndarray]]:
    """Both code sets; on large logs the activity codes run in a second thread."""
    if seed is not None:
        return seed, activity_codes(activities)
    if len(cases) < _MIN_PARALLEL:
        return contiguous_codes(cases), activity_codes(activities)  # type: ignore[return-value]
    with ThreadPoolExecutor(max_workers=1) as pool:
        acts = pool.submit(activity_codes, activities)
        case = contiguous_codes(cases)
        return case, acts.result()  # type: ignore[return-value]
