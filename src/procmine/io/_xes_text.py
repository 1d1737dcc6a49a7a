"""Attribute keys and values of the XES scanner as Arrow strings: byte spans, UTF-8 check,
whitespace normalisation and character references."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._xes_checks import Malformed, Unsupported

__all__ = ["decode_values"]

_REF_RE = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_WS_RE = re.compile("\r\n|[\t\n\r]")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


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
