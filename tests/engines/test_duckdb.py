"""The DuckDB engine gives the same DFG, variants and durations as the in-memory path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.discovery import compute_dfg, compute_variants, start_end_activities
from procmine.engines.duckdb import DuckLog
from procmine.errors import LogError, ParameterError
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


@pytest.mark.parametrize("order", ["source", "sorted"])
@pytest.mark.parametrize("first", ["dfg", "performance"])
def test_the_cases_per_pair_are_counted_once_for_the_dfg_and_the_performance_edges(tmp_path, monkeypatch, first, order):
    """One count of the cases per pair serves the DFG and the performance edges: by one
    query over the sorted events, or on the way by the streaming pass over a source in
    case order (no query at all)."""
    log = pm.samples.load("permit_de")
    path = tmp_path / "permit.parquet"
    df = log.df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    (df if order == "source" else df.sample(frac=1.0, random_state=1)).to_parquet(path, index=False)
    log = pm.read_log(path)
    queries: list[str] = []
    with pm.read_log(path, engine="duckdb") as duck:
        run = duck._df
        monkeypatch.setattr(duck, "_df", lambda sql: queries.append(sql) or run(sql))
        figures = {"dfg": lambda: pm.discover(duck).dfg, "performance": lambda: pm.performance(duck).edges}
        got = {k: figures[k]() for k in (first, *(k for k in figures if k != first))}
        assert duck._seq_order == order
    assert sum("SELECT DISTINCT case_id" in q for q in queries) == (order == "sorted")
    mem_dfg, mem_edges = pm.discover(log).dfg, pm.performance(log).edges
    assert got["dfg"][["source", "target", "count", "cases"]].equals(mem_dfg[["source", "target", "count", "cases"]])
    key = ["source", "target"]
    ours = got["performance"].sort_values(key).reset_index(drop=True)
    theirs = mem_edges.sort_values(key).reset_index(drop=True)
    assert ours[[*key, "count", "cases"]].equals(theirs[[*key, "count", "cases"]])


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


def test_source_in_case_order_and_shuffled_give_the_same_figures(tmp_path) -> None:
    # a source grouped by case and ordered by time is ordered by one streaming pass, any
    # other by a sort per case: both must give the in-memory figures, to the event
    log = pm.samples.load("permit_de")
    df = log.df
    ordered = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    ordered.to_parquet(tmp_path / "ordered.parquet", index=False)
    shuffled = df.sample(frac=1.0, random_state=3)
    shuffled.to_parquet(tmp_path / "shuffled.parquet", index=False)
    # a case split in two runs, each run in time order: not in case order
    split = pd.concat([ordered.iloc[5:], ordered.iloc[:5]])
    split.to_parquet(tmp_path / "split.parquet", index=False)
    for name, how in (("ordered", "source"), ("shuffled", "sorted"), ("split", "sorted")):
        path = tmp_path / f"{name}.parquet"
        mem = pm.read_log(path)  # ties in time follow the source order: the file's own
        with DuckLog(path) as duck:
            assert_same(mem, duck)
            assert duck._seq_order == how
            pd.testing.assert_frame_equal(pm.performance(duck).activities, pm.performance(mem).activities)
            pd.testing.assert_frame_equal(pm.performance(duck).edges, pm.performance(mem).edges)


def test_failed_ordering_is_reported_once_with_what_to_do(tmp_path, monkeypatch) -> None:
    import duckdb

    log = pm.samples.load("subsidy_fr")
    path = log.to_parquet(tmp_path / "subsidy.parquet")
    calls = []

    def out_of_memory(self) -> None:
        calls.append(1)
        raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB")

    with DuckLog(path) as duck:
        monkeypatch.setattr(DuckLog, "_build_seq", out_of_memory)
        with pytest.raises(LogError, match=r"memory_limit=.*temp_directory=") as first:
            duck.dfg()
        assert "OutOfMemoryException" in str(first.value) and "subsidy.parquet" in str(first.value)
        # later figures raise the same error at once instead of ordering again
        with pytest.raises(LogError) as second:
            pm.discover(duck).variants  # noqa: B018
        assert second.value is first.value and len(calls) == 1
        monkeypatch.undo()


def test_out_of_memory_in_a_figure_says_what_to_do(tmp_path, monkeypatch) -> None:
    """Past the ordering, a figure that runs out of room (seen on 100 M events under a 3 GB
    limit, in performance) raises a LogError with the file and the remedy, not DuckDB's own."""
    import duckdb

    path = pm.samples.load("subsidy_fr").to_parquet(tmp_path / "subsidy.parquet")

    class Tight:
        def __init__(self, con) -> None:
            self.con = con

        def execute(self, sql, *args):
            if "perf_" in sql:
                raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB (2.7 GiB/2.7 GiB used)")
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    from procmine.engines import duckdb as duck_engine

    monkeypatch.setattr(duck_engine, "MATERIALISE_LIMIT", 0)  # computed in DuckDB, as a large log
    with DuckLog(path) as duck:
        duck.dfg()  # the ordered table exists: the failure comes later
        real, duck.con = duck.con, Tight(duck.con)
        try:
            with pytest.raises(LogError, match=r"could not compute this figure.*memory_limit=.*temp_directory=") as err:
                pm.performance(duck).activities  # noqa: B018 - computed on first access
            assert "OutOfMemoryException" in str(err.value) and "subsidy.parquet" in str(err.value)
        finally:
            duck.con = real
        assert len(pm.performance(duck).activities)  # with room again, the figure comes


