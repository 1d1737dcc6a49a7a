"""The portfolio ranks procedures by breach share when rules are given per procedure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import ParameterError
from procmine.report._portfolio import load_config, run_portfolio

PERMIT_RULES = """[[rule]]
name = "Entscheid"
start = "Gesuch eingereicht"
end = "Bauentscheid"
limit = 60

[[rule]]
name = "Vollständigkeit"
start = "Gesuch eingereicht"
end = "Vollständigkeit prüfen"
limit = 5
unit = "working_days"
"""

CONFIG = """language = "de"
min_cases = 5

[[procedure]]
name = "Baubewilligung"
log = "permit.csv"
rules = "fristen.toml"

[[procedure]]
name = "Subventions"
log = "subsidy.csv"

[[procedure.rule]]
name = "Décision"
start = "Demande déposée"
end = "Décision"
limit = 60
standstill = true

[[procedure]]
name = "Ohne Fristen"
log = "permit.csv"
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    pm.samples.load("permit_de").sample(80, seed=3).to_csv(tmp_path / "permit.csv")
    pm.samples.load("subsidy_fr").sample(80, seed=3).to_csv(tmp_path / "subsidy.csv")
    (tmp_path / "fristen.toml").write_text(PERMIT_RULES, encoding="utf-8")
    (tmp_path / "portfolio.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_config_reads_rules_from_a_file_and_from_tables(folder: Path) -> None:
    procs, _ = load_config(folder / "portfolio.toml")
    assert [r.name for r in procs[0].rules] == ["Entscheid", "Vollständigkeit"]
    assert procs[1].rules == (pm.TimeLimit("Décision", "Demande déposée", "Décision", 60, standstill=True),)
    assert procs[2].rules == ()


def test_portfolio_ranks_by_the_worst_rules_breach_share(folder: Path) -> None:
    cal = pm.Calendar(canton="BE")
    index, rows = run_portfolio(None, folder / "out", config=folder / "portfolio.toml", calendar=cal)
    by_name = {r["name"]: r for r in rows}
    assert all(not r["error"] for r in rows), [r["detail"] for r in rows]
    for name, csv, rules in (("Baubewilligung", "permit.csv", folder / "fristen.toml"),
                             ("Subventions", "subsidy.csv", load_config(folder / "portfolio.toml")[0][1].rules)):
        f = pm.time_limits(pm.read_log(folder / csv), rules, calendar=cal).to_frame()
        share = f["breaches"] / (f["within"] + f["breaches"])
        worst = f.loc[share.idxmax()]
        r = by_name[name]
        assert r["breach_rule"] == worst["rule"] and r["breaches"] == worst["breaches"]
        assert r["decided"] == worst["within"] + worst["breaches"]
        assert r["breach_share"] == pytest.approx(share.max())
    # the permit's 60 days are breached far more often than the subsidy's 60 days with stand-still
    assert by_name["Baubewilligung"]["breach_share"] > by_name["Subventions"]["breach_share"]
    assert by_name["Ohne Fristen"]["breach_share"] is None

    html = index.read_text(encoding="utf-8")
    section = html[html.index('<section id="limits"'):]
    assert "Rangliste nach Fristüberschreitungen" in section
    section = section[:section.index("</section>")]
    assert section.index("Baubewilligung") < section.index("Subventions")
    assert "Ohne Fristen" not in section
    table = pd.read_csv(folder / "out" / "portfolio.csv", sep=None, engine="python")
    assert set(table.columns) >= {"breach_rule", "breach_share", "breaches", "decided"}
    # the procedure's own report has the section
    assert 'id="limits"' in (folder / "out" / "baubewilligung" / "report.html").read_text(encoding="utf-8")


def test_bad_rules_in_the_configuration_name_the_procedure(folder: Path) -> None:
    cfg = folder / "portfolio.toml"
    cfg.write_text(CONFIG.replace("limit = 60\nstandstill", "limit = -1\nstandstill"), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"'rule' parameter of .*\('Subventions'\).*rule 'Décision': the field 'limit'"):
        load_config(cfg)
    cfg.write_text(CONFIG.replace('rules = "fristen.toml"', 'rules = "../fristen.toml"'), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"'rules' parameter of .* not outside it.*Got '\.\./fristen\.toml'"):
        load_config(cfg)
    cfg.write_text(CONFIG.replace('rules = "fristen.toml"', 'rules = "fehlt.toml"'), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"'rules' parameter of .*'Baubewilligung'.*an existing rules file.*Got 'fehlt\.toml'"):
        load_config(cfg)
