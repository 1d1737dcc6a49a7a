"""A report never loses a section, or a part of one, silently."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from procmine import report
from procmine.errors import ProcmineWarning
from procmine.i18n import gettext
from procmine.redundancy import Finding, Findings, find_redundancies
from procmine.report import _build
from procmine.report._savings import lead_days_per_year


def test_a_failing_section_says_so_warns_and_the_others_stay(tmp_path, hostile_log, monkeypatch):
    def boom(ctx):
        raise RuntimeError("Python int too large to convert to C long")

    title, _ = _build.SECTIONS["findings"]
    monkeypatch.setitem(_build.SECTIONS, "findings", (title, boom))
    with pytest.warns(ProcmineWarning, match="findings"):
        path = report(hostile_log, tmp_path / "r.html", language="de", sections=["summary", "findings", "quality"])
    html = path.read_text(encoding="utf-8")
    notice = gettext("This section could not be computed ({error}). The rest of the report is not affected.", "de")
    assert notice != notice.split("(")[0] and notice.split("(")[0] in html  # translated, in the section
    assert "Python int too large" in html
    assert "Datenqualität" in html and "Übersicht" in html


def test_the_overview_keeps_its_cards_when_one_fails(tmp_path, hostile_log, monkeypatch):
    from procmine.report import _sections

    def boom(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C long")

    monkeypatch.setattr(_sections, "headline", boom)
    with pytest.warns(ProcmineWarning, match="Lead time the office can cut per year"):
        path = report(hostile_log, tmp_path / "r.html", language="en", sections=["summary"])
    html = path.read_text(encoding="utf-8")
    assert "Findings" in html and "Staff time saved per year" in html  # the other cards are there
    assert "could not be computed" in html and "Python int too large" in html


def test_huge_savings_are_summed_without_overflow(hostile_log):
    # one finding worth more than a Timedelta holds (292 years), and a second one
    big = Finding("bottleneck", ("Prüfung",), cases=200_000, saving_per_case=pd.Timedelta(days=600))
    small = Finding("rework", ("Prüfung",), cases=10, saving_per_case=pd.Timedelta(hours=1))
    assert big.total_saving == pd.Timedelta.max
    days = lead_days_per_year([big, small], hostile_log, 8.4)
    expected_hours = 200_000 * 600 * 24 + 10
    assert days == pytest.approx(expected_hours / 8.4 * 365.25 / max(
        (hostile_log.time_range[1] - hostile_log.time_range[0]).total_seconds() / 86400, 30))


def test_the_report_renders_huge_findings(tmp_path, hostile_log):
    found = find_redundancies(hostile_log)
    assert len(found)
    huge = [dataclasses.replace(f, cases=10**6, saving_per_case=pd.Timedelta(days=900)) for f in found]
    given = Findings(huge, n_cases=hostile_log.n_cases, log_name="hand")
    with _no_procmine_warning():
        path = report(hostile_log, tmp_path / "r.html", language="fr", findings=given,
                      sections=["summary", "findings"])
    html = path.read_text(encoding="utf-8")
    assert "n'a pas pu être calculé" not in html and "notice error" not in html


class _no_procmine_warning:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings(record=True)
        self.records = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        bad = [w for w in self.records if issubclass(w.category, ProcmineWarning)]
        assert not bad, [str(w.message) for w in bad]
        return False
