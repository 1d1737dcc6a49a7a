"""rework: activities repeated within a case, with the guards against legitimate loops."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.errors import ParameterError
from procmine.redundancy import rework

from .conftest import tiny_log

OK = [("In", 0, "U"), ("Enter", 1, "U"), ("Check", 2, "U"), ("Out", 3, "U")]
REDO = [("In", 0, "U"), ("Enter", 1, "U"), ("Check", 2, "U"), ("Enter", 5, "U"), ("Check", 6, "U"), ("Out", 7, "U")]


def test_a_loop_back_after_a_check_is_rework_with_exact_figures(elapsed):
    log = tiny_log([REDO] * 3 + [OK] * 7)
    [f] = rework.detect(log, calendar=elapsed)
    assert set(f.activities) == {"Enter", "Check"}
    assert f.cases == 3 and f.case_share == pytest.approx(0.3)
    assert f.evidence["repeat_share"] == pytest.approx(0.3)
    assert f.evidence["repeats_per_case"] == pytest.approx(1.0)
    # the loop of the head activity: previous completion -> repetition completion = 4 h
    assert f.evidence["loop_time_median"] == pd.Timedelta(hours=4)
    assert f.saving_per_case == pd.Timedelta(hours=4)
    assert f.time_cost == pd.Timedelta(hours=12)
    assert f.evidence["trigger"] in {"Enter", "Check"}
    assert set(f.example_cases) <= {"c000", "c001", "c002"}


def test_repetitions_helper_ignores_duplicated_records():
    log = tiny_log([[("A", 0, "U"), ("A", 0, "U"), ("B", 1, "U"), ("A", 2, "U")]])
    rep, prev = rework.repetitions(log)
    assert rep.tolist() == [False, False, False, True]
    assert prev.tolist() == [-1, 0, -1, 1]


def test_duplicated_records_are_not_rework(elapsed):
    dup = [("In", 0, "U"), ("Enter", 1, "U"), ("Enter", 1, "U"), ("Out", 3, "U")]
    assert rework.detect(tiny_log([dup] * 5 + [OK] * 5), calendar=elapsed) == []


def test_a_loop_announced_by_a_dedicated_step_is_legitimate(elapsed):
    ask = [("In", 0, "U"), ("Check", 1, "U"), ("Request documents", 2, "U"), ("Check", 30, "U"), ("Out", 31, "U")]
    assert rework.detect(tiny_log([ask] * 3 + [OK] * 7), calendar=elapsed) == []
    # the same loop without its dedicated request step is rework
    bare = [("In", 0, "U"), ("Check", 1, "U"), ("Out", 2, "U"), ("Check", 30, "U"), ("Out", 31, "U")]
    plain = [("In", 0, "U"), ("Check", 1, "U"), ("Out", 2, "U")]
    assert rework.detect(tiny_log([bare] * 3 + [plain] * 7), calendar=elapsed)


def test_a_loop_that_changes_the_outcome_is_legitimate(elapsed):
    loop = [("In", 0, "U"), ("Decide", 1, "U"), ("Review", 2, "U"), ("Decide", 5, "U"), ("Granted", 6, "U")]
    once = [("In", 0, "U"), ("Decide", 1, "U"), ("Review", 2, "U"), ("Rejected", 3, "U")]
    log = tiny_log([loop] * 4 + [once] * 6)
    assert rework.detect(log, calendar=elapsed) == []
    assert rework.detect(log, calendar=elapsed, max_outcome_shift=1.0)


def test_a_loop_through_another_unit_is_not_rework(elapsed):
    back = [("In", 0, "U"), ("Check", 1, "U"), ("Ask", 2, "V"), ("Check", 5, "U"), ("Out", 6, "U")]
    plain = [("In", 0, "U"), ("Check", 1, "U"), ("Ask", 2, "V"), ("Out", 6, "U")]
    assert rework.detect(tiny_log([back] * 4 + [plain] * 6), calendar=elapsed) == []
    # with resources as units (no org:group) the rule is not applied
    assert rework.detect(tiny_log([back] * 4 + [plain] * 6, group=False), calendar=elapsed)


def test_rare_and_required_repetitions_are_not_reported(elapsed):
    log = tiny_log([REDO] * 1 + [OK] * 39)
    assert rework.detect(log, calendar=elapsed) == []
    log = tiny_log([REDO] * 3 + [OK] * 7)
    assert rework.detect(log, calendar=elapsed, required=frozenset({"Enter"})) == []


def test_bad_threshold_is_a_parameter_error(elapsed):
    with pytest.raises(ParameterError, match="min_repeat_share"):
        rework.detect(tiny_log([OK]), calendar=elapsed, min_repeat_share=2)


def test_repeated_external_steps_are_not_rework(elapsed):
    """Found on road_traffic_fines: fines paid in instalments ('Payment' repeated, never with a
    resource, while the office's steps have one) were reported as rework."""
    import pandas as pd

    from procmine import EventLog

    rows = []
    for i in range(10):
        day = pd.Timestamp("2024-03-04 08:00", tz="UTC") + pd.Timedelta(days=i)
        events = [("Create Fine", 0, "clerk"), ("Send Fine", 24, "clerk"), ("Payment", 100, None)]
        if i < 4:
            events.append(("Payment", 400, None))
        for act, h, res in events:
            rows.append({"case:concept:name": f"f{i}", "concept:name": act,
                         "time:timestamp": day + pd.Timedelta(hours=h), "org:resource": res})
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].astype("datetime64[us, UTC]")
    assert rework.detect(EventLog(df), calendar=elapsed) == []
    df["org:resource"] = "clerk"
    assert [f.activities for f in rework.detect(EventLog(df), calendar=elapsed)] == [("Payment",)]


