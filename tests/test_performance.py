"""performance(): hand-checked times, a slow per-event reference, and pm4py on real logs."""

from __future__ import annotations

import contextlib
import io
import os

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import NAT, Calendar
from procmine.errors import ParameterError
from procmine.performance import Performance, event_times, group_stats
from tests.conftest import shared_log

ALWAYS = Calendar.always()


def zh(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t, tz="Europe/Zurich") for t in texts]


@pytest.fixture
def tiny() -> pm.EventLog:
    """Two cases with start timestamps; c2's second step has none."""
    df = pd.DataFrame(
        {
            "case:concept:name": ["c1", "c1", "c1", "c2", "c2"],
            "concept:name": ["submit", "check", "decide", "submit", "check"],
            "start_timestamp": zh(
                "2024-03-08 15:00", "2024-03-08 16:00", "2024-03-11 09:00", "2024-03-11 08:00", "NaT"
            ),
            "time:timestamp": zh(
                "2024-03-08 15:30",
                "2024-03-08 16:30",
                "2024-03-11 10:00",
                "2024-03-11 08:00",
                "2024-03-11 11:00",
            ),
        }
    )
    return pm.EventLog(df)


def test_hand_checked_times(tiny):
    perf = pm.performance(tiny)
    assert isinstance(perf, Performance) and perf.basis == "working" and perf.waiting_label == "waiting"
    cases = perf.cases
    # c1: Fri 15:00 -> Mon 10:00 = 2 h (Fri) + 1.5 h + 1 h (Mon 07:30-10:00 without lunch) = 4.5 h
    assert cases.loc["c1", "duration"] == pd.Timedelta(hours=4.5)
    assert cases.loc["c1", "elapsed"] == pd.Timedelta(days=2, hours=19)
    assert cases.loc["c2", "duration"] == pd.Timedelta(hours=3)
    acts = perf.activities
    assert acts.loc["check", "count"] == 2
    # check in c1: waits 16:00 - 15:30 = 30 min, processed 30 min;
    # in c2 (no start): 08:00 -> 11:00 = 3 h of waiting+processing
    assert acts.loc["check", "waiting_median"] == pd.Timedelta(minutes=105)
    assert acts.loc["check", "processing_median"] == pd.Timedelta(minutes=30)
    # decide: waiting Fri 16:30 -> Mon 09:00 = 0.5 h + 1.5 h
    assert acts.loc["decide", "waiting_mean"] == pd.Timedelta(hours=2)
    assert acts.loc["decide", "processing_mean"] == pd.Timedelta(hours=1)
    assert acts.loc["decide", "waiting_total"] == pd.Timedelta(hours=2)
    assert acts.loc["decide", "waiting_total_hours"] == pytest.approx(2.0)
    assert acts.loc["submit", "waiting_median"] is pd.NaT or pd.isna(acts.loc["submit", "waiting_median"])
    # shares: time waited for and spent in each activity over total case time (7.5 h)
    spent = {"submit": 0.5, "check": 0.5 + 0.5 + 3, "decide": 2 + 1}
    for act, hours in spent.items():
        assert acts.loc[act, "share"] == pytest.approx(hours / 7.5)
    edges = perf.edges.set_index(["source", "target"])
    assert edges.loc[("submit", "check"), "count"] == 2
    assert edges.loc[("submit", "check"), "cases"] == 2
    assert edges.loc[("check", "decide"), "median"] == pd.Timedelta(hours=2)
    el = perf.elapsed().edges.set_index(["source", "target"])
    assert el.loc[("check", "decide"), "median"] == pd.Timedelta(days=2, hours=16, minutes=30)


def test_overlap_counts_as_no_waiting():
    df = pd.DataFrame(
        {
            "case:concept:name": ["c"] * 2,
            "concept:name": ["a", "b"],
            "start_timestamp": zh("2024-03-05 08:00", "2024-03-05 08:30"),
            "time:timestamp": zh("2024-03-05 09:00", "2024-03-05 10:00"),
        }
    )
    perf = pm.performance(pm.EventLog(df))
    assert perf.activities.loc["b", "waiting_median"] == pd.Timedelta(0)
    assert perf.activities.loc["b", "processing_median"] == pd.Timedelta(hours=1.5)


