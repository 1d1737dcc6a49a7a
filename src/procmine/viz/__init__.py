"""Process maps an analyst can read, drawn as Disco or Celonis draw them.

Nodes are activities with their event count, filled on a sequential colour scale by
frequency; edges carry the number of times one activity directly follows another, or the
median waiting time between them, with a pen width that grows with the value. Sliders are
arguments: ``activities=0.8`` keeps the most frequent activities covering 80% of the
events, ``paths=0.5`` the strongest edges covering half of the transitions between them
(every kept activity keeps its strongest incoming and outgoing edge).

Privacy by default: activities and paths seen in fewer than ``min_cases`` cases
(:data:`MIN_CASES`, 10) are never drawn, whatever the sliders say, and the caption says
how many were hidden; ``min_cases=1`` shows everything.

The map is rendered to SVG by Graphviz ``dot`` (run as a subprocess without a shell);
without ``dot`` a matplotlib drawing with a layered layout is returned instead, with a
:class:`procmine.ProcmineWarning`.

The map's graph (which nodes and edges are shown) is built in :mod:`procmine.viz._graph`,
its DOT source and Graphviz rendering in :mod:`procmine.viz._dot`, the matplotlib drawing
in :mod:`procmine.viz._draw`; their public names are importable from here.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .._results import Result, result_html
from ..engines import get_engine
from ..engines._map import engine_map_graph
from ..errors import ProcmineError, ProcmineWarning
from ..i18n import check_language
from ..log import EventLog
from ._dot import _readable_titles, _run_dot, clean_svg, human_duration, to_dot
from ._draw import _draw, _width
from ._graph import MIN_CASES, MapGraph, map_graph

__all__ = [
    "MIN_CASES",
    "MapGraph",
    "ProcessMap",
    "draw_map",
    "human_duration",
    "map_graph",
    "process_map",
    "summary_line",
]


# ---------------------------------------------------------------------------------------
# the result object
# ---------------------------------------------------------------------------------------
class ProcessMap(Result):
    """A rendered process map: ``.svg`` (inline-ready), ``.dot`` (source), ``.graph``.

    Shown as SVG in Jupyter; ``save(path)`` writes ``.svg`` (or ``.dot``).
    """

    def __init__(self, svg: str, dot: str | None, graph: MapGraph, engine: str) -> None:
        self.svg = svg
        self.dot = dot
        self.graph = graph
        self.engine = engine

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        """Write the map: ``.svg`` (default), ``.dot`` (source), ``.png`` or ``.pdf`` (need Graphviz)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".png", ".pdf") and self.dot is None:
            raise ProcmineError(
                f"{path}: this map was drawn without Graphviz, so only .svg can be written; "
                "install graphviz for .dot/.png/.pdf"
            )
        if suffix == ".dot":
            path.write_text(self.dot, encoding="utf-8")
        elif suffix in (".png", ".pdf"):
            try:
                path.write_bytes(_run_dot(self.dot, suffix[1:]))
            except FileNotFoundError as exc:
                raise ProcmineError(f"{path}: Graphviz 'dot' is needed to write {suffix} files") from exc
        else:
            path.write_text(self.svg, encoding="utf-8")
        return path

    def to_frame(self) -> pd.DataFrame:
        """The edges shown, with activity names."""
        return self.graph.edge_frame()

    def summary(self) -> dict[str, Any]:
        """What the map shows of the log: activities, paths, share of events."""
        return dict(self.graph.shown)

    def _repr_parts(self) -> tuple[str, list[str]]:
        s = self.graph.shown
        return f"({self.graph.metric}, {self.engine})", [
            f"{s['activities']}/{s['activities_total']} activities ({s['events_share']:.0%} of events), "
            f"{s['paths']}/{s['paths_total']} paths"
        ]

    def _repr_html_(self) -> str:
        # the map is the view; its edges are in to_frame()
        return result_html(repr(self), figure=self.svg)

    def _draw_on(self, ax: Any) -> None:
        """The same map laid out with matplotlib (layered layout)."""
        _draw(self.graph, ax, "")


def _title(log: EventLog, graph: MapGraph) -> str:
    engine = get_engine(log)
    in_memory = engine.capabilities.in_memory
    return map_caption(log.name, log.codes.start_ts is not None if in_memory else engine.capabilities.start_times, graph)


def map_caption(name: str, has_start: bool, graph: MapGraph) -> str:
    """The map's default caption: what is shown, what was left out, what the edges say
    (shared by both engines)."""
    s = graph.shown
    if graph.metric == "frequency":
        what = "how often each path is taken"
    elif has_start:
        what = "median waiting time (end of one activity to start of the next)"
    else:
        what = "median time between the ends of two activities"
    return (
        f"{name}\n{s['activities']} of {s['activities_total']} activities ({s['events_share']:.0%} of events), "
        f"{s['paths']} of {s['paths_total']} paths\nedges: {what}" + privacy_note(graph)
    )


def privacy_note(graph: MapGraph) -> str:
    """The caption line saying what the privacy threshold hid (empty when nothing was)."""
    s = graph.shown
    acts, paths = s.get("private_activities", 0), s.get("private_paths", 0)
    if not acts and not paths:
        return ""
    parts = []
    if acts:
        parts.append(f"{acts} {'activity' if acts == 1 else 'activities'}")
    if paths:
        parts.append(f"{paths} {'path' if paths == 1 else 'paths'}")
    return f"\n{' and '.join(parts)} seen in fewer than {s['min_cases']} cases hidden (privacy; min_cases=1 shows all)"


