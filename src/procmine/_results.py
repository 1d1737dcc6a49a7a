"""One shape for every public result: :mod:`procmine._core.results` (re-exported here), with
durations written by the one formatter, :func:`procmine.i18n.format_duration`.

Importing this module hands that formatter to the shape (the bottom layer cannot import
:mod:`procmine.i18n` itself).

>>> import pandas as pd
>>> duration_text(pd.Timedelta(hours=40), day_hours=8)
'5.0 working days'
>>> one_line("Thing", "subject", ["3 cases", "a\\nb"])
'<Thing subject: 3 cases; a b>'
"""

from __future__ import annotations

from typing import Any

from ._core.results import (
    HTML_ROWS,
    REPR_WIDTH,
    Result,
    legacy_first_option,
    new_axes,
    one_line,
    result_html,
    use_duration_text,
    working_day_hours,
)

__all__ = [
    "HTML_ROWS",
    "REPR_WIDTH",
    "Result",
    "duration_text",
    "legacy_first_option",
    "new_axes",
    "one_line",
    "result_html",
    "working_day_hours",
]


def duration_text(value: Any, *, day_hours: float | None = None, language: str = "en", short: bool = False) -> str:
    """A duration as text: elapsed, or working time when ``day_hours`` is given.

    A thin shorthand of :func:`procmine.i18n.format_duration`, the one formatter.
    """
    from .i18n import format_duration

    return format_duration(value, language, day_hours=day_hours, short=short)


use_duration_text(duration_text)
