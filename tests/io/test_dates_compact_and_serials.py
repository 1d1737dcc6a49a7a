"""Defects found by a probe with unseen exports: amounts taken for Excel serial dates,
compact SAP dates (yyyymmdd[HHMMSS]), "Uhr" and French "09h00" times, the message of a
column named like a time that holds no dates, and the zone named for naive XES times."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io._dates import (
    DEFAULT_TZ,
    detect_date_format,
    known_formats,
    not_dates_note,
    parse_dates,
)
from procmine.log import START, TIMESTAMP

STEPS = ("Eingang", "Vorprüfung", "Fachbericht", "Entscheid")


def _read(path: Path, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path, **kw)


def _times(cases: int = 30) -> list[tuple[int, str, pd.Timestamp]]:
    start = pd.Timestamp("2024-03-01 08:00")
    return [(c, a, start + pd.Timedelta(days=c, hours=5 * i, minutes=7 * c % 60))
            for c in range(cases) for i, a in enumerate(STEPS)]


# -- 1. amounts are not Excel serial date-times -------------------------------------------


def test_amount_column_is_not_taken_as_start_time(tmp_path):
    """CHF amounts 20000-44000 with cents lie in Excel's serial range (1954-2020) but are no
    times of day: content detection must leave them a numeric attribute."""
    rnd = random.Random(12)
    p = tmp_path / "amount.csv"
    p.write_text("Gesuch-Nr;Aktivität;Datum;Betrag\n" + "".join(
        f"G{c};{a};{t:%d.%m.%Y %H:%M};{rnd.randint(20000, 44000)}.{rnd.randint(10, 95)}\n"
        for c, a, t in _times(50)), encoding="utf-8")
    log = _read(p)
    assert "start_timestamp" not in log.report.roles
    assert START not in log.df.columns
    assert pd.api.types.is_float_dtype(log.df["Betrag"].dtype)
    assert log.df[TIMESTAMP].dt.year.eq(2024).all()


@pytest.mark.parametrize("cents", [
    [78, 5, 40, 25, 99, 50, 12, 60],          # any cents
    [5, 10, 15, 20, 35, 50, 65, 95],          # rounded to 5 Rappen: every one a whole minute
    [50, 50, 25, 75, 50, 25, 75, 50],         # quarters and halves
])
def test_amounts_are_not_serial_dates_in_content_detection(cents):
    rnd = random.Random(3)
    amounts = pd.Series([rnd.randint(20000, 44000) + c / 100 for c in cents])
    assert detect_date_format(amounts, strict_numbers=True) is None
    assert detect_date_format(amounts.astype(str), strict_numbers=True) is None


@pytest.mark.parametrize("values", [
    [45600.375, 45600.5416666667, 45601.0, 45602.6875, 45603.3541666667],  # 09:00, 13:00, 16:30, 08:30
    [45600.38542, 45600.54167, 45601.70833, 45602.43403],                   # written to five decimals
    [45600.3865162037, 45601.4021412037, 45602.6001157407],                 # with seconds
])
def test_serial_date_times_are_still_found_by_content(values):
    spec = detect_date_format(pd.Series(values), strict_numbers=True)
    assert spec is not None and spec.kind == "excel"
    times, bad = parse_dates(pd.Series(values), spec, tz="UTC")
    assert not bad.any() and times.dt.year.eq(2024).all()


def test_whole_serial_days_named_as_dates_are_still_read():
    spec = detect_date_format(pd.Series([45600, 45601, 45610]))  # a header named them
    assert spec is not None and spec.kind == "excel"


# -- 2. compact dates: yyyymmdd and yyyymmddHHMMSS -------------------------------------------


@pytest.mark.parametrize(("header", "fmt"), [
    ("Datum", "%Y%m%d"), ("date", "%Y%m%d"), ("Datum", "%Y%m%d%H%M%S"), ("date", "%Y%m%d%H%M%S"),
    # "Erfasst am" is no header word of detect.py: found by content, so with its time only
    ("Erfasst am", "%Y%m%d%H%M%S"),
])
def test_compact_dates_in_a_column_named_like_a_date(tmp_path, header, fmt):
    p = tmp_path / "sap.csv"
    p.write_text(f"Fall;Aktivität;{header}\n" + "".join(f"F{c};{a};{t:{fmt}}\n" for c, a, t in _times()),
                 encoding="utf-8")
    log = _read(p)
    assert log.report.roles["timestamp"] == header
    want = [t.strftime(fmt) for _, _, t in _times()]
    got = log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime(fmt)
    assert sorted(got) == sorted(want)
    assert not log.report.dropped and log.report.rows_kept == len(want)


@pytest.mark.parametrize("values", [
    [20241104, 20241105, 20241231],
    [20241104.0, None, 20241231.0],                # numbers with a blank: a float column
    ["20241104", "20241105 ", "20241231"],
    [20241104093000, 20241105101510],
    ["20241104093000", "20241105101510"],
])
def test_compact_dates_as_text_or_numbers(values):
    s = pd.Series(values)
    spec = detect_date_format(s)
    assert spec is not None and spec.kind == "format" and spec.order == "compact"
    times, bad = parse_dates(s, spec, tz="UTC")
    assert not bad.any()
    assert times.dropna().dt.strftime("%Y-%m-%d").tolist()[0] == "2024-11-04"


def test_compact_dates_reject_values_of_another_length():
    """pandas' %Y%m%d reads 2024114 as 4 November: a value of seven digits is no date."""
    s = pd.Series(["2024114"] + [f"202411{d:02d}" for d in range(1, 20)])
    spec = detect_date_format(s)
    assert spec is not None and spec.order == "compact"
    _, bad = parse_dates(s, spec, tz="UTC")
    assert bad.tolist() == [True] + [False] * 19