def test_without_start_timestamps_waiting_includes_processing(tiny):
    log = pm.EventLog(tiny.df.drop(columns=["start_timestamp"]))
    perf = pm.performance(log, calendar=ALWAYS)
    assert perf.waiting_label == "waiting+processing"
    assert perf.activities.attrs["waiting"] == "waiting+processing"
    assert perf.activities["processing_median"].isna().all()
    assert perf.activities["share"].sum() == pytest.approx(1.0)
    assert "waiting+processing" in repr(perf)


def test_throughput_and_wip(tiny):
    perf = pm.performance(tiny, freq="D")
    tp = perf.throughput
    assert tp["arrivals"].sum() == 2 and tp["completions"].sum() == 2
    assert tp.loc[pd.Period("2024-03-08", "D"), "wip"] == 1
    assert tp.loc[pd.Period("2024-03-10", "D"), "wip"] == 1
    assert tp["wip"].iloc[-1] == 0
    assert perf.wip.equals(tp["wip"])
    assert tp["events"].sum() == tiny.n_events


def slow_reference(log: pm.EventLog, cal: Calendar) -> tuple[list, list]:
    """Per event, with Python loops: waiting and processing time."""
    df = log.df
    waits, procs = [], []
    prev_case, prev_ts = None, None
    starts = df["start_timestamp"] if "start_timestamp" in df else [None] * len(df)
    rows = zip(df["case:concept:name"], df["time:timestamp"], starts)
    for case, ts, st in rows:
        if pd.isna(st) or st > ts:
            st = None
        if case == prev_case:
            end = ts if st is None else max(st, prev_ts)
            waits.append(cal.working_time(pd.Series([prev_ts]), pd.Series([end]))[0])
        else:
            waits.append(pd.NaT)
        procs.append(pd.NaT if st is None else cal.working_time(pd.Series([st]), pd.Series([ts]))[0])
        prev_case, prev_ts = case, ts
    return waits, procs


@pytest.mark.parametrize("with_start", [True, False], ids=["start", "complete-only"])
@pytest.mark.parametrize("cal", [Calendar(), ALWAYS], ids=["working", "elapsed"])
def test_vectorised_equals_slow_reference(cal, with_start):
    rng = np.random.default_rng(7)
    n = 300
    case = np.sort(rng.integers(0, 40, n))
    ts = pd.Timestamp("2024-03-20", tz="UTC") + pd.to_timedelta(rng.integers(0, 40 * 86_400, n), unit="s")
    start = ts - pd.to_timedelta(rng.integers(0, 20_000, n), unit="s")
    start = start.where(rng.random(n) > 0.3)
    df = pd.DataFrame(
        {
            "case:concept:name": [f"k{c}" for c in case],
            "concept:name": rng.choice(list("abcde"), n),
            "time:timestamp": ts,
            "start_timestamp": start,
        }
    )
    if not with_start:
        df = df.drop(columns=["start_timestamp"])
    log = pm.EventLog(df)
    t = event_times(log, cal)
    waits, procs = slow_reference(log, cal)

    def us(values: list) -> np.ndarray:
        return np.array([NAT if pd.isna(v) else int(v / pd.Timedelta(microseconds=1)) for v in values])

    assert np.array_equal(t.wait, us(waits))
    assert np.array_equal(t.proc, us(procs))
    assert (t.proc != NAT).sum() > (100 if with_start else -1) and (t.wait != NAT).sum() > 200
    # time attributed to events adds up to the case durations when no start times overlap
    if not with_start:
        per_case = np.bincount(log.codes.case, weights=t.delta)
        assert np.array_equal(per_case.astype(np.int64), t.case_duration)


