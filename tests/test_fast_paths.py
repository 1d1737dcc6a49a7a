"""The faster implementations of shared kernels give what the plain ones gave.

Each test keeps the former (straightforward) implementation as the reference and compares
it, value for value, with the tuned one on samples, real logs and generated arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import NAT, Calendar
from procmine.log import GROUP, RESOURCE
from procmine.redundancy._base import first_per_case
from procmine.waits._steps import (
    _SECOND_US,
    StepAggregates,
    decide_steps,
    long_wait_threshold,
    step_aggregates,
)
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
    pd.testing.assert_frame_equal(pd.DataFrame(got.edges), want.edges)  # in memory: a dict of arrays
    if want.resources is None:
        assert got.resources is None
    else:
        pd.testing.assert_frame_equal(pd.DataFrame(got.resources), want.resources)


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


# -- wait causes: per-activity lookups, one-pass cause totals ------------------------------------
from procmine._core.event_times import event_times  # noqa: E402
from procmine._core.kernels import joined_sums, key_counts, split_sums  # noqa: E402
from procmine.waits import _causes as wc_mod  # noqa: E402
from procmine.waits._causes import CAUSES, Caps, Decisions, wait_causes  # noqa: E402


def _assign_reference(d: Decisions, act, first, wait_elapsed, proc_elapsed, inside):
    """The former per-rule implementation of ``assign_causes`` (full-length masks)."""
    n = len(act)
    cause = np.where(d.fixed >= 0, d.fixed, d.base).astype(np.int8)[act]
    free = d.fixed[act] < 0
    after_request = np.zeros(n, dtype=bool)
    if d.parks.any() and n > 1:
        prev_parks = np.zeros(n, dtype=bool)
        prev_parks[1:] = d.parks[act[:-1]]
        after_request = prev_parks & ~first & ~d.request[act]
        cause[after_request & free] = wc_mod.CLIENT
    if d.release.any():
        cause[d.release[act] & free] = wc_mod.BATCH
    if d.follow.any() and inside is not None:
        cause[d.follow[act] & inside & (cause == wc_mod.OFFICE) & free] = wc_mod.CLIENT
    caps = Caps.none()
    by_prev = np.zeros(0, dtype=np.int64)
    has_p = ~np.isnan(d.period) & (d.fixed < 0)
    has_a = ~np.isnan(d.after_period)
    if has_p.any() or has_a.any():
        p_el = np.where(proc_elapsed == NAT, 0, proc_elapsed)
        length = np.where(wait_elapsed == NAT, NAT, wait_elapsed + p_el)
        prev = np.full(n, -1, dtype=np.int64)
        prev[1:] = act[:-1]
        prev[first] = -1
        cand = (length != NAT) & ~first & free
        period = np.full(n, np.nan)
        hit = np.zeros(n, dtype=bool)
        for k, (per, tol, code) in enumerate(((d.period, d.tol, act), (d.after_period, d.after_tol, prev))):
            idx = np.flatnonzero(cand & ~hit & (code >= 0) & ~np.isnan(per[np.maximum(code, 0)]))
            p, t, x = per[code[idx]], tol[code[idx]], length[idx]
            ok = np.where(t >= wc_mod._DAY_US, x >= p - t, np.abs(x - p) <= t)
            if k == 1:
                by_prev = idx[ok]
            hit[idx[ok]], period[idx[ok]] = True, p[ok]
        stat = np.flatnonzero(hit)
        over = length[stat] > period[stat]
        c, pc = stat[over], period[stat[over]]
        w_el, pr_el = wait_elapsed[c], p_el[c]
        caps = Caps(idx=c, rest=cause[c].copy(), wait_el=w_el, stat_wait=np.minimum(w_el.astype(np.float64), pc),
                    proc_el=pr_el, stat_proc=np.minimum(pr_el.astype(np.float64), np.maximum(pc - w_el, 0.0)))
        cause[stat] = wc_mod.STATUTORY
    cause[first | (wait_elapsed == NAT)] = -1
    return cause, after_request, caps, by_prev


def _inputs(log: pm.EventLog, waits: dict | None = None):
    """The decisions and per-event arrays ``_compute`` passes to ``assign_causes``."""
    c = log.codes
    t = event_times(log, Calendar.always())
    sagg = step_aggregates(log)
    steps = decide_steps(sagg, external=())
    n_act = c.n_activities
    length = np.where(t.wait_elapsed == NAT, NAT, t.wait_elapsed + np.where(t.proc_elapsed == NAT, 0, t.proc_elapsed))
    prev = np.full(len(c.activity), -1, dtype=np.int64)
    prev[1:] = c.activity[:-1]
    prev[t.first] = -1
    again = wc_mod.self_repeats(sagg.edges, n_act)
    mark = wc_mod.follow_up_markers(steps)
    inside = wc_mod.inside_windows(c.activity, c.case, mark)
    agg = wc_mod.wait_aggregates(c.activity, length, t.proc_elapsed if t.has_start else None, n_act, ts=c.ts,
                                 count=sagg.count, again=again, inside=np.bincount(c.activity[inside], minlength=n_act),
                                 prev=prev)
    d = wc_mod.decide_causes(np.asarray(c.activity_names, dtype=object), steps, agg, waits or {})
    return d, c, t, inside, length


def _same_assignment(got, want) -> None:
    for g, w in zip(got[:2], want[:2]):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    for name in ("idx", "rest", "wait_el", "stat_wait", "proc_el", "stat_proc"):
        g, w = getattr(got[2], name), getattr(want[2], name)
        assert g.dtype == w.dtype and np.array_equal(g, w), name
    assert np.array_equal(got[3], want[3])


@pytest.mark.parametrize("name, waits", [("permit_de", None), ("subsidy_fr", {"Séance de la commission": "batch"}),
                                         ("permit_de", {"Einsprachefrist abwarten": "client"})])
def test_assign_causes_matches_the_per_rule_reference(name: str, waits: dict | None) -> None:
    d, c, t, inside, length = _inputs(pm.samples.load(name), waits)
    want = _assign_reference(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside)
    for kw in ({}, {"length": length}):  # the span given or computed for the events that need it
        _same_assignment(wc_mod.assign_causes(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside, **kw),
                         want)


@pytest.mark.parametrize("seed", range(3))
def test_assign_causes_every_rule_at_once(seed: int) -> None:
    """Random periods before and after steps, requests, releases, follow-ups and declarations
    on a sample's events: every branch of the rule, against the reference."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    d, c, t, inside, _ = _inputs(pm.samples.load("subsidy_fr"))
    n_act = c.n_activities
    day = wc_mod._DAY_US
    pick = rng.random(n_act)
    d = replace(d, fixed=np.where(pick < 0.1, rng.integers(0, 4, n_act), -1).astype(np.int8),
                parks=rng.random(n_act) < 0.3, request=rng.random(n_act) < 0.2, release=rng.random(n_act) < 0.15,
                follow=rng.random(n_act) < 0.3,
                period=np.where(pick > 0.6, rng.integers(1, 20, n_act) * day, np.nan).astype(np.float64),
                tol=np.where(rng.random(n_act) < 0.5, day, 3_600_000_000).astype(np.float64),
                after_period=np.where(rng.random(n_act) < 0.4, rng.integers(1, 20, n_act) * day, np.nan),
                after_tol=np.where(rng.random(n_act) < 0.5, day, 3_600_000_000).astype(np.float64))
    want = _assign_reference(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside)
    assert len(want[2].idx) and len(want[3])  # the test reaches the capped and inherited periods
    _same_assignment(wc_mod.assign_causes(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside), want)
    # a log without start times passes no processing
    no_proc = np.full(len(c.activity), NAT, dtype=np.int64)
    _same_assignment(wc_mod.assign_causes(d, c.activity, t.first, t.wait_elapsed, None, inside),
                     _assign_reference(d, c.activity, t.first, t.wait_elapsed, no_proc, inside))


