"""The faster implementations of shared kernels give what the plain ones gave.

Each test keeps the former (straightforward) implementation as the reference and compares
it, value for value, with the tuned one on samples, real logs and generated arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import NAT, Calendar
from procmine.log import GROUP, RESOURCE
from procmine.redundancy._base import first_per_case
from procmine.waits._steps import _SECOND_US, StepAggregates, long_wait_threshold, step_aggregates
from tests.conftest import shared_log


# -- first_per_case ------------------------------------------------------------------------------
def _first_per_case_reference(case: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = case.astype(np.int64) * (int(key.max()) + 2) + (key.astype(np.int64) + 1)
    _, first, counts = np.unique(k, return_index=True, return_counts=True)
    return first, counts


@pytest.mark.parametrize("seed", range(4))
def test_first_per_case_matches_np_unique(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, [3, 10, 40, 200][seed], size=500)
    case = np.repeat(np.arange(len(lengths)), lengths).astype(np.int32)
    key = rng.integers(-1, 12, size=len(case)).astype(np.int32)  # -1: "none" codes as the detectors pass
    got, want = first_per_case(case, key), _first_per_case_reference(case, key)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype


def test_first_per_case_unsorted_cases_and_one_event() -> None:
    case = np.array([3, 1, 3, 1, 0], dtype=np.int32)  # callers may pass a subset in any order
    key = np.array([2, 2, 2, 0, 5], dtype=np.int32)
    for a, b in zip(first_per_case(case, key), _first_per_case_reference(case, key)):
        assert a.tolist() == b.tolist()
    assert [x.tolist() for x in first_per_case(case[:1], key[:1])] == [[0], [1]]


# -- Calendar table lookups ----------------------------------------------------------------------
def _cum_at_reference(table, t: np.ndarray) -> np.ndarray:
    a = np.concatenate(([NAT], table.a))
    b = np.concatenate(([NAT], table.b))
    cum = np.concatenate(([0], table.cum))
    k = np.searchsorted(a, t, side="right") - 1
    return np.minimum(t, b[k]) - a[k] + cum[k]


@pytest.mark.parametrize(
    "cal",
    [
        Calendar(),
        Calendar(tz="Asia/Kathmandu"),  # UTC+05:45: the office hours fall off the hour grid
        Calendar(hours={0: [("07:52", "11:07")], 2: [("13:01:30", "23:59:59")], 5: [("00:00", "24:00")]}),
        Calendar(tz="America/New_York", canton="BE"),
    ],
    ids=["swiss", "kathmandu", "odd-hours", "new-york"],
)
def test_table_grid_matches_binary_search(cal: Calendar) -> None:
    rng = np.random.default_rng(1)
    lo = pd.Timestamp("2019-01-01", tz="UTC").value // 1000
    hi = pd.Timestamp("2021-12-31", tz="UTC").value // 1000
    table = cal._table(int(lo // 86_400_000_000), int(hi // 86_400_000_000))
    day = 86_400_000_000
    t = np.concatenate([
        rng.integers(lo, hi, size=120_000),  # over the grid's threshold
        rng.integers(lo // day, hi // day, size=20_000) * day,  # midnights (date-only logs)
        table.a[:5000], table.b[:5000], table.a[:5000] - 1,  # exactly on the boundaries
        np.array([table.a[0] - 10 * day, table.a[-1] + 10 * day, table.b[-1], -5 * day, 0]),  # outside the table
    ]).astype(np.int64)
    assert np.array_equal(table.cum_at(t), _cum_at_reference(table, t))
    small = t[:100]  # under the threshold: plain search
    assert np.array_equal(table.cum_at(small), _cum_at_reference(table, small))


# -- step_aggregates -----------------------------------------------------------------------------
def _step_aggregates_reference(log: pm.EventLog) -> StepAggregates:
    """The former implementation (np.unique on every pair, four masked bincounts)."""
    from procmine._core.event_times import event_times
    from procmine.waits._steps import _labels

    c = log.codes
    names = np.asarray(c.activity_names, dtype=object)
    n_act = len(names)
    act = c.activity
    n_ev = len(act)
    df = log.df
    resources = None
    if RESOURCE in df.columns:
        res_codes, res_names = pd.factorize(df[RESOURCE], use_na_sentinel=True)
        ok = res_codes >= 0
        key, n = np.unique(act[ok].astype(np.int64) * max(len(res_names), 1) + res_codes[ok], return_counts=True)
        res = np.asarray(res_names, dtype=object)[key % max(len(res_names), 1)] if len(key) else np.array([], dtype=object)
        resources = pd.DataFrame({"code": key // max(len(res_names), 1), "resource": [str(r) for r in res], "n": n})
    times = event_times(log, Calendar.always())
    pk = times.proc_elapsed != NAT
    wk = times.wait_elapsed != NAT
    quick = np.stack([np.bincount(act[m], minlength=n_act) for m in
                      (pk, pk & (times.proc_elapsed < _SECOND_US), wk, wk & (times.wait_elapsed < _SECOND_US))], axis=1)
    same_next = np.zeros(n_ev, dtype=bool)
    if n_ev > 1:
        same_next[:-1] = c.case[1:] == c.case[:-1]
    idx = np.flatnonzero(same_next)
    wait_next = times.wait_elapsed[idx + 1]
    valid = wait_next != NAT
    typical = float(np.median(wait_next[valid])) if valid.any() else 0.0
    long_wait = valid & (wait_next >= long_wait_threshold(typical))
    other = np.zeros(len(idx), dtype=bool)
    has_group = GROUP in df.columns
    if has_group:
        g_codes, _ = pd.factorize(df[GROUP], use_na_sentinel=True)
        g_here, g_next = g_codes[idx], g_codes[idx + 1]
        other = (g_here >= 0) & (g_next >= 0) & (g_here != g_next)
    pair = act[idx].astype(np.int64) * max(n_act, 1) + act[idx + 1]
    keys, inv = np.unique(pair, return_inverse=True)
    edges = pd.DataFrame({
        "src": keys // max(n_act, 1), "dst": keys % max(n_act, 1),
        "n": np.bincount(inv, minlength=len(keys)),
        "n_long": np.bincount(inv[long_wait], minlength=len(keys)),
        "n_other": np.bincount(inv[other], minlength=len(keys)),
    })
    return StepAggregates(names=names, labels=_labels(log, n_act), count=np.bincount(act, minlength=n_act),
                          resources=resources, has_start=times.has_start, quick=quick, edges=edges,
                          has_group=has_group)


def _assert_same_aggregates(got: StepAggregates, want: StepAggregates) -> None:
    assert got.names.tolist() == want.names.tolist()
    assert got.labels == want.labels
    assert np.array_equal(got.count, want.count)
    assert got.has_start == want.has_start and got.has_group == want.has_group
    assert np.array_equal(got.quick, want.quick) and got.quick.dtype == want.quick.dtype
    pd.testing.assert_frame_equal(got.edges, want.edges)
    if want.resources is None:
        assert got.resources is None
    else:
        pd.testing.assert_frame_equal(got.resources, want.resources)


@pytest.mark.parametrize("name", pm.samples.names())
def test_step_aggregates_match_reference_on_samples(name: str) -> None:
    log = pm.samples.load(name)
    _assert_same_aggregates(step_aggregates(log), _step_aggregates_reference(log))


@pytest.mark.parametrize("name", ["interval_event_log.xes", "receipt_wabo.xes.gz", "helpdesk.xes.gz"])
def test_step_aggregates_match_reference_on_real_logs(name: str) -> None:
    log = pm.read_log(shared_log(name))
    _assert_same_aggregates(step_aggregates(log), _step_aggregates_reference(log))


def test_step_aggregates_tiny_logs() -> None:
    for rows in (1, 2):
        df = pd.DataFrame({"case:concept:name": ["c"] * rows, "concept:name": ["a", "b"][:rows],
                           "time:timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00"][:rows], utc=True),
                           "org:resource": ["r", None][:rows]})
        log = pm.EventLog(df)
        _assert_same_aggregates(step_aggregates(log), _step_aggregates_reference(log))


# -- duplicate events of a chunked (Parquet) log -------------------------------------------------
def test_duplicates_counted_across_arrow_chunks(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(3)
    n = 3000
    df = pd.DataFrame({
        "case": [f"c{i // 6}" for i in range(n)],
        "activity": rng.choice(["a", "b"], size=n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 6 // 3, unit="D"),  # sorted, ties
        "note": rng.choice(["x", "y", None], size=n),
        "amount": rng.choice([1.0, 2.0, np.nan], size=n),
    })
    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=250)  # 12 chunks
    log = pm.read_log(path)
    assert log.df["note"].array._pa_array.num_chunks > 1
    want = int(log.df.duplicated(keep="first").sum())
    assert want > 0 and log.report.duplicates == want
