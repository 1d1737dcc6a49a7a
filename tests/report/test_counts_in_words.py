"""A count of one reads in the singular in every language ("1 Monat", not "1 Monate")."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.calendar import Calendar
from procmine.limits import TimeLimit, limit_text
from procmine.report._blocks import Context, table_from_frame


@pytest.mark.parametrize(
    ("unit", "limit", "expected"),
    [
        ("months", 1, {"de": "1 Monat", "fr": "1 mois", "en": "1 month"}),
        ("months", 3, {"de": "3 Monate", "fr": "3 mois", "en": "3 months"}),
        ("weeks", 1, {"de": "1 Woche", "fr": "1 semaine", "en": "1 week"}),
        ("days", 1, {"de": "1 Tag", "fr": "1 jour", "en": "1 day"}),
        ("days", 30, {"de": "30 Tage", "fr": "30 jours", "en": "30 days"}),
        ("working_days", 1, {"de": "1 Arbeitstag", "fr": "1 jour ouvrable", "en": "1 working day"}),
    ],
)
def test_a_legal_limit_of_one_unit_is_singular(unit, limit, expected):
    rule = TimeLimit("Frist", "case_start", "case_end", limit, unit=unit)
    assert {lang: limit_text(rule, lang) for lang in expected} == expected
    if unit == "working_days":
        assert limit_text(rule, "de", Calendar(canton="BE")).startswith("1 Arbeitstag (Kalender BE")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (4, {"de": "1 weitere Zeile im Excel-Export", "fr": "1 ligne de plus dans l'export Excel",
             "en": "1 more row in the workbook export"}),
        (5, {"de": "2 weitere Zeilen im Excel-Export", "fr": "2 lignes de plus dans l'export Excel",
             "en": "2 more rows in the workbook export"}),
    ],
)
def test_rows_left_to_the_workbook_are_counted_in_words(rows, expected):
    frame = pd.DataFrame({"a": range(rows)})
    for lang, text in expected.items():
        table = table_from_frame(Context(log=None, language=lang), frame, [("a", "A", "int")], max_rows=3)
        assert table.note == text


def test_one_contact_and_one_office_read_in_the_singular():
    import warnings

    import procmine as pm

    rows = []
    for c in range(30):
        t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=c)
        for i, act in enumerate(("Gesuch eingereicht", "Prüfung", "Entscheid")):
            rows.append({"Fall": f"F{c}", "Tätigkeit": act, "Zeit": t + pd.Timedelta(days=2 * i),
                         "Amt": "Bauamt", "Person": f"P{(c + i) % 4}"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        view = pm.client_view(pm.read_log(pd.DataFrame(rows), org="Amt"))
    assert view.summary()["contacts_per_case_median"] == 1 and view.summary()["offices_per_case_median"] == 1
    de, fr = view.sentences("de"), view.sentences("fr")
    assert de[0] == "Ein typisches Gesuch braucht 1 Kontakt mit den Gesuchstellenden."
    assert fr[0] == "Une demande typique nécessite 1 contact avec le requérant."
    assert de[-1] == "Ein typisches Gesuch durchläuft 1 Amt."
    assert fr[-1] == "Une demande typique passe par 1 service."


def test_one_unit_left_out_of_the_comparison_reads_in_the_singular(tmp_path):
    """Found on a French procedure: "1 unités de moins de 10 dossiers ne sont pas affichées"."""
    import html
    import re
    import warnings

    import procmine as pm

    rows = []
    for c in range(40):
        unit = "Bureau annexe" if c < 5 else "Service des constructions"
        t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=c)
        for i, act in enumerate(("Dépôt de la demande", "Examen", "Décision")):
            rows.append({"Dossier": f"D{c}", "Étape": act, "Date": t + pd.Timedelta(hours=20 * i),
                         "Service": unit, "Collaborateur": f"P{(c + i) % 4}"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = pm.read_log(pd.DataFrame(rows), org="Service")
        for lang, expected in (("fr", "1 unité de moins de 10 dossiers n'est pas affichée."),
                               ("de", "1 Stelle mit weniger als 10 Fällen wird nicht gezeigt.")):
            path = pm.report(log, tmp_path / f"r_{lang}.html", language=lang, sections=["compare"])
            text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))))
            assert expected in text
