"""Office hours of a Swiss cantonal administration, as the simulation's clock.

Time is counted in minutes (float) since local midnight of the first simulated day,
in local (Europe/Zurich) wall-clock time. Working time is Mon–Fri 07:30–12:00 and
13:30–17:00 outside Swiss public holidays. ``W(t)`` (working minutes before ``t``) and
its inverse make "add 90 working minutes" a pair of binary searches.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right

from ..calendar._holidays import easter_sunday as easter

__all__ = ["OfficeCalendar", "easter", "swiss_holidays"]

#: (open, close) in minutes after midnight
OFFICE_HOURS: tuple[tuple[int, int], ...] = ((7 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60))
DAY = 1440.0


def swiss_holidays(year: int) -> set[dt.date]:
    """New Year, 2 Jan, Good Friday, Easter Monday, Ascension, Whit Monday, 1 Aug, 25/26 Dec."""
    e = easter(year)
    return {
        dt.date(year, 1, 1),
        dt.date(year, 1, 2),
        e - dt.timedelta(days=2),
        e + dt.timedelta(days=1),
        e + dt.timedelta(days=39),
        e + dt.timedelta(days=50),
        dt.date(year, 8, 1),
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
    }


class OfficeCalendar:
    """Working intervals from ``origin`` for ``days`` days, with working-time arithmetic."""

    def __init__(self, origin: dt.date, days: int) -> None:
        self.origin = origin
        self.days = days
        holidays: set[dt.date] = set()
        for year in range(origin.year, (origin + dt.timedelta(days=days)).year + 1):
            holidays |= swiss_holidays(year)
        starts: list[float] = []
        ends: list[float] = []
        cum: list[float] = []
        working_days: list[int] = []
        total = 0.0
        for d in range(days):
            date = origin + dt.timedelta(days=d)
            if date.weekday() >= 5 or date in holidays:
                continue
            working_days.append(d)
            for a, b in OFFICE_HOURS:
                starts.append(d * DAY + a)
                ends.append(d * DAY + b)
                cum.append(total)
                total += b - a
        self.starts, self.ends, self.cum = starts, ends, cum
        self.working_days = working_days
        self.total = total
        self.minutes_per_day = float(sum(b - a for a, b in OFFICE_HOURS))

    def work_before(self, t: float) -> float:
        """Working minutes between the origin and ``t``."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0
        return self.cum[i] + min(t, self.ends[i]) - self.starts[i]

    def _at_work(self, w: float, *, end: bool) -> float:
        if w >= self.total:
            raise OverflowError("simulation ran past the calendar horizon")
        j = (bisect_left(self.cum, w) if end else bisect_right(self.cum, w)) - 1
        j = max(j, 0)
        # clamp: floating-point noise must not push a time past its interval
        return min(max(self.starts[j] + (w - self.cum[j]), self.starts[j]), self.ends[j])

    def next_open(self, t: float) -> float:
        """``t`` if it is within office hours (before closing), else the next opening time."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        if i + 1 >= len(self.starts):
            raise OverflowError("simulation ran past the calendar horizon")
        return self.starts[i + 1]

    def add(self, t: float, minutes: float) -> float:
        """The time at which ``minutes`` of work started at ``t`` are done."""
        if minutes <= 0:
            return self.next_open(t)
        return self._at_work(self.work_before(t) + minutes, end=True)

    def next_release(self, t: float, weekday: int | None, minute: float) -> float:
        """The first slot at ``minute`` on a working day at or after ``t``.

        ``weekday`` (0=Mon) makes it a weekly slot; ``None`` a daily one.
        """
        day = int(t // DAY)
        step = 1
        if weekday is not None:
            wd0 = (self.origin + dt.timedelta(days=day)).weekday()
            day += (weekday - wd0) % 7
            step = 7
        while True:
            slot = day * DAY + minute
            if slot >= t and self.next_open(slot) == slot:
                return slot
            day += step
