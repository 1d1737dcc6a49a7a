"""What-if simplification: :func:`simplify` and its result :class:`WhatIf`.

``simplify(log, remove=[...], merge=[...], parallelize=[...])`` builds the event log the
procedure would produce without the removed steps, with merged steps as one and
parallelised steps overlapping, and compares the key figures before and after.

The estimation model, its assumptions and limits are in :func:`simplify`'s docstring and
``docs/whatif.md`` (with the validation figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import fail
from .._results import Result, duration_text, new_axes
from ..engines import needs_events
from ..log import EventLog
from ._edits import (
    _keep_order,
    _later_shift,
    _merge,
    _move,
    _parallelize,
    _prev_end,
    _remove,
    _saved,
    _with_times,
    removed_outside,
)
from ._kpis import _DURATION_KPIS, kpis

__all__ = ["WhatIf", "simplify"]


@dataclass(repr=False)
class WhatIf(Result):
    """Key figures of a log before and after a simplification, and the simplified log.

    Attributes
    ----------
    before, after
        KPI name -> value (durations as ``pd.Timedelta``).
    log
        The simplified :class:`~procmine.EventLog`.
    changes
        What was changed: ``{"remove": [...], "merge": [...], "parallelize": [...]}``.
    """

    before: dict[str, Any]
    after: dict[str, Any]
    log: EventLog
    changes: dict[str, list[Any]] = field(default_factory=dict)
    calendar: Any = None
    #: the log before the simplification (for the as-is model and per-change savings)
    source: EventLog | None = field(default=None, repr=False)
    #: steps declared required: kept, and marked in the to-be BPMN
    required: list[str] = field(default_factory=list)
    #: the findings the changes come from (``simplify(..., findings=...)``), if given
    findings: Any = field(default=None, repr=False)

    def delta(self) -> pd.DataFrame:
        """One row per KPI: ``kpi``, ``before``, ``after``, ``change``, ``change %``.

        Elapsed durations (``*_case_duration``) are ``Timedelta`` values. Working-time
        KPIs (``*_case_working_time``, with a working-time calendar) are floats of working
        hours, their rows named ``*_case_working_time_h``: a working-time ``Timedelta``
        would print 24 working hours as "1 day". ``frame.attrs["calendar"]`` names the
        calendar. :attr:`before` and :attr:`after` keep ``Timedelta`` values.
        """
        working = self.calendar is not None and not getattr(self.calendar, "is_elapsed", False)
        rows = []
        for k, b in self.before.items():
            a = self.after.get(k)
            if working and k.endswith("_working_time"):
                k = f"{k}_h"
                b, a = (v.total_seconds() / 3600 if isinstance(v, pd.Timedelta) else v for v in (b, a))
            change = a - b if a is not None and b is not None else None
            if isinstance(b, pd.Timedelta):
                pct = change / b * 100 if b != pd.Timedelta(0) else np.nan
            else:
                pct = change / b * 100 if b else np.nan
            rows.append({"kpi": k, "before": b, "after": a, "change": change, "change %": float(pct)})
        frame = pd.DataFrame(rows, columns=["kpi", "before", "after", "change", "change %"])
        frame.attrs["calendar"] = repr(self.calendar) if self.calendar is not None else "elapsed time"
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`delta`."""
        return self.delta()

    def _describe_changes(self, language: str | None = None) -> str:
        """The changes in one line: ``"remove B; merge C + D"`` (the repr's words), or, given a
        ``language``, as the report and the BPMN name them (``"Supprimé : B"``)."""
        if language is not None:
            from ..i18n import format_message, gettext, join_clauses

            return join_clauses((format_message(gettext(msgid, language), language, **fields)
                                 for _key, msgid, fields, _kw in self._change_list()), language) or gettext(
                "no change", language)
        parts = []
        if self.changes.get("complete_at_intake"):
            parts.append("complete at intake: no " + ", ".join(map(str, self.changes["complete_at_intake"])))
        if self.changes.get("remove"):
            parts.append("remove " + ", ".join(map(str, self.changes["remove"])))
        if self.changes.get("merge"):
            parts.append("merge " + ", ".join(" + ".join(p[:2]) for p in self.changes["merge"]))
        if self.changes.get("parallelize"):
            parts.append("parallelize " + ", ".join(" ∥ ".join(p) for p in self.changes["parallelize"]))
        return "; ".join(parts) or "no change"

    def summary(self) -> dict[str, Any]:
        """The changes and the median case duration before and after (elapsed time)."""
        return {
            "changes": self._describe_changes(),
            "median case duration before": self.before["median_case_duration"],
            "median case duration after": self.after["median_case_duration"],
            "cases": self.after["cases"],
        }

    def _day_hours(self) -> float | None:
        # delta() already turns the working-time KPIs into hours: the Timedeltas left are elapsed
        return None

    def _repr_parts(self) -> tuple[str, list[str]]:
        b, a = self.before["median_case_duration"], self.after["median_case_duration"]
        pct = f" ({(a - b) / b:+.0%})" if b != pd.Timedelta(0) else ""
        return self._describe_changes(), [
            f"median case duration {duration_text(b)} → {duration_text(a)}{pct}, "
            f"events/case {self.before['events_per_case']:.1f} → {self.after['events_per_case']:.1f}, "
            f"{self.after['cases']:,} cases"
        ]

    # -- the to-be process as a model ---------------------------------------------------------
    @property
    def as_is(self) -> Any:
        """The :class:`~procmine.discovery.ProcessModel` of the log before the change
        (``discover`` with its defaults; cached)."""
        if self.source is None:
            raise fail("WhatIf.as_is", "source", "the log the result was built from: build it with "
                       "simplify(log, ...)", None)
        if "_as_is" not in self.__dict__:
            from ..discovery import discover

            self.__dict__["_as_is"] = discover(self.source)
        return self.__dict__["_as_is"]

    def _tobe(self, language: str = "en") -> tuple[Any, dict[str, list[str]], list[str]]:
        """The to-be graph (deterministic ids), documentation per node id and the process
        notes, in ``language`` (cached per language; the graph is the same in each)."""
        cache = self.__dict__.setdefault("_tobe_cache", {})
        if language not in cache:
            graph, old, docs, general = self._edit(self._change_notes(language), language)
            cache[language] = (graph, {old.get(k, k): v for k, v in docs.items()}, general)
        return cache[language]

    def _tobe_graph(self) -> Any:
        """The to-be graph alone (:meth:`_tobe`'s, the same in every language): without its
        documentation, whose figures re-simulate each change on its own."""
        cache = self.__dict__.get("_tobe_cache")
        if cache:
            return next(iter(cache.values()))[0]
        if "_graph_only" not in self.__dict__:
            self.__dict__["_graph_only"] = self._edit({}, "en")[0]
        return self.__dict__["_graph_only"]

    def _edit(
        self, notes: dict[tuple[str, ...], str], language: str
    ) -> tuple[Any, dict[str, str], dict[str, list[str]], list[str]]:
        """:func:`._bpmn.to_be` of the as-is model with this result's changes, the graph's
        ids made deterministic: (graph, {old id: new id}, documentation, process notes)."""
        from ._bpmn import canonical, to_be

        graph, docs, general = to_be(
            self.as_is.bpmn,
            remove=list(self.changes.get("complete_at_intake", [])) + list(self.changes.get("remove", [])),
            merge=[tuple(p) for p in self.changes.get("merge", [])],
            parallelize=[tuple(p) for p in self.changes.get("parallelize", [])],
            notes=notes,
            language=language,
        )
        # the gateways the edit adds get pm4py's random ids: named from the graph instead
        graph, old = canonical(graph)
        return graph, old, docs, general

    @property
    def model(self) -> Any:
        """The to-be process as a pm4py BPMN graph: the as-is model (:attr:`as_is`) with
        removed steps gone, merged steps one task ``"A + B"`` and parallelised pairs in a
        parallel gateway block. Its ids are deterministic (the same proposal on the same
        log gives the same graph in every run). Write it with :meth:`to_bpmn`."""
        return self._tobe()[0]

    def _change_figures(self) -> list[tuple[tuple[str, ...], str, dict[str, Any], Any, pd.Timedelta]]:
        """Per change: its key, the msgid and fields of its sentence, the finding behind it
        and what it saves of the median case duration on its own (one re-simulation each,
        cached: the sentences are then written in any language)."""
        if "_figures" in self.__dict__:
            return self.__dict__["_figures"]
        out: list[tuple[tuple[str, ...], str, dict[str, Any], Any, pd.Timedelta]] = []
        if self.source is not None:
            base = self.before["median_case_duration"]
            for key, msgid, fields_, kw in self._change_list():
                after = simplify(self.source, calendar=self.calendar, **kw).after["median_case_duration"]
                out.append((key, msgid, fields_, self._finding_for(key[0], set(key[1:])), base - after))
        self.__dict__["_figures"] = out
        return out

    def _change_list(self) -> list[tuple[tuple[str, ...], str, dict[str, Any], dict[str, Any]]]:
        """Per change: (key, msgid naming it, its fields, the ``simplify`` arguments of it alone)."""
        todo: list[tuple[tuple[str, ...], str, dict[str, Any], dict[str, Any]]] = []
        for x in self.changes.get("complete_at_intake", []):
            todo.append((("remove", x), "Removed (complete at intake): {step}", {"step": x},
                         {"complete_at_intake": [x]}))
        for x in self.changes.get("remove", []):
            todo.append((("remove", x), "Removed: {step}", {"step": x}, {"remove": [x]}))
        for p in self.changes.get("merge", []):
            todo.append((("merge", p[0], p[1]), "Merged: {a} + {b}", {"a": p[0], "b": p[1]},
                         {"merge": [tuple(p)]}))
        for p in self.changes.get("parallelize", []):
            todo.append((("parallelize", p[0], p[1]), "In parallel: {a} and {b}", {"a": p[0], "b": p[1]},
                         {"parallelize": [tuple(p)]}))
        return todo

    def _change_notes(self, language: str = "en") -> dict[tuple[str, ...], str]:
        """Per change: the sentence documenting it in the BPMN (finding, saving alone), in ``language``."""
        from ..i18n import check_language, format_duration
        from ._bpmn import finding_kind, say

        language = check_language(language, "WhatIf.to_bpmn")
        notes: dict[tuple[str, ...], str] = {}
        for key, msgid, fields_, f, saving in self._change_figures():
            text = say(msgid, language, **fields_)
            if f is not None:
                text = say("{change} (finding: {kind}, {cases} cases)", language, change=text,
                           kind=finding_kind(f.kind, language), cases=int(f.cases))
            notes[key] = say("{change}; saves {saving} of the median case duration on its own", language,
                             change=text, saving=format_duration(saving, language))
        return notes

    def _finding_for(self, change: str, acts: set[str]) -> Any:
        """The finding behind a change: a pair finding of the same pair, or for a removal
        any finding on the step (pair findings last)."""
        want = {"merge": "mergeable", "parallelize": "parallelizable"}.get(change)
        found = list(self.findings or [])
        if want is None:
            found.sort(key=lambda f: f.kind in ("mergeable", "parallelizable"))
        for f in found:
            fa = set(f.activities)
            if (want is not None and f.kind == want and acts <= fa) or (want is None and acts & fa):
                return f
        return None

    def to_bpmn(self, path: str | Path, *, language: str = "en") -> Path:
        """Write the to-be process (:attr:`model`) as BPMN 2.0 XML with diagram layout.

        Laid out like :meth:`ProcessModel.to_bpmn <procmine.discovery.ProcessModel.to_bpmn>`
        writes the as-is model. Each changed element carries a ``<bpmn:documentation>``
        saying which change (and finding, with ``simplify(..., findings=...)``) changed it
        and what that change saves on its own; the process lists all changes. Steps
        declared required (``simplify(..., required=[...])``) are kept and carry
        ``procmine:required="true"`` (namespace ``urn:procmine:bpmn``). Element ids are
        deterministic (writing the same proposal twice gives the same bytes); gateway
        labels and the documentation are in ``language`` (``"de"``, ``"fr"``, ``"en"``),
        with durations in the language's Swiss format.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import procmine as pm
        >>> from procmine.whatif import simplify
        >>> w = simplify(pm.samples.load("permit_de"), remove=["Visum Abteilungsleitung"])
        >>> out = w.to_bpmn(pathlib.Path(tempfile.mkdtemp()) / "tobe.bpmn")
        >>> text = out.read_text(encoding="utf-8")
        >>> 'name="Visum Abteilungsleitung"' in text, "Removed: Visum Abteilungsleitung" in text
        (False, True)
        """
        return self._write(path, language)[0]

    def _write(self, path: str | Path, language: str = "en") -> tuple[Path, dict[str, str]]:
        """The to-be file and ``{node id of the model: element id in the file}``."""
        from ..discovery import _bpmn_graph
        from ._bpmn import annotate

        graph, docs, general = self._tobe(language)
        out, ids = _bpmn_graph.write_bpmn_ids(graph, path, language=language)
        docs = {ids.get(k, k): v for k, v in docs.items()}
        return annotate(out, docs, process_doc=general, required=self.required, language=language), ids

    def _marks(self, graph: Any, *, to_be: bool) -> dict[str, str]:
        """Node id -> "removed"/"changed" for the highlighted drawing."""
        gone = set() if to_be else set(self.changes.get("remove", []))
        gone |= set() if to_be else set(self.changes.get("complete_at_intake", []))
        merged = self.changes.get("merge", [])
        # as-is: both steps of a merged pair; to-be: the merged step
        changed = {p[2] if to_be else a for p in merged for a in p[:2]}
        changed |= {a for p in self.changes.get("parallelize", []) for a in p}
        marks = {}
        for n in graph.get_nodes():
            name = n.get_name()
            if name in gone:
                marks[n.get_id()] = "removed"
            elif name in changed:
                marks[n.get_id()] = "changed"
        return marks

    def _layouts(self, language: str = "en") -> tuple[Any, Any, dict[str, str], dict[str, str]]:
        """As-is and to-be layouts (as the BPMN files lay them out, computed without writing
        them; gateway labels in ``language``) and their highlights."""
        from ..discovery import _bpmn_graph

        graph = self._tobe_graph()
        a, ids_a = _bpmn_graph.layout_ids(self.as_is.bpmn, language=language)
        # the to-be file's documentation (annotate) leaves its layout as written
        b, ids_b = _bpmn_graph.layout_ids(graph, language=language)
        marks_a = {ids_a.get(k, k): v for k, v in self._marks(self.as_is.bpmn, to_be=False).items()}
        marks_b = {ids_b.get(k, k): v for k, v in self._marks(graph, to_be=True).items()}
        return a, b, marks_a, marks_b

    def svgs(self, *, titles: tuple[str, str] = ("As-is", "To-be"), language: str = "en") -> tuple[str, str]:
        """As-is and to-be as two self-contained SVG documents laid out as the BPMN files
        are; removed steps red (as-is), changed ones amber; the exclusive gateways labelled
        in ``language`` (``"de"``, ``"fr"``, ``"en"``), as :meth:`to_bpmn` writes them."""
        from ._bpmn import svg_of

        a, b, ma, mb = self._layouts(language)
        return svg_of(a, ma, title=titles[0], uid="pm-as-is"), svg_of(b, mb, title=titles[1], uid="pm-to-be")

    def to_svg(self, *, titles: tuple[str, str] = ("As-is", "To-be"), language: str = "en") -> str:
        """As-is above to-be (:meth:`svgs`) in one ``<div>`` of inline SVG."""
        a, b = self.svgs(titles=titles, language=language)
        return f'<div class="pm-tobe">{a}{b}</div>'

    def plot(self, ax: Any = None, *, kind: str = "model") -> Any:
        """As-is above to-be (``kind="model"``, the BPMN layouts, removed steps red and
        changed ones amber) or a bar chart of the case-duration KPIs before and after
        (``kind="kpis"``, days); returns the axes."""
        from .._core.validation import check_choice

        check_choice("WhatIf.plot", "kind", kind, ("model", "kpis"))
        if kind == "model":
            return self._plot_model(ax)
        ax = new_axes(ax, (6, 3))
        keys = [k for k in _DURATION_KPIS if k in self.before]
        x = np.arange(len(keys))
        before = [self.before[k].total_seconds() / 86400 for k in keys]
        after = [self.after[k].total_seconds() / 86400 for k in keys]
        ax.bar(x - 0.2, before, width=0.4, label="before")
        ax.bar(x + 0.2, after, width=0.4, label="after")
        ax.set_xticks(x)
        ax.set_xticklabels([k.replace("_case_duration", "") for k in keys])
        ax.set_ylabel("case duration (days)")
        ax.set_title(self._describe_changes(), fontsize="small")
        ax.legend()
        return ax

    def _plot_model(self, ax: Any) -> Any:
        from ._bpmn import draw_on

        a, b, ma, mb = self._layouts()
        width = max(a["width"], b["width"])
        height = a["height"] + b["height"] + 60
        if ax is None:
            from matplotlib.figure import Figure

            fig_w = min(24.0, max(6.0, width / 90))
            ax = Figure(figsize=(fig_w, max(2.0, fig_w * (height + 20) / (width + 20)))).add_subplot()
            ax.figure.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
        bottom = draw_on(ax, a, ma, dy=20, title="as-is")
        draw_on(ax, b, mb, dy=bottom + 40, title=f"to-be: {self._describe_changes()}")
        ax.set_xlim(-10, width + 10)
        ax.set_ylim(height + 10, 0)  # y grows downwards, as in BPMN
        ax.set_aspect("equal")
        ax.axis("off")
        return ax


