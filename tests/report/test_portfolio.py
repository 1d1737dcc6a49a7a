"""The cantonal portfolio: ranking, linked pages, TOML configuration, failing procedures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import procmine as pm
from procmine.report import portfolio
from procmine.report._portfolio import load_config
from tests.conftest import shared_log

from .test_report import external_references


@pytest.fixture(scope="module")
def samples_portfolio(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pf")
    logs = {
        "Baubewilligung": pm.samples.load("permit_de").sample(120, seed=3),
        "Subventions": pm.samples.load("subsidy_fr").sample(120, seed=3),
        "Kaputt": out / "missing.csv",
    }
    return portfolio(logs, out / "portfolio", language="fr")


def test_index_links_every_page_relatively(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"#]+)"', html)
    assert sorted(links) == ["baubewilligung/report.html", "subventions/report.html"]
    for link in links:
        page = samples_portfolio.parent / link
        assert page.exists()
        assert "Synthèse" in page.read_text(encoding="utf-8")
    assert (samples_portfolio.parent / "portfolio.xlsx").exists()
    assert external_references(html) == []
    assert "<script" not in html.lower()


def test_ranking_is_sorted_by_saving(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    assert "Classement par économie estimée" in html
    rows = re.findall(
        r'<td class="name"><a href="[^"]+">([^<]+)</a>.*?</td>.*?<td class="r">([\d\u202f’,.]+)</td>\s*<td class="r">[^<]*</td>\s*<td class="wide">',
        html,
        re.S,
    )
    assert len(rows) == 2
    import pandas as pd

    table = pd.read_excel(samples_portfolio.parent / "portfolio.xlsx")
    ok = table[table["error"].isna() | (table["error"] == "")]
    assert ok["lead_days"].is_monotonic_decreasing
    assert list(ok["name"]) == [name for name, _ in rows]


def test_a_failing_procedure_is_listed_not_fatal(samples_portfolio):
    html = samples_portfolio.read_text(encoding="utf-8")
    assert "Kaputt" in html
    assert "Procédures qui n'ont pas pu être analysées" in html.replace("&#39;", "'")


def test_toml_configuration(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = pm.samples.load("permit_de").sample(150, seed=4)
    frame = log.df.rename(
        columns={"case:concept:name": "Dossier", "concept:name": "Tätigkeit", "time:timestamp": "Zeitpunkt"}
    )[["Dossier", "Tätigkeit", "Zeitpunkt", "Gemeinde"]]
    frame.to_csv(logs / "bau.csv", index=False, sep=";")
    cfg = tmp_path / "portfolio.toml"
    cfg.write_text(
        'language = "de"\nmin_cases = 5\ntitle = "Kantonales Portfolio"\n\n'
        '[[procedure]]\nname = "Baubewilligung"\ndirectorate = "BVD"\nlog = "logs/bau.csv"\n'
        'columns = { case = "Dossier", activity = "Tätigkeit", timestamp = "Zeitpunkt" }\n'
        'required = ["Publikation im Amtsblatt"]\nsep = ";"\n',
        encoding="utf-8",
    )
    procs, options = load_config(cfg)
    assert options == {"language": "de", "min_cases": 5, "title": "Kantonales Portfolio"}
    assert procs[0].read_options["case"] == "Dossier" and procs[0].required == ("Publikation im Amtsblatt",)
    index = portfolio(None, tmp_path / "out", config=cfg)
    html = index.read_text(encoding="utf-8")
    assert "Kantonales Portfolio" in html and "BVD" in html and "Nach Direktion" in html
    assert (tmp_path / "out" / "baubewilligung" / "report.html").exists()


def test_bad_configuration(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[procedure]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="log"):
        load_config(cfg)
    cfg.write_text("not = [toml", encoding="utf-8")
    with pytest.raises(pm.ParameterError, match="TOML"):
        load_config(cfg)
    with pytest.raises(pm.ParameterError):
        portfolio([], tmp_path / "out")


@pytest.mark.shared_logs
def test_real_logs(tmp_path):
    paths = [shared_log("receipt_wabo.xes.gz"), shared_log("helpdesk.xes.gz")]
    index = portfolio(paths, tmp_path / "real", language="en")
    html = index.read_text(encoding="utf-8")
    assert "receipt_wabo/report.html" in html and "helpdesk/report.html" in html
    for p in ("receipt_wabo", "helpdesk"):
        page = (tmp_path / "real" / p / "report.html").read_text(encoding="utf-8")
        assert "Process map" in page
