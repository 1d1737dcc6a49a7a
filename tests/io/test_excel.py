"""Excel (.xlsx) reading: typed date cells, serial numbers, text dates, header row, errors."""

from __future__ import annotations

import datetime as dt
import sys
import warnings

import pandas as pd
import pytest

from procmine.errors import DataQualityWarning, LogError
from procmine.io import read_log
from procmine.log import ACTIVITY, CASE, TIMESTAMP

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["Dossier-Nr", "Aktivität", "Datum", "Sachbearbeiter/in", "Amt"]
ROWS = [
    ["2024-001", "Eingang Gesuch", dt.datetime(2024, 1, 15, 8, 30), "Müller", "Bauamt"],
    ["2024-001", "Prüfung", 45307.5860416667, "Müller", "Bauamt"],  # serial: 2024-01-16 14:03:54
    ["2024-001", "Bewilligung erteilt", dt.datetime(2024, 7, 1, 10, 0), "Zürcher", "Gemeinderat"],
    ["2024-002", "Eingang Gesuch", "31.02.2024 10:00", "Brändli", "Bauamt"],  # impossible date, as text
    [None, "Prüfung", dt.datetime(2024, 2, 20, 9, 0), "Brändli", "Bauamt"],  # no case id
    ["2024-002", "Prüfung", "21.02.2024 09:15", "Brändli", "Bauamt"],  # a valid text date
    [7, "Eingang Gesuch", 45354.4583333333, "Müller", "Bauamt"],  # numeric id, serial 2024-03-03 11:00
]


def write_xlsx(path, rows, header=HEADER, title=None, sheet="Export"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
    wb.save(path)
    return path


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(path, **kw)
    r = log.report
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())
    return log


def test_swiss_export_as_xlsx(tmp_path):
    log = read(write_xlsx(tmp_path / "export.xlsx", ROWS))
    r = log.report
    assert r.format == "excel"
    assert r.roles == {
        "case": "Dossier-Nr",
        "activity": "Aktivität",
        "timestamp": "Datum",
        "resource": "Sachbearbeiter/in",
        "org": "Amt",
    }
    assert r.rows_read == 7 and r.rows_kept == 5
    assert r.dropped == {"missing case id": 1, "unparseable timestamp": 1}
    assert r.dropped_rows == {"missing case id": [5], "unparseable timestamp": [4]}
    df = log.df
    first = df[df[CASE] == "2024-001"]
    assert first[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-01-15 07:30", tz="UTC"),  # datetime cell, CET
        pd.Timestamp("2024-01-16 13:03:54", tz="UTC"),  # serial number, CET
        pd.Timestamp("2024-07-01 08:00", tz="UTC"),  # datetime cell, CEST
    ]
    assert df.loc[df[CASE] == "2024-002", TIMESTAMP].tolist() == [pd.Timestamp("2024-02-21 08:15", tz="UTC")]
    assert df.loc[df[CASE] == "7", TIMESTAMP].tolist() == [pd.Timestamp("2024-03-03 10:00", tz="UTC")]
    assert first[ACTIVITY].tolist() == ["Eingang Gesuch", "Prüfung", "Bewilligung erteilt"]


def test_serial_only_column_and_sheet_by_name(tmp_path):
    rows = [["A", "x", 45292.375], ["A", "y", 45292.5], ["B", "x", 45293.25]]
    p = write_xlsx(tmp_path / "s.xlsx", rows, header=["Fall-ID", "Tätigkeit", "Zeitstempel"], sheet="Daten")
    log = read(p, sheet="Daten")
    assert log.report.formats["dates"]["Zeitstempel"]["format"] == "Excel serial days"
    assert log.df[TIMESTAMP].tolist()[0] == pd.Timestamp("2024-01-01 08:00", tz="UTC")
    with pytest.raises(LogError, match=r"sheet 'Nope'"):
        read_log(p, sheet="Nope")


