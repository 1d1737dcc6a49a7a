"""BPMN files procmine writes are deterministic and speak the caller's language: element
ids follow the activity names and the graph (valid XML NCNames, stable across runs and
hash seeds), and the exclusive gateways' labels are translated."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

import procmine as pm
from procmine import samples
from procmine.errors import ParameterError
from procmine.whatif import simplify

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# NCName, ASCII subset: what every id procmine writes must match
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def log():
    return samples.load("permit_de")


@pytest.fixture(scope="module")
def model(log):
    return pm.discover(log)


@pytest.fixture(scope="module")
def whatif(log):
    truth = samples.ground_truth("permit_de")
    stamp = next(t.activities for t in truth if t.kind == "rubber_stamp" and not t.decoy)
    pair = next(t.activities for t in truth if t.kind == "parallelizable" and not t.decoy)
    return simplify(log, remove=list(stamp), parallelize=[tuple(pair)])


def _ids(path: Path) -> list[str]:
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    return [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id") is not None]


def _tree(path: Path):
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def test_as_is_written_twice_is_byte_identical_with_readable_ids(model, tmp_path):
    a = model.to_bpmn(tmp_path / "a.bpmn")
    b = model.to_bpmn(tmp_path / "b.bpmn")
    assert a.read_bytes() == b.read_bytes()
    ids = _ids(a)
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids), ids
    root = _tree(a)
    for task in root.iter(f"{{{MODEL}}}task"):
        # "Eingangsbestätigung versenden" -> Activity_Eingangsbestatigung_versenden
        plain = re.sub(r"[^A-Za-z0-9]+", "_", task.get("name").replace("ä", "a").replace("ö", "o").replace("ü", "u"))
        assert task.get("id").startswith("Activity_" + plain.strip("_")[:40].rstrip("_")), task.get("id")
    assert not any(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", i) for i in ids)  # no UUIDs left
    # every reference points at an element of the file
    known = set(ids)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("sourceRef", "targetRef", "bpmnElement"):
            if el.get(attr) is not None:
                assert el.get(attr) in known, (attr, el.get(attr))
        if etree.QName(el).localname in ("incoming", "outgoing"):
            assert el.text in known


def test_to_be_written_twice_is_byte_identical_and_documented(whatif, tmp_path):
    a = whatif.to_bpmn(tmp_path / "a.bpmn")
    b = whatif.to_bpmn(tmp_path / "b.bpmn")
    assert a.read_bytes() == b.read_bytes()
    ids = _ids(a)
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)
    root = _tree(a)
    # the documentation still lands on the changed tasks (mapped to the new ids)
    documented = [t.get("name") for t in root.iter(f"{{{MODEL}}}task") if t.find(f"{{{MODEL}}}documentation") is not None]
    pair = whatif.changes["parallelize"][0]
    assert set(pair) <= set(documented)
    assert len(list(root.iter(f"{{{MODEL}}}parallelGateway"))) >= 2
    # the highlighted drawing finds the changed elements in the written layout
    _a, b_layout, _ma, mb = whatif._layouts()
    changed = {n["name"] for n in b_layout["nodes"] if mb.get(n["id"]) == "changed"}
    assert set(pair) <= changed


def test_same_bytes_in_a_fresh_process_with_another_hash_seed(model, tmp_path):
    """Sets of pm4py objects iterate differently per process: the file must not care."""
    here = model.to_bpmn(tmp_path / "here.bpmn")
    there = tmp_path / "there.bpmn"
    code = (
        "import sys, procmine as pm; from procmine import samples; "
        "pm.discover(samples.load('permit_de')).to_bpmn(sys.argv[1])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-c", code, str(there)], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert there.read_bytes() == here.read_bytes()


@pytest.mark.parametrize(("language", "word"), [("de", "von"), ("fr", "sur"), ("en", "of")])
def test_gateway_labels_in_the_callers_language(model, whatif, tmp_path, language, word):
    for path in (
        model.to_bpmn(tmp_path / f"as-is-{language}.bpmn", language=language),
        whatif.to_bpmn(tmp_path / f"to-be-{language}.bpmn", language=language),
    ):
        root = _tree(path)
        forks = [g for g in root.iter(f"{{{MODEL}}}exclusiveGateway") if g.get("gatewayDirection") == "Diverging"]
        assert forks
        for g in forks:
            n = len(g.findall(f"{{{MODEL}}}outgoing"))
            assert g.get("name") == f"1 {word} {n}"


def test_gateway_language_is_checked(model, tmp_path):
    with pytest.raises(ParameterError, match="language"):
        model.to_bpmn(tmp_path / "x.bpmn", language="it")


def test_cli_lang_reaches_the_bpmn(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    src = samples.sample_path("permit_de")
    out = tmp_path / "m.bpmn"
    res = CliRunner().invoke(main, ["discover", str(src), "--bpmn", str(out), "--lang", "fr", "--quiet"])
    assert res.exit_code == 0, res.output
    assert re.search(r'name="1 sur \d+"', out.read_text(encoding="utf-8"))


def test_ids_of_names_that_read_alike_and_repeated_names():
    """Two names with the same ASCII form get a digest; one name twice, a number."""
    from pm4py.objects.bpmn.obj import BPMN

    from procmine.whatif._bpmn import canonical

    g = BPMN()
    start, end = BPMN.StartEvent(name="start"), BPMN.EndEvent(name="end")
    names = ("Prüfung", "Prufung", "Entscheid", "Entscheid", "3. Runde / Frist", "Runde", "Runde di")
    tasks = [BPMN.Task(name=n) for n in names]
    prev = start
    for t in [*tasks, end]:
        g.add_flow(BPMN.SequenceFlow(prev, t))
        prev = t
    out, ids = canonical(g)
    new = [t.get_id() for t in tasks]  # the same objects, renamed in place
    assert sorted(ids.values()) == sorted(n.get_id() for n in out.get_nodes())
    assert len(set(new)) == len(names) and all(NCNAME.match(i) for i in new)
    assert new[0] != new[1] and new[0].startswith("Activity_Prufung_") and new[1].startswith("Activity_Prufung_")
    assert new[2] == "Activity_Entscheid" and new[3] == "Activity_Entscheid_2"
    assert new[4] == "Activity_3_Runde_Frist"
    flows = [f.get_id() for f in out.get_flows()]
    assert len(set(flows)) == len(flows) and all(NCNAME.match(f) for f in flows)
    # a shape is "<id>_di": no element id may be another's shape id
    every = [n.get_id() for n in out.get_nodes()] + flows
    assert not {f"{i}_di" for i in every} & set(every)


def _graph_ids(g) -> list[tuple[str, str, str]]:
    """(kind, id, name) of every node and (flow, id, ends) of every flow, in the graph's own order."""
    nodes = [(type(n).__name__, n.get_id(), n.get_name() or "") for n in g.get_nodes()]
    flows = [("Flow", f.get_id(), f"{f.get_source().get_id()}>{f.get_target().get_id()}") for f in g.get_flows()]
    return nodes + flows + [("Process", g.get_process_id(), "")]


