"""The public API on a DuckLog gives what it gives on the same log in memory.

discover() and performance() run in DuckDB (SQL aggregates; the miner sees variant
counts); the analyses that need every event load the DuckLog into memory first
(``as_eventlog``) or refuse above ``MATERIALISE_LIMIT``.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import procmine as pm
from procmine import viz
from procmine.errors import LogError, ProcmineError
from tests.conftest import shared_log

pytest.importorskip("duckdb")

from procmine.engines import duckdb as duck_engine
from procmine.engines.duckdb import DuckLog, as_eventlog
from procmine.performance import Performance


@pytest.fixture(scope="module")
def permit(tmp_path_factory):
    """(in-memory log, DuckLog over its Parquet file): a generated log with start times."""
    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path_factory.mktemp("duck") / "permit.parquet")
    with DuckLog(path) as duck:
        yield log, duck


@pytest.fixture(scope="module")
def subsidy_no_start(tmp_path_factory):
    """A generated log without start timestamps (waiting = waiting + processing)."""
    log = pm.samples.load("subsidy_fr")
    log = pm.read_log(log.df.drop(columns=["start_timestamp"]))
    path = log.to_parquet(tmp_path_factory.mktemp("duck") / "subsidy.parquet")
    with DuckLog(path) as duck:
        yield log, duck


@pytest.fixture(scope="module")
def bpic12(tmp_path_factory):
    log = pm.read_log(shared_log("BPIC12.xes.gz"))
    path = log.to_parquet(tmp_path_factory.mktemp("duck") / "bpic12.parquet")
    with pm.read_log(path, engine="duckdb") as duck:
        yield log, duck


def transitions(net) -> list[str]:
    return sorted(str(t.label) for t in net.transitions)


def assert_same_tables(log: pm.EventLog, duck: DuckLog, **kw) -> None:
    mem, dm = pm.discover(log, **kw), pm.discover(duck, **kw)
    assert type(dm) is pm.ProcessModel and dm.engine.capabilities.name == "duckdb"  # never subclassed
    pd.testing.assert_frame_equal(dm.dfg, mem.dfg)
    pd.testing.assert_frame_equal(dm.variants, mem.variants)
    pd.testing.assert_series_equal(dm.start_activities, mem.start_activities)
    pd.testing.assert_series_equal(dm.end_activities, mem.end_activities)
    pd.testing.assert_frame_equal(dm.variants_covering(0.6), mem.variants_covering(0.6))
    pd.testing.assert_frame_equal(dm.to_frame(), mem.to_frame())
    assert dm.pruning == mem.pruning


# ---------------------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"activities": 5, "variants": 3},
        {"activities": 0.5, "variants": 1.0, "min_case_share": 0.6},
        {"activities": ["Gesuch eingereicht", "Bauentscheid", "Dossier erfassen", "Entscheid versenden"]},
    ],
)
def test_discover_tables_and_pruning_equal(permit, kw) -> None:
    assert_same_tables(*permit, **kw)


def test_discover_without_start_timestamps(subsidy_no_start) -> None:
    assert_same_tables(*subsidy_no_start)


def test_petri_net_from_variants_has_the_same_transitions(permit, tmp_path) -> None:
    log, duck = permit
    for noise in (0.2, 0.0):
        mem, dm = pm.discover(log, noise=noise), pm.discover(duck, noise=noise)
        assert transitions(dm.petri_net[0]) == transitions(mem.petri_net[0])
        assert len(dm.petri_net[0].places) == len(mem.petri_net[0].places)
    out = dm.to_bpmn(tmp_path / "model.bpmn")
    assert "bpmndi" in out.read_text(encoding="utf-8").lower()
    assert sum(dm.mined_variants.values()) == dm.pruning["cases_kept"]


def test_fitness_on_variants_equals_replaying_the_log(permit) -> None:
    log, duck = permit
    mem, dm = pm.discover(log), pm.discover(duck)
    for on in ("mined", "full"):
        a, b = mem.fitness(on=on), dm.fitness(on=on)
        for key in ("perc_fit_traces", "average_trace_fitness", "log_fitness"):
            assert b[key] == pytest.approx(a[key], rel=1e-12), key
        assert b["summary"] == a["summary"]
    a, b = mem.fitness(method="alignments", timeout=60), dm.fitness(method="alignments", timeout=60)
    for key in ("percentage_of_fitting_traces", "log_fitness", "cases_aligned", "variants_aligned"):
        assert b[key] == pytest.approx(a[key], rel=1e-12), key


def test_what_needs_events_loads_them_within_the_limit(permit, monkeypatch) -> None:
    log, shared = permit
    mem = pm.discover(log)
    dm = pm.discover(shared)
    assert dm.precision() == pytest.approx(mem.precision(), rel=1e-12)  # loads the events
    assert dm.mined_log.n_events == mem.mined_log.n_events
    assert dm.mined_variants == mem.mined_variants
    heur_mem, heur_duck = pm.discover(log, algorithm="heuristics"), pm.discover(shared, algorithm="heuristics")
    assert transitions(heur_duck.petri_net[0]) == transitions(heur_mem.petri_net[0])
    fresh = DuckLog(shared.source)
    monkeypatch.setattr(duck_engine, "MATERIALISE_LIMIT", 1000)
    big = pm.discover(fresh)
    with pytest.raises(LogError, match=r"ProcessModel\.precision needs every event"):
        big.precision()
    with pytest.raises(LogError, match="too large to analyse in memory"):
        _ = big.mined_log
    assert big.pruning == mem.pruning  # the aggregates never need the events
    with pytest.raises(ProcmineError, match="unknown"):
        pm.discover(shared, activities=["no such step"])
    fresh.close()


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"metric": "time", "activities": 0.5, "paths": 0.3},
        {"activities": 1.0, "paths": 1.0},
        {"activities": 0.3, "labels": {"Gesuch eingereicht": "Eingang"}},
        {"labels": "org:group"},
    ],
)
def test_process_map_graph_equal(permit, kw) -> None:
    log, duck = permit
    mem = viz.map_graph(log, **kw)
    got = pm.discover(duck).plot(**kw).graph
    pd.testing.assert_frame_equal(got.nodes, mem.nodes)
    pd.testing.assert_frame_equal(got.edges, mem.edges)
    assert got.shown == mem.shown


def test_process_map_outputs(permit, tmp_path) -> None:
    _log, duck = permit
    dm = pm.discover(duck)
    svg = dm.to_svg(tmp_path / "map.svg")
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg")
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert dm.plot(ax=ax) is ax
    assert "(DuckDB)" in repr(dm) and "mined on" in repr(dm)
    page = dm._repr_html_()
    assert "<svg" in page and "variant" in page


# ---------------------------------------------------------------------------------------
# performance
# ---------------------------------------------------------------------------------------
FRAMES = ("cases", "activities", "edges", "throughput")


def assert_same_performance(log, duck, calendar, **declared) -> Performance:
    """The frames, the wait causes and the step classification equal the in-memory ones,
    computed without loading the DuckLog (MATERIALISE_LIMIT 0: loading it would raise)."""
    mem = pm.performance(log, calendar=calendar, **declared)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck_engine, "MATERIALISE_LIMIT", 0)
        got = pm.performance(duck, calendar=calendar, **declared)
        assert type(got) is Performance and got.engine.capabilities.name == "duckdb"
        for name in FRAMES:
            pd.testing.assert_frame_equal(getattr(got, name), getattr(mem, name), obj=name)
            assert getattr(got, name).attrs == getattr(mem, name).attrs
        pd.testing.assert_frame_equal(got.wait_causes, mem.wait_causes, obj="wait_causes")
        pd.testing.assert_frame_equal(got.steps, mem.steps, obj="steps")
        pd.testing.assert_frame_equal(got.summary(), mem.summary())
        pd.testing.assert_frame_equal(got.to_frame(), mem.to_frame())
        assert got.freq == mem.freq
    return got


@pytest.mark.parametrize("calendar", [None, pm.Calendar.always()], ids=["working", "elapsed"])
def test_performance_equal(permit, subsidy_no_start, calendar) -> None:
    got = assert_same_performance(*permit, calendar)
    assert_same_performance(*subsidy_no_start, calendar)
    assert got.elapsed().calendar.is_elapsed
    pd.testing.assert_frame_equal(got.elapsed().cases, pm.performance(permit[0]).elapsed().cases)
    assert "(DuckDB)" in repr(got) and "<table" in got._repr_html_()


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_wait_causes_of_the_samples_with_declarations(name, tmp_path) -> None:
    """The shipped samples via Parquet, with start times, detected and declared causes."""
    log = pm.samples.load(name)
    acts = [str(a) for a in log.codes.activity_names]
    with DuckLog(log.to_parquet(tmp_path / f"{name}.parquet")) as duck:
        got = assert_same_performance(log, duck, None)
        assert set(got.wait_causes["cause"]) >= {"office", "client", "statutory"}
        declared = {"waits": {acts[0]: "batch", acts[1]: "statutory"}, "external": [acts[2]]}
        got = assert_same_performance(log, duck, pm.Calendar.always(), **declared)
        assert got.activities.loc[acts[0], "wait_batch"] > pd.Timedelta(0)
        # the per-event arrays (for analyses that work per event) do load the log
        assert got.causes.cause.shape == (log.n_events,)


def test_wait_causes_from_groups_resources_and_labels(tmp_path) -> None:
    """Steps recognised from the data, not the names: a system account, a query to another
    unit of the log (groups), readable labels in another column; read from a CSV export
    whose resource and unit columns are found by their headers."""
    rows = []
    t0 = pd.Timestamp("2024-01-08 08:00")
    for i in range(30):
        t = t0 + pd.Timedelta(days=i)
        steps = [("A10", "Bauamt", "Meier", 0), ("A20", "eBau-Portal", "system", 30),  # a portal records A20
                 ("A30", "Bauamt", "Meier", 31), ("A40", "Umweltamt", "Keller", 40 + i % 7),
                 ("A50", "Bauamt", "Huber", 80 + i % 3)]
        for code, unit, who, day in steps:
            rows.append({"Fall": f"F{i:03d}", "Aktivität": code, "Zeitpunkt": (t + pd.Timedelta(days=day, hours=i % 5))
                         .strftime("%d.%m.%Y %H:%M"), "Sachbearbeiter": who, "Amt": unit,
                         "Aktivitätsbezeichnung": {"A10": "Gesuch erfassen", "A20": "Unterlagen eingereicht",
                                                   "A30": "Rückfrage an Umweltamt", "A40": "Stellungnahme",
                                                   "A50": "Entscheid"}[code]})
    csv = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(csv, sep=";", index=False)
    log = pm.read_log(csv)
    with DuckLog(csv) as duck:
        got = assert_same_performance(log, duck, pm.Calendar.always())
    why = got.steps["why"]
    assert got.steps.loc["A20", "external"]
    assert "name: the outside world" in why["A20"] and "system account" in why["A20"]  # label column, resource
    assert not got.steps.loc["A30", "request"] and "another unit" in why["A30"]  # groups of it and the next step


# ---------------------------------------------------------------------------------------
# the analyses that load the events
# ---------------------------------------------------------------------------------------
def test_event_level_analyses_load_the_duck_log_once(permit, caplog) -> None:
    log, shared = permit
    duck = DuckLog(shared.source)  # not yet loaded by another test
    with caplog.at_level(logging.INFO, logger="procmine"):
        got = pm.find_redundancies(duck)
    assert "find_redundancies: loading the DuckDB log" in caplog.text
    pd.testing.assert_frame_equal(got.to_frame(), pm.find_redundancies(log).to_frame())
    assert as_eventlog(duck, "x") is as_eventlog(duck, "y")  # loaded once
    assert as_eventlog(log, "x") is log
    pd.testing.assert_frame_equal(pm.handovers(duck).to_frame(), pm.handovers(log).to_frame())
    pd.testing.assert_frame_equal(
        pm.compare(duck, by="Gemeinde").to_frame(), pm.compare(log, by="Gemeinde").to_frame()
    )
    remove = ["Dossier erfassen"]
    pd.testing.assert_frame_equal(
        pm.simplify(duck, remove=remove).to_frame(), pm.simplify(log, remove=remove).to_frame()
    )
    duck.close()


def test_report_on_a_duck_log(permit, tmp_path) -> None:
    _log, duck = permit
    out = pm.report(duck, tmp_path / "r.html", sections=["summary"])
    assert out.exists() and "<html" in out.read_text(encoding="utf-8").lower()


def test_too_large_to_load_is_refused(permit, monkeypatch) -> None:
    _log, duck = permit
    fresh = DuckLog(duck.source)
    monkeypatch.setattr(duck_engine, "MATERIALISE_LIMIT", 1000)
    with pytest.raises(LogError, match="too large to analyse in memory") as err:
        pm.find_redundancies(fresh)
    assert "filter it first" in str(err.value)
    with pytest.raises(LogError):
        pm.portfolio([fresh], "unused")
    fresh.close()


# ---------------------------------------------------------------------------------------
# a real log
# ---------------------------------------------------------------------------------------
def test_bpic12_discover_and_performance(bpic12) -> None:
    log, duck = bpic12
    mem, dm = pm.discover(log), pm.discover(duck)
    pd.testing.assert_frame_equal(dm.dfg, mem.dfg)
    pd.testing.assert_frame_equal(dm.variants, mem.variants)
    assert dm.pruning == mem.pruning
    g_mem, g_duck = viz.map_graph(log), dm.plot().graph
    pd.testing.assert_frame_equal(g_duck.edges, g_mem.edges)
    pd.testing.assert_frame_equal(g_duck.nodes, g_mem.nodes)
    got = assert_same_performance(log, duck, pm.Calendar.always())
    # start/complete rows are paired on reading: work items (W_) have processing times,
    # the application and offer events (A_, O_) are recorded at completion only
    proc = got.activities["processing_median"].dt.total_seconds()
    work = proc.index.str.startswith("W_")
    assert (proc[work] > 0).all() and (proc[~work] == 0).all()
    assert_same_performance(log, duck, None)


def test_filter_and_sample_give_smaller_duck_logs(permit) -> None:
    log, duck = permit
    with duck.filter("\"Gemeinde\" = 'Thun'") as part:
        ids = sorted(set(log.df.loc[log.df["Gemeinde"] == "Thun", "case:concept:name"]))
        mem = log.filter(cases=ids)
        assert part.n_cases == len(ids) > 0
        pd.testing.assert_frame_equal(pm.discover(part).dfg, pm.discover(mem).dfg)
        pd.testing.assert_frame_equal(pm.performance(part).activities, pm.performance(mem).activities)
        # the helper columns of the Parquet reader do not leak into the source columns
        assert sorted(part.to_eventlog().df.columns) == sorted(log.df.columns)
    with duck.sample(50, seed=1) as a, duck.sample(50, seed=1) as b, duck.sample(50, seed=2) as c:
        assert a.n_cases == 50
        pd.testing.assert_frame_equal(a.variants(), b.variants())
        assert set(a.case_durations().index) != set(c.case_durations().index)
    with duck.filter(cases=ids[:7]) as few:
        assert sorted(few.case_durations().index) == ids[:7]


# -- raw exports: roles, Swiss dates and local time detected as read_log does ----------------------
@pytest.mark.parametrize("name", ["permit_de.csv", "subsidy_fr.csv"])
def test_swiss_csv_export_equals_read_log(name: str) -> None:
    from procmine.samples._shipped import SAMPLE_LOGS_DIR

    path = SAMPLE_LOGS_DIR / name  # ';', German/French headers, dd.mm.yyyy HH:MM:SS, start times
    duck = pm.read_log(path, engine="duckdb")
    mem = pm.read_log(path)
    assert duck.has_start_timestamps and duck.n_events == mem.n_events
    pd.testing.assert_frame_equal(pm.discover(duck).dfg, pm.discover(mem).dfg)
    pd.testing.assert_frame_equal(pm.discover(duck).variants, pm.discover(mem).variants)
    pd.testing.assert_frame_equal(pm.performance(duck).edges, pm.performance(mem).edges)


def test_unreadable_rows_are_counted_and_naive_parquet_times_are_zurich(tmp_path) -> None:
    rows = [
        "Fall;Tätigkeit;Datum",
        "A;Eingang;03.01.2024 09:00",
        "A;Prüfung ;15.07.2024 10:30",  # trailing space trimmed, summer time
        "B;Eingang;31.02.2024 10:00",  # impossible date: dropped and counted
        "B; ;04.01.2024 08:00",  # blank activity: dropped and counted
        "C;Eingang;04.01.2024 08:00",
    ]
    csv = tmp_path / "export.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    duck = pm.read_log(csv, engine="duckdb")
    mem = pm.read_log(csv)
    assert duck.rows_read == 5 and duck.rows_dropped == 2 == mem.report.rows_dropped
    pd.testing.assert_frame_equal(pm.discover(duck).dfg, pm.discover(mem).dfg)
    assert pm.discover(duck).dfg["median"].iloc[0] == pd.Timedelta("194 days 00:30:00")  # 08:00 UTC -> 08:30 UTC
    naive = pd.DataFrame({"case:concept:name": ["A", "A"], "concept:name": ["x", "y"],
                          "time:timestamp": pd.to_datetime(["2024-03-30 12:00", "2024-04-02 12:00"])})
    pq_path = tmp_path / "naive.parquet"
    naive.to_parquet(pq_path)
    pd.testing.assert_frame_equal(pm.discover(pm.read_log(pq_path, engine="duckdb")).dfg,
                                  pm.discover(pm.read_log(pq_path)).dfg)  # DST starts in between: 71 h
    assert pm.discover(pm.read_log(pq_path, engine="duckdb")).dfg["median"].iloc[0] == pd.Timedelta(hours=71)


def test_a_source_without_recognisable_roles_names_its_columns(tmp_path) -> None:
    csv = tmp_path / "odd.csv"
    csv.write_text("a;b\n1;2\n3;4\n", encoding="utf-8")
    with pytest.raises(LogError, match="cannot tell which column"):
        pm.read_log(csv, engine="duckdb")


def test_text_start_times_beside_typed_completion_times(tmp_path) -> None:
    df = pd.DataFrame({"case:concept:name": ["A", "A", "B"], "concept:name": ["x", "y", "x"],
                       "time:timestamp": pd.to_datetime(["2024-03-04 10:00", "2024-03-05 10:00",
                                                         "2024-03-04 11:00"]).tz_localize("UTC"),
                       "start_timestamp": ["04.03.2024 10:00", "05.03.2024 09:00", "04.03.2024 10:30"]})
    path = tmp_path / "mixed.parquet"
    df.to_parquet(path)
    duck, mem = pm.read_log(path, engine="duckdb"), pm.read_log(path)
    assert duck.has_start_timestamps and mem.has_start_timestamps
    pd.testing.assert_frame_equal(pm.performance(duck).activities, pm.performance(mem).activities)


def test_duck_log_answers_to_event_log_names(permit) -> None:
    log, duck = permit
    # a property, as on an EventLog; the old method call still works, with a warning
    pd.testing.assert_series_equal(duck.activities, log.activities, check_index_type=False, check_series_type=False)
    with pytest.warns(DeprecationWarning, match="activities"):
        pd.testing.assert_series_equal(duck.activities(), log.activities, check_index_type=False)
    assert duck.has_start_timestamps is True
    with pytest.warns(DeprecationWarning, match="has_start_timestamps"):
        assert duck.has_start
    with pytest.warns(DeprecationWarning, match="DuckLog.filter"), duck.filter_cases(cases=["no such case"]) as none:
        assert none.n_cases == 0
