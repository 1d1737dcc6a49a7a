"""The performance aggregates of a :class:`~procmine.engines.spark.SparkLog`, computed by Spark.

:class:`SparkPerf` gives :class:`~procmine.engines.spark.SparkEngine` the tables
:class:`procmine.Performance` is built from (:meth:`procmine.engines.Engine.perf_cases`,
``perf_activities``, ``perf_edges``, ``event_periods``), with the in-memory definitions
(:mod:`procmine._core.event_times`): one window per case gives each event its previous
completion and activity; group-bys give the statistics, ``percentile`` the exact median
and p90 (linear interpolation, as numpy and DuckDB), sums of integer µs the exact totals.
Only the aggregates reach the driver, never the events.

Working time: the calendar's table of working intervals (a few thousand rows for ten
years, built on the driver for the log's time range) goes to the executors with a
vectorised pandas UDF that looks each instant up in it, as ``Calendar.cumulative`` does;
differences of these cumulative values are working times, as in memory and in DuckDB.

The split of the waits by cause is not computed by Spark (``capabilities.wait_causes``
is false): :class:`procmine.Performance` leaves its cause columns out and loads the log
(within the engine's limit) for :attr:`~procmine.Performance.wait_causes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..calendar import NAT
from ..log import ACTIVITY, CASE
from ._protocol import BIN_US, PERF_STATS, local_periods, sorted_by_name

if TYPE_CHECKING:
    from .spark import SparkLog

__all__ = ["SparkPerf", "spark_has_measured_starts"]


def spark_has_measured_starts(log: SparkLog) -> bool:
    """Some event's start time is at or before its completion (as the DuckDB engine reads it)."""
    from pyspark.sql import functions as F

    if not log.has_start_timestamps:
        return False
    return bool(log.ev.where(F.col("start_ts") <= F.col("ts")).limit(1).count())


