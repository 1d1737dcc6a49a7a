"""The to-be process as BPMN: WhatIf.model / to_bpmn / to_svg / plot, checked on the samples' truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

import procmine as pm
from procmine import samples
from procmine.calendar import Calendar
from procmine.errors import ParameterError
from procmine.samples.generator import KINDS, generate
from procmine.whatif import simplify
from procmine.whatif._bpmn import NS, layout_of

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"


def truth_of(name: str, kind: str) -> tuple[str, ...]:
    """The activities of the one injected (non-decoy) truth item of ``kind`` in a shipped sample."""
    items = [t for t in samples.ground_truth(name) if t.kind == kind and not t.decoy]
    assert len(items) == 1, items
    return items[0].activities


def parsed(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


def tasks(tree: etree._ElementTree) -> dict[str, etree._Element]:
    els = tree.findall(f".//{{{MODEL}}}task")
    names = [e.get("name") for e in els]
    assert len(names) == len(set(names)), names  # one task per step
    return dict(zip(names, els))


def parallel_blocks_with(tree: etree._ElementTree, a: str, b: str) -> int:
    """Parallel forks that start a branch with ``a`` and one with ``b``."""
    t = tasks(tree)
    ida, idb = t[a].get("id"), t[b].get("id")
    flows = {f.get("id"): f for f in tree.iter(f"{{{MODEL}}}sequenceFlow")}
    n = 0
    for gw in tree.iter(f"{{{MODEL}}}parallelGateway"):
        targets = {flows[o.text].get("targetRef") for o in gw.findall(f"{{{MODEL}}}outgoing")}
        n += {ida, idb} <= targets
    return n


def check_di(tree: etree._ElementTree) -> None:
    """Every flow node has a shape and every flow an edge."""
    process = tree.find(f".//{{{MODEL}}}process")
    ids = {e.get("id") for e in process if e.get("id")}
    drawn = {s.get("bpmnElement") for s in tree.iter(f"{{{BPMNDI}}}BPMNShape")}
    drawn |= {s.get("bpmnElement") for s in tree.iter(f"{{{BPMNDI}}}BPMNEdge")}
    assert ids == drawn


@pytest.mark.parametrize("name", samples.names())
def test_removing_the_rubber_stamp_and_parallelising_the_pair(name: str, tmp_path: Path) -> None:
    (stamp,) = truth_of(name, "rubber_stamp")
    a, b = truth_of(name, "parallelizable")
    log = samples.load(name)
    w = simplify(log, remove=[stamp], parallelize=[(a, b)])
    out = w.to_bpmn(tmp_path / "tobe.bpmn")
    tree = parsed(out)
    check_di(tree)
    t = tasks(tree)
    assert stamp not in t
    assert a in t and b in t
    assert parallel_blocks_with(tree, a, b) == 1
    # every other step of the as-is model is still there
    as_is = tasks(parsed(w.as_is.to_bpmn(tmp_path / "as_is.bpmn")))
    assert set(as_is) - {stamp} == set(t)
    # the changed elements say what changed them, the process lists every change
    for x in (a, b):
        docs = [d.text for d in t[x].findall(f"{{{MODEL}}}documentation")]
        assert any("In parallel" in d and a in d and b in d and "saves" in d for d in docs), docs
    process_docs = " ".join(
        d.text for d in tree.find(f".//{{{MODEL}}}process").findall(f"{{{MODEL}}}documentation")
    )
    assert f"Removed: {stamp}" in process_docs and "saves" in process_docs


def test_a_sequential_pair_becomes_one_parallel_block_and_a_merge_one_task(tmp_path: Path) -> None:
    # A -> B -> C -> D strictly in sequence: the model has no parallel block before
    t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    rows = []
    for case in range(20):
        for k, act in enumerate(["Eingang", "Prüfung A", "Prüfung B", "Entscheid", "Versand"]):
            rows.append((str(case), act, t0 + pd.Timedelta(hours=case * 24 + 2 * k + (case % 3))))
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    log = pm.EventLog(df)
    w = simplify(log, parallelize=[("Prüfung A", "Prüfung B")], merge=[("Entscheid", "Versand")])
    tree = parsed(w.to_bpmn(tmp_path / "tobe.bpmn"))
    check_di(tree)
    t = tasks(tree)
    assert set(t) == {"Eingang", "Prüfung A", "Prüfung B", "Entscheid + Versand"}
    assert parallel_blocks_with(tree, "Prüfung A", "Prüfung B") == 1
    assert len(tree.findall(f".//{{{MODEL}}}parallelGateway")) == 2  # one split, one join
    merged_doc = t["Entscheid + Versand"].find(f"{{{MODEL}}}documentation").text
    assert merged_doc.startswith("Merged: Entscheid + Versand")
    # the as-is model is untouched by the edit
    assert not parsed(w.as_is.to_bpmn(tmp_path / "as_is.bpmn")).findall(f".//{{{MODEL}}}parallelGateway")


def test_required_steps_are_kept_and_marked_and_cannot_be_removed(tmp_path: Path) -> None:
    log = samples.load("permit_de")
    required = [t.activities[0] for t in samples.ground_truth("permit_de") if t.required]
    (stamp,) = truth_of("permit_de", "rubber_stamp")
    w = simplify(log, remove=[stamp], required=required)
    t = tasks(parsed(w.to_bpmn(tmp_path / "tobe.bpmn")))
    for r in required:
        assert t[r].get(f"{{{NS}}}required") == "true"
        assert "Required" in t[r].find(f"{{{MODEL}}}documentation").text
    with pytest.raises(ParameterError, match="required"):
        simplify(log, remove=required, required=required)


def test_findings_name_the_finding_behind_each_change(tmp_path: Path) -> None:
    from procmine.redundancy import find_redundancies

    log = samples.load("subsidy_fr")
    (stamp,) = truth_of("subsidy_fr", "rubber_stamp")
    a, b = truth_of("subsidy_fr", "mergeable")
    found = find_redundancies(log)
    w = simplify(log, remove=[stamp], merge=[(a, b)], findings=found)
    t = tasks(parsed(w.to_bpmn(tmp_path / "tobe.bpmn")))
    doc = t[f"{a} + {b}"].find(f"{{{MODEL}}}documentation").text
    assert "finding: Mergeable steps" in doc


@pytest.mark.parametrize("name", samples.names())
def test_to_be_kpis_agree_with_the_resimulated_procedure(name: str) -> None:
    """Removing the rubber stamp and running the pair in parallel, predicted on a generated
    log, against the generator run again without the stamp and with the pair in parallel."""
    (stamp,) = truth_of(name, "rubber_stamp")
    pair = truth_of(name, "parallelizable")
    log = generate(name, n_cases=500, seed=7, noise=0.0)[0]
    others = tuple(k for k in KINDS if k != "parallelizable")
    truth = generate(name, n_cases=500, seed=7, noise=0.0, inject=others, remove=[stamp])[0]
    w = simplify(log, remove=[stamp], parallelize=[pair], calendar=Calendar())
    for kpi, measured in (
        ("median_case_duration", truth.case_durations().median()),
        ("mean_case_duration", truth.case_durations().mean()),
    ):
        assert abs(w.after[kpi] - measured) <= 0.10 * measured, (kpi, w.after[kpi], measured)
    assert w.after["events_per_case"] == pytest.approx(truth.n_events / truth.n_cases, rel=0.10)


def test_svg_and_plot_show_both_models_with_the_changes_highlighted(tmp_path: Path) -> None:
    (stamp,) = truth_of("permit_de", "rubber_stamp")
    w = simplify(samples.load("permit_de"), remove=[stamp])
    svg = w.to_svg()
    assert svg.count("<svg") == 2 and "#f4b6b6" in svg  # the removed step, red, in the as-is
    assert svg.count(f"</title>{stamp}<") == 1  # its label: in the as-is only
    etree.fromstring(svg.replace('<div class="pm-tobe">', "<div>").encode())  # well-formed
    ax = w.plot()
    n_tasks = sum(n["kind"] == "task" for n in layout_of(w.as_is.to_bpmn(tmp_path / "a.bpmn"))["nodes"])
    labels = [t.get_text() for t in ax.texts]
    assert labels.count(stamp) == 1 and len(labels) >= 2 * n_tasks - 1
    with pytest.raises(ParameterError):
        w.plot(kind="nope")


def test_cli_simplify_prints_the_kpis_and_writes_the_to_be_bpmn(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from procmine.cli import main

    (stamp,) = truth_of("permit_de", "rubber_stamp")
    a, b = truth_of("permit_de", "mergeable")
    c, d = truth_of("permit_de", "parallelizable")
    src = str(samples.sample_path("permit_de"))
    out = tmp_path / "tobe.bpmn"
    args = ["simplify", src, "--remove", stamp, "--merge", f"{a}+{b}", "--parallelize", f"{c},{d}"]
    res = CliRunner().invoke(main, [*args, "-o", str(out), "--lang", "de"])
    assert res.exit_code == 0, res.output
    assert "Mediane Falldauer" in res.output and "→" in res.output
    # the changes and the durations' unit in the language too (they read "remove ..." in English)
    first = res.output.splitlines()[:2]
    assert first == [f"Entfernt: {stamp}; Zusammengelegt: {a} + {b}; Parallel: {c} und {d}", "(verstrichene Zeit)"]
    t = tasks(parsed(out))
    assert stamp not in t and f"{a} + {b}" in t and parallel_blocks_with(parsed(out), c, d) == 1
    res = CliRunner().invoke(main, ["simplify", src, "--merge", a])
    assert res.exit_code == 2 and "A+B" in res.output
    res = CliRunner().invoke(main, ["simplify", src, "--remove", "no such step"])
    assert res.exit_code == 2 and "unknown activity" in res.output and "Traceback" not in res.output


def test_report_proposal_section_shows_as_is_and_to_be(tmp_path: Path) -> None:
    from procmine.report import report

    (stamp,) = truth_of("subsidy_fr", "rubber_stamp")
    html = report(samples.load("subsidy_fr"), tmp_path / "r.html", language="fr").read_text(encoding="utf-8")
    start = html.index('<section id="proposal"')
    sec = html[start : html.index("</section>", start)]
    assert "Proposition" in sec and "Processus actuel" in sec and "Processus cible" in sec
    assert (
        sec.count("<svg") == 2
        and "<script" not in sec
        and "http://" not in sec.replace("http://www.w3.org/2000/svg", "")
    )
    # the removed rubber stamp is drawn (red) in the as-is only
    as_is, to_be = sec.split("<svg")[1:]
    assert stamp in as_is and "#f4b6b6" in as_is and stamp not in to_be
    assert "Médiane" in sec or "médiane" in sec
    # the choices (exclusive gateways) are labelled in French, as in the BPMN file
    assert "1 sur " in sec and "1 of " not in sec


@pytest.mark.parametrize(("language", "label"), [("de", "1 von "), ("fr", "1 sur "), ("en", "1 of ")])
def test_diagram_gateways_are_labelled_in_the_callers_language(language, label):
    (stamp,) = truth_of("permit_de", "rubber_stamp")
    w = simplify(samples.load("permit_de"), remove=[stamp])
    a, b = w.svgs(language=language)
    others = {"1 von ", "1 sur ", "1 of "} - {label}
    assert label in a and label in b and not any(o in a + b for o in others)
    assert label in w.to_svg(language=language)


@pytest.mark.parametrize(("language", "removed", "parallel", "saves"), [
    ("de", "Entfernt: ", "Parallel: ", "spart allein"),
    ("fr", "Supprimé\u202f: ", "En parallèle\u202f: ", "économise à lui seul"),
    ("en", "Removed: ", "In parallel: ", "saves"),
])
def test_to_be_documentation_in_the_callers_language(tmp_path, language, removed, parallel, saves):
    log = samples.load("permit_de")
    (stamp,) = truth_of("permit_de", "rubber_stamp")
    a, b = truth_of("permit_de", "parallelizable")
    w = simplify(log, remove=[stamp], parallelize=[(a, b)], required=["Bauentscheid"])
    root = parsed(w.to_bpmn(tmp_path / f"tobe-{language}.bpmn", language=language)).getroot()
    process = root.find(f"{{{MODEL}}}process")
    notes = [d.text for d in process.findall(f"{{{MODEL}}}documentation")]
    assert any(n.startswith(removed + stamp) and saves in n for n in notes), notes
    assert any(n.startswith(f"{parallel}{a}") and saves in n for n in notes), notes
    docs = [d.text for t in root.iter(f"{{{MODEL}}}task") for d in t.findall(f"{{{MODEL}}}documentation")]
    assert any(d.startswith(parallel) for d in docs), docs
    required = {"de": "Vorgeschrieben: beibehalten", "fr": "Obligatoire\u202f: conservé",
                "en": "Required: kept"}[language]
    assert any(d.startswith(required) for d in docs), docs
    # the saving is a duration in the language's format ("Std."/"jours"/"h"), not English in de/fr
    if language != "en":
        assert not any("saves" in n or "Removed" in n for n in notes + docs)


def test_finding_names_are_translated(tmp_path):
    from procmine.redundancy import find_redundancies

    log = samples.load("subsidy_fr")
    a, b = truth_of("subsidy_fr", "mergeable")
    w = simplify(log, merge=[(a, b)], findings=find_redundancies(log))
    t = tasks(parsed(w.to_bpmn(tmp_path / "tobe.bpmn", language="fr")))
    doc = t[f"{a} + {b}"].find(f"{{{MODEL}}}documentation").text
    assert doc.startswith(f"Fusionné\u202f: {a} + {b} (constat\u202f: Étapes fusionnables, ") and "dossiers)" in doc
