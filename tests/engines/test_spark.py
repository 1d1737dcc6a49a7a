"""The Spark prototype's functions give the same DFG, variants and durations as DuckDB/in-memory (local mode)."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm

pytest.importorskip("pyspark")


@pytest.mark.slow
def test_spark_matches_duckdb_and_memory(spark, tmp_path) -> None:
    from procmine.discovery import compute_dfg, compute_variants
    from procmine.engines.spark import spark_case_durations, spark_dfg, spark_variants

    log = pm.samples.load("permit_de")
    df = log.df[["case:concept:name", "concept:name", "time:timestamp", "start_timestamp"]].copy()
    df["rn"] = range(len(df))  # source order for ties in time
    path = tmp_path / "permit.parquet"
    df.to_parquet(path, index=False)
    sdf = spark.read.parquet(str(path))

    sd = spark_dfg(sdf, order="rn").set_index(["source", "target"]).sort_index()
    md = compute_dfg(log).set_index(["source", "target"]).sort_index()
    assert sd.index.equals(md.index)
    assert (sd["count"] == md["count"]).all() and (sd["cases"] == md["cases"]).all()
    assert (sd["median"] - md["median"]).abs().max() <= pd.Timedelta(microseconds=1)

    sv = spark_variants(sdf, order="rn")
    mv = compute_variants(log)
    assert dict(zip(sv["variant"], sv["cases"])) == dict(zip(mv["variant"], mv["cases"]))

    # spark_case_durations measures completions only: compare with completion-only durations
    ends = log.df.groupby("case:concept:name")["time:timestamp"].agg(lambda s: s.max() - s.min())
    sc = spark_case_durations(sdf)
    assert (sc.sort_index() == ends.sort_index()).all()


def test_spark_jvm_is_started_without_forking_this_process(monkeypatch):
    """pyspark's own launcher forks (``preexec_fn``): with a few GB loaded, strict overcommit
    refuses it (``OSError: [Errno 12]``, seen in CI). procmine's session starts the JVM in a new
    session instead, which lets subprocess use vfork/posix_spawn."""
    java_gateway = pytest.importorskip("pyspark.java_gateway")
    from procmine.engines import spark as spark_engine

    seen: dict = {}

    def recorder(command, **kwargs):
        seen.update(kwargs)
        return "process"

    monkeypatch.setattr(java_gateway, "Popen", recorder)
    with spark_engine._spawned_without_fork():
        assert java_gateway.Popen(["spark-submit"], preexec_fn=lambda: None, stdin=-1) == "process"
    assert "preexec_fn" not in seen
    assert seen["start_new_session"] is True and seen["stdin"] == -1
    assert java_gateway.Popen is recorder  # restored


def test_spark_labels_are_first_in_the_logs_order(spark, tmp_path) -> None:
    """Spark reads the steps' labels as memory does: each step's first in the log's order
    (cases by first appearance, then time), not the source's."""
    from procmine.engines._spark_perf import _SparkSql
    from procmine.engines.spark import SparkLog
    from procmine.waits._steps import _labels as memory_labels
    from tests.engines.test_duckdb import _labelled_events

    df = _labelled_events()
    df["rn"] = range(len(df))
    path = tmp_path / "labelled.parquet"
    df.to_parquet(path, index=False)
    mem = pm.read_log(path)
    names = sorted(mem.df["concept:name"].unique())
    want = memory_labels(mem, len(names))
    slog = SparkLog(spark.read.parquet(str(path)), order="rn", name="labelled")
    got = _SparkSql(slog.__procmine_engine__()).labels(names, {a: i for i, a in enumerate(names)})
    assert got == want and want[names.index("A")] == ["early label"]


def test_spark_map_labels_are_first_in_the_logs_order(spark, tmp_path) -> None:
    """A map labelled by a column shows, per step, memory's label: the first in the log's
    order among the events kept."""
    from procmine.engines.spark import SparkLog
    from tests.engines.test_duckdb import _labelled_events

    df = _labelled_events()
    df["rn"] = range(len(df))
    path = tmp_path / "labelled.parquet"
    df.to_parquet(path, index=False)
    slog = SparkLog(spark.read.parquet(str(path)), order="rn", name="labelled")
    got = slog.__procmine_engine__().activity_labels("activityNameEN")
    assert got["A"] == "early label" and got["B"] == "label B"
