"""duplicate_work: the same activity done by two or more org units in one case."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.errors import ParameterError
from procmine.redundancy import duplicate_work

from .conftest import tiny_log

TWICE = [("In", 0, "Commune"), ("Zoning check", 2, "Commune"), ("Send", 3, "Commune"),
         ("Zoning check", 8, "Canton"), ("Decide", 9, "Canton")]
ONCE = [("In", 0, "Commune"), ("Send", 3, "Commune"), ("Zoning check", 8, "Canton"), ("Decide", 9, "Canton")]


def test_same_check_by_two_units_is_found_with_exact_figures(elapsed):
    log = tiny_log([TWICE] * 4 + [ONCE] * 6)
    [f] = duplicate_work.detect(log, calendar=elapsed)
    assert f.activities == ("Zoning check",)
    assert set(f.org_units) == {"Commune", "Canton"}
    assert f.cases == 4 and f.evidence["duplicate_share"] == pytest.approx(0.4)
    assert f.evidence["unit_pair_share"] == 1.0
    assert f.evidence["unit_column"] == "org:group"
    # the second unit's occurrence: 5 h from the previous completion
    assert f.saving_per_case == pd.Timedelta(hours=5)
    assert f.time_cost == pd.Timedelta(hours=20)


def test_required_double_check_is_not_reported(elapsed):
    log = tiny_log([TWICE] * 4 + [ONCE] * 6)
    assert duplicate_work.detect(log, calendar=elapsed, required=frozenset({"Zoning check"})) == []


def test_the_same_unit_twice_is_not_duplicate_work(elapsed):
    same = [(a, h, "Canton") for a, h, _ in TWICE]
    assert duplicate_work.detect(tiny_log([same] * 5), calendar=elapsed) == []


def test_falls_back_to_resources_and_says_so(elapsed):
    [f] = duplicate_work.detect(tiny_log([TWICE] * 4 + [ONCE] * 6, group=False), calendar=elapsed)
    assert f.evidence["unit_column"] == "org:resource"


def test_rare_duplicates_are_ignored(elapsed):
    assert duplicate_work.detect(tiny_log([TWICE] * 1 + [ONCE] * 39), calendar=elapsed) == []


def test_bad_threshold_is_a_parameter_error(elapsed):
    with pytest.raises(ParameterError, match="min_duplicate_share"):
        duplicate_work.detect(tiny_log([ONCE]), calendar=elapsed, min_duplicate_share=-1)


def test_a_check_redone_after_a_request_to_the_applicant_is_the_loops_not_duplicate_work(elapsed):
    """BPIC12: 'W_Valideren aanvraag' validated again by another person after the calls about
    an incomplete file was reported twice, as duplicate work and as the incomplete_submission
    loop. The redo after the request is the loop's: reported once, there."""
    from procmine.redundancy import incomplete_submission

    looped = [("In", 0, "Commune"), ("Zoning check", 2, "Commune"),
              ("Request missing documents", 3, "Commune"), ("Documents received", 200, "Applicant"),
              ("Zoning check", 205, "Canton"), ("Decide", 209, "Canton")]
    log = tiny_log([looped] * 4 + [ONCE] * 6)
    assert duplicate_work.detect(log, calendar=elapsed) == []
    [loop] = incomplete_submission.detect(log, calendar=elapsed)
    assert "Zoning check" in loop.evidence["repeated_steps"]
    # without the request in between the same two units are a duplicate check
    [f] = duplicate_work.detect(tiny_log([TWICE] * 4 + [ONCE] * 6), calendar=elapsed)
    assert f.activities == ("Zoning check",)


def test_a_zero_threshold_lists_every_duplicate_without_dividing_by_zero(elapsed):
    [f] = duplicate_work.detect(tiny_log([TWICE] * 4 + [ONCE] * 6), calendar=elapsed, min_duplicate_share=0.0)
    assert f.cases == 4 and 0 < f.confidence <= 1