def test_read_log_passes_memory_limit_and_spill_folder(tmp_path) -> None:
    log = pm.samples.load("subsidy_fr")
    path = log.to_parquet(tmp_path / "subsidy.parquet")
    spill = tmp_path / "spill"
    with pm.read_log(path, engine="duckdb", memory_limit="512MB", temp_directory=spill) as duck:
        limit, folder = duck.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()[0]
        assert limit.replace(" ", "") in ("512.0MiB", "488.2MiB", "512MB", "488.2MB") and folder == str(spill)
        assert duck.dfg().equals(compute_dfg(log))
    with pytest.raises(ParameterError, match="memory_limit"):
        pm.read_log(path, memory_limit="1GB")


def _permit_in_case_order(rows: int) -> pd.DataFrame:
    """The first ``rows`` events of the permit sample, grouped by case and ordered by time."""
    df = pm.samples.load("permit_de").df
    return df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").iloc[:rows].reset_index(drop=True)


@pytest.mark.parametrize("batch", [1, 7, 1 << 20])
def test_streaming_pass_across_batch_edges(tmp_path, monkeypatch, batch) -> None:
    """The ordered table of a source in case order is written batch by batch: a case and
    its neighbours across a batch edge give the same figures as in memory."""
    from procmine.engines.duckdb import _stream

    monkeypatch.setattr(_stream, "STREAM_BATCH", batch)
    ordered = _permit_in_case_order(400)
    ordered.loc[ordered.index[::7], "start_timestamp"] = pd.NaT  # some steps without a start time
    path = tmp_path / "ordered.parquet"
    ordered.to_parquet(path, index=False)
    mem = pm.read_log(path)
    with DuckLog(path) as duck:
        assert_same(mem, duck)
        assert duck._seq_order == "source"
        # the variants, cases per pair and start/end counts came from the pass, not from SQL
        assert {"variants", "first_last", "edge cases"} <= set(duck._cache)
        pd.testing.assert_frame_equal(pm.discover(duck).variants, pm.discover(mem).variants)
        pd.testing.assert_frame_equal(pm.discover(duck).dfg, pm.discover(mem).dfg)
        pd.testing.assert_frame_equal(pm.performance(duck).activities, pm.performance(mem).activities)
        pd.testing.assert_frame_equal(pm.performance(duck).edges, pm.performance(mem).edges)


