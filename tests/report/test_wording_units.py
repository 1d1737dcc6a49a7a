"""Wording, units and counting of the fr/de reports (a reviewer's read of a building-permit procedure).

A: the loop's office time is time in the office, not "work"; B: elapsed figures say so;
C: the workbook's legend and the what-if units; D: the map's tooltips are translated;
E: singular/plural, French pronouns and quotes; F: staff time counts each step once.
"""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from procmine.i18n import catalog, gettext

ROOT_MSG = {
    "loop": "Check applications for completeness at intake and make the missing fields and attachments "
    "mandatory in the e-form: '{request}' asks for more in {share:.0%} of cases, after which '{repeated}' "
    "is done again; per case this costs {office} of office time and {client} of waiting for the applicant.",
}


def _permit_log(n: int = 120, seed: int = 7):
    """A small French building permit: start times, an incomplete-submission loop, a public
    inquiry (legal period) and a head-of-service visa always followed by the decision."""
    import procmine as pm

    rng = random.Random(seed)
    rows = []
    t0 = pd.Timestamp("2024-01-08 08:00")

    def ev(case, act, org, t, minutes):
        while t.weekday() >= 5 or not (8 <= t.hour < 17):
            t = (t + pd.Timedelta(days=1)).normalize() + pd.Timedelta(hours=8) if t.hour >= 17 or t.weekday() >= 5 \
                else t.normalize() + pd.Timedelta(hours=8)
        end = t + pd.Timedelta(minutes=minutes)
        rows.append({"case": case, "activity": act, "start": t, "end": end, "org": org,
                     "resource": f"{org[:3]}-{rng.randint(1, 2)}"})
        return end

    for i in range(n):
        case = f"PC-{i:04d}"
        t = t0 + pd.Timedelta(days=rng.uniform(0, 200))
        t = ev(case, "Dépôt de la demande", "Guichet", t, 0)
        t = ev(case, "Enregistrement du dossier", "Guichet", t + pd.Timedelta(hours=rng.uniform(2, 30)), 15)
        t = ev(case, "Contrôle de complétude", "Guichet", t + pd.Timedelta(hours=rng.uniform(4, 40)), 20)
        if rng.random() < 0.4:
            t = ev(case, "Demande de pièces complémentaires", "Guichet", t + pd.Timedelta(hours=2), 10)
            t = ev(case, "Réception des pièces complémentaires", "Guichet", t + pd.Timedelta(days=rng.uniform(10, 25)), 5)
            t = ev(case, "Contrôle de complétude", "Guichet", t + pd.Timedelta(hours=rng.uniform(4, 20)), 20)
        t = ev(case, "Examen technique", "Service", t + pd.Timedelta(days=rng.uniform(1, 4)), rng.uniform(60, 150))
        t = ev(case, "Mise à l'enquête publique", "Service", t + pd.Timedelta(days=rng.uniform(1, 3)), 20)
        t = ev(case, "Clôture de l'enquête publique", "Service", t + pd.Timedelta(days=30), 15)
        t = ev(case, "Visa du chef de service", "Direction", t + pd.Timedelta(days=rng.uniform(3, 8)), rng.uniform(5, 10))
        t = ev(case, "Décision", "Service", t + pd.Timedelta(days=rng.uniform(1, 3)), 40)
        ev(case, "Notification de la décision", "Guichet", t + pd.Timedelta(hours=rng.uniform(2, 20)), 10)
    df = pd.DataFrame(rows)
    return pm.read_log(df, case="case", activity="activity", timestamp="end", start_timestamp="start",
                       resource="resource", org="org", tz="Europe/Zurich")


@pytest.fixture(scope="module")
def permit_reports(tmp_path_factory):
    import procmine as pm

    log = _permit_log()
    out = tmp_path_factory.mktemp("probe")
    paths = {lang: pm.report(log, out / f"permis_{lang}.html", language=lang, xlsx=True) for lang in ("fr", "de", "en")}
    return SimpleNamespace(log=log, html={k: p.read_text(encoding="utf-8") for k, p in paths.items()},
                           xlsx={k: p.with_suffix(".xlsx") for k, p in paths.items()})


# -- A: the loop's office time ---------------------------------------------------------------------
@pytest.mark.parametrize("msgid", [ROOT_MSG["loop"], "office time of the loop per case",
                                   "office time of the loop (median)", "office time counted"])
def test_office_time_is_time_in_the_office_not_work(msgid):
    fr, de = gettext(msgid, "fr"), gettext(msgid, "de")
    assert "travail" not in fr and "temps" in fr and "administration" in fr
    assert "Arbeitszeit" not in de and ("Zeit im Amt" in de or "Zeit der Schleife im Amt" in de)


