"""The set-up of a :class:`procmine.engines.duckdb.DuckLog`: the canonical event view over
the source (Parquet files, CSV, a DataFrame), the source order of its rows, and the table
of events ordered within their cases that every aggregate scans.

:class:`_DuckViews` is a base class of ``DuckLog`` (its methods moved here unchanged);
``_q`` is re-exported by :mod:`procmine.engines.duckdb`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import LogError
from ..log import START

__all__: list[str] = []


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
        has_start = False
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
                # the source order without a global sort: the row number within the file, after
                # the rows of the files before it (in file name order)
                offsets = f"""SELECT filename, coalesce(sum(n) OVER (ORDER BY filename ROWS BETWEEN
                                  UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __off
                              FROM (SELECT filename, count(*) AS n FROM {rel} GROUP BY filename)"""
                self.con.execute(
                    f"""CREATE VIEW raw AS SELECT r.*, CAST(o.__off + r.file_row_number + 1 AS BIGINT) AS __rn
                        FROM {rel} r JOIN ({offsets}) o ON r.filename = o.filename"""
                )
        missing = [c for c in (case, activity, ts) if c not in cols]
        if missing:
            raise LogError(
                f"column(s) {missing} not found; available: {sorted(cols)[:15]}; "
                "pass case=, activity=, timestamp=",
                path=str(self.source) if not isinstance(self.source, pd.DataFrame) else "<DataFrame>",
            )
        start = start if start is not None else (START if START in cols else None)
        has_start = start is not None and start in cols
        start_sql = f", CAST({_q(start)} AS TIMESTAMPTZ) AS start_ts" if has_start else ""
        self.has_start = has_start
        # the canonical event view: dropped rows (missing case/activity/time) are counted, not hidden
        self.con.execute(
            f"""CREATE VIEW ev0 AS
            SELECT CAST({_q(case)} AS VARCHAR) AS case_id, CAST({_q(activity)} AS VARCHAR) AS activity,
                   CAST({_q(ts)} AS TIMESTAMPTZ) AS ts{start_sql}, __rn
            FROM raw
            WHERE {_q(case)} IS NOT NULL AND {_q(activity)} IS NOT NULL AND {_q(ts)} IS NOT NULL"""
        )
        # the gap of a directly-follows pair ends at the target's start when it is known
        # (its waiting time), else at its completion: the in-memory definition
        self.con.execute(
            f"""CREATE VIEW seq0 AS
            SELECT *, row_number() OVER w AS pos,
                   lead(activity) OVER w AS next_activity,
                   lead({"coalesce(start_ts, ts)" if has_start else "ts"}) OVER w AS next_ts,
                   lag(activity) OVER w AS prev_activity, lag(ts) OVER w AS prev_ts
            FROM ev0 WINDOW w AS (PARTITION BY case_id ORDER BY ts, __rn)"""
        )
        self._prepared = False
        self.rows_read = int(self.con.execute("SELECT count(*) FROM raw").fetchone()[0])

    def _prepare(self) -> None:
        """On the first aggregate: the events ordered within their cases (``seq``: position,
        next activity, next time) into a table of the log's database file, once.

        Each figure is then a scan and group-by of this columnar table instead of a global
        sort of the source (its row numbers) and a window per query; DuckDB spills the
        sorts to ``temp_directory`` beyond ``memory_limit``.
        """
        if self._prepared:
            return
        self.con.execute("CREATE TABLE seq AS SELECT * FROM seq0")
        start = ", start_ts" if self.has_start else ""
        self.con.execute(f"CREATE VIEW ev AS SELECT case_id, activity, ts{start}, __rn FROM seq")
        self._prepared = True