@pytest.mark.filterwarnings("ignore:.*implausible log")
@pytest.mark.parametrize("at", [6, 7, 8])
def test_streaming_pass_finds_a_step_back_in_time_at_a_batch_edge(tmp_path, monkeypatch, at) -> None:
    """Past the first rows, a time that goes back within a case is found whichever batch its
    predecessor was in; the events are then sorted, with the same figures as in memory."""
    from procmine.engines.duckdb import _setup, _stream

    monkeypatch.setattr(_stream, "STREAM_BATCH", 7)
    monkeypatch.setattr(_setup, "_SAMPLE", 3)
    ordered = _permit_in_case_order(60)
    case = ordered.loc[at, "case:concept:name"]
    assert ordered.loc[at - 1, "case:concept:name"] == case  # rows at-1 and at: the same case
    ordered.loc[at, "time:timestamp"] = ordered.loc[at - 1, "time:timestamp"] - pd.Timedelta(hours=1)
    ordered.loc[at, "start_timestamp"] = pd.NaT
    path = tmp_path / "back.parquet"
    ordered.to_parquet(path, index=False)
    mem = pm.read_log(path)
    with DuckLog(path) as duck:
        assert_same(mem, duck)
        assert duck._seq_order == "sorted"


def test_empty_and_single_event_sources(tmp_path) -> None:
    df = pm.samples.load("permit_de").df.iloc[:1]
    df.to_parquet(tmp_path / "one.parquet", index=False)
    with DuckLog(tmp_path / "one.parquet") as duck:
        assert duck.dfg().empty and duck.variants()["cases"].tolist() == [1]
        assert len(pm.performance(duck).activities) == 1


@pytest.mark.parametrize("batch", [7, 1 << 18], ids=["small-batches", "one-batch"])
@pytest.mark.parametrize("order", ["case-order", "shuffled"])
def test_working_times_are_paired_with_the_ordered_events_by_position(tmp_path, monkeypatch, batch, order) -> None:
    """Working times come from a pass over the ordered table (numpy lookups in the
    calendar, batch by batch) paired with it by position: across batch edges, with
    starts missing, for a table streamed from a source in case order or sorted from a
    shuffled one, the figures equal those in memory."""
    from procmine.engines.duckdb import _stream

    monkeypatch.setattr(_stream, "STREAM_BATCH", batch)
    log = pm.samples.load("permit_de")
    df = log.df.copy()
    df.loc[df.index[::5], "start_timestamp"] = pd.NaT
    if order == "shuffled":
        df = df.sample(frac=1, random_state=3)
    path = tmp_path / "permit.parquet"
    df.to_parquet(path, index=False)
    mem_log = pm.read_log(path)
    cal = pm.Calendar(canton="BE")
    with DuckLog(path) as duck:
        perf, mem = pm.performance(duck, calendar=cal), pm.performance(mem_log, calendar=cal)
        for view in ("activities", "edges", "cases"):
            pd.testing.assert_frame_equal(getattr(perf, view), getattr(mem, view), check_exact=True,
                                          check_index_type=False)
        assert duck._seq_order == ("source" if order == "case-order" else "sorted")


def test_activity_names_with_the_variant_separator_are_refused_after_the_pass(tmp_path) -> None:
    df = pm.samples.load("permit_de").df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    df = df.assign(**{"concept:name": df["concept:name"].str.replace("e", "e\x1f", n=1)})
    df.to_parquet(tmp_path / "sep.parquet", index=False)
    with DuckLog(tmp_path / "sep.parquet") as duck, pytest.raises(LogError, match="U\\+001F"):
        duck.variants()


def test_activities_sum_the_case_durations_without_the_case_table(tmp_path, monkeypatch) -> None:
    """``.activities`` needs only the total case time: out of core one sum, not the per-case
    table (19 s of 170 on 100 M events); the shares equal those in memory."""
    from procmine.engines._sql_perf import SqlPerf

    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path / "permit.parquet")
    with DuckLog(path) as duck:
        monkeypatch.setattr(SqlPerf, "perf_cases", lambda self: pytest.fail("the per-case table was read"))
        got = pm.performance(duck).activities
        monkeypatch.undo()
        pd.testing.assert_frame_equal(got, pm.performance(log).activities)


