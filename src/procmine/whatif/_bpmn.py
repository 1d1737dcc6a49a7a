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

:func:`lintable` then makes the graph pass bpmnlint's recommended rules, and
:func:`canonical` and :func:`finish_ids` make a written file deterministic; they and the
graph edits live in :mod:`procmine.discovery._bpmn_graph` (the as-is model's writer) and
are imported from there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._core.xmltext import xml_safe
from ..discovery._bpmn_graph import (  # noqa: F401  (canonical, finish_ids, layout_of, lintable: re-exported)
    _DI,
    _MODEL,
    _bpmn,
    _bypass,
    _connect,
    _detach,
    _sources,
    _targets,
    _tasks,
    canonical,
    finish_ids,
    layout_of,
    lintable,
    tidy,
)

__all__: list[str] = []

#: namespace of procmine's extension attributes in BPMN files (``procmine:required``)
NS = "urn:procmine:bpmn"

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


# -- drawing a written BPMN file (its layout: layout_of, from the writer's module) -----------------

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