# -- B: elapsed figures say so -------------------------------------------------------------------------
def test_transitions_header_says_elapsed(permit_reports):
    assert "Temps médian entre les deux (temps calendaire)" in permit_reports.html["fr"]
    assert "Mediane Zeit dazwischen (Kalenderzeit)" in permit_reports.html["de"]
    assert "Median time in between (elapsed)" in permit_reports.html["en"]


def test_batching_evidence_in_elapsed_time_says_so():
    from procmine.report._blocks import Context
    from procmine.report._evidence import evidence_items

    fr = Context(log=None, language="fr")
    items = dict(evidence_items(fr, {"median_wait": pd.Timedelta(days=2), "median_wait_to_slot": pd.Timedelta(hours=20)},
                                "batching"))
    assert items == {"attente médiane (temps calendaire)": "2,0 jours",
                     "attente médiane du traitement groupé (temps calendaire)": "20,0 h"}
    # a working-time wait keeps its label
    assert dict(evidence_items(fr, {"median_wait": pd.Timedelta(hours=16)}, "bottleneck")) == {
        "attente médiane": "2,0 jours ouvrables"}


# -- C: the workbook ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "legend", "working", "elapsed"), [
    ("fr", "Légende", "heures de travail (calendrier CH", "heures écoulées (temps calendaire)"),
    ("de", "Legende", "Arbeitsstunden (Kalender CH", "Stunden Kalenderzeit"),
])
def test_workbook_legend_names_every_column_and_its_unit(permit_reports, lang, legend, working, elapsed):
    sheets = pd.read_excel(permit_reports.xlsx[lang], sheet_name=None)
    assert list(sheets)[-1] == legend  # (last: the other sheets keep their places)
    leg = sheets[legend]
    assert leg.shape[1] == 4
    sheet_col, col_col, meaning_col, unit_col = leg.columns
    for name, frame in sheets.items():
        if name == legend:
            continue
        listed = leg.loc[leg[sheet_col] == name]
        # every column, by the name scripts read it by, with a meaning and a unit
        assert list(listed[col_col]) == [str(c) for c in frame.columns], name
        assert (listed[meaning_col].astype(str).str.len() > 1).all(), name
    unit = dict(zip(zip(leg[sheet_col], leg[col_col]), leg[unit_col]))
    transitions, activities = next(iter(sheets)), gettext("Activities", lang)
    assert unit[(transitions, "median [h]")] == elapsed
    assert unit[(activities, "waiting_median [h]")].startswith(working)
    assert unit[(gettext("Variants", lang), "median_duration [h]")] == elapsed
    assert unit[(gettext("Comparison", lang), "median_duration [h]")].startswith(working)


def test_whatif_sheet_says_the_unit_of_each_row(permit_reports):
    sheets = pd.read_excel(permit_reports.xlsx["fr"], sheet_name=None)
    sim = sheets["Simulation"]
    assert list(sim.columns[:3]) == ["scenario", "kpi", "unit"]  # the machine names stay
    units = dict(zip(sim["kpi"], sim["unit"]))
    assert units["median_case_duration"] == "heures écoulées (temps calendaire)"
    assert units["median_case_working_time_h"].startswith("heures de travail (calendrier CH")
    assert units["events_per_case"] == "nombre par dossier"


# -- D: translated tooltips and CLI kind names ---------------------------------------------------------------
def test_map_tooltips_are_translated(permit_reports):
    for lang, word in (("fr", "carte du processus"), ("de", "Prozesslandkarte")):
        titles = re.findall(r"<title>(.*?)</title>", permit_reports.html[lang])
        assert "process map" not in titles and word in titles
        assert "start" not in titles and "end" not in titles
    assert "<title>process map</title>" in permit_reports.html["en"]


# -- E: grammar ---------------------------------------------------------------------------------------------
def test_variant_count_in_singular_and_plural(permit_reports):
    assert "variante(s)" not in permit_reports.html["fr"] and "Variante(n)" not in permit_reports.html["de"]
    assert re.search(r"\d+ variantes en tout", permit_reports.html["fr"])


def test_single_variant_reads_in_the_singular(tmp_path):
    import procmine as pm

    df = pd.DataFrame({"case": [f"c{i // 3}" for i in range(60)], "activity": ["A", "B", "C"] * 20,
                       "time": pd.date_range("2024-03-04 08:00", periods=60, freq="2h")})
    log = pm.read_log(df, case="case", activity="activity", timestamp="time")
    html = pm.report(log, tmp_path / "r.html", language="fr", sections=["variants"]).read_text(encoding="utf-8")
    assert "1 variante en tout" in html and "variantes" not in html.split("variante en tout")[1][:80]


