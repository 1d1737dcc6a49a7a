"""Day arithmetic of legal time limits, as Swiss procedural law counts (vectorised).

All functions work on ``datetime64[D]`` arrays of *local* dates (the calendar's time zone).

* A period in days starts the day after the triggering event (Art. 20 para. 1 VwVG,
  Art. 142 para. 1 ZPO) and ends at the end of its last day.
* A period in weeks or months ends on the day of the last week or month with the same
  weekday or number as the triggering day (Art. 20 para. 2 VwVG reads together with
  Art. 77 OR, Art. 142 para. 2 ZPO); a day the month does not have clamps to its end
  (31 January + 1 month -> 28/29 February).
* A last day on a Saturday, a Sunday or a public holiday moves to the next working day
  (Art. 20 para. 3 VwVG, Art. 142 para. 3 ZPO; the federal law on Saturdays, SR 173.110.3).
* The stand-still (Fristenstillstand, Art. 22a VwVG, Art. 145 ZPO): the 7th day before
  Easter to the 7th day after Easter inclusive, 15 July to 15 August, 18 December to
  2 January do not count in periods set in days; a period that would start in a
  stand-still starts the day after it (Art. 146 ZPO).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

from . import easter_sunday

__all__ = ["DayGrid", "add_months", "standstill_days"]

_ONE = np.timedelta64(1, "D")


def standstill_days(years: Iterable[int]) -> np.ndarray:
    """The stand-still days of ``years`` (sorted ``datetime64[D]``).

    Examples
    --------
    >>> d = standstill_days([2024])
    >>> str(d[0]), len(d)  # 2024-01-01..02 belong to the Christmas stand-still of 2023/24
    ('2024-01-01', 63)
    """
    out = []
    for y in years:
        e = np.datetime64(easter_sunday(int(y)), "D")
        out.append(np.arange(e - 7, e + 8))
        out.append(np.arange(np.datetime64(f"{y:04d}-07-15"), np.datetime64(f"{y:04d}-08-16")))
        out.append(np.arange(np.datetime64(f"{y:04d}-12-18"), np.datetime64(f"{y + 1:04d}-01-01")))
        out.append(np.arange(np.datetime64(f"{y:04d}-01-01"), np.datetime64(f"{y:04d}-01-03")))
    return np.unique(np.concatenate(out)) if out else np.array([], dtype="datetime64[D]")


def add_months(day: np.ndarray, months: int) -> np.ndarray:
    """The same-numbered day ``months`` later, clamped to the end of a shorter month.

    Examples
    --------
    >>> str(add_months(np.array(["2024-01-31"], dtype="datetime64[D]"), 1)[0])
    '2024-02-29'
    """
    month = day.astype("datetime64[M]")
    number = (day - month.astype("datetime64[D]")).astype(np.int64)  # 0-based day of month
    target = month + np.timedelta64(months, "M")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(number, length - 1).astype("timedelta64[D]")


class DayGrid:
    """Every day from ``first`` to ``last`` with its legal status, for lookups by index.

    ``holidays``: the closed public holidays (any order); ``office_days``: the weekdays
    (0 = Monday) the office works, for periods in working days.
    """

    def __init__(self, first: np.datetime64, last: np.datetime64, holidays: Iterable[dt.date],
                 office_days: Iterable[int] = range(5)) -> None:
        self.first = np.datetime64(first, "D")
        self.days = np.arange(self.first, np.datetime64(last, "D") + 1)
        n = len(self.days)
        weekday = (self.days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        hol = np.array(sorted(holidays), dtype="datetime64[D]") if holidays else np.array([], dtype="datetime64[D]")
        self.holiday = np.isin(self.days, hol)
        #: a day on which a period may end (not Saturday, Sunday or a public holiday)
        self.open = (weekday < 5) & ~self.holiday
        #: a working day of the office (its open weekdays, not a holiday)
        self.office = np.isin(weekday, list(office_days)) & ~self.holiday
        years = range(int(str(self.days[0])[:4]) - 1, int(str(self.days[-1])[:4]) + 1) if n else range(0)
        self.still = np.isin(self.days, standstill_days(years))
        idx = np.where(self.open, np.arange(n), n)
        self._next_open = np.minimum.accumulate(idx[::-1])[::-1] if n else idx

    def index(self, day: np.ndarray) -> np.ndarray:
        return (day - self.first).astype(np.int64)

    def next_open(self, day: np.ndarray) -> np.ndarray:
        """``day`` itself if a period may end on it, else the next such day."""
        i = self._next_open[self.index(day)]
        if (i >= len(self.days)).any():
            raise IndexError("day grid too short")  # the caller sizes the grid; a bug otherwise
        return self.days[i]

    def count_forward(self, day: np.ndarray, n: int, counted: np.ndarray) -> np.ndarray:
        """The ``n``-th day strictly after ``day`` on which ``counted`` is true."""
        cum = np.cumsum(counted)
        want = cum[self.index(day)] + n
        i = np.searchsorted(cum, want, side="left")
        if (i >= len(self.days)).any():
            raise IndexError("day grid too short")
        return self.days[i]
