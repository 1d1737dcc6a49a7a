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

from .engines.duckdb import as_eventlog
from .errors import ParameterError
from .log import ACTIVITY, GROUP, RESOURCE, START, TIMESTAMP, TS_DTYPE, EventLog

__all__ = ["WhatIf", "simplify"]

_NAT = np.iinfo(np.int64).min
_DURATION_KPIS = ("median_case_duration", "mean_case_duration", "p90_case_duration")
_WORKING_KPIS = ("median_case_working_time", "mean_case_working_time", "p90_case_working_time")


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
        """One row per KPI: ``kpi``, ``before``, ``after``, ``change``, ``change %``."""
        rows = []
        for k, b in self.before.items():
            a = self.after.get(k)
            change = a - b if a is not None and b is not None else None
            if isinstance(b, pd.Timedelta):
                pct = change / b * 100 if b != pd.Timedelta(0) else np.nan
            else:
                pct = change / b * 100 if b else np.nan
            rows.append({"kpi": k, "before": b, "after": a, "change": change, "change %": float(pct)})
        return pd.DataFrame(rows, columns=["kpi", "before", "after", "change", "change %"])

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`delta`."""
        return self.delta()

    def _describe_changes(self) -> str:
        parts = []
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


# -- KPIs ----------------------------------------------------------------------------------------
def kpis(log: EventLog, calendar: Any = None) -> dict[str, Any]:
    """The what-if KPIs of ``log`` (see the module docstring)."""
    c = log.codes
    n = c.n_cases
    dur = log.case_durations()
    out: dict[str, Any] = {
        "median_case_duration": _q(dur, 0.5),
        "mean_case_duration": dur.mean() if n else pd.Timedelta(0),
        "p90_case_duration": _q(dur, 0.9),
        "events_per_case": log.n_events / n if n else 0.0,
        "handovers_per_case": _handovers(log) / n if n else 0.0,
        "cases": n,
    }
    if calendar is not None and n:
        first = c.ts[c.case_offsets[:-1]]
        if c.start_ts is not None:
            s0 = np.where(c.start_ts == _NAT, np.iinfo(np.int64).max, c.start_ts)
            first = np.minimum(first, np.minimum.reduceat(s0, c.case_offsets[:-1]))
        work = pd.Series(
            pd.to_timedelta(calendar.working_time(first, c.ts[c.case_offsets[1:] - 1]), unit="us")
        )
        out["median_case_working_time"] = _q(work, 0.5)
        out["mean_case_working_time"] = work.mean()
        out["p90_case_working_time"] = _q(work, 0.9)
    return out


def _q(s: pd.Series, q: float) -> pd.Timedelta:
    if len(s) == 0:
        return pd.Timedelta(0)
    us = np.quantile(s.to_numpy(dtype="timedelta64[us]").view(np.int64), q)
    return pd.Timedelta(round(float(us)), unit="us")


def _handovers(log: EventLog) -> int:
    df = log.df
    col = GROUP if GROUP in df.columns and df[GROUP].notna().any() else RESOURCE
    if col not in df.columns or log.n_events < 2:
        return 0
    s = df[col]
    nxt, prev = s.iloc[1:].reset_index(drop=True), s.iloc[:-1].reset_index(drop=True)
    changed = (
        nxt.ne(prev).fillna(False).to_numpy(dtype=bool) & nxt.notna().to_numpy() & prev.notna().to_numpy()
    )
    c = log.codes
    return int((changed & (c.case[1:] == c.case[:-1])).sum())


# -- the transformation --------------------------------------------------------------------------
def simplify(
    log: EventLog,
    *,
    remove: Iterable[str] | str = (),
    merge: Iterable[Sequence[str]] = (),
    parallelize: Iterable[Sequence[str]] = (),
    calendar: Any = None,
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

    Operations are applied in this order: remove, merge, parallelize.

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
    if remove_l:  # later events move earlier by at most the time since the earlier ones: order kept
        new = derive(_remove(log, remove_l, calendar), sorted_=True)
    for a, b, name in merge_l:
        new = derive(_merge(new, a, b, name), sorted_=True)
    for a, b in par_l:  # the two steps may swap: sort again
        new = derive(_parallelize(new, a, b, calendar), sorted_=False)
    after = kpis(new, calendar)
    changes = {
        "remove": remove_l,
        "merge": [list(p) for p in merge_l],
        "parallelize": [list(p) for p in par_l],
    }
    return WhatIf(before=before, after=after, log=new, changes=changes, calendar=calendar)


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


def _prev_end(c: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per event: completion of the previous event of the case, and whether there is one."""
    n = len(c.case)
    has_prev = np.zeros(n, dtype=bool)
    has_prev[1:] = c.case[1:] == c.case[:-1]
    prev = c.ts.copy()
    idx = np.flatnonzero(has_prev)
    prev[idx] = c.ts[idx - 1]
    return prev, has_prev


def _saved(a: np.ndarray, b: np.ndarray, calendar: Any) -> np.ndarray:
    """Time from ``a`` to ``b`` (µs): elapsed, or working time under ``calendar``."""
    if calendar is None:
        return np.maximum(b - a, 0)
    return np.maximum(np.asarray(calendar.working_time(a, b), dtype=np.int64), 0)


def _later_shift(c: Any, saved: np.ndarray) -> np.ndarray:
    """Per event: the sum of ``saved`` over the *earlier* events of the same case."""
    cs = np.cumsum(saved) - saved  # exclusive prefix sum over the whole log
    base = cs[c.case_offsets[:-1]]  # value at each case's first event
    return cs - base[c.case]