# -- the transformation --------------------------------------------------------------------------
# over 80 lines by its docstring (104 lines: every change and KPI documented); the steps: _checked_changes, _edited
@needs_events("simplify")  # a log outside memory is loaded (or refused)
def simplify(
    log: EventLog,
    *,
    remove: Iterable[str] | str = (),
    merge: Iterable[Sequence[str]] = (),
    parallelize: Iterable[Sequence[str]] = (),
    calendar: Any = None,
    complete_at_intake: Iterable[str] | str = (),
    required: Iterable[str] | str = (),
    findings: Any = None,
) -> WhatIf:
    """Simulate the procedure without some steps, with steps merged or run in parallel.

    Parameters
    ----------
    log
        The event log.
    remove
        Activities to remove, with the waiting and processing time they add.
    merge
        Pairs ``(A, B)`` (or triples ``(A, B, name)``) merged into one step where B
        directly follows A.
    parallelize
        Pairs ``(A, B)`` run at the same time where they are direct neighbours.
    calendar
        A :class:`procmine.Calendar`: shift in working time and add working-time KPIs.
        ``None`` (default): shift in elapsed time.
    complete_at_intake
        Request steps (``incomplete_submission`` findings) whose loops disappear when
        applications are complete at intake: each request, the applicant's answer and the
        steps repeated after it go, with the time they added.

    required
        Steps declared required (by law or policy): they cannot be removed or merged, and
        the to-be BPMN (:meth:`WhatIf.to_bpmn`) marks them.
    findings
        The :class:`~procmine.redundancy.Findings` the changes come from: the to-be BPMN
        names the finding behind each change.

    Returns
    -------
    WhatIf

    Notes
    -----
    **The estimation model.** The log is changed case by case, with the times of the remaining events kept as they
    were recorded except for the shifts below (all vectorised: one cumulative sum of the
    saved time per case).

    - **remove** X: every event of X disappears together with the time it added to its case,
      from the completion of the previous event of the case to the completion of X (X's
      waiting plus processing), but for the waiting for the applicant or a third party and
      the legal periods in it (:mod:`procmine.waits._causes`): the next step still waits for
      the documents, and a 30-day objection period runs whether or not a step records its
      end. All later events of the case move earlier by that amount.
      A removed *first* event of a case has no recorded waiting: nothing is shifted and the
      case then starts at its next event.
    - **merge** (A, B): each direct succession A→B in a case becomes one event named
      ``"A + B"`` (or the given name) that starts when A starts and completes when B
      completes; it keeps A's other attributes (resource, unit). The case duration does not
      change (the hand-off between A and B is kept, conservatively); events and hand-overs
      per case drop.
    - **parallelize** (A, B): where A and B are direct neighbours (in either order), the
      second starts when the first starts: it moves earlier by the first one's waiting plus
      processing, and every later event of the case moves earlier by the shorter of the
      two (the pair now ends after the longer one). Non-adjacent occurrences stay as they are.

    - **complete_at_intake** R: every loop opened by the request step R (see
      :mod:`procmine.redundancy.incomplete_submission`) disappears: the request, the
      external steps answering it and the steps the case had done before and repeats
      after it are removed like **remove** does (each with the time from the previous
      completion to its own). ``remove=[R]`` alone would keep the wait for the applicant
      and the repeated checks, which is not what a complete application changes. Steps
      of the loop that are new to the case (the review that follows) stay.

    Operations are applied in this order: complete_at_intake, remove, merge, parallelize.

    **Assumptions:** the waiting in front of every other step stays as recorded (queues of other
    steps unchanged: the capacity freed by a removed step does not speed up anyone else, nor
    does earlier arrival meet a busier queue); no knock-on effects on resources; the case's
    outcome and routing do not change. Without a calendar, times are shifted in elapsed
    time; with a ``calendar``, saved times are measured in working time and events are moved
    earlier by that much *working* time (:meth:`procmine.Calendar.add_working_time`, taking
    the earliest instant at that working-time position: Friday 17:00 rather than Monday
    07:30), so that a removed step that waited over a weekend does not move the next step
    into one. Events outside office hours that have to move land on office-hour boundaries,
    never before the previous event of their case.

    **KPIs:** ``median_case_duration``, ``mean_case_duration`` and ``p90_case_duration`` are
    always elapsed time (first start to last completion, as
    :meth:`procmine.EventLog.case_durations`); with a calendar ``.before``/``.after`` also
    hold ``median_case_working_time``, ``mean_case_working_time`` and
    ``p90_case_working_time``. ``handovers_per_case`` counts changes of ``org:group``
    (``org:resource`` when there is no group) between consecutive events of a case.

    **Limits:** the estimate is a first-order one. Removing a step that fed a bottleneck, or
    freeing staff that work elsewhere, changes other queues; a real procedure may also need
    part of the removed step's work elsewhere. Validated against re-simulation of the sample
    procedures (``tests/test_whatif.py``): the predicted median case duration was within
    5 % of the re-simulated one (criterion: 15 %), the saving itself mostly within 30 %;
    removing a batched step is underestimated (the burst it sends downstream also goes
    away, which this model does not see). See ``docs/whatif.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> import procmine as pm
    >>> from procmine.whatif import simplify
    >>> t = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    >>> df = pd.DataFrame({
    ...     "case:concept:name": ["1", "1", "1"],
    ...     "concept:name": ["A", "B", "C"],
    ...     "time:timestamp": [t, t + pd.Timedelta("2h"), t + pd.Timedelta("3h")],
    ... })
    >>> w = simplify(pm.EventLog(df), remove=["B"])
    >>> w.before["median_case_duration"], w.after["median_case_duration"]
    (Timedelta('0 days 03:00:00'), Timedelta('0 days 01:00:00'))
    """
    if not isinstance(log, EventLog):
        raise fail("simplify", "log", "a procmine.EventLog", type(log).__name__)
    remove_l, complete_l, merge_l, par_l, required_l = _checked_changes(
        log, remove, merge, parallelize, complete_at_intake, required
    )
    before = kpis(log, calendar)
    new = _edited(log, remove_l, complete_l, merge_l, par_l, calendar)
    after = kpis(new, calendar)
    changes = {
        "complete_at_intake": complete_l,
        "remove": remove_l,
        "merge": [list(p) for p in merge_l],
        "parallelize": [list(p) for p in par_l],
    }
    return WhatIf(
        before=before,
        after=after,
        log=new,
        changes=changes,
        calendar=calendar,
        source=log,
        required=required_l,
        findings=findings,
    )


