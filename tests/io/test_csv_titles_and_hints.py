"""CSV exports found by a probe: titles padded with separators, Excel's ``sep=`` hint,
UTF-16 without a byte-order mark."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.errors import LogError
from procmine.log import ACTIVITY, CASE, RESOURCE

from .test_csv import read
from .test_csv import write as _write

HEADER = "Fall-Nr;Aktivität;Datum;Sachbearbeiter\n"
STEPS = [("Eingang", "Meier"), ("Prüfung", "Keller"), ("Entscheid", "Huber")]
START = pd.Timestamp("2024-11-04 08:00")
ROWS = "".join(
    f"B-{c};{a};{START + pd.Timedelta(days=c, hours=3 * i):%d.%m.%Y %H:%M};{p}\n"
    for c in range(20)
    for i, (a, p) in enumerate(STEPS)
)
ROLES = {"case": "Fall-Nr", "activity": "Aktivität", "timestamp": "Datum", "resource": "Sachbearbeiter"}


def write(tmp_path, text, name="export.csv", encoding="utf-8"):
    return _write(tmp_path, text, name=name, encoding=encoding)


# -- 1. titles that Excel pads with separators --------------------------------------------


@pytest.mark.parametrize(
    ("above", "skipped"),
    [
        ("Export Baugesuche 2024;;;\n", 1),  # a title typed in A1, saved as CSV by Excel
        ("Export;2024;;\n", 1),  # a title over two cells
        ("Export Baugesuche 2024;;;\n;;;\n", 2),  # then an empty row of the sheet
        ("Export Baugesuche 2024;;;;;;\n", 1),  # a title merged wider than the table
    ],
)
def test_title_padded_with_separators_is_not_the_header(tmp_path, above, skipped):
    log = read(write(tmp_path, above + HEADER + ROWS))
    assert log.report.roles == ROLES
    assert log.n_events == 60 and not log.report.dropped
    assert log.report.formats["header_line"] == skipped + 1
    assert f"{skipped} line(s) above the header skipped (title or blank lines)" in log.report.warnings
    assert log.df[CASE].iloc[0] == "B-0" and log.df[RESOURCE].iloc[0] == "Meier"


def test_header_with_an_empty_last_name_is_the_header(tmp_path):
    rows = ROWS.replace("\n", ";x\n")  # a fifth column whose header cell was left empty
    log = read(write(tmp_path, HEADER.replace("\n", ";\n") + rows))
    assert log.report.roles == ROLES and "header_line" not in log.report.formats
    assert log.n_events == 60 and not log.report.warnings


def test_columns_padded_past_the_table_keep_the_header(tmp_path):
    """Excel writes every row to the end of the used range: the empty columns name nothing."""
    text = (HEADER + ROWS).replace("\n", ";;\n")
    log = read(write(tmp_path, text))
    assert log.report.roles == ROLES and "header_line" not in log.report.formats
    assert log.n_events == 60


def test_short_header_without_padding_is_still_the_header(tmp_path):
    """A header naming fewer columns than its rows, not padded: read as before (its rows are
    malformed), never silently skipped as a title."""
    text = "Fall-Nr;Aktivität\n" + ROWS
    with pytest.raises(LogError, match=r"do not have the 2 fields of the header"):
        read(write(tmp_path, text))


# -- 2. Excel's separator hint -------------------------------------------------------------


def test_excel_separator_hint_is_read_and_skipped(tmp_path):
    log = read(write(tmp_path, "sep=;\n" + HEADER + ROWS))
    assert log.report.roles == ROLES and log.n_events == 60 and not log.report.dropped
    assert log.report.formats["separator"] == ";" and log.report.formats["separator_hint"] == ";"
    assert log.report.formats["header_line"] == 2
    assert log.report.warnings == [
        "line 1 is Excel's separator hint 'sep=;': the separator was taken from it and the line skipped"
    ]


def test_separator_hint_decides_over_detection(tmp_path):
    """Every row holds one ';' in its remark: detection alone would split by ';'."""
    rows = "".join(
        f"A-{c},{a},{START + pd.Timedelta(days=c, hours=i):%d.%m.%Y %H:%M},ok; geprüft\n"
        for c in range(10)
        for i, a in enumerate(["Eingang", "Entscheid"])
    )
    log = read(write(tmp_path, "sep=,\r\nFall-Nr,Aktivität,Datum,Bemerkung\r\n" + rows.replace("\n", "\r\n")))
    assert log.report.formats["separator"] == ","
    assert log.df["Bemerkung"].iloc[0] == "ok; geprüft" and log.df[ACTIVITY].iloc[1] == "Entscheid"


def test_separator_given_wins_over_the_hint(tmp_path):
    log = read(write(tmp_path, "sep=,\n" + HEADER + ROWS), sep=";")
    assert log.report.roles == ROLES and log.n_events == 60
    assert log.report.formats["separator"] == ";" and log.report.formats["separator_hint"] == ","
    assert log.report.warnings == [
        "line 1 is Excel's separator hint 'sep=,': the line was skipped and the separator given (';') used instead"
    ]


# -- 3. UTF-16 without a byte-order mark ---------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path, encoding):
    text = (HEADER + ROWS).replace("Prüfung", "Prüfung € Ā").replace("\n", "\r\n")
    log = read(write(tmp_path, text, encoding=encoding))
    assert log.report.formats["encoding"] == encoding
    assert log.report.roles == ROLES and log.n_events == 60
    assert log.df[ACTIVITY].iloc[1] == "Prüfung € Ā"


def test_stray_nul_byte_does_not_make_utf16(tmp_path):
    p = tmp_path / "export.csv"
    p.write_bytes((HEADER + ROWS).encode("utf-8").replace(b"Meier", b"Mei\x00er", 1))
    assert read(p).report.formats["encoding"] == "utf-8"
