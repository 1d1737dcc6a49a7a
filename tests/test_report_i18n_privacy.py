"""Report details that must read the same in every language and every run: the time-limit
table names the calendar of working days, the applicant's view is translated (reasons,
chart), and resource pseudonyms do not change between runs or hash seeds."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import procmine as pm
from procmine.i18n import calendar_note, gettext
from procmine.privacy import log_salt, pseudonym_map, pseudonymize
from procmine.report._build import build_report
from tests.conftest import ROOT


def _text(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("language,limit", [("de", "5 Arbeitstage (Kalender BE, Arbeitstag 8 Std.)"),
                                            ("fr", "5 jours ouvrables (calendrier BE, jour ouvrable de 8 h)"),
                                            ("en", "5 working days (calendar BE, working day 8 h)")])
def test_limit_column_names_the_calendar_of_working_days(tmp_path: Path, language: str, limit: str) -> None:
    log = pm.samples.load("permit_de")
    rules = pm.samples.limits("permit_de")
    assert {r.unit for r in rules} == {"months", "working_days"}
    out = pm.report(log, tmp_path / "r.html", language=language, sections=["limits"], limits=rules,
                    calendar=pm.Calendar(canton="BE"))
    text = _text(out)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", text)
    assert limit in cells
    months = next(c for c in cells if c.startswith("3 "))  # calendar months need no calendar
    assert "(" not in months


@pytest.mark.parametrize("language", ["de", "fr"])
def test_applicant_section_is_translated(tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from procmine.report import _charts

    axis_labels: list[str] = []
    real = _charts.hbar_stacked

    def spy(*args: object, **kw: object) -> object:
        axis_labels.append(str(kw["xlabel"]))
        return real(*args, **kw)

    monkeypatch.setattr(_charts, "hbar_stacked", spy)
    log = pm.samples.load("subsidy_fr")
    out = pm.report(log, tmp_path / "r.html", language=language, sections=["client"])
    section = _text(out).split('id="client"', 1)[1]
    # the report works on the pseudonymised log (a system account is then one pseudonym among others)
    cv = pm.client_view(pseudonymize(log), language=language)
    assert len(cv.contact_steps) >= 4
    for why in cv.contact_steps["why"]:
        assert why in section  # the reasons, in the report language
    assert gettext("Why", language) in section
    for english in ("request to the applicant", "the applicant acts", "sends or notifies", "mean lead time",
                    "working days"):
        assert english not in section
    # the chart (text drawn as paths: read its axis label where the section makes it)
    assert axis_labels[-1] == gettext("mean lead time in {unit}", language).format(
        unit=f"{gettext('working days', language)} ({calendar_note(pm.Calendar(), language)})")
    assert axis_labels[-1].count("(") == 1 and "lead time" not in axis_labels[-1]


_PSEUDONYMS = """
import json, sys
import procmine as pm
from procmine.report._build import build_report
log = pm.samples.load("subsidy_fr").sample(150, seed=3)
_, ctx = build_report(log, sys.argv[1], language="fr", sections=["summary"])
known = log.df["org:resource"].notna()
print(json.dumps(dict(zip(log.df.loc[known, "org:resource"].astype(str), ctx.log.df.loc[known, "org:resource"])),
                 sort_keys=True))
"""


def test_report_pseudonyms_are_the_same_in_every_run(tmp_path: Path) -> None:
    log = pm.samples.load("subsidy_fr").sample(150, seed=3)
    runs = []
    for i in range(2):
        _, ctx = build_report(log, tmp_path / f"r{i}.html", language="fr", sections=["summary"])
        known = log.df["org:resource"].notna()
        runs.append(dict(zip(log.df.loc[known, "org:resource"].astype(str), ctx.log.df.loc[known, "org:resource"])))
    assert len(runs[0]) >= 10 and runs[0] == runs[1]
    # persons R-…, system accounts (the e-portal) system-…: the analyses still see a system
    from procmine.waits._steps import is_system_account

    assert all(re.fullmatch(r"system-\d{4}" if is_system_account(n) else r"R-\d{4}", p) for n, p in runs[0].items())
    assert any(is_system_account(n) for n in runs[0]) and not all(is_system_account(n) for n in runs[0])
    assert len(set(runs[0].values())) == len(runs[0])  # one pseudonym per person
    # another process with another hash seed
    env = {**os.environ, "PYTHONHASHSEED": "4711", "PYTHONPATH": str(ROOT / "src")}
    for seed in ("4711", "1"):
        env["PYTHONHASHSEED"] = seed
        res = subprocess.run([sys.executable, "-c", _PSEUDONYMS, str(tmp_path / f"s{seed}.html")], env=env,
                             capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
        assert res.returncode == 0, res.stderr[-2000:]
        assert json.loads(res.stdout.strip().splitlines()[-1]) == runs[0]


def test_pseudonyms_change_with_the_log_and_hide_the_order() -> None:
    log = pm.samples.load("subsidy_fr")
    other = log.sample(150, seed=3)
    assert log_salt(log) == log_salt(pm.samples.load("subsidy_fr")) != log_salt(other)
    names = list(dict.fromkeys(log.df["org:resource"].dropna().astype(str)))
    numbered = pseudonym_map(names, salt=log_salt(log), numbered=True)
    assert numbered == pseudonym_map(names[::-1], salt=log_salt(log), numbered=True)  # not the order of appearance
    assert [numbered[n] for n in names] != sorted(numbered.values())
    assert [numbered[n] for n in sorted(names)] != sorted(numbered.values())  # nor the alphabet
    # equal texts (1 and "1") keep the order of first appearance: no tie left to chance
    assert pseudonym_map([1, "1"], salt="k", numbered=True) == {1: "R-0001", "1": "R-0002"}
    assert pseudonym_map(["1", 1], salt="k", numbered=True) == {"1": "R-0001", 1: "R-0002"}
    # without a salt: random numbering, as documented
    assert pseudonym_map(["a", "b"])["a"].startswith("R-000")
    assert re.fullmatch(r"R-[0-9a-f]{8}", pseudonym_map(["a"], salt="k")["a"])
