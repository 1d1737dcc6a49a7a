"""CSV/TXT reader: encoding, separator and malformed lines, then :func:`read_frame`.

Values are read as text (``"007"`` stays ``"007"``) and empty fields become missing;
columns other than the roles become numbers when all their values are plain numbers
without a leading zero (``12.5`` -> float, ``3`` -> int). The encoding is UTF-8 if the
whole file decodes as UTF-8 (a BOM is dropped), UTF-16 with a UTF-16 byte-order mark
(Excel's "Unicode text" export) or, without one, when its NUL bytes show it (see
:func:`_utf16_without_bom`), otherwise cp1252 (Windows/Excel), or latin-1 if the
file holds bytes cp1252 does not define. A UTF-8 file with some lines that are not
UTF-8 (a row pasted from a Windows program) is read line by line: those lines as
cp1252, the others as UTF-8, and the report counts them
(``formats["lines_decoded_as_cp1252"]``, a warning). The separator is the one of ``;`` ``,`` tab
``|`` that splits the first lines (quotes honoured) into the same number of fields,
unless the file starts with Excel's separator hint (``sep=;``), which is followed and
skipped (``formats["separator_hint"]``, a warning; ``sep=`` given wins over it).
Lines with too many or too few fields are dropped and counted as ``"malformed line"``.
The file is parsed by pyarrow, all columns as strings. A stray ``"`` that opens a
value swallowing whole rows is mended (that line read with its quotes as text, named
in ``formats["unbalanced_quote_lines"]`` and a warning) or, with ``strict=True``,
refused naming the line (see :class:`_Table`). Compressed files and the header's
width are checked against :data:`procmine.io.LIMITS`.

Row numbers in the report (``dropped_rows``, errors) count data records: the header
is row 0, the first event row 1. Up to ten title or blank lines above the header are
skipped (``report.formats["header_line"]`` then gives the header's line), titles padded
with separators by Excel (``Export Baugesuche 2024;;;``) too: the header is the first
line naming the table's columns (see :func:`_is_title`). Blank lines
are not counted, and a quoted field spanning several physical lines counts as one
row, so in such files row N lies below physical line N + 1.
"""

from __future__ import annotations

import codecs
import csv as _csv
import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._core.notes import note
from ..errors import LogError
from ..log import EventLog, IngestReport
from ._common import ReadOptions, drop_repeated_header
from ._limits import LIMITS, open_inflated
from .frame import read_frame

__all__ = ["detect_encoding", "detect_separator", "read_csv"]

MALFORMED = note("malformed line")
SEPARATORS = (";", ",", "\t", "|")
_CHUNK = 1 << 20
_SNIFF_BYTES = 64 * 1024
MAX_TITLE_LINES = 10  # title or blank lines looked through above the header
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # bytes cp1252 does not define
MAX_QUOTE_REPAIRS = 20  # unbalanced quotes repaired before the file is refused
# Excel's separator hint, a first line "sep=;" (padded with the separator when a program
# that does not know it saved the file again: "sep=;;;")
_SEP_HINT = re.compile(r"sep=([^\r\n\"])\1*\r?\n?", re.IGNORECASE)


