"""``find_redundancies`` computes what several detectors need once per log and calendar."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import procmine as pm

_base = importlib.import_module("procmine.redundancy._base")
_rework = importlib.import_module("procmine.redundancy.rework")
_steps = importlib.import_module("procmine.waits._steps")
_wait_causes = importlib.import_module("procmine.waits._causes")


def _count(monkeypatch, counts: Counter, label: str, module: Any, name: str) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counts[label] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)


def test_shared_analyses_are_computed_once(monkeypatch):
    log = pm.samples.load("permit_de").sample(300, seed=2)
    counts: Counter = Counter()
    _count(monkeypatch, counts, "event table", _base, "EventTable")
    _count(monkeypatch, counts, "wait causes", _wait_causes, "_compute")
    # the step aggregates behind the wait causes and the step classification
    _count(monkeypatch, counts, "step aggregates", _wait_causes, "step_aggregates")
    _count(monkeypatch, counts, "step aggregates", _steps, "step_aggregates")
    _count(monkeypatch, counts, "repetitions", _rework, "_repetitions")
    found = pm.find_redundancies(log)
    assert counts == Counter({"event table": 1, "wait causes": 1, "step aggregates": 1, "repetitions": 1}), counts
    assert {f.kind for f in found} & {"rework", "ping_pong", "incomplete_submission", "bottleneck"}


def test_shared_repetitions_are_not_changed_by_a_detector():
    log = pm.samples.load("permit_de").sample(200, seed=3)
    rep1, prev1 = _rework.repetitions(log)
    rep1[:] = ~rep1  # a caller refining its copy in place
    rep2, prev2 = _rework.repetitions(log)
    assert (rep2 != rep1).all() and (prev2 == prev1).all()
    assert not prev2.flags.writeable


def test_small_unique_matches_numpy():
    import numpy as np

    rng = np.random.default_rng(4)
    for size in (1, 7, 500, 10**8):  # dense (counted) and sparse (sorted) key spaces
        key = rng.integers(0, size, 5000)
        want = np.unique(key, return_inverse=True, return_counts=True)
        got = _base.small_unique(key, size)
        assert all(np.array_equal(w, g) for w, g in zip(want, got, strict=True))
