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
    """A matplotlib ``Figure`` (no pyplot state) sized in centimetres."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained")
    return fig


def figure_svg(fig: Any, prefix: str) -> Markup:
    """``fig`` as sanitised inline SVG markup."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "procmine"}, transparent=True)
    return sanitize_svg(buf.getvalue(), prefix)


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