def _checked_changes(
    log: EventLog,
    remove: Iterable[str] | str,
    merge: Iterable[Sequence[str]],
    parallelize: Iterable[Sequence[str]],
    complete_at_intake: Iterable[str] | str,
    required: Iterable[str] | str,
) -> tuple[list[str], list[str], list[tuple[str, ...]], list[tuple[str, ...]], list[str]]:
    """:func:`simplify`'s changes as lists (removed, completed at intake, merged as
    ``(a, b, name)``, parallelised as ``(a, b)``, required), checked against the log's
    activities and each other; a bad one fails before any work."""
    known = set(map(str, log.codes.activity_names))
    remove_l = [remove] if isinstance(remove, str) else [str(a) for a in remove]
    complete_l = (
        [complete_at_intake] if isinstance(complete_at_intake, str) else [str(a) for a in complete_at_intake]
    )
    _check_known("complete_at_intake", complete_l, known)
    merge_l = [_pair("merge", p, allow_name=True) for p in merge]
    par_l = [_pair("parallelize", p) for p in parallelize]
    _check_known("remove", remove_l, known)
    for p in merge_l:
        _check_known("merge", list(p[:2]), known)
    merged_names = {p[2] for p in merge_l}
    for p in par_l:
        _check_known("parallelize", list(p), known | merged_names)
    required_l = [required] if isinstance(required, str) else [str(a) for a in required]
    _check_known("required", required_l, known)
    touched = set(remove_l) | set(complete_l) | {a for p in merge_l for a in p[:2]}
    if touched & set(required_l):
        raise fail("simplify", "required", f"steps the change keeps: {sorted(touched & set(required_l))} are "
                   "declared required and cannot be removed or merged; drop them from 'required' or from "
                   "the change", required_l)
    clash = set(remove_l) & {a for p in merge_l + par_l for a in p[:2]}
    if clash:
        raise fail("simplify", "remove", f"steps not also merged or parallelised: {sorted(clash)} cannot be "
                   "removed and merged/parallelised at the same time", remove_l)
    return remove_l, complete_l, merge_l, par_l, required_l


