"""BPMN export: BPMN 2.0 XML with diagram interchange, read back by pm4py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

import procmine as pm
from procmine.discovery import _pm4py, discover
from procmine.errors import ProcmineError
from tests.conftest import shared_log

DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"


def _tasks(path: Path) -> set[str]:
    from pm4py.objects.bpmn.obj import BPMN

    graph = _pm4py.read_bpmn(path)
    return {n.get_name() for n in graph.get_nodes() if isinstance(n, BPMN.Task)}


def _check_di(path: Path) -> None:
    tree = etree.parse(str(path))
    shapes = tree.findall(f".//{{{BPMNDI}}}BPMNShape")
    edges = tree.findall(f".//{{{BPMNDI}}}BPMNEdge")
    assert shapes and edges
    bounds = tree.findall(f".//{{{DC}}}Bounds")
    points = tree.findall(f".//{{{DI}}}waypoint")
    assert len(bounds) >= len(shapes) and len(points) >= 2 * len(edges)
    # every flow node has a shape and every sequence flow an edge
    model = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    process = tree.find(f".//{{{model}}}process")
    ids = {e.get("id") for e in process}
    assert ids == {s.get("bpmnElement") for s in shapes} | {e.get("bpmnElement") for e in edges}
    # shifted to positive coordinates, which every BPMN tool shows without scrolling
    assert min(float(b.get("x")) for b in bounds + points) >= 0
    assert min(float(b.get("y")) for b in bounds + points) >= 0


def test_tiny_bpmn_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "case:concept:name": ["1", "1", "1", "2", "2", "2"],
            "concept:name": [
                "Gesuch prüfen",
                "Stellungnahme <Amt> & Co",
                "Entscheid",
                "Gesuch prüfen",
                "Stellungnahme <Amt> & Co",
                "Entscheid",
            ],
            "time:timestamp": pd.to_datetime([0, 1, 2, 0, 1, 2], unit="h", utc=True),
        }
    )
    model = discover(pm.EventLog(df), variants=1.0)
    out = model.to_bpmn(tmp_path / "tiny.bpmn")
    _check_di(out)
    assert _tasks(out) == {"Gesuch prüfen", "Stellungnahme <Amt> & Co", "Entscheid"}


def test_bpmn_suffix_required(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "case:concept:name": ["1"],
            "concept:name": ["a"],
            "time:timestamp": pd.to_datetime([0], unit="h", utc=True),
        }
    )
    with pytest.raises(ProcmineError, match=r"\.bpmn"):
        discover(pm.EventLog(df)).to_bpmn(tmp_path / "model.xml")


@pytest.mark.shared_logs
def test_bpic15_bpmn_with_default_pruning(tmp_path: Path) -> None:
    log = pm.read_log(shared_log("BPIC15_1.xes.gz"))
    model = discover(log)
    p = model.pruning
    assert p["activities_total"] == 398 and p["activities_kept"] <= 40
    assert len(p["activities_left_out"]) == 398 - p["activities_kept"]
    assert p["cases_kept"] < p["cases_total"]
    assert "mined on" in repr(model)
    out = model.to_bpmn(tmp_path / "bpic15_1.bpmn")
    _check_di(out)
    kept = set(log.activities.index[: p["activities_kept"]])
    tasks = _tasks(out)
    assert tasks and tasks <= kept
    net = model.petri_net[0]
    assert tasks == {t.label for t in net.transitions if t.label}


@pytest.mark.shared_logs
def test_receipt_bpmn_has_the_model_activities(tmp_path: Path) -> None:
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    model = discover(log, noise=0.0, activities=1.0, variants=1.0)
    out = model.to_bpmn(tmp_path / "receipt.bpmn")
    _check_di(out)
    assert _tasks(out) == set(log.activities.index)
