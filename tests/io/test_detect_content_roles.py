"""Case and resource columns recognised from content when the headers are unknown; a
category is never the case id; implausible logs are flagged; original headers stay usable."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io.detect import detect_roles

STEPS = [  # (activity, office): the office follows from the step, the clerk does not
    ("Eingang", "Kanzlei"),
    ("Erfassung", "Kanzlei"),
    ("Prüfung", "Bauamt"),
    ("Rückfrage", "Bauamt"),
    ("Stellungnahme", "Umwelt"),
    ("Entscheid", "Gemeinderat"),
    ("Versand", "Kanzlei"),
]
COMMUNES = ["Köniz", "Muri", "Ittigen", "Ostermundigen", "Belp", "Worb", "Zollikofen", "Bolligen"]


def export(n_cases: int = 300, seed: int = 1, by_time: bool = False) -> pd.DataFrame:
    """A realistic export: cases over a year, events hours to days apart, 25 clerks who
    each handle steps of many cases, an office per step, a commune and a 3-valued type per case."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = pd.Timestamp("2024-01-08 08:00")
    clerks = [f"MA-{i:03d}" for i in range(1, 26)]
    for c in range(n_cases):
        t = t0 + pd.Timedelta(hours=float(rng.uniform(0, 24 * 330)))
        kind = ["Neubau", "Umbau", "Reklame"][int(rng.integers(0, 3))]
        commune = COMMUNES[int(rng.integers(0, len(COMMUNES)))]
        main = clerks[int(rng.integers(0, len(clerks)))]
        n_steps = int(rng.integers(4, len(STEPS) + 1))
        for i, (act, office) in enumerate(STEPS[:n_steps]):
            t = t + pd.Timedelta(hours=float(rng.uniform(1, 72)))
            who = "Portal" if i == 0 else main if rng.random() < 0.6 else clerks[int(rng.integers(0, len(clerks)))]
            rows.append((f"2024-{c + 1:05d}", kind, act, t, who, office, commune))
    df = pd.DataFrame(rows, columns=["case", "kind", "activity", "time", "who", "office", "commune"])
    if by_time:
        df = df.sort_values("time", kind="stable").reset_index(drop=True)
    df["time"] = df["time"].dt.strftime("%d.%m.%Y %H:%M")
    return df


def write(df: pd.DataFrame, path, columns: dict[str, str]) -> str:
    df.rename(columns=columns)[list(columns.values())].to_csv(path, sep=";", index=False)
    return str(path)


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path, **kw)


GERMAN = {
    "case": "Laufnummer",
    "kind": "Gesuchsart Nr.",  # a 3-valued category whose header says "Nr."
    "activity": "Schritt",
    "time": "Erledigt am",
    "who": "Bearbeitet von",
    "office": "Amt",
    "commune": "Gemeinde",
}


@pytest.mark.parametrize("by_time", [False, True])
def test_german_export_unknown_headers(tmp_path, by_time):
    log = read(write(export(by_time=by_time), tmp_path / "gesuche.csv", GERMAN))
    r = log.report
    assert r.roles["case"] == "Laufnummer" and r.role_detection["case"] == "content"
    assert r.roles["resource"] == "Bearbeitet von" and r.role_detection["resource"] == "content"
    assert r.roles["org"] == "Amt"
    assert log.n_cases == 300 and not r.alerts
    assert any("'Gesuchsart Nr.' is named like the case id" in w for w in r.warnings)
    # the German report shows the same warning whole in German, the figures it quotes too
    from procmine.i18n import localise

    [kind] = [localise(w, "de") for w in r.warnings if "'Gesuchsart Nr.' is named like" in w]
    assert kind.startswith("die Spalte 'Gesuchsart Nr.' heisst wie die Fall-ID") and "distinct" not in kind
    # the report says why: header word and the content figures
    assert "300 distinct values" in r.role_evidence["case"] and "time range" in r.role_evidence["case"]
    assert "'bearbeitet'" in r.role_evidence["resource"]
    assert any("Laufnummer (content:" in str(v) for v in r.to_frame()["value"])
    assert "role case: Laufnummer (content:" in repr(r)