def test_title_rows_above_header(tmp_path):
    p = write_xlsx(tmp_path / "t.xlsx", ROWS[:3], title="Export Baugesuche 2024")
    log = read(p)
    assert log.report.roles["case"] == "Dossier-Nr"
    assert log.report.formats["header_row"] == 3
    assert log.n_events == 3


def test_header_row_pasted_again_is_dropped_and_counted(tmp_path):
    """Two exports pasted one below the other: the second header row is no event; it is
    dropped under its own reason with its row number (before, an unparseable date)."""
    p = write_xlsx(tmp_path / "t.xlsx", [*ROWS[:3], HEADER, *ROWS[5:]], title="Export Baugesuche 2024")
    log = read(p)
    reason = "header line repeated (files joined one after the other?)"
    assert log.report.dropped == {reason: 1}
    assert log.report.dropped_rows[reason] == [4]
    assert log.n_events == 5


def _workbook(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_a_cover_sheet_first_is_passed_over_and_said(tmp_path):
    """Exports often put a cover or info sheet first: the first sheet that reads as an event
    log is read, and the report names the sheets passed over and those not read."""
    cover = [["Export GEVER"], ["Stand 07.12.2026"]]
    p = _workbook(tmp_path / "w.xlsx", {"Info": cover, "Ereignisse": [HEADER, *ROWS], "Legende": [["Amt", "Bedeutung"]]})
    log = read(p)
    assert log.report.formats["sheet"] == "Ereignisse"
    assert log.n_events == 5 and log.report.roles["case"] == "Dossier-Nr"
    assert log.report.warnings[-2:] == ["sheet(s) 'Info' hold no event log; read sheet 'Ereignisse'",
                                        "sheet(s) 'Legende' of the workbook not read; pass sheet=... to read one"]
    from procmine.i18n import localise

    assert localise(log.report.warnings[-1], "fr") == ("feuille(s) 'Legende' du classeur non lue(s) ; indiquer "
                                                       "sheet=... pour en lire une")
    # named, the sheet is read as it is: no search, no notice
    assert read(p, sheet="Ereignisse").report.warnings == [
        w for w in log.report.warnings if "sheet(s)" not in w]
    with pytest.raises(LogError, match="cannot tell which column"):
        read_log(p, sheet="Info")


def test_a_log_on_the_first_of_several_sheets_names_the_others(tmp_path):
    p = _workbook(tmp_path / "w.xlsx", {"2024": [HEADER, *ROWS[:3]], "2025": [HEADER, *ROWS[5:]]})
    with pytest.warns(DataQualityWarning, match=r"w.xlsx: sheet\(s\) '2025' of the workbook not read"):
        read_log(p)
    log = read(p)
    assert log.report.formats["sheet"] == "2024" and log.n_events == 3
    assert log.report.warnings[-1] == "sheet(s) '2025' of the workbook not read; pass sheet=... to read one"


def test_no_sheet_holds_a_log(tmp_path):
    p = _workbook(tmp_path / "w.xlsx", {"A": [["Export"], ["Stand"]], "B": []})
    with pytest.raises(LogError) as err:
        read_log(p)
    text = str(err.value)
    assert text.startswith(f"{p}: ") and "sheet 'A'" in text and "'A', 'B'" in text and "pass sheet=" in text


def test_header_only_and_empty_sheet(tmp_path):
    with pytest.raises(LogError, match=r"no data rows"):
        read_log(write_xlsx(tmp_path / "h.xlsx", []))
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "e.xlsx")
    with pytest.raises(LogError, match=r"empty") as err:
        read_log(tmp_path / "e.xlsx")
    assert "e.xlsx" in str(err.value)


def test_not_a_workbook(tmp_path):
    p = tmp_path / "fake.xlsx"
    p.write_text("case;activity\n")
    with pytest.raises(LogError, match=r"fake.xlsx"):
        read_log(p)


def test_missing_openpyxl_says_what_to_install(tmp_path, monkeypatch):
    p = write_xlsx(tmp_path / "x.xlsx", ROWS[:2])
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(LogError, match=r"pip install procmine\[excel\]"):
        read_log(p)
