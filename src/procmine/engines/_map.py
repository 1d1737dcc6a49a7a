"""The process map of any engine: the :class:`procmine.viz.MapGraph` from engine aggregates.

A log in memory goes to :func:`procmine.viz._graph.map_graph` (the vectorised code on its
integer codes); any other engine gives events and cases per activity and the paths of the
log projected on the kept activities (:meth:`procmine.engines.Engine.map_paths`), and the
map is chosen and assembled by the same functions (:func:`~procmine.viz._graph._kept_activities`,
:func:`~procmine.viz._graph._assemble_graph`): the same nodes and edges on every engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._core.validation import check_choice, check_positive_int, fail
from ..viz._graph import MIN_CASES, MapGraph, _assemble_graph, _check_slider, _kept_activities, map_graph
from ._protocol import Engine

__all__ = ["engine_map_graph"]


def engine_map_graph(
    engine: Engine,
    *,
    metric: str = "frequency",
    activities: float | None = None,
    paths: float | None = None,
    labels: str | Mapping[str, str] | None = None,
    keep: tuple[str, ...] = (),
    min_cases: int = MIN_CASES,
) -> MapGraph:
    """The map's nodes and edges (arguments as :func:`procmine.viz.process_map`)."""
    if engine.capabilities.in_memory:
        return map_graph(engine.log, metric=metric, activities=activities, paths=paths, labels=labels,
                         keep=keep, min_cases=min_cases)
    check_choice("process_map", "metric", metric, ("frequency", "time"))
    act_share = _check_slider("activities", activities)
    path_share = _check_slider("paths", paths)
    check_positive_int("process_map", "min_cases", min_cases)
    counts = engine.activity_counts().sort_index(kind="stable")  # code point order, as the codes
    cases = engine.activity_cases().reindex(counts.index)
    names = counts.index.to_numpy(dtype=object)
    events = counts.to_numpy(dtype=np.int64)
    private = cases.to_numpy(dtype=np.int64) < min_cases
    n_act = len(names)
    is_kept, n_keep = _kept_activities(events, names, act_share, keep, private)
    p = engine.map_paths(names[is_kept].tolist())
    code = {n: i for i, n in enumerate(names)}
    src = np.array([n_act if a is None else code[a] for a in p["source"]], dtype=np.int64)
    dst = np.array([n_act + 1 if a is None else code[a] for a in p["target"]], dtype=np.int64)
    keys = src * (n_act + 2) + dst
    order = np.argsort(keys, kind="stable")
    return _assemble_graph(
        names=names,
        labels=_labels(engine, names, labels),
        events=events,
        is_kept=is_kept,
        n_keep=n_keep,
        keys=keys[order],
        counts=p["count"].to_numpy(dtype=np.int64)[order],
        med=p["median_us"].to_numpy(dtype=np.float64)[order],
        metric=metric,
        path_share=path_share,
        edge_cases=p["cases"].to_numpy(dtype=np.int64)[order],
        min_cases=min_cases,
        private=private,
    )


def _labels(engine: Engine, names: np.ndarray, labels: Any) -> np.ndarray:
    if labels is None:
        return names
    if isinstance(labels, str):
        mapping = engine.activity_labels(labels)
    elif isinstance(labels, Mapping):
        mapping = {str(k): str(v) for k, v in labels.items()}
    else:
        raise fail("process_map", "labels", "None, a column name or a mapping of activity names", labels)
    return np.asarray([mapping.get(n, n) for n in names], dtype=object)
