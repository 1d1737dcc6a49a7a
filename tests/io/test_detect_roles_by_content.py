"""Resource, org unit and start time found from the content when no header names them.

Each rule on a small export whose headers procmine's vocabulary does not know, in German,
French, Italian and English, and in Romansh and Dutch (languages the vocabulary has no
word of: the content alone decides):

- the resource is the column of person names that varies within cases and depends on the
  work, not a free-text remark beside it;
- the org unit is the column that follows the activity and groups the persons, not the
  applicant's commune (constant within each case);
- the start time is the date column never after the completion and changing within cases,
  not a filing date (one per case) nor a due date (after the completion).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning
from procmine.io.detect import detect_roles

STEPS = [("Eingang", 0), ("Prüfung", 1), ("Rückfrage", 1), ("Gutachten", 2), ("Stellungnahme", 2),
         ("Entscheid", 3), ("Versand", 0)]  # fmt: skip
UNITS = ["Kanzlei", "Bauamt", "Umweltfachstelle", "Gemeinderat"]
STAFF = [["Anna Meier", "Reto Keller", "Lea Frei"], ["Marco Rossi", "Julie Favre", "Urs Huber"],
         ["Nina Roth", "Hugo Clerc", "Sofia Galli"], ["Timo Wyss", "Elena Moser", "Samuel Rey"]]  # fmt: skip
REMARKS = ["", "", "tel.", "per Mail", "dringend", "ok", "s. Akte", "RE: Frage", "n/a"]
COMMUNES = ["Köniz", "Muri", "Ittigen", "Belp", "Worb", "Thun", "Sion", "Olten"]
FMT = "%d.%m.%Y %H:%M"


def export(n_cases: int = 80, seed: int = 0) -> pd.DataFrame:
    """Cases of 5-7 steps: each step done by one unit, by one of its three persons at random;
    a remark at random; the applicant's commune and the filing date once per case; each
    step's start, completion and due date."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_cases):
        t = pd.Timestamp("2024-01-08 08:00") + pd.Timedelta(hours=float(rng.uniform(0, 24 * 200)))
        filed = t - pd.Timedelta(days=float(rng.uniform(1, 5)))
        commune = COMMUNES[int(rng.integers(len(COMMUNES)))]
        for act, unit in STEPS[: int(rng.integers(5, len(STEPS) + 1))]:
            start = t + pd.Timedelta(hours=float(rng.uniform(2, 48)))
            end = start + pd.Timedelta(minutes=float(rng.uniform(10, 240)))
            who = STAFF[unit][int(rng.integers(3))]
            note = REMARKS[int(rng.integers(len(REMARKS)))]
            due = end + pd.Timedelta(days=float(rng.uniform(1, 10)))
            rows.append((f"24-{c:04d}", act, start, end, who, UNITS[unit], commune, note, filed, due))
            t = end
    df = pd.DataFrame(rows, columns=["case", "activity", "start", "end", "who", "unit", "commune", "note",
                                     "filed", "due"])  # fmt: skip
    for col in ("start", "end", "filed", "due"):
        df[col] = df[col].dt.strftime(FMT)
    return df


#: language -> role -> header; none of these headers is in procmine's vocabulary for its role
HEADERS = {
    "de": {"case": "Laufnummer", "activity": "Vorgehen", "end": "Abgeschlossen", "start": "Angefangen",
           "who": "Mitarbeitende", "unit": "Fachbereich", "commune": "Gemeinde", "note": "Bemerkung"},
    "fr": {"case": "Réf. interne", "activity": "Opération", "end": "Terminé le", "start": "Commencé le",
           "who": "Intervenant", "unit": "Secteur", "commune": "Commune", "note": "Remarque"},
    "it": {"case": "Protocollo", "activity": "Operazione", "end": "Terminato il", "start": "Iniziato il",
           "who": "Addetto", "unit": "Settore", "commune": "Comune", "note": "Osservazioni"},
    "en": {"case": "Ref", "activity": "Operation", "end": "Finished", "start": "Begun",
           "who": "Staff", "unit": "Section", "commune": "Municipality", "note": "Note"},
    "rm": {"case": "Fatschenta", "activity": "Lavur", "end": "Terminà", "start": "Cumenzà",
           "who": "Collavuratur", "unit": "Partiziun", "commune": "Vischnanca", "note": "Remartga"},
    "nl": {"case": "Zaak", "activity": "Handeling", "end": "Afgerond", "start": "Begonnen",
           "who": "Medewerker", "unit": "Afdeling", "commune": "Gemeente", "note": "Opmerking"},
}  # fmt: skip


