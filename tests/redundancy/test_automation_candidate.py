"""automation_candidate: frequent, short, always-the-same steps done by people."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine import EventLog
from procmine.errors import ParameterError
from procmine.redundancy import automation_candidate
from procmine.samples.generator import generate

MONDAY = pd.Timestamp("2024-09-02 08:00")  # local wall time; no public holiday in the weeks used
N = 50


def make_log(
    *,
    minutes=lambda i: 3 + (i % 3) * 0.1,
    resource=lambda i: f"clerk{i % 4}",
    successor=lambda i: "B",
    resources: bool = True,
) -> EventLog:
    """Cases: S (portal, instant) -> A (20 min in the inbox, then ``minutes(i)``) -> successor(i)."""
    rows = []
    for i in range(N):
        day = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        a_start = day + pd.Timedelta(minutes=20)
        a_end = a_start + pd.Timedelta(minutes=minutes(i))
        steps = [
            ("S", day, day, "Portal"),
            ("A", a_start, a_end, resource(i)),
            (successor(i), a_end + pd.Timedelta("2h"), a_end + pd.Timedelta("3h"), "clerk9"),
        ]
        for act, s, e, res in steps:
            row = {
                "case:concept:name": f"c{i:03d}",
                "concept:name": act,
                "start_timestamp": s,
                "time:timestamp": e,
            }
            if resources:
                row["org:resource"] = res
            rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):  # wall times in Zurich (summer and winter time)
        df[col] = df[col].dt.tz_localize("Europe/Zurich").dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return EventLog(df)


def detect(log: EventLog, **kw):
    kw.setdefault("min_case_share", 0.05)
    kw.setdefault("required", frozenset())
    return automation_candidate.detect(log, calendar=None, **kw)


def test_short_invariant_step_by_people_is_found_with_handling_plus_waiting_as_saving():
    found = detect(make_log())
    assert [f.activities for f in found] == [("A",)]
    f = found[0]
    assert f.cases == N and f.case_share == 1.0
    ev = f.evidence
    assert ev["predecessor"] == "S" and ev["predecessor_share"] == 1.0
    assert ev["successor"] == "B" and ev["successor_share"] == 1.0
    assert ev["handling_basis"] == "processing"
    assert ev["median_handling"] == pd.Timedelta(minutes=3.1)
    assert ev["median_wait"] == pd.Timedelta(minutes=20)
    assert ev["resources"] == 4 and ev["system_share"] == 0.0
    mean_minutes = sum(3 + (i % 3) * 0.1 for i in range(N)) / N
    assert abs(f.saving_per_case - pd.Timedelta(minutes=20 + mean_minutes)) < pd.Timedelta(seconds=1)
    assert set(f.recommendation) == {"de", "fr", "en"}


def test_a_step_done_by_a_system_user_is_already_automated():
    assert detect(make_log(resource=lambda i: "Batch-System")) == []


def test_a_step_whose_duration_varies_needs_judgement():
    assert detect(make_log(minutes=lambda i: [1, 3, 9][i % 3])) == []


def test_a_decision_point_is_not_invariant():
    assert detect(make_log(successor=lambda i: "B" if i % 2 else "C")) == []


def test_a_long_step_does_not_qualify():
    assert detect(make_log(minutes=lambda i: 60 + i % 3)) == []
    assert ("A",) in {f.activities for f in detect(make_log(minutes=lambda i: 60 + i % 3), max_handling="2h")}


def test_without_resources_done_by_people_cannot_be_checked():
    assert detect(make_log(resources=False)) == []


def test_without_start_times_handling_cannot_be_told_from_waiting():
    log = EventLog(make_log().df.drop(columns=["start_timestamp"]))
    assert detect(log) == []
    # on request, the time since the previous event stands in: 20 min inbox + 3 min
    found = detect(log, require_start=False, max_handling="30min")
    assert ("A",) in {f.activities for f in found}
    assert found[0].evidence["handling_basis"] == "since previous event"


def test_required_activities_are_left_alone():
    assert detect(make_log(), required=frozenset({"A"})) == []


def test_bad_threshold_is_a_parameter_error():
    with pytest.raises(ParameterError, match="max_dispersion"):
        detect(make_log(), max_dispersion=-1)
    with pytest.raises(ParameterError, match="max_handling"):
        detect(make_log(), max_handling="quick")


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_generator_truth_is_found_and_nothing_else(name):
    log, truth = generate(name, n_cases=300, seed=14, noise=0.1)
    expected = {t.activities for t in truth if t.kind == "automation_candidate" and not t.decoy}
    assert {f.activities for f in detect(log)} == expected
    log, truth = generate(name, n_cases=300, seed=14, noise=0.1, inject=("rework",))
    assert detect(log) == []


def test_minute_timestamps_do_not_make_an_invariant_step_vary():
    """A 2.4-minute step (± a few seconds) exported to the minute reads as 2 or 3 minutes;
    the rounding is not the step's variation."""
    log = make_log(minutes=lambda i: 2.4 + (i % 3) * 0.05)
    df = log.df.copy()
    shift = pd.to_timedelta([(i * 17) % 60 for i in range(len(df))], unit="s")  # starts at any second
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = (df[col] + shift).dt.floor("min")
    minute_log = EventLog(df)
    assert [f.activities for f in detect(minute_log)] == [("A",)]
    f = detect(minute_log)[0]
    assert f.evidence["handling_dispersion"] <= 0.25


def test_handling_dispersion_allows_for_the_resolution_only():
    from procmine.redundancy.automation_candidate import handling_dispersion

    minutes = pd.Series([1, 2, 2, 2, 3, 2, 1, 2] * 5).to_numpy() * 60e6
    assert handling_dispersion(minutes, resolution=0) > 0.25
    assert handling_dispersion(minutes, resolution=60e6) < 0.25
    varied = pd.Series([2, 4, 8, 3, 6, 5] * 5).to_numpy() * 60e6  # varies beyond any rounding
    assert handling_dispersion(varied, resolution=60e6) > 0.25
