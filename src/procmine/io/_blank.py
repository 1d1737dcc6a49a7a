"""Which case ids and activity names count as missing (empty, or white space only), and
which have white space around them.

Used by :func:`procmine.io._common.finalize` (rows dropped; padded ids and names trimmed),
by :func:`procmine.io._lifecycle.pair_lifecycle` (rows left for ``finalize`` to count) and
by the readers' activity names (:func:`procmine.io.frame._strip`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._core.codes import string_buffers

__all__ = ["_blank", "_maybe_padded", "padded"]


# first bytes a white-space-only string can start with: ASCII spaces, and the UTF-8 lead
# bytes of the other Unicode spaces (U+0085/U+00A0: C2; U+1680/U+180E: E1; U+2000-U+205F: E2;
# U+3000: E3)
_SPACE_LEAD = np.zeros(256, dtype=bool)
_SPACE_LEAD[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True


def _blank(s: pd.Series) -> np.ndarray:
    """True where a value is missing or only white space."""
    mask = s.isna().to_numpy()
    arr = getattr(s.array, "_pa_array", None)
    if arr is not None and pd.api.types.is_string_dtype(s.dtype):
        # Arrow strings: tested in place (stripping copies every string: seconds on 10 M
        # rows); only strings that are empty or start like a space are looked at closely
        import pyarrow.compute as pc

        from .._core.codes import kept_dictionary_codes

        kept = kept_dictionary_codes(arr)
        if kept is not None:  # the activity column: each distinct name looked at once
            codes, dictionary = kept
            per_value = np.append(_blank_chunk(dictionary, pc), False)  # code -1: missing, in mask
            return mask | per_value[codes] if per_value.any() else mask
        parts = []
        for chunk in arr.chunks if hasattr(arr, "chunks") else [arr]:
            parts.append(_blank_chunk(chunk, pc))
        empty = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
        return mask | (empty & ~mask)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        stripped = s.astype("str").str.strip()
        mask = mask | (stripped == "").fillna(True).to_numpy(dtype=bool)
    return mask


def _blank_chunk(chunk: Any, pc: Any) -> np.ndarray:
    """Empty or white-space-only strings of one Arrow string chunk (nulls: False)."""
    import pyarrow as pa

    n = len(chunk)
    if chunk.type not in (pa.string(), pa.large_string()) or n == 0:
        out = pc.or_(pc.equal(pc.utf8_length(chunk), 0), pc.utf8_is_space(chunk))
        return out.to_numpy(zero_copy_only=False).astype(bool, copy=False) if n else np.zeros(0, dtype=bool)
    offsets, data = string_buffers(chunk)
    lengths = np.diff(offsets)
    out = lengths == 0
    starts = offsets[:-1]
    if data.size:
        first = data[np.minimum(starts, data.size - 1)]
        maybe = np.flatnonzero(~out & _SPACE_LEAD[first])
        if len(maybe):
            out[maybe] = pc.utf8_is_space(chunk.take(pa.array(maybe))).to_numpy(zero_copy_only=False)
    if chunk.null_count:
        out &= np.asarray(chunk.is_valid())
    return out


def _maybe_space(b: np.ndarray) -> np.ndarray:
    """Bytes a white space can start or end with: anything but printable ASCII (0x21-0x7E),
    i.e. the ASCII spaces and controls and any byte of a multi-byte UTF-8 character (the
    Unicode spaces are all multi-byte; such a value is checked exactly). Tested by
    arithmetic on the bytes: a lookup table indexes through a copy of them as 64-bit
    integers, four times the cost."""
    return (b - np.uint8(0x21)) >= np.uint8(0x5E)


def _maybe_padded(chunk: Any) -> np.ndarray:
    """Values of an Arrow string chunk whose first or last byte may be white space."""
    import pyarrow as pa

    if chunk.type not in (pa.string(), pa.large_string()):
        return np.ones(len(chunk), dtype=bool)
    offsets, data = string_buffers(chunk)
    starts, ends = offsets[:-1], offsets[1:]
    full = ends > starts
    if not data.size or not full.any():
        return np.zeros(len(chunk), dtype=bool)
    # clipped: an empty value may start at the end of the buffer, or end before its start
    first, last = np.take(data, starts, mode="clip"), np.take(data, ends - 1, mode="clip")
    maybe = _maybe_space(first)
    maybe |= _maybe_space(last)
    maybe &= full
    return maybe


def padded(values: Any) -> bool:
    """Whether a value of ``values`` (distinct case ids or activity names: an object array or
    an Arrow string array) starts or ends with white space.

    On Arrow strings each value's first and last byte are looked at in place (see
    :func:`_maybe_padded`); only those that may be a space are trimmed and compared.

    >>> import pyarrow as pa
    >>> padded(pa.array(["A1", "A2 "])), padded(pa.array(["A1", "Zoé"])), padded(np.array([" x"], dtype=object))
    (True, False, True)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, (pa.Array, pa.ChunkedArray)) and values.type in (pa.string(), pa.large_string()):
        for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
            maybe = np.flatnonzero(_maybe_padded(chunk))
            if len(maybe):
                some = chunk.take(pa.array(maybe))
                if pc.any(pc.not_equal(pc.utf8_trim_whitespace(some), some)).as_py():
                    return True
        return False
    return any(isinstance(v, str) and v != v.strip() for v in np.asarray(values, dtype=object))
