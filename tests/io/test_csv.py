"""CSV reading: Swiss Excel exports, encodings, separators, quotes, malformed lines, errors."""

from __future__ import annotations

import gzip
import warnings

import pandas as pd
import pytest

from procmine.errors import DataQualityWarning, LogError
from procmine.io import read_log
from procmine.log import ACTIVITY, CASE, GROUP, RESOURCE, TIMESTAMP

SWISS = (
    "Dossier-Nr;Aktivität;Datum;Sachbearbeiter/in;Amt\r\n"
    "2024-001;Eingang Gesuch;15.01.2024 08:30;Müller;Bauamt\r\n"
    "2024-001;Prüfung;16.01.2024 14:05;Müller;Bauamt\r\n"
    "2024-001;Bewilligung erteilt;01.07.2024 10:00;Zürcher;Gemeinderat\r\n"
    "2024-002;Eingang Gesuch;31.02.2024 10:00;Brändli;Bauamt\r\n"
    ";Prüfung;20.02.2024 09:00;Brändli;Bauamt\r\n"
    "2024-002;Prüfung;21.02.2024 09:15;Brändli;Bauamt\r\n"
    "007;Eingang Gesuch;03.03.2024 11:00;Müller;Bauamt\r\n"
)


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(path, **kw)
    log.report.check()
    assert log.report.rows_read == log.report.rows_kept + sum(log.report.dropped.values())
    return log


