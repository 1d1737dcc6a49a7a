"""rubber_stamp: a sign-off that never changes what happens next, yet costs waiting."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import ParameterError
from procmine.redundancy import rubber_stamp

from .conftest import tiny_log


def case(visa_wait: float = 16, after: str = "Decision") -> list:
    return [("In", 0, "U"), ("Examine", 1, "U"), ("Visum Leitung", 1 + visa_wait, "Head"), (after, 20, "U")]


def test_a_sign_off_always_followed_by_the_same_step_is_found(elapsed):
    [f] = rubber_stamp.detect(tiny_log([case()] * 10), calendar=elapsed)
    assert f.activities == ("Visum Leitung",)
    assert f.evidence["top_successor"] == "Decision"
    assert f.evidence["top_successor_share"] == 1.0
    assert f.evidence["successor_entropy"] == pytest.approx(0.0)
    assert f.evidence["outcome_shift"] is None
    assert f.saving_per_case == pd.Timedelta(hours=16)
    assert f.cases == 10


def test_a_real_decision_point_is_not_a_rubber_stamp(elapsed):
    log = tiny_log([case(after="Granted")] * 5 + [case(after="Rejected")] * 3 + [case(after="Examine")] * 2)
    assert rubber_stamp.detect(log, calendar=elapsed) == []


def test_ordinary_work_is_not_a_sign_off_unless_named(elapsed):
    cases = [[("In", 0, "U"), ("Zoning check", 16, "U"), ("Decision", 20, "U")]] * 10
    assert rubber_stamp.detect(tiny_log(cases), calendar=elapsed) == []
    [f] = rubber_stamp.detect(tiny_log(cases), calendar=elapsed, controls=["Zoning check"])
    assert f.activities == ("Zoning check",)


def test_a_sign_off_that_costs_no_waiting_is_not_reported(elapsed):
    assert rubber_stamp.detect(tiny_log([case(visa_wait=0.1)] * 10), calendar=elapsed) == []


def test_an_optional_sign_off_that_changes_the_outcome_is_not_reported(elapsed):
    without = [("In", 0, "U"), ("Examine", 1, "U"), ("Rejected", 20, "U")]
    log = tiny_log([case()] * 30 + [without] * 30)
    assert rubber_stamp.detect(log, calendar=elapsed) == []


def test_required_and_vocabulary(elapsed):
    assert rubber_stamp.detect(tiny_log([case()] * 10), calendar=elapsed, required=frozenset({"Visum Leitung"})) == []
    assert rubber_stamp.is_control("Visa du chef de service")
    assert rubber_stamp.is_control("Freigabe durch Abteilungsleitung")
    assert not rubber_stamp.is_control("Zonenkonformität prüfen")


def test_bad_threshold_is_a_parameter_error(elapsed):
    with pytest.raises(ParameterError, match="min_wait_hours"):
        rubber_stamp.detect(tiny_log([case()]), calendar=elapsed, min_wait_hours=-1)


def office_log(sign_minutes=lambda i: 6 + i % 9, decide_minutes: float = 40, starts: bool = True,
               sign_at: float = 24 * 60, follow_up: bool = False, extra: tuple | None = None):
    """40 cases: Intake, Examine (clerks) -> "Go-ahead" (the directorate, named like no
    sign-off, from minute ``sign_at``) -> Draft (clerks) -> Decide (the directorate:
    granted, or refused and filed); with ``follow_up``, a visit closes 3 cases in 5 of
    either outcome; with ``extra = (name, wait, minutes)``, the directorate also does
    ``name`` after Draft: started ``wait`` minutes after it, lasting ``minutes(i)``."""
    t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    rows = []
    for i in range(40):
        day = t0 + pd.Timedelta(days=i)
        granted = i % 3 != 0
        steps = [("Intake", 0, 10, "Clerks", "ana"), ("Examine", 30, 70, "Clerks", "ben"),
                 ("Go-ahead", sign_at, sign_at + sign_minutes(i), "Directorate", "dir"),
                 ("Draft", sign_at + 120, sign_at + 165, "Clerks", "ana"),
                 ("Decide", 48 * 60, 48 * 60 + decide_minutes + i % 5, "Directorate", "dir")]
        if extra is not None:
            name, wait, minutes = extra
            steps.append((name, sign_at + 165 + wait, sign_at + 165 + wait + minutes(i), "Directorate", "dir"))
        steps += [("Send grant", 50 * 60, 50 * 60 + 20, "Clerks", "ben")] if granted else [
            ("Send refusal", 50 * 60, 50 * 60 + 20, "Clerks", "ben"), ("File appeal notes", 52 * 60, 52 * 60 + 30, "Legal", "cy")]
        if follow_up and i % 5 < 3:
            steps.append(("Follow-up visit", 70 * 60, 70 * 60 + 60, "Clerks", "ben"))
        for act, s, e, unit, who in steps:
            rows.append({"case:concept:name": f"c{i:02d}", "concept:name": act, "org:group": unit, "org:resource": who,
                         "start_timestamp": day + pd.Timedelta(minutes=s), "time:timestamp": day + pd.Timedelta(minutes=e)})
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = df[col].astype("datetime64[us, UTC]")
    if not starts:
        df = df.drop(columns=["start_timestamp"])
    from procmine import EventLog

    return EventLog(df)


def test_a_sign_off_named_like_none_is_found_from_the_data(elapsed):
    """The directorate decides (granted / refused end differently) and also signs every file
    in a few minutes without ever changing its way: a sign-off, whatever its name."""
    assert not rubber_stamp.is_control("Go-ahead")
    [f] = rubber_stamp.detect(office_log(), calendar=elapsed)
    assert f.activities == ("Go-ahead",)
    assert f.evidence["top_successor"] == "Draft"
    # the decision itself branches: never a rubber stamp
    assert "Decide" not in {a for g in rubber_stamp.detect(office_log(), calendar=elapsed) for a in g.activities}


def test_work_of_the_deciding_unit_is_not_a_sign_off(elapsed):
    # longer than the decision itself: examined, not signed
    assert rubber_stamp.detect(office_log(sign_minutes=lambda i: 45 + i % 9), calendar=elapsed) == []
    # the same few minutes every time: routine work (automation_candidate), not a signature
    assert rubber_stamp.detect(office_log(sign_minutes=lambda i: 5), calendar=elapsed) == []
    # declared controls replace the detection
    declared = rubber_stamp.detect(office_log(), calendar=elapsed, controls=["Draft"])
    assert [f.activities for f in declared] == [("Draft",)]


def test_a_signature_is_a_small_part_of_what_the_step_costs(elapsed):
    # 10 minutes of signing after 80 minutes in the tray: not mostly waiting for the signer
    assert rubber_stamp.detect(office_log(sign_at=150), calendar=elapsed) == []


def test_without_start_times_a_sign_off_is_a_step_cases_wait_long_for(elapsed):
    # cases wait almost a day for the directorate's go-ahead, longer than for any other step
    [f] = rubber_stamp.detect(office_log(starts=False), calendar=elapsed)
    assert f.activities == ("Go-ahead",)
    # the same step 90 minutes after Examine: no longer than ordinary steps, not assessed
    assert rubber_stamp.detect(office_log(starts=False, sign_at=150), calendar=elapsed) == []


def test_a_decision_followed_by_a_common_tail_is_still_a_decision(elapsed):
    """A follow-up visit closing 3 cases in 5 of either outcome makes the last activities of
    granted and refused cases alike; what the two ways do afterwards still differs."""
    [f] = rubber_stamp.detect(office_log(follow_up=True), calendar=elapsed)
    assert f.activities == ("Go-ahead",)
    assert rubber_stamp._afterwards_differ(*_ways(office_log(follow_up=True), "Decide")) == 1.0


def _ways(log, activity):
    from procmine.redundancy._base import event_table

    t = event_table(log)
    code = {t.name(a): a for a in range(t.c.n_activities)}
    return t, code[activity], code["Send grant"], code["Send refusal"]


def test_one_signature_per_deciding_unit(elapsed):
    """The directorate also files a register entry after Draft (20-28 min after 13 h in the
    tray): short and mostly waiting too, yet a smaller share of what it costs is the
    go-ahead's handling. The head signs a file once: only the go-ahead is its signature."""
    extra = ("Register entry", 780, lambda i: 20 + i % 9)
    log = office_log(extra=extra)
    assert rubber_stamp.detect(log, calendar=elapsed, controls=["Register entry"])  # alone it would pass
    assert [f.activities for f in rubber_stamp.detect(log, calendar=elapsed)] == [("Go-ahead",)]
    # without start times: the step cases wait longest for (a day for the go-ahead, 13 h)
    found = rubber_stamp.detect(office_log(extra=extra, starts=False), calendar=elapsed)
    assert [f.activities for f in found] == [("Go-ahead",)]


