"""The performance aggregates of a :class:`~procmine.engines.duckdb.DuckLog`, computed by SQL.

:class:`DuckPerf` gives :class:`~procmine.engines.duckdb._model.DuckEngine` the tables
:class:`procmine.Performance` is built from (:meth:`procmine.engines.Engine.perf_cases`,
``perf_activities``, ``perf_edges``, ``event_periods``, ``wait_explanation``), with the
in-memory definitions (see :mod:`procmine.performance`), computed in DuckDB without
loading the events into memory.

Working time: a :class:`procmine.Calendar` is a table of working intervals with the
working time accumulated before each (a few thousand rows for ten years). Cut into pieces
of at most a quarter hour in which no interval starts
(:func:`~procmine.engines._sql_perf.working_time_pieces`), it becomes a temporary table
DuckDB joins each instant with, by a hash join on the quarter hour: the cumulative working
time of an instant is then ``least(t + shift, done)``, as ``Calendar.cumulative`` computes
it; differences of these values are the working times. (An Arrow UDF doing the lookup in
Python, called for every 2,048 instants, took 7.3 s for the table of 10 M events; the
join, 5.2 s.)

The aggregates themselves, wait causes included, are the SQL the DuckDB and Spark engines
share (:class:`procmine.engines._sql_perf.SqlPerf`); this module creates the per-event
table they read and runs the queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...calendar import Calendar
from ...waits._steps import add_labels, label_columns
from .._sql_perf import SqlPerf, working_time_pieces
from ._setup import _q

if TYPE_CHECKING:
    from . import DuckLog

__all__ = ["QUANTILE_SHARE", "DuckPerf"]

#: exact quantiles by ``percentile_cont`` (values held in memory) while they need at most this
#: share of DuckDB's ``memory_limit``; beyond, counted in bounded memory
#: (:func:`procmine.engines._sql_perf.exact_quantiles`)
QUANTILE_SHARE = 0.5


class _DuckSql:
    """The :class:`procmine.engines._sql_perf.SqlRunner` of a DuckLog: its connection."""

    def __init__(self, log: DuckLog) -> None:
        self.log = log
        self.aux = log._aux
        self.cache = log._cache

    def df(self, sql: str) -> pd.DataFrame:
        return self.log._df(sql)

    def one(self, sql: str) -> Any:
        return self.log._one(sql)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.log.con.register(name, frame)

    def create(self, name: str, sql: str, *, table: bool) -> None:
        if table:
            self.log._work_table(name, sql)
        else:
            self.log.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

    def labels(self, names: np.ndarray, code: dict[str, int]) -> list[list[str]]:
        return _labels(self.log, len(names), code)

    def holds(self, table: str, states: int) -> bool:
        # percentile_cont keeps 8 bytes per value and state, in vectors that grow by doubling
        key = ("rows", table)
        if key not in self.cache:
            self.cache[key] = int(self.log._one(f"SELECT count(*) FROM {table}"))
        return self.cache[key] * states * 16 <= QUANTILE_SHARE * self.log._memory_limit()


class DuckPerf(SqlPerf):
    """The performance aggregates of a DuckLog under one calendar and declarations.

    The per-event times (previous completion, start, waiting end and, under a working
    calendar, their cumulative working time) are computed once into a DuckDB view or
    table of the log's database (on disk, spilled beyond ``memory_limit``); the
    aggregates are the group-bys of :class:`~procmine.engines._sql_perf.SqlPerf` over it.

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
        self.sql = _DuckSql(log)
        self.calendar = calendar
        self._key = declared
        self._names = np.array(sorted(str(a) for a in names), dtype=object)  # code point order, as the codes
        self.table = self._event_table(calendar)
        self.elapsed_table = self._event_table(Calendar.always())

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
            rows = self._with_working_time(name, base)
            # cumulative working time never decreases, so that of the waiting end (the
            # later of start and previous completion) is the larger of theirs: three
            # calendar lookups per event, not four
            c_we = "CASE WHEN s IS NULL THEN ct ELSE greatest(cs, coalesce(c_prev, cs)) END"
            sql = f"""SELECT case_id, activity, prev_act, __rn, pos, t, s,
                             {c_we} - c_prev AS wait, ct - cs AS proc, ct, cs, {span}
                      FROM ({rows})"""
        # elapsed time: cheap expressions over the prepared table, a view; working time: a
        # table, so that the calendar lookups run once
        if cal.is_elapsed:
            log.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        else:
            log._work_table(name, sql)
        log._cache[name] = True
        return name

    def _with_working_time(self, name: str, base: str) -> str:
        """The per-event rows of ``base`` (an SQL query) with ``ct``, ``cs`` and ``c_prev``:
        the cumulative working µs of ``t``, ``s`` and ``prev`` (NULL kept), by three joins
        with the calendar's pieces (:func:`~procmine.engines._sql_perf.working_time_pieces`,
        a temporary table); the pieces cover the whole log, so the values share one origin
        and their differences are working times, as ``Calendar.cumulative`` gives them."""
        log = self.log
        lo, hi = log.con.execute(
            "SELECT least(min(epoch_us(ts)), min(epoch_us(start_ts))), greatest(max(epoch_us(ts)), "
            "max(epoch_us(start_ts))) FROM ev"
            if log.has_start_timestamps
            else "SELECT min(epoch_us(ts)), max(epoch_us(ts)) FROM ev"
        ).fetchall()[0]
        pieces, origin, width = working_time_pieces(self.calendar, int(lo or 0), int(hi or 0))
        table = f"{name}_pieces"
        log.con.register(f"{table}_frame", pieces)
        try:
            log._execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_frame")
        finally:
            log.con.unregister(f"{table}_frame")

        def cum(x: str, c: str) -> str:
            return f"CASE WHEN b.{x} IS NULL THEN NULL ELSE least(b.{x} + {c}.shift, {c}.done) END"

        joins = "".join(
            f" LEFT JOIN {table} {c} ON {c}.bucket = (b.{x} - ({origin})) // {width} AND b.{x} >= {c}.lo AND b.{x} < {c}.hi"
            for x, c in (("t", "c1"), ("s", "c2"), ("prev", "c3"))
        )
        return (f"SELECT b.*, {cum('t', 'c1')} AS ct, {cum('s', 'c2')} AS cs, {cum('prev', 'c3')} AS c_prev "
                f"FROM ({base}) b{joins}")


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
