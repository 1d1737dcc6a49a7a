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

Step 2 lives in :mod:`._xes_tokens`, the refusals and their exceptions in
:mod:`._xes_checks`, the Arrow strings of step 3 in :mod:`._xes_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._xes_checks import Malformed, Refused, Unsupported, _check_amps, _check_nesting, _specials
from ._xes_text import _spans, decode_values
from ._xes_tokens import (
    _DELTA,
    _EV_CLOSE,
    _EV_OPEN,
    _EV_SELF,
    _LOG_CLOSE,
    _LOG_OPEN,
    _NAME,
    _NAMES,
    _OTHER_CLOSE,
    _OTHER_OPEN,
    _OTHER_SELF,
    _PLEN,
    _TR_CLOSE,
    _TR_OPEN,
    _TR_SELF,
    _UNKNOWN,
    ATTR_TYPES,
    _classify,
    _words,
)

__all__ = [
    "ATTR_TYPES",
    "ChunkResult",
    "Malformed",
    "Refused",
    "Unsupported",
    "decode_values",
    "scan_chunk",
]

_TAG_RE = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>")
_MAX_OTHER_TAGS = 200_000
_VALUE_WORD = np.uint64(int.from_bytes(b'" value=', "little"))
_SELF2 = np.uint64(int.from_bytes(b"/>", "little"))
_SELF3 = np.uint64(int.from_bytes(b" />", "little"))


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


def _check_placement(
    kind: np.ndarray,
    lt: np.ndarray,
    ai: np.ndarray,
    before: np.ndarray,
    ev_pos: np.ndarray,
    tr_pos: np.ndarray,
    in_trace: np.ndarray,
    first: bool,
) -> None:
    """Refuse elements at the wrong depth: they would be counted in another case.

    ``before`` is each tag's depth where it starts (its parent's level; ``<log>`` is 1).
    A ``<trace>`` belongs directly in ``<log>``, an ``<event>`` directly in a ``<trace>``,
    and the log's own attributes come before its first ``<trace>`` (one after it is an
    event that lost its ``<event>`` tag).
    """
    bad = tr_pos[before[tr_pos] != 1]
    if len(bad):
        raise Refused(
            "a <trace> inside another element; a trace belongs directly in <log> (its events "
            "would be counted in the enclosing case); fix the file",
            int(lt[bad[0]]),
        )
    bad = ev_pos[(before[ev_pos] != 2) | ~in_trace[ev_pos]]
    if len(bad):
        raise Refused(
            "an <event> outside any <trace>; an event belongs directly in the <trace> of its "
            "case (it would be counted in another case); move it into its trace or remove it",
            int(lt[bad[0]]),
        )
    top = ai[before[ai] == 1]  # attributes of the log itself
    if len(top) and not first:
        late = top
    elif len(top) and len(tr_pos):
        late = top[top > tr_pos[0]]
    else:
        late = top[:0]
    if len(late):
        raise Refused(
            "an attribute directly in <log> after the first <trace>; the log's own attributes "
            "come before its traces, and this one looks like an event without its <event> tag; "
            "move it into its event or before the traces",
            int(lt[late[0]]),
        )


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
    in_event, ev_rank = _inside(kind, _EV_OPEN, _EV_SELF, _EV_CLOSE)
    in_trace, tr_rank = _inside(kind, _TR_OPEN, _TR_SELF, _TR_CLOSE)
    _check_placement(kind, lt, ai, depth - delta, ev_pos, tr_pos, in_trace, first)
    ev_level = np.unique(depth[ev_pos] + (kind[ev_pos] == _EV_SELF))
    tr_level = np.unique(depth[tr_pos] + (kind[tr_pos] == _TR_SELF))
    if len(tr_level) > 1 or len(ev_level) > 1:
        raise Unsupported("traces or events at different depths")
    trl = int(tr_level[0]) if len(tr_level) else 2
    evl = int(ev_level[0]) if len(ev_level) else trl + 1
    if evl != trl + 1:
        raise Unsupported("events not directly inside traces")
    # which trace / event is open at each attribute
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
