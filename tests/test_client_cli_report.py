"""The applicant's view on the command line and in the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import procmine as pm
from procmine.cli import main
from procmine.samples import sample_path

CSV = (
    "Dossier;Aktivität;Zeit;Gemeinde\n"
    + "".join(
        f"{c};Gesuch eingereicht;0{d}.03.2024 08:00;Thun\n"
        f"{c};Vollständigkeit prüfen;0{d}.03.2024 10:00;Thun\n"
        f"{c};Entscheid versenden;0{d + 1}.03.2024 11:00;Thun\n"
        for c, d in (("A", 4), ("B", 5), ("C", 6))
    )
)


def test_cli_client_on_the_permit_sample_in_german() -> None:
    res = CliRunner().invoke(main, ["client", str(sample_path("permit_de")), "--lang", "de", "--by", "Gemeinde"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Kontakte mit den Gesuchstellenden" in out
    assert "Nachforderung" in out and "Unterlagen nachfordern" in out
    assert "Vollständigkeit prüfen → Unterlagen nachfordern" in out
    assert "Köniz:" in out and "’" not in out.split("Köniz:")[0][-1:]  # group rows follow
    cv = pm.client_view(pm.samples.load("permit_de"))
    share = pm.i18n.format_percent(cv.summary()["asked_again_share"], "de", 0)
    assert f"{share} der Gesuchstellenden" in out


def test_cli_client_declared_steps_and_bad_input(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text(CSV, encoding="utf-8")
    res = CliRunner().invoke(main, ["client", str(p), "--contact-steps", "Vollständigkeit prüfen", "--lang", "fr"])
    assert res.exit_code == 0, res.output
    assert "Vollständigkeit prüfen" in res.output and "Entscheid versenden" not in res.output
    res = CliRunner().invoke(main, ["client", str(p), "--contact-steps", "Nope"])
    assert res.exit_code == 2 and "contact_steps" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["client", str(p), "--by", "Kanton"])
    assert res.exit_code == 2 and "'by'" in res.output
    res = CliRunner().invoke(main, ["client", str(p), "--by", "Gemeinde", "--lang", "en"])
    assert res.exit_code == 0 and "1 group with fewer than 10 cases not shown" in res.output


@pytest.mark.parametrize("lang,title", [("de", "Sicht der Gesuchstellenden"), ("fr", "Point de vue des requérants"),
                                        ("en", "The applicant&#39;s view")])
def test_report_section_shown_when_contacts_exist(tmp_path: Path, lang: str, title: str) -> None:
    log = pm.samples.load("subsidy_fr")
    out = pm.report(log, tmp_path / "r.html", language=lang, sections=["summary", "client"], xlsx=True)
    text = out.read_text(encoding="utf-8")
    assert 'id="client"' in text and title in text
    assert "Demande de pièces complémentaires" in text
    headline = pm.client_view(log, by="Commune").headline(lang)
    assert headline.split(".")[0].replace("'", "&#39;") in text
    sheets = pd.ExcelFile(out.with_suffix(".xlsx")).sheet_names
    assert any("contact" in s.lower() or "Kontakt" in s for s in sheets)


def test_report_leaves_the_section_out_without_contacts(tmp_path: Path) -> None:
    rows = [{"case:concept:name": f"c{i}", "concept:name": a,
             "time:timestamp": pd.Timestamp("2024-03-04 09:00", tz="UTC") + pd.Timedelta(hours=h + i)}
            for i in range(12) for h, a in enumerate(("Erfassen", "Prüfen", "Abschliessen"))]
    log = pm.EventLog(pd.DataFrame(rows))
    assert pm.client_view(log).contact_steps.empty
    text = pm.report(log, tmp_path / "r.html", language="en").read_text(encoding="utf-8")
    assert 'id="client"' not in text
    text = pm.report(log, tmp_path / "s.html", language="en", sections=["client"]).read_text(encoding="utf-8")
    assert 'id="client"' in text and "no contact with the applicant" in text


def test_portfolio_ranks_by_applicant_burden(tmp_path: Path) -> None:
    from procmine.report import portfolio

    logs = {"Baubewilligung": pm.samples.load("permit_de").sample(60, seed=5),
            "Subventions": pm.samples.load("subsidy_fr").sample(60, seed=5)}
    index = portfolio(logs, tmp_path / "pf", language="de")
    html = index.read_text(encoding="utf-8")
    assert "Rangliste nach Aufwand für die Gesuchstellenden" in html
    table = pd.read_excel(index.parent / "portfolio.xlsx")
    shares = {r["name"]: r["asked_again_share"] for _, r in table.iterrows()}
    for name, log in logs.items():
        assert shares[name] == pytest.approx(pm.client_view(log).summary()["asked_again_share"])
    first = max(shares, key=shares.get)
    burden = html[html.index("Rangliste nach Aufwand"):]
    assert burden.index(first) < burden.index(min(shares, key=shares.get))