def test_cases_per_activity_come_from_the_variants_once_they_are_known(tmp_path) -> None:
    """A case holds exactly its variant's activities: with the variants known, the map's
    cases per activity are summed over them (not over every event's distinct (case,
    activity)); an activity repeated in a case counts that case once, as in memory."""
    from procmine.engines import get_engine

    log = pm.samples.load("permit_de")
    assert (log.df.groupby(["case:concept:name", "concept:name"]).size() > 1).any()  # repeats exist
    path = log.to_parquet(tmp_path / "permit.parquet")
    with DuckLog(path) as duck:
        engine = get_engine(duck)
        by_sql = engine.activity_cases()  # no variants yet: the distinct pairs
        duck._cache.pop("variants", None)
        duck.variants()
        assert "variants" in duck._cache
        sql = []
        real = duck._df
        duck._df = lambda q: sql.append(q) or real(q)
        by_variants = engine.activity_cases()
        assert not any("DISTINCT case_id" in q for q in sql)
    pd.testing.assert_series_equal(by_variants, by_sql)
    pd.testing.assert_series_equal(by_variants, get_engine(log).activity_cases(), check_index_type=False)


def _labelled_events() -> pd.DataFrame:
    """Six steps with an English label column; step A's label differs between its events, and
    the source lists case c1's later A first (source order is not the log's order)."""
    t = pd.Timestamp("2024-03-04 08:00")
    rows = [("c1", "A", t + pd.Timedelta(hours=5), "late label"), ("c1", "A", t, "early label")]
    for k, act in enumerate("BCDEF"):
        rows.append(("c1", act, t + pd.Timedelta(hours=6 + k), f"label {act}"))
        rows.append(("c2", act, t + pd.Timedelta(days=1, hours=k), f"label {act}"))
    return pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp", "activityNameEN"])


def test_labels_are_first_in_the_logs_order_not_the_sources(tmp_path) -> None:
    """The readable labels the wait-cause rules read (BPIC15's activityNameEN) are each
    step's first in the order of the log (cases by first appearance, then time), as in
    memory; taken in source order, a shuffled BPIC15 classified a few waits otherwise."""
    from procmine.engines.duckdb._perf import _labels as duck_labels
    from procmine.waits._steps import _labels as memory_labels

    path = tmp_path / "labelled.parquet"
    _labelled_events().to_parquet(path, index=False)
    mem = pm.read_log(path)
    names = sorted(mem.df["concept:name"].unique())
    want = memory_labels(mem, len(names))
    assert want[names.index("A")] == ["early label"]
    with DuckLog(path) as duck:
        duck._prepare()
        assert duck_labels(duck, len(names), {a: i for i, a in enumerate(names)}) == want


def test_shuffled_bpic15_wait_causes_equal_memory(tmp_path) -> None:
    log = pm.read_log(shared_log("BPIC15_1.xes.gz"))
    path = tmp_path / "shuffled.parquet"
    log.df.sample(frac=1.0, random_state=5).to_parquet(path, index=False)
    mem = pm.read_log(path)
    with DuckLog(path) as duck:
        duck._prepare()
        assert duck._seq_order == "sorted"  # the source is not in case order
        perf, want = pm.performance(duck, calendar=pm.Calendar.always()), pm.performance(mem, calendar=pm.Calendar.always())
        pd.testing.assert_frame_equal(perf.wait_causes, want.wait_causes, check_exact=True)
        pd.testing.assert_frame_equal(perf.activities, want.activities, check_exact=True)


def test_map_labels_are_first_in_the_logs_order(tmp_path) -> None:
    """A map labelled by a column shows, per step, the value memory shows: the first in
    the log's order among the events kept (a row dropped for its missing time is not)."""
    from procmine.engines._map import engine_map_graph
    from procmine.viz import map_graph

    df = _labelled_events()
    dropped = pd.DataFrame({"case:concept:name": ["c0"], "concept:name": ["B"], "time:timestamp": [pd.NaT],
                            "activityNameEN": ["dropped row"]})
    path = tmp_path / "labelled.parquet"
    pd.concat([dropped, df], ignore_index=True).to_parquet(path, index=False)
    mem = pm.read_log(path)
    with DuckLog(path) as duck:
        got = duck.__procmine_engine__().activity_labels("activityNameEN")
        assert got["A"] == "early label" and got["B"] == "label B"
        want = map_graph(mem, labels="activityNameEN", min_cases=1)
        shown = engine_map_graph(duck.__procmine_engine__(), labels="activityNameEN", min_cases=1)
        pd.testing.assert_frame_equal(shown.nodes, want.nodes)


