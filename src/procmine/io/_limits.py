"""Resource limits of the readers: :data:`LIMITS` (re-exported as ``procmine.io.LIMITS``).

A compressed file can inflate to a thousand times its size, a workbook can declare
gigabytes of sheet XML, an XES event can carry a hundred thousand keys: each reader
checks these limits as early as it can (gzip while streaming, ``.xlsx`` from the zip
directory before anything is inflated) and refuses with a
:class:`~procmine.LogError` naming the file, the limit and the setting that raises it.
The defaults are far above real logs (a gzipped XES inflates about 20-60 times; a
ten-million-event log is a few GB inflated), so only damaged or hostile files meet them.

Examples
--------
>>> from procmine.io import LIMITS
>>> LIMITS.max_inflation_ratio
200.0
>>> with LIMITS.override(max_inflated_bytes=2 * 1024**3):   # a stricter cap for one read
...     LIMITS.max_inflated_bytes
2147483648
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import LogError

__all__ = ["LIMITS", "Limits", "inflated_blocks", "open_blocks", "open_inflated"]

_READ = 4 * 2**20


@dataclass
class Limits:
    """Caps every reader applies; change them on :data:`LIMITS` (or with :meth:`override`)."""

    #: most bytes a compressed file (``.gz``, a workbook's parts together) may inflate to
    max_inflated_bytes: int = 64 * 2**30
    #: most inflated / compressed size, checked once more than ``ratio_floor_bytes`` came out
    max_inflation_ratio: float = 200.0
    #: inflated size below which the ratio is not checked (tiny files compress very well)
    ratio_floor_bytes: int = 100 * 2**20
    #: most distinct attribute keys (event and trace) of one XES log
    max_attribute_keys: int = 10_000
    #: most columns of a CSV file or a sheet
    max_columns: int = 10_000

    @contextlib.contextmanager
    def override(self, **changes: float) -> Iterator[Limits]:
        """Change some limits for the duration of a ``with`` block (not thread-local)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(known)}")
        before = {k: getattr(self, k) for k in changes}
        for k, v in changes.items():
            setattr(self, k, v)
        try:
            yield self
        finally:
            for k, v in before.items():
                setattr(self, k, v)


LIMITS = Limits()


def _size(n: float) -> str:
    for unit, div in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= div:
            return f"{n / div:,.1f} {unit}"
    return f"{int(n):,} bytes"


def check_inflation(path: Path | str, inflated: int, compressed: int, what: str = "the file") -> None:
    """Refuse when ``inflated`` bytes (from ``compressed`` bytes) pass a limit of :data:`LIMITS`."""
    if inflated > LIMITS.max_inflated_bytes:
        raise LogError(
            f"{what} inflates to more than {_size(LIMITS.max_inflated_bytes)} (the limit "
            "procmine.io.LIMITS.max_inflated_bytes); a decompression bomb or a damaged file? If it "
            "is a real log, raise that limit",
            path=str(path),
        )
    if inflated > LIMITS.ratio_floor_bytes and inflated > LIMITS.max_inflation_ratio * max(compressed, 1):
        raise LogError(
            f"{what} inflates more than {LIMITS.max_inflation_ratio:g} times ({_size(compressed)} gave "
            f"{_size(inflated)} so far; the limit procmine.io.LIMITS.max_inflation_ratio); a "
            "decompression bomb or a damaged file? If it is a real log, raise that limit",
            path=str(path),
        )


def inflated_blocks(path: Path) -> Iterator[bytes]:
    """The bytes of a file, gzip members inflated (concatenated, as gzip does), in blocks.

    Gzip is recognised by its magic bytes. The inflated size and ratio are checked
    against :data:`LIMITS` after every block, so a bomb is refused after at most
    ``ratio_floor_bytes`` (or ``max_inflated_bytes``) came out. A truncated or corrupt
    stream raises :class:`~procmine.LogError`: a partial file is never returned.
    """
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != b"\x1f\x8b":
            while block := f.read(_READ):
                yield block
            return
        d = zlib.decompressobj(31)
        active = False  # d has been fed bytes of a member not yet finished
        total = 0
        try:
            while raw := f.read(_READ):
                while raw:
                    active = True
                    out = d.decompress(raw, _READ)
                    if out:
                        total += len(out)
                        # compressed bytes consumed so far: read minus what zlib still holds
                        check_inflation(path, total, f.tell() - len(d.unconsumed_tail))
                        yield out
                    # end of a member first: when it ends exactly at the output limit, zlib
                    # leaves the rest in both unused_data and unconsumed_tail
                    if not d.eof and d.unconsumed_tail:
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
                "the gzip file is truncated (it ends before the end of its data); it is not "
                "complete: download or export it again",
                path=str(path),
            )


class IterStream(io.RawIOBase):
    """A read-only binary stream over an iterator of blocks (for lxml and the CSV scan)."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._blocks, None)
            if nxt is None:
                return 0
            self._buf = memoryview(nxt)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()
        super().close()


def open_blocks(blocks: Iterator[bytes]) -> io.BufferedReader:
    """A buffered binary stream over an iterator of blocks."""
    return io.BufferedReader(IterStream(blocks), buffer_size=_READ)


def open_inflated(path: Path) -> io.BufferedReader:
    """A binary stream of the file's (inflated, limit-checked) bytes."""
    return open_blocks(inflated_blocks(Path(path)))
