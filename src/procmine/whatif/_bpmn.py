"""BPMN graph edits: the to-be process of :class:`procmine.whatif.WhatIf` and a BPMN that lints clean.

The to-be model is the as-is model (pm4py's BPMN graph, as :meth:`ProcessModel.to_bpmn`
writes it) with the simplification applied to the graph itself, so that as-is and to-be
are laid out the same way and compare side by side:

- a removed step's task goes and its predecessors connect to its successors;
- a merged pair becomes one task named after both (``"A + B"``) where A was;
- a parallelised pair becomes a block ``split -> A, B -> join`` where A was (B leaves its
  old place); a pair the model already shows as concurrent (neither reachable from the
  other) is left as it is and documented;
- afterwards, gateways left with one way in and one way out disappear, and an empty
  branch of a parallel block is dropped.

:func:`lintable` then makes any pm4py BPMN graph pass bpmnlint's recommended rules: a
gateway that both joins and forks becomes a join followed by a fork, each gateway gets
its direction, and an exclusive fork a label (``1 of N``, translated).

:func:`canonical` and :func:`finish_ids` make a written file deterministic: ids from the
activity names and the graph instead of pm4py's random UUIDs, and a fixed node order for
pm4py's automatic layout (which otherwise follows the iteration order of Python sets).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._core.xmltext import xml_safe

__all__: list[str] = []

#: namespace of procmine's extension attributes in BPMN files (``procmine:required``)
NS = "urn:procmine:bpmn"
_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"

#: the msgid naming each finding kind (the report's finding titles)
_KIND_MSGIDS = {
    "rework": "Rework", "duplicate_work": "Duplicate work", "ping_pong": "Ping-pong",
    "rubber_stamp": "Rubber stamp", "mergeable": "Mergeable steps", "parallelizable": "Parallelizable steps",
    "bottleneck": "Bottleneck", "batching": "Batching", "automation_candidate": "Automation candidate",
    "incomplete_submission": "Incomplete submission",
}


def say(msgid: str, language: str, **fields: Any) -> str:
    """``msgid`` translated into ``language`` and filled with ``fields`` (Swiss formats)."""
    from ..i18n import format_message, gettext

    return format_message(gettext(msgid, language), language, **fields)


def finding_kind(kind: str, language: str) -> str:
    """The translated name of a finding kind (the kind itself when unknown)."""
    from ..i18n import gettext

    msgid = _KIND_MSGIDS.get(kind)
    return gettext(msgid, language) if msgid else kind.replace("_", " ")


def _bpmn() -> Any:
    from ..discovery._pm4py import pm4py

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


def _reaches(g: Any, a: Any, b: Any) -> bool:
    import networkx as nx

    return bool(nx.has_path(g.get_graph(), a, b))


def to_be(
    as_is: Any,
    *,
    remove: Iterable[str] = (),
    merge: Iterable[tuple[str, str, str]] = (),
    parallelize: Iterable[tuple[str, str]] = (),
    notes: Mapping[tuple[str, ...], str] | None = None,
    language: str = "en",
) -> tuple[Any, dict[str, list[str]], list[str]]:
    """The to-be graph (a copy of ``as_is`` edited), documentation per element id, and
    the process-level notes, in ``language``.

    ``notes`` maps a change key (``("remove", X)``, ``("merge", A, B)``,
    ``("parallelize", A, B)``) to the sentence documenting it (which finding, what it saves).
    """
    B = _bpmn()

    def _(msgid: str, **fields: Any) -> str:
        return say(msgid, language, **fields)

    g = copy.deepcopy(as_is)
    notes = dict(notes or {})
    docs: dict[str, list[str]] = {}
    general: list[str] = []

    def doc(node: Any, key: tuple[str, ...], default: str) -> None:
        docs.setdefault(node.get_id(), []).append(notes.get(key, default))

    for x in remove:
        key = ("remove", x)
        found = _tasks(g, x)
        general.append(notes.get(key) or _("Removed: {step}", step=x))
        if not found:
            general.append(_("'{step}' was not in the as-is model (left out as infrequent)", step=x))
        for t in found:
            for s in _bypass(g, t):
                if isinstance(s, B.Task):
                    doc(s, key, _("Removed before this step: {step}", step=x))
    for a, b, name in merge:
        key = ("merge", a, b)
        general.append(notes.get(key) or _("Merged: {a} + {b} -> {name}", a=a, b=b, name=name))
        ta, tb = _tasks(g, a), _tasks(g, b)
        for t in tb:
            _bypass(g, t)
        for t in ta:
            t.set_name(name)
            doc(t, key, _("Merged: {a} + {b}", a=a, b=b))
        if not ta:
            general.append(_("'{step}' was not in the as-is model (left out as infrequent)", step=a))
    for a, b in parallelize:
        key = ("parallelize", a, b)
        general.append(notes.get(key) or _("In parallel: {a} and {b}", a=a, b=b))
        ta, tb = _tasks(g, a), _tasks(g, b)
        if not ta or not tb:
            general.append(_("'{step}' was not in the as-is model (left out as infrequent): "
                             "the pair is not drawn in parallel", step=a if not ta else b))
            continue
        x, y = ta[0], tb[0]
        if not _reaches(g, x, y) and not _reaches(g, y, x):
            # concurrent (or exclusive) already: the model has no order between them to drop
            for t in (x, y):
                docs.setdefault(t.get_id(), []).append(
                    _("{change} (already concurrent in the as-is model)",
                      change=notes.get(key) or _("In parallel: {a} and {b}", a=a, b=b))
                )
            continue
        _in_parallel(g, x, y)
        for t in (x, y):
            doc(t, key, _("In parallel: {a} and {b}", a=a, b=b))
    tidy(g)
    return g, docs, general


def _in_parallel(g: Any, x: Any, y: Any) -> None:
    """Take ``y`` out of its place and put ``x`` and ``y`` between a parallel split and join
    where ``x`` was."""
    B = _bpmn()
    _bypass(g, y)
    preds, succs = _sources(x), _targets(x)
    _detach(g, x)
    proc = x.get_process()
    D = B.Gateway.Direction
    split = B.ParallelGateway(name="", gateway_direction=D.DIVERGING, process=proc)
    join = B.ParallelGateway(name="", gateway_direction=D.CONVERGING, process=proc)
    for p in preds:
        _connect(g, p, split)
    for t in (x, y):
        _connect(g, split, t)
        _connect(g, t, join)
    for s in succs:
        _connect(g, join, s)


def annotate(
    path: str | Path,
    docs: Mapping[str, list[str]],
    *,
    process_doc: list[str] = (),  # type: ignore[assignment]
    required: Iterable[str] = (),
    language: str = "en",
) -> Path:
    """Add ``<bpmn:documentation>`` entries to the elements of a written BPMN file (by id),
    the process-level ``process_doc``, and ``procmine:required="true"`` plus a
    documentation entry (in ``language``) to the tasks named in ``required``."""
    from lxml import etree

    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    required = set(required)
    if required:  # a root with the procmine namespace declared (lxml cannot add one in place)
        nsmap = dict(root.nsmap)
        nsmap["procmine"] = NS
        new = etree.Element(root.tag, nsmap=nsmap, attrib=dict(root.attrib))
        new.text, new[:] = root.text, list(root)
        tree._setroot(new)
        root = new

    def add(el: Any, texts: list[str]) -> None:
        for text in reversed(texts):
            d = etree.Element(f"{{{_MODEL}}}documentation")
            d.text = xml_safe(text)  # the texts name activities, which may hold control characters
            d.tail = el.text
            el.insert(0, d)

    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    for el_id, texts in docs.items():
        if el_id in by_id:
            add(by_id[el_id], list(texts))
    for el in root.iter(f"{{{_MODEL}}}task"):
        if el.get("name") in {xml_safe(r) for r in required}:
            el.set(f"{{{NS}}}required", "true")
            add(el, [say("Required: kept (declared required by law or policy)", language)])
    process = root.find(f"{{{_MODEL}}}process")
    if process is not None and process_doc:
        add(process, list(process_doc))
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


# -- drawing a written BPMN file (its diagram interchange) -------------------------------------
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DC = "http://www.omg.org/spec/DD/20100524/DC"
_DDI = "http://www.omg.org/spec/DD/20100524/DI"


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


#: fill colours of highlighted elements: removed (as-is), changed (both)
COLOURS = {"removed": "#f4b6b6", "changed": "#ffd591", "plain": "#ffffff"}


def svg_of(
    layout: Mapping[str, Any],
    marks: Mapping[str, str],
    *,
    title: str = "",
    margin: float = 20,
    uid: str = "pm",
) -> str:
    """A self-contained SVG of ``layout`` with the node ids in ``marks`` filled by
    :data:`COLOURS` (``"removed"`` or ``"changed"``)."""
    from html import escape

    w, h = layout["width"] + 2 * margin, layout["height"] + 2 * margin + (24 if title else 0)
    top = 24 if title else 0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" style="max-width:100%;height:auto" font-family="sans-serif" role="img">',
        f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    if title:
        out.append(f'<text x="{margin}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')
    out.append(f'<g transform="translate({margin},{margin + top})">')
    for e in layout["edges"]:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in e["points"])
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="#444" stroke-width="1" marker-end="url(#{uid}-arrow)"/>'
        )
    for n in layout["nodes"]:
        fill = COLOURS.get(marks.get(n["id"], "plain"), COLOURS["plain"])
        x, y, nw, nh = n["x"], n["y"], n["w"], n["h"]
        cx, cy = x + nw / 2, y + nh / 2
        if n["kind"] in ("xor", "and"):
            out.append(
                f'<polygon points="{cx:.1f},{y:.1f} {x + nw:.1f},{cy:.1f} {cx:.1f},{y + nh:.1f} {x:.1f},{cy:.1f}" '
                f'fill="{fill}" stroke="#222"/>'
            )
            sym = "+" if n["kind"] == "and" else "×"
            out.append(
                f'<text x="{cx:.1f}" y="{cy + 5:.1f}" font-size="14" text-anchor="middle">{sym}</text>'
            )
            if n["name"]:
                out.append(
                    f'<text x="{cx:.1f}" y="{y + nh + 10:.1f}" font-size="8" text-anchor="middle">{escape(n["name"])}</text>'
                )
        elif n["kind"] in ("start", "end"):
            sw = 3 if n["kind"] == "end" else 1
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{nw / 2:.1f}" fill="{fill}" stroke="#222" stroke-width="{sw}"/>'
            )
        else:
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{nw:.1f}" height="{nh:.1f}" rx="6" fill="{fill}" stroke="#222"/>'
            )
            size = max(5.0, min(9.0, 1.8 * nw / max(len(n["name"]), 1)))
            out.append(
                f'<text x="{cx:.1f}" y="{cy + size / 3:.1f}" font-size="{size:.1f}" text-anchor="middle">'
                f"<title>{escape(n['name'])}</title>{escape(n['name'])}</text>"
            )
    out.append("</g></svg>")
    return "".join(out)


def draw_on(
    ax: Any, layout: Mapping[str, Any], marks: Mapping[str, str], *, dy: float = 0.0, title: str = ""
) -> float:
    """Draw ``layout`` on matplotlib axes ``ax`` shifted down by ``dy`` (y grows downwards,
    as in BPMN DI); returns the bottom of the drawing."""
    from matplotlib.patches import Circle, FancyBboxPatch, Polygon

    if title:
        ax.text(0, dy - 8, title, fontsize=9, fontweight="bold", va="bottom")
    for e in layout["edges"]:
        xs, ys = zip(*e["points"])
        ax.plot(xs, [y + dy for y in ys], color="#444", linewidth=0.6)
        (x0, y0), (x1, y1) = e["points"][-2], e["points"][-1]
        ax.annotate(
            "",
            xy=(x1, y1 + dy),
            xytext=(x0, y0 + dy),
            arrowprops={"arrowstyle": "-|>", "lw": 0.6, "color": "#444"},
        )
    for n in layout["nodes"]:
        fill = COLOURS.get(marks.get(n["id"], "plain"), COLOURS["plain"])
        x, y, w, h = n["x"], n["y"] + dy, n["w"], n["h"]
        cx, cy = x + w / 2, y + h / 2
        if n["kind"] in ("xor", "and"):
            ax.add_patch(
                Polygon(
                    [(cx, y), (x + w, cy), (cx, y + h), (x, cy)], facecolor=fill, edgecolor="#222", lw=0.6
                )
            )
            ax.text(cx, cy, "+" if n["kind"] == "and" else "×", ha="center", va="center", fontsize=6)
        elif n["kind"] in ("start", "end"):
            ax.add_patch(
                Circle(
                    (cx, cy), w / 2, facecolor=fill, edgecolor="#222", lw=1.5 if n["kind"] == "end" else 0.6
                )
            )
        else:
            ax.add_patch(
                FancyBboxPatch(
                    (x, y),
                    w,
                    h,
                    boxstyle="round,pad=0,rounding_size=5",
                    facecolor=fill,
                    edgecolor="#222",
                    lw=0.6,
                )
            )
            ax.text(cx, cy, n["name"], ha="center", va="center", fontsize=4, clip_on=True)
    return dy + layout["height"]
