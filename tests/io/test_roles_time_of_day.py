"""Defects found by a probe with unseen exports: typed and 12-hour times of day not joined
to their date column, a time column taken for the org unit, an implausible start time,
a case warning left behind by the veto, and the message of a timestamp header over values
that are not dates."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io._detect_content import clock_micros, is_time_of_day
from procmine.io.detect import detect_roles
from procmine.log import TIMESTAMP

STEPS = ("Eingang", "Prüfung", "Entscheid")
ZURICH = "Europe/Zurich"


def _read(source, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(source, **kw)


def _local(log: pm.EventLog, fmt: str = "%H:%M") -> list[str]:
    return log.df[TIMESTAMP].dt.tz_convert(ZURICH).dt.strftime(fmt).tolist()


def _joined(log: pm.EventLog, date: str, clock: str) -> bool:
    return (log.report.formats.get("time_of_day") == {date: clock} and clock not in log.df.columns
            and any("joined into the timestamp" in w for w in log.report.warnings))


# -- 1. typed date cells beside typed time-of-day cells ----------------------------------


def test_excel_date_cells_and_time_cells_are_joined(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Dossier-Nr", "Aktivität", "Datum", "Uhrzeit"])
    for c in range(5):
        for i, a in enumerate(STEPS):
            ws.append([f"B-{c}", a, dt.date(2024, 11, 4 + c), dt.time(8 + 3 * i, 15)])
    wb.save(tmp_path / "split.xlsx")
    log = _read(tmp_path / "split.xlsx")
    assert _local(log) == ["08:15", "11:15", "14:15"] * 5
    assert _joined(log, "Datum", "Uhrzeit")


def test_parquet_date32_and_time64_are_joined(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [(f"B-{c}", a, dt.date(2024, 3, 30 + c % 2), dt.time(1 + i, 30, 5)) for c in range(4)
            for i, a in enumerate(STEPS)]
    cols = list(zip(*rows, strict=True))
    table = pa.table({"Dossier-Nr": list(cols[0]), "Aktivität": list(cols[1]),
                      "Datum": pa.array(cols[2], pa.date32()), "Uhrzeit": pa.array(cols[3], pa.time64("us"))})
    pq.write_table(table, tmp_path / "split.parquet")
    log = _read(tmp_path / "split.parquet")
    # 31 March 2024, 02:30 does not exist in Zurich (clocks go forward): moved an hour, as for text
    assert _local(log, "%d %H:%M:%S") == ["30 01:30:05", "30 02:30:05", "30 03:30:05",
                                          "31 01:30:05", "31 03:30:05", "31 03:30:05"] * 2
    assert _joined(log, "Datum", "Uhrzeit")


def test_frame_of_midnight_datetimes_and_durations_within_a_day_is_joined():
    df = pd.DataFrame({"Fall": ["A", "A", "B"], "Aktivität": ["x", "y", "x"],
                       "Datum": pd.to_datetime(["2024-01-15", "2024-01-15", "2024-07-01"]),
                       "Uhrzeit": pd.to_timedelta(["08:30:00", "16:45:00", "23:59:59"])})
    log = _read(df)
    assert _local(log, "%d.%m. %H:%M:%S") == ["15.01. 08:30:00", "15.01. 16:45:00", "01.07. 23:59:59"]
    assert _joined(log, "Datum", "Uhrzeit")


def test_typed_dates_with_their_own_times_take_no_time_column():
    df = pd.DataFrame({"Fall": ["A", "A"], "Aktivität": ["x", "y"],
                       "Datum": pd.to_datetime(["2024-01-15 09:00", "2024-01-15 10:00"]),
                       "Uhrzeit": [dt.time(7, 0), dt.time(8, 0)]})
    log = _read(df)
    assert _local(log) == ["09:00", "10:00"] and "time_of_day" not in log.report.formats
    assert "Uhrzeit" in log.df.columns


def test_unreadable_time_cell_beside_a_date_cell_is_counted_not_set_to_midnight():
    clocks = [dt.time(8 + i, 0) for i in range(10)] + ["kaputt", None]
    df = pd.DataFrame({"Fall": ["A"] * 12, "Aktivität": [f"s{i}" for i in range(12)],
                       "Datum": pd.to_datetime(["2024-01-15"] * 12), "Uhrzeit": pd.Series(clocks, dtype=object)})
    log = _read(df)
    # the blank time keeps midnight, as with text columns; "kaputt" is dropped and counted, as in text
    assert sorted(_local(log)) == ["00:00"] + [f"{8 + i:02d}:00" for i in range(10)]
    assert log.report.rows_dropped == 1 and "unparseable timestamp" in log.report.dropped


# -- 2. 12-hour clocks --------------------------------------------------------------------


def test_twelve_hour_time_column_is_joined(tmp_path):
    p = tmp_path / "ampm.csv"
    hours = [("Receipt", "8:00 AM"), ("Review", "12:30 PM"), ("Decision", "2:30 PM"), ("Archive", "11:59 p.m.")]
    p.write_text("Case ID,Activity,Date,Time\n" + "".join(
        f"C{c},{a},11/{10 + c:02d}/2024,{h}\n" for c in range(5) for a, h in hours), encoding="utf-8")
    log = _read(p)
    assert _local(log, "%m-%d %H:%M")[:4] == ["11-10 08:00", "11-10 12:30", "11-10 14:30", "11-10 23:59"]
    assert _joined(log, "Date", "Time")
    assert not any("both look like the timestamp" in w for w in log.report.warnings)  # "Time" holds no dates


def test_clock_values():
    got = clock_micros(pd.Series(["8:15", "12:00 AM", "12:30 PM", "2:30 p.m.", "9h30", "09:00 Uhr",
                                  "10:00:30.5", "25:00", "13:00 PM", "Eingang"]))
    assert (got // 60_000_000).tolist() == [495, 0, 750, 870, 570, 540, 600, -1, -1, -1]
    assert got[6] == 36_030_500_000
    typed = pd.Series([dt.time(8, 15), dt.timedelta(hours=2), dt.timedelta(hours=30), 4.5], dtype=object)
    assert (clock_micros(typed) // 60_000_000).tolist() == [495, 120, -1, -1]
    assert is_time_of_day(pd.Series(["07:00", "16:00"])) and not is_time_of_day(pd.Series(["B-1", "07:00"]))
    assert not is_time_of_day(pd.Series([700, 1600]))


# -- 3. the named date column keeps its time column ---------------------------------------


def _split_csv(tmp_path: Path, extra: str = "", more: str = "") -> Path:
    p = tmp_path / "split.csv"
    p.write_text(f"Dossier-Nr;Aktivität;Datum;Uhrzeit{extra}\n" + "".join(
        f"B-{c};{a};{4 + c:02d}.11.2024;{h}{more}\n" for c in range(5) for a, h in [("Eingang", "09:00"),
                                                                                ("Entscheid", "14:30")]),
        encoding="utf-8")
    return p


def test_time_column_joined_to_a_date_column_named_by_the_caller(tmp_path):
    log = _read(_split_csv(tmp_path), timestamp="Datum")
    assert _local(log) == ["09:00", "14:30"] * 5
    assert _joined(log, "Datum", "Uhrzeit")


def test_two_time_columns_are_not_guessed_between(tmp_path):
    log = _read(_split_csv(tmp_path, ";Dauer", ";1:30"), timestamp="Datum")
    assert _local(log) == ["00:00"] * 10 and {"Uhrzeit", "Dauer"} <= set(log.df.columns)
    said = [w for w in log.report.warnings if "several columns hold times of day" in w]
    assert said and "'Uhrzeit', 'Dauer'" in said[0]


# -- 4. a time of day (or a number) that follows the activity is no org unit --------------


def test_time_of_day_following_the_activity_is_not_the_org_unit(tmp_path):
    rows = [f"B-{c};{a};{c % 28 + 1:02d}.11.2024;{h}" for c in range(30)
            for a, h in [("Eingang", "07:00"), ("Prüfung", "10:30"), ("Entscheid", "16:00")]]
    p = tmp_path / "uhr.csv"
    p.write_text("Dossier-Nr;Aktivität;Datum;Uhrzeit\n" + "\n".join(rows) + "\n", encoding="utf-8")
    log = _read(p)
    assert "org" not in log.report.roles and "resource" not in log.report.roles
    assert _local(log)[:3] == ["07:00", "10:30", "16:00"]
    assert _joined(log, "Datum", "Uhrzeit")


def test_count_following_the_activity_is_not_the_org_unit():
    rng = np.random.default_rng(3)
    pages = {"Eingang": [1, 2], "Prüfung": [12, 15, 20], "Entscheid": [3, 4]}
    rows = [(f"B-{c}", a, pd.Timestamp("2024-11-01") + pd.Timedelta(days=c % 28, hours=3 * i),
             int(rng.choice(pages[a]))) for c in range(60) for i, a in enumerate(STEPS)]
    df = pd.DataFrame(rows, columns=["Dossier-Nr", "Aktivität", "Erledigt", "Seiten"])
    det = detect_roles(df)
    assert "org" not in det.roles and "resource" not in det.roles


# -- 5. a start time found by content must be on the scale of the log --------------------


def _with_start(shift) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for c in range(80):
        t = pd.Timestamp("2024-02-01 08:00") + pd.Timedelta(hours=int(rng.integers(0, 24 * 200)))
        for a in STEPS:
            t += pd.Timedelta(hours=int(rng.integers(2, 60)))
            rows.append((f"G-{c:03d}", a, t, t - shift(rng)))
    df = pd.DataFrame(rows, columns=["Geschäfts-Nr", "Aktivität", "Erledigt", "Vertrag"])
    fmt = "%d.%m.%Y %H:%M"
    return df.assign(Erledigt=df["Erledigt"].dt.strftime(fmt), Vertrag=df["Vertrag"].dt.strftime(fmt))


def test_dates_decades_before_the_completions_are_no_start_time():
    df = _with_start(lambda rng: pd.Timedelta(days=int(rng.integers(20 * 365, 30 * 365))))
    log = _read(df)
    assert "start_timestamp" not in log.report.roles and "Vertrag" in log.df.columns
    said = [w for w in log.report.warnings if "not a start time" in w]
    assert said and "'Vertrag'" in said[0] and "start_timestamp='Vertrag'" in said[0]


def test_dates_hours_before_the_completions_are_the_start_time():
    log = _read(_with_start(lambda rng: pd.Timedelta(minutes=int(rng.integers(10, 300)))))
    assert log.report.roles["start_timestamp"] == "Vertrag"
    assert not any("not a start time" in w for w in log.report.warnings)


# -- 6. a vetoed case header leaves no warning that it was taken --------------------------


def test_vetoed_case_header_withdraws_its_both_look_like_warning():
    rng = np.random.default_rng(1)
    rows = []
    for c in range(200):
        t = pd.Timestamp("2024-03-01 08:00") + pd.Timedelta(hours=int(rng.integers(0, 24 * 300)))
        for a in STEPS:
            t += pd.Timedelta(hours=int(rng.integers(2, 72)))
            rows.append((["Bau", "Umbau", "Abbruch"][c % 3], f"G-{c:04d}", a, t.strftime("%d.%m.%Y %H:%M")))
    log = _read(pd.DataFrame(rows, columns=["Fall", "Geschäfts-Nr", "Aktivität", "Datum"]))
    assert log.report.roles["case"] == "Geschäfts-Nr"
    assert not any("both look like the case" in w for w in log.report.warnings)
    assert any("'Fall'" in w and "a category, not the case id" in w for w in log.report.warnings)


# -- 7. a timestamp header over values that are not dates --------------------------------


def test_timestamp_header_of_other_values_quotes_them_and_lists_the_formats():
    df = pd.DataFrame({"Fall": ["1", "1", "2"], "Aktivität": ["a", "b", "a"], "Zeit": ["3 h", "4 h", "3 h"],
                       "Erfasst": ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00"]})
    det = detect_roles(df)
    said = [w for w in det.warnings if "'Zeit'" in w and "not dates" in w]
    assert said and "'3 h', '4 h'" in said[0] and "dd.mm.yyyy" in said[0] and "ISO 8601" in said[0]


def test_error_for_a_timestamp_header_of_other_values_does_not_ask_to_name_it(tmp_path):
    p = tmp_path / "kw.csv"
    p.write_text("Fall;Aktivität;Datum\n" + "".join(f"F{c};{a};KW {c + 1}/2024\n" for c in range(30) for a in "ab"),
                 encoding="utf-8")
    with pytest.raises(LogError) as err:
        _read(p)
    text = str(err.value)
    assert "'KW 1/2024'" in text and "dd.mm.yyyy" in text and "Name it:" not in text