def test_group_stats_equals_numpy():
    rng = np.random.default_rng(3)
    g = rng.integers(0, 5, 500)
    v = rng.integers(-1000, 10**9, 500)
    v[::17] = NAT
    st = group_stats(g, v, 6)
    for k in range(5):
        vals = v[(g == k) & (v != NAT)]
        assert st["median"][k] == pytest.approx(np.median(vals))
        assert st["p90"][k] == pytest.approx(np.percentile(vals, 90))
        assert st["mean"][k] == pytest.approx(vals.mean())
    assert np.isnan(st["median"][5]) and st["count"][5] == 0


def test_display_and_plots(tiny):
    df = tiny.df.copy()
    df["concept:name"] = df["concept:name"].replace({"check": "<script>alert(1)</script>"})
    perf = pm.performance(pm.EventLog(df))
    page = perf._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert repr(perf).startswith("<Performance")
    for kind in ("durations", "activities", "wip"):
        ax = perf.plot(kind)
        assert ax.get_title()
    assert set(perf.summary()["figure"]) >= {"cases", "median case duration (working h)", "waiting measured as"}
    assert list(perf.to_frame().columns[:2]) == ["concept:name", "count"]
    with pytest.raises(ParameterError, match="'kind' parameter"):
        perf.plot("pie")


def test_bad_arguments(tiny):
    with pytest.raises(ParameterError):
        pm.performance(tiny.df)
    with pytest.raises(ParameterError):
        pm.performance(tiny, calendar="CH")


# -- real logs against pm4py ----------------------------------------------------------------
def _pm4py():
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


def _pm4py_perf_dfg(frame: pd.DataFrame) -> dict:
    pm4py = _pm4py()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        perf, _, _ = pm4py.discover_performance_dfg(frame)
    return perf


def _assert_edges_match(log: pm.EventLog, frame: pd.DataFrame) -> None:
    ours = pm.performance(log, calendar=ALWAYS).edges.set_index(["source", "target"])
    theirs = _pm4py_perf_dfg(frame)
    assert set(ours.index) == set(theirs)
    for edge, stats in theirs.items():
        assert ours.loc[edge, "mean"].total_seconds() == pytest.approx(stats["mean"], abs=1e-3)
        assert ours.loc[edge, "median"].total_seconds() == pytest.approx(stats["median"], abs=1e-3)


def test_edges_equal_pm4py_on_receipt_wabo():
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    frame = log.df[["case:concept:name", "concept:name", "time:timestamp"]].copy()
    _assert_edges_match(log, frame)
    perf = pm.performance(log)
    assert perf.waiting_label == "waiting+processing"
    assert perf.cases["duration"].le(perf.cases["elapsed"]).all()


def test_edges_equal_pm4py_on_interval_log():
    log = pm.read_log(shared_log("interval_event_log.xes"))
    assert log.has_start_timestamps
    # pm4py orders events by start time, procmine by completion; and where an event starts
    # before the previous one completes (parallel work) pm4py 2.7 reports a negative time
    # while procmine counts no waiting. Compare on the cases with neither.
    df = log.df
    grouped = df.groupby("case:concept:name", sort=False)
    by_start = grouped["start_timestamp"].diff()
    overlap = df["start_timestamp"] - grouped["time:timestamp"].shift()
    bad = df.loc[(by_start < pd.Timedelta(0)) | (overlap < pd.Timedelta(0)), "case:concept:name"].unique()
    assert 0 < len(bad) < log.n_cases / 2
    log = log.filter(cases=[c for c in log.codes.case_ids if c not in set(bad)])
    frame = log.df[["case:concept:name", "concept:name", "time:timestamp", "start_timestamp"]].copy()
    _assert_edges_match(log, frame)
    acts = pm.performance(log, calendar=ALWAYS).activities
    proc = (frame["time:timestamp"] - frame["start_timestamp"]).groupby(frame["concept:name"]).median()
    assert (acts["processing_median"].sort_index() == proc.sort_index()).all()


