"""The performance aggregates of a :class:`~procmine.engines.duckdb.DuckLog`, computed by SQL.

:class:`DuckPerf` gives :class:`~procmine.engines.duckdb._model.DuckEngine` the tables
:class:`procmine.Performance` is built from (:meth:`procmine.engines.Engine.perf_cases`,
``perf_activities``, ``perf_edges``, ``event_periods``, ``wait_explanation``), with the
in-memory definitions (see :mod:`procmine.performance`), computed in DuckDB without
loading the events into memory.

Working time: a :class:`procmine.Calendar` is a table of working intervals with the
working time accumulated before each (a few thousand rows for ten years). DuckDB streams
the instants in record batches through a vectorised Python function (an Arrow UDF) that
looks them up in that table, as ``Calendar.cumulative`` does; differences of these
values are the working times. So the working-time figures stream through DuckDB too.

Wait causes (the ``wait_*`` totals, the explanation and the step classification) are
computed out of core too (:mod:`procmine.engines.duckdb._causes`): SQL aggregates, the
in-memory decision code on them, and a per-event CASE over the decisions summed per
activity, edge and case.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...calendar import NAT, Calendar
from ...log import ACTIVITY, CASE
from ...waits._causes import (
    CAUSES,
    CLIENT,
    Decisions,
    decide_causes,
    finish,
    follow_up_candidates,
    follow_up_markers,
)
from ...waits._steps import decide_steps
from .._protocol import BIN_US, PERF_STATS, local_periods, sorted_by_name
from ._causes import aggregates, cause_view_sql, inside_counts

if TYPE_CHECKING:
    from . import DuckLog

__all__ = ["DuckPerf", "duck_perf"]


def _by_name(names: np.ndarray) -> np.ndarray:
    """Order of ``names`` in code point order (the in-memory activity codes)."""
    return np.argsort(names.astype(str), kind="stable")


def duck_perf(log: DuckLog, calendar: Calendar, declared: tuple, names: Any) -> DuckPerf:
    """The :class:`DuckPerf` of a log, calendar and declarations (kept on the log: its SQL
    tables and aggregates are computed once); ``names``: the log's activities."""
    key = ("perf", calendar, declared)
    if key not in log._cache:
        log._cache[key] = DuckPerf(log, calendar, declared, names)
    return log._cache[key]


