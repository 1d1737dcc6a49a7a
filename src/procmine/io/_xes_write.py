"""Writing an event log as XES (``.xes``, or gzip for ``.xes.gz``).

The text is built column by column with Arrow string kernels (no Python loop per
event): each column becomes a column of ``<type key="K" value="V"/>`` lines, the columns
are joined element-wise, and trace tags are added where a case starts or ends. Values
are escaped (``& < > "`` and tab/line breaks as character references, so that they read
back unchanged); characters XML 1.0 cannot hold are refused with a clear error.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LogError
from ..log import CASE, EventLog

__all__ = ["write_xes"]

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
    '\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
    '\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
    '\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
)
_ESCAPES = [
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\t", "&#9;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
]
_BATCH = 100_000  # events per block of text (keeps Arrow's 32-bit offsets far from overflow)
_CONTROL = [*range(0, 9), 11, 12, *range(14, 32)]  # bytes of characters XML 1.0 refuses


def _escape(values: pa.Array, column: str) -> pa.Array:
    """Escape ``& < > "`` and tab/line breaks; refuse characters XML 1.0 cannot hold.

    The bytes are counted once with numpy; Arrow replaces only the characters present.
    """
    if len(values) == 0 or values.null_count == len(values):
        return values
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    counts = np.bincount(data, minlength=256)
    bad = counts[_CONTROL].any()
    if not bad and counts[0xEF]:
        pos = np.flatnonzero(data[:-2] == 0xEF)
        bad = bool(((data[pos + 1] == 0xBF) & ((data[pos + 2] == 0xBE) | (data[pos + 2] == 0xBF))).any())
    if bad:
        raise LogError(
            "holds control characters that XML cannot store; remove them before writing XES",
            column=column,
        )
    for raw, esc in _ESCAPES:
        if counts[ord(raw)]:
            values = pc.replace_substring(values, raw, esc)
    return values


def _typed_text(s: pd.Series, column: str) -> tuple[str, pa.Array]:
    """(XES type, escaped text of each value; null where the value is missing)."""
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        ts = s if isinstance(dtype, pd.DatetimeTZDtype) else s.dt.tz_localize("UTC")
        arr = pa.array(ts.dt.tz_convert("UTC").astype("datetime64[us, UTC]"))
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S", locale="C")
        return "date", pc.binary_join_element_wise(text, pa.scalar("+00:00"), "")
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", pc.cast(pa.array(s, type=pa.bool_()), pa.string())
    if pd.api.types.is_integer_dtype(dtype):
        return "int", pc.cast(pa.array(s, type=pa.int64()), pa.string())
    if pd.api.types.is_float_dtype(dtype):
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        return "float", pc.cast(pa.array(vals, mask=np.isnan(vals)), pa.string())
    try:  # Arrow-backed strings (pandas' default) convert without Python objects
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        mask = s.isna().to_numpy()
        arr = pa.array(
            s.astype("str").to_numpy(dtype=object, na_value=""),
            type=pa.string(),
            mask=mask if mask.any() else None,
        )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return "string", _escape(arr, column)


def _lines(s: pd.Series, key: str, indent: str) -> pa.Array:
    """One ``<type key=.. value=../>`` line per value ('' where missing)."""
    xes_type, text = _typed_text(s, key)
    head = f'{indent}<{xes_type} key="{_escape(pa.array([key]), key)[0].as_py()}" value="'
    out = pc.binary_join_element_wise(pa.scalar(head), text, pa.scalar('"/>\n'), "")
    return pc.fill_null(out, "")


def _batch(df: pd.DataFrame, first: np.ndarray, last: np.ndarray) -> memoryview:
    """The UTF-8 text of a run of events (trace tags where a case starts or ends)."""
    n = len(df)
    event_parts = [pa.scalar("\t\t<event>\n")]
    trace_parts: list[Any] = [pa.scalar("\t<trace>\n")]
    starts = np.flatnonzero(first)
    for col in df.columns:
        if str(col).startswith("case:"):
            key = "concept:name" if col == CASE else str(col)[5:]
            trace_parts.append(_lines(df[col].iloc[starts].reset_index(drop=True), key, "\t\t"))
        else:
            event_parts.append(_lines(df[col], str(col), "\t\t\t"))
    event_parts.append(pa.scalar("\t\t</event>\n"))
    events = pc.binary_join_element_wise(*event_parts, "")
    idx = np.full(n, -1, dtype=np.int64)
    idx[starts] = np.arange(len(starts))
    traces = pc.binary_join_element_wise(*trace_parts, "")
    opening = pc.fill_null(traces.take(pa.array(idx, mask=idx < 0)), "")
    closing = pa.array(np.where(last, "\t</trace>\n", ""), type=pa.string())
    body = pc.binary_join_element_wise(opening, events, closing, "")
    if isinstance(body, pa.ChunkedArray):
        body = body.combine_chunks()
    offsets = np.frombuffer(body.buffers()[1], dtype=np.int32)[body.offset : body.offset + n + 1]
    return memoryview(body.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def write_xes(log: EventLog | pd.DataFrame, path: str | Path) -> Path:
    """Write an event log as XES; gzip-compressed when the name ends with ``.gz``.

    Every column becomes a typed attribute (``datetime`` -> ``date`` in UTC, integers
    -> ``int``, floats -> ``float``, booleans -> ``boolean``, anything else ->
    ``string``); ``case:<key>`` columns become trace attributes (taken from the first
    event of each case). Missing values are left out. No DOCTYPE, no entities.

    Parameters
    ----------
    log
        An :class:`~procmine.EventLog` or a frame with at least ``case:concept:name``.
    path
        Target file (``.xes`` or ``.xes.gz``).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import procmine as pm, pandas as pd, tempfile, pathlib
    >>> df = pd.DataFrame({"case:concept:name": ["A&B"], "concept:name": ["Prüfung <1>"],
    ...                    "time:timestamp": pd.to_datetime(["2024-03-01 08:00"], utc=True)})
    >>> p = write_xes(pm.EventLog(df), pathlib.Path(tempfile.mkdtemp()) / "one.xes")
    >>> pm.read_log(p).df["concept:name"].tolist()
    ['Prüfung <1>']
    """
    df = log.df if isinstance(log, EventLog) else log
    if CASE not in df.columns:
        raise LogError(f"cannot write XES without a {CASE!r} column", path=str(path))
    path = Path(path)
    n = len(df)
    codes, _ = pd.factorize(df[CASE], sort=False, use_na_sentinel=True)
    if (codes < 0).any():
        raise LogError(
            f"{int((codes < 0).sum()):,} event(s) have no case id; cannot write XES",
            path=str(path),
            column=CASE,
        )
    order = np.argsort(codes, kind="stable")
    if not np.array_equal(order, np.arange(n)):
        df = df.iloc[order].reset_index(drop=True)
        codes = codes[order]
    first = np.ones(n, dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    kwargs = {"compresslevel": 6} if opener is gzip.open else {}
    with opener(path, "wb", **kwargs) as f:
        f.write(_HEADER.encode("utf-8"))
        for s in range(0, n, _BATCH):
            e = min(n, s + _BATCH)
            f.write(_batch(df.iloc[s:e].reset_index(drop=True), first[s:e], last[s:e]))
        f.write(b"</log>\n")
    return path
