"""Bytes of an XES file, decompressed, in chunks that end after a ``</trace>``.

Gzip is detected from the magic bytes, not the suffix. A truncated or corrupt gzip
stream raises :class:`~procmine.LogError`: a partial log is never returned; so does a
stream that inflates past :data:`procmine.io.LIMITS` (checked while streaming).

A UTF-16 (or UTF-32) file is transcoded to UTF-8 as it streams, block by block, and
its XML declaration is made to say so: every reader (the fast scanner, the DOCTYPE
check, lxml, line numbers) then sees the same UTF-8 text.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from ..errors import LogError
from ._limits import inflated_blocks, open_blocks

__all__ = ["iter_chunks", "line_at", "open_xml", "source_encoding"]

CHUNK_BYTES = 4 * 2**20  # small: the scanner's temporaries are several times a chunk
_CUT = b"</trace>"
# XML 1.0 appendix F: a byte-order mark, or "<?" in UTF-16 without one, gives the encoding
# (UTF-32 marks first: FF FE 00 00 starts with the UTF-16-LE mark)
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_DECL_ENCODING = re.compile(rb"""^(<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def _wide_encoding(head: bytes) -> str | None:
    """The UTF-16/UTF-32 codec of a file starting with ``head``, else None."""
    return next((enc for mark, enc in _WIDE if head.startswith(mark)), None)


def _head(blocks: Iterator[bytes]) -> bytes:
    """The first block(s) of ``blocks``, at least the 4 bytes that tell the encoding."""
    head = b""
    for block in blocks:
        head += block
        if len(head) >= 4:
            break
    return head


def source_encoding(path: Path) -> str | None:
    """``"utf-16-le"``, ``"utf-16-be"``, ``"utf-32-le"`` or ``"utf-32-be"`` if the XML is
    transcoded to UTF-8 when read, else None (UTF-8, or an 8-bit encoding that lxml reads
    by its declaration)."""
    blocks = inflated_blocks(path)
    try:
        head = _head(blocks)
    finally:
        blocks.close()
    enc = _wide_encoding(head)
    if enc in ("utf-16", "utf-32"):  # told by the mark
        enc += "-be" if head.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)) else "-le"
    return enc


def _blocks(path: Path) -> Iterator[bytes]:
    """Decompressed blocks of the file, limit-checked (see :func:`._limits.inflated_blocks`),
    UTF-16 and UTF-32 transcoded to UTF-8 (see :func:`_to_utf8`)."""
    blocks = inflated_blocks(path)
    try:
        head = _head(blocks)
        enc = _wide_encoding(head)
        stream = chain((head,), blocks)  # chain lets go of the head once it has passed
        del head
        yield from (stream if enc is None else _to_utf8(stream, enc, path))
    finally:
        blocks.close()


def _to_utf8(blocks: Iterator[bytes], enc: str, path: Path) -> Iterator[bytes]:
    """The UTF-8 text of a UTF-16/UTF-32 file, block by block (one block held at a time),
    its XML declaration saying ``encoding="UTF-8"``.

    The byte-order mark decides the encoding, whatever the declaration says (XML 1.0,
    appendix F); the decoder drops the mark.
    """
    dec = codecs.getincrementaldecoder(enc)("strict")
    pending: bytes | None = b""  # the start of the text, until its XML declaration is whole
    lines = 1  # the line the next decoded text starts on, for an error
    for block in blocks:
        try:
            out = dec.decode(block).encode("utf-8")
        except UnicodeError as exc:
            raise _not_wide(exc, enc, path, lines) from None
        del block
        lines += out.count(b"\n")
        if pending is not None:
            pending += out
            if b"?>" not in pending and len(pending) < 4096:
                continue
            out, pending = _declare_utf8(pending), None
        yield out
    try:
        out = dec.decode(b"", True).encode("utf-8")
    except UnicodeError as exc:
        raise _not_wide(exc, enc, path, lines) from None
    if pending is not None:
        out = _declare_utf8(pending + out)
    if out:
        yield out


def _not_wide(exc: UnicodeError, enc: str, path: Path, line: int) -> LogError:
    """The error of bytes that are not valid in the file's UTF-16/UTF-32 encoding."""
    if isinstance(exc, UnicodeDecodeError):  # the line breaks before the bad bytes
        line += codecs.decode(bytes(exc.object[: exc.start]), exc.encoding, "replace").count("\n")
    name = enc.upper()
    return LogError(
        f"the file starts as {name} text (its first bytes say so) but holds bytes that are not "
        f"{name} ({exc.reason}); save or export it again, preferably as UTF-8",
        path=str(path),
        line=line,
    )


def _declare_utf8(text: bytes) -> bytes:
    """The text with its XML declaration's encoding (if any) replaced by UTF-8."""
    return _DECL_ENCODING.sub(rb"\1\2UTF-8\2", text, count=1)


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


def open_xml(path: Path) -> io.BufferedReader:
    """A binary stream of the (decompressed, limit-checked, UTF-8) XML, for the lxml fallback."""
    return open_blocks(_blocks(path))
