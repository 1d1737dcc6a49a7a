"""discover, the process map and performance give the same results on every engine.

The same public functions run on an EventLog (memory), a DuckLog (DuckDB) and a SparkLog
(Spark, local mode, one thread, a small sample): the frames must be equal, not close.
The engines' aggregates (:class:`procmine.engines.Engine`) are compared too, and each
engine's Performance has the one result shape (repr, HTML, ``to_frame()``, ``plot(ax=)``).
"""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine.engines import Engine, LogLike, get_engine, materialise, period_counts
from procmine.errors import LogError
from tests.conftest import shared_log

pytest.importorskip("duckdb")

from procmine.engines import duckdb as duck_engine
from procmine.engines.duckdb import DuckLog

PERF_FRAMES = ("cases", "activities", "edges", "throughput")
CAUSE_COLUMNS = ("wait_office", "wait_client", "wait_statutory", "wait_batch")


def _frames_equal(a: pd.DataFrame | pd.Series, b: pd.DataFrame | pd.Series) -> None:
    """Equal values, columns and order; the index dtype (object or str) may differ."""
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_index_type=False)
    else:
        pd.testing.assert_frame_equal(a, b, check_index_type=False)


MAP_OPTIONS = ({}, {"metric": "time", "activities": 0.5, "paths": 0.5}, {"min_cases": 1})


def assert_same_discovery(mem_log, other, *, petri: bool = True, maps=MAP_OPTIONS, **kw) -> None:
    mem, got = pm.discover(mem_log, **kw), pm.discover(other, **kw)
    assert type(got) is pm.ProcessModel  # one model class, never subclassed per engine
    for view in ("dfg", "variants", "start_activities", "end_activities"):
        _frames_equal(getattr(got, view), getattr(mem, view))
    _frames_equal(got.variants_covering(0.6), mem.variants_covering(0.6))
    assert got.pruning == mem.pruning
    assert got.mined_variants == mem.mined_variants
    for opts in maps:
        g_mem, g_got = mem.plot(ax=None, **opts).graph, got.plot(**opts).graph
        _frames_equal(g_got.nodes, g_mem.nodes)
        _frames_equal(g_got.edges, g_mem.edges)
        assert g_got.shown == g_mem.shown
    if petri:
        a, b = mem.fitness(), got.fitness()
        assert b["log_fitness"] == pytest.approx(a["log_fitness"], rel=1e-12)
        assert b["summary"] == a["summary"]
    text = repr(got).replace(got.engine.capabilities.label, "").replace(repr(got.log.name), repr(mem.log.name))
    assert text == repr(mem)


def assert_same_aggregates(mem: Engine, other: Engine) -> None:
    _frames_equal(other.activity_counts(), mem.activity_counts())
    _frames_equal(other.activity_cases(), mem.activity_cases())
    for table in ("perf_activities", "perf_edges", "perf_cases"):  # elapsed time, no declarations
        _frames_equal(getattr(other, table)(pm.Calendar.always(), ((), ())), getattr(mem, table)(pm.Calendar.always(), ((), ())))
    _frames_equal(other.case_times(), mem.case_times())
    _frames_equal(other.case_durations().sort_index(), mem.case_durations().sort_index())
    _frames_equal(period_counts(other, "M"), period_counts(mem, "M"))
    vm, vo = mem.variant_counts(), other.variant_counts()
    _frames_equal(vo[["variant", "cases"]], vm[["variant", "cases"]])
    kept = mem.activity_counts().index[:6].tolist()
    key = ["source", "target"]
    pm_, po = mem.map_paths(kept), other.map_paths(kept)
    pm_ = pm_.fillna({"source": "", "target": ""}).sort_values(key, ignore_index=True)
    po = po.fillna({"source": "", "target": ""}).sort_values(key, ignore_index=True)
    _frames_equal(po, pm_)


def assert_same_performance(mem_log, other, calendar=None, **declared) -> pm.Performance:
    """One Performance class whatever the engine; its frames, summary and table equal the
    in-memory ones. An engine that does not split the waits by cause
    (``capabilities.wait_causes`` false; none of procmine's engines) gives the same frames
    without the cause columns."""
    mem, got = pm.performance(mem_log, calendar=calendar, **declared), pm.performance(other, calendar=calendar, **declared)
    assert type(got) is pm.Performance and got.engine.log is other  # one class, holding the engine
    causes = got.engine.capabilities.wait_causes
    for name in PERF_FRAMES:
        want, have = getattr(mem, name), getattr(got, name)
        if not causes:
            assert not set(CAUSE_COLUMNS) & set(have.columns), name
            want = want.drop(columns=[c for c in CAUSE_COLUMNS if c in want.columns])
        pd.testing.assert_frame_equal(have, want, check_index_type=False, obj=name)
        assert have.attrs == want.attrs
    _frames_equal(got.summary(), mem.summary())
    want = mem.to_frame()
    _frames_equal(got.to_frame(), want if causes else want.drop(columns=[c for c in want if c.startswith(CAUSE_COLUMNS)]))
    assert got.freq == mem.freq
    text = repr(got).replace(got.engine.capabilities.label, "").replace(repr(got.engine.name), repr(mem.log.name))
    assert text == repr(mem)
    return got


