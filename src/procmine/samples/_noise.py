"""Recording noise: the dirt real exports carry, applied to a share of the simulated cases."""

from __future__ import annotations

import numpy as np

__all__ = ["apply_noise"]


def apply_noise(
    frame: dict[str, np.ndarray], offsets: np.ndarray, noise: float, seed: int, system: set[str]
) -> dict[str, np.ndarray]:
    """Perturb a share ``noise`` of cases: skip, swap, duplicate an event, or blank a resource."""
    n_cases = len(offsets) - 1
    keep = np.ones(len(frame["case"]), dtype=bool)
    extra: list[int] = []
    act, unit, res = frame["activity"].copy(), frame["unit"].copy(), frame["resource"].copy()
    for c in range(n_cases):
        rng = np.random.default_rng([seed, 2, c])
        if rng.random() >= noise:
            continue
        a, b = int(offsets[c]), int(offsets[c + 1])
        kind, x = int(rng.integers(4)), rng.random()
        if b - a < 3:
            continue
        if kind == 0:  # a skipped step (never the first)
            keep[a + 1 + int(x * (b - a - 1))] = False
        elif kind == 1:  # two neighbouring events recorded the wrong way round
            i = a + 1 + int(x * (b - a - 2))
            for col in (act, unit, res):
                col[i], col[i + 1] = col[i + 1], col[i]
        elif kind == 2:  # an event recorded twice
            extra.append(a + int(x * (b - a)))
        else:  # a missing resource
            human = [i for i in range(a, b) if res[i] not in system]
            if human:
                res[human[int(x * len(human))]] = None
    out = {k: v for k, v in frame.items()}
    out["activity"], out["unit"], out["resource"] = act, unit, res
    order = np.sort(np.concatenate([np.flatnonzero(keep), np.asarray(extra, dtype=np.int64)]), kind="stable")
    return {k: v[order] for k, v in out.items()}
