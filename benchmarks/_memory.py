"""Peak memory of a block of code, beyond what the process held before it (Linux).

``ru_maxrss`` only knows the peak of the whole process, which the reading of a 10 M-event
log already sets; a thread sampling ``/proc/self/statm`` every few milliseconds sees the
peak of the analysis alone. Freed memory is first handed back to the system
(``malloc_trim``) so that the baseline is what the log really holds.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """Resident memory of this process in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


def trim() -> None:
    """Collect garbage and give freed heap pages back to the system (glibc only)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Peak:
    """``base``: resident bytes before the block; ``peak``: the most during it."""

    base = 0
    peak = 0

    @property
    def extra_gb(self) -> float:
        return max(self.peak - self.base, 0) / 1e9

    def text(self) -> str:
        return f"peak {self.peak / 1e9:.2f} GB resident, {self.extra_gb:.2f} GB beyond the {self.base / 1e9:.2f} GB before"


@contextmanager
def peak_memory(interval: float = 0.005) -> Iterator[Peak]:
    """Sample the resident memory while the block runs."""
    trim()
    p = Peak()
    p.base = p.peak = rss()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            p.peak = max(p.peak, rss())
            time.sleep(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        yield p
    finally:
        stop.set()
        t.join()
        p.peak = max(p.peak, rss())
