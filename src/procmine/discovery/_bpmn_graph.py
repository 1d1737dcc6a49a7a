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

__all__ = [
    "canonical", "finish_ids", "layout_ids", "layout_of", "lintable", "petri_to_bpmn", "tidy", "write_bpmn",
    "write_bpmn_ids",
]

_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DC = "http://www.omg.org/spec/DD/20100524/DC"
_DDI = "http://www.omg.org/spec/DD/20100524/DI"


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
    bpmn, ids = _to_write(bpmn, language)
    call(f"writing the BPMN file {path}", pm4py().write_bpmn, bpmn, str(path), auto_layout=True)
    _shift_layout(path)
    finish_ids(path)
    return path, ids


def _to_write(bpmn: Any, language: str) -> tuple[Any, dict[str, str]]:
    """The graph as :func:`write_bpmn_ids` writes it (a lint-clean, XML-safe, canonical copy)
    and ``{node id in bpmn: its id in the copy}``."""
    # bpmnlint's recommended rules (BPMN tools flag a gateway that joins and forks, or an
    # unlabelled exclusive fork): fixed on a copy, the model's own graph stays as mined
    bpmn = lintable(copy.deepcopy(bpmn), language)
    # a control character in an activity name would make the XML (and pm4py's own re-read) invalid
    for node in bpmn.get_nodes():
        name = node.get_name() if hasattr(node, "get_name") else None
        if isinstance(name, str) and NOT_XML.search(name):
            node.set_name(xml_safe(name))
    return canonical(bpmn)


def layout_ids(bpmn: Any, *, language: str = "en") -> tuple[dict[str, Any], dict[str, str]]:
    """The diagram :func:`write_bpmn_ids` would write, without writing it, and its id map.

    Returns the layout as :func:`layout_of` reads it back from the written file
    (``{"nodes", "edges", "width", "height"}``, the same values in the same order: pm4py's
    auto layout shifted to the margin, the coordinates rounded as written) and
    ``{node id in bpmn: element id}``. The file's own steps (pm4py's XML, the shift and the
    final ids) are followed in memory; a graph with elements other than start and end
    events, tasks and exclusive or parallel gateways is written to a temporary file and
    read back, so the answer is the file's in every case.
    """
    graph, ids = _to_write(bpmn, language)
    pm4py()
    from pm4py.objects.bpmn.layout import layouter

    layout = _layout_in_memory(call("laying out the BPMN diagram", layouter.apply, graph))
    if layout is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path, ids = write_bpmn_ids(bpmn, Path(tmp) / "model.bpmn", language=language)
            layout = layout_of(path)
    return layout, ids


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


