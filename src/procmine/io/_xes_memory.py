"""Keeping the XES reader's peak memory low: freed memory goes back to the system.

The reader allocates and frees the temporaries of one chunk after another. Arrow's
default allocator (mimalloc) and the C library's ``malloc`` keep freed pages for reuse,
so without help the process would hold the temporaries of every chunk at its peak.
"""

from __future__ import annotations

import contextlib
import threading

import pyarrow as pa

__all__ = ["release", "system_pool"]

_POOL_LOCK = threading.Lock()
_POOL_USERS = 0
_POOL_BEFORE: pa.MemoryPool | None = None
_TRIM = None  # glibc's malloc_trim, False where there is none


@contextlib.contextmanager
def system_pool():
    """Arrow allocates from the C library's allocator while a file is read.

    Arrow's default allocator (mimalloc) keeps the pages of freed chunks for reuse: the
    chunks' text and tokens would stay in memory until the end. With the system
    allocator and :func:`release` after each chunk they go back to the system. The
    previous pool is restored when the last concurrent read ends.
    """
    global _POOL_USERS, _POOL_BEFORE
    with _POOL_LOCK:
        if _POOL_USERS == 0:
            _POOL_BEFORE = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _POOL_USERS += 1
    try:
        yield
    finally:
        with _POOL_LOCK:
            _POOL_USERS -= 1
            if _POOL_USERS == 0 and _POOL_BEFORE is not None:
                pa.set_memory_pool(_POOL_BEFORE)
                _POOL_BEFORE = None


def release() -> None:
    """Give the C library's freed memory back to the system (``malloc_trim``; glibc only)."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)