def assert_result_shape(perf: pm.Performance) -> None:
    """The one result shape of procmine's results, on any engine."""
    from matplotlib.figure import Figure

    text = repr(perf)
    assert "\n" not in text and text.startswith("<Performance ") and perf.engine.capabilities.label in text
    page = perf._repr_html_()
    assert "<table" in page and perf.engine.name in page
    frame = perf.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame[perf.activities.index.name].tolist() == perf.activities.index.tolist()
    for kind in ("durations", "activities", "wip"):
        ax = Figure().add_subplot()
        assert perf.plot(ax=ax, kind=kind) is ax and ax.has_data()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """(memory, DuckDB) pairs: a sample with start times, one without."""
    out = {}
    folder = tmp_path_factory.mktemp("engines")
    permit = pm.samples.load("permit_de")
    subsidy = pm.samples.load("subsidy_fr")
    subsidy = pm.read_log(subsidy.df.drop(columns=["start_timestamp"]))
    for name, log in (("permit", permit), ("subsidy", subsidy)):
        out[name] = (log, DuckLog(log.to_parquet(folder / f"{name}.parquet")))
    yield out
    for _log, duck in out.values():
        duck.close()


@pytest.mark.parametrize("name", ["permit", "subsidy"])
def test_memory_and_duckdb_agree(samples, name) -> None:
    log, duck = samples[name]
    assert_same_discovery(log, duck)
    assert_same_discovery(log, duck, petri=False, activities=5, variants=3, min_case_share=0.3)
    assert_same_aggregates(get_engine(log), get_engine(duck))
    with pytest.MonkeyPatch.context() as mp:  # computed in DuckDB: loading the log would raise
        mp.setattr(duck_engine, "MATERIALISE_LIMIT", 0)
        assert_result_shape(assert_same_performance(log, duck))
        assert_same_performance(log, duck, pm.Calendar.always(), external=[log.activities.index[-1]])


@pytest.mark.shared_logs
def test_memory_and_duckdb_agree_on_bpic12(tmp_path) -> None:
    log = pm.read_log(shared_log("BPIC12.xes.gz"))
    with DuckLog(log.to_parquet(tmp_path / "bpic12.parquet")) as duck:
        assert_same_discovery(log, duck, petri=False)
        assert_same_aggregates(get_engine(log), get_engine(duck))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(duck_engine, "MATERIALISE_LIMIT", 0)
            perf = assert_same_performance(log, duck)
        pd.testing.assert_frame_equal(perf.wait_causes, pm.performance(log).wait_causes)


def test_engine_registry_and_materialise(samples) -> None:
    log, duck = samples["permit"]
    assert get_engine(log).capabilities.in_memory
    caps = get_engine(duck).capabilities
    assert (caps.name, caps.in_memory, caps.start_times) == ("duckdb", False, True)
    assert isinstance(get_engine(duck), Engine)
    assert isinstance(log, LogLike) and isinstance(duck, LogLike)  # what read_log returns
    with pytest.raises(LogError, match="not an event log"):
        get_engine("a file name")
    assert materialise(log, "x") is log
    assert materialise(duck, "x").n_events == log.n_events


# ---------------------------------------------------------------------------------------
# Spark (local mode, one thread, a small log)
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_pairs(spark, tmp_path_factory):
    """(memory, Spark) pairs of 80 cases: a sample with start times, one without."""
    from procmine.engines.spark import SparkLog

    folder = tmp_path_factory.mktemp("spark")
    out = {}
    for name in ("permit_de", "subsidy_fr"):
        log = pm.samples.load(name).sample(80, seed=3)
        if name == "subsidy_fr":
            log = pm.read_log(log.df.drop(columns=["start_timestamp"]))
            log.name = name
        df = log.df.copy()
        df["rn"] = range(len(df))  # the source order, for ties in time
        df.to_parquet(folder / f"{name}.parquet", index=False)
        out[name] = log, SparkLog(spark.read.parquet(str(folder / f"{name}.parquet")), order="rn", name=log.name)
    return out


@pytest.mark.slow
def test_spark_agrees_with_memory(spark_pairs) -> None:
    log, slog = spark_pairs["permit_de"]
    assert slog.n_events == log.n_events and slog.n_cases == log.n_cases
    assert get_engine(slog).capabilities.name == "spark"
    assert_same_discovery(log, slog, petri=False, maps=MAP_OPTIONS[1:2])
    assert_same_aggregates(get_engine(log), get_engine(slog))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "calendar", "declare"),
                         [("permit_de", None, False), ("subsidy_fr", pm.Calendar.always(), True)],
                         ids=["start-times-working", "no-start-elapsed-declared"])
