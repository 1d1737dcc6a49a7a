"""The directorate report: languages, Swiss formats, escaping, privacy, self-containment, exports."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

import procmine as pm
from procmine.i18n import format_integer
from procmine.report import report

from .conftest import FORMULA_ACTIVITY

HEADINGS = {
    "de": [
        "Übersicht",
        "Prozesslandkarte",
        "Hauptvarianten",
        "Wo die Zeit verloren geht",
        "Redundanzen",
        "Vergleich zwischen Stellen",
        "Datenqualität",
        "Methode",
    ],
    "fr": [
        "Synthèse",
        "Carte du processus",
        "Principales variantes",
        "Où passe le temps",
        "Redondances constatées",
        "Comparaison entre unités",
        "Qualité des données",
        "Méthode",
    ],
    "en": [
        "Summary",
        "Process map",
        "Main variants",
        "Where time goes",
        "Redundancy findings",
        "Comparison across units",
        "Data quality",
        "Method",
    ],
}

# attributes and CSS constructs that make a browser load something
_LOADERS = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|poster|data|srcset|background)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["']?)"""
    r"""((?:https?:)?//[^\s"')>]*)""",
    re.I,
)


def external_references(html: str) -> list[str]:
    return _LOADERS.findall(html)


@pytest.fixture(scope="module")
def permit_reports(tmp_path_factory, permit_small) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    findings = pm.find_redundancies(permit_small)
    return {
        lang: report(
            permit_small, out / f"permit-{lang}.html", language=lang, findings=findings, xlsx=(lang == "de")
        )
        for lang in ("de", "fr", "en")
    }


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory, hostile_log) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    return report(hostile_log, out / "hostile.html", language="de", min_cases=10, xlsx=True, csv=True)


@pytest.mark.parametrize("lang", ["de", "fr", "en"])
def test_headings_are_translated(permit_reports, lang):
    html = permit_reports[lang].read_text(encoding="utf-8")
    for heading in HEADINGS[lang]:
        assert heading in html, heading
    assert f'<html lang="{lang}">' in html
    others = [h for other, hs in HEADINGS.items() if other != lang for h in hs if h not in HEADINGS[lang]]
    assert not [h for h in others if f">{h}</h2>" in html or f"</span>{h}</h2>" in html]


@pytest.mark.parametrize(
    ("lang", "group"),
    [("de", "’"), ("fr", "\u202f"), ("en", "’")],
)
def test_numbers_are_swiss(permit_reports, permit_small, lang, group):
    html = permit_reports[lang].read_text(encoding="utf-8")
    n = permit_small.n_events
    assert n >= 1000
    expected = format_integer(n, lang)
    assert group in expected
    assert expected in html
    # decimals: comma in French, point in German
    decimal = r"\d,\d" if lang == "fr" else r"\d\.\d"
    assert re.search(rf">\s*[\d’\u202f]*{decimal}", html)
    # dates dd.mm.yyyy
    assert re.search(r"\b\d\d\.\d\d\.20\d\d\b", html)


def test_no_section_failed_on_the_sample(permit_reports):
    for path in permit_reports.values():
        html = path.read_text(encoding="utf-8")
        assert 'class="notice error"' not in html


def test_report_is_self_contained(permit_reports, hostile_report):
    for path in [*permit_reports.values(), hostile_report]:
        html = path.read_text(encoding="utf-8")
        assert external_references(html) == [], path
        assert "<script" not in html.lower()
        assert "<link" not in html.lower()
        assert "<iframe" not in html.lower()
        assert "@media print" in html and "size: A4" in html
        assert "<svg" in html  # charts are inline


def test_the_loader_check_can_fail():
    assert external_references('<img src="https://cdn.example/x.png">') == ["https://cdn.example/x.png"]
    assert external_references("<div style=\"background: url('//x.org/a.png')\">") == ["//x.org/a.png"]
    assert external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg>') == []


