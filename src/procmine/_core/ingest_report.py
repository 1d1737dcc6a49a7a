"""What happened while a log was read: :class:`IngestReport` (re-exported by
:mod:`procmine.log` and :mod:`procmine`), and the small HTML table used to display it.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .notes import note
from .results import Result, one_line, result_html

__all__ = ["IngestReport"]

#: how many source row numbers a drop reason keeps as examples (``dropped_rows``)
MAX_SAMPLE_ROWS = 5
#: the drop reason of a start row merged into its complete (procmine.io._lifecycle.MERGED)
LIFECYCLE_MERGED = note("start merged into its complete")


@dataclass(repr=False)
class IngestReport(Result):
    """What happened while a log was read: every row is kept or counted as dropped.

    ``rows_read == rows_kept + sum(dropped.values())`` always holds.

    Examples
    --------
    >>> r = IngestReport(source="x.csv", format="csv", rows_read=3, rows_kept=2,
    ...                  dropped={"missing case id": 1})
    >>> r.check()
    >>> r.rows_dropped
    1
    """

    source: str = "<DataFrame>"
    format: str = "dataframe"
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    #: reason -> a few 1-based row (CSV/Excel: data row; XES: event number) or line numbers
    dropped_rows: dict[str, list[int]] = field(default_factory=dict)
    #: role -> source column it was taken from
    roles: dict[str, str] = field(default_factory=dict)
    #: role -> how it was found: "explicit", "header", "content" or "standard" (XES keys)
    role_detection: dict[str, str] = field(default_factory=dict)
    #: role -> why that column: the header word matched and the content figures (distinct
    #: values, events per value, time spread) it was judged on
    role_evidence: dict[str, str] = field(default_factory=dict)
    #: detected formats: separator, encoding, date formats per column, dayfirst, tz, ...
    formats: dict[str, Any] = field(default_factory=dict)
    #: events identical to another one of the same case in every column (kept, counted)
    duplicates: int = 0
    #: XES traces sharing an id with an earlier trace (their events are merged into one case)
    duplicate_case_ids: int = 0
    #: XES traces without any event
    empty_traces: int = 0
    n_cases: int = 0
    n_activities: int = 0
    time_range: tuple[pd.Timestamp, pd.Timestamp] | None = None
    warnings: list[str] = field(default_factory=list)
    #: loud warnings: the log does not look like what was meant (too few cases, one case
    #: holding most events); also the first entries of ``warnings``, shown by ``repr(log)``
    alerts: list[str] = field(default_factory=list)
    #: filters applied after reading, in order: dicts with the filter and counts before/after
    filters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        """Number of rows read but not kept."""
        return int(sum(self.dropped.values()))

    @property
    def rows_merged(self) -> int:
        """Start rows merged into their complete row by lifecycle pairing (no information lost)."""
        return int(self.dropped.get(LIFECYCLE_MERGED, 0))

    @property
    def rows_lost(self) -> int:
        """Rows read whose information is not in the log: dropped for a reason other than pairing."""
        return self.rows_dropped - self.rows_merged

    def count_dropped(self, reason: str, rows: Any) -> None:
        """Count the rows ``rows`` (their 1-based source row numbers) as dropped for ``reason``,
        keeping the first :data:`MAX_SAMPLE_ROWS` as examples.

        >>> r = IngestReport(rows_read=9)
        >>> r.count_dropped("missing case id", [3, 4, 5, 6, 7, 8])
        >>> r.dropped, r.dropped_rows
        ({'missing case id': 6}, {'missing case id': [3, 4, 5, 6, 7]})
        """
        rows = np.asarray(rows)
        if not len(rows):
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + len(rows)
        self.dropped_rows.setdefault(reason, []).extend(int(r) for r in rows[:MAX_SAMPLE_ROWS])

    def check(self) -> None:
        """Raise ``AssertionError`` if the row accounting does not add up."""
        assert self.rows_read == self.rows_kept + self.rows_dropped, (
            f"{self.rows_read} read != {self.rows_kept} kept + {self.rows_dropped} dropped"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the report."""
        d = dataclasses.asdict(self)
        if self.time_range is not None:
            d["time_range"] = [t.isoformat() for t in self.time_range]
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row per figure, for display or export."""
        rows: list[tuple[str, Any]] = [
            ("source", self.source),
            ("format", self.format),
            ("rows read", self.rows_read),
            ("rows kept", self.rows_kept),
        ]
        rows += [(f"dropped: {k}", v) for k, v in self.dropped.items()]
        rows += [(f"role {k}", self._role_text(k)) for k in self.roles]
        rows += [(f"format {k}", v) for k, v in self.formats.items()]
        rows += [
            ("duplicate events", self.duplicates),
            ("duplicate case ids", self.duplicate_case_ids),
            ("empty traces", self.empty_traces),
            ("cases", self.n_cases),
            ("activities", self.n_activities),
        ]
        if self.time_range is not None:
            rows.append(("time range", f"{self.time_range[0]} – {self.time_range[1]}"))
        rows += [("warning", w) for w in self.warnings]
        rows += [(f"filter {i + 1}", f.get("description", "")) for i, f in enumerate(self.filters)]
        return pd.DataFrame(rows, columns=["item", "value"])

    def _role_text(self, role: str) -> str:
        """``column (how: why)``, e.g. ``Laufnummer (content: 1,000 distinct values, ...)``."""
        how = self.role_detection.get(role, "?")
        why = self.role_evidence.get(role)
        return f"{self.roles[role]} ({how}: {why})" if why else f"{self.roles[role]} ({how})"

    def _repr_parts(self) -> tuple[str, list[str]]:
        # alerts before roles: an implausible read must show within the repr's width
        dropped = ", ".join(f"{k}: {v:,}" for k, v in self.dropped.items()) or "none"
        return f"{self.source} ({self.format})", [
            f"{self.rows_read:,} rows read, {self.rows_kept:,} kept, dropped {dropped}",
            f"{len(self.warnings)} warning(s)",
            *self.alerts,
            ", ".join(f"role {k}: {self._role_text(k)}" for k in self.roles),
        ]

    def __str__(self) -> str:
        """The whole report as text: the repr's figures, one line per role, the alerts."""
        subject, facts = self._repr_parts()
        lines = [one_line("IngestReport", subject, facts[:2])]
        lines += [f"  role {k}: {self._role_text(k)}" for k in self.roles]
        lines += self.alerts
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        # its table is to_frame() itself (one row per figure): no summary above it
        return result_html(f"Ingest report: {self.source}", frame=self.to_frame())

    def summary(self) -> dict[str, Any]:
        """Rows read, kept and dropped, cases, activities and warnings."""
        return {"rows read": self.rows_read, "rows kept": self.rows_kept, "rows dropped": self.rows_dropped,
                "cases": self.n_cases, "activities": self.n_activities, "warnings": len(self.warnings)}

    def _draw_on(self, ax: Any) -> None:
        """Rows kept and dropped per reason (horizontal bars)."""
        counts = {"kept": self.rows_kept, **{f"dropped: {k}"[:50]: v for k, v in self.dropped.items()}}
        labels = list(counts)[::-1]
        ax.barh(labels, [counts[k] for k in labels], color=["#4472c4" if k == "kept" else "#ed7d31" for k in labels])
        ax.set_xlabel("rows")
        ax.set_title(f"Rows read from {self.source}"[:80])


