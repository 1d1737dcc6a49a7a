"""SVG for the report: matplotlib figures as deterministic SVG, and a sanitiser.

Every SVG goes through :func:`sanitize_svg` before it is inserted unescaped into the HTML:
it is parsed without entities, DTDs or network access; scripts, event handlers,
``foreignObject`` and references to anything outside the document are removed; ids are
prefixed so several SVGs can live in one page.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from markupsafe import Markup

__all__ = ["figure_svg", "new_figure", "sanitize_svg"]

logger = logging.getLogger("procmine")

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK = "{http://www.w3.org/1999/xlink}href"
_URL_REF = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)['\"]?\s*\)")
_BAD_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "image", "a"}

_RC = {
    "svg.fonttype": "path",  # text drawn as paths: same look everywhere, no font files needed
    "svg.hashsalt": "procmine",  # deterministic ids
    "text.parse_math": False,  # "$" in activity names is text, not TeX
    "font.family": "sans-serif",
    "font.size": 8,
    "axes.edgecolor": "#8a94a6",
    "axes.linewidth": 0.6,
    "xtick.color": "#4a5568",
    "ytick.color": "#2d3748",
    "xtick.major.size": 2.5,
    "ytick.major.size": 0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}

#: colours of the report (also in style.css)
COLOURS = {"wait": "#d98c1f", "work": "#2b6cb0", "main": "#2b6cb0", "grey": "#8a94a6", "good": "#2f855a"}


def new_figure(width_cm: float = 16, height_cm: float = 8) -> Any:
    """A matplotlib ``Figure`` (no pyplot state) sized in centimetres; :func:`figure_svg`
    lays it out."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54))
    return fig


def figure_svg(fig: Any, prefix: str) -> Markup:
    """``fig`` as sanitised inline SVG markup: laid out (:func:`_fit`) and drawn once.

    What ``fig.savefig(buf, format="svg", transparent=True)`` writes for a figure already
    laid out, with the layout measured on the renderer that then draws it: a layout
    engine (constrained layout) would draw the whole figure once more to measure it."""
    import matplotlib
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        for patch in [fig.patch, *(ax.patch for ax in fig.axes)]:  # transparent background
            patch.set_facecolor("none")
            patch.set_edgecolor("none")
        dpi = fig.dpi
        fig.dpi = 72  # as the SVG backend draws: one unit is one point
        try:
            width, height = fig.get_size_inches()
            svg = RendererSVG(width * 72, height * 72, buf, image_dpi=dpi,
                              metadata={"Date": None, "Creator": "procmine"})
            renderer = MixedModeRenderer(fig, width, height, dpi, svg)
            _fit(fig, renderer)
            fig.draw(renderer)
            renderer.finalize()
        finally:
            fig.dpi = dpi
    return sanitize_svg(buf.getvalue(), prefix)


def _fit(fig: Any, renderer: Any) -> None:
    """Place the one axes so that it, its tick labels, axis labels and title, and the
    figure legends (at the top) fill the figure less constrained layout's pads
    (``figure.constrained_layout.w_pad``/``h_pad``) all round: what constrained layout
    computes for one axes, measured on ``renderer`` (twice, as it does: the ticks change
    with the axes' size)."""
    import matplotlib

    W, H = fig.bbox.width, fig.bbox.height
    if len(fig.axes) != 1 or W <= 0 or H <= 0:
        return
    ax = fig.axes[0]
    rc = matplotlib.rcParams
    wp = rc["figure.constrained_layout.w_pad"] * fig.dpi / W
    hp = rc["figure.constrained_layout.h_pad"] * fig.dpi / H
    top = max((leg.get_tightbbox(renderer).height / H + 2 * hp for leg in fig.legends), default=0.0)
    for _ in range(2):
        pos = ax.get_position(original=True)
        box = ax.get_tightbbox(renderer, for_layout_only=True)
        if box is None:
            return
        box = box.transformed(fig.transFigure.inverted())
        x0 = wp + pos.x0 - box.x0
        x1 = 1 - (wp + box.x1 - pos.x1)
        y0 = hp + pos.y0 - box.y0
        y1 = 1 - top - (hp + box.y1 - pos.y1)
        if x1 <= x0 or y1 <= y0:  # no room: leave the default place
            return
        ax.set_position([x0, y0, x1 - x0, y1 - y0])


def sanitize_svg(text: str | bytes, prefix: str) -> Markup:
    """Parse ``text`` safely, strip anything active or external, prefix ids; return Markup.

    Examples
    --------
    >>> s = sanitize_svg('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
    ...                  '<g id="a" onclick="x()"><text>&lt;b&gt;</text></g></svg>', "m")
    >>> "script" in s, "onclick" in s, 'id="m-a"' in s, "&lt;b&gt;" in s
    (False, False, True, True)
    """
    from lxml import etree

    from .._core.xmltext import xml_safe

    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    # a control character from the data (a label) would make the parser refuse the chart
    text = xml_safe(text).encode("utf-8")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    root = etree.fromstring(text, parser)
    _strip_active(root)
    _prefix_ids(root, prefix)
    root.set("role", "img")
    # make the SVG scale with its container
    if root.get("width") and root.get("height") and not root.get("viewBox"):
        w = re.match(r"[\d.]+", root.get("width") or "")
        h = re.match(r"[\d.]+", root.get("height") or "")
        if w and h:
            root.set("viewBox", f"0 0 {w.group(0)} {h.group(0)}")
    out = etree.tostring(root, encoding="unicode")
    return Markup(out)


def _strip_active(root: Any) -> None:
    """Remove scripts and other active or external elements (a link keeps its content), event
    handlers, and references outside the document."""
    from lxml import etree

    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in _BAD_TAGS:
            parent = el.getparent()
            if parent is not None:
                if local == "a":  # keep the content of links, drop the link
                    idx = parent.index(el)
                    for child in list(el):
                        parent.insert(idx, child)
                        idx += 1
                parent.remove(el)
            continue
        for attr in list(el.attrib):
            name = etree.QName(attr).localname if attr.startswith("{") else attr
            value = el.attrib[attr]
            if name.lower().startswith("on"):
                del el.attrib[attr]
            elif name in ("href",) or attr == _XLINK:
                if not value.startswith("#"):
                    del el.attrib[attr]
            elif "url(" in value and re.search(r"url\(\s*['\"]?(?!#)", value):
                del el.attrib[attr]


def _prefix_ids(root: Any, prefix: str) -> None:
    """Prefix every id, and the local references to it, so that several SVGs can share a page;
    ``@import`` and external ``url()`` in style sheets are removed."""
    from lxml import etree

    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id"):
            el.set("id", f"{prefix}-{el.get('id')}")
        for attr, value in list(el.attrib.items()):
            if attr == "id":
                continue
            if "url(#" in value.replace(" ", ""):
                el.set(
                    attr,
                    _URL_REF.sub(
                        lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) in ids else m.group(0), value
                    ),
                )
            elif (attr == _XLINK or attr == "href") and value.startswith("#") and value[1:] in ids:
                el.set(attr, f"#{prefix}-{value[1:]}")
        if etree.QName(el).localname == "style" and el.text:
            el.text = re.sub(r"@import[^;]*;?", "", el.text)
            el.text = re.sub(r"url\(\s*['\"]?(?!#)[^)]*\)", "none", el.text)
