"""An interactive explorer for Jupyter: the process map with its sliders, the variants,
the findings and filters in one widget.

``explore(log)`` returns an :class:`Explorer`. In Jupyter with ``ipywidgets`` it shows
as one widget: the map (activity and path sliders, frequency/time, elapsed or working
time), the variant list (select one to draw its path on the map), the findings list
(select one to frame its activities and read its evidence) and filters (period, group).
Without ipywidgets (plain Python, nbconvert, CI) the same object shows the static map and
tables with a one-line note; ``explore`` never fails because ipywidgets is missing.

Every control has a programmatic twin, :meth:`Explorer.set`, which updates the widget
exactly as moving the control does; :attr:`Explorer.map_svg`, :attr:`Explorer.node_count`
and :attr:`Explorer.highlighted` read the current state.

Speed: the log's integer codes are reused. A filter builds no frame: the filtered log's
codes are gathered from the whole log's, a group column is coded once (a filter is then
an integer comparison), the (activity, case) pairs behind the privacy mask are found once
and counted per filter, and the working clock is computed once on the whole log (an
event's clock does not depend on the filters). Per filter, the variants are computed
once; per set of kept activities, the aggregated paths; every drawn map is cached by its
control positions, so going back to a position costs nothing.

Privacy as in maps and reports: activities, paths, variants and groups seen in fewer
than ``min_cases`` cases are never shown.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ._core.codes import LogCodes
from ._core.kernels import distinct_per_group
from ._core.validation import check_choice, check_positive_int, fail
from ._results import Result
from .errors import ParameterError
from .log import EventLog
from .viz._graph import MIN_CASES, MapGraph, _assemble_graph, _check_slider, _kept_activities, map_paths

__all__ = ["Explorer", "explore"]

logger = logging.getLogger("procmine")

_HIGHLIGHT = "#d35400"  # the orange of highlighted boxes in procmine maps
_MAX_VARIANTS = 50  # variants offered in the list (most frequent first)
_MAX_GROUP_VALUES = 60  # a column with more distinct values is no group filter
# cache sizes: a filtered sub-log holds up to the whole log's canonical columns, a map
# a few dozen KB of SVG; the oldest entries go first
_KEEP_SLICES, _KEEP_AGGREGATES, _KEEP_MAPS = 6, 48, 400


@dataclass
class _Slice:
    """What the explorer precomputes once per filter: the sub-log's codes and aggregates."""

    codes: LogCodes  # the filtered log's integer codes (as its EventLog would compute them)
    rows: np.ndarray | None  # the kept event rows of the whole log (None: all)
    events: np.ndarray  # events per activity code
    private: np.ndarray  # activity seen in fewer than min_cases cases
    variants: pd.DataFrame  # compute_variants of the sub-log
    clocks: dict[str, tuple[np.ndarray, np.ndarray | None]]  # time base -> (end, start) clock

    @property
    def n_cases(self) -> int:
        return self.codes.n_cases


@dataclass(frozen=True)
class _CodesOnly:
    """The filtered log as :func:`procmine._core.dfg.compute_variants` reads it (its codes):
    a filter change builds no frame (tested against the filtered EventLog)."""

    codes: LogCodes


def _sub_codes(c: LogCodes, keep_case: np.ndarray) -> tuple[LogCodes, np.ndarray]:
    """The codes of the cases ``keep_case`` marks, exactly as the filtered log's own
    ``EventLog.codes`` (case codes in order, activity codes following the sorted names of
    the activities left), and the kept event rows. No strings are touched."""
    rows = np.flatnonzero(keep_case[c.case])
    renumber = (np.cumsum(keep_case) - 1).astype(np.int32)
    act = c.activity[rows]
    present = np.bincount(act, minlength=c.n_activities) > 0
    names = c.activity_names
    if not present.all():  # activities left are renumbered; names stay sorted
        act = (np.cumsum(present) - 1).astype(np.int32)[act]
        names = names[present]
    sizes = np.diff(c.case_offsets)[keep_case]
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    sub = LogCodes(
        case=renumber[c.case[rows]],
        activity=act,
        activity_names=names,
        case_offsets=offsets,
        ts=c.ts[rows],
        start_ts=None if c.start_ts is None else c.start_ts[rows],
        case_id_values=_LazyCaseIds(c, np.flatnonzero(keep_case)),
    )
    return sub, rows


class _LazyCaseIds:
    """The kept cases' ids, gathered on first use (``LogCodes.case_ids``): the maps and
    variants never need them."""

    def __init__(self, codes: LogCodes, cases: np.ndarray) -> None:
        self.codes, self.cases = codes, cases

    def __len__(self) -> int:
        return len(self.cases)

    def to_numpy(self, zero_copy_only: bool = False) -> np.ndarray:
        return self.codes.case_ids[self.cases]


