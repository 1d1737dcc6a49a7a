"""A Spark prototype of the same aggregates, for logs beyond one machine.

Design (``docs/scale-out.md``): the only operations procmine's figures need are
group-bys over ``(case, position)``. Spark computes them with window functions
partitioned by case, so a log partitioned by case id never shuffles events of one case
across executors:

- position: ``row_number() over (partition by case order by ts, rn)``;
- directly-follows pairs: ``lead(activity)`` / ``lead(ts)`` in the same window, then a
  group-by on ``(activity, next_activity)`` with ``count``, ``countDistinct(case)`` and
  ``percentile_approx``/exact ``percentile`` of the gap;
- variants: ``collect_list(struct(pos, activity))`` sorted per case, joined to a string
  key, then a group-by on the key.

No procmine-made distribution layer: Spark does the distribution; this module only
writes the queries. Requires ``pip install 'procmine[spark]'`` and a Java runtime.

Examples
--------
>>> from procmine.engines.spark import spark_dfg  # doctest: +SKIP
>>> spark_dfg(spark.read.parquet("events.parquet")).show()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..log import ACTIVITY, CASE, START, TIMESTAMP

__all__ = ["local_session", "spark_case_durations", "spark_dfg", "spark_variants"]

_SEP = "\x1f"


def local_session(threads: int = 2) -> Any:
    """A small local-mode SparkSession (for tests and laptops)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("procmine")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, threads)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )


def _sequenced(sdf: Any, case: str, activity: str, ts: str, order: str | None, start: str | None = None) -> Any:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if order is None:
        sdf = sdf.withColumn("__rn", F.monotonically_increasing_id())
        order = "__rn"
    w = Window.partitionBy("case_id").orderBy(F.col("ts"), F.col("rn"))
    return (
        sdf.select(F.col(f"`{case}`").cast("string").alias("case_id"),
                   F.col(f"`{activity}`").cast("string").alias("activity"),
                   F.col(f"`{ts}`").alias("ts"), F.col(f"`{order}`").alias("rn"),
                   (F.coalesce(F.col(f"`{start}`"), F.col(f"`{ts}`")) if start else F.col(f"`{ts}`")).alias("target_ts"))
        .where(F.col("case_id").isNotNull() & F.col("activity").isNotNull() & F.col("ts").isNotNull())
        .withColumn("pos", F.row_number().over(w))
        .withColumn("next_activity", F.lead("activity").over(w))
        .withColumn("next_ts", F.lead("target_ts").over(w))
    )


def spark_dfg(sdf: Any, *, case: str = CASE, activity: str = ACTIVITY, timestamp: str = TIMESTAMP,
              order: str | None = None, start_timestamp: str | None = None) -> pd.DataFrame:
    """Directly-follows edges (source, target, count, cases, median, mean) computed by Spark.

    ``order`` names a column giving the source order for ties in time (e.g. a row
    number written with the data); without it ties follow Spark's read order. Gaps end
    at the target's ``start_timestamp`` when given and known, as in memory.
    """
    from pyspark.sql import functions as F

    if start_timestamp is None and START in sdf.columns:
        start_timestamp = START
    seq = _sequenced(sdf, case, activity, timestamp, order, start_timestamp)
    gap = F.unix_micros("next_ts") - F.unix_micros("ts")  # integers: exact to the microsecond
    out = (
        seq.where(F.col("next_activity").isNotNull())
        .groupBy(F.col("activity").alias("source"), F.col("next_activity").alias("target"))
        .agg(F.count("*").alias("count"), F.countDistinct("case_id").alias("cases"),
             F.percentile(gap, 0.5).alias("median_us"),
             F.avg(gap).alias("mean_us"))
        .toPandas()
    )
    for col in ("median", "mean"):
        out[col] = pd.to_timedelta(out.pop(f"{col}_us").round().astype("int64"), unit="us")
    return out.sort_values(["count", "source", "target"], ascending=[False, True, True], ignore_index=True)


def spark_variants(sdf: Any, *, case: str = CASE, activity: str = ACTIVITY, timestamp: str = TIMESTAMP,
                   order: str | None = None) -> pd.DataFrame:
    """Variants (tuple of activities) with their number of cases, most frequent first."""
    from pyspark.sql import functions as F

    seq = _sequenced(sdf, case, activity, timestamp, order)
    per_case = seq.groupBy("case_id").agg(
        F.array_join(F.transform(F.array_sort(F.collect_list(F.struct("pos", "activity"))), lambda s: s["activity"]),
                     _SEP).alias("v")
    )
    out = per_case.groupBy("v").agg(F.count("*").alias("cases")).toPandas()
    out["variant"] = [tuple(v.split(_SEP)) for v in out.pop("v")]
    out["share"] = out["cases"] / out["cases"].sum()
    return out.sort_values(["cases"], ascending=False, ignore_index=True)[["variant", "cases", "share"]]


def spark_case_durations(sdf: Any, *, case: str = CASE, timestamp: str = TIMESTAMP) -> pd.Series:
    """First to last completion per case."""
    from pyspark.sql import functions as F

    out = (
        sdf.groupBy(F.col(f"`{case}`").cast("string").alias("case_id"))
        .agg((F.unix_micros(F.max(f"`{timestamp}`")) - F.unix_micros(F.min(f"`{timestamp}`"))).alias("d"))
        .toPandas()
    )
    return pd.Series(pd.to_timedelta(out["d"].round().astype("int64"), unit="us").to_numpy(),
                     index=pd.Index(out["case_id"], name=CASE), name="duration").sort_index()
