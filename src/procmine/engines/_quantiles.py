"""Exact quantiles by SQL in bounded memory, for the engines that work out of core.

``percentile_cont(q) WITHIN GROUP (ORDER BY x)`` keeps every value of a group in memory at
once, and DuckDB cannot spill it: the four of the performance tables (median and p90 of
processing and waiting time) over 100 M events need 3.2 GB and ran DuckDB out of memory.
:func:`exact_quantiles` finds the same order statistics by counting, each pass a scan and a group-by that spills:

1. the values counted into buckets about 1 % wide on a log scale of their magnitude (waits
   are skewed; negative values mirror the positive ones), with each bucket's smallest and
   largest value, per group. The groups' counts, smallest and largest values follow, and
   the bucket holding each wanted rank, and the rank within it, from the cumulative
   counts. Several value columns of one table are counted in the same statement
   (:func:`exact_quantiles_of`: processing and waiting time together);
2. while the buckets holding a wanted rank hold more than :data:`QUANTILE_FETCH` values in
   all, they are counted again into 4096 narrower integer buckets; then their values are
   fetched and sorted here. A bucket whose values are all equal gives its value at once.

The interpolation is numpy's and ``percentile_cont``'s: ``x[lo] + (x[lo + 1] - x[lo]) *
frac`` in float64 at position ``(n - 1) * q``; the results equal both exactly
(``tests/engines/test_exact_quantiles.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._sql_perf import SqlRunner

__all__ = ["QUANTILE_FETCH", "exact_quantiles", "exact_quantiles_of", "log_bucket_sets_sql", "log_bucket_sql",
           "with_quantiles"]

#: at most this many values are fetched and sorted in memory at the last step (else one
#: more counting pass narrows the buckets)
QUANTILE_FETCH = 2_000_000
#: buckets per interval in a counting pass after the first
_LINEAR_BUCKETS = 4096
#: buckets per doubling of the value in the first counting pass (about 1 % wide)
_LOG_BUCKETS = 64
#: a wanted order statistic is ``group << _RANK_BITS | rank``
_RANK_BITS = 40


class _Targets:
    """The order statistics wanted: per target its group, the interval of values known to
    hold it (``lo``..``hi``, ``n`` values) and its rank among them."""

    def __init__(self, group: np.ndarray, rank: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: np.ndarray) -> None:
        self.group, self.rank, self.lo, self.hi, self.n = group, rank, lo, hi, n

    def open(self) -> np.ndarray:
        """The targets whose value is not known yet."""
        return self.lo < self.hi

    def locate(self, open_: np.ndarray, interval: np.ndarray, hist: pd.DataFrame, bucket_of: np.ndarray) -> bool:
        """Move each open target (in interval ``interval``) into the bucket of ``hist``
        (``b``, ``n``, ``mn``, ``mx``; each row in interval ``bucket_of``) holding its rank.
        False when the buckets of an interval overlap (log buckets, computed in floating
        point, might; integer ones cannot): the targets stay where they were."""
        b, cnt = hist["b"].to_numpy(dtype=np.int64), hist["n"].to_numpy(dtype=np.int64)
        mn, mx = hist["mn"].to_numpy(dtype=np.int64), hist["mx"].to_numpy(dtype=np.int64)
        order = np.lexsort((b, bucket_of))
        iid, cnt, mn, mx = bucket_of[order], cnt[order], mn[order], mx[order]
        if ((iid[1:] == iid[:-1]) & (mx[:-1] >= mn[1:])).any():
            return False
        per = np.bincount(iid, weights=cnt, minlength=int(interval.max()) + 1).astype(np.int64)
        upto = np.cumsum(cnt)
        at = (np.cumsum(per) - per)[interval] + self.rank[open_]
        k = np.searchsorted(upto, at, side="right")
        self.lo[open_], self.hi[open_], self.n[open_] = mn[k], mx[k], cnt[k]
        self.rank[open_] = at - (upto[k] - cnt[k])
        return True


def exact_quantiles(
    run: SqlRunner, table: str, keys: list[str], value: str, names: dict[float, str], cond: str = ""
) -> pd.DataFrame:
    """Exact quantiles of the integer column ``value`` of ``table`` per ``keys`` group,
    counted in bounded memory (see the module): the ``keys`` columns and one float column
    per quantile (``names``: quantile -> column name). ``cond``: an SQL condition on the
    rows. Groups without values are absent (their quantiles are missing, as in SQL).

    Examples
    --------
    >>> import duckdb, pandas as pd
    >>> class Run:
    ...     con = duckdb.connect()
    ...     def df(self, sql): return self.con.execute(sql).df()
    ...     def register(self, name, frame): self.con.register(name, frame)
    >>> run = Run()
    >>> run.con.execute("CREATE TABLE t AS SELECT i % 2 AS g, i AS x FROM range(11) r(i)").fetchall()
    [(11,)]
    >>> exact_quantiles(run, "t", ["g"], "x", {0.5: "med", 0.9: "p90"}).sort_values("g").values.tolist()
    [[0.0, 5.0, 9.0], [1.0, 5.0, 8.2]]
    """
    return exact_quantiles_of(run, table, keys, {value: names}, cond)[value]


def exact_quantiles_of(
    run: SqlRunner, table: str, keys: list[str], wanted: dict[str, dict[float, str]], cond: str = "",
    hist: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`exact_quantiles` of several integer columns of ``table`` (``wanted``: column
    -> {quantile: name}), their first count in one statement: per column, the ``keys``
    and its quantile columns, one row per group holding values of it. ``hist``: the result
    of :func:`log_bucket_sql` for the same arguments, when the caller ran it already."""
    if hist is None:
        hist = run.df(log_bucket_sql(table, keys, list(wanted), cond))
    out = {}
    for i, (value, names) in enumerate(wanted.items()):
        h = hist[hist["vi"] == i].reset_index(drop=True)
        g, row_group = _groups(h, keys)
        where = f"{value} IS NOT NULL" + (f" AND ({cond})" if cond else "")
        out[value] = _column_quantiles(run, table, keys, value, names, where, g, h, row_group)
    return out


