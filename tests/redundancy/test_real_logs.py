"""All detectors on the real logs in ../shared/logs, with what looked wrong turned into tests.

The judgement of each finding is in ``docs/findings-on-real-logs.md``; these tests pin the
facts it rests on, and the fixes made after looking at the data.
"""

from __future__ import annotations

from functools import cache

import pytest

import procmine as pm
from procmine.redundancy import KINDS, Findings

from ..conftest import shared_log

pytestmark = pytest.mark.shared_logs

SMALL = ["receipt_wabo.xes.gz", "helpdesk.xes.gz", "BPIC15_1.xes.gz", "BPIC15_2.xes.gz"]


@cache
def _findings(name: str) -> tuple[pm.EventLog, Findings]:
    log = pm.read_log(shared_log(name))
    return log, pm.find_redundancies(log)


@pytest.mark.parametrize("name", SMALL)
def test_every_detector_runs_and_every_finding_is_complete(name):
    log, found = _findings(name)
    assert found.n_cases == log.n_cases
    for f in found:
        assert f.kind in KINDS
        assert f.cases >= 0.05 * log.n_cases, f  # min_case_share holds
        assert f.evidence and f.example_cases and set(f.recommendation) == {"de", "fr", "en"}
        assert set(f.example_cases) <= set(log.codes.case_ids)
        assert set(f.activities) <= set(log.codes.activity_names)
    frame = found.to_frame()
    assert len(frame) == len(found)


def test_logs_without_org_group_fall_back_to_resources_and_say_so():
    _, found = _findings("helpdesk.xes.gz")
    with_units = [f for f in found if "unit_column" in f.evidence]
    assert all(f.evidence["unit_column"] == "org:resource" for f in with_units)


def test_helpdesk_rework_is_the_ticket_taken_in_charge_again():
    """14 % of the tickets are taken in charge again (after a 'Wait'): plausible rework."""
    _, found = _findings("helpdesk.xes.gz")
    rework = {f.activities[0]: f for f in found.filter(kind="rework")}
    assert "Take in charge ticket" in rework
    f = rework["Take in charge ticket"]
    assert 0.10 < f.case_share < 0.20
    assert f.evidence["outcome_shift"] < 0.05


def test_helpdesk_automatic_closure_is_not_a_bottleneck():
    """'Closed' follows 'Resolve ticket' after a fixed period (a third of the tickets exactly
    15 days later, by one system account): a timeout, not a queue. It was reported as a
    bottleneck (72 % of case time) before the sharp-mode guard."""
    _, found = _findings("helpdesk.xes.gz")
    assert not any("Closed" in f.activities for f in found.filter(kind="bottleneck"))


def test_receipt_wabo_finds_nothing_above_five_percent_of_cases():
    """The receipt phase is short and regular: no pattern reaches 5 % of the cases with a
    clear signal (T02 is a check that sends 3 % of cases to T03: not a rubber stamp by name,
    and T06's waiting is not twice that of T02)."""
    _, found = _findings("receipt_wabo.xes.gz")
    assert len(found) == 0


def test_receipt_wabo_check_is_not_a_rubber_stamp_even_when_named_as_control():
    """T02 'Check confirmation of receipt' is a check, not a sign-off, so it is not assessed by
    default; named as a control it is still no rubber stamp: its next step varies (T04 in
    82 %, T06, T03 'Adjust' in 3 %), it costs almost no waiting (median under a minute), and
    the 8 % of cases without it end differently (outcome shift 0.99: they stop early)."""
    log, _ = _findings("receipt_wabo.xes.gz")
    name = "T02 Check confirmation of receipt"
    assert len(pm.find_redundancies(log, kinds=["rubber_stamp"], rubber_stamp={"controls": [name]})) == 0
    relaxed = {"controls": [name], "min_wait_hours": 0, "min_top_successor": 0.8, "max_loop_back": 0.2}
    assert len(pm.find_redundancies(log, kinds=["rubber_stamp"], rubber_stamp=relaxed)) == 0
    found = pm.find_redundancies(log, kinds=["rubber_stamp"], rubber_stamp={**relaxed, "max_outcome_shift": 1.0})
    assert [f.activities for f in found] == [(name,)]
    assert found[0].evidence["outcome_shift"] > 0.9


@pytest.mark.slow
def test_road_traffic_fines_instalments_are_not_rework():
    """'Payment' repeats in 11 % of the fines that are paid (instalments by the offender,
    never with an org:resource): reported as rework before the external-step guard."""
    log = pm.read_log(shared_log("road_traffic_fines.xes.gz"))
    found = pm.find_redundancies(log)
    assert not any("Payment" in f.activities for f in found.filter(kind="rework"))
    assert found.n_cases == 150_370


@pytest.mark.parametrize("name", SMALL)
def test_no_finding_saves_less_than_a_minute(name):
    """Steps a system records seconds apart were listed as mergeable or parallelizable,
    'saving 0 min per case' (4 of 8 findings on BPIC15_1): they are no longer listed."""
    from procmine.redundancy._base import MIN_SAVING

    _, found = _findings(name)
    assert all(f.saving_per_case >= MIN_SAVING for f in found)
    assert not [f for f in found if f.kind in ("mergeable", "parallelizable") and "0 min" in f.text("en")]
