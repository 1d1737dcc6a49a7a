"""The report computes each analysis once and hands it to every section that needs it."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

from procmine.redundancy import _base
from procmine.report import report

# the modules (``procmine.performance`` etc. are shadowed by the functions of that name)
discovery = importlib.import_module("procmine.discovery")
performance = importlib.import_module("procmine.performance")
redundancy = importlib.import_module("procmine.redundancy")
client = importlib.import_module("procmine.client")
_wait_causes = importlib.import_module("procmine.waits._causes")


def _counting(monkeypatch, counts: Counter, module: Any, name: str) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)


def test_each_analysis_is_built_once(tmp_path, permit_small, monkeypatch):
    counts: Counter = Counter()
    for module, name in [
        (discovery, "discover"),
        (performance, "performance"),
        (redundancy, "find_redundancies"),
        (client, "client_view"),
        (_base, "EventTable"),  # the detectors' shared per-event table
        (_wait_causes, "_compute"),  # wait causes and step classification
    ]:
        _counting(monkeypatch, counts, module, name)
    report(permit_small, tmp_path / "r.html", language="en", xlsx=True)
    assert counts == Counter(
        discover=1, performance=1, find_redundancies=1, client_view=1, EventTable=1, _compute=1
    ), counts


def test_given_findings_are_not_recomputed(tmp_path, permit_small, monkeypatch):
    found = redundancy.find_redundancies(permit_small)
    counts: Counter = Counter()
    _counting(monkeypatch, counts, redundancy, "find_redundancies")
    html = report(permit_small, tmp_path / "r.html", language="en", findings=found,
                  sections=["summary", "findings"]).read_text(encoding="utf-8")
    assert counts["find_redundancies"] == 0
    assert "Redundancy findings" in html


def test_the_proposal_reuses_the_what_if_run_of_its_scenario(tmp_path, permit_small, monkeypatch):
    """One simulation per what-if scenario: the proposal's changes are the combined
    scenario's, already simulated; with required steps it simulates again (simplify checks them)."""
    whatif = importlib.import_module("procmine.whatif")
    counts: Counter = Counter()
    _counting(monkeypatch, counts, whatif, "simplify")

    def simulations(name: str, sections: list[str], **kw: Any) -> int:
        counts.clear()
        html = report(permit_small, tmp_path / name, language="en", sections=sections, **kw).read_text(
            encoding="utf-8")
        assert "could not be computed" not in html
        return counts["simplify"]

    scenarios = simulations("a.html", ["whatif"])
    assert scenarios >= 1
    assert simulations("b.html", ["whatif", "proposal"]) == scenarios
    assert simulations("c.html", ["proposal"]) == 1
    required = ["Gesuch eingereicht"]
    assert simulations("d.html", ["whatif", "proposal"], required=required) == scenarios + 1
