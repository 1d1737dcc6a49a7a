"""discover(), DFG, variants and start/end activities, checked against pm4py on real logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.discovery import (
    _pm4py,
    compute_dfg,
    compute_variants,
    discover,
    start_end_activities,
    variant_codes,
)
from procmine.errors import ParameterError
from tests.conftest import shared_log


def _log(rows: list[tuple[str, str, int]]) -> pm.EventLog:
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "h"])
    df["time:timestamp"] = pd.to_datetime(df.pop("h"), unit="h", utc=True)
    return pm.EventLog(df)


@pytest.fixture(scope="module")
def tiny() -> pm.EventLog:
    return _log(
        [
            ("c1", "a", 0),
            ("c1", "b", 1),
            ("c1", "c", 3),
            ("c2", "a", 0),
            ("c2", "c", 2),
            ("c3", "a", 0),
            ("c3", "b", 2),
            ("c3", "c", 4),
            ("c4", "a", 0),
            ("c4", "b", 1),
            ("c4", "b", 2),
            ("c4", "c", 6),
        ]
    )


def test_dfg_by_hand(tiny: pm.EventLog) -> None:
    d = compute_dfg(tiny).set_index(["source", "target"])
    assert d["count"].to_dict() == {("a", "b"): 3, ("b", "c"): 3, ("a", "c"): 1, ("b", "b"): 1}
    assert d.loc[("b", "b"), "cases"] == 1
    assert d.loc[("a", "b"), "cases"] == 3
    # a->b waits 1 h, 2 h, 1 h: median 1 h, mean 80 min, p90 1.8 h (linear interpolation)
    assert d.loc[("a", "b"), "median"] == pd.Timedelta(hours=1)
    assert d.loc[("a", "b"), "mean"] == pd.Timedelta(minutes=80)
    assert d.loc[("a", "b"), "p90"] == pd.Timedelta(hours=1.8)
    assert list(compute_dfg(tiny)["count"]) == sorted(compute_dfg(tiny)["count"], reverse=True)


def test_variants_by_hand(tiny: pm.EventLog) -> None:
    v = compute_variants(tiny)
    assert v["variant"].tolist() == [("a", "b", "c"), ("a", "c"), ("a", "b", "b", "c")]
    assert v["cases"].tolist() == [2, 1, 1]
    assert v["share"].tolist() == [0.5, 0.25, 0.25]
    assert v["median_duration"].iloc[0] == pd.Timedelta(hours=3.5)
    rank, counts = variant_codes(tiny)
    assert rank.tolist() == [0, 1, 0, 2] and counts.tolist() == [2, 1, 1]


def test_start_end(tiny: pm.EventLog) -> None:
    s, e = start_end_activities(tiny)
    assert s.to_dict() == {"a": 4} and e.to_dict() == {"c": 4}


def test_start_timestamps_change_dfg_times() -> None:
    df = pd.DataFrame(
        {
            "case:concept:name": ["c", "c"],
            "concept:name": ["a", "b"],
            "time:timestamp": pd.to_datetime([1, 10], unit="h", utc=True),
            "start_timestamp": pd.to_datetime([0, 4], unit="h", utc=True),
        }
    )
    d = compute_dfg(pm.EventLog(df))
    assert d["median"].iloc[0] == pd.Timedelta(hours=3)  # completion of a -> start of b


def test_empty_log() -> None:
    df = pd.DataFrame(
        {
            "case:concept:name": pd.Series([], dtype=str),
            "concept:name": pd.Series([], dtype=str),
            "time:timestamp": pd.to_datetime(pd.Series([], dtype="int64"), utc=True),
        }
    )
    log = pm.EventLog(df)
    assert len(compute_dfg(log)) == 0 and len(compute_variants(log)) == 0
    assert len(start_end_activities(log)[0]) == 0


def test_hash_collision_fallback_gives_same_result(tiny: pm.EventLog) -> None:
    from procmine._core.dfg import _variant_first_codes, _variant_first_codes_exact

    a, fa = _variant_first_codes(tiny)
    b, fb = _variant_first_codes_exact(tiny)
    assert a.tolist() == b.tolist() and fa.tolist() == fb.tolist()


def test_discover_validates() -> None:
    log = _log([("c", "a", 0)])
    with pytest.raises(ParameterError, match="'noise' parameter of discover"):
        discover(log, noise=1.5)
    with pytest.raises(ParameterError, match="'algorithm'"):
        discover(log, algorithm="alpha")
    with pytest.raises(ParameterError, match="'variants'"):
        discover(log, variants=0)


def test_model_is_lazy(tiny: pm.EventLog) -> None:
    m = discover(tiny)
    assert "dfg" not in m.__dict__
    assert len(m.dfg) == 4 and "variants" not in m.__dict__ and "petri_net" not in m.__dict__
    text = repr(m)
    assert "4 edges" in text and "3 variants" in text and "mined on 3/3 activities" in text
    assert "petri_net" not in m.__dict__
    assert m.variants_covering(0.5)["cases"].tolist() == [2]
    assert m.to_frame().equals(m.dfg)


# ---------------------------------------------------------------------------------------
# equal to pm4py on real logs
# ---------------------------------------------------------------------------------------
REAL = [
    "running-example.xes",
    "receipt_wabo.xes.gz",
    "helpdesk.xes.gz",
    "interval_event_log.xes",
    "BPIC15_1.xes.gz",
]


def _check_against_pm4py(log: pm.EventLog) -> None:
    pm4py = _pm4py.pm4py()
    df = _pm4py.frame(log)
    with _pm4py.quiet():
        dfg, sa, ea = pm4py.discover_dfg(df)
        variants = pm4py.get_variants(df)
    mine = compute_dfg(log)
    assert {(s, t): n for s, t, n in zip(mine["source"], mine["target"], mine["count"])} == dict(dfg)
    s, e = start_end_activities(log)
    assert s.to_dict() == dict(sa)
    assert e.to_dict() == dict(ea)
    v = compute_variants(log)
    assert len(v) == len(variants)
    theirs = {k: (n if isinstance(n, (int, np.integer)) else len(n)) for k, n in variants.items()}
    assert dict(zip(v["variant"], v["cases"])) == theirs


@pytest.mark.shared_logs
@pytest.mark.parametrize("name", REAL)
def test_equal_to_pm4py(name: str) -> None:
    _check_against_pm4py(pm.read_log(shared_log(name)))


@pytest.mark.shared_logs
def test_performance_dfg_equal_to_pm4py() -> None:
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    with _pm4py.quiet():
        perf = _pm4py.pm4py().discover_performance_dfg(_pm4py.frame(log))[0]
    d = compute_dfg(log).set_index(["source", "target"])
    for edge, stats in perf.items():
        assert d.loc[edge, "median"].total_seconds() == pytest.approx(stats["median"], abs=1e-3)
        assert d.loc[edge, "mean"].total_seconds() == pytest.approx(stats["mean"], abs=1e-3)


@pytest.mark.shared_logs
@pytest.mark.slow
def test_equal_to_pm4py_road_traffic_fines() -> None:
    _check_against_pm4py(pm.read_log(shared_log("road_traffic_fines.xes.gz")))


def test_fitness_alignments_on_request() -> None:
    log = _log(
        [("c1", "a", 0), ("c1", "b", 1), ("c2", "a", 0), ("c2", "b", 1), ("c3", "b", 0), ("c3", "a", 1)]
    )
    m = discover(log, variants=1.0, noise=0.0)
    res = m.fitness(method="alignments", timeout=30)
    assert res["method"] == "alignments" and 0 <= res["log_fitness"] <= 1
    tok = m.fitness()
    assert tok["method"] == "token"
    assert 0 <= m.precision() <= 1
    heur = discover(log, algorithm="heuristics", variants=1.0)
    assert heur.petri_net[0].transitions


@pytest.mark.shared_logs
def test_alignments_equal_pm4py_and_respect_the_deadline() -> None:
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    m = discover(log)
    ours = m.fitness(method="alignments", timeout=120)
    assert not ours["timed_out"] and ours["cases_aligned"] == m.mined_log.n_cases
    theirs = _pm4py.call(
        "aligning",
        _pm4py.pm4py().fitness_alignments,
        _pm4py.frame(m.mined_log),
        *m.petri_net,
        multi_processing=False,
    )
    assert ours["log_fitness"] == pytest.approx(theirs["log_fitness"])
    assert ours["average_trace_fitness"] == pytest.approx(theirs["average_trace_fitness"])
    assert ours["percentage_of_fitting_traces"] == pytest.approx(theirs["percentage_of_fitting_traces"])
    quick = m.fitness(method="alignments", timeout=1e-6, on="full")
    assert quick["timed_out"] and "within" in quick["summary"]


def test_pruning_arguments(tiny: pm.EventLog) -> None:
    m = discover(tiny, activities=["a", "c"], variants=1.0)
    assert m.pruning["activities_left_out"] == ["b"]
    assert set(m.mined_log.activities.index) == {"a", "c"}
    assert m.pruning["variants_kept"] == 1  # a, c once b is left out
    # b occurs in 3 of 4 cases: left out when at least 80% of cases are required
    m2 = discover(tiny, min_case_share=0.8, variants=1)
    assert m2.pruning["activities_left_out"] == ["b"] and m2.pruning["variants_kept"] == 1
    m3 = discover(tiny, activities=2, variants=1.0)
    assert m3.pruning["activities_kept"] == 2
    with pytest.raises(ParameterError, match="'activities'"):
        discover(tiny, activities=["zzz"])


@pytest.mark.parametrize("kw", [{}, {"noise": 0.0, "variants": 1.0}])
def test_inductive_miner_on_variants_is_pm4pys_model_of_the_events(tmp_path, kw) -> None:
    """The in-memory inductive model is mined from the variant counts: the same BPMN, byte
    for byte, as pm4py mining the events of the mined log itself."""
    from procmine.discovery import _pm4py
    from procmine.discovery._bpmn_graph import petri_to_bpmn, write_bpmn

    model = pm.discover(pm.samples.load("permit_de"), **kw)
    b = model.to_bpmn(tmp_path / "model.bpmn")
    assert "_pruned" not in model.__dict__  # mined without building the pruned log
    events = _pm4py.discover_petri_net(_pm4py.frame(model.mined_log), algorithm="inductive", noise=model.noise)
    a = write_bpmn(petri_to_bpmn(*events), tmp_path / "events.bpmn")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    "kw",
    [{}, {"variants": 1.0}, {"variants": 5}, {"activities": 5}, {"activities": 0.5, "variants": 0.5},
     {"min_case_share": 0.3}],
)
def test_variant_pruning_gives_the_mined_logs_variants(kw) -> None:
    """The miner's variants from the variant counts are those of the pruned log, in order."""
    for name in ("permit_de", "subsidy_fr"):
        model = pm.discover(pm.samples.load(name), **kw)
        assert list(model._variant_pruning[0].items()) == list(model.mined_variants.items())