@pytest.mark.parametrize("ids", [
    list(range(20240001, 20240400)),                       # running numbers of 2024: month 00, day 32...
    list(range(10000000, 10004000, 7)),                    # ids of eight digits
    [random.Random(5).randint(10**7, 10**8 - 1) for _ in range(300)],
])
def test_eight_digit_ids_are_not_dates(ids):
    assert detect_date_format(pd.Series(ids)) is None
    assert detect_date_format(pd.Series(ids).astype(str)) is None


def test_compact_dates_need_a_plausible_year():
    # valid calendar dates, but of 1900-1960: ids or placeholders rather than event times
    s = pd.Series([f"19{y:02d}0101" for y in range(0, 60)])
    assert detect_date_format(s) is None


def test_compact_dates_by_content_only_with_a_time():
    """Content detection is as careful as with Excel serials: eight digits alone (as often
    an id) are not taken, fourteen with times of day are."""
    days = pd.Series([int(t.strftime("%Y%m%d")) for _, _, t in _times()])
    stamps = pd.Series([int(t.strftime("%Y%m%d%H%M%S")) for _, _, t in _times()])
    assert detect_date_format(days, strict_numbers=True) is None
    spec = detect_date_format(stamps, strict_numbers=True)
    assert spec is not None and spec.formats == ("%Y%m%d%H%M%S",)


def test_compact_timestamp_found_by_content(tmp_path):
    p = tmp_path / "sap.csv"
    p.write_text("Fall;Aktivität;ZEITSTEMPEL_X\n" + "".join(f"F{c};{a};{t:%Y%m%d%H%M%S}\n" for c, a, t in _times()),
                 encoding="utf-8")
    log = _read(p)
    assert log.report.roles["timestamp"] == "ZEITSTEMPEL_X"
    assert log.df[TIMESTAMP].dt.year.eq(2024).all()


def test_compact_date_joined_to_its_time_column(tmp_path):
    p = tmp_path / "sap.csv"
    p.write_text("Fall;Aktivität;Datum;Uhrzeit\n" + "".join(f"F{c};{a};{t:%Y%m%d};{t:%H:%M:%S}\n"
                                                          for c, a, t in _times()), encoding="utf-8")
    log = _read(p)
    got = log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime("%Y%m%d %H:%M")
    assert sorted(got) == sorted(t.strftime("%Y%m%d %H:%M") for _, _, t in _times())


