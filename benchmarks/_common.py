"""What the single-task benchmark scripts share: the default log, best-of timing, the log check."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOG = ROOT.parent / "shared" / "logs" / "road_traffic_fines.xes.gz"


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def log_missing(path: Path) -> bool:
    """Say so on stderr when the log is absent (the real logs live beside the repository)."""
    if path.exists():
        return False
    print(f"{path} not found (the real logs live in ../shared/logs)", file=sys.stderr)
    return True
