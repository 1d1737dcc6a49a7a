"""One shape for every public result (as lifelines gives every fitter one repr and printer).

A result class inherits :class:`Result` and declares what it is made of:

- ``_repr_parts()`` -> ``(subject, facts)``: the repr is
  ``<ClassName subject: fact; fact; ...>`` on one line, at most :data:`REPR_WIDTH`
  characters (a long subject is shortened first, then the end of the text);
- ``summary()``: key figures (a dict, or a ``figure``/``value`` frame);
- ``to_frame()``: the result's table;
- ``_draw_on(ax, **options)``: draws the result on a matplotlib axes.

From these it gets ``__repr__``, ``_repr_html_`` (the repr as a heading, the summary and
the head of the frame, escaped, with no external resource) and ``plot(ax=None, ...)``,
which returns the axes. A result whose natural picture is a process map (``ProcessModel``,
``Findings``) has a method of its own for the SVG map, ``plot_map()``; its ``plot(ax=ax)``
draws on the axes and returns them, and ``plot()`` without axes stays the map it always was
(``DESIGN.md``: the map shown in Jupyter).

The shape lives in the bottom layer so that a bottom-layer result (``IngestReport``) has
it without importing upward; :mod:`procmine._results` re-exports every name. Durations in
a notebook table are written by the one formatter, :func:`procmine.i18n.format_duration`
(shared layer, above this one): :mod:`procmine._results` hands it to this module with
:func:`use_duration_text` when it is imported, which every result module above the bottom
does; until then (a bottom-layer result alone) a duration is written as pandas writes it.

>>> one_line("Thing", "subject", ["3 cases", "a\\nb"])
'<Thing subject: 3 cases; a b>'
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["REPR_WIDTH", "Result", "new_axes", "one_line", "result_html", "use_duration_text"]

#: the longest repr a result gives (a notebook cell's line, a log line)
REPR_WIDTH = 200
#: rows of ``to_frame()`` shown in a notebook
HTML_ROWS = 20


def _pandas_duration_text(value: Any, *, day_hours: float | None = None) -> str:
    return str(pd.Timedelta(value))


#: ``(value, *, day_hours) -> str``: how a duration cell is written (see the module docstring)
_duration_text: Callable[..., str] = _pandas_duration_text


def use_duration_text(formatter: Callable[..., str]) -> None:
    """Write the durations of every result table with ``formatter(value, day_hours=...)``."""
    global _duration_text
    _duration_text = formatter


def working_day_hours(calendar: Any) -> float | None:
    """``calendar.day_hours`` when ``calendar`` measures working time, else None (elapsed)."""
    if calendar is None or getattr(calendar, "is_elapsed", True):
        return None
    return getattr(calendar, "day_hours", None) or None


def one_line(name: str, subject: str, facts: Sequence[str], width: int = REPR_WIDTH) -> str:
    """``<name subject: fact; fact>`` on one line and at most ``width`` characters."""

    def flat(text: Any) -> str:
        return " ".join(str(text).split())

    subject = flat(subject)
    facts = [f for f in (flat(x) for x in facts) if f]

    def build(subj: str, items: Sequence[str]) -> str:
        head = f"<{name} {subj}" if subj else f"<{name}"
        return head + (": " + "; ".join(items) if items else "") + ">"

    text = build(subject, facts)
    if len(text) <= width:
        return text
    # a long subject (a log name, a chain of activities) gives way first, then the end
    if len(subject) > 40:
        text = build(subject[:39] + "…", facts)
    return text if len(text) <= width else text[: width - 2] + "…>"


def _cell(value: Any, column: str = "", day_hours: float | None = None) -> str:
    """One value as display text; durations through the one formatter."""
    if isinstance(value, (pd.Timedelta, np.timedelta64)):
        return _duration_text(value, day_hours=day_hours if "elapsed" not in column else None)
    if value is None or value is pd.NaT or value is pd.NA:
        return "–"
    if isinstance(value, (bool, np.bool_, str)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "–"
        if column.endswith("share") and 0 <= v <= 1:
            return f"{v:.1%}"
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.3g}"
    if isinstance(value, tuple):
        return " → ".join(map(str, value))
    return str(value)


def _frame_html(frame: pd.DataFrame, day_hours: float | None, rows: int = HTML_ROWS) -> str:
    shown = frame.head(rows)
    if not isinstance(shown.index, pd.RangeIndex):
        shown = shown.reset_index()
    shown = shown.copy()
    shown.columns = [str(c) for c in shown.columns]
    for col in shown.columns:
        shown[col] = [_cell(v, col, day_hours) for v in shown[col].tolist()]
    more = f"<p><small>{len(frame) - rows:,} more rows in to_frame()</small></p>" if len(frame) > rows else ""
    return shown.to_html(index=False, escape=True, border=0) + more


def _summary_html(summary: Any, day_hours: float | None) -> str:
    if isinstance(summary, pd.DataFrame):
        if list(summary.columns[:2]) == ["figure", "value"]:
            summary = dict(zip(summary["figure"], summary["value"]))
        else:
            return _frame_html(summary, day_hours)
    if not isinstance(summary, Mapping) or not summary:
        return ""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:right'>{html.escape(_cell(v, str(k), day_hours))}</td></tr>"
        for k, v in summary.items()
        if not isinstance(v, (Mapping, list, pd.DataFrame, pd.Series))
    )
    return f"<table class='procmine-summary'>{rows}</table>"


def result_html(
    title: str,
    summary: Any = None,
    frame: pd.DataFrame | None = None,
    *,
    figure: str = "",
    notes: Sequence[str] = (),
    day_hours: float | None = None,
) -> str:
    """The notebook view of a result: title, figure (inline SVG), notes, summary, frame.

    Every text is escaped; ``figure`` must be self-contained markup (procmine's own SVG).
    """
    parts = [f"<div class='procmine-result'><p><strong>{html.escape(title)}</strong></p>"]
    if figure:
        parts.append(f'<div style="max-width:100%;max-height:900px;overflow:auto">{figure}</div>')
    parts += [f"<p>{html.escape(n)}</p>" for n in notes if n]
    if summary is not None:
        parts.append(_summary_html(summary, day_hours))
    if frame is not None and len(frame.columns):
        parts.append(_frame_html(frame, day_hours))
    parts.append("</div>")
    return "".join(parts)


def new_axes(ax: Any = None, figsize: tuple[float, float] = (8, 4.5)) -> Any:
    """``ax``, or the axes of a new matplotlib Figure (no global pyplot state)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()


def legacy_first_option(cls_method: str, option: str, ax: Any, args: tuple, value: Any) -> tuple[Any, Any]:
    """Accept the old ``plot(option, ax)`` order with a DeprecationWarning.

    Returns ``(ax, option value)``.
    """
    if isinstance(ax, str):
        warnings.warn(
            f"{cls_method}({ax!r}, ...) is deprecated: the first argument of plot is the axes; "
            f"write {cls_method}({option}={ax!r}) (or ax=..., {option}=...)",
            DeprecationWarning,
            stacklevel=3,
        )
        return (args[0] if args else None), ax
    if args:
        raise TypeError(f"{cls_method} takes the axes as its only positional argument")
    return ax, value


class Result:
    """Mixin giving a result its repr, notebook view and ``plot``.

    Subclasses implement ``_repr_parts``, ``summary``, ``to_frame`` and ``_draw_on`` (or
    their own ``plot`` with the same signature shape, returning the axes).
    """

    #: size of a new figure when ``plot`` gets no axes
    _figsize: tuple[float, float] = (8, 4.5)

    def _repr_parts(self) -> tuple[str, Sequence[str]]:  # pragma: no cover - each result declares it
        raise NotImplementedError

    def summary(self) -> Any:
        """Key figures of the result (a dict)."""
        return {}

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - each result declares it
        raise NotImplementedError

    def _day_hours(self) -> float | None:
        """Length of a working day when the result's durations are working time."""
        return working_day_hours(getattr(self, "calendar", None))

    def _html_figure(self) -> str:
        """Inline SVG shown above the tables (a map); none by default."""
        return ""

    def _html_notes(self) -> Sequence[str]:
        return ()

    def __repr__(self) -> str:
        subject, facts = self._repr_parts()
        # the class that declares the parts names the result (an engine's subclass does not)
        name = next(c.__name__ for c in type(self).__mro__ if "_repr_parts" in vars(c))
        return one_line(name, subject, facts)

    def _repr_html_(self) -> str:
        return result_html(
            repr(self),
            self.summary(),
            self.to_frame(),
            figure=self._html_figure(),
            notes=self._html_notes(),
            day_hours=self._day_hours(),
        )

    def _draw_on(self, ax: Any, **options: Any) -> None:  # pragma: no cover - each result declares it
        raise NotImplementedError

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw the result on ``ax`` (a new Figure's axes if None) and return the axes."""
        ax = new_axes(ax, self._figsize)
        self._draw_on(ax, **options)
        return ax
