"""Working-time calendars: office hours, lunch breaks, public holidays, time zone.

A :class:`Calendar` turns elapsed time into *working time*: the part of an interval that
falls inside office hours on a working day. The default ``Calendar()`` is a Swiss cantonal
office week (Mon–Fri 07:30–12:00 and 13:30–17:00 in Europe/Zurich, closed on the usual
public holidays); ``Calendar.always()`` counts every second (elapsed time).

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
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ._validation import fail
from .errors import ParameterError

__all__ = ["Calendar", "easter_sunday", "swiss_holidays"]

_US = 1_000_000
_DAY_US = 86_400 * _US
NAT = np.iinfo(np.int64).min
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_SWISS_HOURS: dict[int, tuple[tuple[str, str], ...]] = {
    d: (("07:30", "12:00"), ("13:30", "17:00")) for d in range(5)
}


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm).

    Examples
    --------
    >>> easter_sunday(2024)
    datetime.date(2024, 3, 31)
    >>> easter_sunday(2025)
    datetime.date(2025, 4, 20)
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def swiss_holidays(year: int) -> dict[dt.date, str]:
    """The public holidays of the default calendar in ``year`` (date -> name).

    New Year, Berchtoldstag (2 Jan), Good Friday, Easter Monday, Ascension, Whit Monday,
    Swiss National Day (1 Aug), Christmas and St Stephen's Day. Cantons differ: add or
    remove days with :meth:`Calendar.add_holidays` / :meth:`Calendar.remove_holidays`.

    Examples
    --------
    >>> h = swiss_holidays(2024)
    >>> len(h), h[dt.date(2024, 5, 9)]
    (9, 'Ascension')
    """
    easter = easter_sunday(year)
    day = dt.timedelta(days=1)
    return {
        dt.date(year, 1, 1): "New Year",
        dt.date(year, 1, 2): "Berchtoldstag",
        easter - 2 * day: "Good Friday",
        easter + day: "Easter Monday",
        easter + 39 * day: "Ascension",
        easter + 50 * day: "Whit Monday",
        dt.date(year, 8, 1): "National Day",
        dt.date(year, 12, 25): "Christmas",
        dt.date(year, 12, 26): "St Stephen's Day",
    }


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
        ``"CH"`` (default): the Swiss holidays of :func:`swiss_holidays`, every year;
        ``None`` or ``()``: no holidays; an iterable of dates: exactly these days.
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
    """

    hours: Mapping[int, Sequence[tuple[Any, Any]]] | None = None
    holidays: Any = "CH"
    tz: str = "Europe/Zurich"
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
                    raise ParameterError(
                        f"The 'hours' parameter of Calendar has an empty or overlapping interval "
                        f"on {_DAY_NAMES[int(day)]}: {list(intervals)!r}. Give (start, end) pairs "
                        "with start < end that do not overlap."
                    )
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

    def holidays_in(self, year: int) -> dict[dt.date, str]:
        """The closed days of ``year`` that fall on dates, with their names."""
        base = (
            swiss_holidays(year)
            if self._fixed is None
            else {d: "holiday" for d in self._fixed if d.year == year}
        )  # type: ignore[attr-defined]
        base.update({d: "added holiday" for d in self._added if d.year == year})
        return {d: n for d, n in sorted(base.items()) if d not in self._removed}

    def _hours_text(self) -> str:
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
            label = _DAY_NAMES[days[0]] + (f"–{_DAY_NAMES[days[-1]]}" if len(days) > 1 else "")
            parts.append(label + " " + ", ".join(f"{clock(s)}–{clock(e)}" for s, e in ivs))
        return "; ".join(parts) or "never open"

    def __repr__(self) -> str:
        if self._elapsed:
            return "<Calendar always: 24/7, elapsed time>"
        hol = "Swiss holidays" if self._fixed is None else f"{len(self._fixed)} fixed holidays"  # type: ignore[attr-defined]
        if self._added or self._removed:
            hol += f" (+{len(self._added)}/-{len(self._removed)})"
        return f"<Calendar {self.tz}: {self._hours_text()} ({self.weekly_hours:g} h/week), {hol}>"

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(repr(self))}</code>"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key == other._key

    @property
    def _key(self) -> tuple[Any, ...]:
        slots = tuple(sorted(self._slots.items()))  # type: ignore[attr-defined]
        return (slots, self._fixed, self.tz, self._added, self._removed, self._elapsed)  # type: ignore[attr-defined]

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
            raise ParameterError(
                f"working_time needs start and end of the same length; got {s.shape} and {e.shape}."
            )
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
            raise ParameterError(
                "add_working_time needs a calendar with some office hours; this one is never open."
            )
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
                raise ParameterError("add_working_time: duration too long for the calendar's working time.")
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
        _added=cal._added,
        _removed=cal._removed,
        _elapsed=cal._elapsed,
    )
    kw.update(changes)
    return Calendar(**kw)


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
    hol = {d for y in years for d in swiss_holidays(y)} if fixed is None else set(fixed)
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
    raise ParameterError(
        f"Calendar needs timestamps as int64 microseconds, datetime64 values or a datetime Series; got dtype {arr.dtype}."
    )


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
