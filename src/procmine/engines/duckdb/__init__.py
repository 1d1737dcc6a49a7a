"""Out-of-core aggregation through DuckDB, for logs larger than memory.

:class:`DuckLog` keeps the events in DuckDB (a view over Parquet files, or a table
spilled to a temporary database file for CSV/DataFrames) and computes the directly-
follows graph, the variants and the case durations as SQL group-bys over
``(case, position)`` — the same definitions as the in-memory path, so both give
identical results (tested on BPIC12 and on a generated log).

Ordering: within a case, events are ordered by completion time, ties by their order in
the source (Parquet ``file_row_number``; insertion order for CSV and frames), exactly as
:class:`procmine.EventLog` sorts.

The public API takes a DuckLog where it takes an EventLog:

* :func:`procmine.discover` returns the same :class:`procmine.ProcessModel`, whose views
  come from the DuckDB engine (:class:`~procmine.engines.duckdb._model.DuckEngine`: tables,
  pruning, process map and fitness by SQL; the Petri net mined by pm4py from the variant
  counts) and :func:`procmine.performance` the same :class:`procmine.Performance`, whose
  frames come from the engine's performance aggregates
  (:class:`~procmine.engines.duckdb._perf.DuckPerf`: elapsed or working time, by SQL):
  the events never leave DuckDB, the results equal the in-memory ones;
* ``find_redundancies``, ``simplify``, ``compare``, ``handovers``, ``report`` and
  ``portfolio`` need every event (:func:`procmine.engines.needs_events`): the log is loaded
  once (at most :data:`MATERIALISE_LIMIT` events) or :class:`procmine.errors.LogError` is raised.

Examples
--------
>>> import procmine as pm, tempfile, os
>>> log = pm.samples.load("permit_de")
>>> path = log.to_parquet(os.path.join(tempfile.mkdtemp(), "permit.parquet"))
>>> big = DuckLog(path)
>>> big.n_events == log.n_events
True
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import LogError
from ...log import ACTIVITY, CASE, TIMESTAMP
from .._protocol import counts_by_name, finish_dfg, finish_variants
from .._sql_perf import EDGE_CASES, edge_cases_sql
from ._setup import _duckdb, _DuckViews, _q, _stem
from ._stream import SEP as _SEP

__all__ = ["MATERIALISE_LIMIT", "DuckLog", "as_eventlog", "as_eventlogs"]

logger = logging.getLogger("procmine")

#: Largest DuckLog (in events) that :func:`as_eventlog` loads into memory for the analyses
#: that need every event (find_redundancies, simplify, compare, handovers, report, ...).
MATERIALISE_LIMIT = 30_000_000



class DuckLog(_DuckViews):
    """An event log held by DuckDB; aggregates stream from disk.

    Pass it to :func:`procmine.discover` and :func:`procmine.performance` like an
    EventLog (computed in DuckDB); the analyses that need every event load it into
    memory first (see :func:`as_eventlog`). ``name`` is the file name without suffix.

    Parameters
    ----------
    source
        A Parquet file, a folder or glob of Parquet files, a CSV file, or a pandas
        DataFrame.
    case, activity, timestamp, start_timestamp
        Source column of each role (default: pm4py's canonical names). When these are
        not in the source, the roles are detected from the headers and content of the
        first 20,000 rows as :func:`procmine.read_log` does (German, French, Italian,
        English); text times (CSV: ISO, ``dd.mm.yyyy HH:MM[:SS]``, ``dd/mm/yyyy``) and
        naive times are parsed by procmine's own parser, local time Europe/Zurich, so the
        figures equal the in-memory ones. The date format is detected on those first rows
        (the in-memory reader looks at the whole column).
    memory_limit
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it DuckDB spills to ``temp_directory``.
    threads
        Worker threads (default: DuckDB's choice, the number of cores).
    pair_lifecycle
        DuckDB does not pair lifecycle rows: a source with one row per transition
        (``start``/``complete`` in ``lifecycle:transition`` or a column found as
        :func:`procmine.read_log` finds it) raises :class:`~procmine.LogError` unless
        ``pair_lifecycle=False`` (then each row counts as an event of its own).
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | pd.DataFrame,
        *,
        case: str = CASE,
        activity: str = ACTIVITY,
        timestamp: str = TIMESTAMP,
        start_timestamp: str | None = None,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | None = None,
        pair_lifecycle: bool | None = None,
    ) -> None:
        duckdb = _duckdb()
        self._tmp = tempfile.TemporaryDirectory(prefix="procmine-duckdb-")
        self.con = duckdb.connect(os.path.join(self._tmp.name, "log.duckdb"))
        # the database file is deleted with the log: writing its last state at close (a
        # checkpoint) is wasted work, 1.3 s of a 10 M-event log's 7 s
        self.con.execute("PRAGMA disable_checkpoint_on_shutdown")
        spill = temp_directory or os.path.join(self._tmp.name, "spill")
        self.con.execute(f"SET temp_directory = '{_literal(str(spill))}'")
        # the row numbers of CSV and frames follow the insertion order (set off once the views exist)
        self.con.execute("SET preserve_insertion_order = true")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{_literal(str(memory_limit))}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.source = source if isinstance(source, pd.DataFrame) else Path(source)
        self.name = "DataFrame" if isinstance(source, pd.DataFrame) else _stem(Path(source))
        self._roles = {"case": case, "activity": activity, "timestamp": timestamp}
        if start_timestamp is not None:
            self._roles["start_timestamp"] = start_timestamp
        self._pair_lifecycle = pair_lifecycle
        self._materialised: Any = None
        self._helper_cols: list[str] = []
        self._cache: dict[str, Any] = {}  # aggregates reused by the model and performance views
        self._create_view(source, case, activity, timestamp, start_timestamp)
        # no query after this point relies on the order of rows without an ORDER BY (the
        # streaming pass of _prepare sets it back for itself): lighter sorts and writes
        self.con.execute("SET preserve_insertion_order = false")

    # -- figures --------------------------------------------------------------------------------
    def _df(self, sql: str) -> pd.DataFrame:
        self._prepare()
        return self._execute(sql).df()

    def _count(self, what: str) -> Any:
        """A count over the events, without preparing the ordered table for it (repr, limits)."""
        rel = "ev" if self._prepared else "ev0"
        return self.con.execute(f"SELECT {what} FROM {rel}").fetchall()[0][0]

    def _one(self, sql: str) -> Any:
        """The single value ``sql`` returns."""
        self._prepare()
        return self._execute(sql).fetchall()[0][0]

    def _memory_limit(self) -> float:
        """DuckDB's ``memory_limit`` in bytes (its own default, 80 % of the machine's memory,
        when none was given)."""
        text = str(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGTP]?)(i?)B\s*", text)
        if not m:  # not a size DuckDB writes: assume the values do not fit
            return 0.0
        return float(m.group(1)) * (1024.0 if m.group(3) else 1000.0) ** "_KMGTP".index(m.group(2) or "_")

    @cached_property
    def n_events(self) -> int:
        return int(self._count("count(*)"))  # a DuckLog's events never change: counted once

    @cached_property
    def n_cases(self) -> int:
        return int(self._count("count(DISTINCT case_id)"))

    @property
    def rows_dropped(self) -> int:
        """Rows without case id, activity or timestamp (not part of any figure)."""
        return self.rows_read - self.n_events

    @property
    def activities(self) -> pd.Series:
        """Events per activity, most frequent first, ties by name (as :attr:`procmine.EventLog.activities`).

        A property, as on an EventLog; it used to be a method, and ``log.activities()``
        still gives the same series with a :class:`DeprecationWarning`."""
        from ._model import activity_counts

        return _CallableSeries(activity_counts(self))

    @property
    def has_start(self) -> bool:
        """Deprecated name of :attr:`has_start_timestamps` (the name an EventLog uses)."""
        _deprecated("has_start", "has_start_timestamps")
        return self.has_start_timestamps

    def _materialise_limit(self) -> int:
        """:data:`MATERIALISE_LIMIT` now (a module setting users may change; the engine reads
        it here, as its module does not import this package)."""
        return MATERIALISE_LIMIT

    def __procmine_engine__(self) -> Any:
        """The engine that computes this log's aggregates (see :func:`procmine.engines.get_engine`)."""
        from ._model import DuckEngine

        return DuckEngine(self)

    def dfg(self) -> pd.DataFrame:
        """Directly-follows edges: source, target, count, cases, median, mean, p90.

        Times run from the source's completion to the target's start when start times
        exist (else to the target's completion), as :func:`procmine.discovery.compute_dfg`.
        """
        from .._quantiles import with_quantiles
        from ._perf import _DuckSql

        # both quantiles from one state per pair (one copy of the gaps) while the gaps fit
        # DuckDB's memory, else counted (exact_quantiles); the cases per pair shared with the
        # performance edges (the same pairs: each target's previous activity)
        runner = _DuckSql(self)
        held = runner.holds("seq", 2)
        # each pair on its target's row; the gap ends at the target's start when it is known
        # (its waiting time), else at its completion: the in-memory definition
        target = "coalesce(start_ts, ts)" if self.has_start_timestamps else "ts"
        gaps = f"""(SELECT prev_activity AS source, activity AS target, epoch_us({target}) - epoch_us(prev_ts) AS gap
                   FROM seq WHERE prev_activity IS NOT NULL)"""
        q = "quantile_cont(gap, [0.5, 0.9])" if held else "[NULL, NULL]"
        df = self._df(
            f"""SELECT source, target, count, q[1] AS median_us, mean_us, q[2] AS p90_us FROM (
                   SELECT source, target, count(*) AS count, {q} AS q, avg(gap) AS mean_us
                   FROM {gaps} GROUP BY 1, 2)"""
        )
        if not held:
            df = with_quantiles(runner, df, gaps, ["source", "target"], {"gap": {0.5: "median_us", 0.9: "p90_us"}})
        cases = self._edge_cases().set_axis(["source", "target", "cases"], axis=1)
        df = df.merge(cases, on=["source", "target"], validate="one_to_one")
        # by count, then by name (DuckDB's ORDER BY on text is by code point, as Python's sort)
        df = df.sort_values(["count", "source", "target"], ascending=[False, True, True], kind="stable")
        df = df[["source", "target", "count", "cases", "median_us", "mean_us", "p90_us"]].reset_index(drop=True)
        self._cache["dfg"] = df  # the process map's paths when it hides no activity
        return finish_dfg(df.copy())

    def _edge_cases(self) -> pd.DataFrame:
        """Cases per directly-follows pair (``prev_act, activity, n_cases``), cached for the
        DFG and the performance edges (:func:`procmine.engines._sql_perf.edge_cases_sql`)."""
        if EDGE_CASES not in self._cache:
            self._cache[EDGE_CASES] = self._df(edge_cases_sql("seq", "prev_activity"))
        return self._cache[EDGE_CASES]

    def _first_last(self, which: str, name: str) -> pd.Series:
        if "first_last" not in self._cache:  # both in one scan, cached
            # every event but a case's last is the predecessor of the next: an activity ends
            # as many cases as it has events less those with a successor
            self._cache["first_last"] = self._df(
                """SELECT activity, CAST(first AS BIGINT) AS first, CAST(n - coalesce(followed, 0) AS BIGINT) AS last
                   FROM (SELECT activity, count(*) FILTER (WHERE prev_activity IS NULL) AS first, count(*) AS n
                         FROM seq GROUP BY 1) a
                   LEFT JOIN (SELECT prev_activity, count(*) AS followed FROM seq
                              WHERE prev_activity IS NOT NULL GROUP BY 1) b ON a.activity = b.prev_activity"""
            )
        df = self._cache["first_last"]
        df = df[df[which] > 0]
        return counts_by_name(df["activity"], df[which], name, ACTIVITY)

    def start_activities(self) -> pd.Series:
        """Cases starting with each activity, most frequent first (ties by name)."""
        return self._first_last("first", "start cases")

    def end_activities(self) -> pd.Series:
        """Cases ending with each activity, most frequent first (ties by name)."""
        return self._first_last("last", "end cases")

    def case_durations(self) -> pd.Series:
        """First to last event of each case (first start time when start timestamps exist)."""
        first = "least(min(ts), min(start_ts))" if self.has_start_timestamps else "min(ts)"
        df = self._df(
            f"SELECT case_id, epoch_us(max(ts)) - epoch_us({first}) AS d FROM ev GROUP BY case_id ORDER BY case_id"
        )
        return pd.Series(
            pd.to_timedelta(df["d"].to_numpy(dtype="int64"), unit="us"),
            index=pd.Index(df["case_id"], name=CASE),
            name="duration",
        )

    def _variant_table(self) -> pd.DataFrame:
        """Variants as SQL returns them: ``v`` (names joined by U+001F), ``cases``,
        ``first_seen`` (first source row of their first case), ``median_us``, ``mean_us``;
        most frequent first, ties by first appearance. Cached."""
        if "variants" in self._cache:
            return self._cache["variants"]
        bad = self._one(f"SELECT count(*) FROM ev WHERE strpos(activity, '{_SEP}') > 0")
        if bad:
            raise LogError("activity names contain the control character U+001F; clean them first")
        first = "least(min(ts), min(start_ts))" if self.has_start_timestamps else "min(ts)"
        df = self._df(
            f"""WITH per_case AS (
                   SELECT case_id, string_agg(activity, '{_SEP}' ORDER BY ts, __rn) AS v,
                          epoch_us(max(ts)) - epoch_us({first}) AS d, min(__rn) AS first_rn
                   FROM ev GROUP BY case_id)
               SELECT v, count(*) AS cases, quantile_cont(d, 0.5) AS median_us, avg(d) AS mean_us,
                      min(first_rn) AS first_seen
               FROM per_case GROUP BY v ORDER BY cases DESC, first_seen"""
        )
        self._cache["variants"] = df
        return df

    def variants(self) -> pd.DataFrame:
        """Variants: tuple of activities, cases, share, median and mean duration; most frequent first."""
        df = self._variant_table()
        return finish_variants([tuple(v.split(_SEP)) for v in df["v"]], df)

    def to_eventlog(self, *, columns: Sequence[str] | None = None) -> Any:
        """Materialise in memory as an :class:`procmine.EventLog` (only for logs that fit).

        ``columns``: source columns to load (default: all); the case, activity and
        timestamp columns are always loaded.
        """
        # the DataFrame reader itself, not the facade read_log (which dispatches to engines)
        from ...io._common import ReadOptions
        from ...io.frame import read_frame

        if columns is not None:
            columns = list(dict.fromkeys([*self._roles.values(), *columns]))
        cols = self._source_columns() if columns is None else ", ".join(_q(c) for c in columns)
        df = self.con.execute(f"SELECT {cols} FROM raw ORDER BY __rn").df()
        log = read_frame(df, ReadOptions(**self._roles))
        log.name = self.name
        return log

    def _source_columns(self) -> str:
        """``*`` without the helper columns (row numbers, file names) of the raw view."""
        return "* EXCLUDE (" + ", ".join(_q(c) for c in ["__rn", *self._helper_cols]) + ")"

    # -- smaller logs --------------------------------------------------------------------------
    def filter_cases(self, where_sql: str | None = None, *, cases: Sequence[str] | None = None) -> DuckLog:
        """Deprecated name of :meth:`filter`."""
        _deprecated("filter_cases", "filter")
        return self.filter(where_sql, cases=cases)

    def filter(self, where_sql: str | None = None, *, cases: Sequence[str] | None = None) -> DuckLog:
        """A new DuckLog with the whole cases that have an event matching ``where_sql``.

        Parameters
        ----------
        where_sql
            A DuckDB condition on the *source* columns of an event, e.g.
            ``"\"org:group\" = 'Bauamt'"`` or ``"\"time:timestamp\" >= '2024-01-01'"``.
            A case is kept (with all its events) when at least one of its events matches.
        cases
            Case ids to keep (combined with ``where_sql`` when both are given).

        The kept rows are written to a Parquet file in a temporary folder owned by the new
        DuckLog (DuckDB streams them; nothing is loaded into memory). Small enough, the
        result goes to the in-memory analyses (:func:`as_eventlog`).
        """
        conds = []
        if where_sql is not None:
            conds.append(
                f"case_id IN (SELECT CAST({_q(self._roles['case'])} AS VARCHAR) FROM raw WHERE {where_sql})"
            )
        if cases is not None:
            wanted = pd.DataFrame({"case_id": pd.Series([str(c) for c in cases], dtype=object)})
            view = f"__cases_{id(wanted)}"
            self.con.register(view, wanted)
            conds.append(f"case_id IN (SELECT case_id FROM {view})")
        try:
            return self._subset(" AND ".join(conds) if conds else "TRUE")
        finally:
            if cases is not None:
                self.con.unregister(view)

    def sample(self, n_cases: int, *, seed: int = 0) -> DuckLog:
        """A new DuckLog with ``n_cases`` cases drawn at random (reproducible with ``seed``)."""
        if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 1:
            raise LogError(f"DuckLog.sample: n_cases must be a positive int, got {n_cases!r}")
        keep = (
            f"case_id IN (SELECT case_id FROM (SELECT DISTINCT case_id FROM ev) "
            f"ORDER BY hash(case_id || '{int(seed)}'), case_id LIMIT {int(n_cases)})"
        )
        return self._subset(keep)

    def _subset(self, case_condition: str) -> DuckLog:
        self._prepare()
        tmp = tempfile.TemporaryDirectory(prefix="procmine-duckdb-part-")
        path = Path(tmp.name) / f"{self.name}.parquet"
        case = _q(self._roles["case"])
        target = str(path).replace("'", "''")
        self.con.execute(
            f"""COPY (SELECT {self._source_columns()} FROM raw
                      WHERE CAST({case} AS VARCHAR) IN (SELECT DISTINCT case_id FROM ev WHERE {case_condition})
                      ORDER BY __rn) TO '{target}' (FORMAT parquet)"""
        )
        part = DuckLog(path, **self._roles)
        part._parts = tmp  # removed with the new log
        logger.info("%s: %d of %d cases kept in %s", self.name, part.n_cases, self.n_cases, path)
        return part

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()
        parts = getattr(self, "_parts", None)
        if parts is not None:
            parts.cleanup()

    def __enter__(self) -> DuckLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        src = "<DataFrame>" if isinstance(self.source, pd.DataFrame) else str(self.source)
        return f"<DuckLog {src}: {self.n_events:,} events, {self.n_cases:,} cases (DuckDB engine)>"