def graphviz_map(graph: MapGraph, caption: str, highlight: Mapping[str, str] | None = None,
                 language: str = "en") -> ProcessMap:
    """The map drawn by Graphviz; ``FileNotFoundError`` when ``dot`` is not installed.
    Its tooltips (``<title>``: the map, its start and end) are in ``language``."""
    dot = to_dot(graph, title=caption, highlight=highlight)
    return ProcessMap(_readable_titles(_run_dot(dot), graph, language), dot, graph, "graphviz")


def process_map(
    log: EventLog,
    *,
    metric: str = "frequency",
    activities: float | None = None,
    paths: float | None = None,
    title: str | None = None,
    labels: str | Mapping[str, str] | None = None,
    model: Any = None,
    highlight: Mapping[str, str] | None = None,
    min_cases: int = MIN_CASES,
    language: str = "en",
) -> ProcessMap:
    """Draw the process map of a log.

    Parameters
    ----------
    log
        The event log, in memory or held by another engine (DuckDB, Spark): the map is
        built from the engine's aggregates (:func:`procmine.engines.get_engine`).
    metric
        ``"frequency"``: edges labelled with how often one activity directly follows the
        other; ``"time"``: with the median time between them (completion of the first
        to the start of the second when start times exist, else to its completion).
    activities
        Keep the most frequent activities covering this share of events. Default: all
        when there are at most 25, else those covering 80% of events, at most 25.
    paths
        Keep the strongest paths covering this share of the transitions between the kept
        activities. Default: 80%, at most about 1.6 paths per activity. Every kept
        activity keeps its strongest incoming and outgoing path.
    title
        Caption above the map (default: what is shown and what was left out).
    labels
        What the boxes say: the activity names (default), a column of the log holding a
        readable name per activity (e.g. ``"activityNameEN"`` in BPIC15), or a mapping
        ``{activity: label}``. With labels, the activity name is shown small under them.
    model
        Unused; accepted so that :meth:`ProcessModel.plot` can pass itself.
    highlight
        ``{activity: note}``: activities drawn with an orange frame and the note (used by
        :meth:`procmine.Findings.plot` to show the findings on the map). Highlighted
        activities are always kept by the pruning (not by the privacy threshold).
    min_cases
        Privacy threshold: activities and paths seen in fewer cases are hidden, and the
        caption says how many (default :data:`MIN_CASES`, 10, as in reports; ``1`` shows
        all). In real logs a step recorded in one case only is often a personal remark.
    language
        Language of the SVG's tooltips (``<title>``: "process map", start and end, read
        by screen readers): ``"de"``, ``"fr"`` or ``"en"`` (default). The default caption
        stays English.

    Returns
    -------
    ProcessMap

    Examples
    --------
    >>> import procmine as pm
    >>> m = process_map(pm.samples.load("permit_de"), activities=0.9)
    >>> m.svg.lstrip().startswith("<svg")
    True
    """
    check_language(language, "process_map")
    graph = engine_map_graph(get_engine(log), metric=metric, activities=activities, paths=paths, labels=labels,
                             keep=tuple(highlight or ()), min_cases=min_cases)
    caption = title if title is not None else _title(log, graph)
    try:
        return graphviz_map(graph, caption, highlight, language)
    except FileNotFoundError:
        warnings.warn(
            "Graphviz 'dot' was not found: the process map is drawn with matplotlib instead "
            "(install graphviz, e.g. 'apt-get install graphviz', for the full map)",
            ProcmineWarning,
            stacklevel=2,
        )
    from matplotlib.figure import Figure

    n = len(graph.nodes)
    fig = Figure(figsize=(max(6, min(16, 2.2 * _width(graph))), max(4, min(24, 1.1 * (n + 2)))))
    ax = fig.add_subplot()
    _draw(graph, ax, caption)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    return ProcessMap(clean_svg(buf.getvalue()), None, graph, "matplotlib")


def draw_map(
    log: EventLog,
    *,
    ax: Any,
    metric: str = "frequency",
    activities: float | None = None,
    paths: float | None = None,
    title: str | None = None,
    labels: str | Mapping[str, str] | None = None,
    model: Any = None,
    min_cases: int = MIN_CASES,
) -> Any:
    """Draw the process map on a matplotlib ``ax`` (layered layout) and return the axes
    (``min_cases`` as in :func:`process_map`)."""
    graph = engine_map_graph(get_engine(log), metric=metric, activities=activities, paths=paths, labels=labels,
                             min_cases=min_cases)
    _draw(graph, ax, title if title is not None else _title(log, graph))
    return ax


def summary_line(model: Any) -> str:
    """One sentence about a :class:`ProcessModel` for notebooks and reports."""
    log = model.log
    v = model.variants
    top = float(v["share"].iloc[0]) if len(v) else 0.0
    return (
        f"{log.n_cases:,} cases, {log.n_events:,} events, {log.codes.n_activities:,} activities, "
        f"{len(v):,} variants; the most frequent variant covers {top:.0%} of cases."
    )