def log_bucket_sql(table: str, keys: list[str], values: list[str], cond: str = "") -> str:
    """The first count of :func:`exact_quantiles_of`: per value column (``vi``: its index),
    group and log bucket ``b``, the count and the smallest and largest value. A bucket
    is about 1 % of the magnitude wide (``_LOG_BUCKETS`` per doubling), negative
    values in buckets below zero, so that buckets follow the values' order.

    Several columns are counted in one scan, a grouping set each: a UNION ALL would
    read ``table`` once per column (or have DuckDB hold the rows of a view for both)."""
    return log_bucket_sets_sql(table, [(keys, v, cond) for v in values])


def log_bucket_sets_sql(table: str, sets: list[tuple[list[str], str, str]]) -> str:
    """:func:`log_bucket_sql` of several (keys, value column, condition) at once, in one
    scan of ``table``: ``vi`` is the index in ``sets``; the key columns of the other sets
    are NULL in a set's rows. The rows of set ``i`` are those :func:`log_bucket_sql`
    gives for its keys, value and condition (as ``vi`` 0)."""
    every = list(dict.fromkeys(k for keys, _, _ in sets for k in keys))
    ksel = "".join(f"{k}, " for k in every)

    def bucket(v: str) -> str:
        x = f"CAST({v} AS DOUBLE)"
        return (f"CASE WHEN {v} >= 0 THEN CAST(floor(log2({x} + 1) * {_LOG_BUCKETS}) AS BIGINT) "
                f"ELSE -1 - CAST(floor(log2(1 - {x}) * {_LOG_BUCKETS}) AS BIGINT) END")

    if len(sets) == 1:
        keys, v, cond = sets[0]
        own = "".join(f"{k}, " for k in keys)
        where = f"{v} IS NOT NULL" + (f" AND ({cond})" if cond else "")
        return f"""SELECT {own}0 AS vi, b0 AS b, count(v0) AS n, min(v0) AS mn, max(v0) AS mx
                   FROM (SELECT {own}{v} AS v0, {bucket(v)} AS b0 FROM {table} WHERE {where}) GROUP BY {own}b0"""
    # a value under its set's condition only (NULL elsewhere: neither counted nor bucketed)
    vals = [f"CASE WHEN {cond} THEN {v} END" if cond else v for _, v, cond in sets]
    where = " OR ".join(f"({v} IS NOT NULL" + (f" AND ({cond}))" if cond else ")") for _, v, cond in sets)
    rows = f"SELECT {ksel}{', '.join(f'{v} AS v{i}, {bucket(v)} AS b{i}' for i, v in enumerate(vals))} FROM {table} WHERE {where}"
    grouping = ", ".join(f"({''.join(f'{k}, ' for k in keys)}b{i})" for i, (keys, _, _) in enumerate(sets))
    # the set of column i leaves every other column's bucket out: grouping(b_j) = 1 there
    vi = "CASE " + "".join(f"WHEN grouping(b{i}) = 0 THEN {i} " for i in range(len(sets))) + "END"
    pick = {f: "CASE " + "".join(f"WHEN grouping(b{i}) = 0 THEN {f}(v{i}) " for i in range(len(sets))) + "END"
            for f in ("count", "min", "max")}
    b = "CASE " + "".join(f"WHEN grouping(b{i}) = 0 THEN b{i} " for i in range(len(sets))) + "END"
    return f"""SELECT * FROM (
                   SELECT {ksel}{vi} AS vi, {b} AS b, {pick['count']} AS n, {pick['min']} AS mn, {pick['max']} AS mx
                   FROM ({rows}) GROUP BY GROUPING SETS ({grouping}))
               WHERE n > 0"""


