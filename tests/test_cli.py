"""The procmine command: exit codes, messages, and each command on real and shipped data."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import main
from tests.conftest import shared_log

SWISS_CSV = (
    "Dossier-Nr;Aktivität;Datum;Sachbearbeiter/in;Amt\n"
    "2024-001;Gesuch eingereicht;04.03.2024 08:15;MA-01;Gemeinde\n"
    "2024-001;Vollständigkeit prüfen;05.03.2024 10:00;MA-02;Bauinspektorat\n"
    "2024-002;Gesuch eingereicht;04.03.2024 09:00;MA-01;Gemeinde\n"
    ";Vollständigkeit prüfen;06.03.2024 11:00;MA-02;Bauinspektorat\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_inspect_prints_report(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text(SWISS_CSV, encoding="cp1252")
    res = runner.invoke(main, ["inspect", str(p)])
    assert res.exit_code == 0, res.output
    assert "rows read" in res.output and "4" in res.output
    assert "missing case id" in res.output
    assert "Dossier-Nr" in res.output  # the detected case column
    assert "Gesuch eingereicht" in res.output


def test_missing_file_exits_2_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["inspect", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2
    assert "nope.csv" in res.output and "Traceback" not in res.output


def test_bad_file_exits_2_with_log_error(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_text("", encoding="utf-8")
    res = runner.invoke(main, ["inspect", str(p)])
    assert res.exit_code == 2
    assert "empty.csv" in res.output and "Error" in res.output


def test_inspect_real_xes(runner: CliRunner) -> None:
    path = shared_log("receipt_wabo.xes.gz")
    res = runner.invoke(main, ["inspect", str(path)])
    assert res.exit_code == 0, res.output
    assert "8,577" in res.output and "1,434 cases" in res.output


def test_discover_writes_svg_and_bpmn(runner: CliRunner, tmp_path: Path) -> None:
    path = shared_log("receipt_wabo.xes.gz")
    svg, bpmn = tmp_path / "map.svg", tmp_path / "model.bpmn"
    res = runner.invoke(main, ["discover", str(path), "-o", str(svg), "--bpmn", str(bpmn), "--quiet"])
    assert res.exit_code == 0, res.output
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg") or "<svg" in svg.read_text(encoding="utf-8")
    assert "bpmn" in bpmn.read_text(encoding="utf-8").lower()
    assert "main variants" in res.output


def test_findings_lists_and_writes_csv(runner: CliRunner, tmp_path: Path) -> None:
    from procmine.samples import sample_path

    out = tmp_path / "f.csv"
    res = runner.invoke(main, ["findings", str(sample_path("permit_de", "csv")), "--csv", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert out.exists() and out.read_text(encoding="utf-8").count("\n") >= 2


def test_unknown_kind_is_a_user_error(runner: CliRunner) -> None:
    from procmine.samples import sample_path

    res = runner.invoke(main, ["findings", str(sample_path("permit_de", "csv")), "--kinds", "nonsense"])
    assert res.exit_code == 2 and "nonsense" in res.output


def test_demo_writes_reports(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = runner.invoke(main, ["demo", "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    htmls = sorted(out.glob("*.html"))
    assert [h.name for h in htmls] == ["permit_de-report.html", "subsidy_fr-report.html"]
    assert all(str(h.resolve()) in res.output for h in htmls)
    assert "Baubewilligung" in htmls[0].read_text(encoding="utf-8") or "Gesuch" in htmls[0].read_text(encoding="utf-8")


def test_portfolio_of_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    from procmine.samples import sample_path

    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("permit_de", "subsidy_fr"):
        src = sample_path(name, "csv")
        shutil.copy(src, logs / src.name)
    out = tmp_path / "portfolio"
    res = runner.invoke(main, ["portfolio", str(logs), "-o", str(out), "--lang", "fr", "--quiet"])
    assert res.exit_code == 0, res.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "permit_de" in index and "subsidy_fr" in index
    assert str((out / "index.html").resolve()) in res.output


def test_portfolio_of_an_empty_folder_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(main, ["portfolio", str(tmp_path), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no event log" in res.output
