"""parallelizable: steps done one after the other in either order, independent of each other."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine import EventLog
from procmine.errors import ParameterError
from procmine.redundancy import parallelizable
from procmine.samples.generator import generate

MONDAY = pd.Timestamp("2024-09-02 08:00", tz="Europe/Zurich")  # no public holiday in the weeks used


def frame(cases: list[list[tuple[str, float, float]]]) -> EventLog:
    """Cases as lists of (activity, start minute, end minute) on one working day each."""
    rows = []
    for i, steps in enumerate(cases):
        day = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        for act, s, e in steps:
            rows.append(
                {
                    "case:concept:name": f"c{i:03d}",
                    "concept:name": act,
                    "org:resource": f"r{act}",
                    "start_timestamp": day + pd.Timedelta(minutes=s),
                    "time:timestamp": day + pd.Timedelta(minutes=e),
                }
            )
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = df[col].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return EventLog(df)


def shuffled(n: int = 40, reversed_share: float = 0.5, *, after_ba: str = "Y") -> EventLog:
    """X -> A -> B -> Y, or X -> B -> A -> after_ba; A takes 60 min in all, B 30 min."""
    cases = []
    for i in range(n):
        if i < round(n * reversed_share):
            cases.append([("X", 0, 10), ("B", 30, 40), ("A", 80, 100), (after_ba, 200, 210)])
        else:
            cases.append([("X", 0, 10), ("A", 50, 70), ("B", 90, 100), ("Y", 200, 210)])
    return EventLog(frame(cases).df)


def detect(log: EventLog, **kw):
    kw.setdefault("min_case_share", 0.05)
    kw.setdefault("required", frozenset())
    return parallelizable.detect(log, calendar=None, **kw)


def test_both_orders_without_dependency_are_found_with_the_shorter_step_as_saving():
    found = detect(shuffled())
    assert len(found) == 1
    f = found[0]
    assert set(f.activities) == {"A", "B"}
    assert f.cases == 40
    assert f.evidence["order_ab"] == f.evidence["order_ba"] == 20
    assert f.evidence["minor_order_share"] == 0.5
    assert f.evidence["context_tv"] == 0.0
    assert f.evidence["overlap_share"] == 0.0
    # A: 60 min from X's completion; B: 30 min after A -> saving 30 min
    # B first: 30 min from X; A: 60 min after B -> saving 30 min
    assert f.saving_per_case == pd.Timedelta(minutes=30)
    assert f.time_cost == pd.Timedelta(minutes=30 * 40)
    assert set(f.recommendation) == {"de", "fr", "en"}


def test_strictly_ordered_steps_are_not_parallelizable():
    # A then B in 90 % of cases: the order is prescribed, the rest is noise
    assert detect(shuffled(reversed_share=0.1)) == []
    assert detect(shuffled(reversed_share=0.0)) == []


def test_a_loop_is_not_parallelizable():
    loop = [[("X", 0, 10), ("A", 20, 30), ("B", 40, 50), ("A", 60, 70), ("B", 80, 90), ("Y", 200, 210)]] * 40
    assert detect(frame(loop)) == []


def test_an_order_that_changes_what_follows_is_a_dependency():
    # after B, A the case always goes to Z instead of Y
    assert detect(shuffled(after_ba="Z")) == []


def test_steps_already_running_in_parallel_are_not_reported():
    # the second one starts before the first one completes, in every case
    cases = [[("X", 0, 10), ("A", 20, 70), ("B", 30, 80), ("Y", 200, 210)]] * 20
    cases += [[("X", 0, 10), ("B", 20, 70), ("A", 30, 80), ("Y", 200, 210)]] * 20
    assert detect(frame(cases)) == []
    # (the second also shows only the rest of its wait: the position guard rejects it too)
    assert detect(frame(cases), max_overlap_share=1.0) == []
    assert len(detect(frame(cases), max_overlap_share=1.0, min_position_ratio=0.0)) == 1


def test_with_start_times_steps_queued_together_show_only_the_rest_of_their_wait():
    """Both steps are queued when X completes and never overlap: A waits 30 min, B 60 min,
    from X. Done second, B waits 20 min after A, A 5 min after B: the one done second
    shows only the rest of its wait. A sequential pair waits its own queue (A 30 min, B 60
    min) in either position."""
    cases = [[("X", 0, 10), ("A", 40, 50), ("B", 70, 80), ("Y", 200, 210)]] * 20
    cases += [[("X", 0, 10), ("B", 70, 80), ("A", 85, 95), ("Y", 200, 210)]] * 20
    assert detect(frame(cases)) == []
    [f] = detect(frame(cases), min_position_ratio=0.0)
    assert f.evidence["overlap_share"] == 0.0 and f.evidence["position_ratio"] < 0.6
    seq = [[("X", 0, 10), ("A", 40, 50), ("B", 110, 120), ("Y", 200, 210)]] * 20
    seq += [[("X", 0, 10), ("B", 70, 80), ("A", 110, 120), ("Y", 200, 210)]] * 20
    [f] = detect(frame(seq))
    assert f.evidence["position_ratio"] == pytest.approx(1.0)


def test_with_start_times_a_period_before_the_pair_keeps_the_processing_comparison():
    """Every case waits 14 calendar days before the pair: the waits after it are not compared
    (the period ends on any day, also one the office is closed); a sequential pair behind it
    is still found."""
    d = 14 * 1440
    seq = [[("X", 0, 10), ("A", d + 40, d + 50), ("B", d + 110, d + 120), ("Y", d + 200, d + 210)]] * 20
    seq += [[("X", 0, 10), ("B", d + 70, d + 80), ("A", d + 110, d + 120), ("Y", d + 200, d + 210)]] * 20
    assert parallelizable._inherits_days(*_pair_table(frame(seq)))
    assert not parallelizable._inherits_days(*_pair_table(shuffled()))
    assert len(detect(frame(seq))) == 1


def _pair_table(log):
    """The event table of ``log`` and the positions of the first step of each A/B pair."""
    import numpy as np

    from procmine.redundancy._base import event_table

    t = event_table(log, None)
    names = np.array([t.name(i) for i in range(t.c.n_activities)])[t.c.activity]
    occ = np.flatnonzero(np.isin(names[:-1], ["A", "B"]) & np.isin(names[1:], ["A", "B"]))
    return t, occ


def test_without_start_times_parallel_steps_show_only_a_remainder_when_second():
    # both start after X; the one finishing second shows only the rest of its time
    cases = [[("X", 0, 10), ("A", 20, 60), ("B", 20, 70), ("Y", 200, 210)]] * 20
    cases += [[("X", 0, 10), ("B", 20, 60), ("A", 20, 70), ("Y", 200, 210)]] * 20
    log = EventLog(frame(cases).df.drop(columns=["start_timestamp"]))
    assert detect(log) == []
    # a sequential pair in random order: each takes as long in either position
    assert len(detect(EventLog(shuffled().df.drop(columns=["start_timestamp"])))) == 1


def test_without_start_times_a_remainder_shows_at_the_short_end_even_when_the_median_agrees():
    # both start after X and run 60 min when first; done second, most remainders are 60 min
    # too (the median agrees), but 8 of 20 finish 5 min after the other: a step done after
    # another never takes next to nothing, a remainder often does
    rest = [5] * 8 + [60] * 12
    cases = [[("X", 0, 10), ("A", 10, 70), ("B", 10, 70 + r), ("Y", 200, 210)] for r in rest]
    cases += [[("X", 0, 10), ("B", 10, 70), ("A", 10, 70 + r), ("Y", 200, 210)] for r in rest]
    log = EventLog(frame(cases).df.drop(columns=["start_timestamp"]))
    assert detect(log) == []
    [f] = detect(log, min_position_ratio=0.05)
    assert f.evidence["position_ratio"] == pytest.approx(5 / 60)


def test_tied_timestamps_are_no_evidence_of_an_order():
    cases = [[("X", 0, 10), ("A", 20, 30), ("B", 20, 30), ("Y", 200, 210)]] * 20
    cases += [[("X", 0, 10), ("B", 20, 30), ("A", 20, 30), ("Y", 200, 210)]] * 20
    assert detect(frame(cases)) == []


def test_required_activities_are_left_alone():
    assert detect(shuffled(), required=frozenset({"A"})) == []


def test_bad_threshold_is_a_parameter_error():
    with pytest.raises(ParameterError, match="min_order_share"):
        detect(shuffled(), min_order_share=-0.1)


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_generator_truth_is_found_and_the_decoys_are_not(name):
    log, truth = generate(name, n_cases=300, seed=12, noise=0.1)
    expected = {frozenset(t.activities) for t in truth if t.kind == "parallelizable" and not t.decoy}
    assert {frozenset(f.activities) for f in detect(log)} == expected
    # not injected: the two reports run in parallel already (Par), the strict order stays
    log, truth = generate(name, n_cases=300, seed=12, noise=0.1, inject=("rework",))
    assert detect(log) == []