@pytest.mark.parametrize("fmt", ["%d.%m.%Y %H:%M Uhr", "%d.%m.%Y %H:%M:%S uhr", "%d.%m.%Y %Hh%M", "%d.%m.%Y %H h %M"])
def test_uhr_and_french_hours(tmp_path, fmt):
    p = tmp_path / "log.csv"
    p.write_text("Fall;Aktivität;Zeitpunkt\n" + "".join(f"F{c};{a};{t:{fmt}}\n" for c, a, t in _times()),
                 encoding="utf-8")
    log = _read(p)
    got = log.df[TIMESTAMP].dt.tz_convert(DEFAULT_TZ).dt.strftime("%d.%m.%Y %H:%M")
    assert sorted(got) == sorted(t.strftime("%d.%m.%Y %H:%M") for _, _, t in _times())


def test_french_hours_with_month_names():
    s = pd.Series(["4 novembre 2024 9 h 05", "13 novembre 2024 14h30"])
    times, bad = parse_dates(s, detect_date_format(s), tz="UTC")
    assert not bad.any() and times.dt.strftime("%d.%m %H:%M").tolist() == ["04.11 09:05", "13.11 14:30"]


# -- 3. a column named like a time whose values are not dates --------------------------------


def test_not_dates_note_quotes_values_and_lists_formats():
    n = not_dates_note(pd.Series(["Q1/2024", "Q2/2024", "Q3/2024"]), "Datum", "timestamp")
    assert "'Q1/2024', 'Q2/2024'" in n and "Q3/2024" not in n
    assert "not dates" in n  # (the reader's error repeats notes that say so)
    assert str(known_formats()) in n and "yyyymmdd" in n and "dd.mm.yyyy" in n
    assert n.fields["formats"].msgid == known_formats().msgid  # translated with the note


def test_not_dates_note_quotes_the_values_the_format_does_not_read():
    s = pd.Series(["01.02.2024 10:00", "Q1/2024", "Q2/2024", "Q3/2024"])
    n = not_dates_note(s, "Datum", "timestamp", detect_date_format(s))
    assert "'Q1/2024', 'Q2/2024'" in n and "01.02.2024" not in n


def test_named_timestamp_of_other_values_says_which_and_the_formats(tmp_path):
    """(needs detect.py::_header_fits to warn with :func:`not_dates_note`)"""
    p = tmp_path / "log.csv"
    p.write_text("Fall;Aktivität;Datum\n" + "".join(f"F{c};{a};KW {c % 52 + 1}/2024\n" for c, a, _ in _times()),
                 encoding="utf-8")
    with pytest.raises(LogError) as err:
        _read(p)
    assert "'KW 1/2024'" in str(err.value) and "yyyymmdd" in str(err.value)


# -- 4. naive times beside times with an offset in XES ---------------------------------------


def test_xes_mixed_offsets_name_the_zone_used(tmp_path):
    p = tmp_path / "mixed.xes"
    events = [("A", "2024-03-01T08:00:00+01:00"), ("B", "2024-03-01T09:00:00"), ("C", "2024-03-01T10:00:00")]
    body = "".join(f'<event><string key="concept:name" value="{a}"/><date key="time:timestamp" value="{t}"/></event>'
                   for a, t in events)
    p.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
                 f'<trace><string key="concept:name" value="c1"/>{body}</trace>\n</log>\n', encoding="utf-8")
    log = _read(p)
    said = [w for w in log.report.warnings if "with and without UTC offset" in w]
    assert said and said[0].endswith(f"read as {DEFAULT_TZ}")
    assert "None" not in said[0]
    assert log.df[TIMESTAMP].dt.strftime("%H:%M").tolist() == ["07:00", "08:00", "09:00"]
