"""Bytes of an XES file, decompressed, in chunks that end after a ``</trace>``.

Gzip is detected from the magic bytes, not the suffix. A truncated or corrupt gzip
stream raises :class:`~procmine.LogError`: a partial log is never returned.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import LogError

__all__ = ["iter_chunks", "line_at", "open_xml"]

CHUNK_BYTES = 4 * 2**20  # small: the scanner's temporaries are several times a chunk
_READ = 4 * 2**20
_CUT = b"</trace>"


def _blocks(path: Path) -> Iterator[bytes]:
    """Decompressed blocks of the file (gzip members concatenated, as gzip does)."""
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != b"\x1f\x8b":
            while block := f.read(_READ):
                yield block
            return
        d = zlib.decompressobj(31)
        active = False  # d has been fed bytes of a member not yet finished
        try:
            while raw := f.read(_READ):
                while raw:
                    active = True
                    out = d.decompress(raw, _READ)
                    if out:
                        yield out
                    if d.unconsumed_tail:
                        raw = d.unconsumed_tail
                        continue
                    if d.eof:
                        raw = d.unused_data
                        d = zlib.decompressobj(31)
                        active = False
                        if raw and not raw.startswith(b"\x1f\x8b"):
                            if raw.strip(b"\x00"):
                                raise LogError(
                                    "unexpected bytes after the end of the gzip stream; the file "
                                    "is corrupt: download or export it again",
                                    path=str(path),
                                )
                            raw = b""
                    else:
                        raw = b""
        except zlib.error as exc:
            raise LogError(
                f"the gzip data is corrupt ({exc}); download or export the file again",
                path=str(path),
            ) from None
        if active:
            raise LogError(
                "the gzip file is truncated (it ends before the end of its data); "
                "download or export it again",
                path=str(path),
            )


def iter_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytearray]:
    """Chunks of the decompressed XML, each ending right after a ``</trace>`` and at most
    ``chunk_bytes`` long unless one trace is longer (the last one holds the rest of the file).

    The decompressed text is never held whole, and each byte is copied once: into the
    chunk, which is cut in place (the chunks are ``bytearray``; do not resize them).
    """
    data = bytearray()
    for block in _blocks(path):
        data += block
        del block
        while len(data) >= chunk_bytes:
            cut = data.rfind(_CUT, 0, chunk_bytes)
            if cut < 0:  # a trace longer than a chunk
                cut = data.find(_CUT, chunk_bytes)
                if cut < 0:
                    break
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
    """A binary stream of the (decompressed) XML, for the lxml fallback."""
    import gzip

    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")
