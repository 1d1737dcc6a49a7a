"""The matplotlib drawing of a process map: a layered layout (longest path from the start,
barycentre ordering within layers), used without Graphviz and for ``plot(ax=...)``.
Re-exported by :mod:`procmine.viz`.
"""

from __future__ import annotations

from typing import Any

from ._dot import _BLUES, _EDGE_GREY, _colour, _edge_label, _fmt_count, _relative, _scaled, _wrap
from ._graph import MapGraph

__all__: list[str] = []


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