def test_a_planned_follow_up_is_not_rework(elapsed):
    """A site visit 60 calendar days after the decision, and again 60 days later (± a day or
    two, at an office hour): the interval clusters at a fixed length, like a legal period;
    it is the procedure's schedule, not work redone. The same repetition after a varying
    wait (the office's queue) is rework."""
    def case(i: int, gap_h: float) -> list[tuple[str, float, str]]:
        out = [("In", 0, "U"), ("Decide", 2, "U"), ("Visit", 2 + 60 * 24 + (i % 5 - 2) * 9, "U")]
        if i % 3 == 0:
            out.append(("Visit", out[-1][1] + gap_h, "U"))
        return out

    planned = [case(i, 60 * 24 + (i % 4 - 1.5) * 20) for i in range(30)]
    assert rework.detect(tiny_log(planned), calendar=elapsed) == []
    queued = [case(i, 24 * (3 + (i * 7) % 40)) for i in range(30)]  # 3 to 42 days
    [f] = rework.detect(tiny_log(queued), calendar=elapsed)
    assert f.activities == ("Visit",)


def test_a_loop_back_before_the_applicants_answer_is_rework_not_a_request(elapsed):
    """Seen on generated procedures: 'Check' loops back to 'Enter' in a third of the cases,
    and after its last occurrence the case waits days for the applicant ('Form returned').
    The step before that wait was taken for a request (an external step follows after a
    long wait) and the loop through it dismissed. A request's case waits for the outside
    world before work is redone; a step followed at once by a loop of office work asks nobody."""
    from procmine.waits._steps import classify_steps

    def case(i: int) -> list[tuple[str, float, str]]:
        out = [("In", 0, "U"), ("Enter", 1, "U"), ("Check", 2, "U")]
        if i % 3 == 0:
            out += [("Enter", 4 + i % 5, "U"), ("Check", 6 + i % 5, "U")]
        return [*out, ("Form returned", 24 * (5 + i % 9), "Applicant"), ("Out", 24 * (5 + i % 9) + 3, "U")]

    log = tiny_log([case(i) for i in range(30)])
    steps = classify_steps(log)
    assert steps.loc["Form returned", "external"]
    assert not steps.loc["Check", "request"]
    assert "loop of office work" in steps.loc["Check", "why"]
    [f] = rework.detect(log, calendar=elapsed)
    assert set(f.activities) == {"Enter", "Check"}
    # the same step without the loop back, always followed by the answer, is a request
    assert classify_steps(tiny_log([case(1)] * 10)).loc["Check", "request"]