def empty_log() -> pm.EventLog:
    return pm.EventLog(
        pd.DataFrame(
            {
                "case:concept:name": pd.Series([], dtype=str),
                "concept:name": pd.Series([], dtype=str),
                "time:timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
                "org:group": pd.Series([], dtype=str),
            }
        )
    )


def test_empty_log():
    perf = pm.performance(empty_log())
    assert len(perf.cases) == len(perf.activities) == len(perf.edges) == len(perf.throughput) == 0
    assert "0 cases" in repr(perf) and perf._repr_html_()
    for kind in ("durations", "activities", "wip"):
        perf.plot(kind)


@pytest.mark.parametrize("tz", ["Europe/Zurich", "Asia/Kathmandu", "America/St_Johns"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_period_counts_equal_direct_conversion(tz, freq):
    from procmine.engines._protocol import local_periods as _period_counts

    rng = np.random.default_rng(5)
    us = rng.integers(1_600_000_000_000_000, 1_700_000_000_000_000, 5000)
    direct = (
        pd.DatetimeIndex(us.view("datetime64[us]"))
        .tz_localize("UTC")
        .tz_convert(tz)
        .tz_localize(None)
        .to_period(freq)
    )
    expected = pd.Series(direct).value_counts().sort_index()
    got = _period_counts(us, tz, freq)
    assert got.to_dict() == expected.to_dict()
    # the fallback for instants spread over centuries gives the same
    spread = np.concatenate((us, [-5_000_000_000_000_000]))
    assert _period_counts(spread, tz, freq).sum() == len(spread)


def test_working_time_is_shown_in_working_hours_not_timedelta(tiny):
    """A working-time Timedelta prints 447 working hours as "18 days 15:00": summary() and
    to_frame() give float working hours instead; elapsed time stays a Timedelta."""
    perf = pm.performance(tiny)
    frame = perf.to_frame()
    assert not any(frame[c].dtype.kind == "m" for c in frame.columns)
    assert "waiting_median_working_h" in frame.columns and "waiting_median" not in frame.columns
    expected = perf.activities["waiting_median"].dt.total_seconds().to_numpy() / 3600
    np.testing.assert_allclose(frame["waiting_median_working_h"].to_numpy(), expected)
    assert "Calendar" in frame.attrs["calendar"]
    summary = perf.summary().set_index("figure")["value"]
    assert not any(isinstance(v, pd.Timedelta) for k, v in summary.items() if "elapsed" not in k)
    assert summary["median case duration (working h)"] == pytest.approx(
        perf.cases["duration"].median().total_seconds() / 3600
    )
    assert isinstance(summary["median elapsed case duration"], pd.Timedelta)
    # elapsed time: Timedelta columns under their own names
    el = pm.performance(tiny, calendar=pm.Calendar.always())
    assert el.to_frame()["waiting_median"].dtype.kind == "m"
    assert isinstance(el.summary().set_index("figure")["value"]["median case duration"], pd.Timedelta)


def test_engine_without_the_cause_split_gives_frames_without_cause_columns():
    """An engine whose capabilities say it does not split waits by cause: the same frames
    without the ``wait_*`` cause columns; the explanation comes from the events."""
    from dataclasses import replace

    from procmine.engines import get_engine

    log = pm.samples.load("permit_de")
    engine = get_engine(log)
    engine.capabilities = replace(engine.capabilities, wait_causes=False)  # cached_property: settable
    got, want = Performance(log, pm.Calendar(), engine=engine), pm.performance(log)
    causes = ["wait_office", "wait_client", "wait_statutory", "wait_batch"]
    for name in ("cases", "activities", "edges"):
        frame = getattr(got, name)
        assert not set(causes) & set(frame.columns)
        pd.testing.assert_frame_equal(frame, getattr(want, name).drop(columns=causes))
    pd.testing.assert_frame_equal(got.wait_causes, want.wait_causes)
