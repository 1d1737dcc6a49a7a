"""The same procedure across communes, offices or periods, side by side.

:func:`compare` splits the *cases* of a log into groups and computes the same KPIs for
each: cases, events per case, variants, median and p90 duration (working and elapsed),
rework share, top-variant share; plus the directly-follows edges present in some groups
and not in others, and the best group per KPI. Groups with fewer than ``min_cases``
cases are suppressed: they appear nowhere, only their number is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.kernels import group_stats, unique_inverse
from .._core.validation import check_positive_int, fail
from .._results import Result, legacy_first_option, new_axes
from ..calendar import Calendar
from ..engines import needs_events
from ..log import GROUP, EventLog
from ..performance import _td, event_times
from ._cases import _case_labels, _dfg_pairs, _variant_per_case
from ._cases import _variant_ids as _variant_ids  # tests check it against the discovery path

__all__ = ["KPIS", "Comparison", "compare"]

#: KPI -> which direction is better ("lower", "higher", or None: no ranking)
KPIS: dict[str, str | None] = {
    "cases": None,
    "events_per_case": "lower",
    "variants": None,
    "median_duration": "lower",
    "p90_duration": "lower",
    "median_elapsed": "lower",
    "p90_elapsed": "lower",
    "rework_share": "lower",
    "top_variant_share": "higher",
}
_DURATION_KPIS = ("median_duration", "p90_duration", "median_elapsed", "p90_elapsed")


@dataclass(frozen=True, eq=False, repr=False)
class Comparison(Result):
    """KPIs per group of cases, the best group per KPI, and DFG differences.

    Attributes
    ----------
    by
        What the groups are (column name, ``"period:M"``... or the callable's name).
    kpis
        One row per group shown (index: group label), one column per KPI.
    suppressed
        Number of groups left out because they have fewer than ``min_cases`` cases.
    unassigned
        Number of cases without a group label (missing value), left out.
    assignment
        How cases were put in groups: ``"case attribute"`` (the column is constant within
        each case, or a period), ``"first event"`` (a callable: the first event's label)
        or ``"most working time"`` (an event-level column such as ``org:group``: each case
        counts for the unit that spent the most working time on it).
    """

    by: str
    kpis: pd.DataFrame
    suppressed: int
    unassigned: int
    min_cases: int
    calendar: Calendar
    _edges: pd.DataFrame
    assignment: str = "case attribute"

    def to_frame(self) -> pd.DataFrame:
        """The KPI table (one row per group)."""
        return self.kpis.copy()

    def best(self) -> pd.DataFrame:
        """Per ranked KPI: the best group, its value and the direction that counts as better
        (lower durations, events per case and rework; higher top-variant share). Tied
        groups are joined with ", "; when all groups are equal, ``best_group`` is None.
        The number of variants is not ranked: it grows with the number of cases."""
        rows = []
        for kpi in self.kpis.columns:
            direction = KPIS.get(kpi)
            col = self.kpis[kpi].dropna()
            if direction is None or col.empty:
                continue
            value = col.min() if direction == "lower" else col.max()
            if len(col) > 1 and col.min() == col.max():
                label = None  # all groups equal: no best one
            else:
                label = ", ".join(str(g) for g in col.index[col == value])
            rows.append((kpi, direction, label, value))
        return pd.DataFrame(rows, columns=["kpi", "better", "best_group", "value"])

    def dfg_edges(self) -> pd.DataFrame:
        """Every directly-follows edge with its count in each group shown."""
        return self._edges.copy()

    def dfg_differences(self) -> pd.DataFrame:
        """Edges present in some groups and absent in others: ``source``, ``target``,
        ``present_in`` (number of groups), ``absent_in`` (their labels) and one count
        column per group; most frequent first."""
        e = self._edges
        groups = [c for c in e.columns if c not in ("source", "target")]
        if not groups:
            return e.assign(present_in=0, absent_in="")
        counts = e[groups].to_numpy()
        present = (counts > 0).sum(axis=1)
        diff = present < len(groups)
        out = e.loc[diff, ["source", "target"]].copy()
        out["present_in"] = present[diff]
        names = np.array([str(g) for g in groups], dtype=object)
        absent = counts[diff] == 0
        out["absent_in"] = [", ".join(names[row]) for row in absent]  # one row per edge, not per event
        out = pd.concat([out, e.loc[diff, groups]], axis=1)
        total = counts[diff].sum(axis=1)
        return out.iloc[np.argsort(-total, kind="stable")].reset_index(drop=True)

    def summary(self) -> dict[str, Any]:
        """Groups shown and left out, and the best group per ranked KPI."""
        out: dict[str, Any] = {"groups": len(self.kpis), "suppressed": self.suppressed, "unassigned": self.unassigned}
        best = self.best()
        out.update({f"best {k}": g for k, g in zip(best["kpi"], best["best_group"])})
        return out

    def _repr_parts(self) -> tuple[str, list[str]]:
        facts = [f"{len(self.kpis):,} group(s)"]
        if self.suppressed:
            facts[0] += f", {self.suppressed} group(s) with fewer than {self.min_cases} cases suppressed"
        best = self.best()
        if "median_duration" in set(best["kpi"]):
            facts.append(f"shortest median duration: {best.set_index('kpi').loc['median_duration', 'best_group']}")
        return f"by {self.by!r}", facts

    def _html_notes(self) -> list[str]:
        if not self.suppressed:
            return []
        return [f"{self.suppressed} group(s) with fewer than {self.min_cases} cases are not shown."]

    def _working(self, kpi: str) -> bool:
        return kpi.endswith("_duration") and not self.calendar.is_elapsed

    def plot(self, ax: Any = None, *args: Any, kpi: str = "median_duration") -> Any:
        """Bar chart of one ``kpi`` per group (the best group highlighted) on ``ax`` (a new
        Figure's axes if None); returns the axes. (``plot("cases", ax)``, the old order,
        still works with a DeprecationWarning.)"""
        ax, kpi = legacy_first_option("Comparison.plot", "kpi", ax, args, kpi)
        if kpi not in self.kpis.columns:
            raise fail("Comparison.plot", "kpi", f"one of {list(self.kpis.columns)}", kpi)
        ax = new_axes(ax)
        values = self.kpis[kpi]
        label = kpi.replace("_", " ")
        if kpi in _DURATION_KPIS:
            values = values.dt.total_seconds() / 3600
            basis = "elapsed" if kpi.endswith("elapsed") or self.calendar.is_elapsed else "working"
            label += f" ({basis} hours)"
        values = values.astype(float)
        best = self.best().set_index("kpi")
        best_group = best.loc[kpi, "best_group"] if kpi in best.index else None
        colors = ["#70ad47" if g == best_group else "#4472c4" for g in values.index]
        ax.bar([str(g)[:25] for g in values.index], values.to_numpy(), color=colors)
        ax.set_ylabel(label)
        ax.set_title(f"{label} by {self.by}")
        if len(values) > 4:
            for tick in ax.get_xticklabels():
                tick.set_rotation(45)
                tick.set_horizontalalignment("right")
        return ax


# ---------------------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------------------
# over 80 lines by its docstring (56 lines, with an example); the code is 32 lines
@needs_events("compare")  # a log outside memory is loaded (or refused)
def compare(
    log: EventLog,
    by: str | Callable[[pd.DataFrame], Sequence[Any]] = GROUP,
    *,
    min_cases: int = 10,
    kpis: Sequence[str] | None = None,
    calendar: Calendar | None = None,
) -> Comparison:
    """Compare the same procedure across groups of cases.

    Parameters
    ----------
    log
        The event log.
    by
        What makes a group:

        * a column: a case attribute (``"Gemeinde"``; ``"case:Gemeinde"`` is found too)
          or an event column such as ``"org:group"``. For an event-level column (several
          units work on one case) a case belongs to its **owner**: the unit that spent
          the most working time on it (processing time with start times, else the time
          before each of its events' completion; ties: the unit that came first), not the
          unit that opened it (an intake portal would own every case).
          ``Comparison.assignment`` says which rule applied;
        * a callable taking ``log.df`` and returning one label per event (the first
          event's label counts);
        * ``"period:M"``, ``"period:Q"`` or ``"period:Y"``: the month, quarter or year
          in which the case started (local time of the calendar).

        Cases without a label are left out (counted in ``unassigned``).
    min_cases
        Groups with fewer cases are suppressed: not shown, not used for the best
        group or the DFG differences; only their number is reported.
    kpis
        The KPIs to compute, among :data:`KPIS` (default: all): ``cases``,
        ``events_per_case`` (mean), ``variants`` (distinct activity sequences),
        ``median_duration``/``p90_duration`` (working time under ``calendar``),
        ``median_elapsed``/``p90_elapsed``, ``rework_share`` (share of cases in which an
        activity is repeated; when the log has ``org:group``, only repetitions by the
        same unit count: the same activity by another unit is duplicate work, see
        :func:`procmine.find_redundancies`), ``top_variant_share`` (share of the
        group's cases that follow its most frequent variant).
    calendar
        Working-time calendar for the ``*_duration`` KPIs (default: the Swiss office
        week); the ``*_elapsed`` KPIs are always elapsed time.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import pandas as pd, procmine as pm
    >>> df = pd.DataFrame({"case:concept:name": ["a1", "a1", "b1", "b1", "b1"],
    ...     "concept:name": ["submit", "decide", "submit", "submit", "decide"],
    ...     "Gemeinde": ["Aarau", "Aarau", "Baden", "Baden", "Baden"],
    ...     "time:timestamp": pd.to_datetime(["2024-03-05 08:00", "2024-03-05 10:00",
    ...         "2024-03-05 08:00", "2024-03-05 09:00", "2024-03-06 08:00"], utc=True)})
    >>> cmp = pm.compare(pm.EventLog(df), by="Gemeinde", min_cases=1)
    >>> cmp.kpis["rework_share"].to_dict()
    {'Aarau': 0.0, 'Baden': 1.0}
    >>> cmp.best().set_index("kpi").loc["median_duration", "best_group"]
    'Aarau'
    """
    if not isinstance(log, EventLog):
        raise fail("compare", "log", "a procmine.EventLog", type(log).__name__)
    check_positive_int("compare", "min_cases", min_cases)
    wanted = list(KPIS) if kpis is None else list(kpis)
    unknown = [k for k in wanted if k not in KPIS]
    if unknown or not wanted:
        raise fail("compare", "kpis", f"a list drawn from {list(KPIS)}", kpis)
    cal = Calendar() if calendar is None else calendar
    t = event_times(log, cal)
    by_name, labels, assignment = _case_labels(log, by, cal, t.case_start, t)
    codes, names = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    g, names, suppressed = _kept_groups(codes, np.asarray(names, dtype=object), min_cases)
    table = _kpi_table(log, t, g, names, wanted)
    table.index = pd.Index(names, name=by_name)
    return Comparison(
        by=by_name,
        kpis=table,
        suppressed=suppressed,
        unassigned=int(np.count_nonzero(codes < 0)),
        min_cases=min_cases,
        calendar=cal,
        _edges=_edges_per_group(log, g, names),
        assignment=assignment,
    )


def _kept_groups(codes: np.ndarray, names: np.ndarray, min_cases: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``(group per case, renumbered 0..k-1 over the groups with at least min_cases cases, -1 =
    unassigned or suppressed; the kept groups' names; how many groups were suppressed)``."""
    codes = np.asarray(codes, dtype=np.int64)
    assigned = codes >= 0
    case_counts = np.bincount(codes[assigned], minlength=len(names))
    kept = case_counts >= min_cases
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[kept] = np.arange(int(kept.sum()))
    g = np.where(assigned, remap[np.maximum(codes, 0)], -1)
    return g, names[kept], int(np.count_nonzero(~kept))


def _kpi_table(log: EventLog, t: Any, g: np.ndarray, names: np.ndarray, wanted: list[str]) -> pd.DataFrame:
    """The ``wanted`` KPIs (columns, in :data:`KPIS` order) per kept group ``0..len(names)-1``."""
    c = log.codes
    k = len(names)
    sel = g >= 0
    gs = g[sel]
    cols: dict[str, Any] = {}
    n_cases = np.bincount(gs, minlength=k)
    if "cases" in wanted:
        cols["cases"] = n_cases
    if "events_per_case" in wanted:
        sizes = np.diff(c.case_offsets)[sel]
        cols["events_per_case"] = np.bincount(gs, weights=sizes, minlength=k) / np.maximum(n_cases, 1)
    if {"variants", "top_variant_share"} & set(wanted):
        var = _variant_per_case(log)[sel]
        n_var = int(var.max()) + 1 if len(var) else 1
        pair, pinv = unique_inverse(gs * n_var + var, k * n_var)
        pair_counts = np.bincount(pinv, minlength=len(pair))
        pg = pair // n_var
        if "variants" in wanted:
            cols["variants"] = np.bincount(pg, minlength=k)
        if "top_variant_share" in wanted:
            top = np.zeros(k, dtype=np.int64)
            np.maximum.at(top, pg, pair_counts)
            cols["top_variant_share"] = top / np.maximum(n_cases, 1)
    for kpi, values in (("duration", t.case_duration), ("elapsed", t.case_elapsed)):
        if f"median_{kpi}" in wanted or f"p90_{kpi}" in wanted:
            st = group_stats(gs, values[sel], k)
            for q in ("median", "p90"):
                if f"{q}_{kpi}" in wanted:
                    cols[f"{q}_{kpi}"] = _td(st[q])
    if "rework_share" in wanted:
        rework = _rework_per_case(log)
        cols["rework_share"] = np.bincount(gs, weights=rework[sel], minlength=k) / np.maximum(n_cases, 1)
    return pd.DataFrame(cols, index=pd.RangeIndex(k))[[w for w in KPIS if w in wanted]]


def _rework_per_case(log: EventLog) -> np.ndarray:
    """Per case: an activity occurs twice (by the same org unit, when the log names units:
    the same activity by another unit is duplicate work, not rework)."""
    c = log.codes
    key = c.case.astype(np.int64) * max(c.n_activities, 1) + c.activity
    n_units = 1
    if GROUP in log.df.columns:
        unit, uniq = pd.factorize(log.df[GROUP])
        n_units = len(uniq) + 1
        key = key * n_units + (unit + 1)
    key = np.sort(key)
    dup = key[1:][key[1:] == key[:-1]] // n_units // max(c.n_activities, 1)
    rework = np.zeros(c.n_cases, dtype=bool)
    rework[dup] = True
    return rework


def _edges_per_group(log: EventLog, g: np.ndarray, names: np.ndarray) -> pd.DataFrame:
    """Directly-follows edges (``source``, ``target``) with their count in each kept group (a column per name)."""
    c = log.codes
    k = len(names)
    src, dst, pcase = _dfg_pairs(log)
    pg = g[pcase]
    ok = pg >= 0
    n_act = max(c.n_activities, 1)
    ekey = src[ok].astype(np.int64) * n_act + dst[ok]
    edge_keys, einv = unique_inverse(ekey, n_act * n_act)
    counts = np.bincount(einv * max(k, 1) + pg[ok], minlength=len(edge_keys) * max(k, 1))
    counts = counts.reshape(len(edge_keys), max(k, 1))[:, :k]
    act = c.activity_names
    edges = pd.DataFrame(
        {
            "source": pd.Series(act[edge_keys // n_act], dtype=object),
            "target": pd.Series(act[edge_keys % n_act], dtype=object),
        }
    )
    return pd.concat([edges, pd.DataFrame(counts, columns=pd.Index(names, dtype=object))], axis=1)