def test_batches_made_ahead_keep_their_order_and_raise_their_errors() -> None:
    """The ordered table's batches are made in a thread ahead of DuckDB's writer: every
    item in order, an error of the producer raised to the consumer, and a consumer that
    stops early stops the thread."""
    from procmine.engines.duckdb._stream import Prefetched

    assert list(Prefetched(range(1000))) == list(range(1000))
    assert list(Prefetched([])) == []

    def failing():
        yield 1
        yield 2
        raise ValueError("batch 3 is broken")

    got = []
    with pytest.raises(ValueError, match="batch 3"):
        for item in Prefetched(failing()):
            got.append(item)
    assert got == [1, 2]

    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    ahead = Prefetched(endless())
    for item in ahead:
        if item == 3:
            break
    ahead.close()
    assert not ahead._thread.is_alive() and len(made) <= 4 + 2 + 1  # at most PREFETCH (+1 in hand) beyond


def test_a_failing_batch_of_the_ordering_pass_is_raised(tmp_path, monkeypatch) -> None:
    """An error while a batch of the ordered table is made (in the thread ahead of the
    writer) reaches the caller, as it did when the writer made the batch itself."""
    from procmine.engines.duckdb import _stream

    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path / "permit.parquet")
    monkeypatch.setattr(_stream, "STREAM_BATCH", 64)
    real = _stream.Shifted._batch
    calls = []

    def broken(self, *args):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("broken batch")
        return real(self, *args)

    monkeypatch.setattr(_stream.Shifted, "_batch", broken)
    with DuckLog(path) as duck, pytest.raises(Exception, match="broken batch"):  # DuckDB wraps it in its own type
        duck.dfg()


def test_order_check_counts_exactly_when_two_runs_share_a_hash(tmp_path, monkeypatch) -> None:
    """The streaming pass tells a source in case order by the hashes of its runs' case ids;
    when two runs share a hash (a case split in two runs, or two ids with the same hash),
    the distinct ids are counted exactly: a collision keeps the pass, a split case sorts."""
    from procmine.engines.duckdb import _stream

    ordered = _permit_in_case_order(400)
    ordered.to_parquet(tmp_path / "ordered.parquet", index=False)
    split = pd.concat([ordered.iloc[5:], ordered.iloc[:5]])
    split.to_parquet(tmp_path / "split.parquet", index=False)
    n_cases = ordered["case:concept:name"].nunique()
    with DuckLog(tmp_path / "ordered.parquet") as duck:  # distinct hashes: no count at all
        duck._prepare()
        assert duck._seq_order == "source" and duck.n_cases == n_cases
    with DuckLog(tmp_path / "split.parquet") as duck:
        duck._prepare()
        assert duck._seq_order == "sorted" and duck.n_cases == n_cases
    monkeypatch.setattr(_stream.Tally, "runs_distinct", lambda self: False)  # as if two ids collided
    for name, how in (("ordered", "source"), ("split", "sorted")):
        mem = pm.read_log(tmp_path / f"{name}.parquet")
        with DuckLog(tmp_path / f"{name}.parquet") as duck:
            assert_same(mem, duck)
            assert duck._seq_order == how and duck.n_cases == n_cases


