"""Process maps: deterministic SVG, escaping, pruning, fallback without Graphviz."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import procmine as pm
from procmine import viz
from procmine.discovery import discover
from procmine.errors import ParameterError, ProcmineWarning
from tests.conftest import shared_log

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")

ODD = [
    "<script>alert(1)</script>",
    'Say "yes"',
    "Prüfung & Entscheid",
    "Amt für Umwelt \\ Bau",
    "Décision envoyée",
]


def _log(traces: list[list[str]]) -> pm.EventLog:
    rows = [(f"c{i}", a, j) for i, t in enumerate(traces) for j, a in enumerate(t)]
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "h"])
    df["time:timestamp"] = pd.to_datetime(df.pop("h"), unit="h", utc=True)
    return pm.EventLog(df)


@pytest.fixture(scope="module")
def odd_log() -> pm.EventLog:
    return _log([ODD, ODD, ODD[:2] + ODD[3:], ODD[::-1]])


def test_human_duration() -> None:
    assert viz.human_duration(pd.Timedelta(hours=77)) == "3.2 d"
    assert viz.human_duration(pd.Timedelta(hours=5)) == "5 h"
    assert viz.human_duration(pd.Timedelta(minutes=12)) == "12 min"
    assert viz.human_duration(pd.Timedelta(days=900)) == "2.5 y"
    assert viz.human_duration(pd.NaT) == "–"


def test_dot_escapes_odd_names(odd_log: pm.EventLog) -> None:
    dot = viz.to_dot(viz.map_graph(odd_log, min_cases=1), title="<b>&title")
    assert "<script>" not in dot
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dot
    assert "Say &quot;yes&quot;" in dot
    assert "Prüfung &amp; Entscheid" in dot
    assert "&lt;b&gt;&amp;title" in dot
    # node ids are a<code> by sorted activity code
    assert set(re.findall(r"^  (a\d+) \[", dot, re.M)) == {f"a{i}" for i in range(len(ODD))}


@needs_dot
def test_svg_renders_odd_names_and_is_deterministic(odd_log: pm.EventLog) -> None:
    a = viz.process_map(odd_log, min_cases=1)
    b = viz.process_map(_log([ODD, ODD, ODD[:2] + ODD[3:], ODD[::-1]]), min_cases=1)
    assert a.svg == b.svg and a.dot == b.dot
    svg = a.svg
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!--" not in svg
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "Prüfung &amp; Entscheid" in svg and "Décision envoyée" in svg
    assert "Amt für Umwelt \\ Bau" in svg
    assert a._repr_svg_() == svg


@needs_dot
def test_save_and_model_plot(odd_log: pm.EventLog, tmp_path: Path) -> None:
    model = discover(odd_log)
    out = model.to_svg(tmp_path / "map.svg", metric="time", min_cases=1)
    assert out.read_text(encoding="utf-8").startswith("<svg")
    assert model.plot().save(tmp_path / "map.dot").read_text(encoding="utf-8").startswith("digraph")
    assert model.plot().save(tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    html_ = model._repr_html_()
    assert "<svg" in html_ and "<script>" not in html_


def test_fallback_without_dot(odd_log: pm.EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.warns(ProcmineWarning, match="Graphviz"):
        m = viz.process_map(odd_log, min_cases=1)
    assert m.engine == "matplotlib" and m.dot is None
    assert m.svg.startswith("<svg") and "<?xml" not in m.svg
    assert "&lt;script&gt;" in m.svg or "script" not in m.svg.replace("&lt;script&gt;", "")


def test_plot_on_ax(odd_log: pm.EventLog) -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert discover(odd_log).plot(ax=ax, min_cases=1) is ax
    assert len(ax.texts) > len(ODD)


def _graph(m: viz.MapGraph) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_edges_from(zip(m.edges["source"], m.edges["target"]))
    return g


def test_pruning_keeps_every_node_connected() -> None:
    # two islands that are each other's strongest neighbour must still hang off start and end
    main = ["A", "B", "C"]
    island = ["A", "X", "Y", "X", "Y", "X", "Y", "C"]
    log = _log([main] * 20 + [island] * 3)
    g = viz.map_graph(log, paths=0.1, min_cases=1)
    graph = _graph(g)
    for node in g.nodes["code"]:
        assert nx.has_path(graph, -1, node) and nx.has_path(graph, node, -2)


def test_sliders() -> None:
    traces = [["a", "b", "c"]] * 10 + [["a", "rare", "c"]]
    log = _log(traces)
    g = viz.map_graph(log, activities=0.9, paths=1.0, min_cases=1)
    assert set(g.nodes["name"]) == {"a", "b", "c"}
    assert g.shown["activities"] == 3 and g.shown["activities_total"] == 4
    # hidden activities are bypassed: a -> c appears once
    e = g.edges.set_index(["source", "target"])["count"]
    assert e[(0, 1)] == 10 and e[(0, 2)] == 1
    with pytest.raises(ParameterError, match="'paths' parameter of process_map"):
        viz.map_graph(log, paths=1.5)
    with pytest.raises(ParameterError, match="'metric'"):
        viz.map_graph(log, metric="cost")


@needs_dot
@pytest.mark.shared_logs
def test_bpic15_default_map_is_pruned() -> None:
    log = pm.read_log(shared_log("BPIC15_1.xes.gz"))
    m = discover(log).plot()
    s = m.graph.shown
    assert s["activities_total"] == 398 and s["activities"] <= 25
    assert s["paths"] <= 2 * s["activities"] + 5
    assert m.svg.count('class="node"') == s["activities"] + 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        time_map = discover(log).plot(metric="time")
    assert re.search(r">\d+(\.\d)? (s|min|h|d|y)<", time_map.svg)


def test_labels_from_mapping_and_column(odd_log: pm.EventLog) -> None:
    g = viz.map_graph(odd_log, labels={ODD[0]: "Script & <b>"}, min_cases=1)
    assert dict(zip(g.nodes["name"], g.nodes["label"]))[ODD[0]] == "Script & <b>"
    dot = viz.to_dot(g)
    assert "Script &amp; &lt;b&gt;" in dot and "&lt;script&gt;alert(1)&lt;/script&gt; · " in dot
    df = odd_log.df.assign(english=odd_log.df["concept:name"].str.upper())
    g2 = viz.map_graph(pm.EventLog(df), labels="english", min_cases=1)
    assert (g2.nodes["label"] == g2.nodes["name"].str.upper()).all()
    with pytest.raises(ParameterError, match="'labels'"):
        viz.map_graph(odd_log, labels="no such column")


@needs_dot
def test_svg_tooltips_name_activities_not_ids(odd_log: pm.EventLog) -> None:
    svg = viz.process_map(odd_log, min_cases=1).svg
    titles = re.findall(r"<title>(.*?)</title>", svg)
    assert titles and not any(re.search(r"\ba\d+\b", t) for t in titles)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in titles
    assert "times" in svg  # edge tooltips carry the count
