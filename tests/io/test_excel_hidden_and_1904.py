"""Defects found by a probe with unseen workbooks: a hidden sheet read before the visible
data sheet, and serial numbers of a workbook in the 1904 date system read four years early."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest

from procmine.errors import DataQualityWarning
from procmine.io import read_log
from procmine.io._dates import DEFAULT_TZ
from procmine.log import CASE, TIMESTAMP

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["Dossier-Nr", "Aktivität", "Datum"]


def _rows(prefix: str, day: dt.datetime = dt.datetime(2024, 11, 4, 9, 0)) -> list[list]:
    return [[f"{prefix}-{c}", a, day + dt.timedelta(days=c, hours=3 * i)]
            for c in range(4) for i, a in enumerate(("Eingang", "Prüfung", "Entscheid"))]


def _sheet(wb, title: str, rows: list[list] | None, state: str = "visible", first: bool = False):
    ws = wb.active if first else wb.create_sheet(title)
    ws.title = title
    if rows is None:
        ws.append(["Export des Bauamts, Stand November 2024"])
    else:
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
    ws.sheet_state = state
    return ws


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_log(path, **kw)


def test_hidden_first_sheet_is_passed_over_for_the_visible_one(tmp_path):
    p = tmp_path / "hidden_first.xlsx"
    wb = openpyxl.Workbook()
    _sheet(wb, "Alt", _rows("ALT"), state="hidden", first=True)  # an old copy, hidden
    _sheet(wb, "Daten", _rows("NEU"))
    wb.save(p)
    log = _read(p)
    assert log.report.formats["sheet"] == "Daten"
    assert log.df[CASE].str.startswith("NEU").all()
    assert not any("is hidden" in w for w in log.report.warnings)
    # the hidden sheet is still named among those not read
    assert any("'Alt'" in w and "not read" in w for w in log.report.warnings)


def test_very_hidden_sheet_comes_after_every_visible_one(tmp_path):
    p = tmp_path / "very_hidden.xlsx"
    wb = openpyxl.Workbook()
    _sheet(wb, "Intern", _rows("INT"), state="veryHidden", first=True)
    _sheet(wb, "Deckblatt", None)
    _sheet(wb, "Daten", _rows("NEU"))
    wb.save(p)
    log = _read(p)
    assert log.report.formats["sheet"] == "Daten"
    assert any("'Deckblatt'" in w and "hold no event log" in w for w in log.report.warnings)


def test_hidden_sheet_read_when_no_visible_sheet_holds_a_log(tmp_path):
    p = tmp_path / "only_hidden.xlsx"
    wb = openpyxl.Workbook()
    _sheet(wb, "Deckblatt", None, first=True)
    _sheet(wb, "Daten", _rows("NEU"), state="hidden")
    wb.save(p)
    log = _read(p)
    assert log.report.formats["sheet"] == "Daten"
    said = [w for w in log.report.warnings if "is hidden" in w]
    assert said and said[0].msgid.startswith("sheet {sheet!r} is hidden in the workbook")
    assert any("'Deckblatt'" in w and "hold no event log" in w for w in log.report.warnings)


def _book_1904(path, cells: list) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(HEADER)
    for i, v in enumerate(cells):
        ws.append([f"D-{i // 2}", ("Eingang", "Entscheid")[i % 2], v])
    wb.save(path)


def test_serial_numbers_of_a_1904_workbook(tmp_path):
    """In the 1904 date system serial 0 is 1904-01-01: 44138.375 is 4 November 2024, 09:00
    (1899-12-30 + 44138.375 would be 3 November 2020)."""
    p = tmp_path / "mac.xlsx"
    _book_1904(p, [44138.375, 44138.5, 44139.0, 44139.6875])
    log = _read(p)
    got = log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert got == ["2024-11-04 09:00", "2024-11-04 12:00", "2024-11-05 00:00", "2024-11-05 16:30"]
    assert "1904" in log.report.formats["dates"]["Datum"]["format"]


def test_date_cells_and_serials_of_a_1904_workbook_agree(tmp_path):
    """Date cells (which openpyxl reads with the workbook's epoch) and serial numbers in
    one column: both in 2024."""
    p = tmp_path / "mac_mixed.xlsx"
    _book_1904(p, [dt.datetime(2024, 11, 4, 9, 0), 44138.5, dt.datetime(2024, 11, 5, 8, 0), 44139.6875])
    log = _read(p)
    got = log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert got == ["2024-11-04 09:00", "2024-11-04 12:00", "2024-11-05 08:00", "2024-11-05 16:30"]


def test_serial_numbers_of_a_1900_workbook_are_unchanged(tmp_path):
    p = tmp_path / "win.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i, v in enumerate([45600.375, 45600.5]):
        ws.append(["D-1", ("Eingang", "Entscheid")[i], v])
    wb.save(p)
    log = _read(p)
    assert log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-11-04 09:00", "2024-11-04 12:00"]
    # and the origin does not leak out of the read
    from procmine.io._dates import _from_serial

    assert _from_serial(pd.Series([45600.0])).iloc[0] == pd.Timestamp("2024-11-04")
