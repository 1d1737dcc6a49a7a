"""Process maps an analyst can read, drawn as Disco or Celonis draw them.

Nodes are activities with their event count, filled on a sequential colour scale by
frequency; edges carry the number of times one activity directly follows another, or the
median waiting time between them, with a pen width that grows with the value. Sliders are
arguments: ``activities=0.8`` keeps the most frequent activities covering 80% of the
events, ``paths=0.5`` the strongest edges covering half of the transitions between them
(every kept activity keeps its strongest incoming and outgoing edge).

The map is rendered to SVG by Graphviz ``dot`` (run as a subprocess without a shell);
without ``dot`` a matplotlib drawing with a layered layout is returned instead, with a
:class:`procmine.ProcmineWarning`.
"""

from __future__ import annotations

import html
import io
import math
import re
import shutil
import subprocess
import textwrap
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_choice, fail
from .errors import ProcmineError, ProcmineWarning
from .log import EventLog

__all__ = ["MapGraph", "ProcessMap", "draw_map", "human_duration", "map_graph", "process_map", "summary_line"]

FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"  # a list: viewers without DejaVu fall back
_DOT_TIMEOUT = 60
_MAX_NODES = 25  # default cap on activities shown
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
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    secs = pd.Timedelta(value).total_seconds()
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    units = (("y", 365.25 * 86400, 2), ("d", 86400, 1), ("h", 3600, 1), ("min", 60, 1), ("s", 1, 0))
    unit, size = next((u, z) for u, z, minimum in units if secs >= z * minimum)
    v = secs / size
    text = f"{v:.1f}" if v < 10 else f"{v:.0f}"
    return f"{sign}{text.removesuffix('.0')} {unit}"


def _fmt_count(n: int) -> str:
    return f"{int(n):,}".replace(",", "\u2009")  # thin space: readable in de/fr/en