def test_run_hashes_find_a_case_in_two_batches() -> None:
    from procmine.engines.duckdb._stream import Tally

    def tally(*batches: list[int]) -> Tally:
        t = Tally(False)
        t._run_hashes = [np.array(b, dtype=np.uint64) for b in batches]
        return t

    assert tally([9, 1, 5], [2, 6]).runs_distinct()
    assert not tally([9, 1, 5], [2, 6], [3, 5]).runs_distinct()  # 5 again, in a later batch
    assert not tally([4, 7, 4]).runs_distinct()
    assert Tally(False).runs_distinct()  # no events, no runs


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_unix_times_read_as_in_memory(tmp_path, suffix):
    """A time column of Unix milliseconds (an integer column in Parquet, digits in CSV) is
    read by DuckDB as read_log reads it; it failed with a cast of BIGINT to a timestamp."""
    log = pm.samples.load("permit_de")
    df = log.df[["case:concept:name", "concept:name", "time:timestamp"]].copy()
    df["time:timestamp"] = (df["time:timestamp"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    df = df.rename(columns={"time:timestamp": "timestamp"})
    path = tmp_path / f"epoch.{suffix}"
    df.to_parquet(path, index=False) if suffix == "parquet" else df.to_csv(path, index=False)
    mem = pm.read_log(path)
    assert mem.df["time:timestamp"].tolist() == log.df["time:timestamp"].tolist()
    with DuckLog(path) as duck:
        assert_same(mem, duck)
        elapsed = pm.Calendar.always()
        pd.testing.assert_frame_equal(pm.performance(duck, calendar=elapsed).edges,
                                      pm.performance(mem, calendar=elapsed).edges, check_exact=True)


def test_folder_partitioned_as_column_value(tmp_path) -> None:
    """A log written partitioned by a column (``Service=.../part.parquet``, as Spark, DuckDB and
    pandas write it) is one dataset for both engines, the partition column included."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    log = pm.samples.load("subsidy_fr")
    df = log.df.rename(columns={"org:group": "Service", "case:concept:name": "Dossier",
                                "concept:name": "Activité", "time:timestamp": "Horodatage"})
    pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "log", partition_cols=["Service"])
    assert not list((tmp_path / "log").glob("*.parquet"))  # only the Service=... folders
    mem = pm.read_log(tmp_path / "log")
    assert mem.report.roles["org"] == "Service" and mem.df["org:group"].dtype == log.df["org:group"].dtype
    key = ["case:concept:name", "time:timestamp", "concept:name"]
    got = mem.df.sort_values(key, kind="stable").reset_index(drop=True)[log.df.columns]
    pd.testing.assert_frame_equal(got, log.df.sort_values(key, kind="stable").reset_index(drop=True))
    with DuckLog(tmp_path / "log") as duck:
        assert_same(mem, duck)
        assert duck.to_eventlog().report.roles["org"] == "Service"


def test_case_ids_padded_with_spaces_are_one_case_in_both_engines(tmp_path) -> None:
    """A fixed-width export pads some ids: "D-7 " and "D-7" are one case (before, the case was
    cut in two in memory, and the DuckDB engine agreed only by accident of not trimming)."""
    rows = ["Dossier;Tätigkeit;Zeitpunkt"]
    for c in range(30):
        pad = " " if c % 3 == 0 else ""
        rows += [f"D-{c};Eingang;03.03.2025 08:{c:02d}", f"D-{c}{pad};Prüfung;04.03.2025 09:{c:02d}",
                 f"{pad}D-{c};Entscheid ;05.03.2025 10:{c:02d}"]
    path = tmp_path / "padded.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    log = pm.read_log(path)
    assert log.n_cases == 30 and set(log.df["concept:name"]) == {"Eingang", "Prüfung", "Entscheid"}
    assert "'Dossier': white space around the values removed; 20 value(s) then matched another and were read " \
           "as one" in log.report.warnings
    assert log.variants()["cases"].tolist() == [30]
    with pm.read_log(path, engine="duckdb") as duck:
        assert_same(log, duck)


def test_a_lifecycle_column_in_unknown_words_is_refused_as_the_known_ones_are(tmp_path) -> None:
    """read_log pairs it from its structure; DuckDB does not pair rows, so it refuses
    instead of counting every step twice (the column named, what to do said)."""
    rows = ["Fall;Tätigkeit;Zeit;Etat"]
    for c in range(20):
        for i, act in enumerate(("Prüfung", "Entscheid")):
            rows += [f"F{c};{act};{c + 1:02d}.03.2025 {8 + 3 * i:02d}:00;en cours",
                     f"F{c};{act};{c + 1:02d}.03.2025 {8 + 3 * i:02d}:45;terminé"]
    path = tmp_path / "etat.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert pm.read_log(path).n_events == 40
    with pytest.raises(LogError, match=r"column 'Etat': the log has one row per lifecycle transition"):
        pm.read_log(path, engine="duckdb")
    with pm.read_log(path, engine="duckdb", pair_lifecycle=False) as duck:
        assert duck.n_events == 80
