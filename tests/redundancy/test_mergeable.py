"""mergeable: two steps always back to back, by the same person, with a short gap."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine import EventLog
from procmine.errors import ParameterError
from procmine.redundancy import mergeable
from procmine.samples.generator import generate

MONDAY = pd.Timestamp("2024-09-02 08:00", tz="Europe/Zurich")  # no public holiday in the weeks used


def make_log(
    n: int = 40, *, gap_min: float = 2, same_person: bool = True, b_share: float = 1.0, resources: bool = True
) -> EventLog:
    """Cases X -> A -> B -> Y on one working day; A and B each 10 minutes."""
    rows = []
    for i in range(n):
        day = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        with_b = i < round(n * b_share)
        steps = [("X", 0, 10, "r1"), ("A", 30, 40, "r2")]
        if with_b:
            steps.append(("B", 40 + gap_min, 50 + gap_min, "r2" if same_person else "r3"))
        else:
            steps.append(("C", 45, 55, "r3"))
        steps.append(("Y", 200, 210, "r4"))
        for act, s, e, res in steps:
            row = {
                "case:concept:name": f"c{i:03d}",
                "concept:name": act,
                "start_timestamp": day + pd.Timedelta(minutes=s),
                "time:timestamp": day + pd.Timedelta(minutes=e),
            }
            if resources:
                row["org:resource"] = res
                row["org:group"] = "Unit"
            rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = df[col].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return EventLog(df)


def detect(log: EventLog, **kw):
    kw.setdefault("min_case_share", 0.05)
    kw.setdefault("required", frozenset())
    return mergeable.detect(log, calendar=None, **kw)


def test_back_to_back_same_person_is_found_with_its_figures():
    found = detect(make_log())
    assert [f.activities for f in found] == [("A", "B")]
    f = found[0]
    assert f.kind == "mergeable"
    assert f.cases == 40 and f.case_share == 1.0
    assert f.evidence["p_next_b_given_a"] == 1.0 and f.evidence["p_prev_a_given_b"] == 1.0
    assert f.evidence["same_unit_share"] == 1.0
    assert f.evidence["unit_column"] == "org:resource"
    assert f.evidence["gap_basis"] == "wait before B"
    # the hand-off is the 2 minutes between A's completion and B's start
    assert f.evidence["median_gap"] == pd.Timedelta(minutes=2)
    assert f.saving_per_case == pd.Timedelta(minutes=2)
    assert f.time_cost == pd.Timedelta(minutes=80)
    assert f.org_units == ("Unit",)
    assert set(f.recommendation) == {"de", "fr", "en"}
    assert "'A'" in f.recommendation["en"] and "'B'" in f.recommendation["en"]
    assert 0.5 < f.confidence <= 1
    assert len(f.example_cases) == 3


def test_different_people_are_not_mergeable():
    assert detect(make_log(same_person=False)) == []


def test_long_gap_is_not_mergeable():
    assert detect(make_log(gap_min=120)) == []
    # ... unless the user allows it
    assert len(detect(make_log(gap_min=120), max_gap="3h")) == 1


def test_a_decision_between_them_is_not_mergeable():
    # after A, half of the cases go to C: P(next=B | A) = 0.5
    assert detect(make_log(b_share=0.5)) == []


def test_required_activities_are_not_merged():
    assert detect(make_log(), required=frozenset({"B"})) == []


def test_without_resources_nothing_can_be_checked():
    assert detect(make_log(resources=False)) == []


def test_rare_pairs_are_left_out():
    assert detect(make_log(), min_case_share=1.0) != []
    log = make_log(n=40)
    # keep the pair in only 1 of 40 cases
    few = EventLog(
        log.df[(log.df["concept:name"] != "B") | (log.df["case:concept:name"] == "c000")].reset_index(
            drop=True
        )
    )
    assert detect(few, min_case_share=0.05) == []


def test_bad_threshold_is_a_parameter_error():
    with pytest.raises(ParameterError, match="min_follow"):
        detect(make_log(), min_follow=1.5)
    with pytest.raises(ParameterError, match="max_gap"):
        detect(make_log(), max_gap="soon")


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_generator_truth_is_found_and_nothing_else(name):
    log, truth = generate(name, n_cases=300, seed=11, noise=0.05)
    expected = {t.activities for t in truth if t.kind == "mergeable" and not t.decoy}
    assert {f.activities for f in detect(log)} == expected
    # without the injected chain the procedure has nothing mergeable
    log, truth = generate(name, n_cases=300, seed=11, noise=0.05, inject=("rework", "ping_pong"))
    assert detect(log) == []


def test_without_start_times_b_own_work_is_allowed_for():
    """Without start times the gap runs to B's completion: a 2-minute hand-off before a
    70-minute step reads as 72 minutes, still a hand-off of minutes, not a queue."""
    log = make_log(gap_min=62)  # B: 62 + 10 minutes after A's completion
    df = log.df.drop(columns=["start_timestamp"])
    no_start = EventLog(df)
    found = detect(no_start)
    assert [f.activities for f in found] == [("A", "B")]
    assert found[0].evidence["gap_basis"] == "completion to completion"
    assert found[0].evidence["median_gap"] == pd.Timedelta(minutes=72)
    assert detect(no_start, processing_allowance="0min") == []
    # with start times the same 62 minutes are all hand-off: too long
    assert detect(log) == []
    with pytest.raises(ParameterError, match="processing_allowance"):
        detect(log, processing_allowance="-1h")