def write(tmp_path, text, name="log.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_swiss_excel_export(tmp_path):
    p = write(tmp_path, SWISS, encoding="cp1252")
    with pytest.warns(DataQualityWarning, match=r"2 of 7 rows dropped"):
        log = read_log(p)
    r = log.report
    r.check()
    assert r.formats["encoding"] == "cp1252" and r.formats["separator"] == ";"
    assert r.roles == {
        "case": "Dossier-Nr",
        "activity": "Aktivität",
        "timestamp": "Datum",
        "resource": "Sachbearbeiter/in",
        "org": "Amt",
    }
    assert set(r.role_detection.values()) == {"header"}
    assert r.rows_read == 7 and r.rows_kept == 5
    assert r.dropped == {"missing case id": 1, "unparseable timestamp": 1}
    assert r.dropped_rows == {"missing case id": [5], "unparseable timestamp": [4]}
    assert r.formats["dates"]["Datum"]["format"] == "%d.%m.%Y %H:%M"
    df = log.df
    first = df[df[CASE] == "2024-001"]
    assert first[ACTIVITY].tolist() == ["Eingang Gesuch", "Prüfung", "Bewilligung erteilt"]
    # winter: CET = UTC+1; summer: CEST = UTC+2
    assert first[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-01-15 07:30", tz="UTC"),
        pd.Timestamp("2024-01-16 13:05", tz="UTC"),
        pd.Timestamp("2024-07-01 08:00", tz="UTC"),
    ]
    assert str(df[TIMESTAMP].dtype) == "datetime64[us, UTC]"
    assert "007" in set(df[CASE])  # leading zeros kept
    assert df[RESOURCE].tolist()[0] == "Müller" and df[GROUP].tolist()[2] == "Gemeinderat"


def test_swiss_export_strict_names_row_and_column(tmp_path):
    p = write(tmp_path, SWISS.replace(";Prüfung;20.02", "2024-002;Prüfung;20.02"), encoding="cp1252")
    with pytest.raises(LogError, match=r"unparseable timestamp") as err:
        read_log(p, strict=True)
    assert err.value.row == 4 and err.value.column == "Datum" and str(p) in str(err.value)


def test_empty_file_names_it(tmp_path):
    p = write(tmp_path, "")
    with pytest.raises(LogError, match=r"empty.*header") as err:
        read_log(p)
    assert str(p) in str(err.value)
    p2 = write(tmp_path, "\n\n  \n", name="blank.csv")
    with pytest.raises(LogError, match=r"empty"):
        read_log(p2)


def test_header_only(tmp_path):
    p = write(tmp_path, "case;activity;timestamp\n")
    with pytest.raises(LogError, match=r"no data rows") as err:
        read_log(p)
    assert str(p) in str(err.value)


def test_explicit_column_missing_lists_columns(tmp_path):
    p = write(tmp_path, SWISS)
    with pytest.raises(LogError, match=r"'Fall'.*does not exist.*'Dossier-Nr', 'Aktivität', 'Datum'") as err:
        read_log(p, case="Fall")
    assert err.value.column == "Fall"


def test_no_case_column_says_what_to_pass(tmp_path):
    p = write(tmp_path, "Aktivität;Datum\nA;01.01.2024\nB;02.01.2024\n")
    with pytest.raises(LogError, match=r'case.*Aktivität.*read_log\(path, case="..."\)') as err:
        read_log(p)
    assert str(p) in str(err.value)


@pytest.mark.parametrize(
    "header, roles",
    [
        (
            "N° de dossier;Activité;Horodatage;Collaborateur/trice;Service;Commune",
            {
                "case": "N° de dossier",
                "activity": "Activité",
                "timestamp": "Horodatage",
                "resource": "Collaborateur/trice",
                "org": "Service",
            },
        ),
        (
            "Numero pratica;Attività;Data;Operatore;Ufficio",
            {
                "case": "Numero pratica",
                "activity": "Attività",
                "timestamp": "Data",
                "resource": "Operatore",
                "org": "Ufficio",
            },
        ),
        (
            "Case ID;Activity;Complete Timestamp;Resource;Department",
            {
                "case": "Case ID",
                "activity": "Activity",
                "timestamp": "Complete Timestamp",
                "resource": "Resource",
                "org": "Department",
            },
        ),
    ],
)
def test_languages(tmp_path, header, roles):
    n = header.count(";") + 1
    rows = [
        ["D-1", "Dépôt", "05.03.2024 08:00", "Dupont", "Service A", "Sion"],
        ["D-1", "Contrôle", "06.03.2024 09:30", "Rossi", "Service B", "Sion"],
        ["D-2", "Dépôt", "07.03.2024 10:00", "Dupont", "Service A", "Sierre"],
    ]
    text = header + "\n" + "".join(";".join(r[:n]) + "\n" for r in rows)
    log = read(write(tmp_path, text))
    assert log.report.roles == roles
    assert log.n_events == 3 and log.n_cases == 2
    if "Commune" in header:
        assert log.df["Commune"].tolist() == ["Sion", "Sion", "Sierre"]  # other columns kept


def test_dayfirst_consistent_in_a_column(tmp_path):
    text = "case,activity,date\n1,a,05/01/2024 10:00\n1,b,13/01/2024 10:00\n2,a,02/03/2024 10:00\n"
    log = read(write(tmp_path, text), tz="UTC")
    times = log.df[TIMESTAMP].dt.strftime("%Y-%m-%d").tolist()
    assert times == ["2024-01-05", "2024-01-13", "2024-03-02"]  # 05/01 is 5 January, not May
    assert log.report.formats["dayfirst"]["date"] is True
    assert "proves" in log.report.formats["dates"]["date"]["why"]


def test_month_first_proven(tmp_path):
    text = "case,activity,date\n1,a,05/01/2024\n1,b,05/13/2024\n2,a,02/03/2024\n"
    log = read(write(tmp_path, text), tz="UTC")
    assert log.df[TIMESTAMP].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2024-05-13", "2024-02-03"]
    assert log.report.formats["dayfirst"]["date"] is False


def test_ambiguous_is_day_first_and_said(tmp_path):
    text = "case,activity,date\n1,a,05/01/2024\n1,b,06/01/2024\n"
    log = read(write(tmp_path, text), tz="UTC")
    assert log.df[TIMESTAMP].dt.month.tolist() == [1, 1]
    assert log.report.formats["dayfirst"]["date"] is True
    assert any("Swiss" in w for w in log.report.warnings)
    forced = read(write(tmp_path, text, name="b.csv"), tz="UTC", dayfirst=False)
    assert forced.df[TIMESTAMP].dt.month.tolist() == [5, 6]


def test_iso_with_offsets_and_fractions(tmp_path):
    text = (
        "case,activity,timestamp\n"
        "1,a,2024-03-30T10:00:00+01:00\n"
        "1,b,2024-03-31T10:00:00.250+02:00\n"
        "2,a,2024-04-01 08:00:00Z\n"
    )
    log = read(write(tmp_path, text))
    assert log.df[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-03-30 09:00", tz="UTC"),
        pd.Timestamp("2024-03-31 08:00:00.250", tz="UTC"),
        pd.Timestamp("2024-04-01 08:00", tz="UTC"),
    ]


def test_utf8_bom(tmp_path):
    text = "\ufeffFall-ID;Tätigkeit;Zeitstempel\nA;Prüfung;2024-01-02 10:00:00\n"
    log = read(write(tmp_path, text))
    assert log.report.formats["encoding"] == "utf-8-sig"
    assert log.report.roles["case"] == "Fall-ID"
    assert log.df[ACTIVITY].tolist() == ["Prüfung"]


def test_tab_separator_and_txt(tmp_path):
    text = "Case\tTask\tTimestamp\n1\tRegister, check\t2024-01-02 10:00:00\n"
    log = read(write(tmp_path, text, name="log.txt"))
    assert log.report.formats["separator"] == "\t"
    assert log.df[ACTIVITY].tolist() == ["Register, check"]


def test_quoted_fields_with_separators_and_newlines(tmp_path):
    text = (
        "case;activity;timestamp;note\n"
        '1;"Prüfen; nachfragen";2024-01-02 10:00:00;"zwei\nZeilen"\n'
        '1;"Sagt ""ja""";2024-01-03 10:00:00;x\n'
    )
    log = read(write(tmp_path, text))
    assert log.df[ACTIVITY].tolist() == ["Prüfen; nachfragen", 'Sagt "ja"']
    assert log.df["note"].tolist() == ["zwei\nZeilen", "x"]


def test_malformed_lines_counted_with_rows(tmp_path):
    text = (
        "case;activity;timestamp\n"
        "1;a;2024-01-01 10:00\n"
        "1;b\n"  # too few fields
        "1;c;2024-01-02 10:00;surplus\n"  # too many
        "2;a;2024-01-03 10:00\n"
    )
    log = read(write(tmp_path, text))
    assert log.report.dropped == {"malformed line": 2}
    assert log.report.dropped_rows["malformed line"] == [2, 3]
    assert log.n_events == 2
    with pytest.raises(LogError, match=r"wrong number of fields") as err:
        read_log(write(tmp_path, text, name="b.csv"), strict=True)
    assert err.value.row == 2


def test_row_numbers_after_malformed_line(tmp_path):
    text = "case;activity;timestamp\n1;a;2024-01-01 10:00\n1;b\n;c;2024-01-02 10:00\n"
    log = read(write(tmp_path, text))
    assert log.report.dropped_rows == {"malformed line": [2], "missing case id": [3]}


def test_header_line_repeated_by_joined_exports(tmp_path):
    """Two exports joined one after the other leave the second header as a data row: it is
    dropped and counted as such (it was an 'unparseable timestamp'), with its row number,
    after a malformed line; strict mode refuses it naming the row."""
    head = " Dossier ;Activité;Horodatage;Service\n"
    text = (head + "1;Saisie;03.01.2024 09:00;Fisc\n1;bad\n"
            + head + "2;Saisie;04.01.2024 09:00;Fisc\n2;Décision;05.01.2024 10:00;\n"
            + "Dossier;Activité;Horodatage;Social\n")  # not the header: one field differs
    log = read(write(tmp_path, text))
    assert log.report.dropped == {"malformed line": 1, "header line repeated (files joined one after the other?)": 1,
                                  "unparseable timestamp": 1}
    assert log.report.dropped_rows["header line repeated (files joined one after the other?)"] == [3]
    assert log.report.dropped_rows["unparseable timestamp"] == [6]
    assert log.n_events == 3 and log.report.rows_read == 6
    with pytest.raises(LogError, match=r"header line comes again") as err:
        read_log(write(tmp_path, text.replace("1;bad\n", ""), name="b.csv"), strict=True)
    assert err.value.row == 2


def test_content_detection_meaningless_headers(tmp_path):
    rows = []
    for c in range(6):
        for k, act in enumerate(["Eingang", "Prüfung", "Entscheid"]):
            rows.append(f"K{c:03d},{act},2024-02-{1 + c:02d} {9 + k}:00,user{(c + k) % 4}")
    text = "col1,col2,col3,col4\n" + "\n".join(rows) + "\n"
    log = read(write(tmp_path, text))
    assert log.report.roles["case"] == "col1"
    assert log.report.roles["activity"] == "col2"
    assert log.report.roles["timestamp"] == "col3"
    assert log.report.role_detection["case"] == "content"
    assert log.n_cases == 6 and log.codes.n_activities == 3


def test_explicit_arguments_win(tmp_path):
    text = "Fall-ID;Aktivität;Datum;Vorgang\nA;x;01.02.2024;V1\nA;y;02.02.2024;V1\nB;z;03.02.2024;V1\n"
    log = read(write(tmp_path, text), case="Vorgang", activity="Fall-ID")
    assert log.report.roles["case"] == "Vorgang" and log.report.role_detection["case"] == "explicit"
    assert log.report.roles["activity"] == "Fall-ID"
    assert log.n_cases == 1 and "Aktivität" in log.df.columns


def test_csv_gz_and_explicit_sep_encoding(tmp_path):
    p = tmp_path / "log.csv.gz"
    with gzip.open(p, "wb") as f:
        f.write(SWISS.encode("cp1252"))
    log = read(p)
    assert log.report.rows_kept == 5 and log.report.formats["encoding"] == "cp1252"
    log2 = read(write(tmp_path, SWISS, name="x.csv", encoding="cp1252"), sep=";", encoding="cp1252")
    assert log2.df[TIMESTAMP].equals(log.df[TIMESTAMP])


def test_attributes_keeps_only_those(tmp_path):
    text = "case;activity;timestamp;Bemerkung;Kosten\n1;a;2024-01-01 10:00;x;10\n"
    log = read(write(tmp_path, text), attributes=["Kosten"])
    assert list(log.df.columns) == [CASE, ACTIVITY, TIMESTAMP, "Kosten"]
    assert log.df["Kosten"].tolist() == [10]  # a column of plain numbers becomes numeric
    with pytest.raises(LogError, match=r"Preis"):
        read_log(write(tmp_path, text, name="b.csv"), attributes=["Preis"])


def test_iso_mixed_offsets_and_naive(tmp_path):
    text = (
        "case,activity,timestamp\n"
        "1,a,2024-01-10T10:00:00+01:00\n"
        "1,b,2024-07-10T10:00:00\n"  # naive: Zurich summer time
        "1,c,2024-07-11T10:00:00-04:00\n"
    )
    log = read(write(tmp_path, text))
    assert log.df[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-01-10 09:00", tz="UTC"),
        pd.Timestamp("2024-07-10 08:00", tz="UTC"),
        pd.Timestamp("2024-07-11 14:00", tz="UTC"),
    ]
    assert any("with and without UTC offset" in w for w in log.report.warnings)


def test_mostly_malformed_is_an_error(tmp_path):
    text = "case;activity;timestamp\n1;a;2024-01-01 10:00;\n1;b;2024-01-02 10:00;\n2;a;2024-01-02 10:00\n"
    with pytest.raises(LogError, match=r"2 of 3 lines.*3 fields.*sep=") as err:
        read_log(write(tmp_path, text))
    assert err.value.row == 1


def test_separate_date_and_time_columns_joined(tmp_path):
    text = "Fall-ID;Aktivität;Datum;Zeit\nA;x;15.01.2024;08:30\nA;y;01.07.2024;10:00:30\nB;x;16.01.2024;\n"
    log = read(write(tmp_path, text))
    assert log.df[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-01-15 07:30", tz="UTC"),
        pd.Timestamp("2024-07-01 08:00:30", tz="UTC"),
        pd.Timestamp("2024-01-15 23:00", tz="UTC"),  # no time: midnight local
    ]
    assert log.report.formats["time_of_day"] == {"Datum": "Zeit"}
    assert "Zeit" not in log.df.columns


def test_dayfirst_proof_beyond_the_detection_sample(tmp_path):
    n = 60_000  # more rows than role detection samples
    body = "".join(f"C{i // 4},a{i % 4},0{1 + i % 9}/0{1 + i % 7}/2024 10:00\n" for i in range(n))
    text = "case,activity,date\n" + body + "X,a,05/13/2024 10:00\n"
    log = read(write(tmp_path, text), tz="UTC")
    assert log.report.formats["dayfirst"]["date"] is False  # the last row proves month-first
    # row 9 is "09/02/2024": 2 September read month-first (9 February if it were day-first)
    row9 = log.df[(log.df[CASE] == "C2") & (log.df[ACTIVITY] == "a0")]
    assert row9[TIMESTAMP].tolist() == [pd.Timestamp("2024-09-02 10:00", tz="UTC")]


def test_extra_columns_numbers_and_text(tmp_path):
    text = (
        "case;activity;timestamp;PLZ;Betrag;Anzahl;Lücke;Gemischt\n"
        "1;a;2024-01-01 10:00;0800;12.5;3;1;x\n"
        "1;b;2024-01-02 10:00;8001;-1e3;4;;2\n"
    )
    df = read(write(tmp_path, text)).df
    assert df["PLZ"].tolist() == ["0800", "8001"]  # leading zero: stays text
    assert df["Betrag"].tolist() == [12.5, -1000.0] and df["Betrag"].dtype == "float64"
    assert df["Anzahl"].tolist() == [3, 4] and df["Anzahl"].dtype == "int64"
    assert str(df["Lücke"].dtype) == "Int64" and df["Lücke"].isna().tolist() == [False, True]
    assert df["Gemischt"].tolist() == ["x", "2"]


def test_latin1_when_cp1252_cannot_decode(tmp_path):
    p = tmp_path / "l.csv"
    p.write_bytes("case;activity;timestamp\n1;Prüfung\x81;2024-01-01 10:00\n".encode("latin-1"))
    log = read(p)
    assert log.report.formats["encoding"] == "latin-1"
    assert log.df[ACTIVITY].tolist() == ["Prüfung\x81"]


def test_truncated_gzip_is_an_error(tmp_path):
    p = tmp_path / "log.csv.gz"
    data = gzip.compress(("case;activity;timestamp\n" + "1;a;2024-01-01 10:00\n" * 5000).encode())
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogError, match=r"complete") as err:
        read_log(p)
    assert "log.csv.gz" in str(err.value)