def test_german_other_words_erfasst_durch_and_ref(tmp_path):
    cols = dict(GERMAN, case="Geschäftsfall-Ref", who="erfasst durch", kind="Gesuchsart")
    log = read(write(export(seed=2), tmp_path / "g.csv", cols))
    assert log.report.roles["case"] == "Geschäftsfall-Ref"
    assert log.report.roles["resource"] == "erfasst durch"


def test_french_export_category_named_like_the_case_is_rejected(tmp_path):
    cols = {
        "case": "Réf. interne",
        "kind": "Type de demande",  # "demande" is a case word of the vocabulary
        "activity": "Étape",
        "time": "Date",
        "who": "Saisi par",
        "commune": "Commune",
    }
    log = read(write(export(seed=3), tmp_path / "demandes.csv", cols))
    r = log.report
    assert r.roles["case"] == "Réf. interne" and log.n_cases == 300
    assert r.roles["resource"] == "Saisi par"
    assert "Type de demande" not in r.roles.values() or r.roles.get("org") == "Type de demande"
    assert any("'Type de demande'" in w and "category, not the case id" in w for w in r.warnings)


def test_italian_export(tmp_path):
    cols = {
        "case": "Protocollo",  # no case word at all: content alone decides
        "kind": "Tipo pratica",
        "activity": "Attività",
        "time": "Data",
        "who": "Inserito da",
        "commune": "Comune",
    }
    log = read(write(export(seed=4), tmp_path / "pratiche.csv", cols))
    assert log.report.roles["case"] == "Protocollo"
    assert log.report.roles["resource"] == "Inserito da"


def test_a_date_of_the_case_is_not_its_id(tmp_path):
    df = export(seed=12)
    first = df.groupby("case", sort=False)["time"].transform("first")
    df.insert(0, "filed", first)  # when the case was filed: one value per case, as local in time
    cols = {"filed": "Eingereicht", **dict(GERMAN, case="Protokoll")}  # neither header is known
    log = read(write(df, tmp_path / "x.csv", cols))
    assert log.report.roles["case"] == "Protokoll"


def test_headerless_content_finds_case_and_person_not_office_or_commune():
    df = export(seed=5)
    det = detect_roles(df.set_axis([f"x{i}" for i in range(df.shape[1])], axis=1))
    assert det.roles["case"] == "x0" and det.roles["activity"] == "x2" and det.roles["timestamp"] == "x3"
    assert det.roles["resource"] == "x4"
    # without a person column: the office (follows from the step) and the commune (one per
    # case) are not staff
    det = detect_roles(df.drop(columns="who").set_axis([f"x{i}" for i in range(df.shape[1] - 1)], axis=1))
    assert "resource" not in det.roles


def test_category_is_never_the_case_even_without_any_other_candidate(tmp_path):
    df = export(seed=6).drop(columns="case")
    path = write(df, tmp_path / "nocase.csv", {"kind": "Dossier-Nr", "activity": "Aktivität", "time": "Datum",
                                               "office": "Amt"})  # fmt: skip
    with pytest.raises(LogError) as err:
        read(path)
    msg = str(err.value)
    assert "nocase.csv" in msg and "'Dossier-Nr'" in msg and "category" in msg and 'case="..."' in msg


def test_explicit_case_wins_even_for_a_category(tmp_path):
    path = write(export(seed=7), tmp_path / "x.csv", GERMAN)
    with pytest.warns(DataQualityWarning, match="implausible"):
        log = pm.read_log(path, case="Gesuchsart Nr.")
    assert log.n_cases == 3 and log.report.role_detection["case"] == "explicit"