def test_portfolio_start_times_note_agrees_in_number():
    from procmine.report._blocks import Context
    from procmine.report._portfolio import _start_times_note

    fr = Context(log=None, language="fr")
    assert _start_times_note(fr, 2, 2) == "2 procédures sur 2 avec heures de début"
    assert _start_times_note(fr, 1, 2) == "1 procédure sur 2 avec heures de début"
    assert "(s)" not in _start_times_note(fr, 0, 3) and "(s)" not in _start_times_note(fr, 1, 1)


def test_french_parallel_recommendation_has_no_feminine_pronoun():
    msgid = next(m for m in catalog("fr") if m.startswith("Run '{a}' and '{b}' in parallel"))
    assert "elles sont" not in gettext(msgid, "fr") and "ces étapes sont" in gettext(msgid, "fr")


def test_method_sentence_on_totals_is_complete():
    msgid = next(m for m in catalog("fr") if m.startswith("Each finding comes from a detector"))
    assert "son total la multiplie par" in gettext(msgid, "fr")
    assert "wird sie mit der Zahl der betroffenen Fälle multipliziert" in gettext(msgid, "de")


def test_quotes_are_consistent_per_language():
    placeholder_in_straight_quotes = re.compile(r"'\{[^}]*\}'")
    for lang, other in (("fr", "„"), ("de", "„")):
        # (the applicant's-view step reason keeps the quotes of the English reason it is parsed
        # from: tests/test_client_i18n.py pins them)
        bad = [s for m, s in catalog(lang).items() if not m.startswith("structure: the case goes back to")
               and (placeholder_in_straight_quotes.search(s) or other in s)]
        assert not bad, (lang, bad[:3])
    assert not [s for s in catalog("de").values() if "« " in s or "“" in s]  # Swiss German: «X»


# -- F: staff time once per step ---------------------------------------------------------------------------
def _finding(kind, acts, cases, **evidence):
    return SimpleNamespace(kind=kind, activities=tuple(acts), cases=cases, evidence=evidence)


def test_staff_time_counts_a_step_two_findings_share_once():
    from procmine.report._savings import staff_hours, staff_hours_total

    proc = {"Visa": pd.Timedelta(minutes=7), "Enregistrement": pd.Timedelta(minutes=14)}
    f = [_finding("rubber_stamp", ["Visa"], 300), _finding("automation_candidate", ["Visa"], 300),
         _finding("automation_candidate", ["Enregistrement"], 300)]
    occurrences = {"Visa": 300.0, "Enregistrement": 300.0}
    each = [staff_hours(x, proc) for x in f]
    assert each == pytest.approx([35.0, 35.0, 70.0])
    assert staff_hours_total(f, proc, None, occurrences) == pytest.approx(105.0)  # not 140
    assert staff_hours_total(f[:1], proc, None, occurrences) == pytest.approx(35.0)
    assert staff_hours_total(f, None, None, occurrences) is None  # no start times


def test_staff_card_counts_each_step_once(permit_reports):
    import procmine as pm
    from procmine.i18n import format_integer
    from procmine.report._savings import shown_figure, staff_hours, staff_hours_total

    log = permit_reports.log
    found = [f for f in pm.find_redundancies(log) if f.cases >= 10]
    steps = [f.activities[0] for f in found if f.kind in ("rubber_stamp", "automation_candidate")]
    assert len(steps) > len(set(steps)), "the log should give one step two findings"
    p = pm.performance(log)
    proc = p.activities["processing_median"].to_dict()
    once = staff_hours_total(found, proc, log, p.activities["count"].to_dict())
    twice = sum(staff_hours(f, proc, log) for f in found)
    assert shown_figure(once) < shown_figure(twice)
    m = re.search(r"Temps de personnel économisé par an</div><div[^>]*>([^<]+)</div><div[^>]*>([^<]+)<",
                  permit_reports.html["fr"])
    assert m, "staff card not found"
    assert m.group(1) == f"{format_integer(shown_figure(once), 'fr')} heures"
    assert "compte une fois" in m.group(2)


def test_data_quality_counts_agree_in_number():
    from procmine.report._blocks import Context
    from procmine.report._sections_about import _lifecycle_text

    fr = Context(log=None, language="fr")
    one = _lifecycle_text(fr, {"column": "cycle", "paired": 1, "unmatched_starts": 1, "unmatched_completes": 1,
                               "complete_only": 1})
    many = _lifecycle_text(fr, {"column": "cycle", "paired": 5, "unmatched_starts": 2, "unmatched_completes": 3,
                                "complete_only": 4})
    assert "(s)" not in one + many
    assert "1 étape dont" in one and "1 début sans fin écarté" in one and "1 fin sans début conservée" in one
    assert "5 étapes dont" in many and "2 débuts sans fin écartés" in many and "4 étapes enregistrées" in many
