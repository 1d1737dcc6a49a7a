"""find_redundancies: argument validation, routing of thresholds, required activities."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine import DataQualityWarning, ParameterError, find_redundancies
from procmine.redundancy import DETECTORS, KINDS, Finding, Findings
from procmine.redundancy.catalogue import catalogue

from .conftest import tiny_log

OK = [("In", 0, "U"), ("Enter", 1, "U"), ("Check", 2, "U"), ("Out", 3, "U")]
REDO = [("In", 0, "U"), ("Enter", 1, "U"), ("Check", 2, "U"), ("Enter", 5, "U"), ("Check", 6, "U"), ("Out", 7, "U")]


@pytest.fixture
def log():
    return tiny_log([REDO] * 3 + [OK] * 7)


def test_returns_findings_of_the_asked_kinds(log, elapsed):
    found = find_redundancies(log, kinds=["rework"], calendar=elapsed)
    assert isinstance(found, Findings) and len(found) == 1
    assert found[0].kind == "rework" and found.n_cases == 10
    assert find_redundancies(log, kinds="rework", calendar=elapsed)[0].kind == "rework"
    frame = found.to_frame()
    assert frame.loc[0, "kind"] == "rework" and frame.loc[0, "cases"] == 3


def test_every_kind_has_a_detector():
    assert set(DETECTORS) == set(KINDS)


def test_unknown_kind_lists_the_kinds(log):
    with pytest.raises(ParameterError, match="rework, duplicate_work"):
        find_redundancies(log, kinds=["rewrok"])


def test_min_case_share_is_validated(log):
    with pytest.raises(ParameterError, match="min_case_share"):
        find_redundancies(log, min_case_share=1.5)


def test_not_an_eventlog_is_a_parameter_error():
    with pytest.raises(ParameterError, match="EventLog"):
        find_redundancies(pd.DataFrame())


def test_thresholds_are_routed_per_kind(log, elapsed):
    assert len(find_redundancies(log, kinds=["rework"], calendar=elapsed, rework={"min_repeat_share": 0.5})) == 0
    with pytest.raises(ParameterError, match="rework"):
        find_redundancies(log, kinds=["rework"], rework={"no_such_threshold": 1})
    with pytest.raises(ParameterError, match="detector name"):
        find_redundancies(log, kinds=["rework"], reworks={"min_repeat_share": 0.5})
    with pytest.raises(ParameterError, match="dict of thresholds"):
        find_redundancies(log, kinds=["rework"], rework=0.5)


def test_required_activities_are_never_proposed(log, elapsed):
    assert len(find_redundancies(log, kinds=["rework"], required=["Enter"], calendar=elapsed)) == 0


def test_required_activity_missing_from_the_log_warns(log, elapsed):
    with pytest.warns(DataQualityWarning, match="Entr"):
        find_redundancies(log, kinds=["rework"], required=["Entr"], calendar=elapsed)


def test_required_bottleneck_is_kept_with_a_flag():
    from procmine.redundancy import _respect_required

    f = Finding("bottleneck", ("Law review",), cases=3)
    g = Finding("rework", ("Law review",), cases=3)
    kept = _respect_required([f, g], frozenset({"Law review"}))
    assert [k.kind for k in kept] == ["bottleneck"] and kept[0].evidence["required"] is True


def test_findings_are_sorted_by_total_saving(elapsed):
    log = tiny_log([REDO] * 3 + [OK] * 7 + [[("In", 0, "U"), ("Zoning", 2, "A"), ("Zoning", 9, "B"), ("Out", 10, "U")]] * 3)
    found = find_redundancies(log, kinds=["rework", "duplicate_work"], calendar=elapsed)
    savings = [f.total_saving for f in found]
    assert savings == sorted(savings, reverse=True) and len(found) == 2


def test_the_catalogue_documents_every_kind():
    text = catalogue()
    for kind in KINDS:
        assert f"## `{kind}`" in text
    for word in ("**Definition.**", "**Guard.**", "**Saving.**", "**Limits.**"):
        assert text.count(word) == len(KINDS), word


def test_an_empty_log_has_no_findings():
    from procmine import EventLog

    df = pd.DataFrame({
        "case:concept:name": pd.Series([], dtype=str),
        "concept:name": pd.Series([], dtype=str),
        "time:timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
    })
    found = find_redundancies(EventLog(df))
    assert len(found) == 0 and found.n_cases == 0


def test_a_missing_detector_module_fails_clearly(log, monkeypatch):
    from procmine import redundancy

    monkeypatch.setitem(redundancy.DETECTORS, "batching", "procmine.redundancy._no_such_detector")
    with pytest.raises(ParameterError, match=r"'batching'.*not available"):
        find_redundancies(log, kinds=["batching"])


def test_savings_beyond_a_timedelta_sort_and_show_the_maximum(caplog):
    # loose thresholds on a big log can estimate more than 292 years: no OverflowError
    huge = Finding("bottleneck", ("Wait",), cases=2_000_000, saving_per_case=pd.Timedelta(days=200))
    small = Finding("rework", ("Check",), cases=10, saving_per_case=pd.Timedelta(hours=1))
    found = Findings([small, huge])
    assert [f.kind for f in found] == ["bottleneck", "rework"]
    with caplog.at_level("WARNING", logger="procmine"):
        assert found[0].total_saving == pd.Timedelta.max
    assert "292 years" in caplog.text


def test_to_frame_shows_working_time_in_working_hours(log, elapsed):
    """Working time in a frame is float working hours (a Timedelta's "1 day" would be 24
    working hours); the Finding attributes stay Timedelta; elapsed time stays Timedelta."""
    from procmine.calendar import Calendar

    cal = Calendar(canton="BE")
    found = find_redundancies(log, kinds=["rework"], calendar=cal)
    assert found.calendar is cal and found[0].calendar is cal
    frame = found.to_frame()
    assert not any(frame[c].dtype.kind == "m" for c in frame.columns)
    f = found[0]
    assert isinstance(f.saving_per_case, pd.Timedelta)
    row = frame.iloc[0]
    assert row["saving_per_case_working_h"] == pytest.approx(f.saving_per_case.total_seconds() / 3600)
    assert row["total_saving_working_h"] == pytest.approx(f.total_saving.total_seconds() / 3600)
    assert row["time_cost_working_h"] == pytest.approx(f.time_cost.total_seconds() / 3600)
    assert "canton BE" in frame.attrs["calendar"] and frame.attrs["day_hours"] == 8.0
    # slices and filters keep the calendar
    assert found[:1].calendar is cal and found.filter(kind="rework").calendar is cal
    # elapsed time: Timedelta columns under the names of DESIGN.md
    el = find_redundancies(log, kinds=["rework"], calendar=elapsed).to_frame()
    assert el["saving_per_case"].dtype.kind == "m" and "saving_per_case_working_h" not in el.columns
