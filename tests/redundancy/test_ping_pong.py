"""ping_pong: cases handed back and forth between two units."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.errors import ParameterError
from procmine.redundancy import ping_pong

from .conftest import tiny_log

FLOW = [("In", 0, "A"), ("Examine", 1, "A"), ("Opinion", 3, "B"), ("Decide", 4, "A")]
PONG = [("In", 0, "A"), ("Examine", 1, "A"), ("Ask", 2, "A"), ("Answer", 3, "B"), ("Ask", 5, "A"),
        ("Answer", 6, "B"), ("Decide", 8, "A")]


def test_back_and_forth_is_found_with_round_trips_and_time_lost(elapsed):
    log = tiny_log([PONG] * 4 + [FLOW] * 6)
    [f] = ping_pong.detect(log, calendar=elapsed)
    assert set(f.org_units) == {"A", "B"}
    assert set(f.activities) == {"Ask", "Answer"}  # the redone steps, not 'Decide' after the return
    assert f.cases == 4
    # bounces: B(Answer#1) between A and A(Ask#2), and A(Ask#2) between B and B(Answer#2)
    assert f.evidence["round_trips_per_case"] == pytest.approx(2.0)
    # time lost: the redone events Ask#2 (2 h after Answer#1) and Answer#2 (1 h); the first
    # exchange and 'Decide' are necessary work
    assert f.saving_per_case == pd.Timedelta(hours=3)
    assert f.evidence["redone_events_per_case"] == pytest.approx(2.0)


def test_a_round_trip_with_new_work_is_the_normal_flow(elapsed):
    assert ping_pong.detect(tiny_log([FLOW] * 10), calendar=elapsed) == []


def test_an_announced_bounce_is_legitimate(elapsed):
    change = [("In", 0, "A"), ("Examine", 1, "A"), ("Decide", 3, "B"), ("Change requested", 4, "B"),
              ("Examine", 8, "A"), ("Decide", 9, "B")]
    plain = [("In", 0, "A"), ("Examine", 1, "A"), ("Decide", 3, "B")]
    assert ping_pong.detect(tiny_log([change] * 4 + [plain] * 6), calendar=elapsed) == []


def test_required_only_findings_are_dropped(elapsed):
    log = tiny_log([PONG] * 4 + [FLOW] * 6)
    assert ping_pong.detect(log, calendar=elapsed, required=frozenset({"Ask", "Answer", "Decide"})) == []


def test_bad_threshold_is_a_parameter_error(elapsed):
    with pytest.raises(ParameterError, match="max_trigger_specificity"):
        ping_pong.detect(tiny_log([FLOW]), calendar=elapsed, max_trigger_specificity=3)


def test_a_loop_inside_one_units_visit_is_not_a_bounce(elapsed):
    """Generated procedures: unit V redoes its own two steps within one visit, between two
    visits of unit U. That is V's rework, not the case handed back: only a repetition whose
    earlier occurrence lies in an earlier visit makes a bounce."""
    inner = [("In", 0, "U"), ("A", 1, "V"), ("B", 2, "V"), ("A", 3, "V"), ("B", 4, "V"), ("Out", 5, "U")]
    plain = [("In", 0, "U"), ("A", 1, "V"), ("B", 2, "V"), ("Out", 5, "U")]
    assert ping_pong.detect(tiny_log([inner] * 4 + [plain] * 6), calendar=elapsed) == []
    # handed back and forth: the same loop across the two units is a bounce
    back = [("In", 0, "U"), ("A", 1, "V"), ("B", 2, "U"), ("A", 3, "V"), ("B", 4, "U"), ("Out", 5, "U")]
    [f] = ping_pong.detect(tiny_log([back] * 4 + [plain] * 6), calendar=elapsed)
    assert set(f.activities) == {"A", "B"}
