"""Performance aggregates and wait causes by SQL, shared by the DuckDB and Spark engines.

:class:`SqlPerf` computes the tables :class:`procmine.Performance` is built from
(:meth:`procmine.engines.Engine.perf_cases`, ``perf_activities``, ``perf_edges``,
``event_periods``, ``wait_explanation``) as SQL over a per-event table that each engine
creates in its own way (:mod:`procmine.engines.duckdb._perf`, :mod:`procmine.engines._spark_perf`)
and runs through a :class:`SqlRunner`. The SQL is the subset DuckDB and Spark SQL share
(``percentile_cont(q) WITHIN GROUP``, aggregate ``FILTER``, ``GROUP BY ALL``, windows).

Wait causes, out of core: the aggregates the rules read, in SQL.

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

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from ..log import ACTIVITY, CASE
from ..waits._causes import (
    CAUSES,
    CLIENT,
    LONG_US,
    MINUTE_US,
    Decisions,
    WaitAggregates,
    decide_causes,
    finish,
    follow_up_candidates,
    follow_up_markers,
    self_repeats,
)
from ..waits._steps import StepAggregates, decide_steps, long_wait_threshold
from ._protocol import BIN_US, PERF_STATS, local_periods, sorted_by_name
from ._quantiles import exact_quantiles, log_bucket_sets_sql, with_quantiles

__all__ = ["EDGE_CASES", "SqlPerf", "SqlRunner", "aggregates", "cause_view_sql", "edge_cases_sql", "inside_counts",
           "median_sql", "working_time_lookup"]


class SqlRunner(Protocol):
    """What :class:`SqlPerf` needs of an engine's SQL: queries, small tables, views."""

    aux: dict[str, str]  #: ``res``/``grp`` when the event table has the resource/group columns
    cache: dict[Any, Any]  #: kept with the log: aggregates computed once per log
    #: the engine's SQL has ``quantile_cont(x, [q1, q2])``: the quantiles of a column from
    #: one sort of each group instead of one per quantile (DuckDB; Spark SQL has not)
    list_quantiles: bool

    def df(self, sql: str) -> pd.DataFrame: ...

    def one(self, sql: str) -> Any: ...

    def register(self, name: str, frame: pd.DataFrame) -> None: ...

    def create(self, name: str, sql: str, *, table: bool) -> None:
        """A view of ``sql`` named ``name`` (``table``: computed once and kept)."""
        ...

    def labels(self, names: np.ndarray, code: dict[str, int]) -> list[list[str]]:
        """Readable labels beside the activity names (:func:`procmine.waits._steps._labels`)."""
        ...

    def holds(self, table: str, states: int) -> bool:
        """Whether ``states`` exact quantiles (``percentile_cont``, which keeps every value of
        a group in memory) of the rows of ``table`` fit the engine's memory; else
        :func:`exact_quantiles` counts them in bounded memory."""
        ...


