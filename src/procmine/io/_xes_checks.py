"""What the XES scanner refuses, or leaves to lxml: its exceptions and the checks that raise them.

Comments and processing instructions are dropped; DOCTYPE/ENTITY declarations and unknown
entities are refused (:class:`Refused`); CDATA and other encodings are left to lxml
(:class:`Unsupported`); unbalanced tags are :class:`Malformed`.
"""

from __future__ import annotations

import re

import numpy as np

from ._xes_tokens import _LOG_CLOSE

__all__ = ["Malformed", "Refused", "Unsupported"]

_ENC_RE = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BAD_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")


class Unsupported(Exception):
    """The fast scanner does not handle this construct; read the file with lxml instead."""


class Malformed(Exception):
    """The bytes are not well-formed XES; ``line`` is where the scanner noticed it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Refused(Exception):
    """Content procmine refuses (DOCTYPE, unknown entity); ``pos`` is the byte offset."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


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