def _literal(text: str) -> str:
    """``text`` inside an SQL string literal."""
    return text.replace("'", "''")


class _CallableSeries(pd.Series):
    """A Series that can still be called, as the old method ``DuckLog.activities()`` was."""

    @property
    def _constructor(self) -> type[pd.Series]:
        return pd.Series  # operations give plain series

    def __call__(self) -> pd.Series:
        _deprecated("activities()", "activities (a property)")
        return pd.Series(self)


def _deprecated(old: str, new: str) -> None:
    """Warn about an old DuckLog name used from outside procmine (procmine's own modules
    still being moved are not the user's concern)."""
    caller = sys._getframe(2).f_globals.get("__name__", "")
    if not caller.startswith("procmine."):
        warnings.warn(
            f"DuckLog.{old} is deprecated: use DuckLog.{new}, the name an EventLog uses",
            DeprecationWarning,
            stacklevel=3,
        )


def as_eventlog(obj: Any, what: str) -> Any:
    """``obj`` itself, or the :class:`procmine.EventLog` of a :class:`DuckLog`.

    :func:`procmine.engines.materialise` (kept for callers of the old name): a DuckLog is
    loaded into memory once (logged at INFO level, cached on the DuckLog) if it has at
    most :data:`MATERIALISE_LIMIT` events; a larger one raises :class:`LogError`. The
    analyses that need every event are marked with :func:`procmine.engines.needs_events`.

    Examples
    --------
    >>> as_eventlog("not a log", "find_redundancies")
    'not a log'
    """
    from .. import materialise

    return materialise(obj, what)


def as_eventlogs(obj: Any, what: str) -> Any:
    """:func:`as_eventlog` applied to a log, or to each log of a list or dict."""
    if isinstance(obj, dict):
        return {k: as_eventlog(v, what) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(as_eventlog(v, what) for v in obj)
    return as_eventlog(obj, what)
