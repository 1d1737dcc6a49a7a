"""The speed-ups of issue 16 give the results of the plain computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import procmine as pm
from procmine._core.codes import all_distinct, column_codes
from procmine._core.event_times import elapsed_times, event_times
from procmine._core.kernels import group_stats
from procmine.calendar import Calendar
from procmine.waits._steps import _median, classify_steps, normalise_name


@pytest.mark.parametrize(
    "values",
    [
        ["b", None, "a", "b", "", None, "c"],
        ["x"] * 5,
        [None, None],
        ["Müller", "müller", "Müller"],
    ],
)
def test_column_codes_match_factorize(values: list) -> None:
    s = pd.Series(values, dtype="string[pyarrow]")
    codes, names = column_codes(s)
    ref_codes, ref_names = pd.factorize(s, use_na_sentinel=True)
    assert codes.tolist() == ref_codes.tolist()
    assert names.tolist() == list(np.asarray(ref_names, dtype=object))
    # object columns take pandas' path: the same answer
    obj_codes, obj_names = column_codes(pd.Series(values, dtype=object))
    assert obj_codes.tolist() == ref_codes.tolist()
    assert [str(x) for x in obj_names] == [str(x) for x in names]


def test_all_distinct_short_and_long_strings() -> None:
    short = [f"c{i}" for i in range(1000)]
    assert all_distinct(pa.array(short))
    assert not all_distinct(pa.array([*short, "c17"]))
    # over 16 bytes: strings differing only in their middle bytes
    long = ["prefix-0000-" + f"{i:06d}" + "-0000-suffix" for i in range(1000)]
    assert all_distinct(pa.array(long))
    assert not all_distinct(pa.array([*long, long[500]]))
    mixed = ["a" * 30, "a" * 14 + "b" + "a" * 15, "a" * 29]
    assert all_distinct(pa.array(mixed))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11])
def test_median_equals_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(-(10**15), 10**15, size=n)
    assert _median(x) == float(np.median(x))
    before = x.copy()
    _median(x)
    assert np.array_equal(x, before)  # the input is not reordered


def test_group_stats_percentiles_unchanged() -> None:
    rng = np.random.default_rng(3)
    g = rng.integers(0, 7, size=500)
    v = rng.integers(0, 10**9, size=500)
    st = group_stats(g, v, 8)
    for k in range(8):
        vals = v[g == k]
        if len(vals):
            assert st["median"][k] == pytest.approx(np.percentile(vals, 50), abs=0, rel=1e-15)
            assert st["p90"][k] == pytest.approx(np.percentile(vals, 90), abs=0, rel=1e-15)
        else:
            assert np.isnan(st["median"][k]) and np.isnan(st["p90"][k])


def test_event_times_cached_per_log_and_read_only() -> None:
    log = pm.samples.load("permit_de")
    cal = Calendar()
    t1 = event_times(log, cal)
    assert event_times(log, Calendar()) is t1  # equal calendars share the cache
    assert not t1.wait.flags.writeable
    with pytest.raises(ValueError):
        t1.wait[0] = 0
    fresh = pm.EventLog(log.df, log.report, presorted=True)
    t2 = event_times(fresh, cal)
    assert t2 is not t1 and np.array_equal(t2.wait, t1.wait) and np.array_equal(t2.delta, t1.delta)
    wait, proc, has_start = elapsed_times(log.codes)
    full = event_times(log, Calendar.always())
    assert np.array_equal(wait, full.wait_elapsed)
    assert proc is None or np.array_equal(proc, full.proc_elapsed)
    assert has_start == full.has_start


def test_classify_steps_repeatable() -> None:
    log = pm.samples.load("permit_de")
    first = classify_steps(log)
    again = classify_steps(pm.EventLog(log.df, log.report, presorted=True))
    pd.testing.assert_frame_equal(first, again)
    assert normalise_name("Prüfung  (Amt)") == normalise_name("Prüfung  (Amt)") == "pruefung amt"


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=float),
        np.array([np.iinfo(np.int64).min, 5, -7], dtype=np.int64),
        np.array([0.5, 1.5, -0.5, np.nan, 2.5e15]),
        np.array([1e19, -1e19, 3.0]),  # beyond the Timedelta range: NaT
    ],
)
def test_td_equals_to_timedelta(values: np.ndarray) -> None:
    from procmine._core.event_times import NAT, _td

    a = np.where(values == NAT, np.nan, values.astype(np.float64)) if values.dtype.kind == "i" else values
    a = np.round(a)
    a = np.where(np.abs(a) >= 9.2e18, np.nan, a)
    ref = pd.to_timedelta(a, unit="us").as_unit("us")
    got = _td(values)
    assert got.dtype == ref.dtype and type(got) is type(ref)
    assert got.equals(ref)
    assert _td(np.float64(5.0)) == pd.Timedelta(5, unit="us")


def test_column_codes_computed_once_when_detector_threads_ask_at_once(monkeypatch) -> None:
    """find_redundancies' threads share one log: a column's codes are factorized once even
    when two detectors ask for them at the same moment (before, both did: 0.3 s of CPU on
    10 M events)."""
    import threading
    import time

    from procmine.waits import _steps

    calls = []

    def slow_codes(s: pd.Series):
        calls.append(s.name)
        time.sleep(0.2)  # both threads are inside before either has stored its result
        return column_codes(s)

    monkeypatch.setattr(_steps, "column_codes", slow_codes)

    from types import SimpleNamespace

    codes = SimpleNamespace(memo={})

    df = pd.DataFrame({"org:resource": ["a", "b", "a", None]})
    got = []
    threads = [threading.Thread(target=lambda: got.append(_steps._column_codes(codes, df, "org:resource")))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["org:resource"]
    assert got[0][0] is got[1][0] and got[0][0].tolist() == [0, 1, 0, -1]


def test_a_log_pickles_after_its_analyses() -> None:
    """Notebooks hand logs to worker processes (joblib, multiprocessing): the caches the
    analyses leave with the log must pickle too."""
    import pickle

    from procmine import samples

    log = samples.load("permit_de")
    pm.find_redundancies(log)
    back = pickle.loads(pickle.dumps(log))
    assert back.n_events == log.n_events
    assert pm.find_redundancies(back).to_frame().shape == pm.find_redundancies(log).to_frame().shape
