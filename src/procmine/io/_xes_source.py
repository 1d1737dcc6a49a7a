"""Bytes of an XES file, decompressed, in chunks that end after a ``</trace>``.

Gzip is detected from the magic bytes, not the suffix. A truncated or corrupt gzip
stream raises :class:`~procmine.LogError`: a partial log is never returned; so does a
stream that inflates past :data:`procmine.io.LIMITS` (checked while streaming).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._limits import inflated_blocks, open_inflated

__all__ = ["iter_chunks", "line_at", "open_xml"]

CHUNK_BYTES = 4 * 2**20  # small: the scanner's temporaries are several times a chunk
_CUT = b"</trace>"


def _blocks(path: Path) -> Iterator[bytes]:
    """Decompressed blocks of the file, limit-checked (see :func:`._limits.inflated_blocks`)."""
    return inflated_blocks(path)


def iter_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytearray]:
    """Chunks of the decompressed XML, each ending right after a ``</trace>`` and at most
    ``chunk_bytes`` long unless one trace is longer (the last one holds the rest of the file).

    The decompressed text is never held whole, and each byte is copied once: into the
    chunk, which is cut in place (the chunks are ``bytearray``; do not resize them).
    """
    data = bytearray()
    searched = 0  # in a trace longer than a chunk: bytes already searched for its end
    for block in _blocks(path):
        data += block
        del block
        while len(data) >= chunk_bytes:
            cut = -1 if searched else data.rfind(_CUT, 0, chunk_bytes)
            if cut < 0:  # a trace longer than a chunk: search only the new bytes (linear)
                cut = data.find(_CUT, max(chunk_bytes, searched - len(_CUT)))
                if cut < 0:
                    searched = len(data)
                    break
            searched = 0
            cut += len(_CUT)
            rest = data[cut:]
            del data[cut:]
            yield data
            data = rest
    if data:
        yield data


def line_at(path: Path, offset: int) -> int:
    """1-based line number of a byte offset of the decompressed XML."""
    line, seen = 1, 0
    for block in _blocks(path):
        take = block[: max(0, offset - seen)]
        line += take.count(b"\n")
        seen += len(block)
        if seen >= offset:
            break
    return line


def open_xml(path: Path):
    """A binary stream of the (decompressed, limit-checked) XML, for the lxml fallback."""
    return open_inflated(path)
