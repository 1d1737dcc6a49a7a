"""A process map in Graphviz: the DOT source (:func:`to_dot`), its rendering by ``dot``
(:func:`_run_dot`) and the SVG cleaned for inline use; colours and label formatting shared
with the matplotlib drawing. Re-exported by :mod:`procmine.viz`.
"""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._core.xmltext import xml_safe
from ..errors import ProcmineError
from ._graph import MapGraph

__all__ = ["clean_svg", "human_duration", "to_dot"]


def _escape(text: str, quote: bool = True) -> str:
    """``html.escape`` after replacing characters XML cannot hold (a control character in an
    activity name would make ``dot`` refuse the whole map) by U+FFFD."""
    return html.escape(xml_safe(text), quote=quote)


FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"  # a list: viewers without DejaVu fall back
_DOT_TIMEOUT = 60
_BLUES = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
_EDGE_GREY = "#4d4d4d"
_EDGE_TIME = ["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]


# ---------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------
def human_duration(value: Any) -> str:
    """A short, readable duration: ``"3.2 d"``, ``"5 h"``, ``"12 min"``, ``"40 s"``.

    Examples
    --------
    >>> human_duration(pd.Timedelta(hours=77))
    '3.2 d'
    >>> human_duration(pd.Timedelta(hours=5)), human_duration(pd.Timedelta(seconds=40))
    ('5 h', '40 s')
    """
    from ..i18n import format_duration

    return format_duration(value, short=True)


def _fmt_count(n: int) -> str:
    return f"{int(n):,}".replace(",", "\u2009")  # thin space: readable in de/fr/en


def _wrap(name: str, width: int = 22) -> list[str]:
    lines = textwrap.wrap(str(name), width=width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


# ---------------------------------------------------------------------------------------
# DOT and SVG
# ---------------------------------------------------------------------------------------
def _colour(scale: list[str], x: float) -> str:
    x = min(max(x, 0.0), 1.0)
    return scale[min(int(x * len(scale)), len(scale) - 1)]


def _scaled(values: np.ndarray) -> np.ndarray:
    """0..1 on a log scale between the smallest and largest value (edges span orders of magnitude)."""
    v = np.log1p(np.maximum(np.nan_to_num(values.astype(float), nan=0.0), 0.0))
    if len(v) == 0:
        return v
    hi, lo = v.max(), v.min()
    return (v - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)


def _ranked(values: np.ndarray) -> np.ndarray:
    """0..1 by rank (durations: an even spread of colours however skewed the times are)."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    if len(v) < 2:
        return np.full(len(v), 0.5)
    return pd.Series(v).rank(method="average").to_numpy() / len(v)


def _relative(values: np.ndarray) -> np.ndarray:
    """value / largest value: similar counts get similar colours."""
    v = np.asarray(values, dtype=float)
    return v / v.max() if len(v) and v.max() > 0 else np.zeros(len(v))


def _edge_label(row: Any, metric: str) -> str:
    if metric == "time":
        return human_duration(pd.Timedelta(row.median_us, unit="us")) if not math.isnan(row.median_us) else ""
    return _fmt_count(row.count)


def to_dot(graph: MapGraph, *, title: str | None = None, highlight: Mapping[str, str] | None = None) -> str:
    """The DOT source of a map: deterministic (ids ``a<code>``, sorted), labels HTML-escaped.

    ``highlight`` maps activity names to a short note (e.g. the finding kinds about them):
    those boxes get an orange frame and the note under their name.
    """
    highlight = dict(highlight or {})
    nodes, edges, metric = graph.nodes, graph.edges, graph.metric
    lines = [
        "digraph procmap {",
        '  graph [rankdir=TB, splines=true, nodesep=0.35, ranksep=0.45, bgcolor="white", '
        f'fontname="{FONT}", fontsize=12, labelloc=t, outputorder=edgesfirst, pad=0.2];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=11, '
        'margin="0.15,0.06", penwidth=1.0, color="#2b5d8a"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7, color="{_EDGE_GREY}", fontcolor="#333333"];',
    ]
    if title:
        first, *rest = title.split("\n")
        text = f"<B>{_escape(first)}</B>" + "".join(
            f'<BR/><FONT POINT-SIZE="10">{_escape(r)}</FONT>' for r in rest
        )
        lines.append(f"  label=<{text}>;")
    lines.append(
        '  start [label="", shape=circle, width=0.3, height=0.3, fixedsize=true, style=filled, '
        'fillcolor="#3a9a3a", color="#2d7a2d", tooltip="start"];'
    )
    lines.append(
        '  end [label="", shape=doublecircle, width=0.22, height=0.22, fixedsize=true, style=filled, '
        'fillcolor="#c0392b", color="#922b21", tooltip="end"];'
    )
    lines.append("  {rank=source; start;}")
    lines.append("  {rank=sink; end;}")
    scale = _relative(nodes["events"].to_numpy())
    for row, x in zip(nodes.itertuples(index=False), scale):
        fill = _colour(_BLUES, x)
        font = "white" if x > 0.55 else "black"
        name = "<BR/>".join(_escape(s, quote=True) for s in _wrap(row.label))
        extra = f"{_escape(row.name)} · " if row.label != row.name else ""
        label = f'<{name}<BR/><FONT POINT-SIZE="9">{extra}{_fmt_count(row.events)}</FONT>>'
        tooltip = _escape(f"{row.name}: {int(row.events):,} events", quote=True)
        frame = f"penwidth={0.8 + 1.2 * x:.1f}"
        note = highlight.get(row.name)
        if note is not None:
            # the note is data-derived text: escaped like the names
            label = label[:-1] + f'<BR/><FONT POINT-SIZE="9"><B>⚑ {_escape(note, quote=True)}</B></FONT>>'
            frame = 'penwidth=3.5, color="#d35400"'
            tooltip += _escape(f" — {note}", quote=True)
        lines.append(
            f'  a{int(row.code)} [label={label}, fillcolor="{fill}", fontcolor="{font}", '
            f'fontsize={10 + 3 * x:.1f}, {frame}, tooltip="{_dot_quote(tooltip)}"];'
        )
    names = _display_names(graph)
    values = edges["value"].to_numpy()
    ew = _scaled(values) if metric == "frequency" else _ranked(values)
    for row, x in zip(
        edges.sort_values(["source", "target"], kind="stable").itertuples(index=False),
        ew[np.lexsort((edges["target"].to_numpy(), edges["source"].to_numpy()))],
    ):
        s = "start" if row.source == -1 else f"a{int(row.source)}"
        t = "end" if row.target == -2 else f"a{int(row.target)}"
        pen = 0.8 + 4.2 * x
        colour = (
            _colour(_EDGE_TIME, x) if metric == "time" and row.source >= 0 and row.target >= 0 else _EDGE_GREY
        )
        style = ', style="dashed"' if row.source == -1 or row.target == -2 else ""
        outer = row.source == -1 or row.target == -2
        label = _fmt_count(row.count) if metric == "time" and outer else _edge_label(row, metric)
        tip = f"{names.get(row.source)} → {names.get(row.target)}: {int(row.count):,} times"
        if not outer and not math.isnan(row.median_us):
            tip += f", median {human_duration(pd.Timedelta(row.median_us, unit='us'))}"
        lines.append(
            f'  {s} -> {t} [label="{_dot_quote(label)}", penwidth={pen:.2f}, color="{colour}"{style}, '
            f'tooltip="{_dot_quote(_escape(tip, quote=True))}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _display_names(graph: MapGraph) -> dict[int, str]:
    """Node code -> what the map calls it (start/end included)."""
    names = {int(k): str(v) for k, v in zip(graph.nodes["code"], graph.nodes["label"])}
    names.update({-1: "start", -2: "end"})
    return names


_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _readable_titles(svg: str, graph: MapGraph, language: str = "en") -> str:
    """Graphviz puts node ids (``a3``, ``a3->a5``) in ``<title>`` elements, which browsers
    show as tooltips and screen readers read: replace them with activity names, and the
    map's own title and its start and end points with words in ``language``."""
    from ..i18n import gettext

    names = _display_names(graph)
    words = {
        "start": gettext("start", language),
        "end": gettext("end", language),
        "procmap": gettext("process map", language),
    }

    def node(ident: str) -> str:
        if ident in words:
            return words[ident]
        return names.get(int(ident[1:]), ident) if ident[:1] == "a" and ident[1:].isdigit() else ident

    def repl(m: re.Match[str]) -> str:
        text = html.unescape(m.group(1))
        parts = text.split("->")
        if len(parts) == 2:
            return f"<title>{_escape(node(parts[0]) + ' → ' + node(parts[1]))}</title>"
        return f"<title>{_escape(node(text))}</title>"

    return _TITLE.sub(repl, svg)


def _dot_quote(text: str) -> str:
    """Escape for a double-quoted DOT string (backslashes and quotes)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*", re.S)


def clean_svg(svg: str) -> str:
    """Strip the XML prolog, doctype and comments so the SVG can be embedded inline."""
    return _PROLOG.sub("", svg).strip() + "\n"


def _run_dot(dot: str, fmt: str = "svg") -> Any:
    """Render DOT with Graphviz (no shell, with a timeout): cleaned SVG text, or bytes for png/pdf."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("dot")
    try:
        res = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=_DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcmineError(
            f"Graphviz dot took more than {_DOT_TIMEOUT} s: prune the map (smaller activities=/paths=)"
        ) from exc
    if res.returncode != 0:
        raise ProcmineError(f"Graphviz dot failed: {res.stderr.decode('utf-8', 'replace')[:500]}")
    return clean_svg(res.stdout.decode("utf-8")) if fmt == "svg" else res.stdout
