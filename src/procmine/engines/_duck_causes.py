"""Wait causes of a DuckLog, out of core: the aggregates the rules read, in SQL.

:mod:`procmine._wait_causes` splits the analysis in four steps: aggregates of the log
(:class:`~procmine._steps.StepAggregates`, :class:`~procmine._wait_causes.WaitAggregates`),
the per-activity decisions made from them in Python (:func:`~procmine._steps.decide_steps`,
:func:`~procmine._wait_causes.decide_causes`), the per-event rule, and the counts per
activity and cause. Here the aggregates are group-bys over the ordered events (the
previous activity and group come from the window of the ordered table) and the per-event
rule is :data:`CAUSE_SQL`, a CASE over the decisions joined as a small table: nothing is
loaded per event. The decisions themselves are the in-memory code, run on these frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._steps import StepAggregates, add_labels, label_columns, long_wait_threshold
from .._wait_causes import LONG_US, MINUTE_US, WaitAggregates
from ._duck_setup import _q

if TYPE_CHECKING:
    from .duckdb import DuckLog

__all__ = ["AFTER_REQUEST_SQL", "CAUSE_SQL", "aggregates"]

_DAY_US = 86_400_000_000
_SECOND_US = 1_000_000

# the per-event rule of procmine._wait_causes.assign_causes over ``e`` (the event, with
# ``prev_act`` and the elapsed span ``len_el``), ``d`` (its activity's decisions) and
# ``p`` (the previous activity's): first event none; declared; statutory when the span
# reaches the fixed period; client right after a request; else the step's base cause
AFTER_REQUEST_SQL = "(e.prev_act IS NOT NULL AND coalesce(p.request, false) AND NOT d.request)"
CAUSE_SQL = f"""CASE WHEN e.prev_act IS NULL THEN -1
    WHEN d.fixed >= 0 THEN d.fixed
    WHEN d.period IS NOT NULL AND e.len_el IS NOT NULL AND (CASE WHEN d.tol >= {_DAY_US}
         THEN CAST(e.len_el AS DOUBLE) >= d.period - d.tol
         ELSE abs(CAST(e.len_el AS DOUBLE) - d.period) <= d.tol END) THEN 2
    WHEN {AFTER_REQUEST_SQL} THEN 1
    ELSE d.base END"""


def aggregates(log: DuckLog, table: str, names: np.ndarray, has_start: bool) -> tuple[StepAggregates, WaitAggregates]:
    """The step and wait aggregates of a DuckLog from ``table``, its elapsed-time event view
    (``activity``, ``prev_act``, ``wait``, ``proc``, ``len_el`` and, when the source has
    them, ``res``, ``grp``, ``prev_grp``); ``names``: the activities in code order."""
    n_act = len(names)
    code = {str(a): i for i, a in enumerate(names)}

    def codes(values: Any) -> np.ndarray:
        return np.array([code[str(v)] for v in values], dtype=np.int64)

    def per_act(df: pd.DataFrame, col: str, fill: float = 0) -> np.ndarray:
        out = np.full(n_act, fill, dtype=np.float64)
        out[codes(df["activity"])] = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    sec = _SECOND_US
    a = log._df(
        f"""SELECT activity, count(*) AS n_ev,
                   count(proc) AS pk, count(*) FILTER (WHERE proc < {sec}) AS pq,
                   count(wait) AS wk, count(*) FILTER (WHERE wait < {sec}) AS wq,
                   count(len_el) AS ln, sum(CAST(len_el AS DOUBLE)) AS s1,
                   sum(CAST(len_el AS DOUBLE) * CAST(len_el AS DOUBLE)) AS s2,
                   quantile_cont(proc, 0.5) AS proc_med
            FROM {table} GROUP BY activity"""
    )
    quick = np.stack([per_act(a, k) for k in ("pk", "pq", "wk", "wq")], axis=1).astype(np.int64)
    hist = log._df(
        f"""SELECT activity, len_el // {MINUTE_US} AS minute, count(*) AS n FROM {table}
            WHERE len_el >= {LONG_US} GROUP BY ALL"""
    )
    hist = pd.DataFrame({"code": codes(hist["activity"]), "minute": hist["minute"].to_numpy(dtype=np.int64),
                         "n": hist["n"].to_numpy(dtype=np.int64)}).sort_values(["code", "minute"], kind="stable")
    typical = log._one(f"SELECT quantile_cont(wait, 0.5) FROM {table}")
    thr = long_wait_threshold(0.0 if typical is None else float(typical))
    other = ("count(*) FILTER (WHERE prev_grp IS NOT NULL AND grp IS NOT NULL AND prev_grp <> grp)"
             if "grp" in log._aux else "0")
    e = log._df(
        f"""SELECT prev_act, activity, count(*) AS n,
                   count(*) FILTER (WHERE CAST(wait AS DOUBLE) >= CAST({thr!r} AS DOUBLE)) AS n_long,
                   {other} AS n_other
            FROM {table} WHERE prev_act IS NOT NULL GROUP BY ALL"""
    )
    edges = pd.DataFrame({"src": codes(e["prev_act"]), "dst": codes(e["activity"]),
                          **{k: e[k].to_numpy(dtype=np.int64) for k in ("n", "n_long", "n_other")}})
    edges = edges.sort_values(["src", "dst"], kind="stable").reset_index(drop=True)
    resources = None
    if "res" in log._aux:
        r = log._df(f"SELECT activity, res, count(*) AS n FROM {table} WHERE res IS NOT NULL GROUP BY ALL")
        resources = pd.DataFrame({"code": codes(r["activity"]), "resource": r["res"].astype(str).to_numpy(),
                                  "n": r["n"].to_numpy(dtype=np.int64)})
    steps = StepAggregates(
        names=names, labels=_labels(log, n_act, code), count=per_act(a, "n_ev").astype(np.int64),
        resources=resources, has_start=has_start, quick=quick, edges=edges, has_group="grp" in log._aux,
    )
    waits = WaitAggregates(n=per_act(a, "ln"), s1=per_act(a, "s1"), s2=per_act(a, "s2"), hist=hist.reset_index(drop=True),
                           proc_median=per_act(a, "proc_med", np.nan) if has_start else None)
    return steps, waits


def _labels(log: DuckLog, n_act: int, code: dict[str, int]) -> list[list[str]]:
    """Readable labels beside the activity names (see :func:`procmine._steps._labels`): the
    first value (in source order) per activity of each text column named so."""
    out: list[list[str]] = [[] for _ in range(n_act)]
    skip = {"__rn", *getattr(log, "_helper_cols", []), *log._roles.values(), *log._aux.values()}
    types = dict(log.con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM raw)").fetchall())
    cols = label_columns([c for c in types if c not in skip], lambda c: types[c] == "VARCHAR")
    for col in cols:
        df = log._df(
            f"""SELECT s.activity, arg_min(r.{_q(col)}, s.__rn) FILTER (WHERE r.{_q(col)} IS NOT NULL) AS first,
                       count(DISTINCT r.{_q(col)}) AS n
                FROM seq s JOIN raw r ON s.__rn = r.__rn GROUP BY s.activity"""
        )
        first = pd.Series(df["first"].to_numpy(dtype=object), index=[code[str(v)] for v in df["activity"]])
        add_labels(out, first.sort_index(), int(df["n"].sum()))
    return out
