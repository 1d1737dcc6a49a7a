"""The performance aggregates of a :class:`~procmine.engines.duckdb.DuckLog`, computed by SQL.

:class:`DuckPerf` gives :class:`~procmine.engines.duckdb._model.DuckEngine` the tables
:class:`procmine.Performance` is built from (:meth:`procmine.engines.Engine.perf_cases`,
``perf_activities``, ``perf_edges``, ``event_periods``, ``wait_explanation``), with the
in-memory definitions (see :mod:`procmine.performance`), computed in DuckDB without
loading the events into memory.

Working time: a :class:`procmine.Calendar` gives the cumulative working time of any
instant (``Calendar.cumulative``; a search in its table of working intervals). One pass
over the ordered table in Arrow batches looks up, in numpy, that of each event's
completion, start and previous completion, and a second connection writes these three
columns into a narrow table in the same order; the per-event view pairs it with the
ordered table by position (``POSITIONAL JOIN``). Differences of these values are the
working times. (Three hash joins with the calendar cut into quarter hours, writing every
column of the events again, cost 10.6 CPU seconds on 10 M events; the pass, 1.9.)

The aggregates themselves, wait causes included, are the SQL the DuckDB and Spark engines
share (:class:`procmine.engines._sql_perf.SqlPerf`); this module creates the per-event
table they read and runs the queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...calendar import Calendar
from ...waits._steps import add_labels, label_columns
from .._sql_perf import SqlPerf, working_time_lookup
from ._setup import EVENTS_WITH_SOURCE, LOG_ORDER, _is_resource_error, _q

if TYPE_CHECKING:
    from . import DuckLog

__all__ = ["QUANTILE_SHARE", "DuckPerf"]

#: exact quantiles by ``percentile_cont`` (values held in memory) while they need at most this
#: share of DuckDB's ``memory_limit``; beyond, counted in bounded memory
#: (:func:`procmine.engines._sql_perf.exact_quantiles`)
QUANTILE_SHARE = 0.5


#: optimizers off while the performance queries run (:meth:`_DuckSql.joins_as_written`)
AS_WRITTEN = ("join_order", "build_side_probe_side")


class _DuckSql:
    """The :class:`procmine.engines._sql_perf.SqlRunner` of a DuckLog: its connection."""

    def __init__(self, log: DuckLog) -> None:
        self.log = log
        self.aux = log._aux
        self.cache = log._cache

    @contextmanager
    def joins_as_written(self) -> Iterator[str]:
        """Run the joins as the SQL writes them: the events on the left (probed), the
        small tables on the right (built). Under a working calendar the events are a
        positional join, which DuckDB cannot estimate (it counts it as empty), so it
        built its hash tables on the events: 10 M rows spilled for each query, where
        the decisions per activity are a few dozen rows. The SQL of
        :mod:`procmine.engines._sql_perf` always puts the events first."""
        con = self.log.con
        before = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
        off = sorted({*(x.strip() for x in str(before or "").split(",") if x.strip()), *AS_WRITTEN})
        setting = f"SET disabled_optimizers = '{','.join(off)}'"
        con.execute(setting)
        try:
            yield setting
        finally:
            con.execute(f"SET disabled_optimizers = '{before or ''}'")

    def df(self, sql: str) -> pd.DataFrame:
        with self.joins_as_written():
            return self.log._df(sql)

    def one(self, sql: str) -> Any:
        with self.joins_as_written():
            return self.log._one(sql)

    def df_pair(self, first: str, second: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Two independent statements at once, ``second`` on a second connection in a thread
        (``first`` may create a table: its frame is then DuckDB's row count). DuckDB scans a
        positional join (the per-event view under a working calendar) on one thread: the
        flag groups and the quantiles' first count of the per-activity and per-pair figures,
        each such a scan, use two cores together (at 100 M events 20 s and 15 s, one after
        the other before)."""
        from concurrent.futures import ThreadPoolExecutor

        log = self.log
        log._prepare()
        with self.joins_as_written() as setting:
            cur = log.con.cursor()  # sees the log's tables and views (register writes tables)
            try:
                cur.execute(setting)
                with ThreadPoolExecutor(max_workers=1) as pool:
                    later = pool.submit(lambda: cur.execute(second).df())
                    try:
                        a = log._execute(first).df()
                    finally:
                        try:
                            b = later.result()
                        except Exception as exc:
                            if not _is_resource_error(exc):
                                raise
                            raise log._no_room(exc, "compute this figure") from exc
            finally:
                cur.close()
        return a, b

    def register(self, name: str, frame: pd.DataFrame) -> None:
        # a small table of the log's database (not a frame registered on this connection):
        # the second connection of df_pair reads it too
        con = self.log.con
        con.register(f"{name}__frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}__frame")
        finally:
            con.unregister(f"{name}__frame")

    def create(self, name: str, sql: str, *, table: bool) -> None:
        if table:
            with self.joins_as_written():
                self.log._work_table(name, sql)
        else:
            self.log.con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

    def labels(self, names: np.ndarray, code: dict[str, int]) -> list[list[str]]:
        return _labels(self.log, len(names), code)

    list_quantiles = True  # quantile_cont(x, [0.5, 0.9]): both from one sort of each group

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
            cum = self._cumulative_table(name, start)
            # the ordered table and the working times computed from it, paired by position
            rows = base.replace(" FROM seq", f", w.ct, w.cs, w.c_prev FROM seq POSITIONAL JOIN {cum} w")
            # cumulative working time never decreases, so that of the waiting end (the
            # later of start and previous completion) is the larger of theirs: three
            # calendar lookups per event, not four
            c_we = "CASE WHEN s IS NULL THEN ct ELSE greatest(cs, coalesce(c_prev, cs)) END"
            sql = f"""SELECT case_id, activity, prev_act, __rn, pos, t, s,
                             {c_we} - c_prev AS wait, ct - cs AS proc, ct, cs, {span}
                      FROM ({rows})"""
        # cheap expressions over stored tables: a view
        log._execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        log._cache[name] = True
        return name

    def _cumulative_table(self, name: str, start: str) -> str:
        """``{name}_cum``: per row of ``seq`` and in its order, the cumulative working µs
        (``ct``, ``cs``, ``c_prev``) of its completion, start (``start``: the SQL of the
        start in µs, NULL when none) and previous completion (NULL kept), computed in
        numpy from the calendar's table over the whole log (one origin: differences are
        working times, as ``Calendar.cumulative`` gives them in memory)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        log = self.log
        lo, hi = log.con.execute(
            "SELECT least(min(epoch_us(ts)), min(epoch_us(start_ts))), greatest(max(epoch_us(ts)), "
            "max(epoch_us(start_ts))) FROM ev"
            if log.has_start_timestamps
            else "SELECT min(epoch_us(ts)), max(epoch_us(ts)) FROM ev"
        ).fetchall()[0]
        cum = working_time_lookup(self.calendar, lo, hi)
        table = f"{name}_cum"
        schema = pa.schema([(c, pa.int64()) for c in ("ct", "cs", "c_prev")])

        def batches(reader: Any) -> Any:
            for b in reader:
                out = []
                for col in b.columns:
                    missing = col.is_null().to_numpy(zero_copy_only=False)
                    out.append(pa.array(cum(pc.fill_null(col, 0).to_numpy(), missing),
                                        mask=missing if col.null_count else None))
                yield pa.RecordBatch.from_arrays(out, schema=schema)

        # a scan of one table in its order, written in that order (insertion order held)
        log.con.execute("SET preserve_insertion_order = true")
        try:
            log._write_stream(table, f"SELECT epoch_us(ts), {start}, epoch_us(prev_ts) FROM seq",
                              lambda reader: (schema, batches(reader)))
        except Exception as exc:
            if not _is_resource_error(exc):
                raise
            raise log._no_room(exc, "compute the working times") from exc
        finally:
            log.con.execute("SET preserve_insertion_order = false")
        # a positional join pairs rows by position: both must hold the same rows
        n = log._one(f"SELECT (SELECT count(*) FROM {table}) - (SELECT count(*) FROM seq)")
        if n:
            raise AssertionError(f"{table}: {n:+d} rows against the ordered table")
        return table


def _labels(log: DuckLog, n_act: int, code: dict[str, int]) -> list[list[str]]:
    """Readable labels beside the activity names (see :func:`procmine.waits._steps._labels`): the
    first value per activity of each text column named so, first in the order of the log in
    memory: cases in the order of their first source row, events in time order within them
    (source order differs when the source is not in case order, and a label that varies
    within an activity then changed the step's classification)."""
    out: list[list[str]] = [[] for _ in range(n_act)]
    skip = {"__rn", *getattr(log, "_helper_cols", []), *log._roles.values(), *log._aux.values()}
    types = dict(log.con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM raw)").fetchall())
    cols = label_columns([c for c in types if c not in skip], lambda c: types[c] == "VARCHAR")
    if not cols:
        return out
    # every label column in one query: the events' order in the log is found once
    aggs = ", ".join(
        f"arg_min(r.{_q(c)}, {LOG_ORDER}) FILTER (WHERE r.{_q(c)} IS NOT NULL) AS f{k}, count(DISTINCT r.{_q(c)}) AS n{k}"
        for k, c in enumerate(cols)
    )
    df = log._df(f"SELECT s.activity, {aggs} FROM {EVENTS_WITH_SOURCE} GROUP BY s.activity")
    idx = [code[str(v)] for v in df["activity"]]
    for k in range(len(cols)):
        first = pd.Series(df[f"f{k}"].to_numpy(dtype=object), index=idx)
        add_labels(out, first.sort_index(), int(df[f"n{k}"].sum()))
    return out
