"""The process map of a :class:`~procmine.engines.duckdb.DuckLog` from SQL aggregates.

:func:`duck_map_graph` builds the :class:`procmine.viz.MapGraph` that
:func:`procmine.viz.map_graph` builds from a log in memory: the same activity slider,
projection on the kept activities, directly-follows pairs with their median waiting time,
start/end pseudo-edges and path pruning (``viz._kept_activities``, ``viz._assemble_graph``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_choice, fail
from ._duck_model import _by_name
from .duckdb import DuckLog, _q

__all__ = ["duck_map_graph"]


# ---------------------------------------------------------------------------------------
# the process map
# ---------------------------------------------------------------------------------------
def _labels(log: DuckLog, names: np.ndarray, labels: Any) -> np.ndarray:
    if labels is None:
        return names
    if isinstance(labels, str):
        hidden = {"__rn", *log._helper_cols}
        cols = [r[0] for r in log.con.execute("DESCRIBE SELECT * FROM raw").fetchall() if r[0] not in hidden]
        if labels not in cols:
            raise fail("process_map", "labels", f"a column of the log ({', '.join(cols[:8])}, ...)", labels)
        act, col = _q(log._roles["activity"]), _q(labels)
        df = log._df(
            f"SELECT CAST({act} AS VARCHAR) AS a, first(CAST({col} AS VARCHAR) ORDER BY __rn) AS l "
            f"FROM raw WHERE {col} IS NOT NULL GROUP BY 1"
        )
        mapping = dict(zip(df["a"], df["l"]))
    elif isinstance(labels, dict) or hasattr(labels, "items"):
        mapping = {str(k): str(v) for k, v in labels.items()}
    else:
        raise fail("process_map", "labels", "None, a column name or a mapping of activity names", labels)
    return np.asarray([mapping.get(n, n) for n in names], dtype=object)


def duck_map_graph(
    log: DuckLog,
    *,
    metric: str = "frequency",
    activities: float | None = None,
    paths: float | None = None,
    labels: Any = None,
    keep: tuple[str, ...] = (),
    min_cases: int = 10,
) -> Any:
    """The :class:`procmine.viz.MapGraph` of a DuckLog, from SQL aggregates.

    The same nodes and edges as :func:`procmine.viz.map_graph` on the log in memory: the
    log is projected on the kept activities (paths bypass hidden ones), directly-follows
    pairs are counted with their median waiting time, and ``viz`` prunes the paths.
    """
    from .. import viz

    check_choice("process_map", "metric", metric, ("frequency", "time"))
    act_share = viz._check_slider("activities", activities)
    path_share = viz._check_slider("paths", paths)
    from .._validation import check_positive_int

    check_positive_int("process_map", "min_cases", min_cases)
    df = log._df(
        "SELECT activity, count(*) AS events, count(DISTINCT case_id) AS cases FROM ev GROUP BY activity"
    )
    act_names = df["activity"].to_numpy(dtype=object)
    names, events = _by_name(act_names, df["events"].to_numpy(dtype=np.int64))
    _, act_cases = _by_name(act_names, df["cases"].to_numpy(dtype=np.int64))
    private = act_cases < min_cases
    n_act = len(names)
    is_kept, n_keep = viz._kept_activities(events, names, act_share, keep, private)
    code = {n: i for i, n in enumerate(names)}
    kept_names = pd.DataFrame({"name": pd.Series(names[is_kept], dtype=object)})
    target = "coalesce(start_ts, ts)" if log.has_start else "ts"
    view = f"__kept_{id(kept_names)}"
    log.con.register(view, kept_names)
    try:
        agg = log._df(
            f"""WITH s AS (
                   SELECT activity, ts, case_id,
                          lead(activity) OVER w AS nxt,
                          lead({target}) OVER w AS nxt_ts,
                          row_number() OVER w AS pos
                   FROM ev WHERE activity IN (SELECT name FROM {view})
                   WINDOW w AS (PARTITION BY case_id ORDER BY ts, __rn))
               SELECT activity AS src, nxt AS dst, count(*) AS n,
                      quantile_cont(epoch_us(nxt_ts) - epoch_us(ts), 0.5) AS med,
                      count(DISTINCT case_id) AS cases
               FROM s WHERE nxt IS NOT NULL GROUP BY 1, 2
               UNION ALL
               SELECT NULL, activity, count(*), 0, count(*) FROM s WHERE pos = 1 GROUP BY 2
               UNION ALL
               SELECT activity, NULL, count(*), 0, count(*) FROM s WHERE nxt IS NULL GROUP BY 1"""
        )
    finally:
        log.con.unregister(view)
    src = np.array(
        [n_act if pd.isna(a) else code[a] for a in agg["src"].to_numpy(dtype=object)], dtype=np.int64
    )
    dst = np.array(
        [n_act + 1 if pd.isna(a) else code[a] for a in agg["dst"].to_numpy(dtype=object)], dtype=np.int64
    )
    keys = src * (n_act + 2) + dst
    order = np.argsort(keys, kind="stable")
    return viz._assemble_graph(
        names=names,
        labels=_labels(log, names, labels),
        events=events,
        is_kept=is_kept,
        n_keep=n_keep,
        keys=keys[order],
        counts=agg["n"].to_numpy(dtype=np.int64)[order],
        med=np.round(agg["med"].to_numpy(dtype=np.float64)[order]),
        metric=metric,
        path_share=path_share,
        edge_cases=agg["cases"].to_numpy(dtype=np.int64)[order],
        min_cases=min_cases,
        private=private,
    )
