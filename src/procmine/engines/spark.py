"""The Spark engine: procmine's aggregates for logs beyond one machine.

Design (``docs/scale-out.md``): the only operations procmine's figures need are
group-bys over ``(case, position)``. Spark computes them with window functions
partitioned by case, so a log partitioned by case id never shuffles events of one case
across executors:

- position: ``row_number() over (partition by case order by ts, rn)``;
- directly-follows pairs: ``lead(activity)`` / ``lead(start or ts)`` in the same window,
  then a group-by on ``(activity, next_activity)`` with ``count``, ``countDistinct(case)``
  and the exact ``percentile`` (linear interpolation, as numpy and DuckDB) of the gap;
- variants: ``collect_list(struct(pos, activity))`` sorted per case, joined to a string
  key, then a group-by on the key with the case durations' median and mean.

:class:`SparkLog` wraps a Spark DataFrame; :func:`procmine.discover` (tables, pruning,
process map, Petri net from the variant counts) runs on it through
:class:`SparkEngine` with the same results as in memory; so does
:func:`procmine.performance` (cases, activities, edges, throughput in working or elapsed
time, the split of the waits by cause: :mod:`procmine.engines._spark_perf`) without
loading the events. The analyses that need every event load them (at most
:data:`MATERIALISE_LIMIT`). No procmine-made distribution layer: Spark does the
distribution; this module only writes the queries. Requires
``pip install 'procmine[spark]'`` and a Java runtime.

Examples
--------
>>> from procmine.engines.spark import SparkLog, local_session  # doctest: +SKIP
>>> log = SparkLog(local_session().read.parquet("events.parquet"), order="rn")  # doctest: +SKIP
>>> pm.discover(log).dfg  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LogError
from ..log import ACTIVITY, CASE, GROUP, RESOURCE, START, TIMESTAMP
from ._protocol import MAP_PATH_COLUMNS, Capabilities, OfLog, counts_by_name, finish_dfg, finish_variants
from ._sql_perf import SqlPerfEngine

__all__ = [
    "MATERIALISE_LIMIT",
    "SparkEngine",
    "SparkLog",
    "local_session",
    "spark_case_durations",
    "spark_dfg",
    "spark_variants",
]

logger = logging.getLogger("procmine")

#: Largest SparkLog (in events) loaded into the driver's memory for the analyses that need
#: every event (find_redundancies, simplify, performance's per-event arrays, ...).
MATERIALISE_LIMIT = 5_000_000

_SEP = "\x1f"


def local_session(threads: int = 2) -> Any:
    """A small local-mode SparkSession (for tests and laptops). Its Python workers run
    this interpreter (pandas UDFs of the working-time figures need procmine's packages)."""
    import os
    import sys

    from pyspark.sql import SparkSession

    # pyspark starts its workers with $PYSPARK_PYTHON (default: the first python3 on PATH)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    builder = (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("procmine")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, threads)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
    )
    with _spawned_without_fork():
        return builder.getOrCreate()


@contextmanager
def _spawned_without_fork() -> Iterator[None]:
    """Start Spark's JVM without copying this process's address space.

    pyspark launches the JVM with ``Popen(preexec_fn=...)`` (to keep Ctrl-C away from it),
    which forces a real ``fork()``: the kernel must be able to commit a second copy of this
    interpreter's memory. After a notebook (or a test run) has loaded a few GB, a machine with
    strict overcommit refuses that with ``OSError: [Errno 12] Cannot allocate memory``. A new
    session keeps Ctrl-C away just as well and lets ``subprocess`` use ``vfork``/``posix_spawn``,
    which commit nothing.
    """
    try:
        from pyspark import java_gateway
    except ImportError:  # pragma: no cover - pyspark's layout changed: keep its own launcher
        yield
        return
    original = getattr(java_gateway, "Popen", None)
    if original is None:  # pragma: no cover - idem
        yield
        return

    def popen(command: Any, **kwargs: Any) -> Any:
        if kwargs.pop("preexec_fn", None) is not None:
            kwargs["start_new_session"] = True
        return original(command, **kwargs)

    java_gateway.Popen = popen
    try:
        yield
    finally:
        java_gateway.Popen = original