def test_implausible_log_is_flagged_everywhere(tmp_path):
    # a column with three values is named as the case: three "cases" of hundreds of events
    path = write(export(seed=8), tmp_path / "x.csv", GERMAN)
    with pytest.warns(DataQualityWarning, match=r"implausible log: only 3 case\(s\)") as caught:
        log = pm.read_log(path, case="Gesuchsart Nr.")
    assert all(w.filename == __file__ for w in caught if "implausible" in str(w.message))
    alert = log.report.alerts[0]
    assert alert.startswith("⚠") and "'Gesuchsart Nr.'" in alert
    assert log.report.warnings[0] == alert
    lines = repr(log).splitlines()
    assert lines[0].startswith("<EventLog") and lines[1].startswith("⚠")
    assert "⚠ implausible" in log._repr_html_() and "⚠" in repr(log.report)
    assert (log.report.to_frame()["value"] == alert).any()
    # one case holding most events, though there are enough cases
    df = export(n_cases=40, seed=9)
    big = pd.DataFrame(
        {"case": "2024-99999", "kind": "Umbau", "activity": [a for a, _ in STEPS] * 60,
         "time": pd.date_range("2024-02-01", periods=420, freq="2h").strftime("%d.%m.%Y %H:%M"),
         "who": "MA-001", "office": "Kanzlei", "commune": "Belp"}
    )  # fmt: skip
    path = write(pd.concat([df, big]), tmp_path / "big.csv", GERMAN)
    with pytest.warns(DataQualityWarning, match="one case holds"):
        log = pm.read_log(path)
    assert log.n_cases == 41 and len(log.report.alerts) == 1