def test_excel_unicode_text_export_utf16(tmp_path):
    text = (
        "Fall-ID\tTätigkeit\tDatum\r\nA-1\tPrüfung\t15.01.2024 08:30\r\nA-1\tEntscheid\t16.01.2024 09:00\r\n"
    )
    p = tmp_path / "export.txt"
    p.write_bytes(text.encode("utf-16"))  # with BOM, as Excel writes it
    log = read(p)
    assert log.report.formats["encoding"] == "utf-16" and log.report.formats["separator"] == "\t"
    assert log.df[ACTIVITY].tolist() == ["Prüfung", "Entscheid"]
    assert log.df[TIMESTAMP].iloc[0] == pd.Timestamp("2024-01-15 07:30", tz="UTC")


def test_title_lines_above_the_header(tmp_path):
    text = "Export Baugesuche vom 01.02.2024\n\nFall-ID;Aktivität;Datum\nA;x;01.02.2024\nA;y\nB;x;02.02.2024\n;x;03.02.2024\n"
    log = read(write(tmp_path, text))
    assert log.report.roles["case"] == "Fall-ID" and log.report.formats["header_line"] == 3
    assert log.report.dropped_rows == {"malformed line": [2], "missing case id": [4]}
    assert log.n_events == 2


def test_encoding_argument(tmp_path):
    p = write(tmp_path, SWISS, encoding="cp1252")
    assert read(p, encoding="Windows-1252").report.formats["encoding"] == "cp1252"
    assert read(write(tmp_path, SWISS, name="u.csv"), encoding="UTF8").report.formats["encoding"] == "utf-8"
    with pytest.raises(LogError, match=r"unknown encoding 'klingon'"):
        read_log(p, encoding="klingon")


def test_separator_needing_no_title_line_wins(tmp_path):
    """Found by the round-trip property test: values made of '|' must not make '|' the separator."""
    p = tmp_path / "pipes.csv"
    p.write_text(
        "case:concept:name,concept:name,time:timestamp,note\n|||,|||,1990-01-01T00:00:00.000000+0000,\n",
        encoding="utf-8",
    )
    log = read_log(p)
    assert log.report.formats["separator"] == ","
    assert log.df["case:concept:name"].tolist() == ["|||"]
