"""Translations and Swiss number/date formats for German, French and English.

Messages live in gettext catalogues (``procmine/locales/<lang>/LC_MESSAGES/procmine.po``)
with English msgids. They are read at runtime with babel (no compile step) and cached.
A message missing from a catalogue falls back to English and is logged once.

Numbers, durations and dates follow the report language's Swiss locale through babel:
``de_CH`` (1’234.5, 05.03.2024), ``fr_CH`` (1 234,5, 05.03.2024) and ``en_CH``.

Write translatable text in the code as ``tr("Remove {activity}: it repeats in {share:.0%} of cases",
activity=name, share=0.42)``: the result maps every language to the formatted message;
numbers in the keyword arguments are formatted per locale (a format spec such as ``.1f``
or ``.0%`` sets the digits), ``pd.Timedelta`` values as durations, timestamps as dates.

Examples
--------
>>> from procmine.i18n import tr, format_number, format_duration
>>> import pandas as pd
>>> format_number(1234.5, "de")
'1’234.5'
>>> format_duration(pd.Timedelta(days=3, hours=12), "fr")
'3,5 jours'
>>> tr("Cases")["de"]
'Fälle'
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import logging
import math
import re
import string
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import babel.dates
import pandas as pd

__all__ = [
    "DAY_NAMES",
    "HOUR_NAMES",
    "LANGUAGES",
    "LOCALES",
    "TIMEZONE",
    "calendar_note",
    "catalog",
    "check_language",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_hours",
    "format_integer",
    "format_message",
    "format_number",
    "format_percent",
    "format_value",
    "format_working_time",
    "gettext",
    "join_clauses",
    "localise",
    "tr",
]

logger = logging.getLogger("procmine")

#: report languages, in display order
LANGUAGES: tuple[str, ...] = ("de", "fr", "en")
#: language -> babel locale used for numbers and dates
LOCALES: dict[str, str] = {"de": "de_CH", "fr": "fr_CH", "en": "en_CH"}
#: dates and times are shown in this zone (the data are stored in UTC)
TIMEZONE = "Europe/Zurich"

_DATE_PATTERN = "dd.MM.yyyy"
_DATETIME_PATTERN = "dd.MM.yyyy HH:mm"
_warned: set[tuple[str, str]] = set()


def check_language(language: str, where: str = "procmine") -> str:
    """Return ``language`` if it is one of :data:`LANGUAGES`, else raise ``ParameterError``."""
    if language not in LANGUAGES:
        from .errors import ParameterError

        raise ParameterError(where, "language", language, f"one of {list(LANGUAGES)}")
    return language


# -- catalogues ----------------------------------------------------------------------------
@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of ``language``'s catalogue: msgid -> translated string (non-empty only)."""
    path = resources.files("procmine") / "locales" / language / "LC_MESSAGES" / "procmine.po"
    try:
        data = path.read_bytes()
    except (FileNotFoundError, OSError):
        logger.warning("procmine: no message catalogue for %r at %s", language, path)
        return {}
    import io

    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(data), locale=LOCALES.get(language, language))
    out: dict[str, str] = {}
    for msg in cat:
        if (
            msg.id
            and isinstance(msg.id, str)
            and isinstance(msg.string, str)
            and msg.string
            and not msg.fuzzy
        ):
            out[msg.id] = msg.string
    return out


def gettext(msgid: str, language: str) -> str:
    """``msgid`` translated into ``language``; English (the msgid) when missing.

    Examples
    --------
    >>> gettext("Summary", "fr")
    'Synthèse'
    >>> gettext("no such message, surely", "de")
    'no such message, surely'
    """
    text = catalog(language).get(msgid)
    if text is not None:
        return text
    if language != "en" and (language, msgid) not in _warned:
        _warned.add((language, msgid))
        logger.info("procmine: no %s translation for %r; using English", language, msgid)
    return catalog("en").get(msgid, msgid) if language != "en" else msgid


