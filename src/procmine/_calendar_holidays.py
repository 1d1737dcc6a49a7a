"""Swiss public holidays: the default closed days of :class:`procmine.calendar.Calendar`."""

from __future__ import annotations

import datetime as dt

__all__ = ["easter_sunday", "swiss_holidays"]


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
