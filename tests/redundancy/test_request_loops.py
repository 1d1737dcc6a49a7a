"""Requests whose answer the log does not record (issue 12, item 3): the case goes back from
the step to the check that raised it while it waits outside the office. Names are codes, so
only the structure can decide; the office's own rework loop and a hold status are not
requests. Also: a request repeated right after itself chases it (one loop), and a step a
system records is not duplicate work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.redundancy import duplicate_work, incomplete_submission
from procmine.waits._steps import classify_steps

T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
ALWAYS = pm.Calendar.always()
H = pd.Timedelta(hours=1)
D = pd.Timedelta(days=1)


def _log(cases: list[list[tuple[str, pd.Timedelta, str]]]) -> pm.EventLog:
    rows = [{"case:concept:name": f"c{i:03d}", "concept:name": a, "org:resource": who,
             "time:timestamp": T0 + pd.Timedelta(days=9 * i) + at}
            for i, steps in enumerate(cases) for a, at, who in steps]
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].astype("datetime64[us, UTC]")
    return pm.EventLog(df)  # cases 9 days apart: none overlaps the next


def chased_log(n: int = 60) -> pm.EventLog:
    """S02 (a check) sends half the cases to S03 (a call), tried again 1.5 and 3 days later,
    then S02 again 3 h after the last call; a fifth of the cases go through S05 (an office
    fix) back to S02 after 3 h, the check's usual queue. Nothing says what the steps are."""
    cases = []
    for i in range(n):
        steps = [("S01", 0 * H, "R1"), ("S02", 2 * H, "R2")]
        t = 2 * H
        if i % 2 == 0:
            steps.append(("S03", t + H, "R3"))
            steps += [("S03", t + H + 1.5 * D, "R4"), ("S03", t + H + 3 * D, "R3")]
            t += H + 3 * D + 3 * H
            steps.append(("S02", t, "R2"))
        elif i % 5 == 1:
            steps += [("S05", t + 2 * H, "R1"), ("S02", t + 5 * H, "R2")]
            t += 5 * H
        steps.append(("S04", t + 2 * H, "R5"))
        cases.append(steps)
    return _log(cases)


def test_a_chased_step_back_to_the_check_is_a_request_the_office_fix_is_not():
    steps = classify_steps(chased_log())
    assert steps.loc["S03", "request"] and not steps.loc["S03", "external"]
    assert "goes back to 'S02'" in steps.loc["S03", "why"] and "chase" in steps.loc["S03", "why"]
    # check, fix, check in the check's usual queue: the office's own rework
    assert not steps.loc[["S01", "S02", "S04", "S05"], "request"].any()


@pytest.mark.parametrize("days, found", [(10, True), (0.125, False)])
def test_a_plain_request_is_a_long_way_back_to_the_check(days, found):
    """S06 asked once, no answer recorded: a request when the way back to S02 is long where
    S02's usual entry is not; not when it takes the check's usual 3 h."""
    cases = []
    for i in range(60):
        steps = [("S01", 0 * H, "R1"), ("S02", 3 * H, "R2")]
        t = 3 * H
        if i % 3 == 0:
            steps += [("S06", t + H, "R2"), ("S02", t + H + days * D, "R2")]
            t += H + days * D
        steps.append(("S04", t + 2 * H, "R5"))
        cases.append(steps)
    steps = classify_steps(_log(cases))
    assert bool(steps.loc["S06", "request"]) == found, steps.loc["S06", "why"]


def test_a_hold_status_back_to_the_check_stays_a_hold():
    cases = []
    for i in range(60):
        steps = [("Open", 0 * H, "R1"), ("Take", 2 * H, "R1")]
        if i % 3 == 0:
            steps += [("On hold", 3 * H, "R1"), ("Take", 6 * D, "R1")]
        steps.append(("Resolve", 7 * D, "R1"))
        cases.append(steps)
    steps = classify_steps(_log(cases))
    assert steps.loc["On hold", "hold"] and not steps.loc["On hold", "request"]


def test_the_chased_request_opens_one_loop_with_its_office_and_client_time():
    """Per loop: the call's own 1 h is office time; the 1.5-day waits before the two calls
    tried again and the 3 h before the check done again are the applicant's (no answer
    recorded: the wait before the first office step after the request)."""
    log = chased_log()
    [f] = incomplete_submission.detect(log, calendar=ALWAYS)
    ev = f.evidence
    assert ev["requesting_step"] == "S03" and ev["repeated_steps"] == "S02" and ev["answer_step"] == ""
    assert f.cases == 30 and ev["loop_share"] == 1.0 and ev["requests_per_case"] == 1.0
    assert ev["office_time_per_case"] == H and f.saving_per_case == H
    assert ev["client_time_per_case"] == 3 * D + 3 * H
    assert ev["office_time"] == 30 * H and ev["client_wait"] == 30 * (3 * D + 3 * H)
    assert ev["statutory_wait"] == pd.Timedelta(0)
    loops = incomplete_submission.request_loops(log, *incomplete_submission.request_steps(log), ALWAYS)
    assert int(loops.request.sum()) == 30 and int(loops.chase.sum()) == 60
    # the whole loop goes with complete applications: the request, its chases, the check again
    assert int(loops.in_loop.sum()) == 30 * 4


def test_a_request_done_in_later_rounds_opens_a_loop_each_time():
    """The file is found incomplete three times: three loops, not one loop whose repeated
    work holds the request."""
    once = [("S01", 0 * H, "R1"), ("S02", 2 * H, "R2"), ("S03", 3 * H, "R3"), ("S03", 2 * D, "R3"),
            ("S02", 3 * D, "R2")]
    thrice = [*once, ("S03", 3 * D + H, "R3"), ("S03", 5 * D, "R4"), ("S02", 6 * D, "R2"),
              ("S03", 6 * D + H, "R3"), ("S03", 8 * D, "R4"), ("S02", 9 * D, "R2")]
    plain = [("S01", 0 * H, "R1"), ("S02", 2 * H, "R2")]
    log = _log([[*c, ("S04", c[-1][1] + 2 * H, "R5")] for c in [once, thrice, plain] * 15])
    [f] = incomplete_submission.detect(log, calendar=ALWAYS)
    assert f.cases == 30 and f.evidence["requests_per_case"] == 2.0
    assert f.evidence["repeated_steps"] == "S02"


def test_a_step_the_system_records_is_not_duplicate_work():
    """'Select offer' follows 'Prepare offer' within a second, whoever prepared it: a status
    recorded by the system. A second person's new offer records it again; that is no second
    check (the preparation by a second person still is)."""
    rng = np.random.default_rng(5)
    cases = []
    for i in range(60):
        t = float(rng.uniform(1, 3))
        steps = [("In", 0 * H, "R1"), ("Prepare offer", t * H, "R1"), ("Select offer", t * H + pd.Timedelta("500ms"), "R1")]
        if i % 2 == 0:
            t += float(rng.uniform(20, 40))
            steps += [("Prepare offer", t * H, "R2"), ("Select offer", t * H + pd.Timedelta("500ms"), "R2")]
        steps.append(("Close", (t + 2) * H, "R1"))
        cases.append(steps)
    log = _log(cases)
    assert classify_steps(log).loc["Select offer", "system"]
    found = {f.activities for f in duplicate_work.detect(log, calendar=ALWAYS)}
    assert ("Select offer",) not in found and ("Prepare offer",) in found
