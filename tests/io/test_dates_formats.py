"""Real-world date and number formats: yyyy/mm/dd, month names, two-digit years, string
timestamps in XES, decimal commas and Swiss grouping, and times out of range."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io import _xes_source
from procmine.io import xes as xes_mod
from procmine.io._dates import detect_date_format, out_of_range_reason
from procmine.log import ACTIVITY, CASE, START, TIMESTAMP


def _read(path: Path, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path, **kw)


def _csv(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _utc(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v, tz="UTC") for v in values]


# -- XES with string timestamps ---------------------------------------------------------------


def _xes(events: list[tuple[str, str, str]], ts_type: str = "string") -> str:
    """XES text: (case, activity, time) per event, time:timestamp typed ``ts_type``."""
    traces: dict[str, list[str]] = {}
    for case, act, ts in events:
        traces.setdefault(case, []).append(
            f'<event><string key="concept:name" value="{act}"/>'
            f'<{ts_type} key="time:timestamp" value="{ts}"/></event>'
        )
    body = "".join(
        f'<trace><string key="concept:name" value="{c}"/>{"".join(evs)}</trace>\n'
        for c, evs in traces.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n{body}</log>\n'


_PM4PY_LIKE = [
    ("1", "register request", "2019/11/03 01:11:19.000"),
    ("1", "examine", "2019/11/04 13:01:19.500"),
    ("1", "decide", "2019/11/05 09:00:00.000"),
    ("2", "register request", "2019/07/03 01:11:19.000"),
    ("2", "decide", "2019/07/13 23:59:59.999"),
    ("3", "register request", "2019/03/31 02:30:00.000"),  # skipped hour in Zurich
]


def test_xes_string_timestamps_give_pm4py_counts_and_times(tmp_path):
    pm4py = pytest.importorskip("pm4py")
    from pm4py.objects.log.util import dataframe_utils

    p = tmp_path / "strings.xes"
    p.write_text(_xes(_PM4PY_LIKE), encoding="utf-8")
    log = _read(p, tz="UTC")  # pm4py reads naive times as UTC
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dataframe_utils.convert_timestamp_columns_in_df(pm4py.read_xes(str(p)))
    assert log.n_events == len(ref) == 6
    assert log.n_cases == ref["case:concept:name"].nunique() == 3
    assert log.report.rows_kept == log.report.rows_read == 6
    ours = log.df.set_index([CASE, ACTIVITY])[TIMESTAMP].sort_index()
    theirs = ref.set_index(["case:concept:name", "concept:name"])["time:timestamp"].sort_index()
    assert ours.index.equals(theirs.index)
    assert ours.tolist() == theirs.astype("datetime64[us, UTC]").tolist()
    assert any("typed string" in w for w in log.report.warnings)


def test_xes_string_timestamps_are_zurich_time_by_default(tmp_path):
    p = tmp_path / "strings.xes"
    p.write_text(_xes(_PM4PY_LIKE), encoding="utf-8")
    got = _read(p).df.set_index([CASE, ACTIVITY])[TIMESTAMP]
    assert got[("1", "register request")] == pd.Timestamp("2019-11-03 00:11:19", tz="UTC")  # CET
    assert got[("2", "register request")] == pd.Timestamp("2019-07-02 23:11:19", tz="UTC")  # CEST
    # 02:30 did not exist that night: read as 03:30 CEST
    assert got[("3", "register request")] == pd.Timestamp("2019-03-31 01:30", tz="UTC")


def test_xes_date_attribute_with_non_iso_value(tmp_path):
    p = tmp_path / "dates.xes"
    events = [
        ("a", "x", "03.11.2019 01:11:19"),
        ("a", "y", "13.11.2019 10:00:00"),
        ("b", "x", "2.1.2020 08:00:00"),
    ]
    p.write_text(_xes(events, ts_type="date"), encoding="utf-8")
    log = _read(p, tz="UTC")
    assert log.report.rows_kept == 3
    assert sorted(log.df[TIMESTAMP]) == _utc("2019-11-03 01:11:19", "2019-11-13 10:00", "2020-01-02 08:00")
    assert any("not in ISO 8601" in w and "%d.%m.%Y %H:%M:%S" in w for w in log.report.warnings)


def test_xes_string_timestamps_decided_on_the_whole_file(tmp_path, monkeypatch):
    # the early times do not tell day from month; a late one proves month-first
    events = [(f"c{i}", "a", f"01/{i % 12 + 1:02d}/2024 10:00") for i in range(40)]
    events.append(("c99", "a", "01/13/2024 10:00"))
    p = tmp_path / "late_proof.xes"
    p.write_text(_xes(events), encoding="utf-8")
    whole = _read(p, tz="UTC")
    monkeypatch.setattr(xes_mod, "iter_chunks", lambda path: _xes_source.iter_chunks(path, 300))
    chunked = _read(p, tz="UTC")
    pd.testing.assert_frame_equal(whole.df, chunked.df)
    first = whole.df.set_index(CASE)[TIMESTAMP]
    assert first["c1"] == pd.Timestamp("2024-01-02 10:00", tz="UTC")  # 01/02 read month-first


def test_xes_string_timestamp_that_holds_no_dates_is_an_error(tmp_path):
    p = tmp_path / "words.xes"
    p.write_text(_xes([("1", "a", "gestern"), ("1", "b", "heute")]), encoding="utf-8")
    with pytest.raises(LogError, match="not a date"):
        _read(p)


# -- CSV date formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(  # around the spring change of Europe/Zurich: 02:00 -> 03:00 on 31 March
            ["2024/03/31 01:30:00.000", "2024/03/31 03:30:00.250", "2024/10/27 12:00"],
            ["2024-03-31 00:30", "2024-03-31 01:30:00.250", "2024-10-27 11:00"],
            id="yyyy/mm/dd",
        ),
        pytest.param(
            ["3. März 2024 14:05", "27. Okt. 2024 14:05", "1. Juli 2024 08:00"],
            ["2024-03-03 13:05", "2024-10-27 13:05", "2024-07-01 06:00"],
            id="de",
        ),
        pytest.param(
            ["3 mars 2024", "1er juil. 2024 10:00", "15 AOÛT 2024 12:30"],
            ["2024-03-02 23:00", "2024-07-01 08:00", "2024-08-15 10:30"],
            id="fr",
        ),
        pytest.param(
            ["3 marzo 2024", "12 ott 2024 09:00", "1° dicembre 2024 18:00"],
            ["2024-03-02 23:00", "2024-10-12 07:00", "2024-12-01 17:00"],
            id="it",
        ),
        pytest.param(
            ["03-Mar-2024 14:05:00", "01-JUL-2024 08:00:00", "15-sept-2024 09:30:00", "1st March 2024 10:00"],
            ["2024-03-03 13:05", "2024-07-01 06:00", "2024-09-15 07:30", "2024-03-01 09:00"],
            id="en-dd-Mon-yyyy",
        ),
        pytest.param(
            ["Mar 3, 2024", "July 1, 2024 2:05 PM", "Dec. 24, 2024 9:15 AM"],
            ["2024-03-02 23:00", "2024-07-01 12:05", "2024-12-24 08:15"],
            id="en-Mon-d-yyyy",
        ),
        pytest.param(  # %y: 00-68 -> 2000s, 69-99 -> 1900s
            ["03.05.24 10:00", "13.05.24 10:00", "01.01.69 10:00", "31.12.68 10:00"],
            ["2024-05-03 08:00", "2024-05-13 08:00", "1969-01-01 09:00", "2068-12-31 09:00"],
            id="two-digit-years",
        ),
    ],
)
def test_csv_date_formats(tmp_path, values, expected):
    rows = "".join(f"C{i};Schritt {i};{v}\n" for i, v in enumerate(values))
    log = _read(_csv(tmp_path, "Fall;Tätigkeit;Zeitstempel\n" + rows))
    assert log.report.rows_kept == len(values), log.report.dropped
    got = log.df.set_index(CASE)[TIMESTAMP]
    assert [got[f"C{i}"] for i in range(len(values))] == _utc(*expected)


def test_month_names_need_month_words():
    assert detect_date_format(pd.Series(["Mahnung 3 2024", "Antrag 12 2024"])) is None
    assert detect_date_format(pd.Series(["3 Jui 2024", "4 Jui 2024"])) is None  # juin or juillet?
    spec = detect_date_format(pd.Series(["3 Mrz 2024", "4 Sept. 2024", "5 janv. 2024"]))
    assert spec.kind == "names" and spec.share == 1.0


def test_date_column_with_month_names_joined_to_a_time_column(tmp_path):
    text = "Fall;Tätigkeit;Datum;Uhrzeit\n1;a;3. März 2024;14:05\n1;b;4. März 2024;09:00\n"
    log = _read(_csv(tmp_path, text))
    assert log.df[TIMESTAMP].tolist() == _utc("2024-03-03 13:05", "2024-03-04 08:00")


def _merged_export(tmp_path: Path, header: str = "Vorgang;Schritt;Wann") -> tuple[Path, list[pd.Timestamp]]:
    """Two systems' exports joined: one writes ISO 8601, the other dd.mm.yyyy, the third
    month names; 30 cases, each with one event in each format."""
    rows, expected = [header], []
    for c in range(30):
        day = c % 28 + 1
        rows += [f"V{c};Eingang;2025-03-{day:02d} 08:15", f"V{c};Prüfung;{day:02d}.04.2025 10:30",
                 f"V{c};Entscheid;{day}. Mai 2025 16:00"]
        expected += _utc(f"2025-03-{day:02d} 07:15", f"2025-04-{day:02d} 08:30", f"2025-05-{day:02d} 14:00")
    return _csv(tmp_path, "\n".join(rows) + "\n"), expected


def test_a_column_merged_from_systems_with_other_date_formats_reads_each_as_written(tmp_path):
    path, expected = _merged_export(tmp_path)
    log = _read(path)  # 'Wann' is no known header: the column is found by its content
    assert log.report.roles["timestamp"] == "Wann"
    assert log.report.rows_kept == 90 and log.report.dropped == {}
    assert sorted(log.df[TIMESTAMP]) == sorted(expected)
    told = [w for w in log.report.warnings if "also holds dates" in w]
    assert told == ["column 'Wann' also holds dates as %d.%m.%Y %H:%M (30 row(s)), read as written",
                    "column 'Wann' also holds dates as day month-name year (month names de/fr/it/en), "
                    "read as %d.%m.%Y %H:%M (30 row(s)), read as written"]
    from procmine.i18n import localise

    assert localise(told[0], "fr") == ("la colonne 'Wann' contient aussi des dates au format %d.%m.%Y %H:%M "
                                       "(30 ligne(s)), lues telles qu’elles sont écrites")
    assert localise(told[1], "de").startswith("die Spalte 'Wann' enthält auch Daten im Format Tag Monatsname Jahr")


def test_day_first_and_month_first_with_one_separator_are_not_mixed(tmp_path):
    # 13/01 proves day-first; 01/14 can only be month-first: the column mixes conventions,
    # so an ambiguous 05/03 cannot be trusted either way and the contradicting value stays bad
    text = "Fall;Tätigkeit;Zeitstempel\n1;a;13/01/2024 10:00\n1;b;05/03/2024 10:00\n2;a;01/14/2024 10:00\n"
    log = _read(_csv(tmp_path, text))
    assert log.report.dropped == {"unparseable timestamp": 1}
    assert not [w for w in log.report.warnings if "also holds dates" in w]


def test_other_formats_do_not_take_values_that_are_no_dates(tmp_path):
    text = "Fall;Tätigkeit;Zeitstempel\n1;a;2024-01-13 10:00\n1;b;unbekannt\n2;a;2024-01-14 10:00\n2;b;31.02.2024\n"
    log = _read(_csv(tmp_path, text))
    assert log.report.dropped == {"unparseable timestamp": 2}


# -- numbers -----------------------------------------------------------------------------------


def test_csv_number_conventions(tmp_path):
    nbsp, narrow = "\u00a0", "\u202f"
    text = (
        "Fall;Tätigkeit;Zeitstempel;Betrag;Kosten;Gebühr;Satz;Referenz;Gemischt\n"
        f"1;a;2024-01-01 10:00;1'234,50;1{nbsp}234,5;1’234.50;12,5;000123;12,5\n"
        f"1;b;2024-01-02 10:00;12,5;2{narrow}000;99.95;0,25;000124;3.7\n"
        f"2;a;2024-01-03 10:00;-1'000;15 000,75;1’000;7;000125;1\n"
    )
    df = _read(_csv(tmp_path, text)).df.sort_values(TIMESTAMP)
    assert df["Betrag"].tolist() == [1234.5, 12.5, -1000.0]
    assert df["Kosten"].tolist() == [1234.5, 2000.0, 15000.75]
    assert df["Gebühr"].tolist() == [1234.5, 99.95, 1000.0]
    assert df["Satz"].tolist() == [12.5, 0.25, 7.0]
    assert df["Referenz"].tolist() == ["000123", "000124", "000125"]  # ids with leading zeros
    assert df["Gemischt"].tolist() == ["12,5", "3.7", "1"]  # two conventions: text


def test_comma_is_a_decimal_mark_unless_the_column_proves_grouping(tmp_path):
    text = (
        "Fall;Tätigkeit;Zeitstempel;Allein;Englisch;Deutsch\n"
        "1;a;2024-01-01 10:00;1,234;1,234,567;1.234,5\n"
        "1;b;2024-01-02 10:00;2,500;2,000.5;12,25\n"
    )
    df = _read(_csv(tmp_path, text)).df
    assert df["Allein"].tolist() == [1.234, 2.5]  # ambiguous alone: decimal comma (Swiss, German)
    assert df["Englisch"].tolist() == [1234567.0, 2000.5]  # two commas / comma then dot: grouping
    assert df["Deutsch"].tolist() == [1234.5, 12.25]


# -- times out of range ------------------------------------------------------------------------


def test_year_1_and_year_99999_are_dropped_and_counted(tmp_path):
    text = (
        "Fall;Tätigkeit;Erledigt am\n"
        "1;a;2024-01-01 10:00\n"
        "1;b;0001-01-01 00:00\n"
        "2;a;2024-01-02 10:00\n"
        "2;b;99999-01-01 10:00\n"
        "3;a;2024-01-03 10:00\n"
        "3;b;kein Datum\n"
    )
    log = _read(_csv(tmp_path, text))
    reason = out_of_range_reason("Erledigt am")
    assert "'Erledigt am'" in reason
    assert log.report.dropped == {"unparseable timestamp": 1, reason: 2}
    assert log.report.dropped_rows[reason] == [2, 4]
    assert log.report.rows_kept == 3
    log.report.check()
    assert log.df[TIMESTAMP].tolist() == _utc("2024-01-01 09:00", "2024-01-02 09:00", "2024-01-03 09:00")


def test_out_of_range_in_swiss_dates_and_placeholders(tmp_path):
    text = (
        "Fall;Tätigkeit;Datum\n"
        "1;a;13.01.2024 10:00\n"
        "1;b;31.12.9999 00:00\n"  # "open end" placeholder, beyond what pandas' ns timestamps hold
        "2;a;01.01.1900 00:00\n"  # placeholder, representable: kept with a warning
        "2;b;14.01.2024 10:00\n"
    )
    log = _read(_csv(tmp_path, text))
    assert log.report.dropped == {out_of_range_reason("Datum"): 1}
    assert log.report.rows_kept == 3
    assert any("before 2 January 1970" in w and "'Datum'" in w for w in log.report.warnings)


def test_out_of_range_in_strict_mode_names_the_column(tmp_path):
    text = "Fall;Tätigkeit;Datum\n1;a;2024-01-01 10:00\n1;b;0001-01-01 10:00\n"
    with pytest.raises(LogError, match="out of range") as err:
        pm.read_log(_csv(tmp_path, text), strict=True)
    assert "Datum" in str(err.value)


def test_out_of_range_start_time_is_left_empty(tmp_path):
    text = (
        "Fall;Tätigkeit;Start;Ende\n"
        "1;a;0001-01-01 10:00;2024-01-01 10:00\n"
        "1;b;2024-01-02 09:00;2024-01-02 10:00\n"
    )
    log = _read(_csv(tmp_path, text), start_timestamp="Start", timestamp="Ende")
    assert log.report.rows_kept == 2
    assert log.df[START].isna().tolist() == [True, False]
    assert any("out-of-range start time" in w for w in log.report.warnings)


def test_typed_year_1_in_a_frame_is_dropped():
    df = pd.DataFrame(
        {
            "case": ["1", "1", "2"],
            "activity": ["a", "b", "a"],
            "time": pd.Series(
                pd.array(["2024-01-01 10:00", "0001-01-01 00:00", "2024-01-02 10:00"], dtype="datetime64[us]")
            ),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = pm.read_log(df)
    assert log.report.dropped == {out_of_range_reason("time"): 1}
    assert log.n_events == 2


def test_xes_year_1_and_year_99999_are_dropped_and_counted(tmp_path):
    events = [
        ("1", "a", "2024-01-01T10:00:00+00:00"),
        ("1", "b", "0001-01-01T00:00:00+00:00"),
        ("2", "a", "2024-01-02T10:00:00+00:00"),
        ("2", "b", "99999-01-01T10:00:00+00:00"),
    ]
    p = tmp_path / "range.xes"
    p.write_text(_xes(events, ts_type="date"), encoding="utf-8")
    log = _read(p)
    assert log.report.dropped == {out_of_range_reason(TIMESTAMP): 2}
    assert log.report.rows_kept == 2
    assert log.df[TIMESTAMP].tolist() == _utc("2024-01-01 10:00", "2024-01-02 10:00")


def test_cli_findings_on_a_year_1_row_does_not_crash(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    rows = "".join(
        f"{c};{a};2024-01-{d:02d} 10:00\n" for c in range(1, 6) for a, d in (("a", c), ("b", c + 1))
    )
    p = _csv(tmp_path, "Fall;Tätigkeit;Zeitstempel\n" + rows + "6;b;0001-01-01 10:00\n")
    res = CliRunner().invoke(main, ["findings", str(p)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output


def test_xes_timestamp_typed_date_and_string_in_one_file(tmp_path):
    text = _xes([("1", "a", "2024-01-01T10:00:00+01:00")], ts_type="date").replace(
        "</trace>",
        '<event><string key="concept:name" value="b"/>'
        '<string key="time:timestamp" value="2024-01-02T10:00:00+01:00"/></event></trace>',
    )
    p = tmp_path / "mixed.xes"
    p.write_text(text, encoding="utf-8")
    log = _read(p)
    assert log.df[TIMESTAMP].tolist() == _utc("2024-01-01 09:00", "2024-01-02 09:00")


def _epoch_rows(scale: int) -> pd.DataFrame:
    t = pd.to_datetime(["2024-03-04 08:00", "2024-03-04 09:30", "2024-03-05 14:00", "2024-07-01 10:00"], utc=True)
    return pd.DataFrame({"Fall": ["1", "1", "2", "2"], "Tätigkeit": ["Eingang", "Prüfung", "Eingang", "Entscheid"],
                         "raw": (t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1) * scale, "Kunde": [4012345678, 4012345679, 4098765432, 4098765433]})


@pytest.mark.parametrize("scale, unit", [(1, "s"), (1000, "ms"), (1_000_000, "us")])
def test_unix_times_in_a_time_column(tmp_path, scale, unit):
    """Database and web exports write times as seconds or milliseconds since 1970 (UTC): read
    as such in a column named as the time (or named by the caller), never shifted by the
    local zone; ten-digit customer numbers beside them stay numbers."""
    df = _epoch_rows(scale)
    want = pd.to_datetime(["2024-03-04 08:00", "2024-03-04 09:30", "2024-03-05 14:00", "2024-07-01 10:00"], utc=True)
    path = tmp_path / "export.csv"
    df.rename(columns={"raw": "Zeitstempel"}).to_csv(path, index=False)
    log = pm.read_log(path)
    assert log.report.roles["timestamp"] == "Zeitstempel"
    assert log.df["time:timestamp"].tolist() == list(want)
    spec = log.report.formats["dates"]["Zeitstempel"]
    assert spec["format"] == f"Unix time in {unit} (UTC)" and spec["tz"] == "UTC"
    named = pm.read_log(df, timestamp="raw")  # named by the caller, a typed integer column
    assert named.df["time:timestamp"].tolist() == list(want)
    assert pd.api.types.is_integer_dtype(named.df["Kunde"].dtype)


def test_unix_times_are_not_guessed_from_content_and_bad_ones_are_counted():
    df = pd.concat([_epoch_rows(1000).assign(Fall=lambda d, k=k: d["Fall"] + f"-{k}") for k in range(10)],
                   ignore_index=True)
    with pytest.raises(LogError, match="cannot tell which column holds the timestamp"):
        pm.read_log(df)  # "raw": thirteen-digit numbers could be ids as well
    df.loc[1, "raw"] = 12345  # not a time in milliseconds
    log = pm.read_log(df, timestamp="raw")
    assert log.n_events == 39 and log.report.dropped == {"unparseable timestamp": 1}
