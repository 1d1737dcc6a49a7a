"""The data-quality section reads in the report's language: the reader's roles, drop
reasons, detected formats, warnings and filters come as notes the report translates,
not as English text or Python dictionaries in a German or French report."""

from __future__ import annotations

import html as _html
import pickle
import re
import warnings

import pandas as pd
import pytest

import procmine as pm
from procmine._core.notes import Note, note
from procmine.i18n import localise
from procmine.report import report


def _text(path) -> str:
    s = path.read_text(encoding="utf-8")
    s = re.sub(r"<(style|script)\b.*?</\1>", " ", s, flags=re.S)
    return re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", " ", s)))


def _lifecycle_export(tmp_path):
    """A commune's export of start and end rows in French, day-first dates, one row without
    a time, one event recorded twice."""
    rows = []
    t0 = pd.Timestamp("2024-03-04 08:00")
    steps = ["Réception de la demande", "Contrôle de complétude", "Examen technique", "Décision"]
    for c in range(40):
        t = t0 + pd.Timedelta(days=c)
        for k, step in enumerate(steps):
            begin, end = t + pd.Timedelta(hours=3 * k), t + pd.Timedelta(hours=3 * k + 1)
            rows.append((f"D-{c:04d}", step, begin.strftime("%d/%m/%Y %H:%M"), "début", f"agent{k}"))
            rows.append((f"D-{c:04d}", step, end.strftime("%d/%m/%Y %H:%M"), "fin", f"agent{k}"))
    rows += rows[-2:]  # the last step recorded twice
    rows.append(("D-0001", "Décision", "", "fin", "agent3"))  # no time
    df = pd.DataFrame(rows, columns=["Dossier", "Étape", "Horodatage", "Transition", "Agent"])
    path = tmp_path / "export.csv"
    df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("language, expected", [
    ("de", ["Beginn mit seinem Abschluss zusammengeführt", "fehlender Zeitpunkt", "Spalte der Fall-ID",
            "am Namen erkannt", "Tag zuerst: die Daten belegen es", "Spaltentrennzeichen ;",
            "Ereignis(se) in jeder Spalte gleich wie ein früheres", "Abschluss zusammengeführt",
            "pseudonymisiert: org:resource"]),
    ("fr", ["début réuni avec sa fin", "horodatage manquant", "Colonne de l'identifiant du dossier",
            "reconnue à son nom", "jour en premier : les données le prouvent", "Séparateur de colonnes ;",
            "identique(s) à un précédent dans chaque colonne", "pseudonymisé : org:resource"]),
])
def test_data_quality_reads_in_the_report_language(tmp_path, language, expected):
    log = pm.read_log(_lifecycle_export(tmp_path))
    assert log.report.dropped == {"start merged into its complete": 161, "missing timestamp": 1}  # as before: English
    text = _text(report(log, tmp_path / "r.html", language=language, sections=["quality"]))
    for phrase in expected:
        assert phrase in text, phrase
    # nothing of the reader's English, no Python dict, no bare role or method names
    for english in ("start merged", "missing timestamp", "identical to an earlier", "day-first: the data",
                    "{'", "(header)", "Column for", "pseudonymised"):
        assert english not in text, english


def test_a_note_is_its_english_text_and_survives_copies():
    n = note("{n:,} event(s) start after they complete", n=1234)
    assert n == "1,234 event(s) start after they complete" and isinstance(n, str)
    back = pickle.loads(pickle.dumps(n))
    assert isinstance(back, Note) and back.msgid == n.msgid and back == n
    assert localise(back, "de") == "1’234 Ereignis(se) beginnen nach ihrem Abschluss"
    # a note inside a note is translated too; a plain string stays as it is
    dst = note("{n:,} naive time(s) in {column} fall in a daylight-saving change of {zone}; read as summer time / "
               "moved an hour later", n=2, column=note("a date column"), zone="Europe/Zurich")
    assert "in einer Datumsspalte" in localise(dst, "de") and "in a date column" in dst
    assert localise("plain", "fr") == "plain"


def test_few_variants_are_not_called_the_top_ten(tmp_path):
    """With two variants, "the ten most frequent cover 100%" said nothing true about the top ten."""
    log = pm.read_log(_lifecycle_export(tmp_path))
    text = _text(report(log, tmp_path / "r.html", language="de", sections=["summary", "variants"]))
    n = len(log.variants())
    assert n <= 5
    assert "häufigsten decken" not in text
    assert f"Insgesamt {n} Varianten; die häufigste deckt" in text and "die häufigste deckt" in text


