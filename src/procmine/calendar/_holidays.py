"""Public holidays of :class:`procmine.calendar.Calendar`, from the ``holidays`` package.

Swiss holidays are cantonal: only New Year, Ascension, the National Day and Christmas
are closed days in every canton. :func:`public_holidays` asks the ``holidays`` package
(``holidays.country_holidays("CH", subdiv=canton)``, public holidays only) for the days of
one canton, or for the days common to all cantons when no canton is given.
:func:`easter_sunday` stays here for the simulation of the shipped samples and for
deadline rules that count from Easter.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

__all__ = ["cantons", "check_canton", "easter_sunday", "public_holidays"]


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


def cantons() -> tuple[str, ...]:
    """The subdivisions of Switzerland the installed ``holidays`` package knows (canton codes).

    Examples
    --------
    >>> "BE" in cantons() and "GE" in cantons()
    True
    """
    import holidays

    return tuple(holidays.country_holidays("CH").subdivisions)


def check_canton(canton: str) -> str:
    """``canton`` as the ``holidays`` package spells it (codes are matched case-insensitively,
    full names such as ``"Bern"`` or ``"Genève"`` where the package knows them)."""
    import holidays

    ch = holidays.country_holidays("CH")
    known = {c.casefold(): c for c in ch.subdivisions}
    aliases = getattr(ch, "subdivisions_aliases", {}) or {}
    known.update({a.casefold(): c for a, c in aliases.items()})
    code = known.get(str(canton).strip().casefold()) if isinstance(canton, str) else None
    if code is None:
        from .._core.validation import fail

        raise fail("Calendar", "canton", f"a Swiss canton code ({', '.join(sorted(ch.subdivisions))}) or None", canton)
    return code


@lru_cache(maxsize=256)
def _year(canton: str | None, year: int) -> tuple[tuple[dt.date, str], ...]:
    import holidays

    days = holidays.country_holidays("CH", subdiv=canton, years=year)
    return tuple(sorted((d, str(n)) for d, n in days.items() if d.year == year))


def public_holidays(canton: str | None, years: range | list[int] | tuple[int, ...]) -> dict[dt.date, str]:
    """The public holidays of ``canton`` (``None``: those of every canton) in ``years``.

    Examples
    --------
    >>> import datetime as dt
    >>> dt.date(2024, 1, 2) in public_holidays("BE", [2024]), dt.date(2024, 1, 2) in public_holidays(None, [2024])
    (True, False)
    """
    out: dict[dt.date, str] = {}
    for y in years:
        out.update(_year(canton, int(y)))
    return out
