"""Inputs and outputs of :class:`procmine.calendar.Calendar`: clock strings, dates,
instants and durations in, int64 microseconds or Series out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import fail

__all__: list[str] = []


def _parse_clock(value: Any, func: str) -> int:
    """'07:30' / datetime.time -> seconds after midnight ('24:00' allowed as an end)."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    try:
        parts = [int(p) for p in str(value).split(":")]
        if not 2 <= len(parts) <= 3:
            raise ValueError
        h, m, s = [*parts, 0][:3]
        if not (0 <= m < 60 and 0 <= s < 60 and 0 <= h <= 24) or (h == 24 and (m or s)):
            raise ValueError
    except ValueError:
        raise fail(func, "hours", "a mapping weekday -> [('HH:MM', 'HH:MM'), ...]", value) from None
    return h * 3600 + m * 60 + s


def _to_date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _as_us(values: Any) -> tuple[np.ndarray, pd.Index | None]:
    """Instants -> (int64 µs UTC with NaT sentinel, index if the input was a Series)."""
    index = None
    if isinstance(values, pd.Series):
        index = values.index
        values = values.array
    if isinstance(values, (pd.DatetimeIndex, pd.arrays.DatetimeArray)) or (
        hasattr(values, "dtype") and isinstance(values.dtype, pd.DatetimeTZDtype)
    ):
        idx = pd.DatetimeIndex(values)
        if idx.tz is None:
            idx = idx.tz_localize("UTC")
        return idx.tz_convert("UTC").as_unit("us").asi8.copy(), index
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[us]").view(np.int64), index
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False), index
    if arr.dtype == object or arr.dtype.kind in "OUS":
        idx = pd.to_datetime(pd.Series(arr), utc=True).dt.as_unit("us")
        return idx.to_numpy(dtype="datetime64[us]").view(np.int64), index
    raise fail("Calendar", "instants", "timestamps as int64 microseconds, datetime64 values or a datetime Series",
               f"dtype {arr.dtype}")


def _as_duration_us(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, (pd.Timedelta, dt.timedelta)):
        return np.full(shape, pd.Timedelta(values).as_unit("us")._value, dtype=np.int64)
    arr = np.asarray(values)
    if arr.dtype.kind == "m":
        arr = arr.astype("timedelta64[us]").view(np.int64)
    elif arr.dtype.kind not in "iu":
        arr = pd.to_timedelta(pd.Series(arr)).dt.as_unit("us").to_numpy().view(np.int64)
    arr = np.broadcast_to(arr.astype(np.int64, copy=False), shape)
    return np.array(arr)


def _wrap(out: np.ndarray, index: pd.Index | None) -> Any:
    if index is None:
        return out
    return pd.Series(out.view("timedelta64[us]"), index=index, name="working_time")


def _wrap_ts(out: np.ndarray, index: pd.Index | None) -> Any:
    if index is None:
        return out
    return pd.Series(pd.DatetimeIndex(out.view("datetime64[us]")).tz_localize("UTC"), index=index)
