"""The building blocks of a report: sections made of KPI tiles, tables, figures and text.

Section builders (``_sections.py``) turn analyses into these plain objects, with every
value already formatted for the report language; the templates only lay them out.
Nothing here is trusted HTML except :class:`Figure` SVG, which comes from
:func:`procmine.report._svg.sanitize_svg`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..i18n import (
    calendar_note,
    format_date,
    format_duration,
    format_hours,
    format_integer,
    format_message,
    format_number,
    format_percent,
    format_value,
    format_working_time,
    gettext,
)

__all__ = ["KPI", "Context", "Figure", "Notice", "Section", "Table", "Text", "table_from_frame"]


@dataclass
class KPI:
    label: str
    value: str
    note: str = ""
    kind: str = "kpi"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    align: list[str]
    caption: str = ""
    note: str = ""
    kind: str = "table"
    #: column indexes holding long text (wrap, smaller)
    wide: tuple[int, ...] = ()


@dataclass
class Figure:
    svg: Markup
    caption: str = ""
    kind: str = "figure"


@dataclass
class Text:
    text: str
    kind: str = "text"


@dataclass
class Notice:
    text: str
    level: str = "info"  # info | warning | error
    kind: str = "notice"


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    intro: str = ""

    def add(self, *blocks: Any) -> Section:
        self.blocks.extend(b for b in blocks if b is not None)
        return self


@dataclass
class Context:
    """What every section builder needs: the (pseudonymised) log, language, options, caches."""

    log: Any
    language: str
    min_cases: int = 10
    calendar: Any = None
    show_case_ids: bool = False
    required: tuple[str, ...] = ()
    #: findings given by the caller (already pseudonymised), else computed on demand
    given_findings: Any = None
    #: tables for the XLSX/CSV export: sheet name -> frame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    #: sections that failed: section id -> message
    errors: dict[str, str] = field(default_factory=dict)

    def _(self, msgid: str, **kwargs: Any) -> str:
        """``msgid`` in the report language, formatted with ``kwargs`` per locale."""
        return format_message(gettext(msgid, self.language), self.language, **kwargs)

    @property
    def colon(self) -> str:
        """``": "``, or ``"\u202f: "`` in French (a thin space before the colon)."""
        return "\u202f: " if self.language == "fr" else ": "

    def source_name(self, column: str) -> str:
        """The header users know a column by: a canonical column under its source header
        (``org:group`` read from ``Service`` is "Service"), any other column as it is."""
        from ..log import ROLE_COLUMNS

        for role, source in self.log.report.roles.items():
            if ROLE_COLUMNS.get(role) == column and source and source != column:
                return str(source)
        return str(column)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per report (analyses shared by several sections)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    # formatting shortcuts
    def num(self, x: Any, digits: int = 1) -> str:
        return format_number(x, self.language, digits=digits)

    def int(self, x: Any) -> str:
        return format_integer(x, self.language)

    def pct(self, x: Any, digits: int = 0) -> str:
        return format_percent(x, self.language, digits=digits)

    def dur(self, td: Any) -> str:
        return format_duration(td, self.language)

    def wdur(self, td: Any) -> str:
        """A working-time duration (working days / hours)."""
        return format_working_time(td, self.language, day_hours=self.day_hours)

    @property
    def day_hours(self) -> float:
        """Hours of one working day of the report's calendar (set by the report builder)."""
        if "day_hours" not in self.cache:
            cal = self.calendar
            if cal is None:
                from ..calendar import Calendar

                cal = Calendar()
            self.cache["day_hours"] = cal.day_hours or 24.0
        return float(self.cache["day_hours"])

    @property
    def calendar_note(self) -> str:
        """Whose working days the report counts, e.g. "calendar BE, working day 8 h"."""
        return calendar_note(self.calendar, self.language)

    @property
    def working_days(self) -> str:
        """The unit of working-day figures, naming whose: "working days (calendar BE, working day 8 h)"."""
        return f"{self._('working days')} ({self.calendar_note})"

    def hours(self, td: Any) -> str:
        return format_hours(td, self.language)

    def date(self, ts: Any) -> str:
        return format_date(ts, self.language)


_RIGHT = {"int", "num", "num2", "pct", "dur", "wdur", "hours", "date"}


def _fmt(ctx: Context, kind: str | Callable[[Any], str], v: Any) -> str:
    if callable(kind):
        return kind(v)
    if v is None or (not isinstance(v, (str, tuple, list, dict)) and pd.isna(v)):
        return "–"
    if kind == "int":
        return ctx.int(v)
    if kind == "num":
        return ctx.num(v)
    if kind == "num2":
        return ctx.num(v, 2)
    if kind == "pct":
        return ctx.pct(v, 1 if abs(float(v)) < 0.1 else 0)
    if kind == "dur":
        return ctx.dur(v)
    if kind == "wdur":
        return ctx.wdur(v)
    if kind == "hours":
        return ctx.hours(v)
    if kind == "date":
        return ctx.date(v)
    if kind == "path":
        return " → ".join(str(x) for x in v) if isinstance(v, (tuple, list)) else str(v)
    return format_value(v, ctx.language)


def table_from_frame(
    ctx: Context,
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, str | Callable[[Any], str]]],
    *,
    caption: str = "",
    note: str = "",
    max_rows: int | None = None,
    wide: Iterable[str] = (),
) -> Table:
    """A :class:`Table` of ``frame``'s ``columns``: ``(column, translated header, kind)``.

    ``kind`` is one of ``text int num num2 pct dur wdur hours date path`` or a callable
    (``dur``: elapsed time in calendar days; ``wdur``: working time in working days).
    """
    cols = [c for c in columns if c[0] in frame.columns]
    shown = frame if max_rows is None else frame.head(max_rows)
    rows = [[_fmt(ctx, kind, rec[col]) for col, _, kind in cols] for rec in shown.to_dict("records")]
    if max_rows is not None and len(frame) > max_rows:
        n = len(frame) - max_rows
        more = (ctx._("{n} more row in the workbook export", n=n) if n == 1
                else ctx._("{n} more rows in the workbook export", n=n))
        note = f"{note} {more}".strip()
    align = ["r" if (isinstance(k, str) and k in _RIGHT) else "l" for _, _, k in cols]
    wide_idx = tuple(i for i, c in enumerate(cols) if c[0] in set(wide))
    return Table(
        headers=[h for _, h, _ in cols], rows=rows, align=align, caption=caption, note=note, wide=wide_idx
    )
