"""Vectorised tokenizer of XES bytes (the fast path of :mod:`procmine.io.xes`).

The XML of an XES file is a handful of tag shapes repeated millions of times:
``<string key="K" value="V"/>``, ``<event>``, ``</trace>``... Instead of one Python
callback per element, a chunk of the decompressed bytes is scanned with numpy:

1. positions of ``<`` (tags) and ``"`` (attribute delimiters);
2. the 16 bytes after each ``<`` classify the tag (attribute of each type, event,
   trace, their closing tags); the few other tags (``<log>``, ``<global>``,
   ``<extension>``...) go through a small regular expression each;
3. the key and value of each attribute are byte spans located with the quote positions
   and checked against the exact shape ``key="K" value="V"``; they become Arrow
   string arrays without a Python object per value;
4. tag depth is a cumulative sum; each closing tag is checked against its opening tag,
   so a truncated or unbalanced file never yields a partial log.

Anything this scanner does not handle exactly (CDATA, single-quoted or reordered
attributes, ``<list>``/``<container>``, another encoding, odd nesting) raises
:class:`Unsupported`, and the caller re-reads the file with the safe lxml parser; a
file that is not well-formed raises :class:`Malformed`, and the caller lets lxml
produce the precise error message. It never resolves entities: a DOCTYPE or ENTITY
declaration is refused outright with a :class:`~procmine.LogError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ATTR_TYPES",
    "ChunkResult",
    "Malformed",
    "Refused",
    "Unsupported",
    "decode_values",
    "scan_chunk",
]

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

_TAG_RE = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>")
_ENC_RE = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BAD_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_REF_RE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_WS_RE = re.compile("\r\n|[\t\n\r]")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_MAX_OTHER_TAGS = 200_000
_VALUE_WORD = np.uint64(int.from_bytes(b'" value=', "little"))
_SELF2 = np.uint64(int.from_bytes(b"/>", "little"))
_SELF3 = np.uint64(int.from_bytes(b" />", "little"))


class Unsupported(Exception):
    """The fast scanner does not handle this construct; read the file with lxml instead."""


class Malformed(Exception):
    """The bytes are not well-formed XES; ``line`` is where the scanner noticed it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class ChunkResult:
    """Attributes of one chunk in long format (one entry per attribute element)."""

    n_events: int
    n_traces: int
    event_trace: np.ndarray  #: global trace number of each event of the chunk
    ev_event: np.ndarray  #: global event number of each event attribute
    ev_key: pa.Array  #: key of each event attribute (decoded, dictionary-encoded)
    ev_type: np.ndarray  #: int8 type code (index into ATTR_TYPES)
    ev_value: pa.Array  #: value of each event attribute (decoded)
    tr_trace: np.ndarray
    tr_key: pa.Array
    tr_type: np.ndarray
    tr_value: pa.Array
    nested_skipped: int
    nested_keys: set[str]
    ended: bool  #: the chunk held ``</log>``


class Refused(Exception):
    """Content procmine refuses (DOCTYPE, unknown entity); ``pos`` is the byte offset."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


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


def decode_values(values: pa.Array) -> pa.Array:
    """XML attribute-value normalisation and reference decoding of a contiguous array.

    Literal tabs and line breaks become spaces (as any XML parser does); the five
    predefined entities and numeric character references are decoded; anything else
    after ``&`` was refused before (see ``_BAD_AMP``). The bytes are inspected with
    numpy; only the (usually few) values that need it are rewritten in Python.
    """
    n = len(values)
    if n == 0:
        return values
    _, off_buf, data_buf = values.buffers()[:3]
    offsets = np.frombuffer(off_buf, dtype=np.int32)[values.offset : values.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    special = np.flatnonzero((data == 38) | (data == 9) | (data == 10) | (data == 13))
    if len(special) == 0:
        return values
    idx = np.unique(np.searchsorted(offsets, special + offsets[0], side="right") - 1)
    raw = values.take(pa.array(idx)).to_pylist()
    fixed = [_REF_RE.sub(_ref, _WS_RE.sub(" ", s)) if "&" in s else _WS_RE.sub(" ", s) for s in raw]
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(fixed, type=pa.string()))


def _ref(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in _PREDEFINED:
        return _PREDEFINED[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    try:
        return chr(code)
    except (ValueError, OverflowError):
        raise Malformed(f"invalid character reference &{name};") from None


def _spans(buf: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Byte spans of ``buf`` as a contiguous Arrow string array (UTF-8 checked)."""
    m = len(starts)
    if m == 0:
        return pa.array([], type=pa.string())
    offsets = np.empty(2 * m, dtype=np.int32)
    offsets[0::2] = starts
    offsets[1::2] = ends
    inter = pa.StringArray.from_buffers(2 * m - 1, pa.py_buffer(offsets), pa.py_buffer(buf))
    out = inter.take(pa.array(np.arange(0, 2 * m - 1, 2, dtype=np.int64)))
    data = out.buffers()[2]
    if data is None or not (np.frombuffer(data, dtype=np.uint8) >= 128).any():
        return out  # ASCII only
    try:
        out.validate(full=True)
    except pa.ArrowInvalid:
        raise Unsupported("bytes that are not valid UTF-8") from None
    return out