def working_time_lookup(calendar: Any, lo: int | None, hi: int | None) -> Any:
    """``cum(values, missing)``: the cumulative working µs of int µs instants (0 where
    ``missing``), from ``calendar``'s table of working intervals over ``[lo, hi]`` (the
    whole log: every batch an engine streams through it shares one origin, so differences
    of the values are working times, as ``Calendar.cumulative`` gives them in memory)."""
    bounds = np.array([0, 0] if lo is None else [lo, hi], dtype=np.int64)
    table = calendar._table(*calendar._local_day_range(bounds))

    def cum(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
        out = np.zeros(len(values), dtype=np.int64)
        ok = ~missing
        if ok.any():
            out[ok] = table.cum_at(np.asarray(values)[ok].astype(np.int64))
        return out

    return cum


#: the key of the cases per directly-follows pair in an engine's cache (:attr:`SqlRunner.cache`)
EDGE_CASES = "edge cases"


def edge_cases_sql(table: str, prev: str) -> str:
    """``prev_act, activity, n_cases``: the cases of each directly-follows pair, from the
    distinct (case, pair) rows of ``table`` (``prev``: its column of the previous activity
    in the case). A group-by that spills, not a set of case ids per pair held in memory;
    the DFG and the performance edges read the same pairs, so an engine computes it once."""
    return f"""SELECT {prev} AS prev_act, activity, count(*) AS n_cases
               FROM (SELECT DISTINCT case_id, {prev}, activity FROM {table} WHERE {prev} IS NOT NULL)
               GROUP BY ALL"""


def median_sql(x: str, q: float = 0.5) -> str:
    """The exact ``q`` quantile of ``x`` (linear interpolation, as numpy) in DuckDB and Spark SQL."""
    return f"percentile_cont({q}) WITHIN GROUP (ORDER BY {x})"


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
# period it reaches); batch release; client right after a request or hold (a request repeated
# right after itself included: it chases the open one); client for a
# follow-up while something is out; else the base cause.
# REST_SQL is the same without the period: the cause of the time beyond the period
AFTER_REQUEST_SQL = "(prev_act IS NOT NULL AND prev_parks AND (NOT d_request OR activity = prev_act))"


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


def inside_counts(log: SqlRunner, table: str, names: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """Per activity code: its events while something the office sent or asked for is out
    (procmine.waits._causes.inside_windows), by a window over the ordered events."""
    marks = f"perf_marks_{abs(hash(tuple(mark.tolist()))):x}"
    log.register(marks, pd.DataFrame({"activity": names.astype(str), "d_mark": mark.astype(np.int32)}))
    df = log.df(
        f"""SELECT activity, count(*) FILTER (WHERE inside) AS n FROM (
                SELECT e.activity, {INSIDE_SQL} AS inside
                FROM {table} e JOIN {marks} d ON e.activity = d.activity) GROUP BY activity"""
    )
    code = {str(a): i for i, a in enumerate(names)}
    out = np.zeros(len(names), dtype=np.int64)
    out[[code[str(a)] for a in df["activity"]]] = df["n"].to_numpy(dtype=np.int64)
    return out


def _typical_wait(log: SqlRunner, table: str, held: bool) -> float:
    """The median wait of all events (0 without any), by ``percentile_cont`` or counted."""
    if held:
        typical = log.one(f"SELECT {median_sql('wait')} FROM {table}")
    else:
        t = exact_quantiles(log, table, [], "wait", {0.5: "med"})
        typical = t["med"].iloc[0] if len(t) else None
    return 0.0 if typical is None or pd.isna(typical) else float(typical)


def _long_lengths(log: SqlRunner, table: str, codes: Callable[[Any], np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long lengths of ``table`` counted per minute (``code``, ``minute``, ``n``; sorted),
    keyed by the step and by the previous step (a period that runs after it): one scan,
    two grouping sets. ``codes``: activity names to codes."""
    both = log.df(
        f"""SELECT activity, prev_act, minute, grouping(activity) AS by_prev, count(*) AS n
            FROM (SELECT activity, prev_act, CAST(floor(len_el / {MINUTE_US}) AS BIGINT) AS minute
                  FROM {table} WHERE len_el >= {LONG_US})
            GROUP BY GROUPING SETS ((activity, minute), (prev_act, minute))"""
    )

    def minutes(by_prev: bool) -> pd.DataFrame:
        h = both[both["by_prev"] == 1] if by_prev else both[both["by_prev"] == 0]
        if by_prev:
            h = h[h["prev_act"].notna()]
        return pd.DataFrame({"code": codes(h["prev_act" if by_prev else "activity"]),
                             "minute": h["minute"].to_numpy(dtype=np.int64), "n": h["n"].to_numpy(dtype=np.int64)}
                            ).sort_values(["code", "minute"], kind="stable")

    return minutes(False), minutes(True)


def aggregates(log: SqlRunner, table: str, names: np.ndarray, has_start: bool) -> tuple[StepAggregates, WaitAggregates]:
    """The step and wait aggregates of a log from ``table``, its elapsed-time event view
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
    held = log.holds(table, 1)
    a = log.df(
        f"""SELECT activity, count(*) AS n_ev,
                   count(proc) AS pk, count(*) FILTER (WHERE proc < {sec}) AS pq,
                   count(wait) AS wk, count(*) FILTER (WHERE wait < {sec}) AS wq,
                   count(len_el) AS ln, sum(CAST(len_el AS DOUBLE)) AS s1,
                   sum(CAST(len_el AS DOUBLE) * CAST(len_el AS DOUBLE)) AS s2,
                   {median_sql("proc") if held else "NULL"} AS proc_med
            FROM {table} GROUP BY activity"""
    )
    if not held:
        a = with_quantiles(log, a, table, ["activity"], {"proc": {0.5: "proc_med"}})
    quick = np.stack([per_act(a, k) for k in ("pk", "pq", "wk", "wq")], axis=1).astype(np.int64)
    hist, b_hist = _long_lengths(log, table, codes)
    thr = long_wait_threshold(_typical_wait(log, table, held))
    other = ("count(*) FILTER (WHERE prev_grp IS NOT NULL AND grp IS NOT NULL AND prev_grp <> grp)"
             if "grp" in log.aux else "0")
    e = log.df(
        f"""SELECT prev_act, activity, count(*) AS n,
                   count(*) FILTER (WHERE CAST(wait AS DOUBLE) >= CAST({thr!r} AS DOUBLE)) AS n_long,
                   {other} AS n_other
            FROM {table} WHERE prev_act IS NOT NULL GROUP BY ALL"""
    )
    edges = pd.DataFrame({"src": codes(e["prev_act"]), "dst": codes(e["activity"]),
                          **{k: e[k].to_numpy(dtype=np.int64) for k in ("n", "n_long", "n_other")}})
    edges = edges.sort_values(["src", "dst"], kind="stable").reset_index(drop=True)
    resources = None
    if "res" in log.aux:
        r = log.df(f"SELECT activity, res, count(*) AS n FROM {table} WHERE res IS NOT NULL GROUP BY ALL")
        resources = pd.DataFrame({"code": codes(r["activity"]), "resource": r["res"].astype(str).to_numpy(),
                                  "n": r["n"].to_numpy(dtype=np.int64)})
    steps = StepAggregates(
        names=names, labels=log.labels(names, code), count=per_act(a, "n_ev").astype(np.int64),
        resources=resources, has_start=has_start, quick=quick, edges=edges, has_group="grp" in log.aux,
    )
    # events per activity and calendar day of completion (batch releases)
    d = log.df(f"""SELECT activity, CAST(floor(t / {float(_DAY_US)!r}) AS BIGINT) AS day, count(*) AS n
                    FROM {table} WHERE t IS NOT NULL GROUP BY ALL""")
    days = pd.DataFrame({"code": codes(d["activity"]), "day": d["day"].to_numpy(dtype=np.int64),
                         "n": d["n"].to_numpy(dtype=np.int64)}).sort_values(["code", "day"], kind="stable")
    # the same lengths keyed by the previous step (a period that runs after it)
    b = log.df(
        f"""SELECT prev_act AS activity, count(len_el) AS ln, sum(CAST(len_el AS DOUBLE)) AS s1,
                   sum(CAST(len_el AS DOUBLE) * CAST(len_el AS DOUBLE)) AS s2
            FROM {table} WHERE prev_act IS NOT NULL GROUP BY prev_act"""
    )
    after = WaitAggregates(n=per_act(b, "ln"), s1=per_act(b, "s1"), s2=per_act(b, "s2"),
                           hist=b_hist.reset_index(drop=True), proc_median=None)
    waits = WaitAggregates(n=per_act(a, "ln"), s1=per_act(a, "s1"), s2=per_act(a, "s2"), hist=hist.reset_index(drop=True),
                           proc_median=per_act(a, "proc_med", np.nan) if has_start else None,
                           days=days.reset_index(drop=True), count=steps.count, again=self_repeats(edges, n_act),
                           inside=None, after=after)
    return steps, waits




# ---------------------------------------------------------------------------------------
# the performance tables, by SQL over an engine's per-event table
# ---------------------------------------------------------------------------------------
class SqlPerf:
    """The performance aggregates of a log under one calendar and declarations, by SQL.

    An engine's subclass sets ``sql`` (its :class:`SqlRunner`), ``table`` (the per-event
    view under the calendar: ``case_id``, ``activity``, ``prev_act``, ``__rn``, ``pos``,
    ``t``, ``s`` (a start at or before completion, else null), ``ct``/``cs`` (their
    cumulative working time), ``wait``, ``proc``, and in elapsed µs ``len_el``
    (previous completion to completion) and ``wait_el``; ``res``, ``grp``, ``prev_grp``
    when the log has them) and ``elapsed_table`` (the same in elapsed time); ``_names``
    (the activities in code point order) and ``_key`` (the declarations).
    """

    sql: SqlRunner
    table: str
    elapsed_table: str
    _names: np.ndarray
    _key: tuple

    @cached_property
    def has_measured_starts(self) -> bool:
        return bool(self.sql.one(f"SELECT count(s) FROM {self.elapsed_table}"))

    # -- wait causes (procmine.waits._causes' rules on SQL aggregates) ---------------------------
    @cached_property
    def _decisions(self) -> tuple[pd.DataFrame, Decisions]:
        """The step classification and the per-activity decisions, from SQL aggregates
        in elapsed time (they do not depend on the calendar: computed once per log and
        declarations)."""
        key = f"wait causes {self._key!r}"
        if key not in self.sql.cache:
            table = self.elapsed_table
            step_agg, wait_agg = aggregates(self.sql, table, self._names, self.has_measured_starts)
            steps = decide_steps(step_agg, external=self._key[1])
            mark = follow_up_markers(steps)
            if follow_up_candidates(mark, wait_agg.count, wait_agg.again).any():
                # a window over the ordered events, only when some step may be a follow-up
                wait_agg = replace(wait_agg, inside=inside_counts(self.sql, table, self._names, mark))
            self.sql.cache[key] = steps, decide_causes(self._names, steps, wait_agg, dict(self._key[0]))
        return self.sql.cache[key]

    @cached_property
    def _cause_table(self) -> str:
        """The event table with each event's cause (:func:`cause_view_sql`): a view, or a
        table when a follow-up needs the window over the case (computed once)."""
        d = self._decisions[1]
        tag = f"{abs(hash((self.table, self._key))):x}"
        dec = f"perf_dec_{tag}"
        self.sql.register(dec, d.frame(self._names))
        name = f"{self.table}_causes_{tag}"
        if not self.sql.cache.get(name):
            follow = bool(d.follow.any())
            self.sql.create(name, cause_view_sql(self.table, dec, follow), table=follow)
            self.sql.cache[name] = True
        return name

    @cached_property
    def _explained(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(steps, explain) from the waits counted per activity and cause."""
        df = self._activity_stats
        code = {a: i for i, a in enumerate(self._names)}
        idx = np.array([code[str(a)] for a in df["activity"]], dtype=np.int64)
        n_act = len(self._names)
        counts = np.zeros((n_act, len(CAUSES)), dtype=np.int64)
        counts[idx] = df[[f"n{k}" for k in range(len(CAUSES))]].to_numpy(dtype=np.int64)
        per = {}
        for col in ("req_n", "follow_n", "cap_n"):
            per[col] = np.zeros(n_act, dtype=np.int64)
            per[col][idx] = df[col].to_numpy(dtype=np.int64)
        steps, d = self._decisions
        after = None
        if not np.isnan(d.after_period).all():  # waits statutory by the previous step's period, per pair
            pairs = self.sql.df(f"""SELECT prev_act, activity, count(*) AS n FROM {self._cause_table}
                                    WHERE cause = 2 AND by_prev GROUP BY ALL""")
            after = pd.DataFrame({"src": np.array([code[str(a)] for a in pairs["prev_act"]], dtype=np.int64),
                                  "dst": np.array([code[str(a)] for a in pairs["activity"]], dtype=np.int64),
                                  "n": pairs["n"].to_numpy(dtype=np.int64)})
        return finish(self._names, steps, d, counts, per["req_n"], dict(self._key[0]), per["follow_n"], per["cap_n"],
                      after)

    def wait_explanation(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(steps, explain)`` (see :attr:`procmine.Performance.wait_causes`)."""
        return self._explained

    @staticmethod
    def _cause_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
        """The SQL totals per cause (``w0``..``w3``) as ``wait_<cause>`` float µs, 0 where none."""
        return {f"wait_{name}": np.nan_to_num(pd.to_numeric(df[f"w{k}"]).to_numpy(dtype=np.float64, na_value=np.nan))
                for k, name in enumerate(CAUSES)}

    @staticmethod
    def _cause_sql(counts: bool = False, *, grouped: bool = False) -> str:
        """The totals per cause (``w0``..``w3``) and, with ``counts``, the waits per cause
        and kind; ``grouped``: over the rows of :meth:`_flag_groups` instead of the events."""
        # each wait's own cause gets w_own; a statutory wait past its period gives the rest
        # (wait - w_own) to the cause it has without the period (Caps in procmine.waits._causes)
        own, rest = ("so", "sr") if grouped else ("w_own", "wait - w_own")
        out = "".join(
            f", coalesce(sum({own}) FILTER (WHERE cause = {k}), 0)"
            f" + coalesce(sum({rest}) FILTER (WHERE capped AND rest = {k}), 0) AS w{k}"
            for k in range(len(CAUSES))
        )
        if counts:
            def n(where: str) -> str:
                return f"coalesce(CAST(sum(c) FILTER (WHERE {where}) AS BIGINT), 0)" if grouped else (
                    f"count(*) FILTER (WHERE {where})")

            out += "".join(f", {n(f'cause = {k}')} AS n{k}" for k in range(len(CAUSES)))
            out += f", {n(f'cause = {CLIENT} AND after_req')} AS req_n"
            out += f", {n(f'cause = {CLIENT} AND fol AND NOT after_req')} AS follow_n"
            out += f", {n('capped')} AS cap_n"
        return out

    _FLAGS = "cause, capped, rest, after_req, fol"  #: what the sums per cause tell apart

    def _flag_groups(self, group: str, cond: str) -> str:
        """The events of the cause table summed per ``group`` and combination of
        :data:`_FLAGS` (a handful per group): the rows :meth:`_cause_sql` (``grouped``)
        reads; its filtered sums then run over these, not over every event."""
        return f"""SELECT {group}, {self._FLAGS}, count(*) AS c, sum(w_own) AS so, sum(wait - w_own) AS sr,
                          count(proc) AS pn, sum(proc) AS ps, count(wait) AS wn, sum(wait) AS ws
                   FROM {self._cause_table} {f"WHERE {cond}" if cond else ""} GROUP BY {group}, {self._FLAGS}"""

    # -- the tables ------------------------------------------------------------------------------
    def perf_cases(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_cases`."""
        c = self.sql.df(
            f"""SELECT case_id, min(__rn) AS first_rn, count(*) AS events,
                       least(min(t), min(s)) AS start, max(t) AS end_,
                       max(ct) - least(min(ct), min(cs)) AS duration{self._cause_sql()}
                FROM {self._cause_table} GROUP BY case_id ORDER BY first_rn"""
        )
        d = pd.to_numeric(c["duration"], errors="coerce")
        return pd.DataFrame(
            {"start": c["start"].to_numpy(dtype=np.int64), "end": c["end_"].to_numpy(dtype=np.int64),
             "events": c["events"].to_numpy(dtype=np.int64),
             "duration": np.where(d.isna(), NAT, d.fillna(0).to_numpy(dtype=np.int64)),
             **self._cause_columns(c)},
            index=pd.Index(c["case_id"].to_numpy(dtype=object), name=CASE),
        )

    def total_duration(self) -> float:
        """The case durations of :meth:`perf_cases` summed (µs; the exact sum as a decimal,
        correctly rounded), without the per-case table."""
        total = self.sql.one(
            f"""SELECT sum(CAST(d AS DECIMAL(38, 0))) FROM (
                    SELECT max(ct) - least(min(ct), min(cs)) AS d FROM {self.table} GROUP BY case_id)"""
        )
        return 0.0 if total is None else float(total)

    #: the per-pair figures: each event with a previous one in its case (the DFG's pairs)
    _PAIRS, _PAIRED = "prev_act, activity", "prev_act IS NOT NULL"
    #: the quantiles of :meth:`_stats` per grouping: the pairs' table has no processing times
    _QUANTILES: ClassVar[dict[str, tuple[str, ...]]] = {"activity": ("proc", "wait"), _PAIRS: ("wait",)}

    def _stats(self, group: str) -> pd.DataFrame:
        """The sums, counts per cause and quantiles per ``group`` (``"activity"`` or
        :data:`_PAIRS`)."""
        if not self.sql.holds(self.table, 4):
            return self._counted_stats[group]
        counts = group == "activity"
        cond = "" if counts else self._PAIRED
        where = f"WHERE {cond}" if cond else ""
        wanted = self._QUANTILES[group]
        sums = (f"{group}, count(*) AS n{self._cause_sql(counts=counts)}, count(proc) AS proc_n, "
                "sum(proc) AS proc_sum, count(wait) AS wait_n, sum(wait) AS wait_sum")
        if not self.sql.list_quantiles:
            # the quantiles by percentile_cont in the same scan (their values fit in memory)
            q = {f"{x}_{k}": median_sql(x, p) if x in wanted else "NULL"
                 for x in ("proc", "wait") for k, p in (("med", 0.5), ("p90", 0.9))}
            return self.sql.df(f"""SELECT {sums}, {", ".join(f"{v} AS {k}" for k, v in q.items())}
                                   FROM {self._cause_table} {where} GROUP BY {group}""")
        # the median and the 90th percentile from one sort of each group (x_q holds both)
        listed = "".join(f", quantile_cont({x}, [0.5, 0.9]) AS {x}_q" for x in wanted)
        q = {f"{x}_{k}": f"{x}_q[{i}]" if x in wanted else "NULL"
             for x in ("proc", "wait") for i, k in ((1, "med"), (2, "p90"))}
        return self.sql.df(
            f"""SELECT * EXCLUDE ({", ".join(f"{x}_q" for x in wanted)}), {", ".join(f"{v} AS {k}" for k, v in q.items())}
                FROM (SELECT {sums}{listed} FROM {self._cause_table} {where} GROUP BY {group})"""
        )

    @cached_property
    def _counted_stats(self) -> dict[str, pd.DataFrame]:
        """:meth:`_stats` out of core, of the activities and the pairs at once: the events
        summed per pair and combination of cause flags (a small table: :meth:`_flag_groups`)
        give both sums, and the first count of the quantiles (:func:`exact_quantiles_of`)
        counts both groupings; the two scans run at once where the engine can (``df_pair``).
        Each was a scan of its own per grouping: at 100 M events 20 s each."""
        flags = f"{self._cause_table}_flags"
        sets = {"activity": "", self._PAIRS: self._PAIRED}
        wanted = {g: {x: {0.5: f"{x}_med", 0.9: f"{x}_p90"} for x in self._QUANTILES[g]} for g in sets}
        specs = [([k.strip() for k in g.split(",")], x, cond) for g, cond in sets.items() for x in wanted[g]]
        buckets = log_bucket_sets_sql(self._cause_table, specs)
        groups = self._flag_groups(self._PAIRS, "")
        pair = getattr(self.sql, "df_pair", None)
        if pair is not None:
            hist = pair(f"CREATE OR REPLACE TABLE {flags} AS {groups}", buckets)[1]
        else:
            self.sql.create(flags, groups, table=True)
            hist = self.sql.df(buckets)
        out, first = {}, 0
        for g, cond in sets.items():
            counts = g == "activity"
            sums = self.sql.df(
                f"""SELECT {g}, CAST(sum(c) AS BIGINT) AS n{self._cause_sql(counts=counts, grouped=True)},
                           CAST(sum(pn) AS BIGINT) AS proc_n, sum(ps) AS proc_sum, NULL AS proc_med, NULL AS proc_p90,
                           CAST(sum(wn) AS BIGINT) AS wait_n, sum(ws) AS wait_sum, NULL AS wait_med, NULL AS wait_p90
                    FROM {flags} {f"WHERE {cond}" if cond else ""} GROUP BY {g}"""
            )
            # this grouping's rows of the count, numbered from 0 as exact_quantiles_of reads them
            vi = hist["vi"].to_numpy(dtype=np.int64)
            own = hist[(vi >= first) & (vi < first + len(wanted[g]))].assign(vi=lambda h, at=first: h["vi"] - at)
            first += len(wanted[g])
            keys = [k.strip() for k in g.split(",")]
            out[g] = with_quantiles(self.sql, sums, self._cause_table, keys, wanted[g], cond, own)
        return out

    def _edge_cases(self) -> pd.DataFrame:
        """Cases per directly-follows pair (:func:`edge_cases_sql`), shared through the
        engine's cache with its DFG: the same pairs whatever the calendar."""
        if EDGE_CASES not in self.sql.cache:
            self.sql.cache[EDGE_CASES] = self.sql.df(edge_cases_sql(self.table, "prev_act"))
        return self.sql.cache[EDGE_CASES]

    @staticmethod
    def _stat_columns(df: pd.DataFrame, what: str) -> dict[str, np.ndarray]:
        """The SQL stats of ``what`` (``proc``/``wait``) as ``{what}_median/mean/p90/sum`` float µs;
        the mean is the exact sum over the count, as in memory."""

        def f(col: str) -> np.ndarray:
            return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

        total = f(f"{what}_sum")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / f(f"{what}_n")
        values = {"median": f(f"{what}_med"), "mean": mean, "p90": f(f"{what}_p90"), "sum": total}
        return {f"{what}_{k}": values[k] for k in PERF_STATS}

    @cached_property
    def _activity_stats(self) -> pd.DataFrame:
        return sorted_by_name(self._stats("activity"), "activity")

    def perf_activities(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_activities`."""
        df = self._activity_stats
        return pd.DataFrame(
            {"count": df["n"].to_numpy(dtype=np.int64), **self._stat_columns(df, "proc"),
             **self._stat_columns(df, "wait"), **self._cause_columns(df)},
            index=pd.Index(df["activity"].to_numpy(dtype=object), name=ACTIVITY, dtype=object),
        )

    def perf_edges(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_edges`."""
        stats = self._stats(self._PAIRS)
        df = sorted_by_name(stats.merge(self._edge_cases(), on=["prev_act", "activity"], validate="one_to_one"),
                            "prev_act", "activity")
        return pd.DataFrame(
            {"source": pd.Series(df["prev_act"].to_numpy(dtype=object), dtype=object),
             "target": pd.Series(df["activity"].to_numpy(dtype=object), dtype=object),
             "count": df["n"].to_numpy(dtype=np.int64), "cases": df["n_cases"].to_numpy(dtype=np.int64),
             **self._stat_columns(df, "wait"), **self._cause_columns(df)}
        )

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        """Events per local period: counted per 15-minute UTC bin by SQL (integer arithmetic,
        floored before 1970 too), the occupied bins converted to local periods on the
        driver (:func:`procmine.engines._protocol.local_periods`)."""
        df = self.sql.df(
            f"SELECT q, count(*) AS n FROM (SELECT CAST(floor(t / {BIN_US}) AS BIGINT) AS q "
            f"FROM {self.table}) GROUP BY q"
        )
        return local_periods(df["q"].to_numpy(dtype=np.int64) * BIN_US, tz, freq, df["n"].to_numpy(dtype=np.int64))


# ---------------------------------------------------------------------------------------
# the perf_* aggregates of an engine, answered by its SqlPerf objects
# ---------------------------------------------------------------------------------------
class SqlPerfEngine:
    """The ``perf_*`` aggregates of :class:`procmine.engines.Engine` for an engine that
    computes them with a :class:`SqlPerf` (DuckDB, Spark).

    One :class:`SqlPerf` is built per calendar and declarations and kept in the engine's
    cache under ``("perf", calendar, declared)``; an engine gives the cache
    (:meth:`_perf_cache`) and how to build one (:meth:`_new_perf`).
    """

    def _perf_cache(self) -> dict[Any, Any]:
        """The dictionary keeping this log's :class:`SqlPerf` objects."""
        raise NotImplementedError

    def _new_perf(self, calendar: Any, declared: tuple) -> SqlPerf:
        """A new :class:`SqlPerf` of this log under ``calendar`` and ``declared``."""
        raise NotImplementedError

    def _perf(self, calendar: Any, declared: tuple) -> SqlPerf:
        """The :class:`SqlPerf` of a calendar and declarations, built once (its SQL tables
        and aggregates are computed once)."""
        cache = self._perf_cache()
        key = ("perf", calendar, declared)
        if key not in cache:
            cache[key] = self._new_perf(calendar, declared)
        return cache[key]

    def has_measured_starts(self) -> bool:
        from ..calendar import Calendar

        return self._perf(Calendar.always(), ((), ())).has_measured_starts

    def perf_cases(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        return self._perf(calendar, declared).perf_cases()

    def perf_activities(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        return self._perf(calendar, declared).perf_activities()

    def perf_total_duration(self, calendar: Any, declared: tuple) -> float:
        """The summed case durations (µs) of :meth:`perf_cases`, without the per-case table."""
        return self._perf(calendar, declared).total_duration()

    def perf_edges(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        return self._perf(calendar, declared).perf_edges()

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        from ..calendar import Calendar

        return self._perf(Calendar.always(), ((), ())).event_periods(tz, freq)

    def wait_explanation(self, declared: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
        from ..calendar import Calendar

        # the counts per cause do not depend on the calendar: those of a calendar already queried
        cache = self._perf_cache()
        done = [k[1] for k in cache if isinstance(k, tuple) and k[0] == "perf" and k[2] == declared]
        return self._perf(done[0] if done else Calendar.always(), declared).wait_explanation()