class SparkLog:
    """An event log held by Spark: a Spark DataFrame and the columns of its roles.

    Pass it to :func:`procmine.discover` like an EventLog; it offers EventLog's names
    (``n_events``, ``n_cases``, ``activities``, ``has_start_timestamps``, ``variants()``,
    ``case_durations()``, ``sample()``, ``to_eventlog()``).

    Parameters
    ----------
    sdf
        The events (a ``pyspark.sql.DataFrame``), timestamps as Spark timestamps.
    case, activity, timestamp, start_timestamp
        Their columns (default: pm4py's names; ``start_timestamp`` is used when the
        column ``start_timestamp`` exists).
    order
        A column giving the source order for ties in time (e.g. a row number written
        with the data). Without it ties follow Spark's read order, which Spark does not
        guarantee after a shuffle: write one for figures that must equal the in-memory ones.
    name
        The log's name in reprs and captions.
    """

    def __init__(
        self,
        sdf: Any,
        *,
        case: str = CASE,
        activity: str = ACTIVITY,
        timestamp: str = TIMESTAMP,
        start_timestamp: str | None = None,
        order: str | None = None,
        name: str = "spark",
    ) -> None:
        from pyspark.sql import functions as F

        if start_timestamp is None and START in sdf.columns:
            start_timestamp = START
        for col in (case, activity, timestamp, start_timestamp, order):
            if col is not None and col not in sdf.columns:
                raise LogError(f"SparkLog: no column {col!r} in the DataFrame ({', '.join(sdf.columns[:8])}, ...)")
        self.sdf = sdf
        self.name = name
        self._roles = {"case": case, "activity": activity, "timestamp": timestamp}
        if start_timestamp is not None:
            self._roles["start_timestamp"] = start_timestamp
        self._order = order
        self.has_start_timestamps = start_timestamp is not None
        self._materialised: Any = None
        # who did it and in which unit (pm4py's columns), for the wait causes as in memory
        self._aux = {k: c for k, c in (("res", RESOURCE), ("grp", GROUP)) if c in sdf.columns}
        start = F.col(f"`{start_timestamp}`") if start_timestamp else F.lit(None).cast("timestamp")
        self.ev = (
            self._kept()
            .select(
                F.col(f"`{case}`").cast("string").alias("case_id"),
                F.col(f"`{activity}`").cast("string").alias("activity"),
                F.col(f"`{timestamp}`").alias("ts"),
                start.alias("start_ts"),
                self._source_order().alias("rn"),
                *[F.col(f"`{c}`").cast("string").alias(k) for k, c in self._aux.items()],
            )
            .cache()
        )

    def _source_order(self) -> Any:
        """The source position of each row: the ``order`` column, else Spark's row ids."""
        from pyspark.sql import functions as F

        return F.col(f"`{self._order}`") if self._order else F.monotonically_increasing_id()

    def _kept(self) -> Any:
        """The source rows the log keeps: case, activity and completion time present."""
        from pyspark.sql import functions as F

        r = self._roles
        return self.sdf.where(
            F.col(f"`{r['case']}`").isNotNull() & F.col(f"`{r['activity']}`").isNotNull()
            & F.col(f"`{r['timestamp']}`").isNotNull()
        )

    def _in_log_order(self, columns: list[str]) -> Any:
        """The events kept (case, activity and time present) with ``columns`` of the source
        as ``l0``, ``l1``..., their ``activity`` and ``at``: their place in the order of the
        log in memory (cases by first source row, then time, then source row), for
        ``min_by(x, at)``: the first ``x`` in that order."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        r = self._roles
        ev = self._kept().select(
            F.col(f"`{r['activity']}`").cast("string").alias("activity"), self._source_order().alias("rn"),
            F.col(f"`{r['case']}`").cast("string").alias("case_id"), F.col(f"`{r['timestamp']}`").alias("ts"),
            *[F.col(f"`{c}`").alias(f"l{k}") for k, c in enumerate(columns)],
        )
        return ev.withColumn("at", F.struct(F.min("rn").over(Window.partitionBy("case_id")), F.col("ts"), F.col("rn")))

    # -- EventLog's names ----------------------------------------------------------------------
    @cached_property
    def n_events(self) -> int:
        return int(self.ev.count())

    @cached_property
    def n_cases(self) -> int:
        return int(self.ev.select("case_id").distinct().count())

    @property
    def activities(self) -> pd.Series:
        """Events per activity, most frequent first, ties by name."""
        return self.__procmine_engine__().activity_counts()

    def variants(self) -> pd.DataFrame:
        return self.__procmine_engine__().variants()

    def case_durations(self) -> pd.Series:
        return self.__procmine_engine__().case_durations()

    def sample(self, n_cases: int, *, seed: int = 0) -> SparkLog:
        """A SparkLog of ``n_cases`` cases drawn at random (reproducible with ``seed``)."""
        from pyspark.sql import functions as F

        if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 1:
            raise LogError(f"SparkLog.sample: n_cases must be a positive int, got {n_cases!r}")
        col = F.col(f"`{self._roles['case']}`").cast("string")
        ids = (
            self.sdf.select(col.alias("__c")).distinct()
            .orderBy(F.xxhash64(F.col("__c"), F.lit(int(seed))), F.col("__c")).limit(n_cases)
        )
        part = self.sdf.join(ids, col == F.col("__c"), "left_semi")
        return SparkLog(part, **self._roles, order=self._order, name=self.name)  # type: ignore[arg-type]

    def to_eventlog(self) -> Any:
        """The events in memory as an :class:`procmine.EventLog` (small logs only)."""
        from ..io import read_log

        sdf = self.sdf if self._order is None else self.sdf.orderBy(f"`{self._order}`")
        df = sdf.toPandas()
        # Spark hands timestamps over as naive wall times of its session time zone: say so,
        # or read_log would take them for Swiss local time
        tz = sdf.sparkSession.conf.get("spark.sql.session.timeZone")
        for col in df.columns:
            if pd.api.types.is_datetime64_dtype(df[col]) and getattr(df[col].dt, "tz", None) is None:
                df[col] = df[col].dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        log = read_log(df, **self._roles)
        log.name = self.name
        return log

    def __procmine_engine__(self) -> SparkEngine:
        """The engine of this log (see :func:`procmine.engines.get_engine`)."""
        if "_engine" not in self.__dict__:
            self.__dict__["_engine"] = SparkEngine(self)
        return self.__dict__["_engine"]

    def __repr__(self) -> str:
        return f"<SparkLog {self.name!r}: {self.n_events:,} events, {self.n_cases:,} cases (Spark engine)>"


class SparkEngine(SqlPerfEngine, OfLog):
    """:class:`procmine.engines.Engine` over a :class:`SparkLog` (see the module docstring)."""

    shrink_hint = (
        "filter the Spark DataFrame to fewer cases first (or log.sample(n_cases)), "
        "or raise procmine.engines.spark.MATERIALISE_LIMIT if the driver has the memory"
    )

    def __init__(self, log: SparkLog) -> None:
        super().__init__(log)
        self._cache: dict[str, Any] = {}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            "spark",
            " (Spark)",
            in_memory=False,
            start_times=self.log.has_start_timestamps,
            max_materialise_events=MATERIALISE_LIMIT,
        )

    @property
    def materialised(self) -> bool:
        return self.log._materialised is not None

    # -- building blocks -----------------------------------------------------------------------
    @staticmethod
    def _window() -> Any:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        return Window.partitionBy("case_id").orderBy(F.col("ts"), F.col("rn"))

    def _sequenced(self, ev: Any) -> Any:
        """Events with their position, the next activity and the next gap's end (its start
        when known, else its completion) and the previous completion, within the case."""
        from pyspark.sql import functions as F

        w = self._window()
        target = F.coalesce(F.col("start_ts"), F.col("ts")) if self.log.has_start_timestamps else F.col("ts")
        return (
            ev.withColumn("pos", F.row_number().over(w))
            .withColumn("next_activity", F.lead("activity").over(w))
            .withColumn("next_ts", F.lead(target).over(w))
            .withColumn("prev_ts", F.lag("ts").over(w))
        )

    @cached_property
    def _seq(self) -> Any:
        return self._sequenced(self.log.ev).cache()

    # -- the tables of discover ----------------------------------------------------------------
    def activity_counts(self) -> pd.Series:
        if "counts" not in self._cache:
            df = self.log.ev.groupBy("activity").count().toPandas()
            self._cache["counts"] = counts_by_name(df["activity"], df["count"], "events", ACTIVITY)
        return self._cache["counts"]

    def activity_cases(self) -> pd.Series:
        from pyspark.sql import functions as F

        if "cases" in self._cache:
            return self._cache["cases"]
        df = self.log.ev.groupBy("activity").agg(F.countDistinct("case_id").alias("n")).toPandas()
        order = np.argsort(df["activity"].to_numpy(dtype=object).astype(str), kind="stable")
        self._cache["cases"] = pd.Series(
            df["n"].to_numpy(dtype=np.int64)[order],
            index=pd.Index(df["activity"].to_numpy(dtype=object)[order], name=ACTIVITY, dtype=object),
            name="cases",
        )
        return self._cache["cases"]

    def dfg(self) -> pd.DataFrame:
        from pyspark.sql import functions as F

        gap = F.unix_micros("next_ts") - F.unix_micros("ts")  # integers: exact to the microsecond
        df = (
            self._seq.where(F.col("next_activity").isNotNull())
            .groupBy(F.col("activity").alias("source"), F.col("next_activity").alias("target"))
            .agg(
                F.count("*").alias("count"),
                F.countDistinct("case_id").alias("cases"),
                F.percentile(gap, 0.5).alias("median_us"),
                F.avg(gap).alias("mean_us"),
                F.percentile(gap, 0.9).alias("p90_us"),
            )
            .toPandas()
        )
        return finish_dfg(df)

    def _variant_table(self) -> pd.DataFrame:
        """``v`` (names joined by U+001F), ``cases``, ``median_us``, ``mean_us``,
        ``first_seen`` (first source row of the variant's cases); ranked. Cached."""
        from pyspark.sql import functions as F

        if "variants" in self._cache:
            return self._cache["variants"]
        if self.log.ev.where(F.instr("activity", _SEP) > 0).limit(1).count():
            raise LogError("activity names contain the control character U+001F; clean them first")
        first = F.min("ts")
        if self.log.has_start_timestamps:
            first = F.least(F.min("ts"), F.coalesce(F.min("start_ts"), F.min("ts")))
        per_case = self._seq.groupBy("case_id").agg(
            F.array_join(
                F.transform(F.array_sort(F.collect_list(F.struct("pos", "activity"))), lambda s: s["activity"]),
                _SEP,
            ).alias("v"),
            (F.unix_micros(F.max("ts")) - F.unix_micros(first)).alias("d"),
            F.min("rn").alias("first_rn"),
        )
        df = (
            per_case.groupBy("v")
            .agg(
                F.count("*").alias("cases"),
                F.percentile("d", 0.5).alias("median_us"),
                F.avg("d").alias("mean_us"),
                F.min("first_rn").alias("first_seen"),
            )
            .toPandas()
        )
        df = df.sort_values(["cases", "first_seen"], ascending=[False, True], kind="stable").reset_index(drop=True)
        self._cache["variants"] = df
        return df

    def variants(self) -> pd.DataFrame:
        vt = self._variant_table()
        return finish_variants([tuple(v.split(_SEP)) for v in vt["v"]], vt)

    def variant_counts(self) -> pd.DataFrame:
        vt = self._variant_table()
        return pd.DataFrame(
            {
                "variant": pd.Series([tuple(v.split(_SEP)) for v in vt["v"]], dtype=object),
                "cases": vt["cases"].to_numpy(dtype=np.int64),
                "first": vt["first_seen"].to_numpy(dtype=np.int64),
            }
        )

    def _first_last(self) -> pd.DataFrame:
        from pyspark.sql import functions as F

        if "first_last" not in self._cache:
            self._cache["first_last"] = (
                self._seq.groupBy("activity")
                .agg(
                    F.sum(F.when(F.col("pos") == 1, 1).otherwise(0)).alias("first"),
                    F.sum(F.when(F.col("next_activity").isNull(), 1).otherwise(0)).alias("last"),
                )
                .toPandas()
            )
        return self._cache["first_last"]

    def start_activities(self) -> pd.Series:
        df = self._first_last()
        df = df[df["first"] > 0]
        return counts_by_name(df["activity"], df["first"], "start cases", ACTIVITY)

    def end_activities(self) -> pd.Series:
        df = self._first_last()
        df = df[df["last"] > 0]
        return counts_by_name(df["activity"], df["last"], "end cases", ACTIVITY)

    # -- times -----------------------------------------------------------------------------------
    def _case_frame(self, start: Any) -> pd.DataFrame:
        from pyspark.sql import functions as F

        return (
            self.log.ev.groupBy("case_id")
            .agg(F.unix_micros(start).alias("s"), F.unix_micros(F.max("ts")).alias("e"))
            .toPandas()
            .sort_values("case_id", kind="stable")
        )

    def case_times(self) -> pd.DataFrame:
        from pyspark.sql import functions as F

        start = F.min("ts")
        if self.log.has_start_timestamps:  # a start after its completion is ignored (_event_times)
            ok = F.when(F.col("start_ts") <= F.col("ts"), F.col("start_ts"))
            start = F.least(F.min("ts"), F.coalesce(F.min(ok), F.min("ts")))
        df = self._case_frame(start)
        return pd.DataFrame(
            {
                "start": pd.to_datetime(df["s"].to_numpy(dtype=np.int64), unit="us", utc=True),
                "end": pd.to_datetime(df["e"].to_numpy(dtype=np.int64), unit="us", utc=True),
            },
            index=pd.Index(df["case_id"].to_numpy(dtype=object), name=CASE),
        )

    def case_durations(self) -> pd.Series:
        from pyspark.sql import functions as F

        start = F.min("ts")
        if self.log.has_start_timestamps:
            start = F.least(F.min("ts"), F.coalesce(F.min("start_ts"), F.min("ts")))
        df = self._case_frame(start)
        return pd.Series(
            pd.to_timedelta((df["e"] - df["s"]).to_numpy(dtype=np.int64), unit="us"),
            index=pd.Index(df["case_id"].to_numpy(dtype=object), name=CASE),
            name="duration",
        )

    # -- the process map -----------------------------------------------------------------------
    def map_paths(self, kept: list[str]) -> pd.DataFrame:
        from pyspark.sql import functions as F

        s = self._sequenced(self.log.ev.where(F.col("activity").isin(list(kept))))
        gap = F.unix_micros("next_ts") - F.unix_micros("ts")
        pairs = (
            s.where(F.col("next_activity").isNotNull())
            .groupBy(F.col("activity").alias("source"), F.col("next_activity").alias("target"))
            .agg(F.count("*").alias("count"), F.percentile(gap, 0.5).alias("median_us"),
                 F.countDistinct("case_id").alias("cases"))
        )
        starts = s.where(F.col("pos") == 1).groupBy("activity").count().select(
            F.lit(None).cast("string").alias("source"), F.col("activity").alias("target"),
            F.col("count"), F.lit(0.0).alias("median_us"), F.col("count").alias("cases"))
        ends = s.where(F.col("next_activity").isNull()).groupBy("activity").count().select(
            F.col("activity").alias("source"), F.lit(None).cast("string").alias("target"),
            F.col("count"), F.lit(0.0).alias("median_us"), F.col("count").alias("cases"))
        df = pairs.unionByName(starts).unionByName(ends).toPandas()
        return pd.DataFrame(
            dict(
                zip(
                    MAP_PATH_COLUMNS,
                    (
                        pd.Series([None if pd.isna(a) else a for a in df["source"]], dtype=object),
                        pd.Series([None if pd.isna(a) else a for a in df["target"]], dtype=object),
                        df["count"].to_numpy(dtype=np.int64),
                        np.round(df["median_us"].to_numpy(dtype=np.float64)),
                        df["cases"].to_numpy(dtype=np.int64),
                    ),
                )
            )
        )

    def activity_labels(self, column: str) -> dict[str, str]:
        from pyspark.sql import functions as F

        from .._core.validation import fail

        sdf = self.log.sdf
        if column not in sdf.columns:
            raise fail("process_map", "labels", f"a column of the log ({', '.join(sdf.columns[:8])}, ...)", column)
        # the first value of the events kept, in the log's order (as the map in memory)
        df = (
            self.log._in_log_order([column]).where(F.col("l0").isNotNull())
            .groupBy("activity").agg(F.min_by(F.col("l0").cast("string"), "at").alias("l"))
            .toPandas()
        )
        return dict(zip(df["activity"], df["l"]))

    # -- performance (procmine.engines._spark_perf; the perf_* methods: SqlPerfEngine) --------
    def _perf_cache(self) -> dict[Any, Any]:
        return self._cache

    def _new_perf(self, calendar: Any, declared: tuple) -> Any:
        from ._spark_perf import SparkPerf

        return SparkPerf(self, calendar, declared, self.activity_counts().index)

    def to_eventlog(self) -> Any:
        if self.log._materialised is None:
            self.log._materialised = self.log.to_eventlog()
        return self.log._materialised


# ---------------------------------------------------------------------------------------
# the first prototype's functions, kept for their callers
# ---------------------------------------------------------------------------------------
def spark_dfg(sdf: Any, *, case: str = CASE, activity: str = ACTIVITY, timestamp: str = TIMESTAMP,
              order: str | None = None, start_timestamp: str | None = None) -> pd.DataFrame:
    """Directly-follows edges (source, target, count, cases, median, mean, p90) computed by
    Spark: ``SparkLog(sdf, ...)``'s :meth:`SparkEngine.dfg`. Gaps end at the target's
    ``start_timestamp`` when given (or the column exists) and known, as in memory."""
    log = SparkLog(sdf, case=case, activity=activity, timestamp=timestamp,
                   start_timestamp=start_timestamp, order=order)
    return log.__procmine_engine__().dfg()


def spark_variants(sdf: Any, *, case: str = CASE, activity: str = ACTIVITY, timestamp: str = TIMESTAMP,
                   order: str | None = None) -> pd.DataFrame:
    """Variants (tuple of activities) with cases, share and durations, most frequent first
    (:meth:`SparkEngine.variants`)."""
    return SparkLog(sdf, case=case, activity=activity, timestamp=timestamp, order=order).variants()


def spark_case_durations(sdf: Any, *, case: str = CASE, timestamp: str = TIMESTAMP,
                         start_timestamp: str | None = None) -> pd.Series:
    """First to last event per case: completions only unless ``start_timestamp`` is given
    (then from the first start, as :meth:`procmine.EventLog.case_durations`)."""
    from pyspark.sql import functions as F

    if start_timestamp is None:
        sdf = sdf.withColumn("__no_start", F.lit(None).cast("timestamp"))
        start_timestamp = "__no_start"
    log = SparkLog(sdf, case=case, activity=case, timestamp=timestamp, start_timestamp=start_timestamp)
    return log.case_durations().sort_index()