def explore(
    log: EventLog,
    *,
    activities: float | None = None,
    paths: float | None = None,
    metric: str = "frequency",
    time: str = "elapsed",
    calendar: Any = None,
    findings: Any = None,
    min_cases: int = MIN_CASES,
    language: str = "en",
) -> Explorer:
    """Explore a log interactively: process map, variants, findings and filters in one widget.

    Parameters
    ----------
    log
        The event log.
    activities, paths, metric
        Initial positions of the map's controls (see :func:`procmine.viz.process_map`).
    time
        ``"elapsed"`` (default) or ``"working"``: what the time metric measures between
        two activities; working time counts the office hours of ``calendar``.
    calendar
        The :class:`procmine.Calendar` for working time and the findings (default
        ``Calendar()``).
    findings
        The :class:`procmine.Findings` to list; default: ``find_redundancies(log,
        calendar=calendar)``. They are the findings of the whole log, whatever the filters.
    min_cases
        Privacy threshold (default 10): activities, paths, variants and groups seen in
        fewer cases are not shown; ``1`` shows all.
    language
        ``"en"``, ``"de"`` or ``"fr"`` for the controls' labels.

    Returns
    -------
    Explorer
        Displayed as a widget in Jupyter with ipywidgets, as static HTML elsewhere.

    Examples
    --------
    >>> import procmine as pm
    >>> ex = pm.explore(pm.samples.load("permit_de"))
    >>> n = ex.node_count
    >>> ex.set(activities=0.3).node_count < n
    True
    """
    return Explorer(
        log,
        activities=activities,
        paths=paths,
        metric=metric,
        time=time,
        calendar=calendar,
        findings=findings,
        min_cases=min_cases,
        language=language,
    )


