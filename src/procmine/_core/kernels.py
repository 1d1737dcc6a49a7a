"""Grouped statistics on integer codes: the numpy kernels every analysis shares.

Each works in a handful of passes over flat arrays (one sort at most), never a loop per
group: ``group`` is an integer code per value (an edge, an activity, a case), and the
results are arrays indexed by that code.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NAT", "distinct_per_group", "exact_sums", "group_median", "group_stats", "joined_sums", "key_counts",
           "ranked_values", "repeated_key_counts", "run_starts", "sorted_within_groups", "split_sums", "unique_inverse"]

NAT = np.iinfo(np.int64).min  #: a missing duration or time, in int64 µs


def sorted_within_groups(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """``values`` (int64) sorted by (group, value), as float64.

    When the group code and the value range fit together in 63 bits (almost always:
    10 years in microseconds take 49 bits), one SIMD ``np.sort`` of combined keys does
    it; otherwise a ``lexsort``.

    Examples
    --------
    >>> sorted_within_groups(np.array([1, 0, 1]), np.array([5, 7, 3]), 2).tolist()
    [7.0, 3.0, 5.0]
    """
    return _sorted_gather(group, values, n_groups)(None)


def _sorted_gather(group: np.ndarray, values: np.ndarray, n_groups: int):
    """``values`` sorted by (group, value), as a function of positions (None = all) giving
    the values there as float64: the sorted combined keys are decoded only where read."""
    lo = int(values.min())
    vbits = max((int(values.max()) - lo).bit_length(), 1)
    gbits = max(int(n_groups - 1).bit_length(), 1)
    if gbits + vbits <= 63:
        comb = np.asarray(group).astype(np.int64) << vbits
        comb |= values - lo
        comb.sort()
        mask = (1 << vbits) - 1

        def at(idx: np.ndarray | None) -> np.ndarray:
            part = comb if idx is None else comb[idx]
            return ((part & mask) + lo).astype(np.float64)

        return at
    ordered = values[np.lexsort((values, group))]
    return lambda idx: (ordered if idx is None else ordered[idx]).astype(np.float64)


def group_stats(
    group: np.ndarray, values: np.ndarray, n_groups: int, *, missing: bool = True
) -> dict[str, np.ndarray]:
    """count, median, mean, p90 and sum of int64 ``values`` per group.

    ``NAT`` values are ignored (pass ``missing=False`` when there are none, to skip that
    pass). Percentiles interpolate linearly (numpy's default); results are float µs (NaN
    for groups without values).

    Examples
    --------
    >>> s = group_stats(np.array([0, 0, 1]), np.array([10, 20, 5]), 3)
    >>> s["median"].tolist(), s["count"].tolist()
    ([15.0, 5.0, nan], [2, 1, 0])
    """
    g = np.asarray(group)
    v = values
    if missing:
        ok = values != NAT
        if not ok.all():
            g, v = g[ok], values[ok]
    sizes = np.bincount(g, minlength=n_groups)[:n_groups]
    sums = np.bincount(g, weights=v.astype(np.float64), minlength=n_groups)[:n_groups]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / sizes
    if len(sums) and np.abs(sums).max() >= 1 << 53:
        # a float sum past 2**53 µs (285 years: a variant of 160,000 two-year cases) has
        # lost µs: the exact integer sums, and the mean correctly rounded from them (as
        # SQL's avg). Durations and waits are not negative, so no partial sum passed
        # 2**53 in a group whose total stays below it.
        high, low = split_sums(g, v, n_groups)
        sums = joined_sums(high, low)
        exact = [(int(h) << 20) + int(lo) for h, lo in zip(high.tolist(), low.tolist())]
        mean = np.array([x / c if c else np.nan for x, c in zip(exact, sizes.tolist())], dtype=np.float64)
    out: dict[str, np.ndarray] = {"count": sizes, "sum": np.where(sizes > 0, sums, np.nan), "mean": mean}
    if len(v) == 0:
        out["median"] = np.full(n_groups, np.nan)
        out["p90"] = np.full(n_groups, np.nan)
        return out
    # both percentiles at once: ranks [median lo, p90 lo, median hi, p90 hi] within each group
    pos = np.concatenate(((sizes - 1) * 0.5, (sizes - 1) * 0.9))
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    size2 = np.concatenate((sizes, sizes))
    ranks = np.concatenate((lo, np.minimum(lo + 1, size2 - 1))).reshape(4, n_groups)
    sv = ranked_values(g, v, n_groups, ranks, sizes).reshape(-1)
    sv_lo, sv_hi = sv[: len(pos)], sv[len(pos) :]
    both = np.where(size2 > 0, sv_lo + (sv_hi - sv_lo) * frac, np.nan)
    out["median"], out["p90"] = both[:n_groups], both[n_groups:]
    return out


def group_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of int64 ``values`` (none missing) per group, as ``pd.Series(values).groupby(group).median()``
    gives it: the middle value, or the mean of the two middle ones, in float64 (NaN for an
    empty group); one sort, no pandas.

    Examples
    --------
    >>> group_median(np.array([0, 0, 2, 0]), np.array([4, 1, 7, 2]), 3).tolist()
    [2.0, nan, 7.0]
    """
    out = np.full(n_groups, np.nan)
    if len(values) == 0:
        return out
    sizes = np.bincount(group, minlength=n_groups)[:n_groups]
    has = sizes > 0
    mid = ranked_values(group, values, n_groups, np.stack(((sizes - 1) // 2, sizes // 2)), sizes)
    out[has] = (mid[0] + mid[1])[has] / 2
    return out


_PARTITION_MIN = 4096  #: groups at least this big are read by np.partition, not sorted


def ranked_values(group: np.ndarray, values: np.ndarray, n_groups: int, ranks: np.ndarray,
                  sizes: np.ndarray | None = None) -> np.ndarray:
    """The value of rank ``ranks[k, g]`` (0 = smallest) among the int64 ``values`` of group
    ``g``, for each row ``k`` of ``ranks`` (shape ``(m, n_groups)``), as float64; what an
    empty group gets is unspecified (callers mask it). ``sizes``: the values per group,
    when the caller has them.

    A sort of every value costs ~50 ns a value here; the big groups (a DFG's edges, a
    log's few variants that hold most cases) are brought together by one radix sort of
    their group codes and read with ``np.partition`` at the asked ranks (linear time);
    only the small groups' values are sorted, as combined keys (:func:`_sorted_gather`).

    Examples
    --------
    >>> ranked_values(np.array([1, 0, 1, 1]), np.array([5, 7, 3, 9]), 2, np.array([[0, 1], [0, 2]])).tolist()
    [[7.0, 5.0], [7.0, 9.0]]
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    out = np.full(ranks.shape, np.nan)
    if len(values) == 0 or n_groups == 0:
        return out
    group = np.asarray(group)
    if sizes is None:
        sizes = np.bincount(group, minlength=n_groups)[:n_groups]
    ranks = np.clip(ranks, 0, np.maximum(sizes - 1, 0))
    big = sizes >= _PARTITION_MIN
    if not big.any() or n_groups > 1 << 16:
        starts = np.cumsum(sizes) - sizes
        return _sorted_gather(group, values, n_groups)(np.minimum(starts + ranks, len(values) - 1))
    # a stable sort of 16-bit keys is numpy's radix sort: linear, unlike a sort of the values
    order = np.argsort(group.astype(np.uint16), kind="stable")
    grouped = values[order]
    ends = np.cumsum(sizes)
    for g in np.flatnonzero(big).tolist():
        want = ranks[:, g]
        part = np.partition(grouped[ends[g] - sizes[g] : ends[g]], np.unique(want))
        out[:, g] = part[want]
    small = ~big
    if (sizes[small] > 0).any():
        pick = np.repeat(small, sizes)  # the small groups' rows of the grouped order
        g_small, v_small = group[order[pick]], grouped[pick]
        sizes_small = np.where(small, sizes, 0)
        starts = np.cumsum(sizes_small) - sizes_small
        at = _sorted_gather(g_small, v_small, n_groups)
        cols = np.flatnonzero(small & (sizes > 0))
        out[:, cols] = at(starts[cols] + ranks[:, cols])
    return out


def unique_inverse(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, index of each key among them) for int64 keys in
    ``[0, space)``: a bincount lookup when the space is small, else one argsort
    (``np.unique`` hashes, several times slower here).

    Examples
    --------
    >>> keys, inv = unique_inverse(np.array([7, 2, 7]), 10)
    >>> keys.tolist(), inv.tolist()
    ([2, 7], [1, 0, 1])
    """
    key = np.asarray(key, dtype=np.int64)
    if len(key) == 0:
        return key.copy(), np.zeros(0, dtype=np.int64)
    if space <= 4 * len(key) + 1_000_000:
        present = np.bincount(key, minlength=space) > 0
        keys = np.flatnonzero(present)
        lookup = np.cumsum(present) - 1
        return keys, lookup[key]
    order = np.argsort(key, kind="stable")
    sk = key[order]
    new = run_starts(sk)
    inv = np.empty(len(key), dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return sk[new], inv


def distinct_per_group(group: np.ndarray, item: np.ndarray, n_groups: int, n_items: int, *,
                       items_in_order: bool = False) -> np.ndarray:
    """Number of distinct ``item`` (0..n_items-1) per ``group`` (0..n_groups-1): from a table of
    the pairs present when groups x items is small (edges x cases of a small log), else by one sort.
    ``items_in_order``: ``item`` never decreases (the case codes of a log's events or pairs):
    the keys are then item-major and almost sorted already, which numpy's stable sort
    (timsort) finishes in near-linear time, several times faster than a sort of the
    group-major keys.

    Examples
    --------
    >>> distinct_per_group(np.array([0, 0, 1]), np.array([4, 4, 4]), 2, 5).tolist()
    [1, 1]
    >>> distinct_per_group(np.array([1, 0, 1, 1]), np.array([0, 0, 0, 3]), 2, 5, items_in_order=True).tolist()
    [1, 2]
    """
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    width = max(n_items, 1)
    if n_groups * width > 8 * len(group) + (1 << 20) and items_in_order:
        comb = np.asarray(item, dtype=np.int64) * max(n_groups, 1) + group
        comb.sort(kind="stable")
        return np.bincount(comb[run_starts(comb)] % max(n_groups, 1), minlength=n_groups)
    comb = np.asarray(group, dtype=np.int64) * width + item
    if n_groups * width <= 8 * len(comb) + (1 << 20):
        # a table of the (group, item) pairs present, no bigger than the combined keys: no sort
        present = np.zeros(n_groups * width, dtype=bool)
        present[comb] = True
        return np.count_nonzero(present.reshape(n_groups, width), axis=1)
    comb.sort()
    return np.bincount(comb[run_starts(comb)] // width, minlength=n_groups)


#: values per slice of :func:`split_sums` (8 MB temporaries)
_CHUNK = 1 << 20


def split_sums(keys: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact sums of int64 ``values`` per key (0..n-1) as two float64 parts, ``high * 2**20 +
    low``. A float ``bincount`` loses the last digits once a sum passes 2**53 (285 years in
    µs) and an int64 sum wraps past 2**63 (a few hundred activities of a 10 M-event log with
    waits of years); the bincounts of the high and low 20 bits each stay exact, and are
    much faster than ``np.add.at``. :func:`joined_sums` gives the sums as floats.

    Examples
    --------
    >>> high, low = split_sums(np.array([1, 0, 1]), np.array([2**60, 5, 3]), 3)
    >>> [(int(h) << 20) + int(lo) for h, lo in zip(high, low)]
    [5, 1152921504606846979, 0]
    """
    v = np.asarray(values, dtype=np.int64)
    # in slices: the parts' temporaries stay small on big logs (240 MB at the peak of
    # performance() on 10 M events); the partial sums of integers below 2**53 are exact,
    # so adding them is too (one slice, added to zeros, is the one bincount it was)
    high, low = np.zeros(n), np.zeros(n)
    size = min(len(v), _CHUNK)
    part = np.empty(size, dtype=np.int64)
    weights = np.empty(size, dtype=np.float64)
    for i in range(0, len(v), _CHUNK):
        chunk, k = v[i : i + _CHUNK], keys[i : i + _CHUNK]
        m = len(chunk)
        for out, op, arg in ((low, np.bitwise_and, 0xFFFFF), (high, np.right_shift, 20)):
            op(chunk, arg, out=part[:m])
            weights[:m] = part[:m]
            out += np.bincount(k, weights=weights[:m], minlength=n)[:n]
    return high, low


def joined_sums(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """The sums of :func:`split_sums` as float64, each the exact sum correctly rounded (one
    rounding: ``high * 2**20`` is exact).

    Examples
    --------
    >>> joined_sums(*split_sums(np.array([0, 0]), np.array([2**62, 2**62]), 1)).tolist()
    [9.223372036854776e+18]
    """
    return high * 1048576.0 + low


def exact_sums(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sums of int64 ``values`` per key (0..n-1) as float64, each the exact integer sum
    correctly rounded (:func:`split_sums`, :func:`joined_sums`): no digits lost past 2**53,
    no wrap past 2**63.

    Examples
    --------
    >>> exact_sums(np.array([0, 0, 1]), np.array([2**62, 2**62, 3]), 2).tolist()
    [9.223372036854776e+18, 3.0]
    """
    return joined_sums(*split_sums(keys, values, n))


def key_counts(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_counts=True)`` for int64 keys in ``[0, space)``: a ``bincount``
    when the space is small (activities x days), a sort otherwise.

    Examples
    --------
    >>> [a.tolist() for a in key_counts(np.array([7, 2, 7]), 10)]
    [[2, 7], [1, 2]]
    """
    key = np.asarray(key, dtype=np.int64)
    if space > 4 * len(key) + 1_000_000:
        hashed = repeated_key_counts(key)
        return hashed if hashed is not None else np.unique(key, return_counts=True)
    counts = np.bincount(key, minlength=space)
    present = np.flatnonzero(counts)
    return present, counts[present]


def run_starts(key: np.ndarray) -> np.ndarray:
    """Bool per element: the first of a run of equal keys (``np.r_[True, key[1:] != key[:-1]]``,
    without ``np.r_``'s parsing: the tables it runs on are small and built on every call).

    Examples
    --------
    >>> run_starts(np.array([3, 3, 5])).tolist(), run_starts(np.array([], dtype=int)).tolist()
    ([True, False, True], [True])
    """
    new = np.empty(max(len(key), 1), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:len(key)])
    return new


_SAMPLE = 16384  #: keys looked at to guess whether they repeat


def repeated_key_counts(key: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.unique(key, return_counts=True)`` by a hash table (pandas') when the keys repeat
    a lot (waits of whole days, counted per activity and minute), else None.

    A sort costs ~40 ns a key here, a hash table a few when the distinct keys are few, but
    twice as much when almost every key is new. A sample of 16,384 keys at a fixed stride
    (the same choice on every run) decides: the table is used when at most half of them
    are distinct (then a few ten thousand keys at most are distinct in all; measured, the
    table still wins at one distinct key in eight). Only the distinct keys are sorted.

    Examples
    --------
    >>> k, n = repeated_key_counts(np.repeat(np.array([9, 4]), 200_000))
    >>> k.tolist(), n.tolist()
    ([4, 9], [200000, 200000])
    >>> repeated_key_counts(np.arange(300_000)) is None
    True
    """
    if len(key) < 16 * _SAMPLE:
        return None
    sample = key[:: len(key) // _SAMPLE]
    if len(np.unique(sample)) * 2 > len(sample):
        return None
    import pandas as pd

    counted = pd.Series(key, copy=False).value_counts(sort=False)
    keys = counted.index.to_numpy()
    order = np.argsort(keys)
    return keys[order], counted.to_numpy()[order].astype(np.int64)