def _wrap(name: str, width: int = 22) -> list[str]:
    lines = textwrap.wrap(str(name), width=width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


# ---------------------------------------------------------------------------------------
# the graph: which nodes and edges are shown
# ---------------------------------------------------------------------------------------
@dataclass
class MapGraph:
    """Nodes and edges of a (pruned) process map, independent of how it is drawn."""

    nodes: pd.DataFrame  #: code, name, events, cases_start, cases_end
    edges: pd.DataFrame  #: source, target (codes; -1 = start, -2 = end), count, median
    metric: str
    shown: dict[str, Any] = field(default_factory=dict)


def _check_slider(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise fail("process_map", name, "a share in (0, 1] or None", value)
    return float(value)


def map_graph(
    log: EventLog,
    *,
    metric: str = "frequency",
    activities: float | None = None,
    paths: float | None = None,
    labels: str | Mapping[str, str] | None = None,
    keep: tuple[str, ...] = (),
) -> MapGraph:
    """Choose the nodes and edges of the map (see :func:`process_map` for the arguments).

    Activities named in ``keep`` are shown whatever the ``activities`` slider says.
    """
    from ._dfg import _group_stats

    check_choice("process_map", "metric", metric, ("frequency", "time"))
    act_share = _check_slider("activities", activities)
    path_share = _check_slider("paths", paths)
    c = log.codes
    n_act = c.n_activities
    events = np.bincount(c.activity, minlength=n_act)
    is_kept, n_keep = _kept_activities(events, c.activity_names, act_share, keep)
    # project the log on the kept activities: paths bypass what is hidden, as Disco does
    idx = np.flatnonzero(is_kept[c.activity])
    act, case, ts = c.activity[idx], c.case[idx], c.ts[idx]
    start_ts = c.start_ts[idx] if c.start_ts is not None else None
    n = len(idx)
    first = np.ones(n, dtype=bool)
    last = np.ones(n, dtype=bool)
    if n:
        first[1:] = case[1:] != case[:-1]
        last[:-1] = case[1:] != case[:-1]
    same = ~last[:-1] if n else np.zeros(0, dtype=bool)
    src = act[:-1][same].astype(np.int64)
    dst = act[1:][same].astype(np.int64)
    tgt_ts = ts[1:][same]
    if start_ts is not None:
        st = start_ts[1:][same]
        tgt_ts = np.where(st == np.iinfo(np.int64).min, tgt_ts, st)
    wait = tgt_ts - ts[:-1][same]
    # start and end pseudo-edges
    s_codes = act[first].astype(np.int64)
    e_codes = act[last].astype(np.int64)
    START, END = n_act, n_act + 1
    src = np.concatenate([src, np.full(len(s_codes), START), e_codes])
    dst = np.concatenate([dst, s_codes, np.full(len(e_codes), END)])
    wait = np.concatenate([wait, np.zeros(len(s_codes) + len(e_codes), dtype=np.int64)])
    key = src * (n_act + 2) + dst
    keys, grp, counts = np.unique(key, return_inverse=True, return_counts=True)
    med = _group_stats(grp.reshape(-1), wait, len(keys))[0] if len(keys) else np.zeros(0)
    return _assemble_graph(
        names=c.activity_names,
        labels=_labels(log, labels),
        events=events,
        is_kept=is_kept,
        n_keep=n_keep,
        keys=keys,
        counts=counts,
        med=med,
        metric=metric,
        path_share=path_share,
    )


def _kept_activities(
    events: np.ndarray, names: np.ndarray, act_share: float | None, keep: tuple[str, ...] = ()
) -> tuple[np.ndarray, int]:
    """(kept mask per activity code, number kept): the activities slider of the map."""
    n_act = len(events)
    order = np.argsort(-events, kind="stable")
    if act_share is None:
        n_keep = n_act if n_act <= _MAX_NODES else min(_MAX_NODES, _cover(events[order], 0.8))
    else:
        n_keep = _cover(events[order], act_share)
    is_kept = np.zeros(n_act, dtype=bool)
    is_kept[order[:n_keep]] = True
    if keep:
        is_kept |= np.isin(names, list(keep))
        n_keep = int(is_kept.sum())
    return is_kept, n_keep


def _assemble_graph(
    *,
    names: np.ndarray,
    labels: np.ndarray,
    events: np.ndarray,
    is_kept: np.ndarray,
    n_keep: int,
    keys: np.ndarray,
    counts: np.ndarray,
    med: np.ndarray,
    metric: str,
    path_share: float | None,
) -> MapGraph:
    """The map from the aggregated edges of the log projected on the kept activities.

    ``keys`` (sorted ascending) are ``source * (n + 2) + target`` over activity codes,
    ``n`` standing for the start and ``n + 1`` for the end; ``counts`` and ``med``
    (median waiting time, µs; 0 for start/end edges) per key. Shared by the in-memory
    and the DuckDB engines.
    """
    n_act = len(events)
    kept = np.flatnonzero(is_kept)
    START, END = n_act, n_act + 1
    e_src, e_dst = keys // (n_act + 2), keys % (n_act + 2)
    s_count = np.bincount(e_dst[e_src == START], weights=counts[e_src == START], minlength=n_act)
    e_count = np.bincount(e_src[e_dst == END], weights=counts[e_dst == END], minlength=n_act)
    value = counts.astype(float) if metric == "frequency" else med
    keep_e = _prune_edges(e_src, e_dst, counts, path_share, START, END, n_keep)
    total_inner = int(counts[(e_src < n_act) & (e_dst < n_act)].sum())
    e_src = np.where(e_src == START, -1, e_src)
    e_dst = np.where(e_dst == END, -2, e_dst)
    edges = pd.DataFrame(
        {"source": e_src, "target": e_dst, "count": counts, "median_us": med, "value": value}
    )
    edges = edges[keep_e].reset_index(drop=True)
    nodes = pd.DataFrame(
        {
            "code": kept,
            "name": names[kept],
            "label": labels[kept],
            "events": events[kept],
            "cases_start": s_count.astype(np.int64)[kept] if n_act else kept,
            "cases_end": e_count.astype(np.int64)[kept] if n_act else kept,
        }
    )
    inner = edges[(edges.source >= 0) & (edges.target >= 0)]
    shown = {
        "activities": n_keep,
        "activities_total": n_act,
        "events_share": float(events[kept].sum() / max(events.sum(), 1)),
        "paths": len(inner),
        "paths_total": int(((e_src >= 0) & (e_dst >= 0)).sum()),
        "transitions_share": float(inner["count"].sum() / max(total_inner, 1)),
    }
    return MapGraph(nodes=nodes, edges=edges, metric=metric, shown=shown)


def _labels(log: EventLog, labels: str | Mapping[str, str] | None) -> np.ndarray:
    """Display name per activity code: the name, a mapping of names, or a column's value."""
    names = log.codes.activity_names
    if labels is None:
        return names
    if isinstance(labels, str):
        if labels not in log.df.columns:
            raise fail(
                "process_map",
                "labels",
                f"a column of the log ({', '.join(map(str, log.df.columns[:8]))}, ...)",
                labels,
            )
        first = pd.Series(log.df[labels].to_numpy(dtype=object)).groupby(log.codes.activity).first()
        mapping = {names[int(k)]: str(v) for k, v in first.items() if v is not None and not pd.isna(v)}
    elif isinstance(labels, Mapping):
        mapping = {str(k): str(v) for k, v in labels.items()}
    else:
        raise fail("process_map", "labels", "None, a column name or a mapping of activity names", labels)
    return np.asarray([mapping.get(n, n) for n in names], dtype=object)


def _cover(sorted_counts: np.ndarray, share: float) -> int:
    """How many of the (descending) counts it takes to cover ``share`` of their sum."""
    if len(sorted_counts) == 0:
        return 0
    cum = np.cumsum(sorted_counts) / max(sorted_counts.sum(), 1)
    return int(min(np.searchsorted(cum, share - 1e-12) + 1, len(sorted_counts)))


def _prune_edges(
    src: np.ndarray,
    dst: np.ndarray,
    counts: np.ndarray,
    share: float | None,
    START: int,
    END: int,
    n_nodes: int,
) -> np.ndarray:
    """Keep the strongest edges covering ``share`` of transitions, and keep every node connected."""
    order = np.lexsort((dst, src, -counts))  # strongest first, ties by codes: deterministic
    inner = (src != START) & (dst != END)
    keep = np.zeros(len(src), dtype=bool)
    if share is None:
        # default: edges covering 80% of transitions, at most ~1.6 edges per node
        cap = max(int(1.6 * n_nodes), n_nodes + 4)
        share_ = 0.8
    else:
        cap, share_ = len(src), share
    inner_order = order[inner[order]]
    n_inner = _cover(counts[inner_order], share_)
    keep[inner_order[: min(n_inner, cap)]] = True
    # start/end edges: those covering the same share of cases
    for mask in (src == START, dst == END):
        o = order[mask[order]]
        keep[o[: _cover(counts[o], max(share_, 0.5))]] = True
    # each node keeps its strongest incoming and outgoing edge (orders are strongest first)
    for other in (dst, src):
        seen: set[int] = set()
        for i in order:  # at most n_edges iterations over small arrays (map sizes)
            node = int(other[i])
            if node in (START, END) or node in seen:
                continue
            seen.add(node)
            keep[i] = True
    _connect(src, dst, counts, keep, START, forward=True)
    _connect(src, dst, counts, keep, END, forward=False)
    return keep


def _connect(
    src: np.ndarray, dst: np.ndarray, counts: np.ndarray, keep: np.ndarray, root: int, *, forward: bool
) -> None:
    """Add the strongest edges needed so that every node is reached from start (forward)
    or reaches the end (backward), greedily, as a maximum spanning arborescence would."""
    a, b = (src, dst) if forward else (dst, src)
    nodes = set(a.tolist()) | set(b.tolist())
    out: dict[int, list[int]] = {}
    for i in np.flatnonzero(keep):
        out.setdefault(int(a[i]), []).append(int(b[i]))

    def grow(frontier: list[int], reached: set[int]) -> None:
        while frontier:
            node = frontier.pop()
            for nxt in out.get(node, ()):
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)

    reached = {root}
    grow([root], reached)
    while len(reached) < len(nodes):
        cand = np.flatnonzero(np.isin(a, list(reached)) & ~np.isin(b, list(reached)))
        if len(cand) == 0:
            break
        best = cand[np.lexsort((b[cand], a[cand], -counts[cand]))[0]]
        keep[best] = True
        out.setdefault(int(a[best]), []).append(int(b[best]))
        reached.add(int(b[best]))
        grow([int(b[best])], reached)


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
        text = f"<B>{html.escape(first)}</B>" + "".join(
            f'<BR/><FONT POINT-SIZE="10">{html.escape(r)}</FONT>' for r in rest
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
        name = "<BR/>".join(html.escape(s, quote=True) for s in _wrap(row.label))
        extra = f"{html.escape(row.name)} · " if row.label != row.name else ""
        label = f'<{name}<BR/><FONT POINT-SIZE="9">{extra}{_fmt_count(row.events)}</FONT>>'
        tooltip = html.escape(f"{row.name}: {int(row.events):,} events", quote=True)
        frame = f"penwidth={0.8 + 1.2 * x:.1f}"
        note = highlight.get(row.name)
        if note is not None:
            # the note is data-derived text: escaped like the names
            label = label[:-1] + f'<BR/><FONT POINT-SIZE="9"><B>⚑ {html.escape(note, quote=True)}</B></FONT>>'
            frame = 'penwidth=3.5, color="#d35400"'
            tooltip += html.escape(f" — {note}", quote=True)
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
            f'tooltip="{_dot_quote(html.escape(tip, quote=True))}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _display_names(graph: MapGraph) -> dict[int, str]:
    """Node code -> what the map calls it (start/end included)."""
    names = {int(k): str(v) for k, v in zip(graph.nodes["code"], graph.nodes["label"])}
    names.update({-1: "start", -2: "end"})
    return names


_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _readable_titles(svg: str, graph: MapGraph) -> str:
    """Graphviz puts node ids (``a3``, ``a3->a5``) in ``<title>`` elements, which browsers
    show as tooltips: replace them with activity names."""
    names = _display_names(graph)

    def node(ident: str) -> str:
        if ident in ("start", "end"):
            return ident
        if ident == "procmap":
            return "process map"
        return names.get(int(ident[1:]), ident) if ident[:1] == "a" and ident[1:].isdigit() else ident

    def repl(m: re.Match[str]) -> str:
        text = html.unescape(m.group(1))
        parts = text.split("->")
        if len(parts) == 2:
            return f"<title>{html.escape(node(parts[0]) + ' → ' + node(parts[1]))}</title>"
        return f"<title>{html.escape(node(text))}</title>"

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


# ---------------------------------------------------------------------------------------
# the result object
# ---------------------------------------------------------------------------------------
class ProcessMap:
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
        names = dict(zip(self.graph.nodes["code"], self.graph.nodes["name"]))
        names.update({-1: "▶ start", -2: "■ end"})
        e = self.graph.edges
        return pd.DataFrame(
            {
                "source": e["source"].map(names),
                "target": e["target"].map(names),
                "count": e["count"],
                "median": pd.to_timedelta(e["median_us"], unit="us"),
            }
        )

    def __repr__(self) -> str:
        s = self.graph.shown
        return (
            f"<ProcessMap ({self.graph.metric}, {self.engine}): {s['activities']}/{s['activities_total']} "
            f"activities ({s['events_share']:.0%} of events), {s['paths']}/{s['paths_total']} paths>"
        )


def _title(log: EventLog, graph: MapGraph) -> str:
    s = graph.shown
    if graph.metric == "frequency":
        what = "how often each path is taken"
    elif log.codes.start_ts is not None:
        what = "median waiting time (end of one activity to start of the next)"
    else:
        what = "median time between the ends of two activities"
    return (
        f"{log.name}\n{s['activities']} of {s['activities_total']} activities ({s['events_share']:.0%} of events), "
        f"{s['paths']} of {s['paths_total']} paths\nedges: {what}"
    )


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
) -> ProcessMap:
    """Draw the process map of a log.

    Parameters
    ----------
    log
        The event log.
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
        activities are always kept by the pruning.

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
    graph = map_graph(log, metric=metric, activities=activities, paths=paths, labels=labels,
                      keep=tuple(highlight or ()))
    caption = title if title is not None else _title(log, graph)
    dot = to_dot(graph, title=caption, highlight=highlight)
    try:
        svg = _readable_titles(_run_dot(dot), graph)
        return ProcessMap(svg, dot, graph, "graphviz")
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
) -> Any:
    """Draw the process map on a matplotlib ``ax`` (layered layout) and return the axes."""
    graph = map_graph(log, metric=metric, activities=activities, paths=paths, labels=labels)
    _draw(graph, ax, title if title is not None else _title(log, graph))
    return ax


# ---------------------------------------------------------------------------------------
# matplotlib drawing (fallback and ax=)
# ---------------------------------------------------------------------------------------
def _layers(graph: MapGraph) -> dict[int, int]:
    """Layer of each node: longest path from start in the graph without its back edges."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from([-1, -2, *graph.nodes["code"].tolist()])
    e = graph.edges.sort_values("count", ascending=False, kind="stable")
    for s, t in zip(e["source"], e["target"]):
        if s == t:
            continue
        g.add_edge(int(s), int(t))
        if not nx.is_directed_acyclic_graph(g):
            g.remove_edge(int(s), int(t))
    layer = {-1: 0}
    for node in nx.topological_sort(g):
        preds = [layer[p] + 1 for p in g.predecessors(node) if p in layer]
        layer[node] = max(preds) if preds else (0 if node == -1 else 1)
    last = max(layer.values(), default=1)
    layer[-2] = max(last, 1) if g.in_degree(-2) == 0 else layer[-2]
    return layer


def _order_layers(graph: MapGraph, by_layer: dict[int, list[int]], sweeps: int = 4) -> None:
    """Reorder nodes within layers by the barycentre of their neighbours (fewer crossings)."""
    nbrs: dict[int, list[int]] = {}
    for s, t in zip(graph.edges["source"].tolist(), graph.edges["target"].tolist()):
        nbrs.setdefault(s, []).append(t)
        nbrs.setdefault(t, []).append(s)
    levels = sorted(by_layer)
    for sweep in range(sweeps):
        seq = levels[1:] if sweep % 2 == 0 else levels[-2::-1]
        for lv in seq:
            ref = lv - 1 if sweep % 2 == 0 else lv + 1
            place = {n: i for i, n in enumerate(by_layer.get(ref, []))}
            if not place:
                continue
            current = by_layer[lv]
            centre = {}
            for node in current:
                xs = [place[m] for m in nbrs.get(node, []) if m in place]
                centre[node] = sum(xs) / len(xs) if xs else float(current.index(node))
            by_layer[lv] = sorted(current, key=lambda n: (centre[n], n))


def _width(graph: MapGraph) -> int:
    layers = _layers(graph)
    vals = list(layers.values())
    return max((vals.count(v) for v in set(vals)), default=1)


def _draw(graph: MapGraph, ax: Any, title: str) -> None:
    layer = _layers(graph)
    by_layer: dict[int, list[int]] = {}
    for node in sorted(layer, key=lambda k: (layer[k], k)):
        by_layer.setdefault(layer[node], []).append(node)
    _order_layers(graph, by_layer)
    pos = {}
    for lv, members in by_layer.items():
        for i, node in enumerate(members):
            pos[node] = (i - (len(members) - 1) / 2.0, -lv)
    names = dict(zip(graph.nodes["code"], graph.nodes["label"]))
    ev = dict(zip(graph.nodes["code"], graph.nodes["events"]))
    scale = dict(zip(graph.nodes["code"], _relative(graph.nodes["events"].to_numpy())))
    ew = _scaled(graph.edges["value"].to_numpy())
    for row, x in zip(graph.edges.itertuples(index=False), ew):
        (x0, y0), (x1, y1) = pos[int(row.source)], pos[int(row.target)]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            zorder=1,
            arrowprops=dict(
                arrowstyle="-|>",
                color=_EDGE_GREY,
                lw=0.6 + 3 * x,
                shrinkA=14,
                shrinkB=14,
                connectionstyle="arc3,rad=0.15" if y1 >= y0 else "arc3,rad=0.0",
            ),
        )
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2,
            _edge_label(row, graph.metric),
            fontsize=7,
            color="#333333",
            ha="center",
            va="center",
            zorder=2,
        )
    for node, (x, y) in pos.items():
        if node < 0:
            ax.scatter([x], [y], s=120, color="#3a9a3a" if node == -1 else "#c0392b", zorder=3)
            continue
        s = scale[node]
        ax.text(
            x,
            y,
            "\n".join(_wrap(names[node], 18)) + f"\n{_fmt_count(ev[node])}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if s > 0.55 else "black",
            zorder=4,
            family="sans-serif",
            bbox=dict(boxstyle="round,pad=0.4", fc=_colour(_BLUES, s), ec="#2b5d8a"),
        )
    ax.set_title(title, fontsize=9)  # lines separated by "\n" render as lines
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]
    ax.set_xlim(min(xs) - 1, max(xs) + 1)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_axis_off()


def summary_line(model: Any) -> str:
    """One sentence about a :class:`ProcessModel` for notebooks and reports."""
    log = model.log
    v = model.variants
    top = float(v["share"].iloc[0]) if len(v) else 0.0
    return (
        f"{log.n_cases:,} cases, {log.n_events:,} events, {log.codes.n_activities:,} activities, "
        f"{len(v):,} variants; the most frequent variant covers {top:.0%} of cases."
    )