class Explorer(Result):
    """The state of an exploration and, with ipywidgets, its widget (:attr:`widget`).

    Use :meth:`set` to move the controls from code; :attr:`map_svg`, :attr:`node_count`,
    :attr:`highlighted` and :attr:`graph` describe the map currently shown.
    """

    def __init__(
        self,
        log: EventLog,
        *,
        activities: float | None = None,
        paths: float | None = None,
        metric: str = "frequency",
        time: str = "elapsed",
        calendar: Any = None,
        findings: Any = None,
        min_cases: int = MIN_CASES,
        language: str = "en",
    ) -> None:
        if not isinstance(log, EventLog):
            raise fail("explore", "log", "a procmine EventLog (procmine.read_log(...))", log)
        check_positive_int("explore", "min_cases", min_cases)
        self.log = log
        self.min_cases = int(min_cases)
        from .i18n import check_language

        self.language = check_language(language, "explore")
        self._calendar = calendar
        if findings is None:
            from .redundancy import find_redundancies

            findings = find_redundancies(log, calendar=calendar)
        self.findings = findings
        self._state: dict[str, Any] = {
            "activities": None, "paths": None, "metric": "frequency", "time": "elapsed",
            "variant": None, "finding": None, "period": None, "group": None,
        }
        self._slices: dict[Any, _Slice] = {}
        self._aggregates: dict[Any, tuple[np.ndarray, ...]] = {}
        self._maps: dict[Any, tuple[str, MapGraph, dict[str, str]]] = {}
        self._group_values: dict[str, list[str]] = {}
        self._group_code_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._group_columns: list[str] | None = None
        self._full_clocks: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._act_case_pairs: tuple[np.ndarray, np.ndarray] | None = None
        self.widget: Any = None
        self._controls: dict[str, Any] = {}
        self._syncing = False
        self._apply(dict(activities=activities, paths=paths, metric=metric, time=time))
        self._draw()
        try:
            self._build_widget()
        except ImportError:  # no ipywidgets: the static explorer, same API
            logger.info("ipywidgets is not installed: explore() shows a static map")
            self.widget = None
        self._sync_widget()

    # -- public state --------------------------------------------------------------------------
    def set(self, **changes: Any) -> Explorer:
        """Move controls from code, exactly as in the widget; returns ``self``.

        Keywords: ``activities``, ``paths`` (shares in (0, 1] or ``None``), ``metric``
        (``"frequency"``/``"time"``), ``time`` (``"elapsed"``/``"working"``), ``variant``
        (rank in :attr:`variants`, 0 = most frequent, or ``None``), ``finding`` (index in
        :attr:`findings` or ``None``), ``period`` (``(start, end)``: the cases with an
        event in it; a date as end includes its whole day; or ``None``), ``group``
        (``(column, value)``: the cases with an event of that value, or ``None``).
        Changing a filter clears the selected variant (variants belong to the filtered
        log); the findings are those of the whole log.

        Examples
        --------
        >>> import procmine as pm
        >>> ex = pm.explore(pm.samples.load("permit_de"))
        >>> ex.set(metric="time", variant=0).highlighted != ()
        True
        """
        self._apply(changes)
        self._draw()
        self._sync_widget()
        return self

    @property
    def state(self) -> dict[str, Any]:
        """The current position of every control (a copy)."""
        return dict(self._state)

    @property
    def map_svg(self) -> str:
        """The SVG of the map currently shown."""
        return self._current[0]

    @property
    def graph(self) -> MapGraph:
        """The nodes and edges of the map currently shown."""
        return self._current[1]

    @property
    def node_count(self) -> int:
        """Number of activities on the current map (start and end not counted)."""
        return len(self._current[1].nodes)

    @property
    def highlighted(self) -> tuple[str, ...]:
        """The activities highlighted on the current map (selected variant or finding)."""
        shown = set(self._current[1].nodes["name"])
        return tuple(a for a in self._current[2] if a in shown)

    def to_frame(self) -> pd.DataFrame:
        """The paths on the current map: ``source``, ``target`` (activity names; start
        and end as ``▶ start``/``■ end``), ``count`` and the median wait.

        As the rest of procmine shows working time: with ``time="working"`` (under a
        working-time calendar) the wait is ``median_working_h``, a float of working hours
        (never a ``Timedelta``, whose "1 day" would be three office days), and
        ``frame.attrs`` names the ``calendar`` and its ``day_hours``; in elapsed time
        (``time="elapsed"`` or ``Calendar.always()``) it is ``median``, a ``Timedelta``.

        Examples
        --------
        >>> import procmine as pm
        >>> ex = pm.explore(pm.samples.load("permit_de"))
        >>> list(ex.to_frame().columns)
        ['source', 'target', 'count', 'median']
        >>> list(ex.set(metric="time", time="working").to_frame().columns)
        ['source', 'target', 'count', 'median_working_h']
        """
        from .calendar import Calendar

        frame = self.graph.edge_frame()
        cal = self._cal() if self._state["time"] == "working" else Calendar.always()
        if not cal.is_elapsed:
            frame["median"] = frame["median"].dt.total_seconds() / 3600
            frame = frame.rename(columns={"median": "median_working_h"})
        frame.attrs.update({"calendar": repr(cal), "day_hours": cal.day_hours})
        return frame

    def _cal(self) -> Any:
        """The calendar of working time (``Calendar()`` unless the caller gave one)."""
        from .calendar import Calendar

        return self._calendar if self._calendar is not None else Calendar()

    @property
    def variants(self) -> pd.DataFrame:
        """The variants of the filtered log seen in at least ``min_cases`` cases."""
        v = self._slice().variants
        return v[v["cases"] >= self.min_cases].head(_MAX_VARIANTS).reset_index(drop=True)

    @property
    def filtered_log(self) -> EventLog:
        """The log after the period and group filters, with all its columns."""
        from .filtering import _take

        keep, description = self._case_mask(self._state["period"], self._state["group"])
        return self.log if keep is None else _take(self.log, keep[self.log.codes.case], description)

    def group_columns(self) -> list[str]:
        """Columns offered as group filters: org units and case attributes with few values."""
        if self._group_columns is None:
            self._group_columns = _group_columns(self.log)
        return list(self._group_columns)

    def group_values(self, column: str) -> list[str]:
        """Values of ``column`` seen in at least ``min_cases`` cases (most cases first)."""
        if column not in self._group_values:
            codes, values = self._group_codes(column)
            c = self.log.codes
            ok = codes >= 0
            per = distinct_per_group(codes[ok], c.case[ok], len(values), c.n_cases)
            order = np.argsort(-per, kind="stable")  # most cases first; ties in value order
            self._group_values[column] = [str(values[i]) for i in order if per[i] >= self.min_cases]
        return list(self._group_values[column])

    def _group_codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(code per event, -1 where missing; the sorted values as text) of a group
        column, computed once: a group filter is then one comparison of integers."""
        if column not in self._group_code_cache:
            df = self.log.df
            if column not in df.columns:
                columns = ", ".join(self.group_columns())
                raise fail("Explorer.set", "group", f"a (column, value) with a column of the log ({columns})", column)
            codes, values = pd.factorize(df[column].astype("string"), sort=True)
            self._group_code_cache[column] = (codes.astype(np.int32, copy=False), np.asarray(values, dtype=object))
        return self._group_code_cache[column]

    # -- display -----------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self._repr_html_()}
        if self.widget is not None:
            bundle.update(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
            bundle["text/html"] = self._repr_html_()  # static copy for viewers without widgets
        return bundle

    def _repr_html_(self) -> str:
        return _static_html(self)

    def summary(self) -> dict[str, Any]:
        """The map shown (activities and paths of all) and the controls' state."""
        g = self.graph.shown
        return {
            "activities shown": f"{g['activities']}/{g['activities_total']}",
            "paths shown": f"{g['paths']}/{g['paths_total']}",
            "cases": self._slice().log.n_cases,
            **{k: str(v) for k, v in self._state.items()},
        }

    def _repr_parts(self) -> tuple[str, list[str]]:
        s = self._state
        g = self.graph.shown
        facts = [
            f"{g['activities']}/{g['activities_total']} activities, {g['paths']}/{g['paths_total']} paths",
            f"{self._slice().n_cases:,} cases",
            f"metric={s['metric']}, time={s['time']}, variant={s['variant']}, finding={s['finding']}, "
            f"period={s['period']}, group={s['group']}",
        ]
        if self.widget is None:  # said before the controls: a long state may be cut
            facts.insert(0, _note(self.language))
        return repr(self.log.name), facts

    def _draw_on(self, ax: Any) -> None:
        """The current map (its filters, sliders and highlights) drawn with matplotlib."""
        from .viz._draw import _draw

        _draw(self.graph, ax, self.log.name)

    # -- state changes -------------------------------------------------------------------------
    def _apply(self, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - set(self._state)
        if unknown:
            raise fail("Explorer.set", "changes", f"controls among {sorted(self._state)} (unknown control(s) "
                       f"{sorted(unknown)})", sorted(unknown))
        new = dict(self._state)
        for key, value in changes.items():
            if key in ("activities", "paths"):
                new[key] = _check_slider(key, value)
            elif key == "metric":
                new[key] = check_choice("Explorer.set", "metric", value, ("frequency", "time"))
            elif key == "time":
                new[key] = check_choice("Explorer.set", "time", value, ("elapsed", "working"))
            elif key == "period":
                new[key] = _period(value)
            elif key == "group":
                new[key] = self._check_group(value)
            elif key == "finding":
                new[key] = _index("finding", value, len(self.findings))
            else:
                new[key] = value
        if ("period" in changes or "group" in changes) and "variant" not in changes:
            new["variant"] = None  # variant ranks belong to the filtered log
        old, self._state = self._state, new
        if "variant" in changes or new["variant"] != old["variant"]:
            try:
                new["variant"] = _index("variant", new["variant"], len(self.variants))
            except ParameterError:
                self._state = old
                raise

    def _check_group(self, value: Any) -> tuple[str, str] | None:
        if value is None:
            return None
        if not (isinstance(value, tuple | list) and len(value) == 2):
            raise fail("Explorer.set", "group", "None or a (column, value) pair", value)
        column, val = str(value[0]), str(value[1])
        if val not in self.group_values(column):
            raise fail(
                "Explorer.set", "group",
                f"a value of {column!r} seen in at least {self.min_cases} cases", val,
            )
        return column, val

    # -- computing ---------------------------------------------------------------------------
    def _slice(self) -> _Slice:
        key = (self._state["period"], self._state["group"])
        if key not in self._slices:
            _bounded(self._slices, _KEEP_SLICES)
            self._slices[key] = self._make_slice(*key)
        return self._slices[key]

    def _make_slice(self, period: tuple[pd.Timestamp, pd.Timestamp] | None, group: tuple[str, str] | None) -> _Slice:
        from ._core.dfg import compute_variants

        keep, _description = self._case_mask(period, group)
        if keep is None:
            c, rows = self.log.codes, None
        else:  # the sub-log's codes straight from the whole log's: no frame, no strings
            c, rows = _sub_codes(self.log.codes, keep)
        events = np.bincount(c.activity, minlength=c.n_activities)
        private = self._activity_cases(keep, c.n_activities) < self.min_cases
        variants = compute_variants(_CodesOnly(c))  # type: ignore[arg-type]  # reads .codes only
        return _Slice(codes=c, rows=rows, events=events, private=private, variants=variants, clocks={})

    def _activity_cases(self, keep: np.ndarray | None, n_activities: int) -> np.ndarray:
        """Distinct cases per activity of the cases ``keep`` marks (in the sub-log's codes):
        the whole log's distinct (activity, case) pairs are found once (one sort), a filter
        counts the pairs of its cases."""
        if self._act_case_pairs is None:
            c = self.log.codes
            n = max(c.n_cases, 1)
            comb = c.activity.astype(np.int64) * n + c.case
            comb.sort()  # one sort, then neighbours (np.unique hashes, far slower here)
            if len(comb):
                comb = comb[np.concatenate(([True], comb[1:] != comb[:-1]))]
            self._act_case_pairs = ((comb // n).astype(np.int32), (comb % n).astype(np.int32))
        act, case = self._act_case_pairs
        if keep is None:
            return np.bincount(act, minlength=n_activities)
        per = np.bincount(act[keep[case]], minlength=self.log.codes.n_activities)
        return per[per > 0] if n_activities < len(per) else per  # the sub-log's activities only

    def _case_mask(
        self, period: tuple[pd.Timestamp, pd.Timestamp] | None, group: tuple[str, str] | None
    ) -> tuple[np.ndarray | None, str]:
        """Cases the filters keep (``None``: all) and what was filtered.

        A case is kept when one of its events has the group's value, and one of its
        events (its end time) falls in the period, as ``EventLog.filter(start=..., end=...,
        mode="intersecting")``."""
        c = self.log.codes
        keep: np.ndarray | None = None
        parts = []
        if group is not None:
            column, value = group
            codes, values = self._group_codes(column)
            keep = np.zeros(c.n_cases, dtype=bool)
            hit = np.flatnonzero(values == value)
            if len(hit):
                keep[c.case[codes == hit[0]]] = True
            parts.append(f"cases with {column} = {value}")
        if period is not None:
            lo, hi = (t.value // 1000 for t in period)
            inside = (c.ts >= lo) & (c.ts <= hi)
            in_period = np.zeros(c.n_cases, dtype=bool)
            in_period[c.case[inside]] = True
            keep = in_period if keep is None else keep & in_period
            parts.append(f"cases with an event in {period[0]} – {period[1]}")
        if keep is None:
            return None, ""
        return keep, "explore: " + "; ".join(parts)

    def _clock(self, sl: _Slice, time: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Per event: the clock at its end and at its start (µs; working µs from a common
        origin for working time), so a wait is one subtraction. An event's clock does not
        depend on the filters: computed once on the whole log, a filter gathers its rows."""
        if time not in sl.clocks:
            if time == "elapsed":
                sl.clocks[time] = (sl.codes.ts, sl.codes.start_ts)
            else:
                end, start = self._whole_clock(time)
                if sl.rows is not None:
                    end, start = end[sl.rows], None if start is None else start[sl.rows]
                sl.clocks[time] = (end, start)
        return sl.clocks[time]

    def _whole_clock(self, time: str) -> tuple[np.ndarray, np.ndarray | None]:
        if time not in self._full_clocks:
            c = self.log.codes
            cal = self._cal()
            if c.start_ts is None:
                self._full_clocks[time] = (cal.cumulative(c.ts)[0], None)
            else:
                end, start = cal.cumulative(c.ts, c.start_ts)
                self._full_clocks[time] = (end, start)
        return self._full_clocks[time]

    def _aggregate(self, sl: _Slice, is_kept: np.ndarray, time: str) -> tuple[np.ndarray, ...]:
        """(keys, counts, median wait µs, distinct cases) of the paths between the kept
        activities, as :func:`procmine.viz.map_graph` defines them (hidden steps bypassed)."""
        key = (self._state["period"], self._state["group"], is_kept.tobytes(), time)
        if key in self._aggregates:
            return self._aggregates[key]
        end_clock, start_clock = self._clock(sl, time)
        keys, counts, med, edge_cases = map_paths(sl.codes, is_kept, end_clock, start_clock)
        _bounded(self._aggregates, _KEEP_AGGREGATES)
        self._aggregates[key] = (keys, counts, med, edge_cases)
        return self._aggregates[key]

    def _highlight(self, sl: _Slice) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """{activity: note} to frame, and the variant's transitions to draw in orange."""
        notes: dict[str, str] = {}
        path: list[tuple[str, str]] = []
        s = self._state
        if s["finding"] is not None:
            f = self.findings[s["finding"]]
            for a in f.activities:
                notes[a] = f.kind
        if s["variant"] is not None:
            v = tuple(self.variants["variant"].iloc[s["variant"]])
            label = f"{_tr('variant', self.language)} {s['variant'] + 1}"
            for a in v:
                notes[a] = f"{notes[a]}, {label}" if a in notes and label not in notes[a] else notes.get(a, label)
            steps = ["start", *v, "end"]
            path = list(dict.fromkeys(pairwise(steps)))
        return notes, path

    def _draw(self) -> None:
        s = self._state
        key = tuple(s[k] for k in ("activities", "paths", "metric", "time", "variant", "finding", "period", "group"))
        if key in self._maps:
            self._current = self._maps[key]
            return
        sl = self._slice()
        c = sl.codes
        notes, path = self._highlight(sl)
        is_kept, n_keep = _kept_activities(sl.events, c.activity_names, s["activities"], tuple(notes), sl.private)
        keys, counts, med, edge_cases = self._aggregate(sl, is_kept, s["time"])
        graph = _assemble_graph(
            names=c.activity_names, labels=c.activity_names, events=sl.events, is_kept=is_kept,
            n_keep=n_keep, keys=keys, counts=counts, med=med, metric=s["metric"], path_share=s["paths"],
            edge_cases=edge_cases, min_cases=self.min_cases, private=sl.private,
        )
        svg = _render(graph, self._caption(sl, graph), notes, path)
        _bounded(self._maps, _KEEP_MAPS)
        self._current = self._maps[key] = (svg, graph, notes)

    def _caption(self, sl: _Slice, graph: MapGraph) -> str:
        from .viz import map_caption

        text = map_caption(self.log.name, sl.codes.start_ts is not None, graph)
        s = self._state
        if s["metric"] == "time" and s["time"] == "working":
            from .i18n import calendar_note

            cal = self._cal()
            text += f"\n{_tr('working time', self.language)}: {calendar_note(cal, self.language)}"
        if s["period"] is not None or s["group"] is not None:
            text += "\n" + _filter_line(s, sl.n_cases, self.language)
        return text

    # -- the widget ----------------------------------------------------------------------------
    def _build_widget(self) -> None:
        import ipywidgets as w  # ImportError: static explorer

        sl = self._slice()
        g = self.graph.shown
        c: dict[str, Any] = {}
        style = {"description_width": "initial"}
        c["activities"] = w.FloatSlider(
            value=round(max(g["events_share"], 0.05), 2), min=0.05, max=1.0, step=0.05,
            description=_tr("Activities", self.language), continuous_update=False, readout_format=".0%", style=style,
        )
        c["paths"] = w.FloatSlider(
            value=round(max(g["transitions_share"], 0.05), 2), min=0.05, max=1.0, step=0.05,
            description=_tr("Paths", self.language), continuous_update=False, readout_format=".0%", style=style,
        )
        c["metric"] = w.ToggleButtons(options=[(_tr("frequency", self.language), "frequency"), (_tr("time", self.language), "time")], value="frequency")
        c["time"] = w.ToggleButtons(options=[(_tr("elapsed time", self.language), "elapsed"), (_tr("working time", self.language), "working")], value="elapsed")
        months = _months(self.log)
        c["period"] = w.SelectionRangeSlider(
            options=[(m.strftime("%Y-%m"), m) for m in months], index=(0, len(months) - 1),
            description=_tr("Period", self.language), continuous_update=False, style=style, layout=w.Layout(width="420px"),
        ) if len(months) > 1 else w.HTML()
        columns = self.group_columns()
        c["group_column"] = w.Dropdown(options=[(_tr("all cases", self.language), "")] + [(col, col) for col in columns],
                                       value="", description=_tr("Group", self.language), style=style)
        c["group_value"] = w.Dropdown(options=[], disabled=True)
        c["variant"] = w.Select(options=[], rows=8, description=_tr("Variants", self.language), style=style, layout=w.Layout(width="100%"))
        c["finding"] = w.Select(
            options=[("–", None)] + [(_finding_label(f, i), i) for i, f in enumerate(self.findings)],
            rows=8, description=_tr("Findings", self.language), style=style, layout=w.Layout(width="100%"),
        )
        c["map"] = w.HTML(layout=w.Layout(overflow="auto", max_height="900px", flex="3 1 0%"))
        c["evidence"] = w.HTML()
        c["status"] = w.HTML()
        self._controls = c
        del sl

        def on(name: str, convert: Any = None) -> None:
            def handler(change: dict[str, Any]) -> None:
                if self._syncing:
                    return
                value = change["new"] if convert is None else convert(change["new"])
                try:
                    self.set(**{name: value})
                except Exception as exc:  # shown, not raised into the front end's log
                    c["status"].value = f"<span style='color:#b30000'>{html.escape(str(exc))}</span>"
            return handler

        for name in ("activities", "paths", "metric", "time", "variant", "finding"):
            c[name].observe(on(name), names="value")
        if len(months) > 1:
            c["period"].observe(on("period", lambda v: _month_period(v, months)), names="value")

        def on_column(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            col = change["new"]
            self._syncing = True
            try:
                c["group_value"].options = [(v, v) for v in self.group_values(col)] if col else []
                c["group_value"].value = None
                c["group_value"].disabled = not col
            finally:
                self._syncing = False
            if not col:
                self.set(group=None)

        c["group_column"].observe(on_column, names="value")
        c["group_value"].observe(
            on("group", lambda v: (c["group_column"].value, v) if v is not None else None), names="value"
        )
        controls = w.VBox([
            w.HBox([c["activities"], c["paths"]]),
            w.HBox([c["metric"], c["time"]]),
            w.HBox([c["period"], c["group_column"], c["group_value"]]),
        ])
        side = w.VBox([c["variant"], c["finding"], c["evidence"]], layout=w.Layout(flex="2 1 0%", min_width="280px"))
        self.widget = w.VBox([controls, w.HBox([c["map"], side]), c["status"]])

    def _t(self, msgid: str) -> str:
        return _tr(msgid, self.language)

    def _sync_widget(self) -> None:
        """Show the current state in the controls (without firing their handlers)."""
        if self.widget is None:
            return
        c, s = self._controls, self._state
        self._syncing = True
        try:
            g = self.graph.shown
            c["activities"].value = s["activities"] if s["activities"] is not None else max(round(g["events_share"], 2), 0.05)
            c["paths"].value = s["paths"] if s["paths"] is not None else max(round(g["transitions_share"], 2), 0.05)
            c["metric"].value = s["metric"]
            c["time"].value = s["time"]
            c["time"].disabled = s["metric"] != "time"
            v = self.variants
            c["variant"].options = [("–", None)] + [(_variant_label(row, i), i) for i, row in enumerate(v.itertuples(index=False))]
            c["variant"].value = s["variant"]
            c["finding"].value = s["finding"]
            if s["group"] is not None:
                col, val = s["group"]
                c["group_column"].value = col
                c["group_value"].options = [(x, x) for x in self.group_values(col)]
                c["group_value"].disabled = False
                c["group_value"].value = val
            else:
                c["group_column"].value = ""
                c["group_value"].options = []
                c["group_value"].disabled = True
            if hasattr(c["period"], "options") and c["period"].options:
                c["period"].index = _month_index(s["period"], [m for _, m in c["period"].options])
            c["map"].value = _responsive(self.map_svg)
            c["evidence"].value = self._evidence_html()
            c["status"].value = html.escape(self._status())
        finally:
            self._syncing = False

    def _status(self) -> str:
        sl = self._slice()
        hidden = int((sl.variants["cases"] < self.min_cases).sum())
        text = f"{sl.n_cases:,} {_tr('cases', self.language)}, {len(sl.variants):,} {_tr('variants', self.language)}"
        if hidden:
            text += f" ({hidden:,} {_tr('seen in fewer cases than the privacy threshold, not listed', self.language)})"
        return text

    def _evidence_html(self) -> str:
        i = self._state["finding"]
        if i is None:
            return ""
        return _finding_html(self.findings[i], self.language, getattr(self.findings, "calendar", None))


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _tr(msgid: str, language: str) -> str:
    from .i18n import gettext  # babel: imported on first use, so ``import procmine`` stays light

    return gettext(msgid, language)


def _note(language: str) -> str:
    """The one-line note of the static explorer."""
    return _tr("interactive controls need ipywidgets in Jupyter", language)


def _bounded(cache: dict[Any, Any], size: int) -> None:
    """Make room for one more entry (insertion order: the oldest goes)."""
    while len(cache) >= size:
        cache.pop(next(iter(cache)))


def _render(graph: MapGraph, caption: str, notes: dict[str, str], path: list[tuple[str, str]]) -> str:
    """The map's SVG as :func:`procmine.viz.process_map` draws it, with the variant's
    transitions drawn bold orange (those the map prunes are added, dashed)."""
    from .viz._dot import _readable_titles, _run_dot, to_dot

    dot = to_dot(graph, title=caption, highlight=notes)
    if path:
        dot = _mark_path(dot, graph, path)
    try:
        return _readable_titles(_run_dot(dot), graph)
    except FileNotFoundError:
        import io

        from matplotlib.figure import Figure

        from .viz._dot import clean_svg
        from .viz._draw import _draw

        fig = Figure(figsize=(8, max(4, min(24, 1.1 * (len(graph.nodes) + 2)))))
        _draw(graph, fig.add_subplot(), caption)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        return clean_svg(buf.getvalue())


def _mark_path(dot: str, graph: MapGraph, path: list[tuple[str, str]]) -> str:
    ids = {str(n): f"a{int(c)}" for c, n in zip(graph.nodes["code"], graph.nodes["name"])}
    ids.update({"start": "start", "end": "end"})
    wanted = [(ids[a], ids[b]) for a, b in path if a in ids and b in ids]
    lines = dot.rstrip("\n").split("\n")
    found: set[tuple[str, str]] = set()
    for i, line in enumerate(lines):
        head = line.strip().split(" [", 1)[0]
        parts = head.split(" -> ")
        if len(parts) == 2 and (parts[0], parts[1]) in wanted:
            found.add((parts[0], parts[1]))
            lines[i] = line[: line.rindex("]")] + f', color="{_HIGHLIGHT}", fontcolor="{_HIGHLIGHT}", penwidth=4.0]'
    extra = [
        f'  {a} -> {b} [color="{_HIGHLIGHT}", penwidth=3.0, style="dashed", constraint=false];'
        for a, b in wanted if (a, b) not in found
    ]
    return "\n".join(lines[:-1] + extra + lines[-1:]) + "\n"


def _responsive(svg: str) -> str:
    return svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _period(value: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if value is None:
        return None
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise fail("Explorer.set", "period", "None or a (start, end) pair of dates", value)
    try:
        start, end = (pd.Timestamp(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise fail("Explorer.set", "period", "None or a (start, end) pair of dates", value) from exc
    start, end = (t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC") for t in (start, end))
    if end == end.normalize():  # a date: its whole day belongs to the period
        end = end + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    if end < start:
        raise fail("Explorer.set", "period", "a (start, end) pair with start before end", value)
    return start, end


def _index(name: str, value: Any, n: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < n:
        raise fail("Explorer.set", name, f"None or an index from 0 to {n - 1}" if n else "None (the list is empty)", value)
    return int(value)


def _months(log: EventLog) -> list[pd.Timestamp]:
    """Month starts covering the log (the period slider's stops)."""
    tr = log.time_range
    if tr is None:
        return []
    first = tr[0].tz_convert("UTC").tz_localize(None).to_period("M").to_timestamp()
    last = tr[1].tz_convert("UTC").tz_localize(None).to_period("M").to_timestamp()
    return [m.tz_localize("UTC") for m in pd.date_range(first, last, freq="MS")]


def _month_period(value: tuple[pd.Timestamp, pd.Timestamp], months: list[pd.Timestamp]) -> Any:
    start, last = value
    if start == months[0] and last == months[-1]:
        return None  # the whole log
    return start, last + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)


def _month_index(period: Any, months: list[pd.Timestamp]) -> tuple[int, int]:
    if period is None:
        return 0, len(months) - 1
    arr = pd.DatetimeIndex(months)
    lo = max(int(arr.searchsorted(period[0], side="right")) - 1, 0)
    hi = min(max(int(arr.searchsorted(period[1], side="right")) - 1, lo), len(months) - 1)
    return lo, hi


def _group_columns(log: EventLog) -> list[str]:
    """org:group and the text columns with few distinct values (resources excluded:
    they name people)."""
    from .log import ACTIVITY, CASE

    skip = {CASE, ACTIVITY, "org:resource", "lifecycle:transition", "time:timestamp", "start_timestamp"}
    out = []
    df = log.df
    for col in df.columns:
        if col in skip or pd.api.types.is_datetime64_any_dtype(df[col]) or pd.api.types.is_float_dtype(df[col]):
            continue
        if pd.api.types.is_bool_dtype(df[col]):
            continue
        n = df[col].nunique(dropna=True)
        if 2 <= n <= _MAX_GROUP_VALUES:
            out.append(col)
    if "org:group" in out:
        out.insert(0, out.pop(out.index("org:group")))
    return out


def _short(variant: tuple, head: int = 3, tail: int = 1) -> str:
    if len(variant) <= head + tail + 1:
        return " → ".join(map(str, variant))
    return " → ".join(map(str, variant[:head])) + f" → … ({len(variant) - head - tail}) → " + " → ".join(
        map(str, variant[-tail:])
    )


def _variant_label(row: Any, i: int) -> str:
    return f"{i + 1}. {row.share:.0%} ({row.cases:,}) {_short(tuple(row.variant))}"


def _finding_label(f: Any, i: int) -> str:
    return f"{i + 1}. {f.kind}: {' → '.join(f.activities)} ({f.cases:,})"


def _filter_line(state: dict[str, Any], n_cases: int, language: str) -> str:
    parts = []
    if state["period"] is not None:
        a, b = state["period"]
        parts.append(f"{a:%Y-%m-%d} – {b:%Y-%m-%d}")
    if state["group"] is not None:
        parts.append(f"{state['group'][0]} = {state['group'][1]}")
    return f"{_tr('filtered', language)}: {'; '.join(parts)} ({n_cases:,} {_tr('cases', language)})"


def _finding_html(f: Any, language: str, calendar: Any) -> str:
    from .redundancy._finding import _fmt_td, _fmt_value

    rows = [
        (html.escape(_tr("cases", language)), f"{f.cases:,} ({f.case_share:.0%})"),
        (html.escape(_tr("saving per case", language)), _fmt_td(f.saving_per_case, language, calendar)),
        (html.escape(_tr("total saving", language)), _fmt_td(f.total_saving, language, calendar)),
        (html.escape(_tr("confidence", language)), f"{f.confidence:.2f}"),
    ]
    if f.org_units:
        rows.append((html.escape(_tr("org units", language)), ", ".join(f.org_units)))
    rows += [(html.escape(str(k)), _fmt_value(v, calendar)) for k, v in f.evidence.items()]
    body = "".join(f"<tr><td>{k}</td><td style='text-align:right'>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        f"<div><b>{html.escape(f.kind)}: {html.escape(' → '.join(f.activities))}</b>"
        f"<p>{html.escape(f.text(language))}</p><b>{html.escape(_tr('evidence', language))}</b><table>{body}</table></div>"
    )


def _static_html(ex: Explorer) -> str:
    """The explorer without widgets: the map, the variants, the findings and a note."""
    language = ex.language
    v = ex.variants.head(10)
    vrows = "".join(
        f"<tr><td>{i + 1}</td><td style='text-align:right'>{r.cases:,}</td><td style='text-align:right'>{r.share:.0%}</td>"
        f"<td>{html.escape(_short(tuple(r.variant), 6, 2))}</td></tr>"
        for i, r in enumerate(v.itertuples(index=False))
    )
    frows = "".join(
        f"<tr><td>{i + 1}</td><td>{html.escape(f.kind)}</td><td>{html.escape(' → '.join(f.activities))}</td>"
        f"<td style='text-align:right'>{f.cases:,}</td><td>{html.escape(f.text(ex.language))}</td></tr>"
        for i, f in enumerate(list(ex.findings)[:10])
    )
    note = "" if ex.widget is not None else f"<p><i>{html.escape(_note(language))}</i></p>"
    cases = html.escape(_tr("cases", language))
    variants = html.escape(_tr("Variants", language))
    findings = html.escape(_tr("Findings", language))
    return (
        f"<div>{note}<div style='overflow:auto'>{_responsive(ex.map_svg)}</div>"
        f"<p>{html.escape(ex._status())}</p>"
        f"<b>{variants}</b><table><tr><th>#</th><th>{cases}</th><th>%</th><th></th></tr>{vrows}</table>"
        f"<b>{findings}</b><table><tr><th>#</th><th></th><th></th><th>{cases}</th><th></th></tr>{frows}</table>"
        f"{ex._evidence_html()}</div>"
    )
