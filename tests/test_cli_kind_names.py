"""`procmine findings --lang fr|de` names the kinds as the report does; the CSV keeps the codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import main

CODES = ("bottleneck", "rubber_stamp", "duplicate_work", "ping_pong", "batching", "parallelizable",
         "mergeable", "automation_candidate", "incomplete_submission", "rework")


@pytest.mark.parametrize(("lang", "name"), [("fr", "Visa de pure forme"), ("de", "Reine Formalkontrolle")])
def test_findings_prints_translated_kind_names(tmp_path: Path, lang: str, name: str) -> None:
    from procmine.samples import sample_path

    csv_out = tmp_path / "f.csv"
    res = CliRunner().invoke(main, ["findings", str(sample_path("subsidy_fr", "csv")), "--lang", lang,
                                    "--csv", str(csv_out), "--quiet"])
    assert res.exit_code == 0, res.output
    listing = [ln for ln in res.output.splitlines() if ln[:5].strip().rstrip(".").isdigit()]
    assert listing and any(name in ln for ln in listing)
    assert not [ln for ln in listing if any(f" {c} " in f" {ln} " for c in CODES)]
    # the machine output keeps the codes
    assert "rubber_stamp" in csv_out.read_text(encoding="utf-8")