def test_activity_names_are_escaped(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()


def test_resources_are_pseudonymised(hostile_report, permit_reports, permit_small):
    html = hostile_report.read_text(encoding="utf-8")
    for name in ("Anna Muster", "Beat Beispiel", "Carla Exemple", "evil"):
        assert name not in html
    resources = set(permit_small.df["org:resource"].dropna().unique())
    text = permit_reports["de"].read_text(encoding="utf-8")
    assert not [r for r in resources if f">{r}<" in text or f" {r} " in text]


def test_case_ids_are_not_shown(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    assert not re.search(r"F-\d{4}", html)


def test_small_groups_are_absent(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    assert "Bern" in html and "Biel/Bienne" in html
    assert "Kleindorf" not in html
    wb = openpyxl.load_workbook(hostile_report.with_suffix(".xlsx"))
    cells = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if "Kleindorf" in c]
    assert any("Biel/Bienne" in c for c in cells)


def test_workbook_cells_are_inert(hostile_report):
    wb = openpyxl.load_workbook(hostile_report.with_suffix(".xlsx"))
    hits = [
        c
        for ws in wb
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert hits
    for c in hits:
        assert c.data_type == "s"
        assert not c.value.startswith("=")
    assert any(c.value == "'" + FORMULA_ACTIVITY for c in hits)
    formulas = [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    csvs = sorted(hostile_report.parent.glob("hostile-*.csv"))
    assert csvs
    for p in csvs:
        for line in p.read_text(encoding="utf-8-sig").splitlines():
            for cell in line.split(";"):
                assert not cell.lstrip('"').startswith(("=", "+", "@")), (p.name, cell)
    assert FORMULA_ACTIVITY in hostile_report.read_text(encoding="utf-8").replace("&#34;", '"').replace(
        "&quot;", '"'
    )


def test_a_failing_analysis_leaves_a_note(tmp_path, hostile_log, monkeypatch):
    from procmine.report import _sections

    def boom(ctx):
        raise RuntimeError("analysis exploded")

    monkeypatch.setattr(_sections, "perf", boom)
    path = report(hostile_log, tmp_path / "r.html", language="fr", sections=["summary", "time", "quality"])
    html = path.read_text(encoding="utf-8")
    assert "analysis exploded" in html
    assert 'class="notice error"' in html
    assert "Qualité des données" in html  # the other sections are there


def test_bad_arguments(tmp_path, hostile_log):
    with pytest.raises(pm.ParameterError, match="language"):
        report(hostile_log, tmp_path / "x.html", language="it")
    with pytest.raises(pm.ParameterError, match="min_cases"):
        report(hostile_log, tmp_path / "x.html", min_cases=0)
    with pytest.raises(pm.ParameterError, match="sections"):
        report(hostile_log, tmp_path / "x.html", sections=["nope"])


def test_input_log_is_not_modified(tmp_path, hostile_log):
    before = hostile_log.df.copy()
    report(hostile_log, tmp_path / "r.html", sections=["summary"])
    assert hostile_log.df.equals(before)


def test_show_case_ids_on_request(tmp_path, hostile_log):
    path = report(hostile_log, tmp_path / "r.html", sections=["findings"], show_case_ids=True)
    html = path.read_text(encoding="utf-8")
    if 'class="finding"' in html:
        assert re.search(r"F-\d{4}", html)


def test_recommendations_are_in_the_report_language(permit_reports, permit_small):
    findings = pm.find_redundancies(permit_small)
    assert len(findings) > 0
    de = permit_reports["de"].read_text(encoding="utf-8")
    fr = permit_reports["fr"].read_text(encoding="utf-8")
    import html as _html

    de_text, fr_text = _html.unescape(de), _html.unescape(fr)
    shown = [f for f in findings if f.cases >= 10][:15]
    assert shown
    for f in shown:
        assert f.recommendation["de"] != f.recommendation["en"]
        assert f.recommendation["en"] not in de_text
        assert f.recommendation["fr"] in fr_text


def test_package_and_function_share_the_name(tmp_path, hostile_log):
    import procmine.report  # binds pm.report to the package  # noqa: F401

    path = pm.report(hostile_log, tmp_path / "r.html", sections=["summary"], language="en")
    assert "Summary" in path.read_text(encoding="utf-8")