class DuckPerf:
    """The performance aggregates of a DuckLog under one calendar and declarations.

    The per-event times (previous completion, start, waiting end and, under a working
    calendar, their cumulative working time) are computed once into a DuckDB view or
    table of the log's database (on disk, spilled beyond ``memory_limit``); the
    aggregates are group-bys over it.

    Examples
    --------
    >>> import procmine as pm, tempfile, os
    >>> log = pm.samples.load("permit_de")
    >>> path = log.to_parquet(os.path.join(tempfile.mkdtemp(), "permit.parquet"))
    >>> perf = pm.performance(pm.read_log(path, engine="duckdb"))
    >>> perf.activities.equals(pm.performance(log).activities)
    True
    """

    def __init__(self, log: DuckLog, calendar: Calendar, declared: tuple, names: Any) -> None:
        self.log = log
        self.calendar = calendar
        self._key = declared
        self._names = np.array(sorted(str(a) for a in names), dtype=object)  # code point order, as the codes
        self.table = self._event_table(calendar)

    # -- the per-event table ----------------------------------------------------------------
    def _event_table(self, cal: Calendar) -> str:
        log = self.log
        name = "perf_elapsed" if cal.is_elapsed else f"perf_{abs(hash(cal)):x}"
        if log._cache.get(name):
            return name
        log._prepare()
        start = (
            "CASE WHEN start_ts IS NULL OR start_ts > ts THEN NULL ELSE epoch_us(start_ts) END"
            if log.has_start_timestamps
            else "CAST(NULL AS BIGINT)"
        )
        base = f"""SELECT case_id, activity, __rn, pos, epoch_us(ts) AS t, {start} AS s,
                          epoch_us(prev_ts) AS prev, prev_activity AS prev_act
                   FROM seq"""
        # the waiting time ends at the start (not before the previous completion), else at completion
        we = "CASE WHEN s IS NULL THEN t ELSE greatest(s, coalesce(prev, s)) END"
        # the step's elapsed span (previous completion -> completion, as the wait causes read it)
        span = f"({we} - prev) + coalesce(t - s, 0) AS len_el, {we} - prev AS wait_el"
        if cal.is_elapsed:
            aux = "".join(f", {c}" for c in log._aux) + (", prev_grp" if "grp" in log._aux else "")
            base = base.replace(" FROM seq", f"{aux} FROM seq")
            sql = f"""SELECT case_id, activity, prev_act, __rn, pos, t, s,
                             {we} - prev AS wait, t - s AS proc, t AS ct, s AS cs, {span}{aux}
                      FROM ({base})"""
        else:
            fn = self._working_time_function(name)
            sql = f"""SELECT case_id, activity, prev_act, __rn, pos, t, s,
                             c_we - c_prev AS wait, ct - cs AS proc, ct, cs, {span}
                      FROM (SELECT *, {fn}(t) AS ct, {fn}(s) AS cs, {fn}({we}) AS c_we, {fn}(prev) AS c_prev
                            FROM ({base}))"""
        # elapsed time: cheap expressions over the prepared table, a view; working time: a
        # table, so that the calendar lookups run once
        kind = "VIEW" if cal.is_elapsed else "TABLE"
        log.con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")
        log._cache[name] = True
        return name

    def _working_time_function(self, name: str) -> str:
        """Register ``{name}_cum(us)``: cumulative working µs of each instant (NULL kept).

        DuckDB streams the instants in record batches through the calendar's interval
        table (``Calendar.cumulative``'s lookup); the table covers the whole log, so the
        values of every batch share one origin and their differences are working times.
        """
        import pyarrow as pa

        log, cal = self.log, self.calendar
        lo, hi = log.con.execute(
            "SELECT least(min(epoch_us(ts)), min(epoch_us(start_ts))), greatest(max(epoch_us(ts)), "
            "max(epoch_us(start_ts))) FROM ev"
            if log.has_start_timestamps
            else "SELECT min(epoch_us(ts)), max(epoch_us(ts)) FROM ev"
        ).fetchall()[0]
        lo, hi = (0, 0) if lo is None else (int(lo), int(hi))
        table = cal._table(*cal._local_day_range(np.array([lo, hi], dtype=np.int64)))

        def cumulative(x: Any) -> Any:
            values = x.to_numpy(zero_copy_only=False)
            if not x.null_count:
                return pa.array(table.cum_at(values.astype(np.int64)), type=pa.int64())
            missing = np.asarray(x.is_null())
            out = np.zeros(len(values), dtype=np.int64)
            out[~missing] = table.cum_at(values[~missing].astype(np.int64))
            return pa.array(out, type=pa.int64(), mask=missing)

        fn = f"{name}_cum"
        with contextlib.suppress(Exception):  # a previous, failed attempt may have left it
            log.con.remove_function(fn)
        log.con.create_function(
            fn, cumulative, ["BIGINT"], "BIGINT", type="arrow", null_handling="special", side_effects=False
        )
        return fn

    # -- wait causes (procmine.waits._causes' rules on SQL aggregates) ---------------------------
    @cached_property
    def _decisions(self) -> tuple[pd.DataFrame, Decisions]:
        """The step classification and the per-activity decisions, from SQL aggregates
        in elapsed time (they do not depend on the calendar: computed once per log and
        declarations)."""
        key = f"wait causes {self._key!r}"
        if key not in self.log._cache:
            table = self._event_table(Calendar.always())
            has_start = bool(self.log.has_start_timestamps and self.log._one(f"SELECT count(s) FROM {table}"))
            step_agg, wait_agg = aggregates(self.log, table, self._names, has_start)
            steps = decide_steps(step_agg, external=self._key[1])
            mark = follow_up_markers(steps)
            if follow_up_candidates(mark, wait_agg.count, wait_agg.again).any():
                # a window over the ordered events, only when some step may be a follow-up
                wait_agg = replace(wait_agg, inside=inside_counts(self.log, table, self._names, mark))
            self.log._cache[key] = steps, decide_causes(self._names, steps, wait_agg, dict(self._key[0]))
        return self.log._cache[key]

    @cached_property
    def _cause_table(self) -> str:
        """The event table with each event's cause (:func:`._duck_causes.cause_view_sql`):
        a view, or a table when a follow-up needs the window over the case (computed once)."""
        log = self.log
        d = self._decisions[1]
        tag = f"{abs(hash((self.table, self._key))):x}"
        dec = f"perf_dec_{tag}"
        log.con.register(dec, d.frame(self._names))
        name = f"{self.table}_causes_{tag}"
        if not log._cache.get(name):
            kind = "TABLE" if d.follow.any() else "VIEW"
            log.con.execute(f"CREATE OR REPLACE {kind} {name} AS {cause_view_sql(self.table, dec, bool(d.follow.any()))}")
            log._cache[name] = True
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
            pairs = self.log._df(f"""SELECT prev_act, activity, count(*) AS n FROM {self._cause_table}
                                     WHERE cause = 2 AND by_prev GROUP BY ALL""")
            after = pd.DataFrame({"src": np.array([code[str(a)] for a in pairs["prev_act"]], dtype=np.int64),
                                  "dst": np.array([code[str(a)] for a in pairs["activity"]], dtype=np.int64),
                                  "n": pairs["n"].to_numpy(dtype=np.int64)})
        return finish(self._names, steps, d, counts, per["req_n"], dict(self._key[0]), per["follow_n"], per["cap_n"],
                      after)

    @staticmethod
    def _cause_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
        """The SQL totals per cause (``w0``..``w3``) as float µs, 0 where none."""
        return {name: np.nan_to_num(df[f"w{k}"].to_numpy(dtype=np.float64, na_value=np.nan))
                for k, name in enumerate(CAUSES)}

    @staticmethod
    def _cause_sql(counts: bool = False) -> str:
        # each wait's own cause gets w_own; a statutory wait past its period gives the rest
        # (wait - w_own) to the cause it has without the period (Caps in procmine.waits._causes)
        out = "".join(
            f", coalesce(sum(w_own) FILTER (WHERE cause = {k}), 0)"
            f" + coalesce(sum(wait - w_own) FILTER (WHERE capped AND rest = {k}), 0) AS w{k}"
            for k in range(len(CAUSES))
        )
        if counts:
            out += "".join(f", count(*) FILTER (WHERE cause = {k}) AS n{k}" for k in range(len(CAUSES)))
            out += f", count(*) FILTER (WHERE cause = {CLIENT} AND after_req) AS req_n"
            out += f", count(*) FILTER (WHERE cause = {CLIENT} AND fol AND NOT after_req) AS follow_n"
            out += ", count(*) FILTER (WHERE capped) AS cap_n"
        return out

    @cached_property
    def has_measured_starts(self) -> bool:
        return bool(self.log.has_start_timestamps and self.log._one(f"SELECT count(s) FROM {self.table}"))

    def wait_explanation(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(steps, explain)`` (see :attr:`procmine.Performance.wait_causes`)."""
        return self._explained

    def perf_cases(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_cases`."""
        c = self.log._df(
            f"""SELECT case_id, min(__rn) AS first_rn, count(*) AS events,
                       least(min(t), min(s)) AS start, max(t) AS end_,
                       max(ct) - least(min(ct), min(cs)) AS duration{self._cause_sql()}
                FROM {self._cause_table} GROUP BY case_id ORDER BY first_rn"""
        )
        frame = pd.DataFrame(
            {"start": c["start"].to_numpy(dtype=np.int64), "end": c["end_"].to_numpy(dtype=np.int64),
             "events": c["events"].to_numpy(dtype=np.int64), "duration": _int_us(c["duration"]),
             **{f"wait_{k}": v for k, v in self._cause_columns(c).items()}},
            index=pd.Index(c["case_id"].to_numpy(dtype=object), name=CASE),
        )
        return frame

    def _stats(self, group: str, where: str = "", cases: bool = False) -> pd.DataFrame:
        n_cases = ", count(DISTINCT case_id) AS n_cases" if cases else ""
        n_cases += self._cause_sql(counts=group == "activity")
        return self.log._df(
            f"""SELECT {group}, count(*) AS n{n_cases},
                       count(proc) AS proc_n, sum(proc) AS proc_sum,
                       quantile_cont(proc, 0.5) AS proc_med, quantile_cont(proc, 0.9) AS proc_p90,
                       count(wait) AS wait_n, sum(wait) AS wait_sum,
                       quantile_cont(wait, 0.5) AS wait_med, quantile_cont(wait, 0.9) AS wait_p90
                FROM {self._cause_table} {where} GROUP BY {group}"""
        )

    @staticmethod
    def _stat_columns(df: pd.DataFrame, what: str) -> dict[str, np.ndarray]:
        """The SQL stats of ``what`` (``proc``/``wait``) as ``{what}_median/mean/p90/sum`` float µs."""
        total = pd.to_numeric(df[f"{what}_sum"]).to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / df[f"{what}_n"].to_numpy(dtype=np.float64)
        values = {
            "median": pd.to_numeric(df[f"{what}_med"]).to_numpy(dtype=np.float64, na_value=np.nan),
            "mean": mean,
            "p90": pd.to_numeric(df[f"{what}_p90"]).to_numpy(dtype=np.float64, na_value=np.nan),
            "sum": total,
        }
        return {f"{what}_{k}": values[k] for k in PERF_STATS}

    @cached_property
    def _activity_stats(self) -> pd.DataFrame:
        df = self._stats("activity")
        return df.iloc[_by_name(df["activity"].to_numpy(dtype=object))].reset_index(drop=True)

    def perf_activities(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_activities`."""
        df = self._activity_stats
        return pd.DataFrame(
            {"count": df["n"].to_numpy(dtype=np.int64), **self._stat_columns(df, "proc"),
             **self._stat_columns(df, "wait"), **{f"wait_{k}": v for k, v in self._cause_columns(df).items()}},
            index=pd.Index(df["activity"].to_numpy(dtype=object), name=ACTIVITY, dtype=object),
        )

    def perf_edges(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_edges`."""
        df = sorted_by_name(self._stats("prev_act, activity", "WHERE prev_act IS NOT NULL", cases=True),
                            "prev_act", "activity")
        return pd.DataFrame(
            {"source": pd.Series(df["prev_act"].to_numpy(dtype=object), dtype=object),
             "target": pd.Series(df["activity"].to_numpy(dtype=object), dtype=object),
             "count": df["n"].to_numpy(dtype=np.int64), "cases": df["n_cases"].to_numpy(dtype=np.int64),
             **self._stat_columns(df, "wait"), **{f"wait_{k}": v for k, v in self._cause_columns(df).items()}}
        )

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        """Events per local period: counted per 15-minute UTC bin by DuckDB, then the
        occupied bins are converted to local periods (:func:`procmine.engines._protocol.local_periods`)."""
        df = self.log._df(
            f"SELECT q, count(*) AS n FROM (SELECT floor(t / {BIN_US}) AS q FROM {self.table}) GROUP BY q"
        )
        return local_periods(df["q"].to_numpy(dtype=np.int64) * BIN_US, tz, freq, df["n"].to_numpy(dtype=np.int64))


def _int_us(values: pd.Series) -> np.ndarray:
    """int64 µs from an SQL column, ``NAT`` where it is NULL."""
    v = pd.to_numeric(values, errors="coerce")
    missing = v.isna().to_numpy()
    return np.where(missing, NAT, v.fillna(0).to_numpy(dtype=np.int64))
