"""bottleneck: steps whose waiting dominates the case duration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine.errors import ParameterError
from procmine.redundancy import bottleneck

from .conftest import tiny_log


def cases(n: int = 20, *, legal: bool = False) -> list:
    rng = np.random.default_rng(0)
    out = []
    for _i in range(n):
        w = float(rng.uniform(20, 100))  # queue: varies with load
        c = [("In", 0, "Desk", 0), ("Check", 2, "Desk", 1), ("Law review", 3 + w, "Lawyers", 2 + w),
             ("Decide", 6 + w, "Desk", 5 + w)]
        if legal:
            c.append(("Appeal period over", 6 + w + 720, "System", 6 + w + 720))  # 30 days, fixed
        out.append(c)
    return out


def test_the_dominant_wait_is_found_with_its_share(elapsed):
    [f] = bottleneck.detect(tiny_log(cases()), calendar=elapsed)
    assert f.activities == ("Law review",)
    assert f.org_units == ("Lawyers",)
    assert f.cases == 20
    assert f.evidence["wait_share"] > 0.8
    assert f.evidence["unit_column"] == "org:group"
    assert f.saving_per_case > pd.Timedelta(hours=10)


def test_a_legally_fixed_waiting_period_is_not_a_bottleneck(elapsed):
    found = bottleneck.detect(tiny_log(cases(legal=True)), calendar=elapsed)
    assert [f.activities for f in found] == [("Law review",)]


def test_required_bottleneck_is_kept_and_flagged(elapsed):
    [f] = bottleneck.detect(tiny_log(cases()), calendar=elapsed, required=frozenset({"Law review"}))
    assert f.evidence["required"] is True


def test_no_dominant_wait_no_finding(elapsed):
    even = [[("In", 0, "U"), ("A", 5, "U"), ("B", 10, "U"), ("C", 15, "U"), ("D", 20, "U")]] * 10
    assert bottleneck.detect(tiny_log(even), calendar=elapsed) == []


def test_bad_threshold_is_a_parameter_error(elapsed):
    with pytest.raises(ParameterError, match="dominance"):
        bottleneck.detect(tiny_log(cases(3)), calendar=elapsed, dominance=-2)


def test_a_timeout_applied_to_part_of_the_cases_is_not_a_bottleneck(elapsed):
    """Found on helpdesk: tickets closed automatically 15 days after resolution (a third of
    them), the others closed by hand later: a sharp mode in the wait, not a queue."""
    rng = np.random.default_rng(1)
    log_cases = []
    for i in range(30):
        w = float(rng.uniform(2, 6))
        close = 360.0 if i % 3 == 0 else float(rng.uniform(400, 1000))
        log_cases.append([("Open", 0, "Desk", 0), ("Resolve", 1 + w, "Desk", w), ("Closed", 1 + w + close, "Desk", 1 + w + close)])
    assert bottleneck.detect(tiny_log(log_cases), calendar=elapsed) == []


def test_waiting_for_the_applicant_is_not_a_bottleneck(elapsed):
    """The longest waits follow a request for documents (the applicant's time): only the
    office's queue before the law review counts."""
    rng = np.random.default_rng(2)
    log_cases = []
    for _i in range(30):
        w = float(rng.uniform(20, 100))
        a = 3 + float(rng.uniform(300, 600))
        log_cases.append([("In", 0, "Desk", 0), ("Request missing documents", 2, "Desk", 1),
                          ("Documents received", a, "Desk", a), ("Law review", a + 1 + w, "Lawyers", a + w),
                          ("Decide", a + 4 + w, "Desk", a + 3 + w)])
    [f] = bottleneck.detect(tiny_log(log_cases), calendar=elapsed)
    assert f.activities == ("Law review",)
    assert f.evidence["client_wait"] == pd.Timedelta(0)
    assert f.saving_per_case < pd.Timedelta(hours=100)


def period_before_pair(n: int = 60, *, spread: float = 10.0, late: int = 0, period: float = 480.0) -> list:
    """Law review (Lawyers, a queue of 20-100 h) and Fee calculation (Desk) in either
    order, then a ``period`` (20 days) nobody records, then Notify neighbours (Lawyers) and Post
    notice (Desk) in either order, each after a short queue (0-``spread`` h after the
    period); ``late`` cases start their first step 500 h later."""
    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        w = float(rng.uniform(20, 100))
        lr = ("Law review", 2 + w, "Lawyers", 1 + w)
        # the fee is calculated at once or once the law review is back: either completes last
        block = [("Fee calculation", 3, "Desk", 2), lr] if i % 2 else [lr, ("Fee calculation", 4 + w, "Desk", 3 + w)]
        end = block[-1][1] + period  # the period runs from the later of the two
        q1 = float(rng.uniform(0, spread)) + (500 if i < late else 0)
        q2 = float(rng.uniform(1, 4))
        names = [("Notify neighbours", "Lawyers"), ("Post notice", "Desk")]
        if (i // 2) % 2:
            names.reverse()
        (a, ua), (b, ub) = names
        pair = [(a, end + q1 + 1, ua, end + q1), (b, end + q1 + 2 + q2, ub, end + q1 + 1 + q2)]
        out.append([("In", 0, "Desk", 0), *block, *pair, ("Decide", pair[-1][1] + 2, "Desk", pair[-1][1] + 1)])
    return out


def test_a_period_before_a_pair_in_either_order_is_not_a_bottleneck(elapsed):
    """The period is absorbed by whichever of the pair comes first, after whichever of the
    concurrent steps completes last: no step shows it in all its waits, each pair of steps
    does. It is statutory: the lawyers' law review is the bottleneck, not the notification."""
    [f] = bottleneck.detect(tiny_log(period_before_pair()), calendar=elapsed)
    assert f.activities == ("Law review",)
    # a queue of 100-600 h instead of a period (it varies with the load): office time
    queue = tiny_log(period_before_pair(period=100.0, spread=500.0))
    assert not _period_part(queue, elapsed).any()


def test_a_period_between_two_steps_is_found_despite_a_late_case(elapsed):
    """After the period, a queue of 0-100 h and one case 500 h late: not 60 % of the lengths
    within a day of one value, a coefficient of variation of 0.25, yet the interdecile range
    is a sixth of the median: the period is the floor of the lengths, the rest office."""
    log = tiny_log(period_before_pair(spread=100.0, late=1))
    part = _period_part(log, elapsed)
    t = bottleneck.event_table(log, elapsed)
    names = np.array([t.name(i) for i in range(t.c.n_activities)])
    prev = np.where(t.prev_activity >= 0, names[np.maximum(t.prev_activity, 0)], "")
    after = np.isin(names[t.c.activity], ["Notify neighbours", "Post notice"]) & np.isin(prev, ["Law review", "Fee calculation"])
    assert after.sum() == 60
    assert (part[after] >= 456 * 3_600_000_000).all()  # the 20 days (less a day at most)
    assert (part[after] <= t.wait[after]).all()  # never more than the wait
    assert not part[~after].any()


def _period_part(log, calendar):
    t = bottleneck.event_table(log, calendar)
    return bottleneck._edge_periods(t, t.c.activity, t.c.n_activities, t.wait.astype(np.float64))


def _office_heavy(n: int = 60, *, slow: float = 1.0) -> list:
    """Found probing a French procedure: one unit does nearly every step and every queue is
    alike (10-40 h), but its check runs two or three times a case; the head's visa waits as long.
    ``slow`` stretches the queue in front of the check alone."""
    rng = np.random.default_rng(4)
    out = []
    for i in range(n):
        t, c = 0.0, [("Dépôt", 0.0, "Guichet")]
        steps = ["Contrôle"] * (2 if i % 3 else 3) + ["Examen", "Visa", "Décision"]
        for a in steps:
            t += float(rng.uniform(10, 40)) * (slow if a == "Contrôle" else 1.0)
            c.append((a, t, "Direction" if a == "Visa" else "Service des constructions"))
        out.append(c)
    return out


def test_a_step_done_twice_at_an_ordinary_queue_is_no_bottleneck(elapsed):
    """Its share of case time is twice that of the others (it runs twice: rework), but no
    wait in front of it is longer than elsewhere: no long queue, nothing to save here."""
    log = tiny_log(_office_heavy())
    assert bottleneck.detect(log, calendar=elapsed) == []
    [f] = bottleneck.detect(tiny_log(_office_heavy(slow=5.0)), calendar=elapsed)
    assert f.activities[0] == "Contrôle" and f.org_units == ("Service des constructions",)
    # compared with the queues elsewhere (the visa's, of another unit): not with nothing
    assert pd.Timedelta(hours=10) < f.evidence["typical_wait_other_steps"] < pd.Timedelta(hours=40)


def test_the_applicant_s_waits_are_not_the_typical_office_queue(elapsed):
    """The only other step's waits are the applicant's: they do not count as office queues of
    0 h (which made the whole wait in front of the bottleneck look saveable)."""
    rng = np.random.default_rng(5)
    log_cases = []
    for _i in range(40):
        a = float(rng.uniform(100, 300))
        w = float(rng.uniform(20, 100))
        log_cases.append([("In", 0, "Desk"), ("Request missing documents", 1, "Desk"),
                          ("Documents received", 1 + a, "Desk"), ("Notify", 2 + a, "Desk"),
                          ("Law review", 3 + a + w, "Lawyers"), ("Decide", 4 + a + w, "Desk")])
    [f] = bottleneck.detect(tiny_log(log_cases), calendar=elapsed)
    assert f.activities == ("Law review",)
    typical = f.evidence["typical_wait_other_steps"]
    assert pd.Timedelta(minutes=50) < typical < pd.Timedelta(minutes=70)  # the desk's 1 h steps