def _edited(
    log: EventLog,
    remove_l: list[str],
    complete_l: list[str],
    merge_l: list[tuple[str, ...]],
    par_l: list[tuple[str, ...]],
    calendar: Any,
) -> EventLog:
    """The log with the checked changes applied, in :func:`simplify`'s order: completed at
    intake, removed, merged, parallelised."""

    def derive(df: pd.DataFrame, *, sorted_: bool) -> EventLog:
        return EventLog(df, report=log.report, name=log.name, presorted=sorted_)

    new = derive(log.df, sorted_=True)
    # what a removal keeps (the applicant's waiting, legal periods), from the source's wait
    # causes: computed once per log, before the loops go
    outside = removed_outside(log, remove_l, calendar) if remove_l else None
    if complete_l:  # like remove: order kept
        df, kept = _complete_at_intake(log, complete_l, calendar)
        new = derive(df, sorted_=True)
        if outside is not None:
            outside = outside[kept]
    if remove_l:  # later events move earlier by at most the time since the earlier ones: order kept
        new = derive(_remove(new, remove_l, calendar, outside), sorted_=True)
    for a, b, name in merge_l:
        new = derive(_merge(new, a, b, name), sorted_=True)
    for a, b in par_l:  # the two steps may swap: sort again
        new = derive(_parallelize(new, a, b, calendar), sorted_=False)
    return new


