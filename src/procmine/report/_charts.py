"""The report's charts: matplotlib figures with translated labels, as sanitised inline SVG."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from markupsafe import Markup

from ._svg import _RC, COLOURS, figure_svg, new_figure

__all__ = ["grouped_bars", "hbar", "hbar_stacked", "histogram"]


def _styled(func: Callable[..., Markup]) -> Callable[..., Markup]:
    """Draw the whole chart under the report's matplotlib style (rcParams apply at creation)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Markup:
        import matplotlib

        with matplotlib.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _short(label: str, n: int = 42) -> str:
    label = str(label)
    return label if len(label) <= n else label[: n - 1] + "…"


@_styled
def hbar_stacked(
    labels: Sequence[str],
    parts: Sequence[tuple[str, Sequence[float], str]],
    *,
    xlabel: str,
    prefix: str,
    title: str = "",
) -> Markup:
    """Horizontal stacked bars, first label on top. ``parts``: (legend, values, colour key)."""
    n = len(labels)
    legend_rows = (len(parts) + 1) // 2 if len(parts) > 1 else 0
    fig = new_figure(16, 1.6 + 0.55 * max(n, 1) + 0.5 * legend_rows)
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    for name, values, colour in parts:
        v = np.nan_to_num(np.asarray(values, dtype=float))
        ax.barh(y, v, left=left, color=COLOURS.get(colour, colour), label=name, height=0.65)
        left = left + v
    ax.set_yticks(y, [_short(x) for x in labels])
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, loc="left")
    if len(parts) > 1:  # above the bars, never over them (figure_svg leaves it room)
        fig.legend(loc="upper left", ncols=2, frameon=False)
    ax.grid(axis="x", color="#e2e8f0", lw=0.6)
    ax.set_axisbelow(True)
    return figure_svg(fig, prefix)


@_styled
def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str,
    prefix: str,
    colour: str = "main",
    value_labels: Sequence[str] | None = None,
) -> Markup:
    """Horizontal bars with optional value labels at the bar ends."""
    n = len(labels)
    fig = new_figure(16, 1.4 + 0.55 * max(n, 1))
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    v = np.nan_to_num(np.asarray(values, dtype=float))
    ax.barh(y, v, color=COLOURS.get(colour, colour), height=0.65)
    ax.set_yticks(y, [_short(x) for x in labels])
    ax.set_xlabel(xlabel)
    if value_labels is not None:
        top = float(v.max()) if len(v) else 0.0
        for yi, vi, text in zip(y, v, value_labels):
            ax.text(vi + top * 0.01, yi, text, va="center", fontsize=8)
        ax.set_xlim(0, top * 1.18 if top > 0 else 1)
    ax.grid(axis="x", color="#e2e8f0", lw=0.6)
    ax.set_axisbelow(True)
    return figure_svg(fig, prefix)


@_styled
def histogram(
    values: Sequence[float], *, xlabel: str, ylabel: str, prefix: str, marks: Sequence[tuple[float, str]] = ()
) -> Markup:
    """Histogram with vertical marks (e.g. median, p90)."""
    fig = new_figure(16, 6)
    ax = fig.add_subplot()
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v):
        hi = np.quantile(v, 0.98) if len(v) > 20 else v.max()
        ax.hist(np.clip(v, None, hi), bins=min(40, max(len(v) // 5, 5)), color=COLOURS["main"], alpha=0.85)
    for x, label in marks:
        ax.axvline(x, color=COLOURS["wait"], lw=1.2, ls="--")
        ax.annotate(
            label,
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=8,
            color=COLOURS["wait"],
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e2e8f0", lw=0.6)
    ax.set_axisbelow(True)
    return figure_svg(fig, prefix)


@_styled
def grouped_bars(
    groups: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]], *, xlabel: str, prefix: str
) -> Markup:
    """Horizontal grouped bars: one group per row, one bar per series."""
    n = len(groups)
    k = max(len(series), 1)
    fig = new_figure(16, 1.6 + 0.32 * k * max(n, 1))
    ax = fig.add_subplot()
    y = np.arange(n)[::-1].astype(float)
    h = 0.8 / k
    for i, (name, values, colour) in enumerate(series):
        v = np.nan_to_num(np.asarray(values, dtype=float))
        ax.barh(
            y + (k - 1 - 2 * i) * h / 2, v, height=h * 0.95, color=COLOURS.get(colour, colour), label=name
        )
    ax.set_yticks(y, [_short(g, 30) for g in groups])
    ax.set_xlabel(xlabel)
    if k > 1:
        ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", color="#e2e8f0", lw=0.6)
    ax.set_axisbelow(True)
    return figure_svg(fig, prefix)
