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