def frame(lang: str, df: pd.DataFrame | None = None, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    h = HEADERS[lang]
    df = export() if df is None else df
    keep = [c for c in h if c not in drop]
    return df[keep].rename(columns=h)


@pytest.mark.parametrize("lang", list(HEADERS))
def test_all_roles_from_content(lang):
    h = HEADERS[lang]
    det = detect_roles(frame(lang))
    assert det.roles == {"case": h["case"], "activity": h["activity"], "timestamp": h["end"],
                         "start_timestamp": h["start"], "resource": h["who"], "org": h["unit"]}  # fmt: skip
    assert not any("several date columns" in w for w in det.warnings)


@pytest.mark.parametrize("lang", ["de", "rm"])
def test_read_log_from_a_csv_with_unknown_headers(tmp_path, lang):
    h = HEADERS[lang]
    df = export(seed=1)
    path = tmp_path / "export.csv"
    frame(lang, df).to_csv(path, sep=";", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = pm.read_log(path)
    r = log.report
    assert (r.roles["resource"], r.roles["org"], r.roles["start_timestamp"]) == (h["who"], h["unit"], h["start"])
    assert r.role_detection["org"] == r.role_detection["start_timestamp"] == "content"
    assert log.n_events == len(df) and log.has_start_timestamps
    assert "groups" not in r.role_evidence["org"] and "of each person's events in one value" in r.role_evidence["org"]
    assert "change within cases" in r.role_evidence["start_timestamp"]


# -- resource ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_a_remark_is_not_the_resource(lang):
    """Remarks vary within cases and recur across cases too, but are written anyhow and
    tell nothing about the step or the case."""
    det = detect_roles(frame(lang, drop=("who",)))
    assert "resource" not in det.roles
    det = detect_roles(frame(lang))
    assert det.roles["resource"] == HEADERS[lang]["who"]
    assert "changes within" in det.evidence["resource"]


def test_person_ids_are_persons_too():
    df = export(seed=2)
    ids = {name: f"u{100 + i}" for i, name in enumerate(n for team in STAFF for n in team)}
    df["who"] = df["who"].map(ids)
    assert detect_roles(frame("it", df)).roles["resource"] == HEADERS["it"]["who"]


def test_a_step_code_is_not_a_person():
    """A column determined by the activity (one value per step) is no person column."""
    df = export(seed=3)
    df["who"] = "S-" + df["activity"].str[:3].str.upper()
    assert "resource" not in detect_roles(frame("en", df)).roles


def test_two_person_columns_alike_are_flagged_not_chosen_silently():
    df = export(seed=4)
    df["initials"] = df["who"].str.split().map(lambda p: p[0][0] + p[1][0])
    det = detect_roles(frame("nl", df).assign(Paraaf=df["initials"]))
    assert det.roles["resource"] in ("Medewerker", "Paraaf")
    assert any("both could be the resource" in w for w in det.warnings)


# -- org unit ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_the_commune_named_like_an_org_is_a_case_attribute(lang):
    """Gemeinde/Commune/Comune are in the org vocabulary, but the applicant's commune is
    constant within each case: the unit that changes at handovers is taken, and said so."""
    h = HEADERS[lang]
    df = export(seed=5)
    det = detect_roles(frame(lang, df).rename(columns={h["commune"]: ["Gemeinde", "Commune", "Comune",
                                                                      "Municipality"][list(HEADERS).index(lang)]}))
    assert det.roles["org"] == h["unit"]
    if lang != "en":  # "Municipality" is no org word: nothing to explain
        assert any("constant within each case" in w for w in det.warnings)


def test_a_named_unit_wins_over_a_named_commune_whatever_the_vocabulary_order():
    df = export(seed=6)
    det = detect_roles(frame("fr", df).rename(columns={"Secteur": "Service"}))  # both headers known
    assert det.roles["org"] == "Service" and det.how["org"] == "header"
    assert "change within" not in det.evidence["org"] and "determined by the activity" in det.evidence["org"]


def test_a_commune_named_as_org_is_not_taken_even_alone_and_the_warning_says_why():
    det = detect_roles(frame("de", drop=("unit",)))
    assert "org" not in det.roles
    assert any("'Gemeinde'" in w and "attribute of the case" in w and "org='Gemeinde'" in w for w in det.warnings)


@pytest.mark.parametrize("lang", ["rm", "nl"])
def test_no_unit_at_all_gives_no_org(lang):
    """A commune under an unknown header, a remark and persons: none is a unit of the work."""
    assert "org" not in detect_roles(frame(lang, drop=("unit",))).roles


def test_the_unit_follows_the_activity_even_without_a_person_column():
    det = detect_roles(frame("rm", drop=("who",)))
    assert det.roles["org"] == "Partiziun" and "resource" not in det.roles


def test_two_unit_columns_alike_are_flagged():
    df = export(seed=7)
    codes = {u: f"OE{i + 1}" for i, u in enumerate(UNITS)}
    det = detect_roles(frame("nl", df).assign(Kostenplaats=df["unit"].map(codes)))
    assert det.roles["org"] in ("Afdeling", "Kostenplaats")
    assert any("both could be the org unit" in w for w in det.warnings)


# -- start time -------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["de", "fr", "it", "en", "rm", "nl"])
def test_a_filing_date_is_not_the_start(lang):
    """The filing date is never after the completion, but it is one date per case."""
    h = HEADERS[lang]
    df = export(seed=8)
    cols = {**h, "filed": "F"}
    det = detect_roles(df[list(cols)].rename(columns=cols))
    assert det.roles["timestamp"] == h["end"] and det.roles["start_timestamp"] == h["start"]
    det = detect_roles(df[list(cols)].rename(columns=cols).drop(columns=h["start"]))
    assert det.roles["timestamp"] == h["end"] and "start_timestamp" not in det.roles


def test_a_due_date_after_the_completion_is_not_the_start():
    df = export(seed=8)
    det = detect_roles(frame("nl", df).rename(columns={"Afgerond": "Ende"}).assign(Termijn=df["due"]))
    assert det.roles["start_timestamp"] == "Begonnen"
    det = detect_roles(frame("nl", df, drop=("start",)).rename(columns={"Afgerond": "Ende"}).assign(Termijn=df["due"]))
    assert "start_timestamp" not in det.roles


def test_the_start_with_a_named_completion():
    df = export(seed=9)
    det = detect_roles(frame("en", df).rename(columns={"Finished": "End"}))
    assert (det.roles["timestamp"], det.how["timestamp"]) == ("End", "header")
    assert (det.roles["start_timestamp"], det.how["start_timestamp"]) == ("Begun", "content")


def test_two_start_candidates_take_the_closer_and_say_so():
    df = export(seed=10)
    planned = (pd.to_datetime(df["start"], format=FMT) - pd.Timedelta(hours=3)).dt.strftime(FMT)
    det = detect_roles(frame("nl", df).assign(Gepland=planned))
    assert det.roles["start_timestamp"] == "Begonnen"
    assert any("both could be the start time" in w for w in det.warnings)


def test_start_complete_rows_keep_their_activity_beside_a_remark():
    """Start and complete rows of one step are one event: the activity does not change
    between them, the remark does; the activity is still found."""
    df = export(seed=11)
    rows = pd.concat([df.assign(when=df["start"], life="start", o=0), df.assign(when=df["end"], life="complete", o=1)])
    rows = rows.sort_values(["case", "o"], kind="stable").sort_index(kind="stable")
    out = rows[["case", "activity", "when", "life", "who", "note"]].set_axis(
        ["Zaak", "Handeling", "Tijdstip", "Status", "Medewerker", "Opmerking"], axis=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = pm.read_log(out)
    assert log.report.roles["activity"] == "Handeling" and log.n_events == len(df)


def test_a_one_valued_column_whose_header_contains_an_activity_word_names_no_step():
    """An "Event type" column holding "complete" on every row ("event" is an activity word)
    is not the activity; the column whose values change step to step is."""
    det = detect_roles(frame("fr").assign(**{"Event type": "complete"}))
    assert det.roles["activity"] == "Opération"
    assert any("'Event type'" in w and "one value on every row" in w for w in det.warnings)
