"""rubber_stamp: a sign-off that never changes what happens next, yet costs waiting."""

from __future__ import annotations

import pandas as pd
import pytest

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