class _LocaleFormatter(string.Formatter):
    """``str.format`` that renders numbers, durations and dates in a Swiss locale."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        lang = self.language
        if isinstance(value, (pd.Timedelta, _dt.timedelta)):
            return format_duration(value, lang)
        if isinstance(value, (pd.Timestamp, _dt.datetime)):
            return format_datetime(value, lang) if format_spec == "t" else format_date(value, lang)
        if isinstance(value, _dt.date):
            return format_date(value, lang)
        if isinstance(value, (bool, str)) or value is None:
            return super().format_field(value, format_spec)
        if _is_number(value):
            m = re.fullmatch(r"[,_]?(?:\.(\d+))?([fdg%n]?)", format_spec or "")
            if m is None:
                return super().format_field(value, format_spec)
            digits = int(m.group(1)) if m.group(1) is not None else None
            kind = m.group(2)
            if kind == "%":
                return format_percent(value, lang, digits=1 if digits is None else digits)
            if kind == "d" or (digits is None and _is_integral(value)):
                return format_integer(value, lang)
            return format_number(value, lang, digits=1 if digits is None else digits)
        return super().format_field(value, format_spec)


def _is_number(value: Any) -> bool:
    try:
        import numpy as np

        return isinstance(value, (int, float, np.integer, np.floating))
    except ImportError:  # pragma: no cover
        return isinstance(value, (int, float))


def _is_integral(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, np.integer))


def format_message(template: str, language: str, **kwargs: Any) -> str:
    """Fill ``template`` with ``kwargs`` formatted for ``language`` (see the module doc)."""
    if not kwargs:
        return template
    return _LocaleFormatter(language).format(template, **kwargs)


def _translate(msgid: str, language: str, kwargs: dict[str, Any]) -> str:
    text = gettext(msgid, language)
    try:
        return format_message(text, language, **kwargs)
    except (KeyError, IndexError, ValueError) as exc:
        if text == msgid:
            raise
        logger.warning(
            "procmine: the %s translation of %r does not format (%s); using English", language, msgid, exc
        )
        return format_message(msgid, language, **kwargs)


def tr(msgid: str, **kwargs: Any) -> dict[str, str]:
    """``msgid`` in every language of :data:`LANGUAGES`, formatted with ``kwargs``.

    Parameters
    ----------
    msgid
        The English message, a ``str.format`` template (the catalogues' key).
    **kwargs
        Values for the template's fields; numbers, durations and dates are formatted
        per language (``{share:.0%}`` -> ``42%``; ``{n}`` with an int -> ``1’234``).

    Returns
    -------
    dict
        ``{"de": ..., "fr": ..., "en": ...}``.

    Examples
    --------
    >>> tr("{n} cases", n=1234)
    {'de': '1’234 Fälle', 'fr': '1\\u202f234 dossiers', 'en': '1’234 cases'}
    """
    return {lang: _translate(msgid, lang, kwargs) for lang in LANGUAGES}


def localise(value: Any, language: str) -> str:
    """A reader's note (:class:`procmine._core.notes.Note`: a warning, a drop reason, a
    detected format) in ``language``; any other value as ``str``.

    Examples
    --------
    >>> from procmine._core.notes import note
    >>> localise(note("{n:,} event(s) start after they complete", n=1200), "de")
    '1’200 Ereignis(se) beginnen nach ihrem Abschluss'
    >>> localise("as is", "fr")
    'as is'
    """
    from ._core.notes import Note

    if isinstance(value, Note):  # (its fields may be notes too: "in a date column")
        fields = {k: localise(v, language) if isinstance(v, Note) else v for k, v in value.fields.items()}
        return _translate(value.msgid, language, fields)
    return str(value)


# -- numbers -------------------------------------------------------------------------------
def _locale(language: str) -> str:
    return LOCALES.get(language, "en_CH")


#: the glyphs procmine writes numbers with, per report language: (group separator, decimal
#: mark). Chosen deliberately and kept here rather than read from the installed CLDR data,
#: which changes between babel releases (babel 2.19 writes ``1'234`` for de_CH): a report
#: must read the same whatever version a machine resolves. Swiss usage (Federal Chancellery
#: style guides): ``1’234.5`` in German and English (U+2019), ``1 234,5`` in French with a
#: narrow no-break space (U+202F).
NUMBER_GLYPHS: dict[str, tuple[str, str]] = {
    "de": ("\u2019", "."),
    "fr": ("\u202f", ","),
    "en": ("\u2019", "."),
}


def _is_missing(x: Any) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


def _grouped(x: Any, language: str, digits: int) -> str:
    """``x`` rounded half-even to ``digits`` decimals, grouped by thousands with the Swiss glyphs."""
    group, decimal = NUMBER_GLYPHS.get(language, NUMBER_GLYPHS["en"])
    value = float(x)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    # Decimal(repr(x)) rounds the number as written, not its binary approximation.
    q = _decimal.Decimal(repr(value)).quantize(_decimal.Decimal(1).scaleb(-digits), _decimal.ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)
    text = f"{abs(q):,.{digits}f}" if digits > 0 else f"{abs(q):,.0f}"
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return ("-" if q < 0 else "") + text


def format_number(x: Any, language: str, digits: int = 1) -> str:
    """``x`` with ``digits`` decimals and Swiss grouping (``nan`` -> ``–``).

    The glyphs are fixed by :data:`NUMBER_GLYPHS`, not by the installed locale data.

    >>> format_number(1234567.25, "de", digits=2), format_number(-0.5, "en")
    ('1’234’567.25', '-0.5')
    >>> format_number(1234.5, "fr") == "1\u202f234,5"
    True
    """
    if _is_missing(x):
        return "–"
    return _grouped(x, language, digits)


def format_integer(x: Any, language: str) -> str:
    """A whole number with Swiss grouping.

    >>> format_integer(12345, "de")
    '12’345'
    """
    if _is_missing(x):
        return "–"
    return _grouped(x, language, 0)


def format_percent(x: Any, language: str, digits: int = 1) -> str:
    """A share (0..1) as percent, with the language's decimal mark.

    >>> format_percent(0.1234, "fr")
    '12,3%'
    """
    if _is_missing(x):
        return "–"
    return _grouped(float(x) * 100, language, digits) + "%"


#: short weekday names, Monday first (slots of the batching detector, office hours)
DAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
#: an hour of the day, ``HOUR_NAMES[language].format(h=14)``: "14h", "14 Uhr"
HOUR_NAMES: dict[str, str] = {"en": "{h:02d}h", "de": "{h:02d} Uhr", "fr": "{h:02d}h"}

_UNITS = {
    "de": {"d": ("Tag", "Tage"), "h": ("Std.", "Std."), "min": ("Min.", "Min.")},
    "fr": {"d": ("jour", "jours"), "h": ("h", "h"), "min": ("min", "min")},
    "en": {"d": ("day", "days"), "h": ("h", "h"), "min": ("min", "min")},
}


def join_clauses(parts: Iterable[str], language: str) -> str:
    """Clauses joined by a semicolon, French setting a narrow no-break space before it.

    >>> join_clauses(["Supprimé : B", "Fusionné : C + D"], "fr")
    'Supprimé : B\u202f; Fusionné : C + D'
    """
    return ("\u202f; " if language == "fr" else "; ").join(parts)


def _missing_duration(td: Any) -> bool:
    return td is None or td is pd.NaT or (isinstance(td, float) and math.isnan(td)) or bool(pd.isna(td))


#: compact units of :func:`format_duration` with ``short=True`` (maps, tooltips):
#: (unit, seconds, smallest multiple shown in that unit)
_SHORT_UNITS = (("y", 365.25 * 86400, 2), ("d", 86400, 1), ("h", 3600, 1), ("min", 60, 1), ("s", 1, 0))


def format_duration(
    td: Any,
    language: str = "en",
    digits: int = 1,
    *,
    day_hours: float | None = None,
    short: bool = False,
) -> str:
    """procmine's one duration formatter: elapsed or working time, long or compact.

    Elapsed time (``day_hours=None``): days from 2 days up, hours from 1 hour, minutes
    below. Working time (``day_hours``, the length of a working day of the calendar the
    duration was measured with, :attr:`procmine.Calendar.day_hours`): a ``Timedelta`` of
    24 hours is 24 *working* hours, shown as working days of ``day_hours`` from 2 working
    days up, else hours; never as 24-hour days. ``short=True`` gives the compact form of
    maps (``"3.2 d"``, ``"5 h"``, ``"12 min"``; working days as ``"wd"``). Missing: ``"–"``.

    >>> import pandas as pd
    >>> format_duration(pd.Timedelta(days=3, hours=12), "de")
    '3.5 Tage'
    >>> format_duration(pd.Timedelta(hours=5, minutes=30), "en")
    '5.5 h'
    >>> format_duration(pd.Timedelta(hours=40), "en", day_hours=8)
    '5.0 working days'
    >>> format_duration(pd.Timedelta(hours=77), short=True), format_duration(pd.Timedelta(hours=40), short=True, day_hours=8)
    ('3.2 d', '5 wd')
    """
    if _missing_duration(td):
        return "–"
    seconds = pd.Timedelta(td).total_seconds()
    if short:
        return _short_duration(seconds, day_hours)
    a = abs(seconds)
    if day_hours is not None and day_hours > 0 and a >= 2 * day_hours * 3600:
        days = seconds / (day_hours * 3600)
        one, many = _WORKDAYS.get(language, _WORKDAYS["en"])
        return f"{format_number(days, language, digits=digits)} {one if abs(round(days, digits)) == 1 else many}"
    units = _UNITS.get(language, _UNITS["en"])
    if day_hours is None and a >= 2 * 86400:
        value, unit = seconds / 86400, "d"
    elif a >= 3600:
        value, unit = seconds / 3600, "h"
    else:
        value, unit = seconds / 60, "min"
        digits = 0
    text = format_number(value, language, digits=digits)
    singular = abs(round(value, digits)) == 1
    return f"{text} {units[unit][0] if singular else units[unit][1]}"


def _short_duration(seconds: float, day_hours: float | None) -> str:
    sign = "-" if seconds < 0 else ""
    secs = abs(seconds)
    units = _SHORT_UNITS
    if day_hours is not None and day_hours > 0:  # working time: no years, days of day_hours
        units = (("wd", day_hours * 3600, 2), *_SHORT_UNITS[2:])
    unit, size = next(((u, z) for u, z, minimum in units if secs >= z * minimum), units[-1][:2])
    v = secs / size
    text = f"{v:.1f}" if v < 10 else f"{v:.0f}"
    return f"{sign}{text.removesuffix('.0')} {unit}"


_WORKDAYS = {
    "de": ("Arbeitstag", "Arbeitstage"),
    "fr": ("jour ouvrable", "jours ouvrables"),
    "en": ("working day", "working days"),
}


@cache
def _default_day_hours() -> float:
    # the calendar is the single source of a working day's length
    from .calendar import Calendar

    return Calendar().day_hours


def format_working_time(td: Any, language: str, digits: int = 1, day_hours: float | None = None) -> str:
    """A duration of *working* time: :func:`format_duration` with ``day_hours`` (``None``
    takes the default ``Calendar()``'s).

    >>> import pandas as pd
    >>> format_working_time(pd.Timedelta(hours=40), "de"), format_working_time(pd.Timedelta(hours=3), "fr")
    ('5.0 Arbeitstage', '3,0 h')
    >>> format_working_time(pd.Timedelta(hours=42), "en", day_hours=8.4)
    '5.0 working days'
    """
    return format_duration(
        td, language, digits, day_hours=_default_day_hours() if day_hours is None else day_hours
    )


def calendar_note(calendar: Any, language: str) -> str:
    """Whose working days a figure counts: ``"calendar BE, working day 8 h"`` (translated).

    ``calendar`` is a :class:`procmine.Calendar` (``None``: the default one).

    >>> from procmine.calendar import Calendar
    >>> calendar_note(Calendar(canton="BE"), "en")
    'calendar BE, working day 8 h'
    """
    if calendar is None:
        from .calendar import Calendar

        calendar = Calendar()
    hours = format_number(calendar.day_hours, language, digits=1).rstrip("0").rstrip(".,")
    return format_message(
        gettext("calendar {name}, working day {hours} h", language), language, name=calendar.label, hours=hours
    )


def format_hours(td: Any, language: str, digits: int = 1) -> str:
    """A duration in hours (for staff time), e.g. ``1’234.5 h``."""
    if td is None or td is pd.NaT:
        return "–"
    return f"{format_number(pd.Timedelta(td).total_seconds() / 3600, language, digits=digits)} h"


def _local(ts: Any) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    return t.tz_convert(TIMEZONE)


def format_date(ts: Any, language: str) -> str:
    """A date as ``dd.MM.yyyy`` (Swiss usage in all three languages), in Swiss local time.

    >>> format_date("2024-03-05T23:30:00Z", "fr")
    '06.03.2024'
    """
    if ts is None or ts is pd.NaT:
        return "–"
    if isinstance(ts, _dt.date) and not isinstance(ts, _dt.datetime):
        return babel.dates.format_date(ts, format=_DATE_PATTERN, locale=_locale(language))
    t = _local(ts)
    return babel.dates.format_date(t.date(), format=_DATE_PATTERN, locale=_locale(language))


def format_datetime(ts: Any, language: str) -> str:
    """A date and time as ``dd.MM.yyyy HH:mm`` in Swiss local time.

    >>> format_datetime("2024-03-05T08:15:00Z", "de")
    '05.03.2024 09:15'
    """
    if ts is None or ts is pd.NaT:
        return "–"
    t = _local(ts)
    return babel.dates.format_datetime(
        t.to_pydatetime().replace(tzinfo=None), format=_DATETIME_PATTERN, locale=_locale(language)
    )


def format_value(value: Any, language: str) -> str:
    """Any table value as display text: numbers, shares, durations, dates per locale."""
    if value is None or value is pd.NaT or value is pd.NA:
        return "–"
    if isinstance(value, (pd.Timedelta, _dt.timedelta)):
        return format_duration(value, language)
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return format_date(value, language)
    if isinstance(value, bool):
        return str(value)
    if _is_integral(value):
        return format_integer(value, language)
    if _is_number(value):
        if math.isnan(float(value)):
            return "–"
        if float(value).is_integer() and abs(value) >= 100:
            return format_integer(value, language)
        return format_number(value, language, digits=2 if abs(value) < 10 else 1)
    if isinstance(value, (tuple, list)):
        return " → ".join(str(v) for v in value)
    return str(value)
