"""discover, the process map and performance give the same results on every engine.

The same public functions run on an EventLog (memory), a DuckLog (DuckDB) and a SparkLog
(Spark, local mode, one thread, a small sample): the frames must be equal, not close.
The engines' aggregates (:class:`procmine.engines.Engine`) are compared too.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import procmine as pm
from procmine.engines import Engine, LogLike, get_engine, materialise, period_counts
from procmine.errors import LogError
from tests.conftest import shared_log

pytest.importorskip("duckdb")

from procmine.engines.duckdb import DuckLog


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
    _frames_equal(other.activity_times(), mem.activity_times())
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
    _frames_equal(pm.performance(duck).activities, pm.performance(log).activities)
    _frames_equal(pm.performance(duck).edges, pm.performance(log).edges)


@pytest.mark.shared_logs
def test_memory_and_duckdb_agree_on_bpic12(tmp_path) -> None:
    log = pm.read_log(shared_log("BPIC12.xes.gz"))
    with DuckLog(log.to_parquet(tmp_path / "bpic12.parquet")) as duck:
        assert_same_discovery(log, duck, petri=False)
        assert_same_aggregates(get_engine(log), get_engine(duck))


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
def spark_pair(tmp_path_factory):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover - depends on the machine
        pytest.skip("Spark needs a Java runtime")
    from procmine.engines.spark import SparkLog, local_session

    log = pm.samples.load("permit_de").sample(80, seed=3)
    df = log.df.copy()
    df["rn"] = range(len(df))  # the source order, for ties in time
    path = tmp_path_factory.mktemp("spark") / "permit.parquet"
    df.to_parquet(path, index=False)
    session = local_session(threads=1)
    session.sparkContext.setLogLevel("ERROR")
    yield log, SparkLog(session.read.parquet(str(path)), order="rn", name=log.name)
    session.stop()


@pytest.mark.slow
def test_spark_agrees_with_memory(spark_pair) -> None:
    log, slog = spark_pair
    assert slog.n_events == log.n_events and slog.n_cases == log.n_cases
    assert get_engine(slog).capabilities.name == "spark"
    assert_same_discovery(log, slog, petri=False, maps=MAP_OPTIONS[1:2])
    assert_same_aggregates(get_engine(log), get_engine(slog))
    # performance needs every event on Spark: loaded (small log), then the same frames
    _frames_equal(pm.performance(slog).activities, pm.performance(log).activities)
