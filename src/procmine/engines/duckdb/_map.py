"""The process map's aggregates in DuckDB: the paths of the log projected on the kept
activities (:meth:`procmine.engines.Engine.map_paths`) and readable labels per activity.

The map itself is assembled from these by :func:`procmine.engines._map.engine_map_graph`,
as for every engine that does not hold its events in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._core.validation import fail
from .._protocol import MAP_PATH_COLUMNS
from ._setup import EVENTS_WITH_SOURCE, LOG_ORDER, _q

__all__ = ["duck_labels", "duck_map_paths"]


def duck_labels(log: Any, column: str) -> dict[str, str]:
    """The first value of ``column`` per activity, over the events the log keeps and first in
    the order of the log in memory (cases by first appearance, then time), as the map in
    memory takes it."""
    hidden = {"__rn", *log._helper_cols}
    cols = [r[0] for r in log.con.execute("DESCRIBE SELECT * FROM raw").fetchall() if r[0] not in hidden]
    if column not in cols:
        raise fail("process_map", "labels", f"a column of the log ({', '.join(cols[:8])}, ...)", column)
    log._prepare()
    col = f"r.{_q(column)}"
    df = log._df(
        f"SELECT s.activity AS a, arg_min(CAST({col} AS VARCHAR), {LOG_ORDER}) AS l "
        f"FROM {EVENTS_WITH_SOURCE} WHERE {col} IS NOT NULL GROUP BY 1"
    )
    return dict(zip(df["a"], df["l"]))


def duck_map_paths(log: Any, kept: list[str]) -> pd.DataFrame:
    """Directly-follows pairs of the log projected on ``kept`` (paths bypass hidden
    activities), with their median wait, and the start/end pseudo-edges (``None``)."""
    target = "coalesce(start_ts, ts)" if log.has_start_timestamps else "ts"
    every = set(map(str, kept)) >= set(map(str, log.activities.index))
    if every:
        # nothing hidden: the paths are the directly-follows pairs (counted once, cached),
        # with the cases starting and ending at each activity
        if "dfg" not in log._cache:
            log.dfg()
        return _paths_of_dfg(log)
    names = pd.DataFrame({"name": pd.Series(list(kept), dtype=object)})
    view = f"__kept_{id(names)}"
    log.con.register(view, names)
    s = f"""SELECT activity, ts, case_id, lead(activity) OVER w AS nxt, lead({target}) OVER w AS nxt_ts,
                       row_number() OVER w = 1 AS first
                FROM seq WHERE activity IN (SELECT name FROM {view})
                WINDOW w AS (PARTITION BY case_id ORDER BY pos)"""
    try:
        # distinct cases per path from the distinct (case, path) rows: a hash aggregate that
        # spills, not a distinct set per group
        agg = log._df(
            f"""WITH s AS ({s}),
               p AS (SELECT activity AS src, nxt AS dst, count(*) AS n,
                            quantile_cont(epoch_us(nxt_ts) - epoch_us(ts), 0.5) AS med
                     FROM s WHERE nxt IS NOT NULL GROUP BY 1, 2),
               c AS (SELECT activity AS src, nxt AS dst, count(*) AS cases
                     FROM (SELECT DISTINCT case_id, activity, nxt FROM s WHERE nxt IS NOT NULL) GROUP BY 1, 2)
               SELECT p.src, p.dst, p.n, p.med, c.cases FROM p JOIN c ON p.src = c.src AND p.dst = c.dst
               UNION ALL
               SELECT NULL, activity, count(*), 0, count(*) FROM s WHERE first GROUP BY 2
               UNION ALL
               SELECT activity, NULL, count(*), 0, count(*) FROM s WHERE nxt IS NULL GROUP BY 1"""
        )
    finally:
        log.con.unregister(view)
    src = [None if pd.isna(a) else a for a in agg["src"].to_numpy(dtype=object)]
    dst = [None if pd.isna(a) else a for a in agg["dst"].to_numpy(dtype=object)]
    return pd.DataFrame(
        dict(
            zip(
                MAP_PATH_COLUMNS,
                (
                    pd.Series(src, dtype=object),
                    pd.Series(dst, dtype=object),
                    agg["n"].to_numpy(dtype=np.int64),
                    np.round(agg["med"].to_numpy(dtype=np.float64)),
                    agg["cases"].to_numpy(dtype=np.int64),
                ),
            )
        )
    )


def _paths_of_dfg(log: Any) -> pd.DataFrame:
    """The map's paths when it keeps every activity: the DFG's pairs (count, rounded median
    wait, cases) and the start/end pseudo-edges, from the aggregates already computed."""
    dfg = log._cache["dfg"]
    log._first_last("first", "start cases")  # computes and caches both counts
    fl = log._cache["first_last"]
    starts, ends = fl[fl["first"] > 0], fl[fl["last"] > 0]
    n = len(starts) + len(ends)
    return pd.DataFrame(
        dict(
            zip(
                MAP_PATH_COLUMNS,
                (
                    pd.Series([*dfg["source"], *([None] * len(starts)), *ends["activity"]], dtype=object),
                    pd.Series([*dfg["target"], *starts["activity"], *([None] * len(ends))], dtype=object),
                    np.concatenate([dfg["count"].to_numpy(dtype=np.int64), starts["first"].to_numpy(dtype=np.int64),
                                    ends["last"].to_numpy(dtype=np.int64)]),
                    np.concatenate([np.round(dfg["median_us"].to_numpy(dtype=np.float64)), np.zeros(n)]),
                    np.concatenate([dfg["cases"].to_numpy(dtype=np.int64), starts["first"].to_numpy(dtype=np.int64),
                                    ends["last"].to_numpy(dtype=np.int64)]),
                ),
            )
        )
    )
