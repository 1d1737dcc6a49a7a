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