def test_units_are_named_by_the_source_header(tmp_path):
    """A unit column read from "Service" is org:group inside procmine; the report's comparison
    names it as the user knows it."""
    path = _lifecycle_export(tmp_path)
    df = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    df["Service"] = ["Guichet" if s.startswith(("Réception", "Contrôle")) else "Urbanisme" for s in df["Étape"]]
    df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    log = pm.read_log(path)
    assert log.report.roles["org"] == "Service" and "org:group" in log.df.columns
    text = _text(report(log, tmp_path / "r.html", language="fr", sections=["compare"], min_cases=5))
    assert "« Service »" in text and "org:group" not in text


def test_staff_time_is_not_measurable_without_start_times(tmp_path):
    """Without start times the summary said "0 hours" of staff time saved when no finding
    removed a step (BPIC15: batching only); the portfolio says "not measurable" there."""
    log = pm.samples.load("permit_de")
    nostart = pm.EventLog(log.df.drop(columns=["start_timestamp"]))
    found = pm.find_redundancies(nostart)
    waits_only = found.filter(kind="bottleneck")
    assert len(waits_only)
    text = _text(report(nostart, tmp_path / "r.html", language="en", sections=["summary"], findings=waits_only))
    assert "not measurable: the log has no start times" in text and "0 hours" not in text


def test_the_ten_most_frequent_variants_cover_their_share_even_when_none_is_shown(tmp_path):
    """BPIC15: 1,170 variants, none with 10 cases: "the ten most frequent cover 0%" was
    computed over the variants shown (none), not over the ten most frequent."""
    log = pm.samples.load("permit_de")
    v = log.variants()
    assert len(v) > 10
    text = _text(report(log, tmp_path / "r.html", language="en", sections=["variants"], min_cases=10**6))
    share = f"{v['share'].head(10).sum():.0%}"
    assert f"the ten most frequent cover {share} of cases" in text and share != "0%"


@pytest.mark.parametrize("language, expected", [("en", "24 paths seen in fewer than 10 cases are hidden"),
                                                ("fr", "24 chemins observés dans moins de 10 dossiers sont masqués")])
def test_the_map_caption_names_only_what_is_hidden(tmp_path, language, expected):
    """road_traffic_fines: "0 activités et 23 chemins ... sont masqués"."""
    log = pm.samples.load("permit_de")
    text = _text(report(log, tmp_path / "r.html", language=language, sections=["map"], min_cases=10))
    assert expected in text
    assert "0 activities" not in text and "0 activités" not in text


@pytest.mark.parametrize(
    ("a", "p", "expected"),
    [
        (1, 0, {"en": "1 activity seen in fewer than 10 cases is hidden (privacy).",
                "fr": "1 activité observée dans moins de 10 dossiers est masquée (protection des données).",
                "de": "1 Aktivität, die in weniger als 10 Fällen vorkommt, ist ausgeblendet (Datenschutz)."}),
        (0, 1, {"fr": "1 chemin observé dans moins de 10 dossiers est masqué (protection des données)."}),
        (1, 3, {"fr": "1 activité et 3 chemins observés dans moins de 10 dossiers sont masqués (protection des "
                      "données).",
                "de": "1 Aktivität und 3 Pfade, die in weniger als 10 Fällen vorkommen, sind ausgeblendet "
                      "(Datenschutz)."}),
        (2, 1, {"en": "2 activities and 1 path seen in fewer than 10 cases are hidden (privacy)."}),
        (1, 1, {"en": "1 activity and 1 path seen in fewer than 10 cases are hidden (privacy)."}),
        (2, 0, {"fr": "2 activités observées dans moins de 10 dossiers sont masquées (protection des données)."}),
    ],
)
def test_the_map_caption_agrees_in_number(a, p, expected):
    from procmine.report._blocks import Context
    from procmine.report._sections import _hidden_caption

    for language, text in expected.items():
        assert _hidden_caption(Context(log=None, language=language)._, a, p, 10) == text


def test_a_findings_yearly_figures_are_rounded_like_the_summary(tmp_path):
    """road_traffic_fines' card read "Délai par an : 423 864,9 jours ouvrables" under a
    summary of "420 000": an estimate shows two significant digits."""
    from procmine.report._savings import round_figure

    log = pm.samples.load("permit_de")
    text = _text(report(log, tmp_path / "r.html", language="en", sections=["findings"]))
    shown = re.findall(r"Lead time per year\s*:?\s*([\d’.]+) working days", text)
    assert shown
    for s in shown:
        v = float(s.replace("’", ""))
        assert v == round_figure(v), s


