"""Column-role detection from headers (DE/FR/IT/EN) and content; date-format detection."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.io.detect import detect_date_format, detect_roles, match_header, normalise_header

HEADERS = {
    "case": [
        "Dossier-Nr",
        "Dossiernummer",
        "Fall-ID",
        "Fallnummer",
        "Geschäfts-Nr",
        "Vorgang",
        "N° de dossier",
        "No dossier",
        "Numéro de dossier",
        "ID du cas",
        "Pratica",
        "Numero pratica",
        "ID caso",
        "Case ID",
        "case",
        "case_id",
        "CaseID",
        "Ticket",
        "case:concept:name",
    ],
    "activity": [
        "Aktivität",
        "Tätigkeit",
        "Schritt",
        "Arbeitsschritt",
        "Activité",
        "Étape",
        "Tâche",
        "Attività",
        "Activity",
        "Task",
        "Event",
        "concept:name",
    ],
    "timestamp": [
        "Zeitstempel",
        "Datum",
        "Zeit",
        "Erledigt am",
        "Ende",
        "Horodatage",
        "Date",
        "Date de fin",
        "Data",
        "Ora",
        "Timestamp",
        "Time",
        "complete timestamp",
        "time:timestamp",
    ],
    "start_timestamp": [
        "Beginn",
        "Start",
        "Startzeit",
        "Début",
        "Date de début",
        "Inizio",
        "Start timestamp",
    ],
    "resource": [
        "Sachbearbeiter",
        "Sachbearbeiter/in",
        "Sachbearbeiterin",
        "Sachbearbeiter(in)",
        "Bearbeiter",
        "Mitarbeiter/in",
        "Collaborateur",
        "Collaborateur/trice",
        "Collaboratrice",
        "Agent",
        "Responsable",
        "Operatore",
        "Incaricato",
        "Resource",
        "User",
        "org:resource",
    ],
    "org": [
        "Amt",
        "Abteilung",
        "Dienststelle",
        "Gemeinde",
        "Direktion",
        "Organisationseinheit",
        "Service",
        "Office",
        "Commune",
        "Département",
        "Direction",
        "Unité",
        "Ufficio",
        "Comune",
        "Department",
        "Unit",
        "org:group",
    ],
}


@pytest.mark.parametrize("role, header", [(r, h) for r, hs in HEADERS.items() for h in hs])
def test_header_vocabulary_exact(role, header):
    assert match_header(header) == (role, 3)


@pytest.mark.parametrize(
    "header, role, level",
    [
        ("Datum Eingang", "timestamp", 2),
        ("Eingangsdatum", "timestamp", 1),
        ("Bearbeitungsschritt", "activity", 1),
        ("Zuständige Abteilung", "org", 2),
        ("Activity ID", "case", 0),  # an id of the activity is no activity
        ("Bemerkung", None, 0),
    ],
)
def test_header_partial_matches(header, role, level):
    got = match_header(header)
    if role is None:
        assert got is None
    elif level == 0:
        assert got is None or got[0] != "activity"
    else:
        assert got == (role, level)


def test_normalise_gender_forms_and_accents():
    assert normalise_header("Sachbearbeiter*in") == "sachbearbeiter"
    assert normalise_header("Collaborateur·trice") == "collaborateur"
    assert normalise_header("Mitarbeiter/-innen") == "mitarbeiter"
    assert normalise_header("Geschäfts-Nr.") == "geschafts nr"
    assert normalise_header("Incaricato/a") == "incaricato"


def test_exact_beats_contains_and_one_column_per_role():
    df = pd.DataFrame(
        {
            "Datum Eingang": ["01.01.2024"],
            "Datum": ["02.01.2024"],
            "Fall-ID": ["1"],
            "Aktivität": ["a"],
        }
    )
    det = detect_roles(df)
    assert det.roles["timestamp"] == "Datum"
    assert det.how == {"case": "header", "activity": "header", "timestamp": "header"}


def test_ambiguous_headers_warn():
    df = pd.DataFrame({"Fall-ID": ["1"], "Fallnummer": ["1"], "Aktivität": ["a"], "Datum": ["01.01.2024"]})
    det = detect_roles(df)
    assert det.roles["case"] == "Fall-ID"
    assert any("'Fall-ID' and 'Fallnummer'" in w for w in det.warnings)


def test_header_timestamp_that_holds_no_dates_is_ignored():
    df = pd.DataFrame(
        {
            "Fall": ["1", "1"],
            "Aktivität": ["a", "b"],
            "Zeit": ["3 h", "4 h"],
            "Erfasst": ["2024-01-01 10:00", "2024-01-02 10:00"],
        }
    )
    det = detect_roles(df)
    assert det.roles["timestamp"] == "Erfasst" and det.how["timestamp"] == "content"
    assert any("'Zeit'" in w and "not dates" in w for w in det.warnings)


def test_content_case_and_activity():
    rows = [
        (f"{100 + c}", act, f"2024-01-{1 + c:02d} {8 + i}:00", f"r{(c * 3 + i) % 7}")
        for c in range(12)
        for i, act in enumerate(["open", "check", "decide", "close"])
    ]
    df = pd.DataFrame(rows, columns=["a", "b", "c", "d"])
    det = detect_roles(df)
    assert (det.roles["case"], det.roles["activity"], det.roles["timestamp"]) == ("a", "b", "c")
    assert set(det.how.values()) == {"content"}


@pytest.mark.parametrize(
    "values, fmt, dayfirst",
    [
        (["05/01/2024 10:00", "13/01/2024 10:00"], "%d/%m/%Y %H:%M", True),
        (["05/01/2024", "05/13/2024"], "%m/%d/%Y", False),
        (
            ["05.01.2024 10:00:05", "06.01.2024 11:00", "07.01.2024 11:00:01"],
            "%d.%m.%Y %H:%M:%S | %d.%m.%Y %H:%M",
            True,
        ),
        (["01.02.2024"], "%d.%m.%Y", True),
    ],
)
def test_date_formats(values, fmt, dayfirst):
    spec = detect_date_format(pd.Series(values))
    assert spec.describe() == fmt and spec.dayfirst is dayfirst


def test_dayfirst_proof_anywhere_in_a_long_column():
    values = ["01/02/2024"] * 20_000 + ["25/02/2024"]
    spec = detect_date_format(pd.Series(values))
    assert spec.dayfirst is True and "25/02/2024" in spec.reason
    forced = detect_date_format(pd.Series(values), dayfirst=False)
    assert forced.dayfirst is False and "as passed" in forced.reason


def test_iso_and_excel_and_not_dates():
    assert detect_date_format(pd.Series(["2024-01-01T10:00:00.123+01:00", "2024-01-02"])).kind == "iso"
    assert detect_date_format(pd.Series([45292.5, 45293.25])).kind == "excel"
    assert detect_date_format(pd.Series(["45292", "45293"]), strict_numbers=True) is None
    assert detect_date_format(pd.Series(["Eingang", "Prüfung"])) is None
    assert detect_date_format(pd.Series(["12", "7"])) is None


def test_content_activity_is_the_column_that_changes_step_to_step():
    steps = [("Eingang", "Kanzlei"), ("Erfassung", "Kanzlei"), ("Prüfung", "Bauamt"), ("Rückfrage", "Bauamt"),
             ("Prüfung", "Bauamt"), ("Entscheid", "Gemeinderat")]  # fmt: skip
    rows = [
        (f"D{c}", org, act, f"2024-02-{1 + c:02d} {8 + i}:00")
        for c in range(10)
        for i, (act, org) in enumerate(steps)
    ]
    det = detect_roles(pd.DataFrame(rows, columns=["x1", "x2", "x3", "x4"]))
    assert (
        det.roles["case"] == "x1" and det.roles["activity"] == "x3"
    )  # not the org unit, though it has fewer values


def test_content_case_prefers_the_column_whose_rows_are_grouped():
    # 6 cases of 4 events; 8 resources (more distinct values than cases), file grouped by case
    rows = [(f"r{(3 * c + i) % 8}", f"F{c}", act, f"2024-03-{1 + c:02d} {8 + i}:00")
            for c in range(6) for i, act in enumerate(["open", "check", "decide", "close"])]  # fmt: skip
    det = detect_roles(pd.DataFrame(rows, columns=["a", "b", "c", "d"]))
    assert det.roles["case"] == "b"


def test_a_named_case_column_keeps_its_role_against_a_rival_that_is_no_better_evidence():
    # a one-case export: "Dossier-Nr" holds one value and a free-text note two values in
    # blocks; the note refines the dossier, but two values are no evidence of case ids
    frame = pd.DataFrame(
        {
            "Dossier-Nr": ["0", "0", "0"],
            "Aktivität": ["Eingang", "Prüfung", "Entscheid"],
            "Zeitstempel": ["2024-01-02 08:00", "2024-01-03 09:00", "2024-01-04 10:00"],
            "note": ["x", "x", "y"],
        }
    )
    assert detect_roles(frame).roles["case"] == "Dossier-Nr"


def test_a_named_case_column_with_few_values_gives_way_to_a_column_of_many_case_ids():
    # "Dossier-Nr" holds the commune's register (3 values); "Geschäft" holds 30 case ids
    # whose events lie together: the named column is an attribute of the cases
    rows = [
        (f"R{c % 3}", f"G-{c:03d}", act, f"2024-03-{1 + c % 28:02d} {8 + i}:00")
        for c in range(30)
        for i, act in enumerate(["Eingang", "Prüfung", "Entscheid"])
    ]
    det = detect_roles(pd.DataFrame(rows, columns=["Dossier-Nr", "Geschäft", "Aktivität", "Zeitstempel"]))
    assert det.roles["case"] == "Geschäft"


def test_the_three_named_by_the_caller_leave_the_rest_to_the_headers():
    """Naming case, activity and time under the export's own headers does not stop the
    detection of the rest because a start time or a resource carries pm4py's name (the org
    unit 'Service' was missed that way, also by the DuckDB engine, which names the three);
    a pm4py frame (the three under pm4py's names) is taken as it is."""
    df = pd.DataFrame({
        "Dossier": ["1", "1", "2"], "Activité": ["a", "b", "a"],
        "Horodatage": ["01.02.2024 10:00", "02.02.2024 11:00", "03.02.2024 09:00"],
        "org:resource": ["u1", "u2", "u1"], "Service": ["Fisc", "Social", "Fisc"],
    })
    auto = detect_roles(df).roles
    named = detect_roles(df, {"case": "Dossier", "activity": "Activité", "timestamp": "Horodatage"}).roles
    assert auto["org"] == "Service" and named == auto
    pm4py_frame = df.rename(columns={"Dossier": "case:concept:name", "Activité": "concept:name",
                                     "Horodatage": "time:timestamp"})
    assert "org" not in detect_roles(pm4py_frame).roles
    assert "org" not in detect_roles(pm4py_frame, {"case": "case:concept:name"}).roles
