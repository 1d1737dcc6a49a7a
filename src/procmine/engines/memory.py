"""The in-memory engine: the aggregates of an :class:`procmine.EventLog`, from its integer codes.

Every method delegates to the vectorised code the analyses already use
(:mod:`procmine._core.dfg`, :mod:`procmine._core.kernels`, :mod:`procmine._core.event_times`,
:mod:`procmine.viz._graph`): this module adds no definition of its own, it names them.

Examples
--------
>>> import procmine as pm
>>> engine = MemoryEngine(pm.samples.load("permit_de"))
>>> engine.capabilities.in_memory, engine.dfg().equals(pm.discover(engine.log).dfg)
(True, True)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._core.dfg import (
    _rank_variants,
    _variant_first_codes,
    compute_dfg,
    compute_variants,
    pair_wait_stats,
    start_end_activities,
)
from .._core.kernels import NAT, distinct_per_group, exact_sums, group_stats
from ..log import ACTIVITY, CASE, EventLog
from ..waits._causes import cause_columns
from ._protocol import MAP_PATH_COLUMNS, PERF_STATS, Capabilities, OfLog, local_periods

__all__ = ["MemoryEngine"]


class MemoryEngine(OfLog):
    """:class:`procmine.engines.Engine` over an EventLog in memory (see the module docstring)."""

    log: EventLog

    def __init__(self, log: EventLog) -> None:
        super().__init__(log)
        self._cache: dict[Any, Any] = {}  # per-event times per calendar, wait splits

    @cached_property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            "memory", "", in_memory=True, start_times=self.log.has_start_timestamps, max_materialise_events=None
        )

    def activity_counts(self) -> pd.Series:
        return self.log.activities

    def activity_cases(self) -> pd.Series:
        c = self.log.codes
        n = distinct_per_group(c.activity, c.case, c.n_activities, c.n_cases, items_in_order=True)
        return pd.Series(
            n.astype(np.int64), index=pd.Index(c.activity_names, name=ACTIVITY, dtype=object), name="cases"
        )

    def dfg(self) -> pd.DataFrame:
        return compute_dfg(self.log)

    def variants(self) -> pd.DataFrame:
        return compute_variants(self.log)

    def variant_counts(self) -> pd.DataFrame:
        v = compute_variants(self.log)
        if not len(v):
            return pd.DataFrame({"variant": v["variant"], "cases": v["cases"], "first": v["cases"]})
        vcode, first_case = _variant_first_codes(self.log)
        _rank, _counts, order = _rank_variants(vcode)
        # ``order`` is the variant code of each rank; codes number variants by first appearance
        return pd.DataFrame(
            {"variant": v["variant"], "cases": v["cases"], "first": first_case[order].astype(np.int64)}
        )

    @cached_property
    def _start_end(self) -> tuple[pd.Series, pd.Series]:
        return start_end_activities(self.log)

    def start_activities(self) -> pd.Series:
        return self._start_end[0]

    def end_activities(self) -> pd.Series:
        return self._start_end[1]

    def case_times(self) -> pd.DataFrame:
        from .._core.event_times import event_times
        from ..calendar import Calendar

        t = event_times(self.log, Calendar.always())
        c = self.log.codes
        return pd.DataFrame(
            {
                "start": pd.to_datetime(t.case_start, unit="us", utc=True),
                "end": pd.to_datetime(t.case_end, unit="us", utc=True),
            },
            index=pd.Index(c.case_ids, name=CASE),
        ).sort_index()

    def case_durations(self) -> pd.Series:
        return self.log.case_durations()

    def map_paths(self, kept: list[str]) -> pd.DataFrame:
        from ..viz._graph import map_paths

        c = self.log.codes
        names = c.activity_names
        keys, counts, med, cases = map_paths(c, np.isin(names, list(kept)), c.ts, c.start_ts)
        n = c.n_activities
        src, dst = keys // (n + 2), keys % (n + 2)
        ext = np.concatenate([names.astype(object), np.array([None, None], dtype=object)])
        return pd.DataFrame(
            dict(zip(MAP_PATH_COLUMNS, (pd.Series(ext[src], dtype=object), pd.Series(ext[dst], dtype=object),
                                      counts.astype(np.int64), med, cases.astype(np.int64))))
        )

    def activity_labels(self, column: str) -> dict[str, str]:
        from ..viz._graph import _labels

        names = self.log.codes.activity_names
        return dict(zip(names.tolist(), _labels(self.log, column).tolist()))

    def to_eventlog(self) -> EventLog:
        return self.log

    # -- performance -----------------------------------------------------------------------
    def event_times(self, calendar: Any) -> Any:
        """The per-event times under ``calendar`` (:func:`procmine._core.event_times.event_times`), cached."""
        from .._core.event_times import event_times

        key = ("times", calendar)
        if key not in self._cache:
            self._cache[key] = event_times(self.log, calendar)
        return self._cache[key]

    def wait_causes(self, declared: tuple) -> Any:
        """The cause of every wait (:func:`procmine.waits._causes.wait_causes`, cached per log)."""
        from ..waits._causes import wait_causes

        return wait_causes(self.log, waits=dict(declared[0]), external=declared[1])

    def _cause_sums(self, calendar: Any, declared: tuple, keys: np.ndarray, n: int,
                    sel: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Total wait per key code and cause, float µs of the exact integer sums; ``sel``
        picks the events of ``keys``."""
        return cause_columns(self._cause_totals(calendar, declared, keys, n, sel))

    def _cause_totals(self, calendar: Any, declared: tuple, keys: np.ndarray, n: int,
                      sel: np.ndarray | None = None) -> np.ndarray:
        """:meth:`procmine.waits._causes.WaitCauses.cause_totals` of the log's waits: exact
        sums per key (rows) and cause (columns 1-4; 0: no wait; 5: the key's total wait),
        in one pass over (key, cause) instead of one per cause."""
        return self.wait_causes(declared).cause_totals(self.event_times(calendar).wait, keys, n, sel)

    def has_measured_starts(self) -> bool:
        c = self.log.codes
        return c.start_ts is not None and bool((c.start_ts != NAT).any())

    def perf_cases(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        t, c = self.event_times(calendar), self.log.codes
        frame = pd.DataFrame(
            {"start": t.case_start, "end": t.case_end, "events": np.diff(c.case_offsets).astype(np.int64),
             "duration": t.case_duration},
            index=pd.Index(c.case_ids, name=CASE),
        )
        for col, values in self._cause_sums(calendar, declared, c.case, c.n_cases).items():
            frame[col] = values
        return frame

    def perf_activities(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        t, c = self.event_times(calendar), self.log.codes
        n = c.n_activities
        totals = self._cause_totals(calendar, declared, c.activity, n)
        frame = pd.DataFrame(
            {"count": np.bincount(c.activity, minlength=n).astype(np.int64),
             **stat_columns("proc", c.activity, t.proc, n),
             **stat_columns("wait", c.activity, t.wait, n, total=_row_totals(totals)),
             **cause_columns(totals)},
            index=pd.Index(c.activity_names, name=ACTIVITY, dtype=object),
        )
        return frame

    def perf_edges(self, calendar: Any, declared: tuple) -> pd.DataFrame:
        cols = self.perf_edge_columns(calendar, declared)
        return pd.DataFrame({**cols, "source": pd.Series(cols["source"], dtype=object),
                             "target": pd.Series(cols["target"], dtype=object)})

    def perf_edge_columns(self, calendar: Any, declared: tuple) -> dict[str, np.ndarray]:
        """The columns of :meth:`perf_edges` as arrays (``source``/``target`` object arrays),
        for :attr:`procmine.Performance.edges`, which builds its own frame from them."""
        t, c = self.event_times(calendar), self.log.codes
        # the wait causes first: their per-event temporaries do not stack on the arrays below
        self.wait_causes(declared)
        n_act = max(c.n_activities, 1)
        p = c.pairs  # edges, counts and distinct cases: shared with the DFG
        names = c.activity_names
        wait = np.compress(p.same, t.wait[1:])
        shared = None
        if getattr(calendar, "is_elapsed", False) and not t.has_start and not (wait == NAT).any():
            shared = pair_wait_stats(self.log)  # these waits are the DFG's pair times: its statistics
        totals = self._cause_totals(calendar, declared, p.edge, len(p.keys), np.flatnonzero(p.same) + 1)
        return {"source": names[p.keys // n_act].astype(object, copy=False),
                "target": names[p.keys % n_act].astype(object, copy=False),
                "count": p.counts.astype(np.int64), "cases": p.cases.astype(np.int64),
                **stat_columns("wait", p.edge, wait, len(p.keys), shared, total=_row_totals(totals)),
                **cause_columns(totals)}

    def event_periods(self, tz: str, freq: str) -> pd.Series:
        return local_periods(self.log.codes.ts, tz, freq)

    def wait_explanation(self, declared: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
        causes = self.wait_causes(declared)
        return causes.steps, causes.explain


def _row_totals(totals: np.ndarray) -> np.ndarray | None:
    """The total wait per key (float µs, the exact sum correctly rounded, as
    :func:`procmine._core.kernels.exact_sums` gives it) from the table of
    :meth:`MemoryEngine._cause_totals`; None when the table is empty of keys."""
    return totals[:, 5] if len(totals) else None


def stat_columns(prefix: str, keys: np.ndarray, values: np.ndarray, n: int,
                 stats: dict[str, np.ndarray] | None = None, *,
                 total: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``{prefix}_median/mean/p90/sum`` of int64 ``values`` (NAT = none) per key, float µs:
    percentiles of :func:`procmine._core.kernels.group_stats` (``stats``: those already
    computed on the same keys and values), the sum exact and the mean that sum over the
    count (as the query engines compute them). ``total``: that exact sum per key, when
    known already (the wait split by cause sums to it)."""
    st = group_stats(keys, values, n) if stats is None else dict(stats)
    if total is None:
        ok = values != NAT
        total = exact_sums(keys[ok], values[ok], n) if not ok.all() else exact_sums(keys, values, n)
    count = st["count"]
    with np.errstate(invalid="ignore", divide="ignore"):
        st["sum"] = np.where(count > 0, total, np.nan)
        st["mean"] = total / count
    return {f"{prefix}_{k}": st[k] for k in PERF_STATS}
