"""Safe streaming lxml reader of XES: the fallback of the vectorised scanner.

Used when the fast scanner meets something it does not read exactly (CDATA, nested
``<list>``/``<container>`` attributes, single-quoted attributes, another encoding...)
and to give the precise message of a file that is not well-formed. Entities are never
resolved, no DTD is loaded, nothing is fetched over the network (DOCTYPE and ENTITY
declarations were already refused before this reader runs).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LogError
from ._xes_scan import ATTR_TYPES, ChunkResult
from ._xes_source import _blocks, line_at, open_xml

__all__ = ["read_long_lxml"]

_TYPE_CODE = {t: i for i, t in enumerate(ATTR_TYPES)}


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1]


_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_declarations(path: Path) -> None:
    """Raise :class:`LogError` if the XML declares a DOCTYPE or entities anywhere."""
    tail = b""
    offset = 0
    for block in _blocks(path):
        data = tail + block
        m = _DECL.search(data)
        if m:
            raise LogError(
                "the file contains a DOCTYPE or ENTITY declaration; XES needs none and procmine "
                "refuses them (they can read local files or expand without end); remove it",
                path=str(path),
                line=line_at(path, offset - len(tail) + m.start()),
            )
        tail = data[-16:]
        offset += len(block)


def _check_placement(path: Path, elem, tag: str, parent: str, n_traces: int) -> None:
    """Refuse elements at the wrong depth, as the fast scanner does (see ``_xes_scan``)."""
    why = None
    if tag == "trace" and parent != "log":
        why = (
            "a <trace> inside another element; a trace belongs directly in <log> (its events "
            "would be counted in the enclosing case); fix the file"
        )
    elif tag == "event" and parent != "trace":
        why = (
            "an <event> outside any <trace>; an event belongs directly in the <trace> of its "
            "case (it would be counted in another case); move it into its trace or remove it"
        )
    elif tag in _TYPE_CODE and parent == "log" and n_traces:
        why = (
            "an attribute directly in <log> after the first <trace>; the log's own attributes "
            "come before its traces, and this one looks like an event without its <event> tag; "
            "move it into its event or before the traces"
        )
    if why is not None:
        raise LogError(why, path=str(path), line=elem.sourceline)


def read_long_lxml(path: Path) -> ChunkResult:
    """All attributes of the file in long format, with lxml's iterparse."""
    from lxml import etree

    refuse_declarations(path)

    ev_event: list[int] = []
    ev_key: list[str] = []
    ev_type: list[int] = []
    ev_value: list[str] = []
    tr_trace: list[int] = []
    tr_key: list[str] = []
    tr_type: list[int] = []
    tr_value: list[str] = []
    event_trace: list[int] = []
    nested = 0
    nested_keys: set[str] = set()
    n_events = n_traces = 0
    stack: list[str] = []
    seen_end = False
    with open_xml(path) as stream:
        parser = etree.iterparse(
            stream,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            for action, elem in parser:
                tag = _local(elem.tag)
                if action == "start":
                    parent = stack[-1] if stack else ""
                    stack.append(tag)
                    _check_placement(path, elem, tag, parent, n_traces)
                    if tag == "trace":
                        n_traces += 1
                    elif tag == "event":
                        n_events += 1
                        event_trace.append(n_traces - 1)
                    elif parent in ("event", "trace") and len(stack) >= 3 and stack[-3] in ("log", "trace"):
                        code = _TYPE_CODE.get(tag)
                        key = elem.get("key")
                        value = elem.get("value")
                        if code is None or key is None or value is None:
                            nested += 1  # list / container: no single value
                            if key is not None:
                                nested_keys.add(key)
                        elif parent == "event":
                            ev_event.append(n_events - 1)
                            ev_key.append(key)
                            ev_type.append(code)
                            ev_value.append(value)
                        else:
                            tr_trace.append(n_traces - 1)
                            tr_key.append(key)
                            tr_type.append(code)
                            tr_value.append(value)
                    elif (
                        len(stack) >= 4
                        and ("event" in stack[2:-1] or "trace" in stack[1:-1])
                        and tag in _TYPE_CODE
                    ):
                        nested += 1
                        key = elem.get("key")
                        if key is not None and len(nested_keys) < 50:
                            nested_keys.add(key)
                else:
                    stack.pop()
                    if tag == "log" and not stack:
                        seen_end = True
                    if tag in ("event", "trace") or (stack and stack[-1] in ("log", "global")):
                        elem.clear()
                        if tag == "trace" or (stack and stack[-1] == "log"):
                            while elem.getprevious() is not None:
                                del elem.getparent()[0]
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else None
            raise LogError(
                f"not a well-formed XES file: {exc.msg}; the file may be truncated or corrupt, "
                "export it again",
                path=str(path),
                line=line,
            ) from None
        except (OSError, EOFError) as exc:
            raise LogError(
                f"cannot read the file ({exc}); it may be truncated or corrupt", path=str(path)
            ) from None
    if not seen_end:
        raise LogError("the file has no root <log> element ending with </log>", path=str(path))
    return ChunkResult(
        n_events=n_events,
        n_traces=n_traces,
        event_trace=np.asarray(event_trace, dtype=np.int32),
        ev_event=np.asarray(ev_event, dtype=np.int32),
        ev_key=pc.dictionary_encode(pa.array(ev_key, type=pa.string())),
        ev_type=np.asarray(ev_type, dtype=np.int8),
        ev_value=pa.array(ev_value, type=pa.string()),
        tr_trace=np.asarray(tr_trace, dtype=np.int32),
        tr_key=pc.dictionary_encode(pa.array(tr_key, type=pa.string())),
        tr_type=np.asarray(tr_type, dtype=np.int8),
        tr_value=pa.array(tr_value, type=pa.string()),
        nested_skipped=nested,
        nested_keys=nested_keys,
        ended=True,
    )
