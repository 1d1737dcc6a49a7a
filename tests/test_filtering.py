"""EventLog.filter: each filter on a hand-built log, and the recorded filter steps."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import ParameterError
from procmine.log import ACTIVITY, CASE, TIMESTAMP

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def build(traces: dict[str, list[tuple[str, int]]], **case_attrs: dict[str, str]) -> pm.EventLog:
    rows = []
    for case, events in traces.items():
        for act, day in events:
            row = {CASE: case, ACTIVITY: act, TIMESTAMP: T0 + pd.Timedelta(days=day)}
            for col, values in case_attrs.items():
                row[col] = values[case]
            rows.append(row)
    return pm.EventLog(pd.DataFrame(rows))


@pytest.fixture
def log() -> pm.EventLog:
    return build(
        {
            "1": [("a", 0), ("b", 1), ("c", 2)],
            "2": [("a", 3), ("b", 4), ("c", 5)],
            "3": [("a", 10), ("d", 11)],
            "4": [("a", 20), ("b", 21), ("c", 40)],
        },
        **{"case:Gemeinde": {"1": "Köniz", "2": "Muri", "3": "Köniz", "4": "Thun"}},
    )


def test_time_window_modes(log: pm.EventLog) -> None:
    contained = log.filter(start="2024-01-01", end="2024-01-12", mode="contained")
    assert sorted(contained.codes.case_ids) == ["1", "2", "3"]
    inter = log.filter(start="2024-01-20", end="2024-01-25", mode="intersecting")
    assert list(inter.codes.case_ids) == ["4"] and inter.n_events == 3
    events = log.filter(start="2024-01-20", end="2024-01-25", mode="events")
    assert events.n_events == 2


def test_activity_filters(log: pm.EventLog) -> None:
    kept = log.filter(activities=["a", "d"])
    assert set(kept.df[ACTIVITY]) == {"a", "d"} and kept.n_cases == 4
    dropped = log.filter(exclude_activities="a")
    assert "a" not in set(dropped.df[ACTIVITY]) and dropped.n_events == 7


def test_through_and_case_attributes(log: pm.EventLog) -> None:
    assert list(log.filter(through="d").codes.case_ids) == ["3"]
    koeniz = log.filter(case_attributes={"case:Gemeinde": "Köniz"})
    assert sorted(koeniz.codes.case_ids) == ["1", "3"]


def test_filter_steps_are_recorded(log: pm.EventLog) -> None:
    out = log.filter(through="b", exclude_activities=["c"])
    steps = out.report.filters
    assert len(steps) == 2
    assert steps[0]["cases_before"] == 4 and steps[0]["cases_after"] == 3
    assert steps[1]["events_before"] == 9 and steps[1]["events_after"] == 6
    assert log.report.filters == []  # the original is untouched


def test_sample_is_reproducible(log: pm.EventLog) -> None:
    a = log.sample(2, seed=1)
    b = log.sample(2, seed=1)
    assert a.n_cases == 2 and list(a.codes.case_ids) == list(b.codes.case_ids)


def test_bad_arguments(log: pm.EventLog) -> None:
    with pytest.raises(ParameterError, match=r"'mode' parameter of EventLog\.filter"):
        log.filter(mode="sometimes")
    with pytest.raises(ParameterError, match="variants_coverage"):
        log.filter(variants_coverage=1.5)
    with pytest.raises(ParameterError, match=r"'activities' parameter of EventLog\.filter must be names of activities of this log"):
        log.filter(activities=["zzz"])
    with pytest.raises(ParameterError, match="Gemeinde2"):
        log.filter(case_attributes={"Gemeinde2": "x"})
