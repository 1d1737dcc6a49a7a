"""Exact quantiles in bounded memory (``procmine.engines._quantiles``).

``percentile_cont`` keeps every value of a group in memory; on 100 M events the four of the
performance tables ran DuckDB out of memory. ``exact_quantiles`` finds the same order
statistics by counting. These tests hold it to ``percentile_cont`` and to the in-memory
kernel value for value, through each of its steps (values fetched at once, log buckets,
narrower integer buckets), and the performance tables of a DuckLog computed this way to
those in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine._core.kernels import group_stats
from procmine.calendar import Calendar
from tests.conftest import shared_log

duckdb = pytest.importorskip("duckdb")

from procmine.engines import _quantiles  # noqa: E402
from procmine.engines._quantiles import exact_quantiles, exact_quantiles_of  # noqa: E402
from procmine.engines.duckdb import DuckLog  # noqa: E402
from procmine.engines.duckdb import _perf as duck_perf  # noqa: E402


class _Runner:
    """The two calls exact_quantiles makes of an engine, on a plain DuckDB connection."""

    def __init__(self, con) -> None:
        self.con = con
        self.queries: list[str] = []

    def df(self, sql: str) -> pd.DataFrame:
        self.queries.append(sql)
        return self.con.execute(sql).df()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)


def _values(rng: np.random.Generator) -> pd.DataFrame:
    """Skewed waits in µs (log-normal, many ties, a few huge), negative values, one-value and
    all-equal groups, missing values and a missing group key."""
    n = 60_000
    g = rng.choice(["Prüfung", "Entscheid", "Zustellung", "rare"], size=n, p=[0.5, 0.3, 0.19999, 0.00001])
    v = np.round(rng.lognormal(17, 2.5, size=n)).astype(np.int64)
    v[rng.random(n) < 0.2] = 3_600_000_000  # an hour, many times
    v[g == "Zustellung"] -= 10**12  # negative values
    frame = pd.DataFrame({"activity": g, "prev_act": np.where(rng.random(n) < 0.1, None, g[::-1]), "wait": v})
    frame.loc[rng.random(n) < 0.05, "wait"] = None
    frame["wait"] = frame["wait"].astype("Int64")
    extra = pd.DataFrame({"activity": ["single", "same", "same", "same"], "prev_act": [None, "x", "x", "x"],
                          "wait": pd.array([42, 7, 7, 7], dtype="Int64")})
    return pd.concat([frame, extra], ignore_index=True)


@pytest.fixture(scope="module")
def table():
    con = duckdb.connect()
    frame = _values(np.random.default_rng(7))
    con.register("src", frame)
    con.execute("CREATE TABLE ev AS SELECT * FROM src")
    yield con, frame
    con.close()


@pytest.mark.parametrize("fetch", [10**9, 3], ids=["fetch", "narrow-buckets"])
@pytest.mark.parametrize("keys", [["activity"], ["prev_act", "activity"], []], ids=["activity", "pair", "all"])
def test_equals_percentile_cont_and_the_kernel(table, keys, fetch, monkeypatch):
    con, frame = table
    monkeypatch.setattr(_quantiles, "QUANTILE_FETCH", fetch)
    run = _Runner(con)
    got = exact_quantiles(run, "ev", keys, "wait", {0.5: "med", 0.9: "p90"})
    by = f"GROUP BY {', '.join(keys)}" if keys else ""
    want = con.execute(
        f"""SELECT {''.join(k + ', ' for k in keys)} percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS med,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS p90
            FROM ev WHERE wait IS NOT NULL {by}"""
    ).df()
    assert len(got) == len(want)
    both = want.merge(got, on=keys, how="left", suffixes=("", "_got"), validate="one_to_one") if keys else (
        want.assign(med_got=got["med"], p90_got=got["p90"]))
    np.testing.assert_array_equal(both["med_got"].to_numpy(), both["med"].to_numpy())
    np.testing.assert_array_equal(both["p90_got"].to_numpy(), both["p90"].to_numpy())
    # the in-memory kernel gives the same floats
    def norm(key) -> tuple:
        return tuple(None if pd.isna(x) else x for x in (key if isinstance(key, tuple) else (key,)))

    found = {norm(tuple(r[k] for k in keys)): (r["med"], r["p90"]) for _, r in got.iterrows()}
    sub = frame[frame["wait"].notna()]
    for key, part in (sub.groupby(keys, dropna=False) if keys else [((), sub)]):
        st = group_stats(np.zeros(len(part), dtype=np.int64), part["wait"].to_numpy(dtype=np.int64), 1, missing=False)
        assert found[norm(key)] == (st["median"][0], st["p90"][0])
    # each path was taken: the values of the 1 % buckets fetched, or narrower buckets counted
    assert any("// i.w" in q for q in run.queries) == (fetch == 3)


def test_several_columns_are_counted_in_one_statement(table):
    """Processing and waiting time of one table share the first count (one scan); each
    column's quantiles equal those counted alone."""
    con, _ = table
    con.execute("CREATE OR REPLACE TABLE ev2 AS SELECT *, CASE WHEN wait % 3 = 0 THEN NULL ELSE wait * 3 - 5 END AS other FROM ev")
    run = _Runner(con)
    wanted = {"wait": {0.5: "med"}, "other": {0.1: "p10", 0.9: "p90"}}
    keys = ["prev_act", "activity"]
    both = exact_quantiles_of(run, "ev2", keys, wanted)
    assert sum(" AS vi" in q for q in run.queries) == 1

    def by_keys(frame: pd.DataFrame) -> pd.DataFrame:  # groups come in the order of a hash aggregate
        return frame.sort_values(keys, na_position="first", kind="stable", ignore_index=True)

    for value, names in wanted.items():
        alone = exact_quantiles(_Runner(con), "ev2", keys, value, names)
        pd.testing.assert_frame_equal(by_keys(both[value]), by_keys(alone))
        assert both[value][list(names.values())].notna().all().all()