def _layout_in_memory(graph: Any, margin: float = 40.0) -> dict[str, Any] | None:
    """:func:`layout_of` of the file pm4py would write for ``graph`` (laid out already),
    after :func:`_shift_layout` and :func:`finish_ids`, read from the graph itself; ``None``
    for a graph this does not cover (several processes, an element other than start and
    end events, plain tasks and exclusive or parallel gateways)."""
    B = _bpmn()
    kinds = ((B.StartEvent, "start"), (B.EndEvent, "end"), (B.ExclusiveGateway, "xor"), (B.ParallelGateway, "and"))
    nodes, flows = list(graph.get_nodes()), list(graph.get_flows())
    if len({x.get_process() for x in [*nodes, *flows]}) != 1:
        return None
    layout = graph.get_layout()
    # pm4py's exporter writes str(value); _shift_layout reads float() of that
    boxes, kind = [], []
    for n in nodes:
        k = next((name for cls, name in kinds if isinstance(n, cls)), None)
        if k is None and type(n) is B.Task:
            k = "task"
        if k is None:
            return None
        box = layout.get(n)
        boxes.append([float(str(v)) for v in (box.get_x(), box.get_y(), box.get_width(), box.get_height())])
        kind.append(k)
    ways = [[(float(str(x)), float(str(y))) for x, y in layout.get(f).get_waypoints()] for f in flows]
    xs = [b[0] for b in boxes] + [x for w in ways for x, _ in w]
    if not xs:
        return None  # the file path raises the writer's error
    ys = [b[1] for b in boxes] + [y for w in ways for _, y in w]
    dx, dy = margin - min(xs), margin - min(ys)

    def at(v: float, d: float) -> float:  # shifted and written with one decimal, as _shift_layout
        return float(f"{v + d:.1f}")

    names = _as_read([n.get_name() for n in nodes])
    out_nodes = [
        {"id": n.get_id(), "kind": k, "name": name or "", "x": at(b[0], dx), "y": at(b[1], dy), "w": b[2], "h": b[3]}
        for n, k, name, b in zip(nodes, kind, names, boxes)
    ]
    edges = []
    for f, w in zip(flows, ways):
        ident = "id" + str(f.get_id())  # pm4py's prefix, which finish_ids takes off again
        pts = [(at(x, dx), at(y, dy)) for x, y in w]
        if len(pts) >= 2:
            edges.append({"id": ident[2:] if ident.startswith("idFlow_") else ident, "points": pts})
    xs = [n["x"] + n["w"] for n in out_nodes] + [x for e in edges for x, _ in e["points"]]
    ys = [n["y"] + n["h"] for n in out_nodes] + [y for e in edges for _, y in e["points"]]
    return {"nodes": out_nodes, "edges": edges, "width": max(xs, default=0.0), "height": max(ys, default=0.0)}


def _as_read(names: list[str]) -> list[str | None]:
    """The names as an XML attribute read back from pm4py's file (its serialisation and
    pretty printing normalise some whitespace): the same round trip, for all names at once."""
    import xml.etree.ElementTree as ET
    from xml.dom import minidom

    from lxml import etree

    root = ET.Element("names")
    for name in names:
        ET.SubElement(root, "n", {"name": name})
    text = minidom.parseString(ET.tostring(root)).toprettyxml(encoding="utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return [el.get("name") for el in etree.fromstring(text, parser).iter("n")]


# -- the diagram as written (its diagram interchange) ------------------------------------------
def layout_of(path: str | Path) -> dict[str, Any]:
    """Shapes and edges of a BPMN file as drawn by its DI: ``{"nodes": [...], "edges": [...],
    "width", "height"}``; a node is ``{id, kind, name, x, y, w, h}`` (kind: task, xor, and,
    start, end, other), an edge ``{id, points}``."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    kinds = {
        "task": "task",
        "exclusiveGateway": "xor",
        "parallelGateway": "and",
        "startEvent": "start",
        "endEvent": "end",
    }
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    nodes, edges = [], []
    for s in root.iter(f"{{{_DI}}}BPMNShape"):
        el, b = elements.get(s.get("bpmnElement")), s.find(f"{{{_DC}}}Bounds")
        if el is None or b is None:
            continue
        tag = etree.QName(el).localname
        nodes.append(
            {
                "id": el.get("id"),
                "kind": kinds.get(tag, "other"),
                "name": el.get("name") or "",
                "x": float(b.get("x")),
                "y": float(b.get("y")),
                "w": float(b.get("width")),
                "h": float(b.get("height")),
            }
        )
    for e in root.iter(f"{{{_DI}}}BPMNEdge"):
        pts = [(float(p.get("x")), float(p.get("y"))) for p in e.findall(f"{{{_DDI}}}waypoint")]
        if len(pts) >= 2:
            edges.append({"id": e.get("bpmnElement"), "points": pts})
    xs = [n["x"] + n["w"] for n in nodes] + [x for e in edges for x, _ in e["points"]]
    ys = [n["y"] + n["h"] for n in nodes] + [y for e in edges for _, y in e["points"]]
    return {"nodes": nodes, "edges": edges, "width": max(xs, default=0.0), "height": max(ys, default=0.0)}
