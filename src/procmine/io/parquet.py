"""Parquet reader (pyarrow): typed columns kept, then :func:`read_frame`.

Timestamp columns keep their type: naive ones are local time in ``tz`` (default
Europe/Zurich), tz-aware ones are converted to UTC. Row numbers count rows from 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import LogError
from ..log import EventLog
from ._common import ReadOptions
from .frame import read_frame

__all__ = ["read_parquet"]


def read_parquet(path: str | Path, opts: ReadOptions | None = None) -> EventLog:
    """Read a Parquet event log.

    Parameters
    ----------
    path
        The ``.parquet`` file (or a folder of Parquet parts pyarrow reads as one dataset).
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

        table = pq.read_table(path)
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise LogError("reading Parquet needs pyarrow: pip install pyarrow", path=src) from exc
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise LogError(
            f"cannot read the file as Parquet ({exc}); check that it is a complete .parquet file",
            path=src,
        ) from exc
    if table.num_rows == 0:
        raise LogError("the Parquet file has no rows; expected one row per event", path=src)
    # release the Arrow buffers column by column while converting: the table and the
    # frame are never both whole in memory (saves about one frame of peak on big logs)
    df = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    # Arrow's allocator keeps freed pages for reuse; hand them back so that the frame's
    # clean-up and the analyses after it do not stack on them (1.1 GB on 10 M events)
    pool = pa.default_memory_pool()
    pool.release_unused()
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    log = read_frame(df, opts, source=src, fmt="parquet")
    del df
    pool.release_unused()
    return log
