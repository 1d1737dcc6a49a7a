"""The DuckDB engine: the aggregates of :class:`procmine.engines.Engine` as SQL group-bys.

:class:`DuckEngine` computes every aggregate of a :class:`~procmine.engines.duckdb.DuckLog`
in DuckDB, over the table of events ordered within their cases (``seq``/``ev``, set up by
:mod:`procmine.engines.duckdb._setup`), with the in-memory definitions; nothing loads the
events into memory except :meth:`DuckEngine.to_eventlog` (through
:func:`procmine.engines.materialise`, within the materialise limit).

Examples
--------
>>> import procmine as pm, tempfile, os
>>> from procmine.engines import get_engine
>>> log = pm.samples.load("permit_de")
>>> path = log.to_parquet(os.path.join(tempfile.mkdtemp(), "permit.parquet"))
>>> engine = get_engine(pm.read_log(path, engine="duckdb"))
>>> engine.capabilities.name, engine.dfg().equals(get_engine(log).dfg())
('duckdb', True)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ...log import ACTIVITY, CASE
from .._protocol import Capabilities, OfLog, counts_by_name
from .._sql_perf import SqlPerfEngine

__all__ = ["DuckEngine", "activity_counts"]

logger = logging.getLogger("procmine")


def _by_name(names: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Names sorted in code point order (the in-memory activity codes) and their values."""
    order = np.argsort(names.astype(str), kind="stable")
    return names[order], values[order]


def activity_counts(log: Any) -> pd.Series:
    """Events per activity, most frequent first, ties by name (as ``EventLog.activities``)."""
    if "activities" not in log._cache:
        df = log._df("SELECT activity, count(*) AS events FROM ev GROUP BY activity")
        log._cache["activities"] = counts_by_name(df["activity"], df["events"], "events", ACTIVITY)
    return log._cache["activities"]


def _cases_from_variants(log: Any, variants: pd.DataFrame) -> pd.DataFrame:
    """``activity, n``: the cases holding each activity, from the variant table (``v``,
    ``cases``; see ``DuckLog._variant_table``): a case holds exactly the activities of its
    variant. Thousands of variants instead of the distinct (case, activity) pairs of every
    event (28 s of the 100 M-event map)."""
    from ._stream import SEP

    frame = pd.DataFrame({"vid": np.arange(len(variants), dtype=np.int64),
                          "v": variants["v"].to_numpy(dtype=object),
                          "cases": variants["cases"].to_numpy(dtype=np.int64)})
    view = f"__variants_{id(frame)}"
    log.con.register(view, frame)
    try:
        return log._df(
            f"""SELECT activity, CAST(sum(cases) AS BIGINT) AS n
                FROM (SELECT DISTINCT vid, cases, activity
                      FROM (SELECT vid, cases, unnest(string_split(v, '{SEP}')) AS activity FROM {view}))
                GROUP BY activity"""
        )
    finally:
        log.con.unregister(view)


class DuckEngine(SqlPerfEngine, OfLog):
    """:class:`procmine.engines.Engine` over a DuckLog (see the module docstring)."""

    shrink_hint = (
        "filter it first with log.filter(where_sql) or log.sample(n_cases), which give a smaller "
        "DuckLog (or write the cases of one year or one unit to Parquet with DuckDB and read that), "
        "or raise procmine.engines.duckdb.MATERIALISE_LIMIT if the machine has the memory"
    )

    @property
    def capabilities(self) -> Capabilities:
        # read at each call: the limit is a module setting users (and tests) may change
        return Capabilities(
            "duckdb",
            " (DuckDB)",
            in_memory=False,
            start_times=self.log.has_start_timestamps,
            max_materialise_events=self.log._materialise_limit(),
        )

    @property
    def path(self) -> str | None:
        return None if isinstance(self.log.source, pd.DataFrame) else str(self.log.source)

    # -- the tables of discover ----------------------------------------------------------
    def activity_counts(self) -> pd.Series:
        return activity_counts(self.log)

    def activity_cases(self) -> pd.Series:
        log = self.log
        if "variants" in log._cache:
            df = _cases_from_variants(log, log._cache["variants"])
        else:
            df = log._df(
                "SELECT activity, count(*) AS n FROM (SELECT DISTINCT case_id, activity FROM ev) GROUP BY activity"
            )
        names, n = _by_name(df["activity"].to_numpy(dtype=object), df["n"].to_numpy(dtype=np.int64))
        return pd.Series(n, index=pd.Index(names, name=ACTIVITY, dtype=object), name="cases")

    def dfg(self) -> pd.DataFrame:
        return self.log.dfg()

    def variants(self) -> pd.DataFrame:
        return self.log.variants()

    def variant_counts(self) -> pd.DataFrame:
        from ._stream import SEP as _SEP

        vt = self.log._variant_table()
        return pd.DataFrame(
            {
                "variant": pd.Series([tuple(v.split(_SEP)) for v in vt["v"]], dtype=object),
                "cases": vt["cases"].to_numpy(dtype=np.int64),
                "first": vt["first_seen"].to_numpy(dtype=np.int64),
            }
        )

    def start_activities(self) -> pd.Series:
        return self.log._first_last("first", "start cases")

    def end_activities(self) -> pd.Series:
        return self.log._first_last("last", "end cases")

    # -- times ---------------------------------------------------------------------------
    def case_times(self) -> pd.DataFrame:
        # a start after its completion is a data error: ignored, as procmine._core.event_times does
        first = (
            "least(min(ts), min(CASE WHEN start_ts <= ts THEN start_ts END))"
            if self.log.has_start_timestamps
            else "min(ts)"
        )
        df = self.log._df(
            f"SELECT case_id, epoch_us({first}) AS s, epoch_us(max(ts)) AS e FROM ev GROUP BY case_id"
        )
        out = pd.DataFrame(
            {
                "start": pd.to_datetime(df["s"].to_numpy(dtype=np.int64), unit="us", utc=True),
                "end": pd.to_datetime(df["e"].to_numpy(dtype=np.int64), unit="us", utc=True),
            },
            index=pd.Index(df["case_id"].to_numpy(dtype=object), name=CASE),
        )
        return out.sort_index()

    def case_durations(self) -> pd.Series:
        return self.log.case_durations()

    # -- the process map -----------------------------------------------------------------
    def map_paths(self, kept: list[str]) -> pd.DataFrame:
        from ._map import duck_map_paths

        return duck_map_paths(self.log, kept)

    def activity_labels(self, column: str) -> dict[str, str]:
        from ._map import duck_labels

        return duck_labels(self.log, column)

    # -- performance (procmine.engines.duckdb._perf; the perf_* methods: SqlPerfEngine) -------
    def _perf_cache(self) -> dict[Any, Any]:
        return self.log._cache

    def _new_perf(self, calendar: Any, declared: tuple) -> Any:
        from ._perf import DuckPerf

        return DuckPerf(self.log, calendar, declared, self.activity_counts().index)

    @property
    def materialised(self) -> bool:
        """The log was loaded into memory already (by :meth:`to_eventlog`)."""
        return self.log._materialised is not None

    def to_eventlog(self) -> Any:
        """The events in memory, loaded once and kept on the DuckLog."""
        log = self.log
        if log._materialised is None:
            log._materialised = log.to_eventlog()
        return log._materialised

