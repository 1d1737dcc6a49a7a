"""Guards shared by the pair detectors: inherited waits, system-recorded steps, the minimum saving."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine import EventLog
from procmine.errors import ParameterError
from procmine.redundancy import mergeable, parallelizable
from procmine.redundancy._base import MIN_SAVING

MONDAY = pd.Timestamp("2024-09-02 08:00", tz="Europe/Zurich")


def _log(rows: list[dict]) -> EventLog:
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):
        if col in df.columns:
            df[col] = df[col].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return EventLog(df)


def statutory_pair(n: int = 40, *, starts: bool = False) -> EventLog:
    """Publication, then a 14-day objection period, then two expert reports one after the
    other in either order (half each), then the decision. Report A takes 3 h, B 2 h."""
    rows = []
    for i in range(n):
        t0 = MONDAY + pd.Timedelta(days=7 * i)
        first, second = (("Gutachten Umwelt", 180), ("Gutachten Verkehr", 120))[:: 1 if i % 2 else -1]
        steps = [("Publikation", t0, t0 + pd.Timedelta(minutes=20))]
        s1 = t0 + pd.Timedelta(days=14)  # the period ends; the first report starts
        e1 = s1 + pd.Timedelta(minutes=first[1])
        s2 = e1 + pd.Timedelta(minutes=30)
        e2 = s2 + pd.Timedelta(minutes=second[1])
        steps += [(first[0], s1, e1), (second[0], s2, e2)]
        steps.append(("Entscheid", e2 + pd.Timedelta(hours=2), e2 + pd.Timedelta(hours=3)))
        for act, s, e in steps:
            row = {"case:concept:name": f"c{i:03d}", "concept:name": act, "org:resource": f"r-{act}",
                   "time:timestamp": e}
            if starts:
                row["start_timestamp"] = s
            rows.append(row)
    return _log(rows)


@pytest.mark.parametrize("starts", [False, True])
def test_a_statutory_period_before_the_pair_is_not_the_first_steps_time(starts):
    found = parallelizable.detect(statutory_pair(starts=starts), calendar=None)
    assert [set(f.activities) for f in found] == [{"Gutachten Umwelt", "Gutachten Verkehr"}]
    f = found[0]
    assert f.evidence["position_ratio"] >= 0.6
    if not starts:
        assert f.evidence["inherited_period_days"] == 14
    # the saving is the shorter report plus its queue, never a share of the 14 days
    assert f.saving_per_case <= pd.Timedelta(hours=3)


def test_the_old_remainder_guard_still_holds_without_an_inherited_period():
    # both start after X (no period in whole days): the one finishing second shows a remainder
    rows = []
    for i in range(40):
        t0 = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        a, b = ("A", "B") if i % 2 else ("B", "A")
        for act, m in (("X", 10), (a, 60), (b, 70), ("Y", 210)):
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:resource": f"r{act}",
                         "time:timestamp": t0 + pd.Timedelta(minutes=m)})
    assert parallelizable.detect(_log(rows), calendar=None) == []


def system_pair(n: int = 40, *, swap: bool = True) -> EventLog:
    """A clerk's check (30 min of processing), then two steps a system records seconds
    apart ("Status gesetzt", "Mail versandt": start = completion; in either order with
    ``swap``), then the decision. Units are org:group only (no persons)."""
    rows = []
    for i in range(n):
        t0 = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        a, b = ("Status gesetzt", "Mail versandt")[:: 1 if (i % 2 or not swap) else -1]
        steps = [("Prüfung", 0, 30, "Bauamt"), (a, 90, 90, "eBau"), (b, 90 + 3 / 60, 90 + 3 / 60, "eBau"),
                 ("Entscheid", 200, 300, "Bauamt")]
        for act, s, e, unit in steps:
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:group": unit,
                         "start_timestamp": t0 + pd.Timedelta(minutes=s),
                         "time:timestamp": t0 + pd.Timedelta(minutes=e)})
    return _log(rows)


def test_steps_a_system_records_seconds_apart_are_not_parallelised_or_merged(monkeypatch):
    either, fixed = system_pair(), system_pair(swap=False)
    assert parallelizable.detect(either, calendar=None) == []
    assert mergeable.detect(fixed, calendar=None) == []
    # the guard is what keeps them out
    import numpy as np

    for module in (parallelizable, mergeable):
        monkeypatch.setattr(module, "machine_recorded", lambda t, a, b: np.zeros(len(a), dtype=bool))
    # (seconds after the first, the second also shows only the rest of a wait: relaxed too)
    assert len(parallelizable.detect(either, calendar=None, min_position_ratio=0.0)) == 1
    assert len(mergeable.detect(fixed, calendar=None)) == 1


def test_findings_saving_less_than_the_minimum_are_not_listed():
    # two steps by the same clerk, 30 seconds apart, both with a measured processing time:
    # mergeable, but merging saves seconds
    rows = []
    for i in range(40):
        t0 = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        for act, s, e in (("Erfassen", 0, 20), ("Prüfen", 20.5, 40), ("Entscheid", 200, 230)):
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:resource": "anna",
                         "start_timestamp": t0 + pd.Timedelta(minutes=s),
                         "time:timestamp": t0 + pd.Timedelta(minutes=e)})
    log = _log(rows)
    raw = mergeable.detect(log, calendar=None)
    assert [f.activities for f in raw] == [("Erfassen", "Prüfen")]
    assert raw[0].saving_per_case < MIN_SAVING
    assert len(pm.find_redundancies(log, kinds=["mergeable"])) == 0
    assert len(pm.find_redundancies(log, kinds=["mergeable"], min_saving=0)) == 1
    with pytest.raises(ParameterError, match="min_saving"):
        pm.find_redundancies(log, kinds=["mergeable"], min_saving="soon")


def test_mergeable_says_person_only_when_persons_were_compared():
    rows = []
    for i in range(40):
        t0 = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        for act, m in (("Erfassen", 20), ("Prüfen", 50), ("Entscheid", 300)):
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:group": "Bauamt",
                         "time:timestamp": t0 + pd.Timedelta(minutes=m)})
    found = mergeable.detect(_log(rows), calendar=None)
    assert [f.activities for f in found] == [("Erfassen", "Prüfen")]
    f = found[0]
    assert f.evidence["unit_column"] == "org:group"
    assert "same unit" in f.text("en") and "person" not in f.text("en")
    assert "dieselbe Stelle" in f.text("de") and "même unité" in f.text("fr")
