"""procmine's BPMN graphs: pm4py's BPMN made deterministic, lint-clean and written to a file.

:func:`petri_to_bpmn` converts a mined Petri net; :func:`write_bpmn` writes a graph.

:func:`lintable` makes any pm4py BPMN graph pass bpmnlint's recommended rules: a
gateway that both joins and forks becomes a join followed by a fork, each gateway gets
its direction, and an exclusive fork a label (``1 of N``, translated).

:func:`canonical` and :func:`finish_ids` make a written file deterministic: ids from the
activity names and the graph instead of pm4py's random UUIDs, and a fixed node order for
pm4py's automatic layout (which otherwise follows the iteration order of Python sets).

The graph edits (:func:`tidy`, ``_connect``, ``_bypass``, ...) are shared with the to-be
model of :mod:`procmine.whatif._bpmn`, which imports them from here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .._core.xmltext import NOT_XML, xml_safe
from ..errors import ProcmineError
from ._pm4py import call, pm4py

__all__ = ["canonical", "finish_ids", "lintable", "petri_to_bpmn", "tidy", "write_bpmn", "write_bpmn_ids"]

_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def _bpmn() -> Any:
    pm4py()
    from pm4py.objects.bpmn.obj import BPMN

    return BPMN


def _sources(n: Any) -> list[Any]:
    return [f.get_source() for f in n.get_in_arcs()]


def _targets(n: Any) -> list[Any]:
    return [f.get_target() for f in n.get_out_arcs()]


def _connect(g: Any, a: Any, b: Any) -> Any:
    """A sequence flow a -> b unless there is one already (BPMN tools flag duplicates)."""
    for f in a.get_out_arcs():
        if f.get_target() is b:
            return f
    f = _bpmn().SequenceFlow(a, b, process=a.get_process())
    g.add_flow(f)
    return f


def _detach(g: Any, n: Any) -> None:
    for f in list(n.get_in_arcs()) + list(n.get_out_arcs()):
        g.remove_flow(f)
    g.remove_node(n)


def _bypass(g: Any, n: Any) -> list[Any]:
    """Remove ``n``, connecting each predecessor to each successor; returns the successors."""
    preds, succs = _sources(n), _targets(n)
    _detach(g, n)
    for p in preds:
        for s in succs:
            if p is not n and s is not n:
                _connect(g, p, s)
    return [s for s in succs if s is not n]


def _tasks(g: Any, name: str) -> list[Any]:
    B = _bpmn()
    return [n for n in g.get_nodes() if isinstance(n, B.Task) and n.get_name() == name]


def _is_gateway(n: Any) -> bool:
    return isinstance(n, _bpmn().Gateway)


def tidy(g: Any) -> None:
    """Drop gateways with one way in and one out, and empty branches of parallel blocks."""
    B = _bpmn()
    changed = True
    while changed:
        changed = False
        for n in list(g.get_nodes()):
            if not _is_gateway(n):
                continue
            ins, outs = n.get_in_arcs(), n.get_out_arcs()
            if len(ins) == 1 and len(outs) == 1 and ins[0].get_source() is not n:
                _bypass(g, n)
                changed = True
                break
            if isinstance(n, B.ParallelGateway) and len(outs) > 1:
                for f in list(outs):
                    t = f.get_target()
                    if isinstance(t, B.ParallelGateway) and len(t.get_in_arcs()) > 1:
                        g.remove_flow(f)  # an empty parallel branch waits for nothing
                        changed = True
                        break
                if changed:
                    break


def lintable(g: Any, language: str = "en") -> Any:
    """The graph changed in place so that bpmnlint's recommended rules pass; returns it.

    A gateway with several ways in and out becomes a join followed by a fork
    (``no-gateway-join-fork``); every gateway gets its direction; an exclusive fork is
    labelled ``1 of N`` in ``language`` (``label-required``: the miner knows the paths,
    not the question).
    """
    from ..i18n import check_language, format_message, gettext

    language = check_language(language, "to_bpmn")
    B = _bpmn()
    D = B.Gateway.Direction
    for n in list(g.get_nodes()):
        if not _is_gateway(n):
            continue
        if len(n.get_in_arcs()) > 1 and len(n.get_out_arcs()) > 1:
            fork = type(n)(name="", gateway_direction=D.DIVERGING, process=n.get_process())
            outs = list(n.get_out_arcs())
            targets = [f.get_target() for f in outs]
            for f in outs:
                g.remove_flow(f)
            g.add_node(fork)
            for t in targets:
                _connect(g, fork, t)
            _connect(g, n, fork)
    for n in g.get_nodes():
        if not _is_gateway(n):
            continue
        fork = len(n.get_out_arcs()) > 1
        n.set_gateway_direction(D.DIVERGING if fork else D.CONVERGING)
        if fork and isinstance(n, B.ExclusiveGateway):
            n.set_name(format_message(gettext("1 of {n}", language), language, n=len(n.get_out_arcs())))
        elif isinstance(n, B.ExclusiveGateway):
            n.set_name("")
    return g


# -- deterministic ids and order -------------------------------------------------------------
class _Ordered(dict):  # type: ignore[type-arg]
    """A set that iterates in insertion order. pm4py keeps a graph's nodes and flows in
    sets, whose order (and with it pm4py's layout and the XML's element order) changes
    from one run to the next."""

    def add(self, x: Any) -> None:
        self[x] = None

    def remove(self, x: Any) -> None:
        del self[x]

    def discard(self, x: Any) -> None:
        self.pop(x, None)


def _slug(name: str, limit: int = 40) -> str:
    """ASCII letters, digits and ``_`` from a name (accents dropped): the readable part
    of an XML id (an NCName)."""
    import re
    import unicodedata

    text = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    return text[:limit].rstrip("_") or "unnamed"


def _digest(text: str, n: int = 8) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def _kind(n: Any) -> tuple[int, str]:
    """(rank in the file's order, id prefix) of a BPMN node."""
    B = _bpmn()
    for rank, (cls, prefix) in enumerate(
        ((B.StartEvent, "StartEvent"), (B.Task, "Activity"), (B.Gateway, "Gateway"), (B.EndEvent, "EndEvent"))
    ):
        if isinstance(n, cls):
            return rank, prefix
    return 4, "Node"


def _signatures(g: Any) -> dict[Any, str]:
    """A label per node from its kind, its name and (refined until stable) its
    neighbourhood: equal only for nodes the graph cannot tell apart."""
    nodes = list(g.get_nodes())
    label = {n: f"{type(n).__name__}:{n.get_name() or ''}" for n in nodes}
    for _ in range(len(nodes)):
        new = {
            n: _digest(
                label[n]
                + "<" + ",".join(sorted(label[p] for p in _sources(n)))
                + ">" + ",".join(sorted(label[t] for t in _targets(n))),
                16,
            )
            for n in nodes
        }
        stable = len(set(new.values())) == len(set(label.values()))
        label = new
        if stable:
            break
    return label


def _depths(g: Any) -> dict[Any, int]:
    """Steps from a start event (breadth first); nodes nobody reaches come last."""
    B = _bpmn()
    nodes = list(g.get_nodes())
    depth = {n: 0 for n in nodes if isinstance(n, B.StartEvent)}
    frontier = list(depth)
    while frontier:
        nxt = []
        for n in frontier:
            for t in _targets(n):
                if t not in depth:
                    depth[t] = depth[n] + 1
                    nxt.append(t)
        frontier = nxt
    far = len(nodes) + 1
    return {n: depth.get(n, far) for n in nodes}


def canonical(g: Any) -> tuple[Any, dict[str, str]]:
    """``g`` with deterministic element ids and a fixed order of its nodes and flows
    (so pm4py lays it out and writes it the same way every run); returns the graph and
    ``{old node id: new id}``.

    Ids are valid XML NCNames: a task is ``Activity_<its name>`` (accents dropped; a
    short digest of the name when two names read alike), events and gateways are
    numbered by their distance from the start (``StartEvent_1``, ``Gateway_3``), flows by
    their ends (``Flow_<source>_<target>`` shortened to a digest when long). The graph's
    nodes and flows are the same objects as in ``g`` (ids changed in place).
    """
    B = _bpmn()
    sig, depth = _signatures(g), _depths(g)
    order = sorted(g.get_nodes(), key=lambda n: (depth[n], _kind(n)[0], n.get_name() or "", sig[n]))
    # tasks: named after their activity; names that read alike get a digest of the name
    slugs: dict[str, set[str]] = {}
    for n in order:
        if _kind(n)[1] == "Activity":
            slugs.setdefault(_slug(n.get_name() or ""), set()).add(n.get_name() or "")
    new: dict[Any, str] = {}
    used: set[str] = set()
    numbers: dict[str, int] = {}
    for n in order:
        prefix = _kind(n)[1]
        if prefix == "Activity":
            name = n.get_name() or ""
            slug = _slug(name)
            base = f"Activity_{slug}" + (f"_{_digest(name, 6)}" if len(slugs[slug]) > 1 else "")
        else:
            numbers[prefix] = numbers.get(prefix, 0) + 1
            base = f"{prefix}_{numbers[prefix]}"
        if base.endswith("_di"):  # the diagram shapes are "<id>_di": keep them apart
            base += "_"
        ident, k = base, 1
        while ident in used:  # the same name twice (or a digest clash): in order
            k += 1
            ident = f"{base}_{k}"
        used.add(ident)
        new[n] = ident
    position = {n: i for i, n in enumerate(order)}
    flows = sorted(g.get_flows(), key=lambda f: (position[f.get_source()], position[f.get_target()]))
    flow_ids: dict[Any, str] = {}
    for f in flows:
        ends = f"{new[f.get_source()]}_{new[f.get_target()]}".replace("Activity_", "")
        base = f"Flow_{ends}" if len(ends) <= 60 else f"Flow_{_digest(ends)}"
        if base.endswith("_di"):
            base += "_"
        ident, k = base, 1
        while ident in used:
            k += 1
            ident = f"{base}_{k}"
        used.add(ident)
        flow_ids[f] = ident
    old = {n.get_id(): new[n] for n in order}
    for n in order:
        n._BPMNNode__id = new[n]  # pm4py has no setter; the exporter writes get_id()
        n.get_in_arcs().sort(key=lambda f: flow_ids[f])
        n.get_out_arcs().sort(key=lambda f: flow_ids[f])
    for f in flows:
        f._Flow__id = flow_ids[f]
    # processes (pm4py: a random UUID each) numbered in the order of their first node
    procs: dict[str, str] = {}
    for x in [*order, *flows]:
        procs.setdefault(x.get_process(), f"Process_{len(procs) + 1}")
    for n in order:
        n.set_process(procs[n.get_process()])
    for f in flows:
        f.set_process(procs[f.get_process()])
    process_id = procs.get(g.get_process_id(), "Process_1")
    out = B(process_id=process_id, name=g.get_name(), nodes=_Ordered.fromkeys(order),
            flows=_Ordered.fromkeys(flows))
    return out, old


def finish_ids(path: str | Path) -> None:
    """The ids pm4py's exporter makes up itself, made deterministic: the process, the
    diagram and its plane (random), the ``id`` prefix it puts before flow ids, and the
    shapes' ``_gui`` suffix (bpmn.io's tools write ``_di``)."""
    from lxml import etree

    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    rename: dict[str, str] = {}
    for i, el in enumerate(root.iter(f"{{{_MODEL}}}process"), start=1):
        rename[el.get("id")] = f"Process_{i}"
    for i, el in enumerate(root.iter(f"{{{_DI}}}BPMNDiagram"), start=1):
        rename[el.get("id")] = f"BPMNDiagram_{i}"
    for i, el in enumerate(root.iter(f"{{{_DI}}}BPMNPlane"), start=1):
        rename[el.get("id")] = f"BPMNPlane_{i}"
    for el in root.iter(f"{{{_MODEL}}}sequenceFlow"):
        ident = el.get("id")
        if ident.startswith("idFlow_"):
            rename[ident] = ident[2:]
    refs = ("id", "sourceRef", "targetRef", "bpmnElement", "processRef", "default")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in refs:
            value = el.get(attr)
            if value in rename:
                el.set(attr, rename[value])
        if etree.QName(el).localname in ("incoming", "outgoing") and el.text in rename:
            el.text = rename[el.text]
    for el in list(root.iter(f"{{{_DI}}}BPMNShape")) + list(root.iter(f"{{{_DI}}}BPMNEdge")):
        el.set("id", f"{el.get('bpmnElement')}_di")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def petri_to_bpmn(net: Any, im: Any, fm: Any) -> Any:
    """A pm4py BPMN graph from a Petri net, with deterministic ids and order.

    pm4py gives every node, flow and process a random UUID and keeps them in sets; the
    graph returned here names them from the activities and the graph instead
    (:func:`canonical`), so that the same log gives the same
    in-memory graph (ids, node and flow order) in every run and process."""
    g = call("converting the Petri net to BPMN", pm4py().convert_to_bpmn, net, im, fm)
    return canonical(g)[0]


def write_bpmn(bpmn: Any, path: str | Path, *, language: str = "en") -> Path:
    """Write BPMN 2.0 XML with pm4py's auto layout (diagram interchange shapes and edges).

    The file is the same, byte for byte, whenever the same model is written: element ids
    follow the activity names and the graph (see :func:`procmine.whatif._bpmn.canonical`)
    instead of pm4py's random ones, and the layout sees the nodes in a fixed order.
    Gateway labels are in ``language``."""
    return write_bpmn_ids(bpmn, path, language=language)[0]


def write_bpmn_ids(bpmn: Any, path: str | Path, *, language: str = "en") -> tuple[Path, dict[str, str]]:
    """:func:`write_bpmn`, also returning ``{node id in bpmn: element id in the file}``."""
    path = Path(path)
    if not str(path).lower().endswith(".bpmn"):
        raise ProcmineError(f"{path}: a BPMN file name must end with '.bpmn' (pm4py appends it otherwise)")
    # bpmnlint's recommended rules (BPMN tools flag a gateway that joins and forks, or an
    # unlabelled exclusive fork): fixed on a copy, the model's own graph stays as mined
    bpmn = lintable(copy.deepcopy(bpmn), language)
    # a control character in an activity name would make the XML (and pm4py's own re-read) invalid
    for node in bpmn.get_nodes():
        name = node.get_name() if hasattr(node, "get_name") else None
        if isinstance(name, str) and NOT_XML.search(name):
            node.set_name(xml_safe(name))
    bpmn, ids = canonical(bpmn)
    call(f"writing the BPMN file {path}", pm4py().write_bpmn, bpmn, str(path), auto_layout=True)
    _shift_layout(path)
    finish_ids(path)
    return path, ids


def _shift_layout(path: Path, margin: float = 40.0) -> None:
    """Move pm4py's layout (which may have negative coordinates) to start at ``margin``."""
    from lxml import etree

    dc = "http://www.omg.org/spec/DD/20100524/DC"
    di = "http://www.omg.org/spec/DD/20100524/DI"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    points = tree.findall(f".//{{{dc}}}Bounds") + tree.findall(f".//{{{di}}}waypoint")
    if not points:
        raise ProcmineError(f"{path}: pm4py wrote no diagram layout (BPMN DI); the file has no shapes")
    min_x = min(float(p.get("x", 0)) for p in points)
    min_y = min(float(p.get("y", 0)) for p in points)
    dx, dy = margin - min_x, margin - min_y
    for p in points:
        p.set("x", f"{float(p.get('x', 0)) + dx:.1f}")
        p.set("y", f"{float(p.get('y', 0)) + dy:.1f}")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
