"""Readers' notes that a report can show in its language.

The readers write their warnings, drop reasons and detected formats into the ingest report
in English (logs, the command line, ``warnings``). A :class:`Note` is that English text as a
plain ``str``, which also keeps its message template and fields, so that the report shows it
in German or French (:func:`procmine.i18n.localise`) without parsing English back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Note", "note"]


class Note(str):
    """English text that remembers its template (``msgid``, a ``str.format`` template and
    the catalogues' key) and its ``fields``.

    Examples
    --------
    >>> n = note("{n:,} row(s) in {column!r}", n=1234, column="Datum")
    >>> n, n.msgid, n == "1,234 row(s) in 'Datum'"
    ("1,234 row(s) in 'Datum'", '{n:,} row(s) in {column!r}', True)
    """

    msgid: str
    fields: dict[str, Any]

    def __new__(cls, msgid: str, **fields: Any) -> Note:
        obj = super().__new__(cls, msgid.format(**fields) if fields else msgid)
        obj.msgid = msgid
        obj.fields = fields
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (and copies) as a Note, not a str
        return (_rebuild, (self.msgid, self.fields))


def _rebuild(msgid: str, fields: dict[str, Any]) -> Note:
    return Note(msgid, **fields)


def note(msgid: str, **fields: Any) -> Note:
    """A :class:`Note`: ``msgid.format(**fields)`` in English, translatable by the report.

    ``msgid`` must be a literal string (the catalogues are checked against the code)."""
    return Note(msgid, **fields)