def test_spark_performance_without_loading_the_events(spark_pairs, name, calendar, declare) -> None:
    """Every frame, the wait causes and the step classification come from Spark."""
    from procmine.engines import spark as spark_engine

    log, slog = spark_pairs[name]
    acts = log.activities.index.tolist()
    declared = {"waits": {acts[0]: "batch"}, "external": [acts[-1]]} if declare else {}
    with pytest.MonkeyPatch.context() as mp:  # loading the log would raise
        mp.setattr(spark_engine, "MATERIALISE_LIMIT", 0)
        perf = assert_same_performance(log, slog, calendar, **declared)
        mem = pm.performance(log, calendar=calendar, **declared)
        pd.testing.assert_frame_equal(perf.wait_causes, mem.wait_causes)
        pd.testing.assert_frame_equal(perf.steps, mem.steps)
        assert_result_shape(perf)
        with pytest.raises(LogError, match="too large to analyse in memory"):
            perf.causes  # noqa: B018 - the cause of every event, as arrays, needs the events
    # within the limit, the per-event arrays are those of the events loaded into memory
    assert (perf.causes.cause == mem.causes.cause).all()


def _tricky_frame() -> pd.DataFrame:
    """Ties in time (source order decides), a start after its completion (ignored), a start
    before the previous completion (no waiting), missing starts, a one-event case, a case
    over a weekend and a holiday (working time)."""
    t = pd.Timestamp("2024-07-31 16:00", tz="Europe/Zurich")  # 1 August: Swiss national holiday
    h = pd.Timedelta(hours=1)
    rows = [
        ("c1", "Eingang", t, t - h), ("c1", "Prüfung", t + 3 * h, t + 5 * h),  # start after completion
        ("c1", "Entscheid", t + 3 * h, None), ("c1", "Versand", t + 72 * h, t + 2 * h),  # tie; overlap
        ("c2", "Eingang", t + 24 * h, None), ("c2", "Entscheid", t + 100 * h, t + 99 * h),
        ("c3", "Eingang", t + 30 * h, t + 29 * h),  # one event
        ("c4", "Prüfung", t + 5 * h, None), ("c4", "Prüfung", t + 5 * h, None), ("c4", "Eingang", t + 200 * h, t),
    ]
    return pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp", "start_timestamp"])


@pytest.mark.parametrize("calendar", [None, pm.Calendar.always()], ids=["working", "elapsed"])
def test_tricky_events_agree_on_duckdb(tmp_path, calendar) -> None:
    log = pm.read_log(_tricky_frame())
    with DuckLog(log.to_parquet(tmp_path / "tricky.parquet")) as duck:
        assert_same_performance(log, duck, calendar)
        assert_same_aggregates(get_engine(log), get_engine(duck))


@pytest.mark.slow
def test_tricky_events_agree_on_spark(spark, tmp_path) -> None:
    from procmine.engines.spark import SparkLog

    log = pm.read_log(_tricky_frame())
    df = log.df.copy()
    df["rn"] = range(len(df))
    df.to_parquet(tmp_path / "tricky.parquet", index=False)
    slog = SparkLog(spark.read.parquet(str(tmp_path / "tricky.parquet")), order="rn", name=log.name)
    assert_same_performance(log, slog)
    assert_same_aggregates(get_engine(log), get_engine(slog))


@pytest.mark.slow
@pytest.mark.shared_logs
def test_spark_agrees_with_memory_on_bpic12(spark, tmp_path) -> None:
    """The same public functions on a real log of 262k events: Spark gives memory's frames."""
    from procmine.engines import spark as spark_engine
    from procmine.engines.spark import SparkLog

    log = pm.read_log(shared_log("BPIC12.xes.gz"))
    df = log.df.copy()  # start and complete paired at the read: start times included
    df["rn"] = range(len(df))  # the source order, for ties in time
    df.to_parquet(tmp_path / "bpic12.parquet", index=False)
    slog = SparkLog(spark.read.parquet(str(tmp_path / "bpic12.parquet")), order="rn", name=log.name)
    assert (slog.n_events, slog.n_cases) == (log.n_events, log.n_cases)
    assert_same_discovery(log, slog, petri=False, maps=MAP_OPTIONS[1:2])
    assert_same_aggregates(get_engine(log), get_engine(slog))
    with pytest.MonkeyPatch.context() as mp:  # computed in Spark: loading the log would raise
        mp.setattr(spark_engine, "MATERIALISE_LIMIT", 0)
        perf = assert_same_performance(log, slog)
    pd.testing.assert_frame_equal(perf.wait_causes, pm.performance(log).wait_causes)
