"""Working-time calendars: office hours, lunch breaks, public holidays, time zone.

A :class:`Calendar` turns elapsed time into *working time*: the part of an interval that
falls inside office hours on a working day. The default ``Calendar()`` is a Swiss
office week (Mon–Fri 07:30–12:00 and 13:30–17:00 in Europe/Zurich, 8 h a day) closed on
the public holidays common to *all* cantons (New Year, Ascension, National Day,
Christmas); ``Calendar(canton="BE")`` closes on Bern's public holidays instead, as the
``holidays`` package lists them. ``Calendar.always()`` counts every second (elapsed time).

One working day is :attr:`Calendar.day_hours` long (weekly office hours divided by the
open weekdays); every figure in working days is converted with the calendar it was
measured with, and names it (``Calendar.label``).

Everything is vectorised: for the days spanned by the data the calendar builds a table
of working intervals in UTC (local wall times converted per day, so daylight-saving
changes are exact) and the cumulative working time before each interval. The working
time between two instants is then ``cum(end) - cum(start)``, found with
``np.searchsorted`` for millions of events at once.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import NAT
from .._core.validation import fail
from ._holidays import check_canton, easter_sunday, public_holidays
from ._inputs import _as_duration_us, _as_us, _parse_clock, _to_date, _wrap, _wrap_ts
from ._table import _DAY_US, _US, _build_table, _Table

__all__ = ["Calendar", "easter_sunday"]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_SWISS_HOURS: dict[int, tuple[tuple[str, str], ...]] = {
    d: (("07:30", "12:00"), ("13:30", "17:00")) for d in range(5)
}


@dataclass(frozen=True)
class Calendar:
    """Office hours per weekday, public holidays and a time zone.

    Parameters
    ----------
    hours
        ``{weekday: [("HH:MM", "HH:MM"), ...]}`` with 0 = Monday; a weekday absent or
        mapped to ``[]`` is closed. Intervals are local wall-clock times, must not
        overlap, and ``"24:00"`` may end a day. Default: Mon–Fri 07:30–12:00 and
        13:30–17:00 (8 h a day).
    holidays
        ``"CH"`` (default): Swiss public holidays from the ``holidays`` package, those of
        ``canton``, or without a canton the days common to all cantons (New Year,
        Ascension, National Day, Christmas); ``None`` or ``()``: no holidays; an iterable
        of dates: exactly these days.
    canton
        A canton code (``"BE"``, ``"ZH"``, ``"GE"``, ...: the subdivisions of the
        ``holidays`` package, see :func:`procmine.calendar._holidays.cantons`): close on
        that canton's public holidays (optional and half-day holidays stay working
        days; add them with :meth:`add_holidays`). ``None`` (default): only the
        national days every canton shares.
    tz
        IANA time zone of the office hours. Timestamps are UTC; they are converted to
        local wall time day by day, so daylight-saving changes are handled exactly.

    Notes
    -----
    ``working_time(start, end)`` is ``cum(end) - cum(start)`` where ``cum`` counts the
    working time since a fixed origin; when ``end < start`` the result is therefore the
    *negative* working time of ``[end, start]`` (as with elapsed time), never an error.

    Examples
    --------
    >>> import pandas as pd
    >>> cal = Calendar()
    >>> fri = pd.Timestamp("2024-03-08 16:00", tz="Europe/Zurich")
    >>> mon = pd.Timestamp("2024-03-11 08:00", tz="Europe/Zurich")
    >>> cal.working_time(pd.Series([fri]), pd.Series([mon]))[0]
    Timedelta('0 days 01:30:00')
    >>> Calendar.always().working_time(pd.Series([fri]), pd.Series([mon]))[0]
    Timedelta('2 days 16:00:00')
    >>> Calendar(canton="BE").label, Calendar(canton="BE").day_hours
    ('BE', 8.0)
    """

    hours: Mapping[int, Sequence[tuple[Any, Any]]] | None = None
    holidays: Any = "CH"
    tz: str = "Europe/Zurich"
    canton: str | None = None
    _added: frozenset[dt.date] = field(default=frozenset(), repr=False)
    _removed: frozenset[dt.date] = field(default=frozenset(), repr=False)
    _elapsed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        func = "Calendar"
        hours = _SWISS_HOURS if self.hours is None else self.hours
        if not isinstance(hours, Mapping):
            raise fail(func, "hours", "a mapping weekday (0=Monday) -> list of (start, end)", hours)
        slots: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, intervals in hours.items():
            if isinstance(day, bool) or not isinstance(day, (int, np.integer)) or not 0 <= day <= 6:
                raise fail(func, "hours", "keyed by weekday numbers 0 (Monday) to 6 (Sunday)", day)
            parsed = sorted((_parse_clock(s, func), _parse_clock(e, func)) for s, e in intervals)
            for (s, e), nxt in zip(parsed, [*parsed[1:], (86_400, 86_400)]):
                if not s < e <= 86_400 or e > nxt[0]:
                    raise fail(func, "hours", f"(start, end) pairs with start < end that do not overlap (an "
                               f"empty or overlapping interval on {_DAY_NAMES[int(day)]})", list(intervals))
            if parsed:
                slots[int(day)] = tuple(parsed)
        object.__setattr__(self, "_slots", slots)
        if isinstance(self.holidays, str):
            if self.holidays != "CH":
                raise fail(func, "holidays", "'CH', None or an iterable of dates", self.holidays)
            fixed: frozenset[dt.date] | None = None
        elif self.holidays is None:
            fixed = frozenset()
        else:
            try:
                fixed = frozenset(_to_date(d) for d in self.holidays)
            except (TypeError, ValueError):
                raise fail(func, "holidays", "'CH', None or an iterable of dates", self.holidays) from None
        object.__setattr__(self, "_fixed", fixed)
        if self.canton is not None:
            if fixed is not None:
                raise fail(func, "holidays", f"'CH' (the default) with canton={self.canton!r}: a canton chooses "
                           "the Swiss public holidays, so leave holidays='CH' or drop canton", self.holidays)
            object.__setattr__(self, "canton", check_canton(self.canton))
        try:
            pd.Timestamp("2000-01-01").tz_localize(self.tz)
        except Exception:  # pytz/zoneinfo raise various types
            raise fail(func, "tz", "an IANA time zone name such as 'Europe/Zurich'", self.tz) from None

    # -- construction ----------------------------------------------------------------
    @classmethod
    def always(cls) -> Calendar:
        """A 24/7 calendar without holidays: working time equals elapsed time.

        Examples
        --------
        >>> Calendar.always().is_elapsed
        True
        """
        return cls(hours={d: [("00:00", "24:00")] for d in range(7)}, holidays=None, tz="UTC", _elapsed=True)

    def add_holidays(self, dates: Iterable[Any]) -> Calendar:
        """A new calendar with these extra closed days (e.g. a cantonal holiday)."""
        added = frozenset(_to_date(d) for d in dates)
        return _replace(self, _added=self._added | added, _removed=self._removed - added)

    def remove_holidays(self, dates: Iterable[Any]) -> Calendar:
        """A new calendar where these days are working days again (if office hours say so)."""
        removed = frozenset(_to_date(d) for d in dates)
        return _replace(self, _removed=self._removed | removed, _added=self._added - removed)

    # -- description -----------------------------------------------------------------------------
    @property
    def is_elapsed(self) -> bool:
        """True for :meth:`always` (every second counts)."""
        return self._elapsed

    @property
    def weekly_hours(self) -> float:
        """Working hours in a week without holidays."""
        return sum(e - s for ivs in self._slots.values() for s, e in ivs) / 3600  # type: ignore[attr-defined]

    @property
    def day_hours(self) -> float:
        """Hours of one working day: :attr:`weekly_hours` over the weekdays with office hours.

        Every conversion of working hours into working days uses it (reports, ``repr``,
        the command line), so one finding shows one number of working days everywhere.
        ``0.0`` for a calendar that is never open; 24 for :meth:`always`.

        Examples
        --------
        >>> Calendar().day_hours, Calendar.always().day_hours
        (8.0, 24.0)
        """
        open_days = len(self._slots)  # type: ignore[attr-defined]
        return self.weekly_hours / open_days if open_days else 0.0

    @property
    def label(self) -> str:
        """Short name of the calendar for captions: the canton code, ``"CH"`` (national
        holidays only), ``"always"`` (elapsed time) or ``"custom"`` (own holidays)."""
        if self._elapsed:
            return "always"
        if self._fixed is not None:  # type: ignore[attr-defined]
            return "custom"
        return self.canton or "CH"

    def holidays_in(self, year: int) -> dict[dt.date, str]:
        """The closed days of ``year`` that fall on dates, with their names."""
        base = (
            public_holidays(self.canton, [year])
            if self._fixed is None  # type: ignore[attr-defined]
            else {d: "holiday" for d in self._fixed if d.year == year}  # type: ignore[attr-defined]
        )
        base.update({d: "added holiday" for d in self._added if d.year == year})
        return {d: n for d, n in sorted(base.items()) if d not in self._removed}

    def _hours_text(self, names: tuple[str, ...] = _DAY_NAMES, never: str = "never open") -> str:
        """The office hours, days grouped: ``"Mon–Fri 07:30–12:00, 13:30–17:00"``; a report
        passes its language's day ``names`` (``"Mo–Fr ..."``, ``"lun.–ven. ..."``) and word
        for a calendar ``never`` open (i18n sits above this module)."""
        groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
        for d in range(7):
            ivs = self._slots.get(d)  # type: ignore[attr-defined]
            if not ivs:
                continue
            if groups and groups[-1][1] == ivs and groups[-1][0][-1] == d - 1:
                groups[-1][0].append(d)
            else:
                groups.append(([d], ivs))

        def clock(s: int) -> str:
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

        parts = []
        for days, ivs in groups:
            label = names[days[0]] + (f"–{names[days[-1]]}" if len(days) > 1 else "")
            parts.append(label + " " + ", ".join(f"{clock(s)}–{clock(e)}" for s, e in ivs))
        return "; ".join(parts) or never

    def __repr__(self) -> str:
        if self._elapsed:
            return "<Calendar always: 24/7, elapsed time>"
        if self._fixed is not None:  # type: ignore[attr-defined]
            hol = f"{len(self._fixed)} fixed holidays"  # type: ignore[attr-defined]
        elif self.canton:
            hol = f"public holidays of canton {self.canton}"
        else:
            hol = "Swiss national holidays (no canton)"
        if self._added or self._removed:
            hol += f" (+{len(self._added)}/-{len(self._removed)})"
        return (
            f"<Calendar {self.label} {self.tz}: {self._hours_text()} ({self.weekly_hours:g} h/week, "
            f"working day {self.day_hours:g} h), {hol}>"
        )

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(repr(self))}</code>"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key == other._key

    @property
    def _key(self) -> tuple[Any, ...]:
        slots = tuple(sorted(self._slots.items()))  # type: ignore[attr-defined]
        return (slots, self._fixed, self.canton, self.tz, self._added, self._removed, self._elapsed)  # type: ignore[attr-defined]

    # -- the interval table ---------------------------------------------------------------
    def _table(self, first_day: int, last_day: int) -> _Table:
        """Working intervals of the local days ``first_day..last_day`` (days since epoch)."""
        # round the range outwards so that nearby calls share a cached table
        lo = (first_day // 64) * 64 - 64
        hi = (last_day // 64 + 1) * 64 + 64
        return _build_table(self, lo, hi)

    def _local_day_range(self, us: np.ndarray) -> tuple[int, int]:
        # local offset is at most ±1 day away from UTC
        return int(us.min() // _DAY_US) - 1, int(us.max() // _DAY_US) + 1

    # -- the vectorised API ----------------------------------------------------------------------
    def working_time(self, start: Any, end: Any) -> Any:
        """Working time between ``start`` and ``end``, element-wise.

        Parameters
        ----------
        start, end
            int64 microseconds since the epoch (UTC; ``np.iinfo(np.int64).min`` is NaT),
            ``datetime64`` arrays, or datetime Series / DatetimeIndex (naive = UTC).

        Returns
        -------
        numpy.ndarray or pandas.Series
            For int64/datetime64 array input: int64 microseconds (NaT sentinel where an
            input is missing). For Series input: a ``timedelta64[us]`` Series (NaT where
            missing) with ``start``'s index. ``end < start`` gives a negative result.
        """
        s, series_index = _as_us(start)
        e, _ = _as_us(end)
        if s.shape != e.shape:
            raise fail("Calendar.working_time", "end", f"as long as start ({s.shape})", f"shape {e.shape}")
        ok = (s != NAT) & (e != NAT)
        all_ok = bool(ok.all())
        sv, ev = (s, e) if all_ok else (s[ok], e[ok])
        if self._elapsed:
            res = ev - sv
        elif len(sv):
            lo = min(self._local_day_range(sv)[0], self._local_day_range(ev)[0])
            hi = max(self._local_day_range(sv)[1], self._local_day_range(ev)[1])
            table = self._table(lo, hi)
            res = table.cum_at(ev)
            res -= table.cum_at(sv)
        else:
            res = np.zeros(0, dtype=np.int64)
        if all_ok:
            out = res
        else:
            out = np.full(s.shape, NAT, dtype=np.int64)
            out[ok] = res
        return _wrap(out, series_index)

    def cumulative(self, *instants: np.ndarray) -> tuple[np.ndarray, ...]:
        """Working µs from a common origin to each instant (int64 µs arrays, NaT kept).

        Differences between values returned by *the same call* are working times, so
        several durations over the same instants cost one lookup per array, e.g.
        ``cum_ts[1:] - cum_ts[:-1]`` for the time between consecutive events.
        """
        arrays = [np.asarray(a, dtype=np.int64) for a in instants]
        if self._elapsed:
            return tuple(a.copy() for a in arrays)
        lo, hi, has_nat = None, None, []
        for a in arrays:  # range of the valid values, without copying (NAT is the int64 minimum)
            if len(a) == 0:
                has_nat.append(False)
                continue
            mn, mx = int(a.min()), int(a.max())
            has_nat.append(mn == NAT)
            if mx == NAT:
                continue
            if mn == NAT:
                mn = int(a[a != NAT].min())
            lo = mn if lo is None else min(lo, mn)
            hi = mx if hi is None else max(hi, mx)
        if lo is None or hi is None:
            return tuple(a.copy() for a in arrays)
        table = self._table(*self._local_day_range(np.array([lo, hi])))
        out = []
        for a, nat in zip(arrays, has_nat):
            if not nat:
                out.append(table.cum_at(a))
            else:
                ok = a != NAT
                r = np.full(a.shape, NAT, dtype=np.int64)
                r[ok] = table.cum_at(a[ok])
                out.append(r)
        return tuple(out)

    def is_working(self, ts: Any) -> Any:
        """True where ``ts`` falls inside office hours on a working day (False for NaT)."""
        t, series_index = _as_us(ts)
        out = np.zeros(t.shape, dtype=bool)
        ok = t != NAT
        if self._elapsed:
            out = ok
        elif ok.any():
            tv = t[ok]
            table = self._table(*self._local_day_range(tv))
            k = np.searchsorted(table.a, tv, side="right") - 1
            kc = np.maximum(k, 0)
            out[ok] = (k >= 0) & (tv < table.b[kc]) if len(table.a) else False
        if series_index is not None:
            return pd.Series(out, index=series_index)
        return out

    def add_working_time(self, start: Any, duration: Any) -> Any:
        """The instant reached after working ``duration`` from ``start`` (inverse of :meth:`working_time`).

        ``working_time(start, add_working_time(start, d)) == d``. A positive duration
        gives the *earliest* such instant (work ends exactly when a working interval
        ends, not at the next morning), a negative one the latest instant before
        ``start``; a zero duration returns ``start`` unchanged.

        Parameters
        ----------
        start
            Instants as for :meth:`working_time`.
        duration
            int64 microseconds, ``timedelta64`` values or a timedelta Series.

        Examples
        --------
        >>> import pandas as pd
        >>> fri = pd.Series([pd.Timestamp("2024-03-08 16:00", tz="Europe/Zurich")])
        >>> Calendar().add_working_time(fri, pd.Series([pd.Timedelta(hours=2)]))[0]
        Timestamp('2024-03-11 07:30:00+0000', tz='UTC')
        """
        s, series_index = _as_us(start)
        d = _as_duration_us(duration, s.shape)
        out = np.full(s.shape, NAT, dtype=np.int64)
        ok = (s != NAT) & (d != NAT)
        if self._elapsed:
            out[ok] = s[ok] + d[ok]
            return _wrap_ts(out, series_index)
        if ok.any() and self.weekly_hours == 0:
            raise fail("Calendar.add_working_time", "self", "a calendar with some office hours (this one is "
                       "never open)", self)
        sv, dv = s[ok], d[ok]
        res = np.where(dv == 0, sv, 0)
        if ok.any():
            weeks = int(np.abs(dv).max() // int(self.weekly_hours * 3600 * _US) + 1)
            margin = 7 * weeks + 30
            for _ in range(20):  # widen the table until every target fits
                lo, hi = self._local_day_range(sv)
                table = self._table(lo - margin, hi + margin)
                target = table.cum_at(sv) + dv
                if len(table.a) and (target > 0).all() and (target < table.total).all():
                    break
                margin *= 2
            else:  # pragma: no cover - only with absurd durations
                raise fail("Calendar.add_working_time", "duration", "short enough for the calendar's working time",
                           "a longer duration")
            ends = table.cum + (table.b - table.a)
            pos = dv > 0
            k = np.searchsorted(ends, target[pos], side="left")
            res[pos] = table.a[k] + (target[pos] - table.cum[k])
            neg = dv < 0
            k = np.searchsorted(table.cum, target[neg], side="right") - 1
            res[neg] = table.a[k] + (target[neg] - table.cum[k])
        out[ok] = res
        return _wrap_ts(out, series_index)


def _replace(cal: Calendar, **changes: Any) -> Calendar:
    kw = dict(
        hours=cal.hours,
        holidays=cal.holidays,
        tz=cal.tz,
        canton=cal.canton,
        _added=cal._added,
        _removed=cal._removed,
        _elapsed=cal._elapsed,
    )
    kw.update(changes)
    return Calendar(**kw)
