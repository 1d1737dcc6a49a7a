"""Wait causes of a DuckLog, out of core: the aggregates the rules read, in SQL.

:mod:`procmine.waits._causes` splits the analysis in four steps: aggregates of the log
(:class:`~procmine.waits._steps.StepAggregates`, :class:`~procmine.waits._causes.WaitAggregates`),
the per-activity decisions made from them in Python (:func:`~procmine.waits._steps.decide_steps`,
:func:`~procmine.waits._causes.decide_causes`), the per-event rule, and the counts per
activity and cause. Here the aggregates are group-bys over the ordered events (the
previous activity and group come from the window of the ordered table) and the per-event
rule is :data:`CAUSE_SQL`, a CASE over the decisions joined as a small table: nothing is
loaded per event. The decisions themselves are the in-memory code, run on these frames.

Two rules look at more than an event and its predecessor: batch releases read the events
per activity and calendar day (a group-by), and follow-ups whether something the office
sent or asked for is out, i.e. the last opening or closing step before the event in its
case: a window over the ordered case (:data:`INSIDE_SQL`), computed only when some step
may be a follow-up. A statutory wait past its period gives the time beyond it to the
cause it has without the period (:data:`REST_SQL`), by the same arithmetic as in memory.
A period may also run after a step, whatever step comes next (the previous step's
decisions, joined as the previous activity's row: :data:`PERIOD_SQL`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...waits._causes import LONG_US, MINUTE_US, WaitAggregates, self_repeats
from ...waits._steps import StepAggregates, add_labels, label_columns, long_wait_threshold
from ._setup import _q

if TYPE_CHECKING:
    from . import DuckLog

__all__ = ["aggregates", "cause_view_sql", "inside_counts"]

_DAY_US = 86_400_000_000
_SECOND_US = 1_000_000

# per event, whether the last opening or closing step before it in its case opens a window
# (procmine.waits._causes.inside_windows): the largest ``pos * 4 + mark`` of the marked
# events before it carries the last mark in its lowest bits
INSIDE_SQL = """coalesce((max(CASE WHEN d.d_mark > 0 THEN e.pos * 4 + d.d_mark END)
    OVER (PARTITION BY e.case_id ORDER BY e.pos ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) % 4 = 1, false)"""
# the per-event rule of procmine.waits._causes.assign_causes over an event joined with its
# activity's decisions (``d_*``) and the previous activity's ``prev_parks``, ``a_period`` and
# ``a_tol`` (its fixed period after it): first event none; declared; statutory when the span
# reaches the fixed period of the step or, else, of the previous step (``per_stat``: the
# period it reaches); batch release; client right after a request or hold; client for a
# follow-up while something is out; else the base cause.
# REST_SQL is the same without the period: the cause of the time beyond the period
AFTER_REQUEST_SQL = "(prev_act IS NOT NULL AND prev_parks AND NOT d_request)"


def _reaches(period: str, tol: str) -> str:
    """The span reaches the period (a full period: at least it less the tolerance; a
    partial one: within the tolerance)."""
    return f"""({period} IS NOT NULL AND NOT isnan({period}) AND len_el IS NOT NULL AND (CASE WHEN {tol} >= {_DAY_US}
         THEN CAST(len_el AS DOUBLE) >= {period} - {tol}
         ELSE abs(CAST(len_el AS DOUBLE) - {period}) <= {tol} END))"""


PERIOD_SQL = f"""CASE WHEN prev_act IS NULL OR d_fixed >= 0 THEN NULL
    WHEN {_reaches("d_period", "d_tol")} THEN d_period
    WHEN {_reaches("a_period", "a_tol")} THEN a_period END"""
BY_PREV_SQL = f"(per_stat IS NOT NULL AND NOT {_reaches('d_period', 'd_tol')})"
_FIRST = """CASE WHEN prev_act IS NULL THEN -1
    WHEN d_fixed >= 0 THEN d_fixed
    """
_AFTER_PERIOD = f"""WHEN d_release THEN 3
    WHEN {AFTER_REQUEST_SQL} THEN 1
    WHEN d_follow AND inside AND d_base = 0 THEN 1
    ELSE d_base END"""
REST_SQL = _FIRST + _AFTER_PERIOD
CAUSE_SQL = _FIRST + """WHEN per_stat IS NOT NULL THEN 2
    """ + _AFTER_PERIOD
# a statutory wait past its period (procmine.waits._causes.Caps) and the statutory part of
# its wait: procmine.waits._causes.scaled, the same floating-point operations
CAPPED_SQL = "(cause = 2 AND d_fixed < 0 AND CAST(len_el AS DOUBLE) > per_stat)"
_PART = "least(CAST(wait_el AS DOUBLE), per_stat)"
OWN_WAIT_SQL = f"""CASE WHEN {CAPPED_SQL} AND {_PART} < CAST(wait_el AS DOUBLE)
    THEN least(wait, CAST(floor(CAST(wait AS DOUBLE) * ({_PART} / CAST(wait_el AS DOUBLE)) + 0.5) AS BIGINT))
    ELSE wait END"""


def cause_view_sql(table: str, dec: str, follow: bool) -> str:
    """The events of ``table`` with ``cause`` and ``rest`` (-1 none, else an index into
    CAUSES), ``after_req``, ``fol`` (a follow-up's event while something is out),
    ``capped`` and ``w_own`` (the wait of its own cause; ``wait - w_own`` goes to
    ``rest``), the decisions ``dec`` (:meth:`procmine.waits._causes.Decisions.frame`)
    joined as a small table. The window over the case runs only with a follow-up."""
    inside = INSIDE_SQL if follow else "false"
    return f"""SELECT *, {OWN_WAIT_SQL} AS w_own, {CAPPED_SQL} AS capped FROM (
        SELECT *, {CAUSE_SQL} AS cause, {REST_SQL} AS rest, {AFTER_REQUEST_SQL} AS after_req,
               (d_follow AND inside) AS fol, {BY_PREV_SQL} AS by_prev
        FROM (SELECT *, {PERIOD_SQL} AS per_stat FROM (
              SELECT e.*, d.d_fixed, d.d_base, d.d_request, d.d_release, d.d_follow, d.d_period, d.d_tol,
                     coalesce(p.d_parks, false) AS prev_parks, p.d_after_period AS a_period, p.d_after_tol AS a_tol,
                     {inside} AS inside
              FROM {table} e JOIN {dec} d ON e.activity = d.activity
              LEFT JOIN {dec} p ON e.prev_act = p.activity)))"""


def inside_counts(log: DuckLog, table: str, names: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """Per activity code: its events while something the office sent or asked for is out
    (procmine.waits._causes.inside_windows), by a window over the ordered events."""
    marks = f"perf_marks_{abs(hash(tuple(mark.tolist()))):x}"
    log.con.register(marks, pd.DataFrame({"activity": names.astype(str), "d_mark": mark.astype(np.int32)}))
    df = log._df(
        f"""SELECT activity, count(*) FILTER (WHERE inside) AS n FROM (
                SELECT e.activity, {INSIDE_SQL} AS inside
                FROM {table} e JOIN {marks} d ON e.activity = d.activity) GROUP BY activity"""
    )
    code = {str(a): i for i, a in enumerate(names)}
    out = np.zeros(len(names), dtype=np.int64)
    out[[code[str(a)] for a in df["activity"]]] = df["n"].to_numpy(dtype=np.int64)
    return out


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
    # events per activity and calendar day of completion (batch releases)
    d = log._df(f"""SELECT activity, CAST(floor(t / {float(_DAY_US)!r}) AS BIGINT) AS day, count(*) AS n
                    FROM {table} WHERE t IS NOT NULL GROUP BY ALL""")
    days = pd.DataFrame({"code": codes(d["activity"]), "day": d["day"].to_numpy(dtype=np.int64),
                         "n": d["n"].to_numpy(dtype=np.int64)}).sort_values(["code", "day"], kind="stable")
    # the same lengths keyed by the previous step (a period that runs after it)
    b = log._df(
        f"""SELECT prev_act AS activity, count(len_el) AS ln, sum(CAST(len_el AS DOUBLE)) AS s1,
                   sum(CAST(len_el AS DOUBLE) * CAST(len_el AS DOUBLE)) AS s2
            FROM {table} WHERE prev_act IS NOT NULL GROUP BY prev_act"""
    )
    b_hist = log._df(
        f"""SELECT prev_act AS activity, len_el // {MINUTE_US} AS minute, count(*) AS n FROM {table}
            WHERE prev_act IS NOT NULL AND len_el >= {LONG_US} GROUP BY ALL"""
    )
    b_hist = pd.DataFrame({"code": codes(b_hist["activity"]), "minute": b_hist["minute"].to_numpy(dtype=np.int64),
                           "n": b_hist["n"].to_numpy(dtype=np.int64)}).sort_values(["code", "minute"], kind="stable")
    after = WaitAggregates(n=per_act(b, "ln"), s1=per_act(b, "s1"), s2=per_act(b, "s2"),
                           hist=b_hist.reset_index(drop=True), proc_median=None)
    waits = WaitAggregates(n=per_act(a, "ln"), s1=per_act(a, "s1"), s2=per_act(a, "s2"), hist=hist.reset_index(drop=True),
                           proc_median=per_act(a, "proc_med", np.nan) if has_start else None,
                           days=days.reset_index(drop=True), count=steps.count, again=self_repeats(edges, n_act),
                           inside=None, after=after)
    return steps, waits


def _labels(log: DuckLog, n_act: int, code: dict[str, int]) -> list[list[str]]:
    """Readable labels beside the activity names (see :func:`procmine.waits._steps._labels`): the
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
