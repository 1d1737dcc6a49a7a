"""The DuckDB engine gives the same DFG, variants and durations as the in-memory path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.discovery import compute_dfg, compute_variants, start_end_activities
from procmine.engines.duckdb import DuckLog
from procmine.errors import LogError
from tests.conftest import shared_log

pytest.importorskip("duckdb")


def assert_same(log: pm.EventLog, duck: DuckLog) -> None:
    assert duck.n_events == log.n_events and duck.n_cases == log.n_cases
    mem = compute_dfg(log).set_index(["source", "target"]).sort_index()
    dk = duck.dfg().set_index(["source", "target"]).sort_index()
    assert mem.index.equals(dk.index)
    assert (mem["count"] == dk["count"]).all() and (mem["cases"] == dk["cases"]).all()
    # durations: both exact to the microsecond (medians of integers may differ by rounding 0.5 µs)
    diff = (mem["median"] - dk["median"]).abs().max()
    assert diff <= pd.Timedelta(microseconds=1)
    assert (mem["mean"] - dk["mean"]).abs().max() <= pd.Timedelta(microseconds=1)

    mv = compute_variants(log)
    dv = duck.variants()
    assert dict(zip(mv["variant"], mv["cases"])) == dict(zip(dv["variant"], dv["cases"]))
    assert mv["cases"].tolist() == dv["cases"].tolist()

    md = log.case_durations().sort_index()
    dd = duck.case_durations().sort_index()
    assert md.index.equals(dd.index) and (md == dd).all()

    s_mem, e_mem = start_end_activities(log)
    assert s_mem.sort_index().to_dict() == duck.start_activities().sort_index().to_dict()
    assert e_mem.sort_index().to_dict() == duck.end_activities().sort_index().to_dict()


def test_same_results_on_bpic12(tmp_path) -> None:
    log = pm.read_log(shared_log("BPIC12.xes.gz"))
    path = log.to_parquet(tmp_path / "bpic12.parquet")
    with pm.read_log(path, engine="duckdb") as duck:
        assert_same(log, duck)


def test_same_results_on_generated_log(tmp_path) -> None:
    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path / "permit.parquet")
    with DuckLog(path) as duck:
        assert_same(log, duck)


def test_folder_of_parquet_parts_and_frame(tmp_path) -> None:
    log = pm.samples.load("subsidy_fr")
    df = log.df
    half = df[df["case:concept:name"].isin(log.codes.case_ids[: log.n_cases // 2])]
    rest = df.drop(half.index)
    (tmp_path / "parts").mkdir()
    half.to_parquet(tmp_path / "parts" / "a.parquet", index=False)
    rest.to_parquet(tmp_path / "parts" / "b.parquet", index=False)
    with DuckLog(tmp_path / "parts") as duck:
        assert_same(log, duck)
    with DuckLog(df) as duck:
        assert_same(log, duck)


def test_ties_keep_source_order(tmp_path) -> None:
    t = pd.Timestamp("2024-01-01", tz="UTC")
    df = pd.DataFrame({
        "case:concept:name": ["1", "1", "1", "2", "2"],
        "concept:name": ["a", "c", "b", "a", "b"],
        "time:timestamp": [t, t + pd.Timedelta(1, "h"), t + pd.Timedelta(1, "h"), t, t],
    })
    log = pm.EventLog(df)
    p = tmp_path / "ties.parquet"
    df.to_parquet(p, index=False)
    with DuckLog(p) as duck:
        assert_same(log, duck)
        assert duck.variants()["variant"].tolist() == [("a", "c", "b"), ("a", "b")] or \
            sorted(duck.variants()["variant"].tolist()) == sorted([("a", "c", "b"), ("a", "b")])


def test_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(LogError, match=r"nope\.parquet"):
        DuckLog(tmp_path / "nope.parquet")
    p = tmp_path / "x.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(p)
    with pytest.raises(LogError, match=r"cannot tell which column holds the case.*\['a'\]"):
        DuckLog(p)
    with pytest.raises(pm.ParameterError, match=r"'engine' parameter of read_log"):
        pm.read_log(p, engine="spark")
    assert np.isfinite(1.0)