def _complete_at_intake(log: EventLog, requests: list[str], calendar: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The log without the loops the request steps ``requests`` open (see :func:`simplify`),
    and which of ``log``'s events it keeps."""
    from ..redundancy.incomplete_submission import request_loops, request_steps

    c = log.codes
    is_req, is_ext = request_steps(log, requests)
    loops = request_loops(log, is_req, is_ext, calendar)
    gone = loops.in_loop
    prev, has_prev = _prev_end(c)
    saved = np.where(gone & has_prev, _saved(prev, c.ts, calendar), 0)
    shift = _later_shift(c, saved)
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=gone)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    return _with_times(log.df, ts, start).loc[~gone].reset_index(drop=True), ~gone


def _pair(arg: str, p: Any, *, allow_name: bool = False) -> tuple[str, ...]:
    ok_len = (2, 3) if allow_name else (2,)
    if isinstance(p, str) or not isinstance(p, Sequence) or len(p) not in ok_len:
        want = "pairs (A, B) or triples (A, B, name)" if allow_name else "pairs (A, B)"
        raise fail("simplify", arg, f"a list of {want}", p)
    a, b = str(p[0]), str(p[1])
    if a == b:
        raise fail("simplify", arg, "pairs of two different activities", (a, b))
    if allow_name:
        return (a, b, str(p[2]) if len(p) == 3 else f"{a} + {b}")
    return (a, b)


def _check_known(arg: str, names: list[str], known: set[str]) -> None:
    bad = [a for a in names if a not in known]
    if bad:
        listed = sorted(known)
        shown = ", ".join(repr(a) for a in listed[:40]) + (
            f", … ({len(listed)} in all)" if len(listed) > 40 else ""
        )
        raise fail("simplify", arg, f"activities of the log (unknown activit{'y' if len(bad) == 1 else 'ies'} "
                   f"{bad}; the log's activities are: {shown}; check the spelling, see log.activities)", names)