class SparkPerf:
    """The performance aggregates of a SparkLog under one calendar (see the module docstring).

    ``events`` is the per-event frame (Spark, cached): ``case_id``, ``activity``,
    ``prev_act``, ``rn``, ``t``, ``s`` (a start at or before completion, else null),
    ``ct``/``cs`` (their cumulative working time; ``t``/``s`` in elapsed time), ``wait``
    and ``proc`` (µs under the calendar, null where not measurable).
    """

    def __init__(self, log: SparkLog, calendar: Any) -> None:
        self.log = log
        self.calendar = calendar
        self.events = self._events().cache()

    def _events(self) -> Any:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        us = F.unix_micros
        w = Window.partitionBy("case_id").orderBy(F.col("ts"), F.col("rn"))
        ev = self.log.ev
        # a start after its completion is a data error: ignored (procmine._core.event_times)
        s = F.when(F.col("start_ts") <= F.col("ts"), us("start_ts")) if self.log.has_start_timestamps else None
        base = ev.select(
            "case_id", "activity", "rn",
            F.lag("activity").over(w).alias("prev_act"),
            us("ts").alias("t"),
            (s if s is not None else F.lit(None).cast("long")).alias("s"),
            F.lag(us("ts")).over(w).alias("prev"),
        )
        # the waiting time ends at the start (not before the previous completion), else at completion
        we = F.when(F.col("s").isNull(), F.col("t")).otherwise(
            F.greatest(F.col("s"), F.coalesce(F.col("prev"), F.col("s")))
        )
        if self.calendar.is_elapsed:
            return base.select(
                "case_id", "activity", "prev_act", "rn", "t", "s",
                F.col("t").alias("ct"), F.col("s").alias("cs"),
                (we - F.col("prev")).alias("wait"), (F.col("t") - F.col("s")).alias("proc"),
            )
        cum = self._working_time_udf()
        w = Window.partitionBy("case_id").orderBy(F.col("t"), F.col("rn"))  # the same order, on t
        c = base.select("*", cum(F.col("t")).alias("ct"), cum(F.col("s")).alias("cs"), cum(we).alias("c_we"))
        return c.select(
            "case_id", "activity", "prev_act", "rn", "t", "s", "ct", "cs",
            (F.col("c_we") - F.lag("ct").over(w)).alias("wait"), (F.col("ct") - F.col("cs")).alias("proc"),
        )

    def _working_time_udf(self) -> Any:
        """A pandas UDF: the cumulative working µs of each instant (null kept), from the
        calendar's interval table over the whole log (one origin for every batch)."""
        from pyspark.sql import functions as F

        ev, cal = self.log.ev, self.calendar
        lo_hi = [F.min(F.unix_micros("ts")), F.max(F.unix_micros("ts"))]
        if self.log.has_start_timestamps:
            lo_hi += [F.min(F.unix_micros("start_ts")), F.max(F.unix_micros("start_ts"))]
        row = ev.agg(*lo_hi).collect()[0]
        values = [int(v) for v in row if v is not None]
        bounds = np.array([min(values), max(values)] if values else [0, 0], dtype=np.int64)
        table = cal._table(*cal._local_day_range(bounds))

        @F.pandas_udf("long")  # type: ignore[call-overload]
        def cumulative(x: pd.Series) -> pd.Series:
            missing = x.isna().to_numpy()
            out = np.zeros(len(x), dtype=np.int64)
            if (~missing).any():
                out[~missing] = table.cum_at(x[~missing].to_numpy(dtype=np.int64))
            return pd.Series(pd.array(np.where(missing, 0, out), dtype="Int64")).mask(missing)

        return cumulative

    # -- the aggregates -----------------------------------------------------------------------
    def perf_cases(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_cases`."""
        from pyspark.sql import functions as F

        c = (
            self.events.groupBy("case_id")
            .agg(
                F.min("rn").alias("first_rn"),
                F.count("*").alias("events"),
                F.least(F.min("t"), F.min("s")).alias("start"),  # least skips nulls
                F.max("t").alias("end"),
                (F.max("ct") - F.least(F.min("ct"), F.min("cs"))).alias("duration"),
            )
            .toPandas()
            .sort_values("first_rn", kind="stable")
        )
        d = pd.to_numeric(c["duration"], errors="coerce")
        return pd.DataFrame(
            {
                "start": c["start"].to_numpy(dtype=np.int64),
                "end": c["end"].to_numpy(dtype=np.int64),
                "events": c["events"].to_numpy(dtype=np.int64),
                "duration": np.where(d.isna(), NAT, d.fillna(0).to_numpy(dtype=np.int64)),
            },
            index=pd.Index(c["case_id"].to_numpy(dtype=object), name=CASE),
        )

    @staticmethod
    def _stat_aggs(what: str) -> list[Any]:
        from pyspark.sql import functions as F

        return [
            F.count(what).alias(f"{what}_n"),
            F.sum(what).alias(f"{what}_sum"),
            F.percentile(what, 0.5).alias(f"{what}_median"),
            F.percentile(what, 0.9).alias(f"{what}_p90"),
        ]

    @staticmethod
    def _stat_columns(df: pd.DataFrame, what: str) -> dict[str, np.ndarray]:
        """``{what}_median/mean/p90/sum`` float µs; the mean is the exact sum over the count."""

        def f(col: str) -> np.ndarray:
            return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

        total = f(f"{what}_sum")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / f(f"{what}_n")
        values = {"median": f(f"{what}_median"), "mean": mean, "p90": f(f"{what}_p90"), "sum": total}
        return {f"{what}_{k}": values[k] for k in PERF_STATS}

    def perf_activities(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_activities`."""
        from pyspark.sql import functions as F

        df = self.events.groupBy("activity").agg(
            F.count("*").alias("n"), *self._stat_aggs("proc"), *self._stat_aggs("wait")
        ).toPandas()
        df = sorted_by_name(df, "activity")
        return pd.DataFrame(
            {"count": df["n"].to_numpy(dtype=np.int64), **self._stat_columns(df, "proc"),
             **self._stat_columns(df, "wait")},
            index=pd.Index(df["activity"].to_numpy(dtype=object), name=ACTIVITY, dtype=object),
        )

    def perf_edges(self) -> pd.DataFrame:
        """See :meth:`procmine.engines.Engine.perf_edges`."""
        from pyspark.sql import functions as F

        df = (
            self.events.where(F.col("prev_act").isNotNull())
            .groupBy("prev_act", "activity")
            .agg(F.count("*").alias("n"), F.countDistinct("case_id").alias("cases"), *self._stat_aggs("wait"))
            .toPandas()
        )
        df = sorted_by_name(df, "prev_act", "activity")
        return pd.DataFrame(
            {"source": pd.Series(df["prev_act"].to_numpy(dtype=object), dtype=object),
             "target": pd.Series(df["activity"].to_numpy(dtype=object), dtype=object),
             "count": df["n"].to_numpy(dtype=np.int64), "cases": df["cases"].to_numpy(dtype=np.int64),
             **self._stat_columns(df, "wait")}
        )

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        """Events per local period: counted per 15-minute UTC bin by Spark, the occupied
        bins converted to local periods on the driver (:func:`procmine.engines._protocol.local_periods`)."""
        from pyspark.sql import functions as F

        df = (
            # integer arithmetic, floored for instants before 1970 too
            self.events.groupBy(F.expr(f"(t - pmod(t, {BIN_US})) div {BIN_US}").alias("q"))
            .count()
            .toPandas()
        )
        return local_periods(df["q"].to_numpy(dtype=np.int64) * BIN_US, tz, freq, df["count"].to_numpy(dtype=np.int64))
