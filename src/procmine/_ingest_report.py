"""What happened while a log was read: :class:`IngestReport` (re-exported by
:mod:`procmine.log` and :mod:`procmine`), and the small HTML table used to display it.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["IngestReport"]


@dataclass
class IngestReport:
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
    #: filters applied after reading, in order: dicts with the filter and counts before/after
    filters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        """Number of rows read but not kept."""
        return int(sum(self.dropped.values()))

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
        rows += [(f"role {k}", f"{v} ({self.role_detection.get(k, '?')})") for k, v in self.roles.items()]
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

    def __repr__(self) -> str:
        dropped = ", ".join(f"{k}: {v:,}" for k, v in self.dropped.items()) or "none"
        return (
            f"<IngestReport {self.source} ({self.format}): {self.rows_read:,} rows read, "
            f"{self.rows_kept:,} kept, dropped {dropped}; {len(self.warnings)} warning(s)>"
        )

    def _repr_html_(self) -> str:
        return _html_table(self.to_frame(), caption=f"Ingest report: {self.source}")


def _html_table(frame: pd.DataFrame, caption: str = "") -> str:
    """A small HTML table; pandas' ``to_html`` escapes cell values, we escape the caption."""
    cap = f"<p><strong>{html.escape(caption)}</strong></p>" if caption else ""
    return cap + frame.to_html(index=False, escape=True, border=0)