def _specials(buf: bytes, lt: np.ndarray, w0: np.ndarray, first: bool) -> np.ndarray:
    """Mask of tokens to drop: comments and processing instructions (and what they hide).

    Refuses DOCTYPE/ENTITY declarations; CDATA and a non-UTF-8 encoding are left to lxml.
    """
    c0 = (w0 & np.uint64(0xFF)).astype(np.uint8)
    sp = np.flatnonzero((c0 == ord("!")) | (c0 == ord("?")))
    drop = np.zeros(len(lt), dtype=bool)
    if len(sp) == 0:
        return drop
    done_until = -1
    for i in sp.tolist():
        p = int(lt[i])
        if p < done_until:
            continue  # inside a comment already dropped
        if buf[p : p + 4] == b"<!--":
            e = buf.find(b"-->", p + 4)
            end = e + 3
        elif buf[p : p + 2] == b"<?":
            e = buf.find(b"?>", p + 2)
            end = e + 2
            if first and buf[p : p + 6] == b"<?xml " and not buf[:p].strip(b" \t\r\n\xef\xbb\xbf"):
                m = _ENC_RE.search(buf, p, max(e, p))
                if m and m.group(1).lower().replace(b"_", b"-") not in (
                    b"utf-8",
                    b"utf8",
                    b"us-ascii",
                    b"ascii",
                ):
                    raise Unsupported(f"encoding {m.group(1).decode('ascii')}")
        elif buf[p : p + 9] == b"<![CDATA[":
            raise Unsupported("CDATA section")
        else:
            word = bytes(buf[p + 2 : p + 12]).split(None, 1)
            what = word[0].decode("ascii", "replace") if word else "markup declaration"
            raise Refused(
                f"the file contains a <!{what}> declaration; XES needs no DOCTYPE or entity "
                "declarations and procmine refuses them (they can read local files or expand "
                "without end); remove it and read again",
                p,
            )
        if e < 0:
            raise Unsupported("a comment or processing instruction that does not end in its chunk")
        done_until = end
        lo, hi = np.searchsorted(lt, [p, end])
        drop[lo:hi] = True
    return drop


def _check_amps(buf: bytes, a: np.ndarray, lt: np.ndarray, dropped: np.ndarray) -> None:
    """Refuse any '&' that is not a predefined entity or a character reference."""
    if buf.find(b"&") < 0:
        return
    amp = np.flatnonzero(a == 38)
    ok_amp = np.zeros(len(amp), dtype=bool)
    if len(buf) >= 8:
        view = np.ndarray(shape=(len(buf) - 3,), dtype="<u4", buffer=buf, strides=(1,))
        inside = amp + 1 <= len(buf) - 4
        ok_amp[inside] = view[amp[inside] + 1] == np.frombuffer(b"amp;", dtype="<u4")[0]
    for i in np.flatnonzero(~ok_amp).tolist():
        p = int(amp[i])
        if _BAD_AMP.match(buf, p) is None:
            continue
        t = np.searchsorted(lt, p, side="right") - 1
        if t >= 0 and dropped[t]:
            continue  # in a comment: harmless
        stop = buf.find(b";", p, p + 40)
        ent = bytes(buf[p : stop + 1 if stop > 0 else p + 10]).decode("utf-8", "replace")
        raise Refused(
            f"unknown entity or stray '&' ({ent!r}); XES files may only use &amp; &lt; &gt; "
            "&quot; &apos; and numeric character references (procmine never expands other "
            "entities); fix the file",
            p,
        )


