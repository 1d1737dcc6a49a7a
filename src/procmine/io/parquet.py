"""Parquet reader (pyarrow): typed columns kept, then :func:`read_frame`.

Timestamp columns keep their type: naive ones are local time in ``tz`` (default
Europe/Zurich), tz-aware ones are converted to UTC. Row numbers count rows from 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .._core.codes import keep_dictionary_codes
from ..errors import LogError
from ..log import EventLog
from ._common import CaseBlocks, ReadOptions
from .detect import _CANONICAL, match_header
from .frame import read_frame

__all__ = ["read_parquet"]


def read_parquet(path: str | Path, opts: ReadOptions | None = None) -> EventLog:
    """Read a Parquet event log.

    Parameters
    ----------
    path
        The ``.parquet`` file, or a folder of Parquet files partitioned as ``column=value``
        subfolders (as Spark, DuckDB and pandas write them), read as one dataset with the
        partition columns.
    opts
        :func:`procmine.read_log` options.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "log.parquet")
    >>> pd.DataFrame({"case": ["1", "1"], "activity": ["a", "b"],
    ...               "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-07-01 10:00"])}).to_parquet(p)
    >>> read_parquet(p).df["time:timestamp"].dt.hour.tolist()  # naive Zurich time -> UTC
    [9, 8]
    """
    opts = opts or ReadOptions()
    src = str(path)
    try:
        import pyarrow.parquet as pq

        fields = _dictionary_guesses(path, opts)
        extra = {}
        if Path(path).is_dir():
            import pyarrow.dataset as pads

            # a folder partitioned as ``column=value``: the values as text or numbers, like the
            # files' own columns (pyarrow's default makes them dictionaries, pandas categories)
            extra["partitioning"] = pads.partitioning(flavor="hive")
        table = pq.read_table(path, read_dictionary=[f.name for f in fields] or None, **extra)
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise LogError("reading Parquet needs pyarrow: pip install pyarrow", path=src) from exc
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise LogError(
            f"cannot read the file as Parquet ({exc}); check that it is a complete .parquet file",
            path=src,
        ) from exc
    if table.num_rows == 0:
        raise LogError("the Parquet file has no rows; expected one row per event", path=src)
    # the case blocks' thread first: it runs while the activity column is cast back below
    # (a column read as a dictionary is not text to it: never the activity's)
    table, blocks = _start_case_blocks(table, opts)
    coded = []
    for field in fields:
        table, got = _plain_dictionary(table, field)
        if got is not None:
            coded.append((field.name, got))
    table, masked = _take_masked_integers(table)
    # handing freed pages back costs 10-15 ms a call, whatever the size: only worth it on
    # tables whose columns are converted one at a time (see _to_pandas)
    big = table.nbytes >= WHOLE_BELOW
    held = [table]  # handed over: the conversion frees each column once converted
    del table
    df = _to_pandas(held)
    while masked:  # converted once the rest of the table is gone, each freed once copied
        pos, name, np_type, column = masked.pop(0)
        # as a Series: DataFrame.insert copies a bare array (0.7 s on three columns of 10 M rows)
        df.insert(pos, name, pd.Series(_masked_integers(column, np_type), index=df.index, copy=False))
        del column
    # Arrow's allocator keeps freed pages for reuse; hand them back so that the frame's
    # clean-up and the analyses after it do not stack on them (1.1 GB on 10 M events)
    pool = pa.default_memory_pool()
    if big:
        pool.release_unused()
    for name, (codes, dictionary) in coded:
        arr = getattr(df[name].array, "_pa_array", None)
        if arr is not None:  # the checks and codes of the column find them (see dictionary_codes)
            keep_dictionary_codes(arr, (codes, dictionary.cast(arr.type)))
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    log = read_frame(df, opts, source=src, fmt="parquet", case_blocks=blocks)
    del df
    if big:
        pool.release_unused()
    return log


#: tables smaller than this (bytes in Arrow) are converted whole: one column at a time costs
#: about 2 ms of pandas metadata per column (30 ms of a 0.2 s read on 1.1 M events) and
#: saves 60 MB of peak there; on 10 M events it saves 0.6 GB at no measurable time
WHOLE_BELOW = 512 * 2**20


def _to_pandas(held: list[pa.Table]) -> pd.DataFrame:
    """The table in ``held`` (taken out of it) as ``Table.to_pandas`` converts it, one
    column at a time, the Arrow memory of each handed back before the next (tables under
    :data:`WHOLE_BELOW`: whole).

    Converted whole, the columns that pandas copies (numbers, dates) were all allocated
    while the Arrow allocator still held the buffers they came from: 0.6 GB of peak on 10 M
    events. Text columns are not copied (pandas keeps the Arrow strings). Tables with an
    index stored as columns or with repeated names are converted whole.
    """
    table = held.pop()
    if table.nbytes < WHOLE_BELOW:  # the per-column calls cost more than the memory they save
        return table.to_pandas(split_blocks=True, self_destruct=True)
    template = table.slice(0, 0).to_pandas()  # the columns' labels as pandas restores them
    names = table.column_names
    if not isinstance(template.index, pd.RangeIndex) or len(set(names)) != len(names) or len(template.columns) != len(names):
        return table.to_pandas(split_blocks=True, self_destruct=True)
    pool = pa.default_memory_pool()
    parts: dict[int, pd.Series] = {}
    for i in range(len(names)):
        one = table.select([0])
        table = table.remove_column(0)
        parts[i] = one.to_pandas(split_blocks=True, self_destruct=True).iloc[:, 0]
        del one
        pool.release_unused()
    df = pd.DataFrame(parts, copy=False)
    df.columns = template.columns
    return df


def _dictionary_guesses(path: str | Path, opts: ReadOptions) -> list[pa.Field]:
    """The text columns (their fields) the activity and the lifecycle transition will be
    taken from, by their headers (a guess: it only decides which columns are read with
    their Parquet dictionary); none for a folder of parts.

    Both hold a handful of values: Parquet stores them as a dictionary and row codes. Read
    that way the activity costs a quarter of reading it as text, and its codes come with it
    (hashing the names again costs about as much as reading them: 0.2 s on 10 M events);
    the lifecycle column's dictionary says at once whether it holds a single word (the
    usual complete-only log), which comparing every row costs 6 ms a million rows.
    """
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        return []  # a folder of parts: read as it is
    schema = pq.read_schema(path)
    found = [_guess(schema, opts.activity, "activity"), _guess(schema, opts.lifecycle, "lifecycle")]
    fields = [f for f in found if f is not None]
    return fields if len({f.name for f in fields}) == len(fields) else fields[:1]


def _start_case_blocks(table: pa.Table, opts: ReadOptions) -> tuple[pa.Table, CaseBlocks | None]:
    """The case blocks (:class:`~procmine.io._common.CaseBlocks`) of the column the case
    id will likely be taken from, started in a thread on the Arrow column before the
    frame is built (the activity's cast and the frame's conversion run meanwhile), and the
    table with that column as pandas will hold it (large strings, the same buffers: the
    frame's column is then covered by the blocks). None, and the table as it was, when no
    text column is guessed.
    """
    field = _guess(table.schema, opts.case, "case")
    if field is None or table.num_rows < CaseBlocks.MIN_ROWS:
        return table, None
    i = table.column_names.index(field.name)
    column = table.column(i)
    if column.type != pa.large_string():  # pandas holds its text as large strings
        column = column.cast(pa.large_string())
        table = table.set_column(i, field.with_type(pa.large_string()), column)
    return table, CaseBlocks.start(pd.Series(pd.arrays.ArrowStringArray(column), copy=False))


def _guess(schema: pa.Schema, given: str | None, role: str) -> pa.Field | None:
    """The text column (its field) a role will likely be taken from: the one named by the
    caller, else pm4py's name, else the only header naming the role exactly; or None."""
    names = schema.names
    if given is not None:
        name = given
    elif _CANONICAL[role] in names:
        name = _CANONICAL[role]
    else:
        named = [c for c in names if match_header(c) == (role, 3)]
        name = named[0] if len(named) == 1 else None
    if name is None or names.count(name) != 1:
        return None
    field = schema.field(name)
    return field if field.type in (pa.string(), pa.large_string()) else None


def _plain_dictionary(table: pa.Table, field: pa.Field | None) -> tuple[pa.Table, tuple[np.ndarray, pa.Array] | None]:
    """The table with a column read as a dictionary (the activity's, the lifecycle's) back to its ``field``
    (the same values and type as read plainly), and the column's
    :func:`~procmine._core.codes.dictionary_codes` (codes in order of first appearance);
    None for the codes when the dictionary holds a missing or a repeated value."""
    import pyarrow.compute as pc

    if field is None or table.column_names.count(field.name) != 1:
        return table, None
    i = table.column_names.index(field.name)
    column = table.column(i)
    if not pa.types.is_dictionary(column.type):
        return table, None
    column = column.unify_dictionaries()  # one dictionary for all chunks
    table = table.set_column(i, table.schema.field(i).with_type(field.type), column.cast(field.type))
    if not column.num_chunks:
        return table, None
    dictionary = column.chunk(0).dictionary.cast(field.type)
    if dictionary.null_count or len(pc.unique(dictionary)) != len(dictionary):
        return table, None
    indices = [ch.indices for ch in column.chunks]
    if len(dictionary) == 1 and not column.null_count:  # one value throughout (a complete-only lifecycle)
        return table, (np.zeros(len(column), dtype=np.int32), dictionary)
    raw = np.concatenate([np.asarray(pc.fill_null(ch, -1) if ch.null_count else ch) for ch in indices])
    raw = raw.astype(np.int32, copy=False)
    # dictionary_codes numbers the values in order of first appearance, dropping unused ones;
    # a file written by Arrow stores them in that order already
    seen = _first_appearance(indices, len(dictionary))
    if len(seen) == len(dictionary) and np.array_equal(seen, np.arange(len(seen))):
        return table, (raw, dictionary)
    renumber = np.full(len(dictionary) + 1, -1, dtype=np.int32)  # last entry: missing (-1)
    renumber[seen] = np.arange(len(seen), dtype=np.int32)
    return table, (renumber[raw], dictionary.take(pa.array(seen)))


def _first_appearance(indices: list[pa.Array], size: int) -> np.ndarray:
    """The dictionary indices of the chunks in order of first appearance (nulls left out);
    the chunks are looked at until every index of a dictionary of ``size`` has appeared."""
    import pyarrow.compute as pc

    seen = np.zeros(size, dtype=bool)
    parts = []
    for ch in indices:
        got = pc.unique(ch).drop_null().to_numpy().astype(np.int64)  # in order of appearance
        new = got[~seen[got]]
        if len(new):
            parts.append(new)
            seen[new] = True
            if seen.all():
                break
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


#: pandas' nullable integer dtypes, as the pandas metadata of a Parquet file names them
_MASKED_INTS = {f"{u}Int{b}" for u in ("", "U") for b in (8, 16, 32, 64)}


def _take_masked_integers(table: pa.Table) -> tuple[pa.Table, list[tuple[int, str, np.dtype, pa.ChunkedArray]]]:
    """The table without its pandas nullable integer columns (``Int64``...), and those
    columns as (position, name, numpy type, Arrow column) for :func:`_masked_integers`.

    pandas converts them by joining the chunks, copying the values out and copying them
    again (0.7 s and two extra copies on three columns of 10 M rows); there the values
    are copied once, chunk by chunk, into the array pandas keeps. Only for frames without
    index columns, so that table and frame columns correspond one to one.
    """
    meta = table.schema.pandas_metadata or {}
    names = table.column_names
    if len(set(names)) != len(names) or any(not isinstance(i, dict) for i in meta.get("index_columns", [])):
        return table, []
    found = []
    for col in meta.get("columns", []):
        name, kind = col.get("field_name", col.get("name")), col.get("numpy_type")
        # a column pandas names otherwise (not text, e.g. 0) is left to pandas, which restores its name
        if kind in _MASKED_INTS and name in names and col.get("name") == name:
            np_type = np.dtype(kind.lower())
            if table.schema.field(name).type == pa.from_numpy_dtype(np_type):
                found.append((names.index(name), name, np_type, table.column(name)))
    if not found:
        return table, []
    found.sort(key=lambda f: f[0])
    return table.drop_columns([f[1] for f in found]), found


def _masked_integers(column: pa.ChunkedArray, np_type: np.dtype) -> pd.api.extensions.ExtensionArray:
    """An Arrow integer column as a pandas nullable integer array (one copy of the values).

    The chunks' values are viewed in place and joined by one copy, their missing marks
    likewise: a few calls per column, not several per chunk (a call that releases the GIL
    per chunk waited for it behind the reader's case-block thread: 0.13 s a column on 10 M
    events, 0.015 s alone)."""
    n = len(column)
    values: list[np.ndarray] = []
    valid: list[np.ndarray] = []
    for ch in column.chunks:
        k = len(ch)
        if not k:
            continue
        bufs = ch.buffers()
        if bufs[1] is None:  # no values at all (every row missing)
            values.append(np.zeros(k, dtype=np_type))
        else:
            values.append(np.frombuffer(bufs[1], dtype=np_type, count=ch.offset + k)[ch.offset :])
        if ch.null_count:  # the validity bits of this chunk's rows only (chunks share buffers)
            first, bit = divmod(ch.offset, 8)
            raw = np.frombuffer(bufs[0], dtype=np.uint8, count=(ch.offset + k + 7) // 8)[first:]
            valid.append(np.unpackbits(raw, bitorder="little")[bit : bit + k].view(bool))
        else:
            valid.append(np.ones(k, dtype=bool))
    data = np.concatenate(values) if values else np.zeros(0, dtype=np_type)
    missing = ~np.concatenate(valid) if valid else np.zeros(0, dtype=bool)
    assert len(data) == n
    return pd.arrays.IntegerArray(data, missing)
