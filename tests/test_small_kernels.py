"""The small-log fast paths give what the general code gives (kernels on random inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from procmine._core.event_times import _rounded_us, _td_values
from procmine._core.kernels import (
    NAT,
    distinct_per_group,
    group_median,
    group_stats,
    ranked_values,
    run_starts,
)
from procmine.waits._steps import _next_differs


class _NoMemo:
    memo = None


def test_distinct_per_group_table_and_sort_agree() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, ng, ni = int(rng.integers(1, 300)), int(rng.integers(1, 30)), int(rng.integers(1, 60))
        g, item = rng.integers(0, ng, n), rng.integers(0, ni, n).astype(np.int32)
        want = np.array([len(set(item[g == k].tolist())) for k in range(ng)])
        assert np.array_equal(distinct_per_group(g, item, ng, ni), want)
    g, item = rng.integers(0, 3000, 50), rng.integers(0, 3000, 50)  # a sparse space: the sort
    want = np.array([len(set(item[g == k].tolist())) for k in range(3000)])
    assert np.array_equal(distinct_per_group(g, item, 3000, 3000), want)


def _percentile(x: np.ndarray, q: float) -> float:
    """Linear interpolation between the sorted values, as group_stats defines it."""
    s = np.sort(x)
    pos = (len(s) - 1) * q
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def test_group_stats_percentiles_per_group() -> None:
    rng = np.random.default_rng(2)
    for _ in range(100):
        n, ng = int(rng.integers(1, 200)), int(rng.integers(1, 20))
        g, v = rng.integers(0, ng, n), rng.integers(-10**12, 10**12, n)
        v[rng.random(n) < 0.1] = NAT
        st = group_stats(g, v, ng)
        for k in range(ng):
            x = v[(g == k) & (v != NAT)].astype(np.float64)
            if len(x):
                assert st["median"][k] == _percentile(x, 0.5) and st["p90"][k] == _percentile(x, 0.9)
            else:
                assert np.isnan(st["median"][k]) and np.isnan(st["p90"][k])


@pytest.mark.parametrize("seed", [4, 5])
def test_group_stats_big_groups_read_by_partition(seed: int) -> None:
    """Groups past the partition threshold (read by np.partition after a radix sort of
    the group codes) beside small ones (sorted): the same percentiles as a full sort."""
    import procmine._core.kernels as k

    rng = np.random.default_rng(seed)
    sizes = [k._PARTITION_MIN, k._PARTITION_MIN + 1, 3 * k._PARTITION_MIN + 7, 1, 2, 0, 17, 2]
    g = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    v = rng.integers(0, 10**11, len(g))
    v[rng.random(len(g)) < 0.5] = rng.integers(0, 5)  # many ties
    st = group_stats(g, v, len(sizes), missing=False)
    med = group_median(g, v, len(sizes))
    for grp, size in enumerate(sizes):
        x = v[g == grp].astype(np.float64)
        if size:
            assert st["median"][grp] == _percentile(x, 0.5) == med[grp] == float(np.median(x))
            assert st["p90"][grp] == _percentile(x, 0.9)
        else:
            assert np.isnan(st["median"][grp]) and np.isnan(med[grp])
    # every rank of a big group, as a full sort orders them
    big = np.sort(v[g == 2])
    got = ranked_values(g, v, len(sizes), np.broadcast_to(np.arange(len(big))[:, None], (len(big), len(sizes))))
    assert np.array_equal(got[:, 2], big.astype(np.float64))


def test_distinct_per_group_items_in_order_agrees() -> None:
    """Item-major keys (cases in order: the events of a log) give the same counts as the
    group-major sort and the table."""
    rng = np.random.default_rng(6)
    for n_items in (5, 5000):
        item = np.sort(rng.integers(0, n_items, 20_000)).astype(np.int32)
        g = rng.integers(0, 300, len(item))
        want = distinct_per_group(g, item, 300, n_items)
        assert np.array_equal(distinct_per_group(g, item, 300, n_items, items_in_order=True), want)
        assert want.sum() == len({(a, b) for a, b in zip(g.tolist(), item.tolist())})


def test_run_starts_is_the_r_expression() -> None:
    for key in (np.array([], dtype=np.int64), np.array([4]), np.array([1, 1, 2, 2, 2, 7])):
        assert np.array_equal(run_starts(key), np.r_[True, key[1:] != key[:-1]])


@pytest.mark.parametrize("values", [
    np.array([0.4, -0.6, 2.5, np.nan, 1e19, -np.inf]),
    np.array([1.0, 2.0]),
    np.array([3, NAT, -7]),
])
def test_td_values_fast_path_is_the_general_one(values: np.ndarray) -> None:
    a = _rounded_us(values)
    want = np.where(np.isnan(a), NAT, np.nan_to_num(a)).astype(np.int64)
    assert np.array_equal(_td_values(values).view(np.int64), want)


@pytest.mark.parametrize("values", [
    pd.array(["a", None, "a", "b", "b", None, None, "c"], dtype="string[pyarrow]"),
    pd.array(["x", "x", "y", "y", "x"], dtype="string[pyarrow]"),
    np.array(["a", None, "a", "a", "b"], dtype=object),
])
def test_next_differs_matches_the_codes(values: object) -> None:
    df = pd.DataFrame({"g": values})
    codes, _ = pd.factorize(df["g"])
    want = (codes[:-1] >= 0) & (codes[1:] >= 0) & (codes[:-1] != codes[1:])
    assert np.array_equal(_next_differs(_NoMemo(), df, "g"), want)


def test_next_differs_on_several_chunks() -> None:
    arr = pa.chunked_array([["a", "b"], ["b", None, "c"]], type=pa.large_string())
    df = pd.DataFrame({"g": pd.arrays.ArrowStringArray(arr)})
    assert _next_differs(_NoMemo(), df, "g").tolist() == [True, False, False, False]


def test_median_of_one_partition_is_numpys() -> None:
    from procmine.waits._steps import _median

    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 4, 10, 11, 500, 501]:
        for x in (rng.integers(-10**13, 10**13, n), rng.integers(0, 4, n)):
            assert _median(x) == float(np.median(x))


def test_case_blocks_with_ascending_or_repeated_ids() -> None:
    from procmine._core.codes import _ascending, contiguous_codes

    assert _ascending(pa.array(["a", "b", "c"])) and not _ascending(pa.array(["a", "c", "c"]))
    assert not _ascending(pa.array([f"c{i:03d}" for i in range(30)] + ["c000"]))  # a repeat after the head
    for ids, want in ((["a", "a", "b", "c"], [0, 0, 1, 2]), (["b", "b", "a", "b"], [0, 0, 1, 0])):
        codes, _ = contiguous_codes(pd.Series(ids, dtype="string[pyarrow]"))
        assert codes.tolist() == want


def test_group_stats_mean_and_sum_exact_past_2_53() -> None:
    """A float sum loses µs past 2**53; the mean then comes from the exact integer sum,
    correctly rounded (as SQL's avg on a big variant of long cases)."""
    v = np.array([2**60 + 1, 2**60 + 2, 2**60 + 4, 7, 9], dtype=np.int64)
    st = group_stats(np.array([0, 0, 0, 1, 1]), v, 2, missing=False)
    assert st["mean"][0] == (3 * 2**60 + 7) / 3 and st["mean"][1] == 8.0
    assert st["sum"][0] == float(3 * 2**60 + 7)
    # 160,000 durations of about two years (the sum passes 2**63)
    rng = np.random.default_rng(0)
    d = rng.integers(6 * 10**13, 7 * 10**13, 160_000)
    st = group_stats(np.zeros(len(d), dtype=np.int64), d, 1, missing=False)
    assert st["mean"][0] == sum(int(x) for x in d) / len(d)


def test_wait_histogram_counts_by_hash_dense_table_or_sort_agree() -> None:
    """The three ways of counting (activity, minute) keys give np.unique's counts: the hash
    table (keys that repeat), the dense table (narrow spans) and its refusal (wide spans)."""
    from procmine._core.kernels import repeated_key_counts
    from procmine.waits._causes import _dense_histogram

    rng = np.random.default_rng(7)
    code = rng.integers(0, 9, 300_000)
    for minute in (rng.integers(10, 60, len(code)) * 1440,  # whole days: repeats
                   rng.integers(10_000, 10_000 + 50_000, len(code))):  # narrow, mostly distinct
        keys, counts = np.unique(code * (1 << 32) + minute, return_counts=True)
        d = _dense_histogram(code, minute, 9)
        assert d is not None
        assert np.array_equal(d["code"] * (1 << 32) + d["minute"], keys) and np.array_equal(d["n"], counts)
        hashed = repeated_key_counts(code * (1 << 32) + minute)
        if hashed is not None:
            assert np.array_equal(hashed[0], keys) and np.array_equal(hashed[1], counts)
    assert repeated_key_counts(rng.permutation(300_000)) is None  # every key new: sorted instead
    assert _dense_histogram(code, rng.integers(0, 10**9, len(code)), 9) is None  # spans too wide


def test_split_sums_in_slices_are_the_exact_sums() -> None:
    # more values than one slice: the per-slice partial sums must add up to the exact sums
    from procmine._core import kernels

    rng = np.random.default_rng(5)
    n_keys, n = 7, kernels._CHUNK * 2 + 12_345
    keys = rng.integers(0, n_keys, n)
    values = rng.integers(0, 1 << 40, n)  # per-key sums below 2**63: int64 sums are exact
    exact = np.zeros(n_keys, dtype=np.int64)
    np.add.at(exact, keys, values)
    high, low = kernels.split_sums(keys, values, n_keys)
    assert [(int(h) << 20) + int(lo) for h, lo in zip(high, low)] == exact.tolist()
    assert kernels.joined_sums(high, low).tolist() == exact.astype(np.float64).tolist()
    # the same as one pass over every value (the path of small inputs)
    one_high = np.bincount(keys, weights=(values >> 20).astype(np.float64), minlength=n_keys)
    assert high.tolist() == one_high.tolist()