def test_normal_log_gets_no_alert(tmp_path):
    path = write(export(seed=10), tmp_path / "ok.csv", GERMAN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = pm.read_log(path)
    assert not [w for w in caught if "implausible" in str(w.message)]
    assert log.report.alerts == [] and "⚠" not in repr(log) and "⚠" not in log._repr_html_()


def test_original_header_names_work_in_compare_and_filter(tmp_path):
    cols = {"case": "Dossier", "activity": "Aktivität", "time": "Datum", "who": "Sachbearbeiter",
            "commune": "Gemeinde", "kind": "Gesuchsart"}  # fmt: skip
    # the commune is constant within each case: not taken as the org unit unless named so
    assert "org" not in read(write(export(seed=11), tmp_path / "y.csv", cols)).report.roles
    log = read(write(export(seed=11), tmp_path / "x.csv", cols), org="Gemeinde")
    assert log.report.roles["org"] == "Gemeinde" and log.column("Gemeinde") == "org:group"
    assert log.column("Gesuchsart") == "Gesuchsart" and log.column("nope") is None
    by_name = pm.compare(log, by="Gemeinde", min_cases=1)
    by_canon = pm.compare(log, by="org:group", min_cases=1)
    pd.testing.assert_frame_equal(by_name.kpis, by_canon.kpis, check_names=False)
    assert by_name.by == "Gemeinde"
    assert set(by_name.kpis.index) <= set(COMMUNES)
    kept = log.filter(case_attributes={"Gemeinde": "Belp"})
    assert 0 < kept.n_cases < log.n_cases
    assert set(kept.df["org:group"]) == {"Belp"}
    with pytest.raises(pm.ParameterError, match="'Kanton'"):
        log.filter(case_attributes={"Kanton": "BE"})


@pytest.mark.parametrize("name, case, resource", [("permit_de", "Dossier-Nr", "Sachbearbeiter/in"),
                                                  ("subsidy_fr", "N° de dossier", "Collaborateur/trice")])  # fmt: skip
def test_shipped_samples_keep_their_roles(name, case, resource):
    from procmine.samples import sample_path

    log = read(sample_path(name, "csv"))
    assert log.report.roles["case"] == case and log.report.roles["resource"] == resource
    assert set(log.report.role_detection.values()) == {"header"} and not log.report.alerts


def test_html_report_shows_the_alert_first_in_data_quality(tmp_path):
    path = write(export(seed=13), tmp_path / "x.csv", GERMAN)
    log = read(path, case="Gesuchsart Nr.")
    html = pm.report(log, tmp_path / "r.html", language="de", sections=["quality"]).read_text(encoding="utf-8")
    assert html.count("⚠") == 1 and "Nur 3 Fälle" in html and "Gesuchsart Nr." in html
    assert html.index("⚠") < html.index("<table")
    ok = pm.report(read(write(export(seed=13), tmp_path / "y.csv", GERMAN)), tmp_path / "ok.html",
                   language="fr", sections=["quality"]).read_text(encoding="utf-8")  # fmt: skip
    assert "⚠" not in ok


def test_folder_of_small_parts_is_judged_as_a_whole(tmp_path):
    df = export(n_cases=15, seed=14)
    folder = tmp_path / "parts"
    folder.mkdir()
    cases = df["case"].unique()
    for i in range(3):  # three files of five cases each: each part alone is implausible
        write(df[df["case"].isin(cases[5 * i : 5 * i + 5])], folder / f"part{i}.csv", GERMAN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = pm.read_log(folder)
    assert log.n_cases == 15 and log.report.alerts == []
    assert not [w for w in caught if "implausible" in str(w.message)]
    assert not any("implausible" in w for w in log.report.warnings)
    assert "distinct values" in log.report.role_evidence["case"]


def test_header_roles_carry_their_content_figures_too(tmp_path):
    cols = dict(GERMAN, case="Dossier-Nr", who="Sachbearbeiter/in")
    r = read(write(export(seed=15), tmp_path / "x.csv", cols)).report
    assert r.role_detection["case"] == "header" and "300 distinct values" in r.role_evidence["case"]
    assert r.role_detection["resource"] == "header" and "not determined by the activity" in r.role_evidence["resource"]


def test_a_named_case_dominated_by_one_large_case_is_kept_beside_a_document_number():
    df = export(n_cases=40, seed=16)
    big = pd.DataFrame(
        {"case": "2024-99999", "kind": "Umbau", "activity": [a for a, _ in STEPS] * 60,
         "time": pd.date_range("2024-02-01", periods=420, freq="2h").strftime("%d.%m.%Y %H:%M"),
         "who": "MA-001", "office": "Kanzlei", "commune": "Belp"}
    )  # fmt: skip
    df = pd.concat([df, big], ignore_index=True)
    df["doc"] = [f"B-{i // 2:05d}" for i in range(len(df))]  # a document per two events: finer, as local
    det = detect_roles(df.rename(columns={**GERMAN, "case": "Dossier-Nr", "doc": "Beleg-Nr"}))
    assert det.roles["case"] == "Dossier-Nr" and det.how["case"] == "header"


def test_procmine_inspect_prints_the_alert(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    path = write(export(seed=17), tmp_path / "x.csv", GERMAN)
    out = CliRunner().invoke(main, ["inspect", path, "--case", "Gesuchsart Nr."])
    assert out.exit_code == 0
    assert out.output.splitlines()[1].startswith("⚠ implausible log: only 3 case(s)")
    ok = CliRunner().invoke(main, ["inspect", path])
    assert ok.exit_code == 0 and "⚠" not in ok.output and "Laufnummer" in ok.output


def test_the_content_figures_quoted_in_a_warning_are_translated_with_it():
    """A warning that quotes a column's figures (Profile.describe) reads in German whole."""
    from procmine._core.notes import note
    from procmine.i18n import localise
    from procmine.io._detect_content import profile

    p = profile(pd.Series([f"G-{i // 3}" for i in range(300)]), None)
    assert str(p.describe()).startswith("100 distinct values, 3 events per value (median)")
    w = note("column {column!r} is named like the case id but its content ({content}) is less like case ids than "
             "{rival!r}'s ({rival_content}); took {rival!r} (pass case=... to choose)",
             column="Nr", content=p.describe(), rival="Laufnummer", rival_content=p.describe())
    de = localise(w, "de")
    assert "100 verschiedene Werte, 3 Ereignisse pro Wert (Median)" in de and "distinct" not in de


def test_the_no_case_id_warning_lists_its_columns_in_the_reports_language():
    from procmine.i18n import localise
    from procmine.io.detect import detect_roles

    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"A": rng.choice(["x", "y", "z"], n), "B": rng.choice(list("abcdefgh"), n),
                       "Schritt": rng.choice(["Eingang", "Prüfung", "Entscheid"], n),
                       "Datum": pd.date_range("2024-01-01", periods=n, freq="h").strftime("%d.%m.%Y %H:%M")})
    [w] = [w for w in detect_roles(df).warnings if w.startswith("no column holds values")]
    assert w.endswith("the columns with the most distinct values are 'B' (8 values), 'A' (3 values)")
    assert localise(w, "de").endswith("die Spalten mit den meisten verschiedenen Werten sind 'B' (8 Werte), 'A' (3 Werte)")
