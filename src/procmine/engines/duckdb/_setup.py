"""The set-up of a :class:`procmine.engines.duckdb.DuckLog`: the canonical event view over
the source (Parquet files, CSV, a DataFrame), the source order of its rows, and the table
of events ordered within their cases that every aggregate scans.

:class:`_DuckViews` is a base class of ``DuckLog`` (its methods moved here unchanged);
``_q`` is re-exported by :mod:`procmine.engines.duckdb`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import LogError
from ...log import GROUP, RESOURCE, START
from .._sql_perf import EDGE_CASES
from . import _stream

logger = logging.getLogger("procmine")

__all__: list[str] = []

_SAMPLE = 20_000  # rows read to detect the roles and date formats of a source without them
#: DuckDB column types whose values may be Excel serial days or Unix times in a time column
_NUMERIC_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                            "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL"})

#: the ordered events ``s`` with their source rows ``r`` (every column of the source) and the
#: first source row of their case (``c.first_rn``); ``arg_min(x, LOG_ORDER)`` is the first
#: ``x`` in the order of the log in memory: cases by first appearance, then time
EVENTS_WITH_SOURCE = """seq s JOIN raw r ON s.__rn = r.__rn
    JOIN (SELECT case_id, min(__rn) AS first_rn FROM seq GROUP BY case_id) c ON s.case_id = c.case_id"""
LOG_ORDER = "[c.first_rn, s.pos]"


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise LogError("the DuckDB engine needs the duckdb package: pip install 'procmine[duckdb]'") from exc
    return duckdb


def _q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".parquet", ".pq", ".csv.gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


class _DuckViews:
    """The views and the ordered table of a DuckLog (set up by ``DuckLog.__init__``)."""

    con: Any  #: the DuckDB connection of the log
    source: Any  #: the path or the DataFrame the log reads

    # -- set-up --------------------------------------------------------------------------------
    def _create_view(self, source: Any, case: str, activity: str, ts: str, start: str | None) -> None:
        if isinstance(source, pd.DataFrame):
            frame = source  # noqa: F841 - referenced by name in the SQL below
            self.con.execute("CREATE TABLE raw AS SELECT *, row_number() OVER () AS __rn FROM frame")
            rel = "raw"
            cols = set(source.columns)
        else:
            path = Path(source)
            if not path.exists() and not any(ch in str(path) for ch in "*?"):
                raise LogError("no such file or folder; check the path", path=str(path))
            name = str(path).lower()
            if path.is_dir():
                from ...io._common import partitioned_parquet

                if not any(path.glob("*.parquet")) and partitioned_parquet(path):
                    # ``column=value`` subfolders (Spark, DuckDB, pandas): the partition columns too
                    pattern = str(path / "**" / "*.parquet").replace("'", "''")
                    rel = f"read_parquet('{pattern}', hive_partitioning = true, file_row_number = true, filename = true)"
                else:
                    pattern = str(path / "*.parquet").replace("'", "''")
                    rel = f"read_parquet('{pattern}', file_row_number = true, filename = true)"
            elif name.endswith((".parquet", ".pq")) or "*" in name:
                p = str(path).replace("'", "''")
                rel = f"read_parquet('{p}', file_row_number = true, filename = true)"
            elif name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
                p = str(path).replace("'", "''")
                self.con.execute(
                    f"CREATE TABLE raw AS SELECT *, row_number() OVER () AS __rn FROM read_csv('{p}', all_varchar = true)"
                )
                rel = "raw"
            else:
                raise LogError(
                    "the DuckDB engine reads Parquet and CSV; convert XES or Excel first "
                    "(procmine.read_log(path).to_parquet(...))",
                    path=str(path),
                )
            cols = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
            if rel != "raw":
                self._helper_cols = ["filename", "file_row_number"]  # added by read_parquet
            if rel != "raw" and path.is_file():
                # one file: its row number is the source order (no count per file to join)
                self.con.execute(f"CREATE VIEW raw AS SELECT *, CAST(file_row_number + 1 AS BIGINT) AS __rn FROM {rel}")
            elif rel != "raw":
                # the source order without a global sort: the row number within the file, after
                # the rows of the files before it (in file name order)
                offsets = f"""SELECT filename, coalesce(sum(n) OVER (ORDER BY filename ROWS BETWEEN
                                  UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __off
                              FROM (SELECT filename, count(*) AS n FROM {rel} GROUP BY filename)"""
                self.con.execute(
                    f"""CREATE VIEW raw AS SELECT r.*, CAST(o.__off + r.file_row_number + 1 AS BIGINT) AS __rn
                        FROM {rel} r JOIN ({offsets}) o ON r.filename = o.filename"""
                )
        case, activity, ts, start, ts_sql, start_sql = self._roles_and_times(cols, case, activity, ts, start)
        self.has_start_timestamps = start is not None
        start_col = f", {start_sql} AS start_ts" if start is not None else ""
        # the canonical event view: dropped rows (missing case/activity, missing or unreadable
        # time) are counted in rows_dropped, not hidden. Exports read here (CSV, frames) get
        # their names trimmed and blank ids dropped as read_log does; Parquet sources are
        # taken as written (the trims cost a third of the time on 10 M events)
        # resource and group (when the source has them) ride along in the ordered table: the
        # wait causes' aggregates read them with the previous event's group (one window)
        aux_cols = "".join(f", CAST({_q(c)} AS VARCHAR) AS {k}" for k, c in self._aux.items())
        raw_export = self._raw_is_table()
        act_sql = f"CAST({_q(activity)} AS VARCHAR)"
        case_sql = f"CAST({_q(case)} AS VARCHAR)"
        if raw_export:  # ("A1 " and "A1" are one case, as read_log reads them)
            act_sql = f"trim({act_sql}, ' \t\n\r')"
            case_sql = f"trim({case_sql}, ' \t\n\r')"
        blank = " AND case_id <> '' AND activity <> ''" if raw_export else ""
        self.con.execute(
            f"""CREATE VIEW ev0 AS
            SELECT * FROM (
                SELECT {case_sql} AS case_id, {act_sql} AS activity,
                       {ts_sql} AS ts{start_col}, __rn{aux_cols}
                FROM raw)
            WHERE case_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL{blank}"""
        )
        self._prepared = False
        self.rows_read = int(self.con.execute("SELECT count(*) FROM raw").fetchone()[0])

    def _roles_and_times(
        self, cols: set[str], case: str, activity: str, ts: str, start: str | None
    ) -> tuple[str, str, str, str | None, str, str]:
        """The source column of each role and the SQL that reads the times.

        Columns named as given (pm4py's canonical names by default) are taken as they are.
        Otherwise, as :func:`procmine.read_log` does, the roles are detected from the
        headers and content of the first rows (German, French, Italian, English). Text
        times (CSV) are parsed with the date format detected on those rows, by
        procmine's own parser in a vectorised UDF: the same UTC times, Swiss local time
        rules and day-first reading as the in-memory path.
        """
        from ...io._dates import DateSpec, detect_date_format
        from ...io.detect import detect_roles

        where = "<DataFrame>" if isinstance(self.source, pd.DataFrame) else str(self.source)
        given = {"case": case, "activity": activity, "timestamp": ts}
        if start is not None:
            given["start_timestamp"] = start
        types = dict(self.con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM raw)").fetchall())
        text = {c for c, t in types.items() if t == "VARCHAR"}
        roles = {r: c for r, c in given.items() if c in cols}
        hidden = ", ".join(_q(c) for c in ["__rn", *getattr(self, "_helper_cols", [])])
        samples: list[pd.DataFrame] = []

        def sample() -> pd.DataFrame:
            """The first rows, read once and only when a role or a date format is to be detected."""
            if not samples:
                sql = f"SELECT * EXCLUDE ({hidden}) FROM raw ORDER BY __rn LIMIT {_SAMPLE}"
                samples.append(self.con.execute(sql).df())
            return samples[0]

        if any(r not in roles for r in ("case", "activity", "timestamp")):
            det = detect_roles(sample(), dict(roles), sample_rows=_SAMPLE)
            missing = [r for r in ("case", "activity", "timestamp") if r not in det.roles]
            if missing:
                raise LogError(
                    f"cannot tell which column holds the {' / '.join(missing)}; the columns are: "
                    f"{sorted(c for c in cols if c not in ('__rn', *getattr(self, '_helper_cols', [])))}; "
                    "pass case=, activity=, timestamp=",
                    path=where,
                )
            roles = {r: c for r, c in det.roles.items() if r in ("case", "activity", "timestamp", "start_timestamp")}
            # who did it and in which unit, as read_log reads them: for the wait causes
            self._aux = {k: det.roles[r] for k, r in (("res", "resource"), ("grp", "org")) if r in det.roles}
        elif start is None and START in cols:
            roles["start_timestamp"] = START
        if not getattr(self, "_aux", None):
            self._aux = {k: c for k, c in (("res", RESOURCE), ("grp", GROUP)) if c in cols}
        self._roles = {r: roles[r] for r in ("case", "activity", "timestamp", "start_timestamp") if r in roles}
        if getattr(self, "_pair_lifecycle", None) is not False:
            # the activity column is checked too: detected from content, it may be the lifecycle one
            others = {c for r, c in roles.items() if r != "activity"}
            self._refuse_lifecycle(cols, others, sample if self._raw_is_table() or samples else None, where,
                                   roles=roles)

        def reader(role: str) -> str | None:
            col = roles[role]
            if types.get(col, "").startswith("TIMESTAMP") and "TIME ZONE" not in types[col]:
                # naive times are local time in Europe/Zurich, as read_log reads them
                return self._parsed_once(role, f"{self._date_udf(role, DateSpec('datetime'), types[col])}({_q(col)})")
            if col not in text:
                numeric = types.get(col, "").split("(")[0] in _NUMERIC_TYPES
                spec = detect_date_format(sample()[col]) if numeric else None
                if spec is not None and spec.kind in ("excel", "epoch"):  # numbers as read_log reads them
                    return self._parsed_once(role, f"{self._date_udf(role, spec, types[col])}({_q(col)})")
                return f"CAST({_q(col)} AS TIMESTAMPTZ)"
            spec = detect_date_format(sample()[col])
            if spec is None:
                if role == "timestamp":
                    raise LogError(
                        "the timestamp column holds no dates in a known format (ISO 8601, "
                        "dd.mm.yyyy HH:MM[:SS], dd/mm/yyyy, Excel serial, Unix seconds or milliseconds); pass timestamp=...",
                        path=where,
                        column=col,
                    )
                return None
            return self._parsed_once(role, f"{self._date_udf(role, spec, 'VARCHAR')}({_q(col)})")

        ts_sql = reader("timestamp")
        start_sql = reader("start_timestamp") if "start_timestamp" in roles else None
        if start_sql is None:
            self._roles.pop("start_timestamp", None)
        return (roles["case"], roles["activity"], roles["timestamp"],
                roles.get("start_timestamp") if start_sql else None, ts_sql or "", start_sql or "")

    def _refuse_lifecycle(self, cols: set[str], used: set[str], sample: Any, where: str,
                          roles: dict[str, str] | None = None) -> None:
        """Raise when the source has start rows of a lifecycle column: DuckDB does not pair them.

        The column is ``lifecycle:transition`` or, in an export (CSV, DataFrame) or a source
        whose roles were detected, one found from its first rows as ``read_log`` finds it;
        its distinct values (all rows) are then checked for start or schedule/suspend... words.
        """
        from ...io._lifecycle import OTHER_KIND, START_KIND, find_lifecycle_column, transition_kinds
        from ...log import LIFECYCLE

        col = LIFECYCLE if LIFECYCLE in cols else None
        if col is None and sample is not None:
            found = find_lifecycle_column(sample(), exclude=used)
            col = found[0] if found else None
        structure = None
        if col is None and sample is not None and roles is not None:
            structure = col = self._two_state_column(sample(), roles, used)
        if col is None:
            return
        if structure is None:  # known words: a start (or other) word among the values decides
            values = [v[0] for v in self.con.execute(
                f"SELECT DISTINCT CAST({_q(col)} AS VARCHAR) FROM raw LIMIT 10000").fetchall()]
            kinds = transition_kinds(pd.Series(values, dtype=object))
        if structure is not None or (kinds == START_KIND).any() or (kinds == OTHER_KIND).any():
            raise LogError(
                "the log has one row per lifecycle transition (start/complete rows); the DuckDB "
                "engine does not pair them into one event per step. Read it with engine='pandas' "
                "(pairs them) and save it with .to_parquet(...) for DuckDB, or pass "
                "pair_lifecycle=False to count every row as an event",
                path=where,
                column=col,
            )

    @staticmethod
    def _two_state_column(sample: pd.DataFrame, roles: dict[str, str], used: set[str]) -> str | None:
        """A lifecycle column in words procmine does not know, found from the structure of
        the first rows as ``read_log`` finds it (:func:`procmine.io._lifecycle.find_two_state_column`)."""
        from ...io._dates import detect_date_format, parse_dates
        from ...io._lifecycle import find_two_state_column

        if "start_timestamp" in roles or not all(r in roles for r in ("case", "activity", "timestamp")):
            return None
        ts = sample[roles["timestamp"]]
        spec = detect_date_format(ts)
        if spec is None:
            return None
        times = parse_dates(ts if spec.kind == "datetime" else ts.astype(object), spec)[0]
        found = find_two_state_column(sample, roles["case"], roles["activity"], times,
                                      exclude=used | set(roles.values()) | {c for c in sample.columns
                                                                            if str(c).startswith("__")})
        return found[0] if found else None

    def _raw_is_table(self) -> bool:
        """Whether the source was copied into a table (CSV, DataFrame), not a view over Parquet."""
        # fetchall: a result left open (fetchone) blocks create_function on the connection
        n = self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'raw'").fetchall()[0][0]
        return bool(n)

    def _parsed_once(self, role: str, expr: str) -> str:
        """``expr`` (a parse) stored once in a column of the source table when the source is
        one (CSV, DataFrame): every later scan reads the column instead of parsing again.
        Over Parquet files (a view) the parse stays in the view."""
        if not self._raw_is_table():
            return expr
        col = f"__procmine_{role}"
        self.con.execute(f"ALTER TABLE raw ADD COLUMN {_q(col)} TIMESTAMP WITH TIME ZONE")
        self.con.execute(f"UPDATE raw SET {_q(col)} = {expr}")
        self._helper_cols = [*getattr(self, "_helper_cols", []), col]
        return _q(col)

    def _date_udf(self, role: str, spec: Any, sql_type: str) -> str:
        """Register procmine's date parser for one column as a DuckDB function; its name."""
        import pyarrow as pa

        from ...io._dates import parse_dates

        def parse(values: Any) -> Any:
            series = pd.Series(values.to_pandas())
            parsed, _bad = parse_dates(series if spec.kind == "datetime" else series.astype(object), spec)
            return pa.Array.from_pandas(parsed.astype("datetime64[us, UTC]"), type=pa.timestamp("us", tz="UTC"))

        name = f"__procmine_{role}"
        self.con.create_function(
            name, parse, [sql_type], "TIMESTAMP WITH TIME ZONE", type="arrow", null_handling="special",
            side_effects=False,
        )
        return name

    def _prepare(self) -> None:
        """On the first aggregate: the events ordered within their cases (``seq``: position,
        previous and next activity and time) into a table of the log's database file, once.

        Each figure is then a scan and group-by of this columnar table instead of a sort and
        a window per query. Most sources are already grouped by case and ordered by time
        within it (exports sorted by case): then one streaming pass over the source in its
        order gives the table, without any sort, and a check on the result confirms the
        order (every case in one run, times not decreasing, source rows increasing). Any
        other source is sorted by a window per case, which DuckDB spills to
        ``temp_directory`` beyond ``memory_limit``.

        A failure (memory or disk exhausted) is remembered: every later figure raises the
        same :class:`~procmine.errors.LogError` at once instead of sorting again.
        """
        if self._prepared:
            return
        failed = getattr(self, "_prepare_error", None)
        if failed is not None:
            raise failed
        try:
            self._build_seq()
        except Exception as exc:
            if not _is_resource_error(exc):
                raise
            with contextlib.suppress(Exception):
                self.con.execute("DROP TABLE IF EXISTS seq")
            self._prepare_error = self._no_room(exc, f"order the {self.n_events:,} events within their cases")
            raise self._prepare_error from exc
        start = ", start_ts" if self.has_start_timestamps else ""
        self.con.execute(f"CREATE OR REPLACE VIEW ev AS SELECT case_id, activity, ts{start}, __rn FROM seq")
        self._prepared = True

    def _work_table(self, name: str, sql: str) -> None:
        """Table ``name`` of ``sql`` (ordered events, per-event times) in the log's own
        database file, which DuckDB reads compressed through its buffer manager.

        An attached in-memory database (``ATTACH ':memory:' (COMPRESS)``, spilling to
        ``temp_directory``) is written faster, but on 10 M events with a memory limit below
        the table's size it thrashed (every scan reloading spilled blocks): out of core,
        the file is the safer home."""
        self._execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def _execute(self, sql: str) -> Any:
        """``con.execute(sql)``; DuckDB out of memory or disk becomes a :class:`LogError`
        saying how to give it room (the user can; it is not a bug of the query)."""
        try:
            return self.con.execute(sql)
        except Exception as exc:
            if not _is_resource_error(exc):
                raise
            raise self._no_room(exc, "compute this figure") from exc

    def _no_room(self, exc: BaseException, doing: str) -> LogError:
        """The error for DuckDB running out of memory or disk while it did ``doing``."""
        return LogError(
            f"DuckDB could not {doing}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}. "
            "Give DuckDB more room: read_log(path, engine='duckdb', memory_limit='8GB', "
            "temp_directory=<a folder on a disk with free space of several times the Parquet "
            "size>), or analyse fewer events (log.filter(where_sql), log.sample(n_cases))",
            path=None if isinstance(self.source, pd.DataFrame) else str(self.source),
        )

    def _seq_columns(self) -> str:
        """The columns of ``seq`` over the window ``w`` (per case, ordered); ``pos`` counts
        from 1 in each case (the streaming pass, :meth:`_stream_seq`, gives the source position)."""
        start = ", start_ts" if self.has_start_timestamps else ""
        aux = "".join(f", {k}" for k in self._aux)
        grp = ", lag(grp) OVER w AS prev_grp" if "grp" in self._aux else ""
        # each event with its predecessor only: a directly-follows pair is read on its target's
        # row (the successor's columns would be written again for every event)
        return (
            f"case_id, activity, ts{start}, __rn{aux}, row_number() OVER w AS pos, "
            f"lag(activity) OVER w AS prev_activity, lag(ts) OVER w AS prev_ts{grp}"
        )

    def _build_seq(self) -> None:
        """``seq``: by one streaming pass when the source is in case order, else by a sort."""
        # in source order, an event is in place when its source row follows the previous
        # one's and, in the same case, its time does not precede the previous one's
        ok = """(lag(__rn) OVER () IS NULL OR lag(__rn) OVER () < __rn)
                AND (lag(case_id) OVER () IS DISTINCT FROM case_id OR lag(ts) OVER () <= ts)"""
        # a scan in source order: insertion order must hold
        self.con.execute("SET preserve_insertion_order = true")
        try:
            # the first rows tell a source in another order at little cost
            head = self.con.execute(
                f"SELECT count(*) FILTER (WHERE NOT ok) FROM (SELECT {ok} AS ok FROM (FROM ev0 LIMIT {_SAMPLE}))"
            ).fetchall()[0][0]
            if head == 0:
                self._stream_seq()
        finally:
            self.con.execute("SET preserve_insertion_order = false")
        if head == 0:
            tally = self._stream_tally
            # every case one run: no two runs with the same id (their hashes told apart at
            # once; the same hash is counted exactly, as a split case or a hash collision)
            if tally.bad == 0 and (tally.runs_distinct() or tally.runs == self.n_cases):
                self.n_cases = tally.runs  # the runs are the cases: no count of them later
                logger.debug("%s: source in case order, events ordered without a sort", self.name)
                self._seq_order = "source"
                # the counts the pass made on the way: no scan of the table for them
                self._cache[EDGE_CASES] = tally.edge_cases()
                self._cache["first_last"] = tally.first_last()
                variants = tally.variants()
                if variants is not None:
                    self._cache["variants"] = variants
                return
        self._work_table(
            "seq", f"SELECT {self._seq_columns()} FROM ev0 WINDOW w AS (PARTITION BY case_id ORDER BY ts, __rn)"
        )
        self._seq_order = "sorted"

    def _stream_seq(self) -> None:
        """``seq`` of a source in case order by one pass over it in record batches.

        DuckDB's window over the whole scan (``lag``/``lead`` ``OVER ()``) runs on one
        thread and held the pass to about 1 µs per event (10 s for 10 M events). Here
        DuckDB scans the source, Arrow shifts the columns of each batch by one row (the
        previous batch's last row and the next batch's first row at the edges) and masks
        the neighbours of another case, and a second connection writes the batches into the
        table: the same columns and values as the window of :meth:`_seq_columns`, ``pos``
        the source position (:mod:`._stream`). On the way, its ``Tally`` counts what the order check
        needs (rows out of place, runs of a case and the hashes of their ids), the cases
        per directly-follows pair, the first and last activities of the cases and the
        variants.
        """
        start = ["start_ts"] if self.has_start_timestamps else []
        aux = list(self._aux)
        cols = ["case_id", "activity", "ts", *start, "__rn", *aux, f"hash(case_id) AS {_stream.CASE_HASH}"]

        def shifted(reader: Any) -> tuple[Any, Iterable[Any]]:
            stream = _stream.Shifted(reader, bool(start), "grp" in aux)
            self._stream_tally = stream.tally
            return stream.schema, stream

        self._write_stream("seq", f"SELECT {', '.join(cols)} FROM ev0", shifted)

    def _write_stream(self, table: str, query: str, transform: Callable[[Any], tuple[Any, Iterable[Any]]]) -> None:
        """Table ``table`` from the rows of ``query`` in their order, changed batch by batch
        in Python: DuckDB streams ``query`` in Arrow batches of ``STREAM_BATCH`` rows,
        ``transform(reader)`` gives the schema and the batches to write, and a second
        connection writes them in that order. The caller holds insertion order
        (``preserve_insertion_order``) on this connection."""
        import pyarrow as pa

        # a relation's reader streams (an execute() result would be copied whole first)
        reader = self.con.sql(query).to_arrow_reader(_stream.STREAM_BATCH)
        writer = self.con.cursor()  # the reading connection is busy until the reader is done
        ahead = None
        try:
            writer.execute("SET preserve_insertion_order = true")
            schema, batches = transform(reader)
            # the scan and the Python work made ahead in a thread while the writer inserts
            ahead = _stream.Prefetched(batches)
            writer.register(f"__procmine_{table}_stream", pa.RecordBatchReader.from_batches(schema, iter(ahead)))
            writer.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM __procmine_{table}_stream")
        finally:
            if ahead is not None:
                ahead.close()  # before the reader closes: the thread may still be reading it
            writer.close()
            reader.close()


def _is_resource_error(exc: BaseException) -> bool:
    """DuckDB ran out of memory or disk (not a bug of the query: the user can give it room)."""
    name = type(exc).__name__
    text = str(exc)
    return name in ("OutOfMemoryException", "IOException") or "No space left" in text or "Out of Memory" in text
