"""The interval table behind :class:`procmine.calendar.Calendar`.

For the local days spanned by the data, the working intervals in UTC (local wall times
converted per day, so daylight-saving changes are exact) and the cumulative working time
before each interval; cached per calendar and day range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._holidays import public_holidays

if TYPE_CHECKING:
    from . import Calendar

__all__: list[str] = []

_US = 1_000_000
_DAY_US = 86_400 * _US
_BUCKET_US = 15 * 60 * _US  # the grid of Table.interval_of (working hours start on quarter hours)
_GRID_MIN = 50_000  # below this many times a binary search is cheaper than the grid
_GRID_MAX = 4_000_000  # buckets at most


@dataclass(frozen=True, eq=True)
class _Table:
    """Working intervals [a, b) in UTC µs, sorted, and working µs before each."""

    a: np.ndarray
    b: np.ndarray
    cum: np.ndarray  # working µs before interval i
    first_day: int  # days since epoch (local) covered, inclusive
    last_day: int

    @property
    def total(self) -> int:
        return int(self.cum[-1] + self.b[-1] - self.a[-1]) if len(self.a) else 0

    def cum_at(self, t: np.ndarray) -> np.ndarray:
        """Working µs from the table start to ``t`` (int64 µs, no NaT)."""
        if len(self.a) == 0:
            return np.zeros(len(t), dtype=np.int64)
        # min(t, b) - a + cum == min(t + (cum - a), cum + b - a): two gathers instead of three
        shift, done = self._padded
        k = self.interval_of(t)
        out = t + shift[k]
        np.minimum(out, done[k], out=out)
        return out

    @cached_property
    def _padded(self) -> tuple[np.ndarray, np.ndarray]:
        """Per interval, with a zero-length one at -inf first so that every t finds one:
        ``cum - a`` (working µs at t is t plus this, inside the interval) and ``cum + b - a``
        (working µs at its end). Before the table nothing is worked: the first entry's shift
        (2**62) makes ``t + shift`` positive for every real time, so the minimum is its 0."""
        shift = np.concatenate(([1 << 62], self.cum - self.a))
        done = np.concatenate(([0], self.cum + self.b - self.a))
        return shift, done

    def interval_of(self, t: np.ndarray) -> np.ndarray:
        """Per time, the index into the padded intervals of the last interval starting at or
        before it (``searchsorted(a, t, "right")``; 0 before the first).

        On large arrays the answer is read from a grid of :data:`_BUCKET_US` buckets: a
        bucket no interval starts inside of has one answer for all its times (working
        hours start on the quarter hour: nearly every bucket), and only the times in the
        other buckets are searched (a binary search per event costs several cache misses
        on 10 M events; the grid, one division and one gather).
        """
        t = np.asarray(t, dtype=np.int64)
        if len(t) < _GRID_MIN:
            return np.searchsorted(self.a, t, side="right")
        origin, width, k_of, clean = self._grid
        j = t - origin
        j //= width
        j += 1
        np.clip(j, 0, len(k_of) - 1, out=j)
        k = k_of[j]
        dirty = ~clean[j]
        if dirty.any():
            at = np.flatnonzero(dirty)
            k[at] = np.searchsorted(self.a, t[at], side="right")
        return k

    @cached_property
    def _grid(self) -> tuple[int, int, np.ndarray, np.ndarray]:
        """(origin, bucket width, answer per bucket, whether it holds for all the bucket),
        bucket 0 standing for every time before the origin and the last for every time
        after the last interval start."""
        a = self.a
        width = _BUCKET_US
        while (int(a[-1]) - int(a[0])) // width > _GRID_MAX:  # centuries of days: coarser
            width *= 4
        origin = int(a[0]) // width * width
        n = (int(a[-1]) - origin) // width + 1
        lo = origin + np.arange(n, dtype=np.int64) * width
        first = np.searchsorted(a, lo, side="right")
        last = np.searchsorted(a, lo + (width - 1), side="right")
        k_of = np.concatenate(([0], first, [len(a)]))
        clean = np.concatenate(([True], first == last, [True]))
        return origin, width, k_of.astype(np.int64), clean
@lru_cache(maxsize=32)
def _build_table(cal: Calendar, first_day: int, last_day: int) -> _Table:
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
    closed = _closed_days(cal, dates)
    day_parts, start_parts, end_parts = [], [], []
    for wd, ivs in cal._slots.items():  # type: ignore[attr-defined]
        sel = days[(weekday == wd) & ~closed]
        for s, e in ivs:
            day_parts.append(sel)
            start_parts.append(np.full(len(sel), s, dtype=np.int64))
            end_parts.append(np.full(len(sel), e, dtype=np.int64))
    if not day_parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Table(empty, empty, empty, first_day, last_day)
    d = np.concatenate(day_parts)
    s = np.concatenate(start_parts)
    e = np.concatenate(end_parts)
    order = np.lexsort((s, d))
    d, s, e = d[order], s[order], e[order]
    a = _local_to_utc_us(d * _DAY_US + s * _US, cal.tz)
    b = _local_to_utc_us(d * _DAY_US + e * _US, cal.tz)
    # a DST jump can make an interval empty or reversed: clamp, keep order
    b = np.maximum(b, a)
    lengths = b - a
    cum = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return _Table(a, b, cum, first_day, last_day)


def _closed_days(cal: Calendar, dates: np.ndarray) -> np.ndarray:
    if len(dates) == 0:
        return np.zeros(0, dtype=bool)
    years = range(int(str(dates[0])[:4]), int(str(dates[-1])[:4]) + 1)
    fixed = cal._fixed  # type: ignore[attr-defined]
    hol = set(public_holidays(cal.canton, years)) if fixed is None else set(fixed)
    hol = (hol | set(cal._added)) - set(cal._removed)
    if not hol:
        return np.zeros(len(dates), dtype=bool)
    return np.isin(dates, np.array(sorted(hol), dtype="datetime64[D]"))


def _local_to_utc_us(local_us: np.ndarray, tz: str) -> np.ndarray:
    """Naive local wall times (µs) -> UTC µs. Nonexistent times (spring gap) move to the
    end of the gap; ambiguous ones (autumn) take the first (summer-time) occurrence."""
    if tz == "UTC":
        return local_us
    idx = pd.DatetimeIndex(local_us.astype("datetime64[us]"))
    loc = idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward")
    return loc.tz_convert("UTC").as_unit("us").asi8
