"""What-if simplification: :func:`simplify` and its result :class:`WhatIf`.

``simplify(log, remove=[...], merge=[...], parallelize=[...])`` builds the event log the
procedure would produce without the removed steps, with merged steps as one and
parallelised steps overlapping, and compares the key figures before and after.

The estimation model, its assumptions and limits are in :func:`simplify`'s docstring and
``docs/whatif.md`` (with the validation figures).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._whatif_edits import (
    _keep_order,
    _later_shift,
    _merge,
    _move,
    _parallelize,
    _prev_end,
    _remove,
    _saved,
    _with_times,
)
from ._whatif_kpis import _DURATION_KPIS, kpis
from .engines.duckdb import as_eventlog
from .errors import ParameterError
from .log import EventLog

__all__ = ["WhatIf", "simplify"]


@dataclass
class WhatIf:
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

    def _describe_changes(self) -> str:
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

    def __repr__(self) -> str:
        b, a = self.before["median_case_duration"], self.after["median_case_duration"]
        pct = f" ({(a - b) / b:+.0%})" if b != pd.Timedelta(0) else ""
        return (
            f"<WhatIf {self._describe_changes()}: median case duration {_fmt(b)} → {_fmt(a)}{pct}, "
            f"events/case {self.before['events_per_case']:.1f} → {self.after['events_per_case']:.1f}, "
            f"{self.after['cases']:,} cases>"
        )

    def _repr_html_(self) -> str:
        d = self.delta()
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(str(r['kpi']))}</td>"
            f"<td style='text-align:right'>{html.escape(_fmt(r['before']))}</td>"
            f"<td style='text-align:right'>{html.escape(_fmt(r['after']))}</td>"
            f"<td style='text-align:right'>{html.escape(_fmt(r['change']))}</td>"
            f"<td style='text-align:right'>{_pct(r['change %'])}</td>"
            "</tr>"
            for _, r in d.iterrows()
        )
        head = "".join(f"<th>{h}</th>" for h in ("KPI", "before", "after", "change", "change %"))
        return (
            f"<div><strong>What-if: {html.escape(self._describe_changes())}</strong>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        )

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of the case-duration KPIs before and after (days); returns the axes."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(6, 3)).add_subplot()
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


def _pct(v: float) -> str:
    return "" if pd.isna(v) else f"{v:+.1f} %"


def _fmt(v: Any) -> str:
    if isinstance(v, pd.Timedelta):
        h = v.total_seconds() / 3600
        return f"{h:.1f} h" if abs(h) < 48 else f"{h / 24:.1f} d"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


# -- the transformation --------------------------------------------------------------------------
def simplify(
    log: EventLog,
    *,
    remove: Iterable[str] | str = (),
    merge: Iterable[Sequence[str]] = (),
    parallelize: Iterable[Sequence[str]] = (),
    calendar: Any = None,
    complete_at_intake: Iterable[str] | str = (),
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
      waiting plus processing). All later events of the case move earlier by that amount.
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
    log = as_eventlog(log, "simplify")  # DuckLog: load it (or refuse)
    if not isinstance(log, EventLog):
        raise ParameterError(
            f"The 'log' parameter of simplify must be a procmine.EventLog. Got {type(log).__name__} instead."
        )
    known = set(map(str, log.codes.activity_names))
    remove_l = [remove] if isinstance(remove, str) else [str(a) for a in remove]
    complete_l = [complete_at_intake] if isinstance(complete_at_intake, str) else [str(a) for a in complete_at_intake]
    _check_known("complete_at_intake", complete_l, known)
    merge_l = [_pair("merge", p, allow_name=True) for p in merge]
    par_l = [_pair("parallelize", p) for p in parallelize]
    _check_known("remove", remove_l, known)
    for p in merge_l:
        _check_known("merge", list(p[:2]), known)
    merged_names = {p[2] for p in merge_l}
    for p in par_l:
        _check_known("parallelize", list(p), known | merged_names)
    clash = set(remove_l) & {a for p in merge_l + par_l for a in p[:2]}
    if clash:
        raise ParameterError(
            f"simplify: {sorted(clash)} cannot be removed and merged/parallelised at the same time."
        )

    before = kpis(log, calendar)

    def derive(df: pd.DataFrame, *, sorted_: bool) -> EventLog:
        return EventLog(df, report=log.report, name=log.name, presorted=sorted_)

    new = derive(log.df, sorted_=True)
    if complete_l:  # like remove: order kept
        new = derive(_complete_at_intake(log, complete_l, calendar), sorted_=True)
    if remove_l:  # later events move earlier by at most the time since the earlier ones: order kept
        new = derive(_remove(new, remove_l, calendar), sorted_=True)
    for a, b, name in merge_l:
        new = derive(_merge(new, a, b, name), sorted_=True)
    for a, b in par_l:  # the two steps may swap: sort again
        new = derive(_parallelize(new, a, b, calendar), sorted_=False)
    after = kpis(new, calendar)
    changes = {
        "complete_at_intake": complete_l,
        "remove": remove_l,
        "merge": [list(p) for p in merge_l],
        "parallelize": [list(p) for p in par_l],
    }
    return WhatIf(before=before, after=after, log=new, changes=changes, calendar=calendar)


def _complete_at_intake(log: EventLog, requests: list[str], calendar: Any) -> pd.DataFrame:
    """The log without the loops the request steps ``requests`` open (see :func:`simplify`)."""
    from .redundancy.incomplete_submission import request_loops, request_steps

    c = log.codes
    is_req, is_ext = request_steps(log, requests)
    loops = request_loops(log, is_req, is_ext, calendar)
    gone = loops.in_loop
    prev, has_prev = _prev_end(c)
    saved = np.where(gone & has_prev, _saved(prev, c.ts, calendar), 0)
    shift = _later_shift(c, saved)
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=gone)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    return _with_times(log.df, ts, start).loc[~gone].reset_index(drop=True)


def _pair(arg: str, p: Any, *, allow_name: bool = False) -> tuple[str, ...]:
    ok_len = (2, 3) if allow_name else (2,)
    if isinstance(p, str) or not isinstance(p, Sequence) or len(p) not in ok_len:
        want = "pairs (A, B) or triples (A, B, name)" if allow_name else "pairs (A, B)"
        raise ParameterError(
            f"The {arg!r} parameter of simplify must be a list of {want}. Got {p!r} instead."
        )
    a, b = str(p[0]), str(p[1])
    if a == b:
        raise ParameterError(f"simplify: {arg} needs two different activities; got ({a!r}, {b!r}).")
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
        raise ParameterError(
            f"simplify: unknown activit{'y' if len(bad) == 1 else 'ies'} {bad} in {arg!r}; "
            f"the log's activities are: {shown}. Check the spelling (see log.activities)."
        )