def _gzip_content(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open(path: Path):
    """The file's bytes (gzip inflated; :data:`procmine.io.LIMITS` checked while streaming)."""
    return open_inflated(path)


def detect_encoding(path: str | Path) -> str:
    """``"utf-8-sig"`` (BOM), ``"utf-8"`` if the whole file decodes strictly, else ``"cp1252"``;
    ``"utf-16"`` with a UTF-16 byte-order mark, ``"utf-16-le"``/``"utf-16-be"`` without one.

    cp1252 leaves five bytes undefined; a file holding them is read as ``"latin-1"``.
    A UTF-8 file with a few lines that are not UTF-8 (a cp1252 row pasted in) is
    ``"utf-8"``/``"utf-8-sig"``: :func:`read_csv` decodes those lines as cp1252, one by one.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "wb").write("Aktivität;Datum\\n".encode("cp1252"))
    >>> detect_encoding(p)
    'cp1252'
    """
    return _scan(Path(path))[0]


def _scan(path: Path, check_encoding: bool = True) -> tuple[str, bool, bool]:
    """One streaming pass: (encoding, whether the file holds any double quote, whether it
    mixes UTF-8 lines with lines that are not UTF-8).

    A file that is not UTF-8 throughout is still taken for UTF-8 with some odd lines when
    it starts with a UTF-8 BOM (its writer declared UTF-8) or holds UTF-8 as Latin-script
    text writes it (see :func:`_typical_utf8`); otherwise it is cp1252 (or latin-1), and
    byte pairs of a cp1252 text that happen to be valid UTF-8 (``Ä€``) stay cp1252.

    The whole file is read, so a compressed file meets :data:`procmine.io.LIMITS` here,
    before pyarrow inflates it again.
    """
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    bom, undefined, first, quotes = False, False, True, False
    invalid = typical = False  # bytes that are not UTF-8 / UTF-8 as Latin text writes it
    try:
        with _open(path) as f:
            while chunk := f.read(_CHUNK):
                if first:
                    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        return "utf-16", True, False  # Excel's "Unicode text" export
                    if utf16 := _utf16_without_bom(chunk[:_SNIFF_BYTES]):
                        return utf16, True, False
                    bom, first = chunk.startswith(codecs.BOM_UTF8), False
                quotes = quotes or b'"' in chunk
                if not check_encoding or (chunk.isascii() and not dec.getstate()[0]):
                    continue
                typical = typical or _typical_utf8(chunk)
                if invalid:
                    undefined = undefined or _CP1252_UNDEFINED.search(chunk) is not None
                    continue
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError:
                    invalid = True
                    undefined = _CP1252_UNDEFINED.search(chunk) is not None
            if check_encoding and not invalid:
                try:
                    dec.decode(b"", final=True)
                except UnicodeDecodeError:
                    invalid = True
    except (OSError, EOFError, zlib.error) as exc:
        raise LogError(
            f"cannot read the file ({exc}); check that it is a complete CSV", path=str(path)
        ) from exc
    if not check_encoding:
        return "", quotes, False
    utf8 = "utf-8-sig" if bom else "utf-8"
    if not invalid:
        return utf8, quotes, False
    if typical or bom:
        return utf8, quotes, True  # UTF-8 text with some lines in another encoding
    return ("latin-1" if undefined else "cp1252"), quotes, False


def _utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` if the head of a file without byte-order mark is
    UTF-16, else None.

    Told by its NUL bytes: text in UTF-8 or in an 8-bit code page holds none, while
    UTF-16 has one in every ASCII character (its high byte: the second of the pair in
    little-endian, the first in big-endian), and a CSV is mostly ASCII (digits, dates,
    separators). So the head is UTF-16 when most of its byte pairs have a NUL high byte
    and it decodes in that byte order to text without NUL characters; a stray NUL in an
    8-bit file does not make it UTF-16.
    """
    if b"\x00" not in head:
        return None
    a = np.frombuffer(head, dtype=np.uint8, count=len(head) // 2 * 2)
    pairs = len(a) // 2
    nul_second = int(np.count_nonzero(a[1::2] == 0))
    nul_first = int(np.count_nonzero(a[0::2] == 0))
    enc = "utf-16-le" if nul_second >= nul_first else "utf-16-be"
    if 2 * max(nul_second, nul_first) <= pairs:
        return None
    try:  # not final: the head may end inside a surrogate pair
        text = codecs.getincrementaldecoder(enc)("strict").decode(a.tobytes())
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else enc


def _typical_utf8(chunk: bytes) -> bool:
    """Whether the bytes hold UTF-8 as Latin-script text writes it: a Latin-1 letter or sign
    (``C2``/``C3`` and a continuation byte: ``ü`` is ``C3 BC``) or typographic punctuation
    (``E2 80``-``82`` and a continuation byte: ``–``, ``’``, ``€``).

    In cp1252 text these are ``Ã``/``Â`` or ``â€`` followed by a symbol: only text
    that is already mojibake has them.
    """
    a = np.frombuffer(chunk, dtype=np.uint8)
    cont = (a >= 0x80) & (a < 0xC0)
    if ((a[:-1] == 0xC2) | (a[:-1] == 0xC3))[cont[1:]].any():
        return True
    e2 = np.flatnonzero(a[:-2] == 0xE2)
    return bool(((a[e2 + 1] >= 0x80) & (a[e2 + 1] <= 0x82) & cont[e2 + 2]).any())


_ODD_LINES = threading.local()


def _cp1252_line(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the rest of the line that holds a byte invalid in UTF-8, as cp1252."""
    assert isinstance(exc, UnicodeDecodeError)
    data = exc.object
    end = data.find(b"\n", exc.start)
    end = len(data) if end < 0 else end
    raw = bytes(data[exc.start : end])
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # a byte cp1252 leaves undefined
    _ODD_LINES.starts.append(exc.start)  # one call per line: it resumes at the line's end
    return text, end


codecs.register_error("procmine-cp1252-line", _cp1252_line)


def _decode_mixed(path: Path) -> tuple[bytes, int, int]:
    """The file as UTF-8, each line that is not valid UTF-8 decoded as cp1252 (latin-1 if
    it holds a byte cp1252 leaves undefined); the number of such lines and the first one.

    A row is written by one program in one encoding, so the line is decoded as cp1252 from
    its first byte that is not UTF-8 on (what comes before is ASCII in practice): the
    UTF-8 lines stay intact, the odd ones do not become mojibake or replacement characters.
    """
    with _open(path) as f:
        raw = f.read()
    _ODD_LINES.starts = []
    try:
        text = raw.decode("utf-8", "procmine-cp1252-line")
        starts = _ODD_LINES.starts
    finally:
        del _ODD_LINES.starts
    first_line = raw.count(b"\n", 0, starts[0]) + 1 if starts else 0
    return text.encode("utf-8"), len(starts), first_line


def _head_text(path: Path, encoding: str, data: bytes | None = None) -> str:
    if data is not None:
        raw = data[:_SNIFF_BYTES]
    else:
        with _open(path) as f:
            raw = f.read(_SNIFF_BYTES)
    more = len(raw) == _SNIFF_BYTES
    text = raw.decode(encoding, errors="replace")
    if encoding.startswith("utf-16") and len(raw) % 2:
        text = raw[:-1].decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if more and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def detect_separator(text: str) -> str | None:
    """The separator that splits the first lines into the same number (> 1) of fields.

    Examples
    --------
    >>> detect_separator('case;activity;time\\n1;"a;b";2024-01-01\\n')
    ';'
    >>> detect_separator("a\\tb\\tc\\n1\\t2\\t3\\n")
    '\\t'
    >>> detect_separator("case,activity,time\\n|||,|||,2024-01-01\\n")
    ','
    """
    best: tuple[float, int, int, int] | None = None
    chosen = None
    lines = text.splitlines(keepends=True)[:200]
    for rank, sep in enumerate(SEPARATORS):
        try:
            counts = [len(r) for r in _csv.reader(lines, delimiter=sep, quotechar='"') if r]
        except _csv.Error:
            continue
        skipped = 0
        while counts and counts[0] < 2 and len(counts) > 1 and skipped < MAX_TITLE_LINES:
            counts = counts[1:]  # a title line above the header
            skipped += 1
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts) / len(counts)
        # a separator that needs no title line beats one that makes the header a "title"
        # (a header split by ',' whose values contain '|' must not be read with '|')
        key = (same, -skipped, counts[0], -rank)
        if best is None or key > best:
            best, chosen = key, sep
    return chosen


def read_csv(path: str | Path, opts: ReadOptions | None = None) -> EventLog:
    """Read a CSV/TXT event log (``.gz`` compressed too).

    Parameters
    ----------
    path
        The file.
    opts
        :func:`procmine.read_log` options; ``sep`` and ``encoding`` skip detection.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "permits.csv")
    >>> _ = open(p, "w", encoding="cp1252").write(
    ...     "Dossier-Nr;Aktivität;Datum\\n007;Prüfung;15.01.2024 10:00\\n007;Entscheid;16.01.2024 11:00\\n")
    >>> log = read_csv(p)
    >>> log.df["case:concept:name"].iloc[0], log.report.formats["encoding"], log.report.formats["separator"]
    ('007', 'cp1252', ';')
    """
    opts = opts or ReadOptions()
    path = Path(path)
    src = str(path)
    if path.stat().st_size == 0:
        raise _empty(src)
    found, quoted, mixed = _scan(path, check_encoding=opts.encoding is None)
    encoding = found if opts.encoding is None else _codec(opts.encoding, src)
    data: bytes | None = None  # the file in memory, when it had to be mended
    odd: tuple[int, int] | None = None  # lines decoded as cp1252, and the first of them
    if mixed:
        data, n_odd, first_odd = _decode_mixed(path)
        odd = (n_odd, first_odd)
    head = _head_text(path, encoding, data)
    if not head.strip():
        raise _empty(src)
    hint, head = _separator_hint(head)
    if not head.strip():
        raise _empty(src)
    sep = _separator(path, head, opts, src, hint)
    skip, header = _header_line(head, sep)
    skip += hint is not None  # the hint line is skipped too (the report tells it apart)
    names = _unique([h.strip() for h in header])
    if len(names) > LIMITS.max_columns:
        raise LogError(
            f"the header has {len(names):,} columns, more than {LIMITS.max_columns:,} (the limit "
            "procmine.io.LIMITS.max_columns); an event log needs a few. Check the separator (sep=), "
            "or raise that limit if it is a real log",
            path=src,
            line=skip + 1,
        )

    table = _Table(path, names, sep, encoding, src, quoted=quoted, skip=skip, data=data)
    df, bad_rows = table.read(strict=opts.strict)
    _check_rows(df, bad_rows, names, sep, src)
    report = _report(src, encoding, sep, table, skip, odd, hint)
    total = len(df) + len(bad_rows)
    rows = np.arange(1, total + 1)
    if bad_rows:
        if opts.strict:
            raise LogError(
                f"{len(bad_rows):,} line(s) with a wrong number of fields (expected {len(names)}); fix "
                "them or read with strict=False to drop and count them",
                path=src,
                row=bad_rows[0],
            )
        report.dropped[MALFORMED] = len(bad_rows)
        report.dropped_rows[MALFORMED] = bad_rows[:5]
        rows = np.setdiff1d(rows, np.asarray(bad_rows), assume_unique=True)
    df, rows = drop_repeated_header(df, list(header), rows, report, strict=opts.strict, path=src)
    return read_frame(df, opts, source=src, fmt="csv", report=report, row_numbers=rows, numbers=True)


def _separator_hint(head: str) -> tuple[str | None, str]:
    """Excel's separator hint (the first line ``sep=;``) and the head without that line.

    Excel writes it (and reads it) to pin the separator whatever the regional settings;
    some Swiss systems export it too. Without a hint: ``(None, head)``.
    """
    end = head.find("\n")
    first = head if end < 0 else head[: end + 1]
    m = _SEP_HINT.fullmatch(first)
    if m is None:
        return None, head
    return m.group(1), head[len(first) :]


def _separator(path: Path, head: str, opts: ReadOptions, src: str, hint: str | None = None) -> str:
    """The separator given, else the file's ``sep=`` hint, else tab for ``.tsv``, else the
    one detected in ``head``."""
    sep = opts.sep if opts.sep is not None else hint
    if sep is None:
        sep = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else detect_separator(head)
    if sep is None:
        raise LogError(
            "cannot find the separator: the first line splits into one column with ; , tab and |. "
            "Pass sep=... (e.g. read_log(path, sep=';'))",
            path=src,
            line=1,
        )
    return sep


def _check_rows(df: pd.DataFrame, bad_rows: list[int], names: list[str], sep: str, src: str) -> None:
    """A file without data rows, or with more malformed lines than good ones, is no log as read."""
    if len(df) == 0 and not bad_rows:
        raise LogError(
            "the file has a header but no data rows; expected one line per event "
            f"below the header ({sep.join(names)})",
            path=src,
        )
    if len(bad_rows) > len(df):
        raise LogError(
            f"{len(bad_rows):,} of {len(df) + len(bad_rows):,} lines do not have the {len(names)} fields "
            f"of the header (first at row {bad_rows[0]}); check the separator (sep=, detected "
            f"{sep!r}) and that the first line is the header",
            path=src,
            row=bad_rows[0],
        )


def _report(
    src: str, encoding: str, sep: str, table: _Table, skip: int, odd: tuple[int, int] | None, hint: str | None
) -> IngestReport:
    """The ingest report of the CSV reading itself: encoding, separator, what was mended or skipped."""
    report = IngestReport(source=src, format="csv")
    report.formats.update({"encoding": encoding, "separator": sep})
    if hint is not None:
        report.formats["separator_hint"] = hint
        if hint == sep:
            report.warnings.append(note(
                "line 1 is Excel's separator hint 'sep={hint}': the separator was taken from it "
                "and the line skipped", hint=hint))
        else:
            report.warnings.append(note(
                "line 1 is Excel's separator hint 'sep={hint}': the line was skipped and the "
                "separator given ({sep!r}) used instead", hint=hint, sep=sep))
    if odd is not None:
        n_odd, first_odd = odd
        report.formats["lines_decoded_as_cp1252"] = n_odd
        report.warnings.append(note(
            "{n:,} line(s) are not valid UTF-8 (first at line {first}); each was read as "
            "cp1252 (Windows), the other lines as UTF-8", n=n_odd, first=str(first_odd))  # (a line number: no grouping)
        )
    if table.mended:
        report.formats["unbalanced_quote_lines"] = [line for line, _ in table.mended]
        for line, swallowed in table.mended:
            report.warnings.append(note(
                "line {line}: a double quote opens a value that would swallow {n:,} "
                "following line(s) holding whole rows; the line was read with its quotes as text",
                line=str(line), n=swallowed)
            )
    if skip:
        report.formats["header_line"] = skip + 1
    titles = skip - (hint is not None)
    if titles:
        report.warnings.append(note("{n} line(s) above the header skipped (title or blank lines)", n=titles))
    return report


def _codec(name: str, src: str) -> str:
    try:
        return codecs.lookup(name).name  # "UTF8", "Latin1" -> "utf-8", "iso8859-1"
    except LookupError as exc:
        raise LogError(
            f"unknown encoding {name!r}; use e.g. 'utf-8', 'cp1252' or 'latin-1', or leave it out to detect it",
            path=src,
        ) from exc


def _header_line(head: str, sep: str) -> tuple[int, list[str]]:
    """(number of title/blank lines above the header, the header's fields).

    The header is the first line that names the table's columns (see :func:`_is_title`);
    the lines above it are titles: Excel's "Save as CSV" pads a title typed in A1 with
    separators to the table's width (``Export Baugesuche 2024;;;``), so a title is told
    by its names, not by its number of fields.
    """
    lines = head.splitlines(keepends=True)
    width = _table_width(lines, sep)
    for i, line in enumerate(lines[: MAX_TITLE_LINES + 1]):
        fields = next(_csv.reader([line], delimiter=sep, quotechar='"'), [])
        if not _is_title(fields, width):
            if i == 0:
                break
            return i, fields
    return 0, next(_csv.reader(lines[:50], delimiter=sep, quotechar='"'), [])


def _table_width(lines: list[str], sep: str) -> int:
    """The number of columns of the table in the head: the most common number of fields
    (the widest of equally common ones), less the trailing columns that no line fills
    (Excel writes every row to the end of the sheet's used range, blank cells included)."""
    rows = [r for r in _csv.reader(lines[:200], delimiter=sep, quotechar='"') if r]
    if not rows:
        return 0
    counts = Counter(len(r) for r in rows)
    common = max(counts, key=lambda n: (counts[n], n))
    used = max((max((j for j, f in enumerate(r) if f.strip()), default=-1) + 1 for r in rows), default=0)
    return min(common, used)


def _is_title(fields: list[str], width: int) -> bool:
    """Whether a line above the table is a title (or blank) rather than its header.

    A line with at most one name (blank, only separators, a title in one cell) names no
    table. A line padded with empty fields to the right that names fewer than the
    table's columns (less one: a header may leave its last name empty) is a title
    written across a few cells (``Export;2024;;``). A line without such padding is
    taken for the header, as it is: if it is too short, its rows are reported as
    malformed rather than the header silently skipped.
    """
    names = sum(1 for f in fields if f.strip())
    if names < 2:
        return True
    return not fields[-1].strip() and names < width - 1


def _empty(src: str) -> LogError:
    return LogError(
        "the file is empty; expected a header line naming the columns (e.g. "
        "case;activity;timestamp) and one line per event",
        path=src,
    )


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"column{i + 1}"
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}.{k}")
    return out


@dataclass
class _Table:
    """Parse the file with pyarrow, mending unbalanced quotes that swallow whole rows.

    A stray ``"`` at the start of a field opens a quoted value that runs, separators and
    line ends included, to the next ``"`` of the file: thousands of rows become one
    value (or one malformed row), silently. After each parse the values (and malformed
    rows) that span lines are checked: if the lines inside them are whole rows of this
    file (at least half of them split into the header's number of fields) and the
    opening line is itself a whole row when its quote is read as text (not telling in
    the last column), or there are several such rows, the quote was stray. That line is then read with its quotes as
    text and the file parsed again (``strict=True``: refused, naming the line). A
    value with a line break that does not hold whole rows (a remark written over two
    lines) is kept as it is.
    """

    path: Path
    names: list[str]
    sep: str
    encoding: str
    src: str
    quoted: bool = True
    skip: int = 0
    data: bytes | None = None
    mended: list[tuple[int, int]] = field(default_factory=list)  #: (line, lines swallowed)

    def read(self, strict: bool = False) -> tuple[pd.DataFrame, list[int]]:
        """All fields as strings; bad rows skipped and their row numbers returned."""
        for _ in range(MAX_QUOTE_REPAIRS + 1):
            table, bad, texts = self._parse()
            if not self.quoted:
                break
            hit = self._stray_quote(table, texts)
            if hit is None:
                break
            self._mend(*hit, strict=strict)
        else:
            line = self.mended[-1][0]
            raise LogError(
                f"more than {MAX_QUOTE_REPAIRS} lines (the last at line {line}) open a double quote "
                "that swallows whole rows; fix the quotes (a value holding the separator or a "
                'line break is written "like ""this"""), or save the file again from its program',
                path=self.src,
                line=line,
            )
        return table.to_pandas(), bad

    def _parse(self):
        import pyarrow as pa

        enc = "utf8" if self.data is not None or self.encoding in ("utf-8", "utf-8-sig", "utf8") else self.encoding
        try:
            # with threads pyarrow does not know the row numbers of bad rows: if there are
            # any, read again on one thread to get them
            out = self._pyarrow_read(enc, threads=True)
            if out[1]:
                out = self._pyarrow_read(enc, threads=False)
        except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError) as exc:
            raise LogError(
                f"cannot parse the file as CSV ({exc}); check the separator (sep=), the encoding "
                "(encoding=) and unbalanced quotes",
                path=self.src,
            ) from exc
        return out

    def _pyarrow_read(self, enc: str, *, threads: bool):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        bad: list[int] = []
        texts: list[str] = []  # malformed rows spanning lines (a stray quote?), the first few
        skip = self.skip

        def on_bad(row) -> str:
            # pyarrow counts the skipped lines and the header as rows: data row = number - skip - 1
            bad.append(int(row.number) - skip - 1 if row.number is not None else -1)
            if len(texts) < 20 and row.text and row.text.count("\n") >= 1:
                texts.append(row.text)
            return "skip"

        if self.data is not None:
            source = pa.BufferReader(self.data)
        elif _gzip_content(self.path) and not self.path.name.lower().endswith(".gz"):
            # pyarrow goes by the suffix; the scan (and the limits) by the content
            source = pa.CompressedInputStream(pa.OSFile(str(self.path)), "gzip")
        else:
            source = self.path
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                use_threads=threads, column_names=self.names, skip_rows=skip + 1, encoding=enc,
                block_size=8 << 20,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.sep,
                quote_char='"',
                double_quote=True,
                newlines_in_values=self.quoted,  # only quoted fields can hold line breaks
                invalid_row_handler=on_bad,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in self.names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        return table, sorted(bad), texts

    # -- unbalanced quotes ------------------------------------------------------------------

    def _whole_rows(self, lines: list[str]) -> int:
        """How many of these physical lines split into the header's number of fields."""
        n = len(self.names)
        return sum(1 for r in _csv.reader(lines, delimiter=self.sep, quotechar='"') if len(r) == n)

    def _swallows(self, inner: list[str], opening_complete: bool) -> bool:
        rows = self._whole_rows(inner)
        return rows >= 1 and 2 * rows >= len(inner) and (opening_complete or rows >= 2)

    def _stray_quote(self, table, texts: list[str]) -> tuple[str, bool, int] | None:
        """The first value (or malformed row) that swallowed whole rows: (text to find in the
        file, whether the text starts right after the opening quote, lines swallowed)."""
        import pyarrow.compute as pc

        found: list[tuple[str, bool, int]] = []
        n = len(self.names)
        for j, name in enumerate(self.names):
            col = table.column(name)
            # values with whole lines inside (two line breaks or more); usually none or few
            spans = pc.fill_null(pc.greater_equal(pc.count_substring(col, "\n"), 2), False)
            idx = np.flatnonzero(spans.to_numpy(zero_copy_only=False))
            for i in idx.tolist():
                value = col[i].as_py()
                segs = value.split("\n")
                inner = segs[1:-1]  # whole physical lines inside the value
                # the opening line is a whole row when its quote is read as text; not telling
                # in the last column, where a remark's first line is a whole row too
                complete = j < n - 1 and j + segs[0].count(self.sep) == n - 1
                if self._swallows(inner, complete):
                    found.append((segs[0] + "\n" + segs[1], True, len(segs) - 1))
                    break
        for text in texts:
            lines = text.split("\n")
            if self._swallows(lines[1:], lines[0].count(self.sep) == n - 1):
                found.append((lines[0] + "\n" + lines[1], False, len(lines) - 1))
                break
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        data = self._bytes()
        return min(found, key=lambda f: self._find(data, f[0], f[1]) % (len(data) + 1))

    def _bytes(self) -> bytes:
        if self.data is None:
            with _open(self.path) as f:
                self.data = f.read()
            if self.encoding not in ("utf-8", "utf-8-sig", "utf8"):
                # mended lines are written back as UTF-8: the file is read as UTF-8 from now on
                self.data = self.data.decode(self.encoding).encode("utf-8")
        return self.data

    def _find(self, data: bytes, text: str, after_quote: bool) -> int:
        """Byte offset of the line holding the quote that opens ``text`` (-1: not found)."""
        needle = text.encode("utf-8")
        p = data.find(needle)
        while p >= 0:
            if after_quote and p > 0 and data[p - 1] == 34:
                return data.rfind(b"\n", 0, p - 1) + 1
            if not after_quote and (p == 0 or data[p - 1] == 10):
                return p
            p = data.find(needle, p + 1)
        return -1

    def _mend(self, text: str, after_quote: bool, swallowed: int, *, strict: bool) -> None:
        """Rewrite the line that opens the stray quote with every field quoted (its quotes
        become text), or refuse naming it."""
        data = self._bytes()
        start = self._find(data, text, after_quote)
        line = data.count(b"\n", 0, start) + 1 if start >= 0 else None
        if strict or start < 0:
            raise LogError(
                f"{'this' if line else 'a'} line opens a double quote that swallows {swallowed:,} following line(s) holding "
                "whole rows; fix the quote (a value holding the separator or a line break is written "
                '"like ""this"""), or read with strict=False to read that line with its quotes as text',
                path=self.src,
                line=line,
            )
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        raw = data[start:end]
        cr = raw.endswith(b"\r")
        sep = self.sep.encode("utf-8")
        fields = (raw[:-1] if cr else raw).split(sep)
        fixed = sep.join(b'"' + f.replace(b'"', b'""') + b'"' for f in fields) + (b"\r" if cr else b"")
        self.data = data[:start] + fixed + data[end:]
        self.mended.append((line, swallowed))
