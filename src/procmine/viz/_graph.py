"""The graph of a process map: which activities and paths are shown (the sliders of
:func:`procmine.viz.process_map`), independent of how the map is drawn.

Shared by the in-memory log (:func:`map_graph`) and the DuckDB engine
(:mod:`procmine.engines._map`, for engines outside memory, through :func:`_kept_activities` and
:func:`_assemble_graph`). Re-exported by :mod:`procmine.viz`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import distinct_per_group
from .._core.validation import check_choice, check_positive_int, fail
from ..log import EventLog

__all__ = ["MIN_CASES", "MapGraph", "map_graph"]

_MAX_NODES = 25  # default cap on activities shown

#: Default privacy threshold of maps and reports: activities, paths and groups seen in
#: fewer cases are not shown (a step recorded in one case is often a personal remark).
#: ``min_cases=1`` shows everything. Re-exported as :data:`procmine.privacy.MIN_CASES`.
MIN_CASES = 10


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

    def edge_frame(self) -> pd.DataFrame:
        """The edges with activity names (``▶ start``/``■ end`` for the pseudo-nodes)."""
        names = dict(zip(self.nodes["code"], self.nodes["name"]))
        names.update({-1: "▶ start", -2: "■ end"})
        e = self.edges
        return pd.DataFrame(
            {
                "source": e["source"].map(names),
                "target": e["target"].map(names),
                "count": e["count"],
                "median": pd.to_timedelta(e["median_us"], unit="us"),
            }
        )


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
    min_cases: int = MIN_CASES,
) -> MapGraph:
    """Choose the nodes and edges of the map (see :func:`procmine.viz.process_map` for the arguments).

    Activities named in ``keep`` are shown whatever the ``activities`` slider says, unless
    they are seen in fewer than ``min_cases`` cases: privacy comes first.
    """
    check_choice("process_map", "metric", metric, ("frequency", "time"))
    act_share = _check_slider("activities", activities)
    path_share = _check_slider("paths", paths)
    check_positive_int("process_map", "min_cases", min_cases)
    c = log.codes
    n_act = c.n_activities
    events = np.bincount(c.activity, minlength=n_act)
    act_cases = distinct_per_group(c.activity, c.case, n_act, c.n_cases, items_in_order=True)
    private = act_cases < min_cases
    is_kept, n_keep = _kept_activities(events, c.activity_names, act_share, keep, private)
    keys, counts, med, edge_cases = map_paths(c, is_kept, c.ts, c.start_ts)
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
        edge_cases=edge_cases,
        min_cases=min_cases,
        private=private,
    )


def map_paths(
    c: Any, is_kept: np.ndarray, end_clock: np.ndarray, start_clock: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(keys, counts, median wait, distinct cases) of the map's paths between the kept
    activities of the codes ``c``, on a clock (elapsed µs, or cumulative working µs).

    The log is projected on the kept activities, so paths bypass what is hidden, as Disco
    does; a key is ``source * (n + 2) + target`` with ``n`` the start and ``n + 1`` the end.
    """
    from .._core.dfg import _group_stats

    n_act = c.n_activities
    if is_kept.all():  # nothing hidden: no gathering
        act, case, ts, st = c.activity, c.case, end_clock, start_clock
    else:
        idx = np.flatnonzero(is_kept[c.activity])
        act, case, ts = c.activity[idx], c.case[idx], end_clock[idx]
        st = None if start_clock is None else start_clock[idx]
    START, END = n_act, n_act + 1
    width = n_act + 2
    if len(act) == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0), e
    brk = case[1:] != case[:-1]
    same = ~brk
    first = np.concatenate(([True], brk))
    last = np.concatenate((brk, [True]))
    # the paths within a case; start and end pseudo-paths (one per case, wait 0) are
    # counted apart: their median is 0 and their distinct cases their count, so the
    # sorts below run on the real paths only
    src = act[:-1][same].astype(np.int64)
    tgt_ts = ts[1:][same]
    if st is not None:
        s = st[1:][same]
        tgt_ts = np.where(s == np.iinfo(np.int64).min, tgt_ts, s)
    wait = tgt_ts - ts[:-1][same]
    key = np.concatenate([src * width + act[1:][same], START * width + act[first].astype(np.int64), act[last].astype(np.int64) * width + END])
    keys, grp, counts = group_keys(key, width * width)
    n_real = len(src)
    pseudo = (keys // width >= n_act) | (keys % width >= n_act)
    med = np.zeros(len(keys))
    edge_cases = counts.astype(np.int64)
    if n_real:
        g = grp[:n_real]
        med = np.where(pseudo, 0.0, _group_stats(g, wait, len(keys))[0])
        edge_cases = np.where(pseudo, edge_cases, distinct_per_group(g, case[:-1][same], len(keys), c.n_cases))
    return keys, counts, med, edge_cases


def group_keys(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True, return_counts=True)`` in linear time when
    the key space (pairs of activities) is small next to the number of keys."""
    if space > 4 * len(key) + 1_000_000:
        keys, grp, counts = np.unique(key, return_inverse=True, return_counts=True)
        return keys, grp.reshape(-1), counts
    per_key = np.bincount(key, minlength=space)
    keys = np.flatnonzero(per_key)
    lookup = np.zeros(space, dtype=np.int64)
    lookup[keys] = np.arange(len(keys))
    return keys, lookup[key], per_key[keys]


def _kept_activities(
    events: np.ndarray,
    names: np.ndarray,
    act_share: float | None,
    keep: tuple[str, ...] = (),
    private: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """(kept mask per activity code, number kept): the activities slider of the map.

    ``private`` marks activities seen in too few cases: never kept, whatever ``keep``
    says; the slider works on the others."""
    if private is not None and private.any():
        events = np.where(private, 0, events)  # not counted towards the shares either
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
    if private is not None:
        is_kept &= ~private
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
    edge_cases: np.ndarray | None = None,
    min_cases: int = 1,
    private: np.ndarray | None = None,
) -> MapGraph:
    """The map from the aggregated edges of the log projected on the kept activities.

    ``keys`` (sorted ascending) are ``source * (n + 2) + target`` over activity codes,
    ``n`` standing for the start and ``n + 1`` for the end; ``counts`` and ``med``
    (median waiting time, µs; 0 for start/end edges) per key; ``edge_cases`` the
    distinct cases per key: edges in fewer than ``min_cases`` cases are never shown
    (nor used to connect the map). ``private`` marks the activities hidden for the same
    reason (counted in ``shown``). Shared by the in-memory and the DuckDB engines.
    """
    n_act = len(events)
    kept = np.flatnonzero(is_kept)
    START, END = n_act, n_act + 1
    e_src, e_dst = keys // (n_act + 2), keys % (n_act + 2)
    s_count = np.bincount(e_dst[e_src == START], weights=counts[e_src == START], minlength=n_act)
    e_count = np.bincount(e_src[e_dst == END], weights=counts[e_dst == END], minlength=n_act)
    private_paths = 0
    if edge_cases is not None and min_cases > 1:
        ok = np.asarray(edge_cases) >= min_cases
        private_paths = int((~ok & (e_src < n_act) & (e_dst < n_act)).sum())
        keys, counts, med, e_src, e_dst = keys[ok], counts[ok], med[ok], e_src[ok], e_dst[ok]
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
        "min_cases": int(min_cases),
        "private_activities": int(private.sum()) if private is not None else 0,
        "private_paths": private_paths,
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
