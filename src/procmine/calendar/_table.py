"""The interval table behind :class:`procmine.calendar.Calendar`.

For the local days spanned by the data, the working intervals in UTC (local wall times
converted per day, so daylight-saving changes are exact) and the cumulative working time
before each interval; cached per calendar and day range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._holidays import public_holidays

if TYPE_CHECKING:
    from . import Calendar

__all__: list[str] = []

_US = 1_000_000
_DAY_US = 86_400 * _US
NAT = np.iinfo(np.int64).min


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
        # pad with a zero-length interval at -inf so that every t finds one
        a = np.concatenate(([NAT], self.a))
        b = np.concatenate(([NAT], self.b))
        cum = np.concatenate(([0], self.cum))
        k = np.searchsorted(a, t, side="right")
        k -= 1
        out = np.minimum(t, b[k])
        out -= a[k]
        out += cum[k]
        return out


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