def _check_nesting(
    kind: np.ndarray, name: np.ndarray, delta: np.ndarray, depth: np.ndarray, first: bool
) -> int | None:
    """Index of the first closing tag that does not match its opening tag, else None."""
    opens = delta == 1
    closes = delta == -1
    oc = np.flatnonzero(opens | closes)
    level = np.where(opens[oc], depth[oc], depth[oc] + 1)
    for lv in np.flatnonzero(np.bincount(level)).tolist():
        idx = oc[level == lv]
        is_open = opens[idx]
        if not first and lv == 1 and len(idx) and kind[idx[0]] == _LOG_CLOSE:
            idx, is_open = idx[1:], is_open[1:]  # closes the <log> of the first chunk
        if len(idx) == 0:
            continue
        # at one level, opens and closes alternate; each close repeats its open's name
        bad = np.flatnonzero(is_open[1::2] | ~is_open[0::2][: len(is_open[1::2])])
        if not is_open[0]:
            return int(idx[0])
        if len(bad):
            return int(idx[2 * bad[0] + 1])
        pair_bad = np.flatnonzero(name[idx[0::2]][: len(idx) // 2] != name[idx[1::2]])
        if len(pair_bad):
            return int(idx[2 * pair_bad[0] + 1])
    return None


def _inside(
    kind: np.ndarray, open_code: int, self_code: int, close_code: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per token: inside an open element of that kind? and the element's 0-based rank.

    Self-closing elements count in the rank but hold nothing.
    """
    opened = np.cumsum(kind == open_code, dtype=np.int32)
    inside = (opened - np.cumsum(kind == close_code, dtype=np.int32)) == 1
    if self_code is not None and (kind == self_code).any():
        rank = np.cumsum((kind == open_code) | (kind == self_code), dtype=np.int32) - 1
    else:
        rank = opened - 1
    return inside, rank


def scan_chunk(
    buf: bytes,
    *,
    first: bool,
    start_depth: int,
    base_event: int,
    base_trace: int,
) -> ChunkResult:
    """Tokenize one chunk: whole traces (and, for the first chunk, the log header).

    ``start_depth`` is the tag depth before the chunk (0 for the first, 1 after).
    Raises :class:`Refused` (with the byte offset) for content procmine refuses,
    :class:`Unsupported` or :class:`Malformed` for the lxml fallback.
    """
    if len(buf) >= 2**31 - 1:
        raise Unsupported("chunk too large for 32-bit offsets")
    a = np.frombuffer(buf, dtype=np.uint8)
    lt = np.flatnonzero(a == 60)
    if len(lt) == 0:
        raise Malformed("no XML element found")
    w0, w1 = _words(buf, lt + 1)
    dropped = _specials(buf, lt, w0, first)
    _check_amps(buf, a, lt, dropped)
    if dropped.any():
        keep = ~dropped
        lt, w0, w1 = lt[keep], w0[keep], w1[keep]
    n = len(lt)
    if n == 0:
        raise Malformed("no XML element found")
    kind = _classify(w0, w1)
    del w0, w1
    delta = np.zeros(n, dtype=np.int8)
    name = np.full(n, -1, dtype=np.int16)

    # --- the few other tags, one regular expression each --------------------------------
    other = np.flatnonzero(kind == _UNKNOWN)
    if len(other) > _MAX_OTHER_TAGS:
        raise Unsupported("too many unusual tags")
    for i in other.tolist():
        p = int(lt[i])
        m = _TAG_RE.match(buf, p)
        if m is None:
            raise Malformed("a tag the scanner cannot read")
        closing, tag, self_closing = (
            m.group(1) == b"/",
            m.group(2).decode("ascii", "replace"),
            m.group(4) == b"/",
        )
        if tag not in _NAMES or tag in ATTR_TYPES:
            raise Unsupported(f"element <{tag}>")
        if closing and (self_closing or m.group(3)):
            raise Malformed(f"bad closing tag </{tag}>")
        if tag == "event":
            kind[i] = _EV_CLOSE if closing else (_EV_SELF if self_closing else _EV_OPEN)
        elif tag == "trace":
            kind[i] = _TR_CLOSE if closing else (_TR_SELF if self_closing else _TR_OPEN)
        elif tag == "log" and not self_closing:
            kind[i] = _LOG_CLOSE if closing else _LOG_OPEN
        else:
            kind[i] = _OTHER_CLOSE if closing else (_OTHER_SELF if self_closing else _OTHER_OPEN)
            name[i] = _NAMES[tag]

    # --- attributes: key="K" value="V" located through the quote positions -----------------
    ai = np.flatnonzero(kind < 6)
    q = np.flatnonzero(a == 34)
    ks = lt[ai] + 1 + _PLEN[kind[ai]]
    qi = np.searchsorted(q, ks)
    if len(ai) and qi.max() + 2 >= len(q):
        raise Malformed("unterminated attribute value")
    ke = q[qi]
    vs = ke + 9
    ve = q[qi + 2]
    nxt = lt[np.minimum(ai + 1, n - 1)]
    nxt[ai == n - 1] = len(a)
    mid, tail = _words(buf, ke, False)[0], _words(buf, ve + 1, False)[0]
    ok = (q[qi + 1] == ke + 8) & (ve < nxt) & (mid == _VALUE_WORD)
    t3 = tail & np.uint64(0xFFFFFF)
    t_self = ((t3 & np.uint64(0xFFFF)) == _SELF2) | (t3 == _SELF3)
    t_open = (tail & np.uint64(0xFF)) == np.uint64(ord(">"))
    ok &= t_self | t_open
    if not ok.all():
        raise Unsupported('an attribute not of the form key=".." value=".."')
    del q, qi, mid, tail, t3, nxt
    name[ai] = kind[ai]
    delta[ai[t_open]] = 1  # an attribute with children

    # --- structure: depth and matching of opening/closing tags -----------------------------
    k8 = kind.view(np.uint8)
    delta += _DELTA[k8]
    struct_name = _NAME[k8]
    name = np.where(struct_name >= 0, struct_name, name)
    depth = start_depth + np.cumsum(delta, dtype=np.int32)
    if first and kind[0] != _LOG_OPEN:
        raise Malformed("the file does not start with <log>")
    if (kind == _LOG_OPEN).sum() > (1 if first else 0):
        raise Malformed("more than one <log> element")
    ended = bool(kind[-1] == _LOG_CLOSE)
    if ended and depth[-1] != 0:
        raise Malformed("</log> closes before its elements")
    if depth[:-1].min(initial=1) < 1 or (not ended and depth[-1] != 1):
        raise Malformed("an element closes before it opens, or content after </log>")
    if _check_nesting(kind, name, delta, depth, first) is not None:
        raise Malformed("closing tag does not match the opening tag")

    # --- events, traces and where each attribute belongs ----------------------------------
    ev_open = (kind == _EV_OPEN) | (kind == _EV_SELF)
    tr_open = (kind == _TR_OPEN) | (kind == _TR_SELF)
    ev_pos = np.flatnonzero(ev_open)
    tr_pos = np.flatnonzero(tr_open)
    ev_level = np.unique(depth[ev_pos] + (kind[ev_pos] == _EV_SELF))
    tr_level = np.unique(depth[tr_pos] + (kind[tr_pos] == _TR_SELF))
    if len(tr_level) > 1 or len(ev_level) > 1:
        raise Unsupported("traces or events at different depths")
    trl = int(tr_level[0]) if len(tr_level) else 2
    evl = int(ev_level[0]) if len(ev_level) else trl + 1
    if evl != trl + 1:
        raise Unsupported("events not directly inside traces")
    # which trace / event is open at each attribute
    in_event, ev_rank = _inside(kind, _EV_OPEN, _EV_SELF, _EV_CLOSE)
    in_trace, tr_rank = _inside(kind, _TR_OPEN, _TR_SELF, _TR_CLOSE)
    if len(ev_pos) and not in_trace[ev_pos].all():
        raise Unsupported("an event outside a trace")
    in_ev, ev_of = in_event[ai], ev_rank[ai]
    in_tr, tr_of = in_trace[ai], tr_rank[ai]
    b_attr = depth[ai] - delta[ai]
    ev_attr = in_ev & (b_attr == evl)
    tr_attr = in_tr & ~in_ev & (b_attr == trl)
    nested = (in_ev & (b_attr > evl)) | (in_tr & ~in_ev & (b_attr > trl))
    nested_keys: set[str] = set()
    if nested.any():
        sel = np.flatnonzero(nested)[:50]
        nested_keys = set(_spans(buf, ks[sel], ke[sel]).to_pylist())

    res = []
    for sel in (np.flatnonzero(ev_attr), np.flatnonzero(tr_attr)):
        keys = pc.dictionary_encode(decode_values(_spans(buf, ks[sel], ke[sel])))
        vals = decode_values(_spans(buf, vs[sel], ve[sel]))
        res.append((keys, kind[ai[sel]], vals, sel))
    (evk, evt, evv, evs), (trk, trt, trv, trs) = res
    return ChunkResult(
        n_events=len(ev_pos),
        n_traces=len(tr_pos),
        event_trace=(np.searchsorted(tr_pos, ev_pos, side="right") - 1 + base_trace).astype(np.int32),
        ev_event=(ev_of[evs] + base_event).astype(np.int32),
        ev_key=evk,
        ev_type=evt,
        ev_value=evv,
        tr_trace=(tr_of[trs] + base_trace).astype(np.int32),
        tr_key=trk,
        tr_type=trt,
        tr_value=trv,
        nested_skipped=int(nested.sum()),
        nested_keys=nested_keys,
        ended=ended,
    )
