"""batching: work released on a few fixed weekly slots instead of as it arrives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine import EventLog
from procmine.calendar import Calendar
from procmine.errors import ParameterError
from procmine.redundancy import batching
from procmine.samples.generator import generate

MONDAY = pd.Timestamp("2024-09-02")  # local wall time; no public holiday in the weeks used
N = 60


def arrival(i: int) -> pd.Timestamp:
    """Case i's work arrives on weekday i % 5 of week i // 5, between 08:00 and 13:00."""
    return MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5, hours=8 + (i * 7) % 6)


def next_tuesday_14(t: pd.Timestamp) -> pd.Timestamp:
    day = t.normalize()
    slot = day + pd.Timedelta(days=(1 - day.day_of_week) % 7, hours=14)
    return slot if slot >= t else slot + pd.Timedelta(days=7)


def make_log(release) -> EventLog:
    """X completes at the arrival; R starts at ``release(arrival)`` and takes 10 minutes; Y an hour later."""
    rows = []
    for i in range(N):
        a = arrival(i)
        r = release(a)
        for act, s, e in (
            ("X", a - pd.Timedelta("10min"), a),
            ("R", r, r + pd.Timedelta("10min")),
            ("Y", r + pd.Timedelta("70min"), r + pd.Timedelta("80min")),
        ):
            rows.append(
                {
                    "case:concept:name": f"c{i:03d}",
                    "concept:name": act,
                    "org:resource": "r",
                    "start_timestamp": s,
                    "time:timestamp": e,
                }
            )
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):  # wall times in Zurich (summer and winter time)
        df[col] = df[col].dt.tz_localize("Europe/Zurich").dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return EventLog(df)


def detect(log: EventLog, **kw):
    kw.setdefault("min_case_share", 0.05)
    kw.setdefault("required", frozenset())
    return batching.detect(log, calendar=Calendar(), **kw)


def test_weekly_release_slot_is_found_and_the_wait_for_it_is_the_saving():
    log = make_log(next_tuesday_14)
    found = detect(log)
    assert [f.activities for f in found] == [("R",)]
    f = found[0]
    assert f.cases == N
    assert f.evidence["release_slots"] == "Tue 14h"
    assert f.evidence["release_slot_share"] == 1.0
    assert f.evidence["explained_share"] == 1.0
    assert f.evidence["slot_ratio"] < 0.1
    assert f.evidence["resolution"] == "weekday and hour"
    # saving: the working time from arrival to the Tuesday slot
    arrivals = [arrival(i) for i in range(N)]
    a = np.array([t.tz_localize("Europe/Zurich").value // 1000 for t in arrivals], dtype=np.int64)
    r = np.array(
        [next_tuesday_14(t).tz_localize("Europe/Zurich").value // 1000 for t in arrivals], dtype=np.int64
    )
    expected = Calendar().working_time(a, r).sum()
    assert abs(f.time_cost.value // 1000 - expected) <= N  # microsecond rounding
    assert set(f.recommendation) == {"de", "fr", "en"}
    assert "(Tue 14h)" in f.recommendation["en"]
    assert "(Di 14 Uhr)" in f.recommendation["de"]
    assert "(mar. 14h)" in f.recommendation["fr"]


def test_case_by_case_handling_is_not_batching():
    assert detect(make_log(lambda a: a + pd.Timedelta("2h"))) == []


def test_a_long_fixed_waiting_period_is_not_batching():
    assert detect(make_log(lambda a: a + pd.Timedelta(days=28))) == []


def test_steps_recorded_with_dates_only_are_judged_on_weekdays():
    def next_wednesday_midnight(a: pd.Timestamp) -> pd.Timestamp:
        day = a.normalize() + pd.Timedelta(days=1)
        return day + pd.Timedelta(days=(2 - day.day_of_week) % 7)

    found = detect(make_log(next_wednesday_midnight))
    assert [f.activities for f in found] == [("R",)]
    assert found[0].evidence["release_slots"] == "Wed"
    assert found[0].evidence["resolution"].startswith("weekday (dates")
    # the next day at midnight: releases as spread over the weekdays as the arrivals
    assert detect(make_log(lambda a: a.normalize() + pd.Timedelta(days=1))) == []


def test_too_few_events_are_not_judged():
    assert detect(make_log(next_tuesday_14), min_events=N + 1) == []


def test_required_activities_are_left_alone():
    assert detect(make_log(next_tuesday_14), required=frozenset({"R"})) == []


def test_bad_threshold_is_a_parameter_error():
    with pytest.raises(ParameterError, match="max_release_slots"):
        detect(make_log(next_tuesday_14), max_release_slots=0)


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_generator_truth_is_found_and_the_case_by_case_decoy_is_not(name):
    log, truth = generate(name, n_cases=300, seed=13, noise=0.05)
    expected = {t.activities for t in truth if t.kind == "batching" and not t.decoy}
    assert {f.activities for f in detect(log)} == expected
    log, truth = generate(name, n_cases=300, seed=13, noise=0.05, inject=("rework",))
    assert detect(log) == []