def test_in_memory_graphs_have_readable_ids(model, whatif):
    for g in (model.bpmn, whatif.model):
        ids = [i for _, i, _ in _graph_ids(g)]
        assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids), ids
        assert not any(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", i) for i in ids)
        assert {n.get_process() for n in g.get_nodes()} == {"Process_1"}
    # the gateways the to-be edit adds are named from the graph as well
    assert sum(i.startswith("Gateway_") for _, i, _ in _graph_ids(whatif.model)) >= 2


def test_in_memory_graphs_and_to_be_bytes_in_a_fresh_process_with_another_hash_seed(model, whatif, tmp_path):
    """The same log gives the same in-memory graphs (ids and order) and the same to-be file
    in another process, whatever Python's hash seed."""
    import json

    here = whatif.to_bpmn(tmp_path / "here.bpmn", language="de")
    there = tmp_path / "there.bpmn"
    code = (
        "import sys, json, procmine as pm; from procmine import samples; "
        "from procmine.whatif import simplify; from tests.test_bpmn_ids import _graph_ids; "
        "log = samples.load('permit_de'); truth = samples.ground_truth('permit_de'); "
        "stamp = next(t.activities for t in truth if t.kind == 'rubber_stamp' and not t.decoy); "
        "pair = next(t.activities for t in truth if t.kind == 'parallelizable' and not t.decoy); "
        "w = simplify(log, remove=list(stamp), parallelize=[tuple(pair)]); "
        "w.to_bpmn(sys.argv[1], language='de'); "
        "print(json.dumps([_graph_ids(pm.discover(log).bpmn), _graph_ids(w.model)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    res = subprocess.run([sys.executable, "-c", code, str(there)], env=env, capture_output=True, text=True,
                         timeout=300, check=False, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    as_is, to_be = json.loads(res.stdout.strip().splitlines()[-1])
    assert [tuple(x) for x in as_is] == _graph_ids(model.bpmn)
    assert [tuple(x) for x in to_be] == _graph_ids(whatif.model)
    assert there.read_bytes() == here.read_bytes()


def _layout_from_file(bpmn, tmp_path: Path, language: str = "en"):
    from procmine.discovery import _bpmn_graph

    path, ids = _bpmn_graph.write_bpmn_ids(bpmn, tmp_path / f"layout-{language}.bpmn", language=language)
    return _bpmn_graph.layout_of(path), ids


@pytest.mark.parametrize("language", ["en", "fr"])
def test_layout_in_memory_is_the_written_files(model, whatif, tmp_path, language):
    """The report draws the layouts without writing the files: the same nodes, names,
    coordinates and ids as reading the written file back."""
    from procmine.discovery import _bpmn_graph

    for graph in (model.bpmn, whatif._tobe_graph()):
        own = {n.get_id() for n in graph.get_nodes()}
        layout, ids = _bpmn_graph.layout_ids(graph, language=language)
        ref, ref_ids = _layout_from_file(graph, tmp_path, language)
        assert layout == ref
        assert {k: v for k, v in ids.items() if k in own} == {k: v for k, v in ref_ids.items() if k in own}


def test_layout_in_memory_keeps_odd_names_as_the_file_has_them(tmp_path):
    """Whitespace, markup characters and control characters in activity names come out as
    the written file reads back (its XML round trip normalises some of them)."""
    import pandas as pd

    from procmine.discovery import _bpmn_graph

    names = ["Gesuch\tprüfen", "Stellungnahme <Amt> & \"Co\"", "Ent\nscheid\r\nfinal", "Bell\x07 step", " x "]
    traces = [names, names[:2] + names[3:], [names[0], names[2], names[4]]]
    rows = [(str(c), a, i) for c, t in enumerate(traces * 4) for i, a in enumerate(t)]
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "h"])
    df["time:timestamp"] = pd.to_datetime(df.pop("h"), unit="h", utc=True)
    graph = pm.discover(pm.EventLog(df), variants=1.0).bpmn
    layout, _ids = _bpmn_graph.layout_ids(graph)
    ref, _ref_ids = _layout_from_file(graph, tmp_path)
    assert layout == ref
    assert len([n for n in layout["nodes"] if n["kind"] == "task"]) == len(names)


def test_layout_of_a_graph_it_does_not_cover_is_read_from_the_written_file(model, tmp_path, monkeypatch):
    from procmine.discovery import _bpmn_graph

    monkeypatch.setattr(_bpmn_graph, "_layout_in_memory", lambda graph: None)
    layout, _ids = _bpmn_graph.layout_ids(model.bpmn)
    assert layout == _layout_from_file(model.bpmn, tmp_path)[0]
