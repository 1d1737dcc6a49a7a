"""The organisation view: who hands cases to whom, workload, and where each case's time goes.

:func:`handovers` builds the handover network between org units (``org:group``) or
resources (``org:resource``): a handover is two consecutive events of a case done by
different units. Times follow :mod:`procmine.performance` (working time under the
calendar; the time of a handover is the waiting time before the receiving event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._core.kernels import NAT, distinct_per_group, group_stats, unique_inverse
from ._core.validation import fail
from ._results import Result, new_axes
from .calendar import Calendar
from .engines import needs_events
from .log import GROUP, RESOURCE, EventLog
from .performance import _td, event_times

__all__ = ["Handovers", "handovers"]


@dataclass(frozen=True, eq=False, repr=False)
class Handovers(Result):
    """Handover network, workload and time share per org unit (or resource).

    Attributes
    ----------
    by
        The column the units come from (``org:group`` or ``org:resource``).
    edges
        One row per (``source``, ``target``) unit pair: ``count`` (handovers), ``cases``
        (distinct cases), ``median_waiting``/``mean_waiting`` (working time before the
        receiving event).
    workload
        Per unit: ``events``, ``cases``, ``working_time`` (time attributed to its events:
        previous completion → completion, see :attr:`time_share`; also as float
        ``working_hours``), ``processing_time``
        (start → completion, where start timestamps exist).
    time_share
        Per unit: ``cases`` involved, ``mean_share`` (mean over all cases of the share of
        the case's time spent in the unit) and ``mean_share_involved`` (over the cases
        the unit took part in). The time between the previous event's completion and an
        event's completion is attributed to the event's unit.
    calendar
        The calendar of the times.
    """

    by: str
    edges: pd.DataFrame
    workload: pd.DataFrame
    time_share: pd.DataFrame
    calendar: Calendar
    n_cases: int

    @property
    def graph(self) -> nx.DiGraph:
        """A networkx DiGraph: nodes are units (attributes ``events``, ``cases``,
        ``working_time``), edges carry ``count``, ``cases``, ``median_waiting``."""
        g = nx.DiGraph(by=self.by)
        for unit, row in self.workload.iterrows():
            g.add_node(
                unit, events=int(row["events"]), cases=int(row["cases"]), working_time=row["working_time"]
            )
        for row in self.edges.itertuples(index=False):
            g.add_edge(
                row.source,
                row.target,
                count=int(row.count),
                cases=int(row.cases),
                median_waiting=row.median_waiting,
            )
        return g

    def to_frame(self) -> pd.DataFrame:
        """The handover edges (one row per unit pair)."""
        return self.edges.copy()

    def summary(self) -> dict[str, Any]:
        """Units, unit pairs, handovers and cases."""
        return {
            "units": len(self.workload),
            "unit pairs": len(self.edges),
            "handovers": int(self.edges["count"].sum()) if len(self.edges) else 0,
            "cases": self.n_cases,
        }

    def _repr_parts(self) -> tuple[str, list[str]]:
        s = self.summary()
        return f"by {self.by!r}", [
            f"{s['units']:,} units, {s['unit pairs']:,} unit pairs, {s['handovers']:,} handovers in {s['cases']:,} cases"
        ]

    def plot(self, ax: Any = None, *, top: int = 30) -> Any:
        """Draw the handover network of the ``top`` most frequent pairs (edge width =
        count, node size = events) on ``ax`` (a new Figure's axes if None); returns the axes."""
        ax = new_axes(ax, (8, 6))
        edges = self.edges.head(top)
        g = nx.DiGraph()
        g.add_nodes_from(sorted(set(edges["source"]) | set(edges["target"])))
        g.add_weighted_edges_from(edges[["source", "target", "count"]].itertuples(index=False, name=None))
        if g.number_of_nodes():
            pos = nx.circular_layout(g)
            ev = self.workload["events"].reindex(list(g.nodes)).fillna(0).to_numpy(dtype=float)
            sizes = 300 + 1700 * ev / max(ev.max(), 1)
            widths = edges["count"].to_numpy(dtype=float)
            widths = 0.5 + 5 * widths / max(widths.max(), 1)
            nx.draw_networkx_nodes(g, pos, ax=ax, node_size=sizes, node_color="#9dc3e6")
            nx.draw_networkx_edges(
                g,
                pos,
                ax=ax,
                width=list(widths),
                arrows=True,
                alpha=0.6,
                connectionstyle="arc3,rad=0.1",
                edge_color="#555555",
            )
            ax.margins(0.2)
            nx.draw_networkx_labels(g, pos, ax=ax, labels={n: str(n)[:25] for n in g.nodes}, font_size=8)
        ax.set_title(f"Handovers between {self.by} (top {min(top, len(self.edges))} pairs)")
        ax.set_axis_off()
        return ax


@needs_events("handovers")  # a log outside memory is loaded (or refused)
def handovers(log: EventLog, *, by: str = GROUP, calendar: Calendar | None = None) -> Handovers:
    """Handover network between org units (or resources), workload and time share.

    Parameters
    ----------
    log
        The event log.
    by
        ``"org:group"`` (default) or ``"org:resource"``, or any other event column.
        Events without a value take part in no handover and in no unit's figures.
    calendar
        Working-time calendar (default: the Swiss office week; ``Calendar.always()``
        for elapsed time).

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": ["c1"] * 3,
    ...     "concept:name": ["receive", "check", "decide"],
    ...     "org:group": ["Registry", "Building office", "Registry"],
    ...     "time:timestamp": pd.to_datetime(["2024-03-05 08:00", "2024-03-05 10:00",
    ...         "2024-03-05 11:00"]).tz_localize("Europe/Zurich")})
    >>> h = pm.handovers(pm.EventLog(df))
    >>> h.edges[["source", "target", "count"]].values.tolist()
    [['Building office', 'Registry', 1], ['Registry', 'Building office', 1]]
    >>> h.time_share["mean_share"].round(2).to_dict()
    {'Building office': 0.67, 'Registry': 0.33}
    """
    if not isinstance(log, EventLog):
        raise fail("handovers", "log", "a procmine.EventLog", type(log).__name__)
    if by not in log.df.columns:
        known = [c for c in (GROUP, RESOURCE) if c in log.df.columns]
        raise fail("handovers", "by", f"a column with org units or resources ({known or 'none'} in this log; "
                   "read the log with read_log(..., org=..., resource=...) to map yours)", by)
    cal = Calendar() if calendar is None else calendar
    c = log.codes
    unit, names = pd.factorize(log.df[by], sort=True)
    unit = unit.astype(np.int64)
    names = np.asarray(names, dtype=object)
    t = event_times(log, cal)
    edges = _edges(unit, names, t, c)
    workload, time_share = _unit_tables(unit, names, t, c, by)
    return Handovers(
        by=by, edges=edges, workload=workload, time_share=time_share, calendar=cal, n_cases=c.n_cases
    )


def _edges(unit: np.ndarray, names: np.ndarray, t: Any, c: Any) -> pd.DataFrame:
    """Handovers: consecutive events of a case, both with a unit, of different units; per
    (source, target) unit pair the count, cases and waiting before the receiving event."""
    n_units = len(names)
    nxt = np.flatnonzero(~t.first)
    src, dst = unit[nxt - 1], unit[nxt]
    keep = (src >= 0) & (dst >= 0) & (src != dst)
    nxt, src, dst = nxt[keep], src[keep], dst[keep]
    key = src * max(n_units, 1) + dst
    keys, grp = unique_inverse(key, max(n_units, 1) ** 2)
    st = group_stats(grp, t.wait[nxt], len(keys))
    edges = pd.DataFrame(
        {
            "source": pd.Series(names[keys // max(n_units, 1)], dtype=object),
            "target": pd.Series(names[keys % max(n_units, 1)], dtype=object),
            "count": np.bincount(grp, minlength=len(keys)),
            "cases": distinct_per_group(grp, c.case[nxt], len(keys), c.n_cases),
            "median_waiting": _td(st["median"]),
            "mean_waiting": _td(st["mean"]),
        }
    )
    edges = edges.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    return edges


def _unit_tables(unit: np.ndarray, names: np.ndarray, t: Any, c: Any, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per unit: the workload (events, cases, working and processing time) and the share of
    each case's time spent in it."""
    n_units = len(names)
    has = unit >= 0
    u, cs = unit[has], c.case[has].astype(np.int64)
    delta = np.where(t.delta[has] == NAT, 0, t.delta[has])
    # (case, unit) pairs: the time of each case in each unit
    pair, inv = unique_inverse(cs * n_units + u, c.n_cases * max(n_units, 1))
    cases_per_unit = np.bincount(pair % max(n_units, 1), minlength=n_units)
    proc = group_stats(u, t.proc[has], n_units)
    workload = pd.DataFrame(
        {
            "events": np.bincount(u, minlength=n_units),
            "cases": cases_per_unit,
            "working_time": _td(np.bincount(u, weights=delta.astype(np.float64), minlength=n_units)),
            "working_hours": np.bincount(u, weights=delta.astype(np.float64), minlength=n_units) / 3.6e9,
            "processing_time": _td(np.where(proc["count"] > 0, proc["sum"], np.nan)),
        },
        index=pd.Index(names, name=by),
    ).sort_values("events", ascending=False, kind="stable")

    # time per (case, unit) / time per case (all events, with or without unit)
    all_delta = np.where(t.delta == NAT, 0, t.delta).astype(np.float64)
    case_total = np.bincount(c.case, weights=all_delta, minlength=c.n_cases)
    pair_time = np.bincount(inv, weights=delta.astype(np.float64), minlength=len(pair)).astype(np.float64)
    pair_case_code = pair // max(n_units, 1)
    pair_unit = pair % max(n_units, 1)
    denom = case_total[pair_case_code]
    share = np.divide(pair_time, denom, out=np.zeros_like(pair_time), where=denom > 0)
    timed_cases = int(np.count_nonzero(case_total > 0))
    share_sum = np.bincount(pair_unit, weights=np.where(denom > 0, share, 0.0), minlength=n_units)
    involved = np.bincount(pair_unit, weights=(denom > 0).astype(np.float64), minlength=n_units)
    time_share = pd.DataFrame(
        {
            "cases": cases_per_unit,
            "mean_share": share_sum / timed_cases if timed_cases else np.zeros(n_units),
            "mean_share_involved": np.divide(share_sum, involved, out=np.zeros(n_units), where=involved > 0),
        },
        index=pd.Index(names, name=by),
    ).sort_values("mean_share", ascending=False, kind="stable")
    time_share.attrs["n_cases_with_time"] = timed_cases
    return workload, time_share
