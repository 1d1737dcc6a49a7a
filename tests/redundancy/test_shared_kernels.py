"""The shared kernels of the detectors give what the plain pandas/numpy formulation gives."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from procmine import EventLog

_base = importlib.import_module("procmine.redundancy._base")
_batching = importlib.import_module("procmine.redundancy.batching")


def _log(units: list, *, column: str = "org:resource", dtype: str | None = None, starts: bool = False) -> EventLog:
    """Three events per case, one unit value per event (None = missing)."""
    n = len(units)
    t0 = pd.Timestamp("2024-03-29 20:00", tz="UTC")  # spans the change to summer time (31 March)
    ts = pd.Series([t0 + pd.Timedelta(hours=7 * i + (i % 3)) for i in range(n)]).astype("datetime64[us, UTC]")
    df = pd.DataFrame({
        "case:concept:name": [f"c{i // 3}" for i in range(n)],
        "concept:name": [("A", "B", "C")[i % 3] for i in range(n)],
        "time:timestamp": ts,
        column: pd.Series(units, dtype=dtype) if dtype else pd.Series(units, dtype=object),
    })
    if starts:  # every second event has a start time, some at local midnight
        df["start_timestamp"] = ts.where(np.arange(n) % 2 == 0) - pd.Timedelta(hours=2)
        df.loc[df.index[::4], "start_timestamp"] = pd.Timestamp("2024-03-30 23:00", tz="UTC")
    return EventLog(df)


@pytest.mark.parametrize("dtype", [None, "string[pyarrow]", "str"])
@pytest.mark.parametrize("column", ["org:resource", "org:group"])
def test_units_are_the_sorted_factorization(dtype, column):
    units = ["Zoe", "anna", None, "Bob", "Zoe", "Émile", "bob", None, "anna", "Bob", "Zoe", "Ärger"]
    t = _base.EventTable(_log(units, column=column, dtype=dtype), _base.ElapsedCalendar())
    codes, names = pd.factorize(t.log.df[column], sort=True, use_na_sentinel=True)
    got = t.units
    assert got.column == column and got.codes.dtype == np.int32
    assert got.codes.tolist() == codes.tolist()
    assert list(got.names) == list(np.asarray(names, dtype=object))


def test_units_of_mixed_values_keep_pandas_order():
    units = [3, "b", 1, None, "a", 3, 1, "b", 2]
    t = _base.EventTable(_log(units), _base.ElapsedCalendar())
    codes, names = pd.factorize(t.log.df["org:resource"], sort=True, use_na_sentinel=True)
    assert t.units.codes.tolist() == codes.tolist()
    assert list(t.units.names) == list(np.asarray(names, dtype=object))


def test_group_quantiles_match_pandas():
    rng = np.random.default_rng(5)
    for trial in range(40):
        n, n_groups = int(rng.integers(1, 400)), int(rng.integers(1, 30))
        group = rng.integers(0, n_groups, n)
        x = (rng.integers(0, 10**12, n) if trial % 2 else rng.integers(0, 20, n) * 60_000_000).astype(np.float64)
        qs = (0.1, 0.5, 0.9)
        q = pd.Series(x).groupby(group).quantile(list(qs)).unstack()
        expected = np.column_stack([q[k].reindex(range(n_groups)).to_numpy() for k in qs])
        assert np.array_equal(_base.group_quantiles(x, group, n_groups, qs), expected, equal_nan=True)


def test_sorted_case_activity_keys():
    log = _log(["x"] * 30)
    perm, key = _base.case_activity_keys(log)
    c = log.codes
    expected = c.case.astype(np.int64) * c.n_activities + c.activity
    assert perm is _base.case_activity_order(log)
    assert key.tolist() == expected[perm].tolist() and (np.diff(key) >= 0).all()


@pytest.mark.parametrize("starts", [False, True])
def test_arrival_and_release_minutes_match_each_role(starts):
    log = _log(["x"] * 60, starts=starts)
    t = _base.EventTable(log, _base.ElapsedCalendar())
    ev = np.flatnonzero(t.same_case_prev)
    got = _batching._arrival_release_minutes(t, ev, "Europe/Zurich")
    a_min, a_mid = _batching._week_minute(t.prev_end[ev], "Europe/Zurich")
    r_min, r_mid = _batching._week_minute(t.start[ev], "Europe/Zurich")
    for g, e in zip(got, (a_min, a_mid, r_min, r_mid)):
        assert g.dtype == e.dtype and g.tolist() == e.tolist()
    assert t.has_start[ev].any() == starts  # the start times replace some releases


@pytest.mark.parametrize("tz", ["Europe/Zurich", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe", "UTC"])
def test_week_minute_matches_the_calendar_fields(tz):
    rng = np.random.default_rng(11)
    lo, hi = pd.Timestamp("1965-01-01", tz="UTC").value // 1000, pd.Timestamp("2031-01-01", tz="UTC").value // 1000
    us = rng.integers(lo, hi, 200_000)  # spans every transition of 66 years (the per-hour path)
    us[:2000] = us[:2000] - us[:2000] % 1_800_000_000  # whole UTC half hours, some at local midnight
    local = pd.DatetimeIndex(pd.to_datetime(us, unit="us", utc=True)).tz_convert(tz).tz_localize(None)
    expected = np.asarray(local.day_of_week * 1440 + local.hour * 60 + local.minute, dtype=np.int64)
    midnight = np.asarray(local.normalize() == local)
    before = us.copy()
    minute, at_midnight = _batching._week_minute(us, tz)
    assert minute.dtype == np.int64 and (minute == expected).all()
    assert (at_midnight == midnight).all() and at_midnight.any()
    assert (us == before).all()  # the instants are not changed in place
    assert (_batching._local_us(us, tz) == _batching._local_exact(us, tz)).all()
