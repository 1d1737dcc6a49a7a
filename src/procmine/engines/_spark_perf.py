"""The performance aggregates of a :class:`~procmine.engines.spark.SparkLog`, computed by Spark.

:class:`SparkPerf` gives :class:`~procmine.engines.spark.SparkEngine` the tables
:class:`procmine.Performance` is built from (:meth:`procmine.engines.Engine.perf_cases`,
``perf_activities``, ``perf_edges``, ``event_periods``, ``wait_explanation``), with the
in-memory definitions (:mod:`procmine._core.event_times`): one window per case gives
each event its position, previous completion, activity and group (a per-event temporary
view, cached by Spark); the aggregates, wait causes included, are the SQL the DuckDB
engine runs too (:class:`procmine.engines._sql_perf.SqlPerf`), here through Spark SQL:
``percentile_cont`` gives the exact median and p90 (linear interpolation, as numpy),
sums of integer µs the exact totals. Only aggregates reach the driver, never the events.

Working time: the calendar's table of working intervals (a few thousand rows for ten
years, built on the driver for the log's time range) goes to the executors with a
vectorised pandas UDF that looks each instant up in it, as ``Calendar.cumulative`` does;
differences of these cumulative values are working times, as in memory and in DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..calendar import Calendar
from ..waits._steps import add_labels, label_columns
from ._sql_perf import SqlPerf, working_time_lookup

if TYPE_CHECKING:
    from .spark import SparkEngine, SparkLog

__all__ = ["SparkPerf", "spark_events"]


class _SparkSql:
    """The :class:`procmine.engines._sql_perf.SqlRunner` of a SparkLog: Spark SQL over
    temporary views of its session (names unique to the log)."""

    list_quantiles = False  # Spark SQL: one percentile_cont per quantile

    def __init__(self, engine: SparkEngine) -> None:
        self.log = engine.log
        self.spark = engine.log.sdf.sparkSession
        self.aux = engine.log._aux
        self.cache = engine._cache

    def df(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def one(self, sql: str) -> Any:
        return self.spark.sql(sql).collect()[0][0]

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def create(self, name: str, sql: str, *, table: bool) -> None:
        view = self.spark.sql(sql)
        (view.cache() if table else view).createOrReplaceTempView(name)

    def holds(self, table: str, states: int) -> bool:
        # Spark's percentile_cont runs per partition on the executors
        return True

    def labels(self, names: np.ndarray, code: dict[str, int]) -> list[list[str]]:
        """The first value per activity of each text column named as a label (see
        :func:`procmine.waits._steps._labels`), first in the order of the log in memory
        (cases by their first source row, events by time, then source row), as the DuckDB
        engine reads them."""
        from pyspark.sql import functions as F

        log = self.log
        out: list[list[str]] = [[] for _ in range(len(names))]
        skip = {*log._roles.values(), *log._aux.values(), log._order}
        types = dict(log.sdf.dtypes)
        cols = label_columns([c for c in log.sdf.columns if c not in skip], lambda c: types[c] == "string")
        if not cols:
            return out
        ev = log._in_log_order(cols)
        aggs = []
        for k in range(len(cols)):
            x = F.col(f"l{k}")
            aggs += [F.min_by(F.when(x.isNotNull(), x), F.when(x.isNotNull(), F.col("at"))).alias(f"f{k}"),
                     F.countDistinct(x).alias(f"n{k}")]
        df = ev.groupBy("activity").agg(*aggs).toPandas()
        idx = [code[str(v)] for v in df["activity"]]
        for k in range(len(cols)):
            first = pd.Series(df[f"f{k}"].to_numpy(dtype=object), index=idx)
            add_labels(out, first.sort_index(), int(df[f"n{k}"].sum()))
        return out


def spark_events(log: SparkLog, calendar: Calendar) -> Any:
    """The per-event Spark DataFrame under ``calendar`` that
    :class:`~procmine.engines._sql_perf.SqlPerf` reads (columns named there)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    us = F.unix_micros
    w = Window.partitionBy("case_id").orderBy(F.col("ts"), F.col("rn"))
    aux = [c for c in ("res", "grp") if c in log._aux]
    # a start after its completion is a data error: ignored (procmine._core.event_times)
    s = F.when(F.col("start_ts") <= F.col("ts"), us("start_ts")) if log.has_start_timestamps else F.lit(None)
    base = log.ev.select(
        "case_id", "activity", F.col("rn").alias("__rn"), *aux,
        F.row_number().over(w).alias("pos"),
        F.lag("activity").over(w).alias("prev_act"),
        *([F.lag("grp").over(w).alias("prev_grp")] if "grp" in aux else []),
        us("ts").alias("t"), s.cast("long").alias("s"), F.lag(us("ts")).over(w).alias("prev"),
    )
    # the waiting time ends at the start (not before the previous completion), else at completion
    we = F.when(F.col("s").isNull(), F.col("t")).otherwise(F.greatest(F.col("s"), F.coalesce(F.col("prev"), F.col("s"))))
    # the step's elapsed span (previous completion -> completion, as the wait causes read it)
    spans = [(we - F.col("prev") + F.coalesce(F.col("t") - F.col("s"), F.lit(0))).alias("len_el"),
             (we - F.col("prev")).alias("wait_el")]
    keep = ["case_id", "activity", "prev_act", "__rn", "pos", "t", "s", *aux, *(["prev_grp"] if "grp" in aux else [])]
    if calendar.is_elapsed:
        return base.select(*keep, F.col("t").alias("ct"), F.col("s").alias("cs"), (we - F.col("prev")).alias("wait"),
                           (F.col("t") - F.col("s")).alias("proc"), *spans)
    cum = _working_time_udf(log, calendar)
    w_t = Window.partitionBy("case_id").orderBy(F.col("t"), F.col("__rn"))  # the same order, on t
    c = base.select("*", cum(F.col("t")).alias("ct"), cum(F.col("s")).alias("cs"), cum(we).alias("c_we"), *spans)
    return c.select(*keep, "ct", "cs", (F.col("c_we") - F.lag("ct").over(w_t)).alias("wait"),
                    (F.col("ct") - F.col("cs")).alias("proc"), "len_el", "wait_el")