def test_a_named_control_of_the_unit_is_already_its_signature(elapsed):
    """The directorate's "Visum Direktion" takes 3-5 minutes after 13 h in the tray: the
    unit's signature is known by its name, the data add no other."""
    log = office_log(extra=("Visum Direktion", 780, lambda i: 3 + i % 3))
    assert [f.activities for f in rubber_stamp.detect(log, calendar=elapsed)] == [("Visum Direktion",)]


def test_without_start_times_longer_than_the_typical_step_is_enough(elapsed):
    """Cases wait about 2 h for the go-ahead (from Examine's completion): longer than for the
    log's typical (median) step, though not longer than for two steps in three (Draft and
    the decision wait longer): still the deciding unit's signature."""
    found = rubber_stamp.detect(office_log(starts=False, sign_at=180), calendar=elapsed)
    assert [f.activities for f in found] == [("Go-ahead",)]


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_processing_is_unknown_not_zero_without_start_times(name):
    """The sign-off's "median processing" came out as 0 min on an export without start
    times (its processing was taken as 0); without a start it is not measured."""
    log = pm.samples.load(name)
    with_starts = rubber_stamp.detect(log)
    assert with_starts and all(f.evidence["median_processing"] > pd.Timedelta(0) for f in with_starts)
    without = rubber_stamp.detect(pm.EventLog(log.df.drop(columns=["start_timestamp"])))
    assert [f.activities for f in without] == [f.activities for f in with_starts]
    assert all(f.evidence["median_processing"] is None for f in without)


def test_a_sign_off_that_never_sends_work_back_says_so_in_words(elapsed):
    """"sends work back in 0%" read oddly in every language: such a step never does."""
    [f] = rubber_stamp.detect(tiny_log([case()] * 10), calendar=elapsed)
    assert f.evidence["loop_back_share"] == 0
    assert "never sends work back" in f.recommendation["en"]
    assert "ne renvoie jamais rien" in f.recommendation["fr"] and "dans 0%" not in f.recommendation["fr"]
    assert "weist nie etwas zurück" in f.recommendation["de"]