#: a log with fewer cases, or whose largest case holds more than this share of the events,
#: is not what a process analysis expects: most likely the wrong column was taken as the case
MIN_CASES = 10
MAX_CASE_SHARE = 0.5


def plausibility_alerts(n_cases: int, n_events: int, largest: int, case_column: str | None) -> list[str]:
    """Loud warnings when a log does not look like a log of cases (see :data:`MIN_CASES`).

    Examples
    --------
    >>> plausibility_alerts(3, 28_776, 9_592, "Type de demande")[0][:34]
    '⚠ implausible log: only 3 case(s) '
    >>> plausibility_alerts(500, 4_000, 12, "Dossier")
    []
    """
    if n_events == 0:
        return []
    share = largest / n_events
    what = []
    if n_cases < MIN_CASES:
        what.append(f"only {n_cases:,} case(s) for {n_events:,} events")
    if share > MAX_CASE_SHARE:
        what.append(f"one case holds {share:.0%} of the events")
    if not what:
        return []
    col = f"is {case_column!r} really the case id? " if case_column else ""
    return [f"⚠ implausible log: {' and '.join(what)}; {col}if not, read it again with case=\"...\""]


def _html_table(frame: pd.DataFrame, caption: str = "") -> str:
    """A small HTML table; pandas' ``to_html`` escapes cell values, we escape the caption."""
    cap = f"<p><strong>{html.escape(caption)}</strong></p>" if caption else ""
    return cap + frame.to_html(index=False, escape=True, border=0)