def _wait_aggregates_reference(act, length, n_act, ts, prev):
    def lengths(a, x):
        ok = x != NAT
        a_all, x_all = a[ok], x[ok].astype(np.float64)
        long_ = x[ok] >= wc_mod.LONG_US
        key, n = np.unique(a_all[long_].astype(np.int64) << 40 | x[ok][long_] // wc_mod.MINUTE_US, return_counts=True)
        hist = pd.DataFrame({"code": key >> 40, "minute": key & ((1 << 40) - 1), "n": n})
        return (np.bincount(a_all, minlength=n_act).astype(np.float64), np.bincount(a_all, weights=x_all, minlength=n_act),
                np.bincount(a_all, weights=x_all * x_all, minlength=n_act), hist)

    has_prev = prev >= 0
    day = ts // wc_mod._DAY_US
    d_key, d_n = np.unique(act.astype(np.int64) * (1 << 32) + (day - day.min()), return_counts=True)
    days = pd.DataFrame({"code": d_key >> 32, "day": (d_key & 0xFFFFFFFF) + day.min(), "n": d_n})
    return lengths(act, length), lengths(prev[has_prev], length[has_prev]), days


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_wait_aggregates_match_the_sorting_reference(name: str) -> None:
    log = pm.samples.load(name)
    c, t = log.codes, event_times(log, Calendar.always())
    n_act = c.n_activities
    prev = np.full(len(c.activity), -1, dtype=np.int64)
    prev[1:] = c.activity[:-1]
    prev[t.first] = -1
    got = wc_mod.wait_aggregates(c.activity, t.wait_elapsed, None, n_act, ts=c.ts, count=np.zeros(n_act),
                                 again=np.zeros(n_act), inside=None, prev=prev.astype(np.int32))
    own, after, days = _wait_aggregates_reference(c.activity, t.wait_elapsed, n_act, c.ts, prev)
    for agg, ref in ((got, own), (got.after, after)):
        assert np.array_equal(agg.n, ref[0]) and np.array_equal(agg.s1, ref[1]) and np.array_equal(agg.s2, ref[2])
        # the histogram keeps the rows of the activities that may have a period only (the
        # others' rows are never read): the same periods as from the whole histogram
        full = ref[3]
        long_n = np.bincount(full["code"], weights=full["n"], minlength=n_act)
        todo = wc_mod._period_candidates(ref[0], ref[1], ref[2], long_n)[0]
        assert todo.any() and not todo[full["code"]].all()  # both kinds of rows are met
        pd.testing.assert_frame_equal(pd.DataFrame(agg.hist), full[todo[full["code"]]].reset_index(drop=True))
        ref_agg = wc_mod.WaitAggregates(n=ref[0], s1=ref[1], s2=ref[2], hist=full, proc_median=None)
        want_p, want_t, want_why = wc_mod._periods(ref_agg, n_act)
        got_p, got_t, got_why = wc_mod._periods(agg, n_act)
        assert np.array_equal(got_p, want_p, equal_nan=True) and np.array_equal(got_t, want_t) and got_why == want_why
    pd.testing.assert_frame_equal(pd.DataFrame(got.days), days)


@pytest.mark.parametrize("name, waits", [("permit_de", None), ("subsidy_fr", {"Séance de la commission": "batch"})])
def test_cause_sums_equal_the_sums_of_split(name: str, waits: dict | None) -> None:
    log = pm.samples.load(name)
    wc = wait_causes(log, waits=waits)
    c = log.codes
    assert wc.caps is not None and len(wc.caps.idx)  # the statutory waits past their period are moved
    for cal in (Calendar.always(), Calendar()):
        wait = event_times(log, cal).wait
        parts = wc.split(wait)
        p = c.pairs
        sel = np.flatnonzero(p.same) + 1
        for keys, n, s in ((c.activity, c.n_activities, None), (c.case, c.n_cases, None),
                           (p.edge, len(p.keys), sel)):
            got = wc.cause_sums(wait, keys, n, s)
            for cause in CAUSES:
                v = parts[cause] if s is None else parts[cause][s]
                want = np.zeros(n, dtype=np.int64)
                np.add.at(want, keys, v)
                assert np.array_equal(got[f"wait_{cause}"], want.astype(np.float64)), cause


def test_outside_office_is_computed_once_and_read_only() -> None:
    log = pm.samples.load("permit_de")
    t = event_times(log, Calendar())
    wc = wait_causes(log)
    first = wc.outside_office(t.wait, t.proc, log.codes.activity)
    again = wc.outside_office(t.wait, t.proc, log.codes.activity)
    assert first[0] is again[0] and not first[0].flags.writeable
    fresh = wc_mod.WaitCauses(cause=wc.cause, steps=wc.steps, explain=wc.explain,
                              period_in_processing=wc.period_in_processing, caps=wc.caps, by_prev=wc.by_prev)
    other = fresh.outside_office(t.wait.copy(), t.proc, log.codes.activity)  # a new array: computed again
    assert np.array_equal(other[0], first[0]) and np.array_equal(other[1], first[1])


def test_key_counts_and_exact_sums() -> None:
    rng = np.random.default_rng(0)
    for space in (50, 10**12):  # dense table, then the sort
        key = rng.integers(0, space, 5_000)
        got, want = key_counts(key, space), np.unique(key, return_counts=True)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    keys = rng.integers(0, 7, 20_000)
    values = rng.integers(0, 2**45, 20_000)  # totals past 2**53, where a float sum loses digits
    want = [sum(int(v) for v in values[keys == k]) for k in range(7)]
    high, low = split_sums(keys, values, 7)
    assert [(int(h) << 20) + int(lo) for h, lo in zip(high, low)] == want
    assert joined_sums(high, low).tolist() == [float(w) for w in want]
    # past 2**63 µs, where an int64 sum wraps to a negative total
    big = np.full(300_000, 60 * 10**12 + 7, dtype=np.int64)
    assert joined_sums(*split_sums(np.zeros(len(big), dtype=np.int64), big, 1))[0] == float(len(big) * (60 * 10**12 + 7))


def test_wait_causes_on_a_real_log_match_the_reference() -> None:
    d, c, t, inside, length = _inputs(pm.read_log(shared_log("receipt_wabo.xes.gz")))
    want = _assign_reference(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside)
    _same_assignment(wc_mod.assign_causes(d, c.activity, t.first, t.wait_elapsed, t.proc_elapsed, inside,
                                          length=length), want)


# -- fixed periods and batch releases: the candidates left out before the per-activity loop
def _periods_reference(agg, n_act):
    """The former loop: every activity with enough waits and a long one is tried."""
    period, tol = np.full(n_act, np.nan), np.zeros(n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = agg.s1 / agg.n
        cv = np.sqrt(np.maximum(agg.s2 / agg.n - mean * mean, 0.0)) / mean
    h = pd.DataFrame(agg.hist)
    a, c_all = h["code"].to_numpy(dtype=np.int64), h["n"].to_numpy(dtype=np.int64)
    x_all = h["minute"].to_numpy(dtype=np.int64).astype(np.float64) * wc_mod.MINUTE_US
    for code in range(n_act):
        sel = a == code
        if agg.n[code] < wc_mod._MIN_EVENTS or not sel.any():
            continue
        u, cnt = x_all[sel], c_all[sel]
        cum = np.r_[0, np.cumsum(cnt)]
        for half, share_min in ((wc_mod._DAY_US, 0.6), (wc_mod._HOUR_US, 0.25)):
            lo, hi = np.searchsorted(u, u - half, side="left"), np.searchsorted(u, u + half, side="right")
            inside = cum[hi] - cum[lo]
            b = int(inside.argmax())
            centre = wc_mod._weighted_median(u[lo[b]:hi[b]], cnt[lo[b]:hi[b]])
            if inside[b] / agg.n[code] >= share_min and centre >= wc_mod._MIN_DAYS * wc_mod._DAY_US:
                period[code], tol[code] = centre, half
                break
        else:
            if cv[code] < 0.1 and mean[code] >= wc_mod._MIN_DAYS * wc_mod._DAY_US:
                period[code], tol[code] = wc_mod._weighted_median(u, cnt), wc_mod._DAY_US
    return period, tol


def _releases_reference(days, n_act):
    release, why = np.zeros(n_act, dtype=bool), [""] * n_act
    key, day, per_day = (days[k].to_numpy(dtype=np.int64) for k in ("code", "day", "n"))
    for code in range(n_act):
        sel = key == code
        n_ev = int(per_day[sel].sum())
        if n_ev < wc_mod._RELEASE_MIN_EVENTS:
            continue
        span = int(day[sel].max() - day[sel].min()) + 1
        counts = np.sort(per_day[sel])[::-1]
        need = int(np.searchsorted(np.cumsum(counts), wc_mod._RELEASE_SHARE * n_ev)) + 1
        release[code] = (span >= 2 * wc_mod._RELEASE_DAYS_PER and need <= span / wc_mod._RELEASE_DAYS_PER
                         and counts[:need].sum() >= wc_mod._RELEASE_MIN_PER_DAY * need)
        if release[code]:
            why[code] = (f"released in batches: {counts[:need].sum() / n_ev:.0%} of its {n_ev} events "
                         f"on {need} calendar day(s) in {span / 365.25:.1f} years")
    return release, why


@pytest.mark.parametrize("seed", range(4))
def test_periods_and_releases_match_the_full_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    day, n_act = wc_mod._DAY_US, 40
    parts = []
    for code in range(n_act):  # queues, full and partial periods, barely varying lengths, few events
        n = int(rng.choice([5, 12, 60, 300]))
        kind = code % 5
        if kind == 0:
            x = rng.exponential(rng.choice([0.5, 3, 20]) * day, n)
        elif kind == 1:
            x = rng.choice([10, 30, 45]) * day + rng.normal(0, rng.choice([0.1, 2]) * day, n)
        elif kind == 2:
            k = int(n * rng.choice([0.2, 0.3]))
            x = np.r_[np.full(k, 15 * day) + rng.integers(0, 30, k) * 60e6, rng.exponential(day, n - k)]
        elif kind == 3:
            x = rng.choice([4.5, 8]) * day * rng.normal(1, 0.04, n)
        elif code % 10 == 4:
            x = rng.uniform(3 * day, 7 * day, n)
        else:  # whole days: the windows' edges decide (±1 day includes both ends)
            x = rng.choice([9, 10, 11, 30], n, p=[0.15, 0.4, 0.15, 0.3]) * day + rng.choice([0, 60e6], n, p=[0.9, 0.1])
        parts.append((np.full(n, code), np.maximum(x, 0).astype(np.int64)))
    act = np.concatenate([p[0] for p in parts])
    x = np.concatenate([p[1] for p in parts])
    x[rng.random(len(x)) < 0.05] = NAT
    agg = wc_mod._length_aggregates(act[x != NAT], x[x != NAT], n_act)
    period, tol, _ = wc_mod._periods(agg, n_act)
    want = _periods_reference(agg, n_act)
    assert np.array_equal(period, want[0], equal_nan=True) and np.array_equal(tol, want[1])
    # the query engines pass their aggregates as frames: the same decisions
    framed = dataclasses.replace(agg, hist=pd.DataFrame(agg.hist))
    assert np.array_equal(wc_mod._periods(framed, n_act)[0], period, equal_nan=True)
    # lengths past 285 years (broken timestamps) are searched per activity on the floats
    x_far = x.copy()
    far = np.isin(act % 10, (1, 9)) & (x != NAT)
    x_far[far] += 400 * 365 * day
    agg = wc_mod._length_aggregates(act[x_far != NAT], x_far[x_far != NAT], n_act)
    assert agg.hist["minute"].max() >= wc_mod._EXACT_MINUTES
    period, tol, _ = wc_mod._periods(agg, n_act)
    want = _periods_reference(agg, n_act)
    assert np.array_equal(period, want[0], equal_nan=True) and np.array_equal(tol, want[1])
    assert (~np.isnan(period[np.unique(act[far])])).any()
    assert (~np.isnan(period)).sum() >= 5  # the test covers found periods, not only misses
    # events per activity and day: a few release days, daily work, short spans
    rows = []
    for code in range(n_act):
        span = int(rng.choice([60, 200, 2000]))
        n_days = int(rng.choice([2, 5, 30, span]))
        d = np.sort(rng.choice(span, size=min(n_days, span), replace=False))
        rows.append(pd.DataFrame({"code": code, "day": d + 18_000, "n": rng.integers(1, 40, len(d))}))
    days = pd.concat(rows, ignore_index=True)
    release, why = wc_mod._releases(days, n_act)
    want_release, want_why = _releases_reference(days, n_act)
    assert np.array_equal(release, want_release) and release.any() and why == want_why
    assert np.array_equal(wc_mod._releases({k: days[k].to_numpy() for k in days.columns}, n_act)[0], release)


def test_group_median_is_pandas_groupby_median() -> None:
    from procmine._core.kernels import group_median

    rng = np.random.default_rng(5)
    for scale in (10, 10**6, 10**12, 4 * 10**18):  # past 2**53 too, where the float sums round
        for n in (1, 2, 3, 2000):
            g = rng.integers(0, 30, n)
            v = rng.integers(-scale, scale, n)
            want = pd.Series(v).groupby(g).median().reindex(range(33)).to_numpy(np.float64)
            assert np.array_equal(group_median(g, v, 33), want, equal_nan=True)
    assert np.isnan(group_median(np.zeros(0, np.int64), np.zeros(0, np.int64), 2)).all()


@pytest.mark.parametrize("source", ["permit_de", "interval_event_log.xes"])
def test_elapsed_event_times_with_start_times_equal_the_cumulative_path(source: str) -> None:
    # elapsed time reuses the elapsed waits; a 24/7 UTC working calendar goes the general way
    log = pm.samples.load(source) if "." not in source else pm.read_log(shared_log(source))
    assert log.has_start_timestamps
    every_hour = Calendar(hours={d: [("00:00", "24:00")] for d in range(7)}, holidays=None, tz="UTC")
    fast, full = event_times(log, Calendar.always()), event_times(log, every_hour)
    for name in ("wait", "proc", "delta", "wait_elapsed", "proc_elapsed", "case_start", "case_end",
                 "case_duration"):
        assert np.array_equal(getattr(fast, name), getattr(full, name)), name


@pytest.mark.parametrize("name", ["permit_de", "receipt_wabo.xes.gz"])
def test_edge_wait_stats_shared_with_the_dfg_equal_their_own(name: str) -> None:
    from procmine._core.dfg import pair_wait_stats
    from procmine.engines.memory import stat_columns

    log = pm.samples.load(name) if "." not in name else pm.read_log(shared_log(name))
    log = pm.EventLog(log.df.drop(columns=["start_timestamp"], errors="ignore"), presorted=True)
    c, t = log.codes, event_times(log, Calendar.always())
    wait = t.wait[1:][c.pairs.same]
    own = stat_columns("wait", c.pairs.edge, wait, len(c.pairs.keys))
    shared = stat_columns("wait", c.pairs.edge, wait, len(c.pairs.keys), pair_wait_stats(log))
    assert own.keys() == shared.keys()
    assert all(np.array_equal(own[k], shared[k], equal_nan=True) for k in own)


def _releases_reference(days: dict, n_act: int) -> tuple[np.ndarray, list[str]]:
    """The release rule step by step: per activity, its day counts largest first."""
    release, why = np.zeros(n_act, dtype=bool), [""] * n_act
    code, day, n = (np.asarray(days[k], dtype=np.int64) for k in ("code", "day", "n"))
    for a in range(n_act):
        sel = code == a
        n_ev, span = int(n[sel].sum()), (int(day[sel].max() - day[sel].min()) + 1 if sel.any() else 0)
        if n_ev < wc_mod._RELEASE_MIN_EVENTS or span < 2 * wc_mod._RELEASE_DAYS_PER:
            continue
        within = np.cumsum(np.sort(n[sel])[::-1])
        need = int((within < wc_mod._RELEASE_SHARE * n_ev).sum()) + 1
        top = int(within[need - 1])
        if need <= span / wc_mod._RELEASE_DAYS_PER and top >= wc_mod._RELEASE_MIN_PER_DAY * need:
            release[a] = True
            why[a] = (f"released in batches: {top / n_ev:.0%} of its {n_ev} events "
                      f"on {need} calendar day(s) in {span / 365.25:.1f} years")
    return release, why


@pytest.mark.parametrize("seed", range(6))
def test_releases_skip_only_steps_that_cannot_pass(seed: int) -> None:
    """The busiest-day bound skips the sort for steps that cannot be released in batches:
    the same decisions as the rule applied to every step, near its thresholds too."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(12):
        span = int(rng.integers(100, 2000))
        if a % 3 == 0:  # released on a few days, some of them busy enough
            n_days = int(rng.integers(1, 1 + span // 80))
            days = rng.choice(span, n_days, replace=False)
            counts = rng.integers(5, 60, n_days)
        else:  # a queue: events on many days, a few busy ones
            days = np.unique(rng.integers(0, span, int(rng.integers(20, 400))))
            counts = rng.integers(1, 4 if a % 3 == 1 else 30, len(days))
        rows += [(a, int(d), int(k)) for d, k in zip(days, counts)]
    rows.sort()
    days = {k: np.array([r[i] for r in rows], dtype=np.int64) for i, k in enumerate(("code", "day", "n"))}
    got, want = wc_mod._releases(days, 13), _releases_reference(days, 13)
    assert want[0].any() and not want[0].all()  # both outcomes are met
    assert np.array_equal(got[0], want[0]) and got[1] == want[1]


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_processing_medians_of_the_steps_that_may_have_a_period_decide_alike(name: str) -> None:
    """In memory the median processing is taken for the steps that may have a fixed period
    only: the same decisions (a period recorded as the step's processing) as with every
    step's median."""
    from dataclasses import replace

    from procmine._core.kernels import group_median

    log = pm.samples.load(name)
    d, c, t, _, length = _inputs(log)
    assert d.in_proc.any()  # the rule is met
    known = t.proc_elapsed != NAT
    steps = decide_steps(step_aggregates(log), external=())
    agg = wc_mod.wait_aggregates(c.activity, length, t.proc_elapsed, c.n_activities, ts=c.ts,
                                 count=np.bincount(c.activity, minlength=c.n_activities),
                                 again=np.zeros(c.n_activities), inside=None)
    assert np.isnan(agg.proc_median).any()  # some steps' medians are left out
    full = replace(agg, proc_median=group_median(c.activity[known], t.proc_elapsed[known], c.n_activities))
    names = np.asarray(c.activity_names, dtype=object)
    assert np.array_equal(wc_mod.decide_causes(names, steps, agg, {}).in_proc,
                          wc_mod.decide_causes(names, steps, full, {}).in_proc)
