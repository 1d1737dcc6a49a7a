"""Performance of a :class:`~procmine.engines.duckdb.DuckLog`, computed by SQL.

:func:`procmine.performance` returns a :class:`DuckPerformance` for a DuckLog: the
frames of :class:`procmine.Performance` (``cases``, ``activities``, ``edges``,
``throughput``, ``summary()``, ``to_frame()``) with the same columns, dtypes, order and
definitions (see :mod:`procmine.performance`), computed in DuckDB without loading the
events into memory.

Working time: a :class:`procmine.Calendar` is a table of working intervals with the
working time accumulated before each (a few thousand rows for ten years). DuckDB streams
the instants in record batches through a vectorised Python function (an Arrow UDF) that
looks them up in that table, as ``Calendar.cumulative`` does; differences of these
values are the working times. So the working-time figures stream through DuckDB too.

Wait causes (``wait_office``, ``wait_client``, ``wait_statutory``, ``wait_batch``,
:attr:`~procmine.Performance.wait_causes` and :attr:`~procmine.Performance.steps`) are
computed out of core too (:mod:`procmine.engines.duckdb._causes`): SQL aggregates, the
in-memory decision code on them, and a per-event CASE over the decisions summed per
activity, edge and case. Only :attr:`DuckPerformance.causes` (the cause of every event as
an array, for the analyses that work per event) loads the log.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cached_property
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ...calendar import Calendar
from ...log import CASE
from ...performance import Performance, _period_counts, _td
from ...waits._causes import (
    CAUSES,
    CLIENT,
    Decisions,
    WaitCauses,
    check_declarations,
    decide_causes,
    finish,
    follow_up_candidates,
    follow_up_markers,
)
from ...waits._steps import decide_steps
from . import DuckLog, as_eventlog
from ._causes import aggregates, cause_view_sql, inside_counts
from ._model import activity_counts

__all__ = ["DuckPerformance", "duck_performance"]

_BIN_US = 15 * 60 * 1_000_000  # every time zone's offset is a multiple of 15 minutes


def _by_name(names: np.ndarray) -> np.ndarray:
    """Order of ``names`` in code point order (the in-memory activity codes)."""
    return np.argsort(names.astype(str), kind="stable")


class DuckPerformance(Performance):
    """:class:`procmine.Performance` of a DuckLog: the same frames, from SQL.

    The per-event times (previous completion, start, waiting end and, under a working
    calendar, their cumulative working time) are computed once into a DuckDB table of
    the log's database (on disk, spilled beyond ``memory_limit``); the frames are
    group-bys over it.

    Examples
    --------
    >>> import procmine as pm, tempfile, os
    >>> log = pm.samples.load("permit_de")
    >>> path = log.to_parquet(os.path.join(tempfile.mkdtemp(), "permit.parquet"))
    >>> perf = pm.performance(pm.read_log(path, engine="duckdb"))
    >>> perf.activities.equals(pm.performance(log).activities)
    True
    """

    log: DuckLog  # type: ignore[assignment]

    def __init__(
        self, log: DuckLog, calendar: Calendar, freq: str | None = None, *, waits: Any = None, external: Any = None
    ) -> None:
        self.log = log
        self.calendar = calendar
        self._freq = freq
        self._declared = (waits, external)
        self._names = np.array(sorted(str(a) for a in activity_counts(log).index), dtype=object)
        self._key = check_declarations(self._names, waits, external)  # now, as Performance does
        self._table = self._event_table(calendar)
        has_start = bool(log.has_start and log._one(f"SELECT count(s) FROM {self._table}"))
        self.times = SimpleNamespace(has_start=has_start)  # what Performance's summary reads

    # -- the per-event table ----------------------------------------------------------------
    def _event_table(self, cal: Calendar) -> str:
        log = self.log
        name = "perf_elapsed" if cal.is_elapsed else f"perf_{abs(hash(cal)):x}"
        if log._cache.get(name):
            return name
        log._prepare()
        start = (
            "CASE WHEN start_ts IS NULL OR start_ts > ts THEN NULL ELSE epoch_us(start_ts) END"
            if log.has_start
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
            if log.has_start
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

    def elapsed(self) -> Performance:
        """The same analysis in elapsed time (24/7)."""
        if self.calendar.is_elapsed:
            return self
        return DuckPerformance(self.log, Calendar.always(), self._freq, waits=self._declared[0],
                               external=self._declared[1])

    # -- wait causes (procmine.waits._causes' rules on SQL aggregates) ---------------------------
    @cached_property
    def _decisions(self) -> tuple[pd.DataFrame, Decisions]:
        """The step classification and the per-activity decisions, from SQL aggregates
        in elapsed time (they do not depend on the calendar: computed once per log and
        declarations)."""
        key = f"wait causes {self._key!r}"
        if key not in self.log._cache:
            table = self._event_table(Calendar.always())
            has_start = bool(self.log.has_start and self.log._one(f"SELECT count(s) FROM {table}"))
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
        tag = f"{abs(hash((self._table, self._key))):x}"
        dec = f"perf_dec_{tag}"
        log.con.register(dec, d.frame(self._names))
        name = f"{self._table}_causes_{tag}"
        if not log._cache.get(name):
            kind = "TABLE" if d.follow.any() else "VIEW"
            log.con.execute(f"CREATE OR REPLACE {kind} {name} AS {cause_view_sql(self._table, dec, bool(d.follow.any()))}")
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

    @property
    def wait_causes(self) -> pd.DataFrame:
        """Why cases wait before each activity (see :attr:`procmine.Performance.wait_causes`)."""
        return self._explained[1]

    @property
    def steps(self) -> pd.DataFrame:
        """The step classification (see :attr:`procmine.Performance.steps`)."""
        return self._explained[0]

    @cached_property
    def causes(self) -> WaitCauses:
        """The cause of every event as arrays (:class:`procmine.waits._causes.WaitCauses`):
        per event, so computed on the log loaded in memory (at most ``MATERIALISE_LIMIT``
        events). The frames and :attr:`wait_causes` do not need it."""
        mem = Performance(as_eventlog(self.log, "performance (wait causes per event)"), self.calendar, self._freq,
                          waits=self._declared[0], external=self._declared[1])
        return mem.causes

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
    def _case_table(self) -> pd.DataFrame:
        return self.log._df(
            f"""SELECT case_id, min(__rn) AS first_rn, count(*) AS events,
                       least(min(t), min(s)) AS start, max(t) AS end_,
                       max(ct) - least(min(ct), min(cs)) AS duration{self._cause_sql()}
                FROM {self._cause_table} GROUP BY case_id ORDER BY first_rn"""
        )

    # -- frames ------------------------------------------------------------------------
    @cached_property
    def cases(self) -> pd.DataFrame:
        """One row per case: ``start``, ``end``, ``events``, ``duration`` (per calendar), ``elapsed``."""
        c = self._case_table
        start = c["start"].to_numpy(dtype=np.int64)
        end = c["end_"].to_numpy(dtype=np.int64)
        frame = pd.DataFrame(
            {
                "start": pd.to_datetime(start, unit="us", utc=True),
                "end": pd.to_datetime(end, unit="us", utc=True),
                "events": c["events"].to_numpy(dtype=np.int64),
                "duration": _td(c["duration"].to_numpy(dtype=np.int64)),
                "elapsed": _td(end - start),
            },
            index=pd.Index(c["case_id"].astype(str), name=CASE),
        )
        for name, values in self._cause_columns(c).items():
            frame[f"wait_{name}"] = _td(values).to_numpy()
        return self._attrs(frame)

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
    def _stat_dict(df: pd.DataFrame, what: str) -> dict[str, np.ndarray]:
        """The SQL stats of ``what`` (``proc``/``wait``) as :func:`procmine._core.kernels.group_stats` gives them."""
        total = df[f"{what}_sum"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / df[f"{what}_n"].to_numpy(dtype=np.float64)
        return {
            "median": df[f"{what}_med"].to_numpy(dtype=np.float64),
            "mean": mean,
            "p90": df[f"{what}_p90"].to_numpy(dtype=np.float64),
            "sum": total,
        }

    @cached_property
    def _activity_stats(self) -> pd.DataFrame:
        df = self._stats("activity")
        return df.iloc[_by_name(df["activity"].to_numpy(dtype=object))].reset_index(drop=True)

    @cached_property
    def activities(self) -> pd.DataFrame:
        """Per activity (see :attr:`procmine.Performance.activities`)."""
        df = self._activity_stats
        total_case = float(self._case_table["duration"].dropna().to_numpy(dtype=np.float64).sum())
        names = df["activity"].astype(str)
        return self._activities_frame(
            names, df["n"].to_numpy(dtype=np.int64),
            self._stat_dict(df, "proc"), self._stat_dict(df, "wait"), total_case,
            self._cause_columns(df),
        )

    @cached_property
    def edges(self) -> pd.DataFrame:
        """Per directly-follows pair (see :attr:`procmine.Performance.edges`)."""
        df = self._stats("prev_act, activity", "WHERE prev_act IS NOT NULL", cases=True)
        order = np.lexsort(
            (
                df["activity"].to_numpy(dtype=object).astype(str),
                df["prev_act"].to_numpy(dtype=object).astype(str),
            )
        )
        df = df.iloc[order].reset_index(drop=True)
        return self._edges_frame(
            df["prev_act"].to_numpy(dtype=object), df["activity"].to_numpy(dtype=object),
            df["n"].to_numpy(dtype=np.int64), df["n_cases"].to_numpy(dtype=np.int64), self._stat_dict(df, "wait"),
            self._cause_columns(df),
        )

    def _span_us(self) -> tuple[int, int] | None:
        c = self._case_table
        if len(c) == 0:
            return None
        return int(c["start"].min()), int(c["end_"].max())

    def _period_counts(self, sql: str) -> pd.Series:
        """Instants per local period: counted per 15-minute UTC bin by DuckDB, then the
        occupied bins are converted to local periods (as ``performance._period_counts``)."""
        df = self.log._df(
            f"SELECT q, count(*) AS n FROM (SELECT floor(x / {_BIN_US}) AS q FROM ({sql})) GROUP BY q"
        )
        starts = df["q"].to_numpy(dtype=np.int64) * _BIN_US
        local = (
            pd.DatetimeIndex(starts.view("datetime64[us]"))
            .tz_localize("UTC")
            .tz_convert(self.calendar.tz)
            .tz_localize(None)
        )
        return pd.Series(df["n"].to_numpy(dtype=np.int64)).groupby(local.to_period(self.freq)).sum()

    @cached_property
    def throughput(self) -> pd.DataFrame:
        """Per period: ``arrivals``, ``completions``, ``wip``, ``events`` (see :class:`procmine.Performance`)."""
        if len(self._case_table) == 0:
            empty = pd.DataFrame(
                columns=["arrivals", "completions", "wip", "events"],
                index=pd.PeriodIndex([], freq=self.freq, name="period"),
                dtype=np.int64,
            )
            return self._attrs(empty)
        c, tz = self._case_table, self.calendar.tz
        counts = [  # arrivals and completions from the per-case table (in memory), events by SQL
            _period_counts(c["start"].to_numpy(dtype=np.int64), tz, self.freq),
            _period_counts(c["end_"].to_numpy(dtype=np.int64), tz, self.freq),
            self._period_counts(f"SELECT t AS x FROM {self._table}"),
        ]
        return self._throughput_frame(counts)

    def __repr__(self) -> str:
        return super().__repr__().replace("<Performance ", "<Performance (DuckDB) ", 1)


def duck_performance(
    log: DuckLog, calendar: Calendar, freq: str | None = None, *, waits: Any = None, external: Any = None
) -> DuckPerformance:
    """:class:`DuckPerformance` (called by :func:`procmine.performance` for a DuckLog)."""
    return DuckPerformance(log, calendar, freq, waits=waits, external=external)