def _quarterly_release_log() -> pm.EventLog:
    """Applications all year; the permits are sent out on the first working day of each
    quarter only (a step released in batches)."""
    rows = []
    start = pd.Timestamp("2023-01-02 09:00", tz="Europe/Zurich")
    releases = pd.to_datetime(["2023-04-03", "2023-07-03", "2023-10-02", "2024-01-08", "2024-04-02",
                               "2024-07-01", "2024-10-01", "2025-01-06"]).tz_localize("Europe/Zurich")
    for c in range(240):
        t = start + pd.Timedelta(days=3 * c)
        send = releases[releases > t + pd.Timedelta(days=2)][0] + pd.Timedelta(hours=10)
        rows += [(f"G-{c}", "Eingang", t), (f"G-{c}", "Prüfung", t + pd.Timedelta(days=1)), (f"G-{c}", "Versand", send)]
    return pm.read_log(pd.DataFrame(rows, columns=["Fall", "Tätigkeit", "Zeitpunkt"]))


@pytest.mark.parametrize("language, expected", [
    ("de", "Sammelbearbeitung: 88% der 240 Ereignisse an 7 Kalendertag(en) in 1.8 Jahren"),
    ("fr", "traitement par lots : 88% de ses 240 événements sur 7 jour(s) civil(s) en 1,8 ans"),
])
def test_a_step_released_in_batches_is_explained_as_such(tmp_path, language, expected):
    """road_traffic_fines: 'Send for Credit Collection', cause "fixed date", read "waits
    after a request to the applicant or a third party" as its reason; the tile called all
    such waits "declared"."""
    from procmine.waits._causes import wait_causes

    log = _quarterly_release_log()
    assert wait_causes(log).steps.loc["Versand", "cause"] == "batch"
    text = _text(report(log, tmp_path / "r.html", language=language, sections=["time"]))
    assert expected in text
    assert "Warten nach einer Nachforderung bei" not in text and "attente après une demande" not in text
    assert "deklarierte Wartezeiten auf Sammeltermine" not in text and "attentes déclarées de traitement groupé" not in text


def test_a_negative_time_between_steps_is_explained(tmp_path):
    """BPIC12's "O_SENT -> W_Completeren aanvraag: -10 min" stood unexplained: the next step
    starts before the previous one is completed."""
    t = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    rows = []
    for c in range(20):
        s = t + pd.Timedelta(days=c)
        rows += [(f"c{c}", "Offerte", s, s + pd.Timedelta(hours=2)),
                 (f"c{c}", "Nachfassen", s + pd.Timedelta(hours=1), s + pd.Timedelta(hours=3))]
    log = pm.EventLog(pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "start_timestamp",
                                                  "time:timestamp"]))
    text = _text(report(log, tmp_path / "r.html", language="de", sections=["map"]))
    assert "Offerte Nachfassen 20 20 -1.0 Std." in text
    assert "Eine negative Zeit: der nächste Schritt beginnt meist, bevor der vorherige abgeschlossen ist" in text
    plain = pm.EventLog(log.df.drop(columns=["start_timestamp"]))
    assert "Eine negative Zeit" not in _text(report(plain, tmp_path / "p.html", language="de", sections=["map"]))


def test_office_hours_and_lifecycle_words_read_in_the_report_language(tmp_path):
    """Found on a French report: "heures de bureau Mon–Fri 07:30-12:00" and the raw
    ``lifecycle_words`` dict in the data-quality table."""
    rows = []
    for c in range(20):
        t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=c)
        for i, act in enumerate(("Prüfung", "Entscheid")):
            s = t + pd.Timedelta(hours=3 * i)
            rows += [{"Fall": f"F{c}", "Tätigkeit": act, "Zeit": s, "Etat": "en cours"},
                     {"Fall": f"F{c}", "Tätigkeit": act, "Zeit": s + pd.Timedelta(minutes=45), "Etat": "terminé"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = pm.read_log(pd.DataFrame(rows))
    fr = _text(report(log, tmp_path / "fr.html", language="fr", sections=["quality", "method"]))
    de = _text(report(log, tmp_path / "de.html", language="de", sections=["quality", "method"]))
    assert "heures de bureau lun.–ven. 07:30–12:00, 13:30–17:00" in fr and "Mon–Fri" not in fr
    assert "Mo–Fr 07:30–12:00" in de
    assert "Mots du cycle de vie 'en cours' ouvre une étape, 'terminé' la clôt" in fr
    assert "lifecycle_words" not in fr