def test_sets_of_other_keys_and_conditions_are_counted_in_one_statement(table):
    """The first count of several groupings, each with its own keys and condition (the
    activities' and the pairs' figures), in one scan: each set's rows equal those counted
    for it alone, and the quantiles from them equal exact_quantiles."""
    con, _ = table
    sets = [(["activity"], "wait", ""), (["prev_act", "activity"], "wait", "prev_act IS NOT NULL"),
            (["activity"], "wait", "wait > 0")]
    sql = _quantiles.log_bucket_sets_sql("ev", sets)
    assert sql.count("FROM ev ") == 1
    hist = con.execute(sql).df()
    for i, (keys, value, cond) in enumerate(sets):
        alone = con.execute(_quantiles.log_bucket_sql("ev", keys, [value], cond)).df()
        got = hist[hist["vi"] == i][[*keys, "vi", "b", "n", "mn", "mx"]].assign(vi=0)
        cols = [*keys, "b"]
        pd.testing.assert_frame_equal(
            got.sort_values(cols, na_position="first", ignore_index=True).astype(alone.dtypes.to_dict()),
            alone.sort_values(cols, na_position="first", ignore_index=True),
        )
        names = {0.5: "med", 0.9: "p90"}
        own = hist[hist["vi"] == i].assign(vi=0)
        counted = exact_quantiles_of(_Runner(con), "ev", keys, {value: names}, cond, own)[value]
        direct = exact_quantiles(_Runner(con), "ev", keys, value, names, cond)
        pd.testing.assert_frame_equal(counted.sort_values(keys, na_position="first", ignore_index=True),
                                      direct.sort_values(keys, na_position="first", ignore_index=True))


def test_no_values(table):
    con, _ = table
    got = exact_quantiles(_Runner(con), "ev", ["activity"], "wait", {0.5: "med"}, "activity = 'nowhere'")
    assert list(got.columns) == ["activity", "med"] and got.empty


