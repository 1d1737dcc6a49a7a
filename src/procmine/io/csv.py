"""CSV/TXT reader: encoding, separator and malformed lines, then :func:`read_frame`.

Values are read as text (``"007"`` stays ``"007"``) and empty fields become missing;
columns other than the roles become numbers when all their values are plain numbers
without a leading zero (``12.5`` -> float, ``3`` -> int). The encoding is UTF-8 if the
whole file decodes as UTF-8 (a BOM is dropped), UTF-16 with a UTF-16 byte-order mark
(Excel's "Unicode text" export), otherwise cp1252 (Windows/Excel), or latin-1 if the
file holds bytes cp1252 does not define. The separator is the one of ``;`` ``,`` tab
``|`` that splits the first lines (quotes honoured) into the same number of fields.
Lines with too many or too few fields are dropped and counted as ``"malformed line"``.
The file is parsed by pyarrow, all columns as strings.

Row numbers in the report (``dropped_rows``, errors) count data records: the header
is row 0, the first event row 1. Up to ten title or blank lines above the header are
skipped (``report.formats["header_line"]`` then gives the header's line). Blank lines
are not counted, and a quoted field spanning several physical lines counts as one
row, so in such files row N lies below physical line N + 1.
"""

from __future__ import annotations

import codecs
import csv as _csv
import gzip
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LogError
from ..log import EventLog, IngestReport
from ._common import ReadOptions
from .frame import read_frame

__all__ = ["detect_encoding", "detect_separator", "read_csv"]

MALFORMED = "malformed line"
SEPARATORS = (";", ",", "\t", "|")
_CHUNK = 1 << 20
_SNIFF_BYTES = 64 * 1024
MAX_TITLE_LINES = 10  # title or blank lines looked through above the header
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # bytes cp1252 does not define


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def detect_encoding(path: str | Path) -> str:
    """``"utf-8-sig"`` (BOM), ``"utf-8"`` if the whole file decodes strictly, else ``"cp1252"``.

    cp1252 leaves five bytes undefined; a file holding them is read as ``"latin-1"``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "wb").write("Aktivität;Datum\\n".encode("cp1252"))
    >>> detect_encoding(p)
    'cp1252'
    """
    return _scan(Path(path))[0]


def _scan(path: Path, check_encoding: bool = True) -> tuple[str, bool]:
    """One streaming pass: (encoding, whether the file holds any double quote)."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    utf8, bom, undefined, first, quotes = check_encoding, False, False, True, False
    try:
        with _open(path) as f:
            while chunk := f.read(_CHUNK):
                if first:
                    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        return "utf-16", True  # Excel's "Unicode text" export
                    bom, first = chunk.startswith(codecs.BOM_UTF8), False
                quotes = quotes or b'"' in chunk
                if not check_encoding or (chunk.isascii() and not dec.getstate()[0]):
                    continue
                if utf8:
                    try:
                        dec.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
                if not utf8 and not undefined:
                    undefined = _CP1252_UNDEFINED.search(chunk) is not None
            if utf8:
                try:
                    dec.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except (OSError, EOFError, zlib.error) as exc:
        raise LogError(
            f"cannot read the file ({exc}); check that it is a complete CSV", path=str(path)
        ) from exc
    if not check_encoding:
        return "", quotes
    if utf8:
        return ("utf-8-sig" if bom else "utf-8"), quotes
    return ("latin-1" if undefined else "cp1252"), quotes


def _head_text(path: Path, encoding: str) -> str:
    with _open(path) as f:
        raw = f.read(_SNIFF_BYTES)
    more = len(raw) == _SNIFF_BYTES
    text = raw.decode(encoding, errors="replace")
    if encoding == "utf-16" and len(raw) % 2:
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
    found, quoted = _scan(path, check_encoding=opts.encoding is None)
    encoding = found if opts.encoding is None else _codec(opts.encoding, src)
    head = _head_text(path, encoding)
    if not head.strip():
        raise _empty(src)
    sep = opts.sep
    if sep is None:
        sep = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else detect_separator(head)
    if sep is None:
        raise LogError(
            "cannot find the separator: the first line splits into one column with ; , tab and |. "
            "Pass sep=... (e.g. read_log(path, sep=';'))",
            path=src,
            line=1,
        )
    skip, header = _header_line(head, sep)
    names = _unique([h.strip() for h in header])

    df, bad_rows = _read_table(path, names, sep, encoding, src, quoted=quoted, skip=skip)
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
    report = IngestReport(source=src, format="csv")
    report.formats.update({"encoding": encoding, "separator": sep})
    if skip:
        report.formats["header_line"] = skip + 1
        report.warnings.append(f"{skip} line(s) above the header skipped (title or blank lines)")
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
    return read_frame(df, opts, source=src, fmt="csv", report=report, row_numbers=rows, numbers=True)


def _codec(name: str, src: str) -> str:
    try:
        return codecs.lookup(name).name  # "UTF8", "Latin1" -> "utf-8", "iso8859-1"
    except LookupError as exc:
        raise LogError(
            f"unknown encoding {name!r}; use e.g. 'utf-8', 'cp1252' or 'latin-1', or leave it out to detect it",
            path=src,
        ) from exc


def _header_line(head: str, sep: str) -> tuple[int, list[str]]:
    """(number of title/blank lines above the header, the header's fields)."""
    lines = head.splitlines(keepends=True)
    for i, line in enumerate(lines[: MAX_TITLE_LINES + 1]):
        fields = next(_csv.reader([line], delimiter=sep, quotechar='"'), [])
        if len(fields) > 1:
            if i == 0:
                break
            return i, fields
    return 0, next(_csv.reader(lines[:50], delimiter=sep, quotechar='"'), [])


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


def _read_table(
    path: Path, names: list[str], sep: str, encoding: str, src: str, *, quoted: bool = True, skip: int = 0
) -> tuple[pd.DataFrame, list[int]]:
    """All fields as strings with pyarrow; bad rows skipped and their row numbers returned."""
    import pyarrow as pa

    enc = "utf8" if encoding in ("utf-8", "utf-8-sig", "utf8") else encoding
    try:
        # with threads pyarrow does not know the row numbers of bad rows: if there are
        # any, read again on one thread to get them
        table, bad = _pyarrow_read(path, names, sep, enc, threads=True, quoted=quoted, skip=skip)
        if bad:
            table, bad = _pyarrow_read(path, names, sep, enc, threads=False, quoted=quoted, skip=skip)
    except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError) as exc:
        raise LogError(
            f"cannot parse the file as CSV ({exc}); check the separator (sep=), the encoding "
            "(encoding=) and unbalanced quotes",
            path=src,
        ) from exc
    return table.to_pandas(), bad


def _pyarrow_read(
    path: Path, names: list[str], sep: str, enc: str, *, threads: bool, quoted: bool = True, skip: int = 0
):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[int] = []

    def on_bad(row) -> str:
        # pyarrow counts the skipped lines and the header as rows: data row = number - skip - 1
        bad.append(int(row.number) - skip - 1 if row.number is not None else -1)
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            use_threads=threads, column_names=names, skip_rows=skip + 1, encoding=enc, block_size=8 << 20
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=sep,
            quote_char='"',
            double_quote=True,
            newlines_in_values=quoted,  # only quoted fields can hold line breaks
            invalid_row_handler=on_bad,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return table, sorted(bad)
