"""Tag classification for the XES scanner (:mod:`procmine.io._xes_scan`).

The 16 bytes after each ``<`` are read as two little-endian words and compared, with
numpy, against the few tag shapes XES repeats millions of times (an attribute of each
type, ``<event>``, ``</trace>``...). Each tag gets a token kind; ``_UNKNOWN`` where no
shape fits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ATTR_TYPES"]

#: attribute element names, by type code
ATTR_TYPES = ("string", "date", "int", "float", "boolean", "id")

# token kinds
_K_ATTR = 0  # 0..5: attribute of type ATTR_TYPES[k]
_EV_OPEN, _EV_SELF, _EV_CLOSE = 10, 11, 12
_TR_OPEN, _TR_SELF, _TR_CLOSE = 13, 14, 15
_LOG_OPEN, _LOG_CLOSE = 16, 17
_C_ATTR = 20  # 20..25: closing tag of attribute type k
_OTHER_OPEN, _OTHER_CLOSE, _OTHER_SELF = 30, 31, 32
_UNKNOWN = 99

_DELTA = np.zeros(256, dtype=np.int8)
_DELTA[[_EV_OPEN, _TR_OPEN, _LOG_OPEN, _OTHER_OPEN]] = 1
_DELTA[[_EV_CLOSE, _TR_CLOSE, _LOG_CLOSE, _OTHER_CLOSE, *range(_C_ATTR, _C_ATTR + 6)]] = -1
_NAME = np.full(256, -1, dtype=np.int16)
_NAME[[_EV_OPEN, _EV_CLOSE]] = 10
_NAME[[_TR_OPEN, _TR_CLOSE]] = 11
_NAME[[_LOG_OPEN, _LOG_CLOSE]] = 12
_NAME[_C_ATTR : _C_ATTR + 6] = np.arange(6)

#: element names, for matching opening and closing tags
_NAMES = {n: i for i, n in enumerate(ATTR_TYPES)}
_NAMES.update({"event": 10, "trace": 11, "log": 12, "global": 13, "extension": 14, "classifier": 15})


def _words(buf: bytes, pos: np.ndarray, two: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 16 bytes at each position as two little-endian uint64 (zero-padded at the end)."""
    n = len(buf)
    w0 = np.zeros(len(pos), dtype=np.uint64)
    w1 = np.zeros(len(pos), dtype=np.uint64)
    if n >= 16:
        view = np.ndarray(shape=(n - 7,), dtype="<u8", buffer=buf, strides=(1,))
        ok = pos <= n - 16
        p = pos[ok]
        w0[ok] = view[p]
        if two:
            w1[ok] = view[p + 8]
        late = np.flatnonzero(~ok)
    else:
        late = np.arange(len(pos))
    for i in late.tolist():
        piece = bytes(buf[int(pos[i]) : int(pos[i]) + 16]).ljust(16, b"\0")
        w0[i] = int.from_bytes(piece[:8], "little")
        w1[i] = int.from_bytes(piece[8:], "little")
    return w0, w1


def _word(pattern: bytes) -> tuple[int, int, int, int]:
    """(word0, mask0, word1, mask1) of a pattern of at most 16 bytes."""
    p = pattern.ljust(16, b"\0")
    m = (b"\xff" * len(pattern)).ljust(16, b"\0")
    return (
        int.from_bytes(p[:8], "little"),
        int.from_bytes(m[:8], "little"),
        int.from_bytes(p[8:], "little"),
        int.from_bytes(m[8:], "little"),
    )


_SIMPLE = [  # (pattern after '<', kind); a prefix-free set
    (b'string key="', 0),
    (b'date key="', 1),
    (b'int key="', 2),
    (b'float key="', 3),
    (b'boolean key="', 4),
    (b'id key="', 5),
    (b"event>", _EV_OPEN),
    (b"event/>", _EV_SELF),
    (b"trace>", _TR_OPEN),
    (b"trace/>", _TR_SELF),
    (b"/event>", _EV_CLOSE),
    (b"/trace>", _TR_CLOSE),
    (b"/log>", _LOG_CLOSE),
    (b"/string>", 20),
    (b"/date>", 21),
    (b"/int>", 22),
    (b"/float>", 23),
    (b"/boolean>", 24),
    (b"/id>", 25),
]
_PLEN = np.array([len(p) for p, _ in _SIMPLE[:6]], dtype=np.int64)


def _by_first_word(length_min: int, length_max: int):
    """Patterns whose length is in the range, grouped by first-word mask, sorted by word."""
    groups: dict[int, list[tuple[int, int, int, int]]] = {}
    for pattern, code in _SIMPLE:
        if length_min <= len(pattern) <= length_max:
            w0, m0, w1, m1 = _word(pattern)
            groups.setdefault(m0, []).append((w0, code, w1, m1))
    out = []
    for m0, items in groups.items():
        items.sort()
        out.append(
            (
                np.uint64(m0),
                np.array([i[0] for i in items], dtype=np.uint64),
                np.array([i[1] for i in items], dtype=np.int8),
                np.array([i[2] for i in items], dtype=np.uint64),
                np.array([i[3] for i in items], dtype=np.uint64),
            )
        )
    return out


_GROUPS = _by_first_word(8, 16) + _by_first_word(1, 7)


def _classify(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    """Token kind from the 16 bytes after '<' (``_UNKNOWN`` where no pattern fits)."""
    kind = np.full(len(w0), _UNKNOWN, dtype=np.int8)
    rest = np.arange(len(w0))
    for m0, words, codes, second, m1 in _GROUPS:
        if len(rest) == 0:
            break
        t = w0[rest] & m0 if m0 != np.uint64(2**64 - 1) else w0[rest]
        j = np.minimum(np.searchsorted(words, t), len(words) - 1)
        hit = words[j] == t
        hit &= (w1[rest] & m1[j]) == second[j]
        kind[rest[hit]] = codes[j[hit]]
        rest = rest[~hit]
    return kind