def test_a_value_never_held_for_a_whole_group(table, monkeypatch):
    """The counting passes return buckets, never a group's values: with a fetch limit of 3
    no query returns more rows than buckets and the few values of the last step."""
    con, frame = table
    monkeypatch.setattr(_quantiles, "QUANTILE_FETCH", 3)
    run = _Runner(con)
    sizes = []
    orig = run.df

    def df(sql: str) -> pd.DataFrame:
        out = orig(sql)
        sizes.append(len(out))
        return out

    run.df = df
    exact_quantiles(run, "ev", ["activity"], "wait", {0.5: "med"})
    assert max(sizes) < frame["wait"].notna().sum() / 5


def _counted_equals_memory(tmp_path, log, tables: tuple[str, ...], calendar=None) -> int:
    """The performance ``tables`` of the log as a DuckLog, asked in that order, equal those in
    memory; returns how many tables of flag groups the DuckLog made."""
    kw = {} if calendar is None else {"calendar": calendar}
    with DuckLog(log.to_parquet(tmp_path / "log.parquet")) as duck:
        perf, mem = pm.performance(duck, **kw), pm.performance(log, **kw)
        for name in tables:
            pd.testing.assert_frame_equal(getattr(perf, name), getattr(mem, name), check_exact=True)
        return duck.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%_flags'").fetchall()[0][0]


@pytest.mark.parametrize("calendar", [Calendar.always(), Calendar(canton="BE")], ids=["elapsed", "working"])
def test_duck_performance_counted_equals_memory(tmp_path, monkeypatch, calendar):
    """With percentile_cont ruled out (as on 100 M events), the performance tables of a
    DuckLog still equal those in memory."""
    monkeypatch.setattr(duck_perf, "QUANTILE_SHARE", 0.0)
    monkeypatch.setattr(_quantiles, "QUANTILE_FETCH", 40)
    log = pm.samples.load("permit_de")
    _counted_equals_memory(tmp_path, log, ("activities", "edges", "wait_causes"), calendar)


def test_duck_performance_counted_pairs_first_equals_memory(tmp_path, monkeypatch):
    """Out of core the activities' and the pairs' figures are counted together: asked for
    the pairs first (and only once each), both still equal those in memory."""
    monkeypatch.setattr(duck_perf, "QUANTILE_SHARE", 0.0)
    monkeypatch.setattr(_quantiles, "QUANTILE_FETCH", 40)
    # one table of flag groups per pair (the activities' sums come from it too)
    assert _counted_equals_memory(tmp_path, pm.samples.load("subsidy_fr"), ("edges", "activities")) == 1


def test_duck_performance_counted_equals_memory_bpic12(tmp_path, monkeypatch):
    monkeypatch.setattr(duck_perf, "QUANTILE_SHARE", 0.0)
    _counted_equals_memory(tmp_path, pm.read_log(shared_log("BPIC12.xes.gz")), ("activities", "edges"))


def test_memory_limit_decides(tmp_path):
    """percentile_cont while its values fit half of DuckDB's memory_limit, else counting."""
    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path / "permit.parquet")
    with DuckLog(path, memory_limit="1GB") as duck:
        runner = duck_perf._DuckSql(duck)
        assert duck._memory_limit() == pytest.approx(1e9, rel=0.01)
        assert runner.holds("ev", 4)
        # 16 bytes per value and state: far more states than fit
        assert not runner.holds("ev", int(1e9 / 16 / duck.n_events) + 1)


def test_duck_dfg_counted_equals_memory(tmp_path, monkeypatch):
    """The DFG's median and p90 per pair, counted, equal those in memory (and the
    percentile_cont ones)."""
    log = pm.samples.load("permit_de")
    path = log.to_parquet(tmp_path / "permit.parquet")
    with DuckLog(path) as duck:
        held = pm.discover(duck).dfg
    monkeypatch.setattr(duck_perf, "QUANTILE_SHARE", 0.0)
    monkeypatch.setattr(_quantiles, "QUANTILE_FETCH", 40)
    with DuckLog(path) as duck:
        counted = pm.discover(duck).dfg
    pd.testing.assert_frame_equal(counted, held, check_exact=True)
    pd.testing.assert_frame_equal(counted, pm.discover(log).dfg, check_exact=True)