def _working_time_udf(log: SparkLog, cal: Calendar) -> Any:
    """A pandas UDF: the cumulative working µs of each instant (null kept), from the
    calendar's interval table over the whole log (one origin for every batch)."""
    from pyspark.sql import functions as F

    lo_hi = [F.min(F.unix_micros("ts")), F.max(F.unix_micros("ts"))]
    if log.has_start_timestamps:
        lo_hi += [F.min(F.unix_micros("start_ts")), F.max(F.unix_micros("start_ts"))]
    values = [int(v) for v in log.ev.agg(*lo_hi).collect()[0] if v is not None]
    cum = working_time_lookup(cal, min(values, default=None), max(values, default=None))

    @F.pandas_udf("long")  # type: ignore[call-overload]
    def cumulative(x: pd.Series) -> pd.Series:
        missing = x.isna().to_numpy()
        return pd.Series(pd.array(cum(x.fillna(0).to_numpy(), missing), dtype="Int64")).mask(missing)

    return cumulative


class SparkPerf(SqlPerf):
    """The performance aggregates of a SparkLog under one calendar and declarations (see
    the module docstring): the per-event view of each calendar is computed once per log."""

    def __init__(self, engine: SparkEngine, calendar: Calendar, declared: tuple, names: Any) -> None:
        self.sql = _SparkSql(engine)
        self.calendar = calendar
        self._key = declared
        self._names = np.array(sorted(str(a) for a in names), dtype=object)  # code point order, as the codes
        self.table = self._view(engine, calendar)
        self.elapsed_table = self._view(engine, Calendar.always())

    def _view(self, engine: SparkEngine, calendar: Calendar) -> str:
        key = ("events", calendar)
        if key not in self.sql.cache:
            tag = "elapsed" if calendar.is_elapsed else f"{abs(hash(calendar)):x}"
            name = f"procmine_perf_{id(engine.log):x}_{tag}"
            spark_events(engine.log, calendar).cache().createOrReplaceTempView(name)
            self.sql.cache[key] = name
        return self.sql.cache[key]