def _move(us: np.ndarray, shift: np.ndarray, calendar: Any) -> np.ndarray:
    """``us`` moved earlier by ``shift`` (elapsed, or working time under ``calendar``); NaT kept."""
    out = us.copy()
    sel = (shift != 0) & (us != _NAT)
    if not sel.any():
        return out
    if calendar is None:
        out[sel] = us[sel] - shift[sel]
    else:
        # the earliest instant at that working-time position (Friday 17:00 rather than
        # Monday 07:30): step back one microsecond further, then forward again
        back = np.asarray(calendar.add_working_time(us[sel], -shift[sel] - 1), dtype=np.int64)
        out[sel] = np.asarray(
            calendar.add_working_time(back, np.ones(len(back), dtype=np.int64)), dtype=np.int64
        )
    return out


def _keep_order(c: Any, ts: np.ndarray, calendar: Any, *, skip: np.ndarray) -> np.ndarray:
    """Under a calendar, an event moved onto an office-hour boundary may land before the
    previous event of its case when that one lies outside office hours (a night-time
    event): keep the case's events in order (``skip`` marks events exempt and ignored)."""
    if calendar is None or len(ts) == 0:
        return ts
    vals = np.where(skip, _NAT, ts)
    running = pd.Series(vals).groupby(c.case).cummax().to_numpy()
    return np.where(skip, ts, np.maximum(ts, running))


def _with_times(df: pd.DataFrame, ts: np.ndarray, start: np.ndarray | None) -> pd.DataFrame:
    df = df.copy()
    df[TIMESTAMP] = pd.DatetimeIndex(ts.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    if start is not None:
        # int64 min is NaT in numpy's datetime64
        df[START] = pd.DatetimeIndex(start.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    return df


def _remove(log: EventLog, names: list[str], calendar: Any) -> pd.DataFrame:
    c = log.codes
    codes = np.flatnonzero(np.isin(c.activity_names, names))
    gone = np.isin(c.activity, codes)
    prev, has_prev = _prev_end(c)
    saved = np.where(gone & has_prev, _saved(prev, c.ts, calendar), 0)
    shift = _later_shift(c, saved)
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=gone)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    df = _with_times(log.df, ts, start)
    return df.loc[~gone].reset_index(drop=True)


def _merge(log: EventLog, a: str, b: str, name: str) -> pd.DataFrame:
    c = log.codes
    names = list(map(str, c.activity_names))
    if a not in names or b not in names:
        return log.df
    ca, cb = names.index(a), names.index(b)
    n = len(c.case)
    first = np.zeros(n, dtype=bool)
    if n > 1:
        first[:-1] = (c.activity[:-1] == ca) & (c.activity[1:] == cb) & (c.case[1:] == c.case[:-1])
    idx = np.flatnonzero(first)
    if len(idx) == 0:
        return log.df
    df = log.df.copy()
    ts = c.ts.copy()
    ts[idx] = c.ts[idx + 1]
    df[TIMESTAMP] = pd.DatetimeIndex(ts.view("datetime64[us]")).tz_localize("UTC").astype(TS_DTYPE)
    act = df[ACTIVITY].astype(object).to_numpy(copy=True)
    act[idx] = name
    df[ACTIVITY] = pd.array(act, dtype=log.df[ACTIVITY].dtype)
    drop = np.zeros(n, dtype=bool)
    drop[idx + 1] = True
    return df.loc[~drop].reset_index(drop=True)


def _parallelize(log: EventLog, a: str, b: str, calendar: Any) -> pd.DataFrame:
    c = log.codes
    names = list(map(str, c.activity_names))
    if a not in names or b not in names:
        return log.df
    ca, cb = names.index(a), names.index(b)
    n = len(c.case)
    pair = np.zeros(n, dtype=bool)
    if n > 1:
        x, y = c.activity[:-1], c.activity[1:]
        pair[:-1] = (((x == ca) & (y == cb)) | ((x == cb) & (y == ca))) & (c.case[1:] == c.case[:-1])
    # non-overlapping: a pair cannot start on the second event of the previous pair
    idx = np.flatnonzero(pair)
    if len(idx) > 1:
        keep = np.ones(len(idx), dtype=bool)
        prev_taken = -2
        clash = np.flatnonzero(np.diff(idx) == 1)
        if len(clash):  # rare (A B A ...): resolve sequentially
            for k, i in enumerate(idx):
                if i == prev_taken + 1:
                    keep[k] = False
                else:
                    prev_taken = i
        idx = idx[keep]
    if len(idx) == 0:
        return log.df
    prev, has_prev = _prev_end(c)
    p = np.where(has_prev[idx], prev[idx], c.ts[idx])
    if c.start_ts is not None:  # the first event of a case starts at its own start, if known
        s = c.start_ts[idx]
        p = np.where(~has_prev[idx] & (s != _NAT) & (s <= c.ts[idx]), s, p)
    d1 = _saved(p, c.ts[idx], calendar)
    d2 = _saved(c.ts[idx], c.ts[idx + 1], calendar)
    saved = np.zeros(n, dtype=np.int64)
    saved[idx + 1] = np.minimum(d1, d2)
    shift = _later_shift(c, saved)
    shift[idx + 1] = d1  # the second one starts when the first one starts
    moved_second = np.zeros(n, dtype=bool)
    moved_second[idx + 1] = True
    ts = _keep_order(c, _move(c.ts, shift, calendar), calendar, skip=moved_second)
    start = _move(c.start_ts, shift, calendar) if c.start_ts is not None else None
    return _with_times(log.df, ts, start)