def _groups(hist: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The groups of a value's buckets (``keys``, ``n``, ``lo``, ``hi``; NULL keys a group
    of their own, as in SQL's GROUP BY) and the group of each bucket row."""
    if not keys:
        g = pd.DataFrame({"n": [int(hist["n"].sum())], "lo": [hist["mn"].min()], "hi": [hist["mx"].max()]})
        g = g[g["n"] > 0].reset_index(drop=True)
        return g, np.zeros(len(hist), dtype=np.int64)
    grouped = hist.groupby(keys, dropna=False, sort=False)
    row_group = grouped.ngroup().to_numpy(dtype=np.int64)
    g = grouped.agg(n=("n", "sum"), lo=("mn", "min"), hi=("mx", "max")).reset_index()
    return g, row_group


def _column_quantiles(run: SqlRunner, table: str, keys: list[str], value: str, names: dict[float, str], where: str,
               g: pd.DataFrame, hist: pd.DataFrame, row_group: np.ndarray) -> pd.DataFrame:
    """The quantiles of one value column from its groups and log buckets (see
    :func:`exact_quantiles_of`): located in the buckets, narrowed and fetched."""
    out = g[keys].copy()
    if g.empty:
        for col in names.values():
            out[col] = np.zeros(0)
        return out
    n = g["n"].to_numpy(dtype=np.int64)
    pos = (n - 1)[:, None] * np.array(list(names), dtype=np.float64)[None, :]
    frn = np.floor(pos).astype(np.int64)
    crn = np.minimum(frn + 1, n[:, None] - 1)
    ids = np.arange(len(g), dtype=np.int64)[:, None] << _RANK_BITS
    want = np.unique(np.concatenate((ids | frn, ids | crn)).ravel())
    gid = want >> _RANK_BITS
    lo = g["lo"].to_numpy(dtype=np.int64)
    t = _Targets(gid, want & ((1 << _RANK_BITS) - 1), lo[gid], g["hi"].to_numpy(dtype=np.int64)[gid], n[gid])
    if t.open().any():
        open_ = t.open()
        t.locate(open_, t.group[open_], hist, row_group)
    _narrow(run, table, g, keys, value, where, t)
    # the interpolation of numpy and percentile_cont, in float64
    val = t.lo.astype(np.float64)
    for j, q in enumerate(names):
        v_lo = val[np.searchsorted(want, ids[:, 0] | frn[:, j])]
        v_hi = val[np.searchsorted(want, ids[:, 0] | crn[:, j])]
        out[names[q]] = v_lo + (v_hi - v_lo) * (pos[:, j] - frn[:, j])
    return out


def _narrow(run: SqlRunner, table: str, g: pd.DataFrame, keys: list[str], value: str, where: str,
            t: _Targets) -> None:
    """Narrower integer buckets until the open targets' buckets hold few values, then those
    values, fetched and sorted."""
    view = f"procmine_quantile_{abs(hash((table, value, where))):x}"
    on = "".join(f" AND t.{k} IS NOT DISTINCT FROM i.{k}" for k in keys)
    src = f"FROM (SELECT * FROM {table} WHERE {where}) t JOIN {view} i ON t.{value} BETWEEN i.lo AND i.hi{on}"
    while (open_ := t.open()).any():
        # the intervals still holding a wanted rank, one row each
        iv, interval = np.unique(np.stack((t.group[open_], t.lo[open_], t.hi[open_]), axis=1), axis=0,
                                 return_inverse=True)
        interval = interval.ravel()
        counts = np.zeros(len(iv), dtype=np.int64)
        counts[interval] = t.n[open_]
        width = np.ones(len(iv), dtype=np.int64)
        span = (iv[:, 2] - iv[:, 1]) // _LINEAR_BUCKETS + 1
        while (small := width < span).any():
            width[small] <<= 1
        frame = g[keys].iloc[iv[:, 0]].reset_index(drop=True).assign(iid=np.arange(len(iv)), lo=iv[:, 1],
                                                                        hi=iv[:, 2], w=width)
        run.register(view, frame)
        if counts.sum() <= QUANTILE_FETCH:
            rows = run.df(f"SELECT i.iid, t.{value} AS v {src}")
            iid, v = rows["iid"].to_numpy(dtype=np.int64), rows["v"].to_numpy(dtype=np.int64)
            v = v[np.lexsort((v, iid))]
            per = np.bincount(iid, minlength=len(iv))
            t.lo[open_] = t.hi[open_] = v[(np.cumsum(per) - per)[interval] + t.rank[open_]]
            return
        hist = run.df(f"""SELECT i.iid, (t.{value} - i.lo) // i.w AS b, count(*) AS n,
                                 min(t.{value}) AS mn, max(t.{value}) AS mx {src} GROUP BY ALL""")
        if not t.locate(open_, interval, hist, hist["iid"].to_numpy(dtype=np.int64)):
            raise AssertionError("integer buckets overlap")


def with_quantiles(
    run: SqlRunner, df: pd.DataFrame, table: str, keys: list[str], wanted: dict[str, dict[float, str]], cond: str = "",
    hist: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``df`` (one row per ``keys`` group) with the columns of :func:`exact_quantiles`
    (``wanted``: value column -> {quantile: column}) in place of its own; missing where a
    group has no values."""
    df = df.drop(columns=[c for w in wanted.values() for c in w.values()])
    for got in exact_quantiles_of(run, table, keys, wanted, cond, hist).values():
        df = df.merge(got, on=keys, how="left", validate="one_to_one")
    return df
