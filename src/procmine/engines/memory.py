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
    start_end_activities,
)
from .._core.kernels import distinct_per_group, group_stats
from ..log import ACTIVITY, CASE, EventLog
from ._protocol import ACTIVITY_TIME_COLUMNS, MAP_PATH_COLUMNS, Capabilities, OfLog

__all__ = ["MemoryEngine"]


class MemoryEngine(OfLog):
    """:class:`procmine.engines.Engine` over an EventLog in memory (see the module docstring)."""

    log: EventLog

    @cached_property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            "memory", "", in_memory=True, start_times=self.log.has_start_timestamps, max_materialise_events=None
        )

    def activity_counts(self) -> pd.Series:
        return self.log.activities

    def activity_cases(self) -> pd.Series:
        c = self.log.codes
        n = distinct_per_group(c.activity, c.case, c.n_activities, c.n_cases)
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

    def activity_times(self) -> pd.DataFrame:
        from .._core.event_times import event_times
        from ..calendar import Calendar

        t = event_times(self.log, Calendar.always())
        c = self.log.codes
        wait = group_stats(c.activity, t.wait_elapsed, c.n_activities)
        proc = group_stats(c.activity, t.proc_elapsed, c.n_activities)
        return activity_time_frame(
            c.activity_names, np.bincount(c.activity, minlength=c.n_activities), wait, proc
        )

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


def activity_time_frame(names: Any, events: np.ndarray, wait: dict, proc: dict) -> pd.DataFrame:
    """The frame of :meth:`Engine.activity_times` from per-activity statistics (float µs, NaN = none)."""

    def td(x: np.ndarray) -> pd.Series:
        a = np.round(np.asarray(x, dtype=np.float64))
        return pd.Series(pd.to_timedelta(a, unit="us").as_unit("us"))

    data = [
        pd.Series(np.asarray(events, dtype=np.int64)),
        td(wait["median"]),
        td(wait["mean"]),
        td(wait["p90"]),
        td(proc["median"]),
        td(proc["mean"]),
        td(proc["p90"]),
    ]
    out = pd.DataFrame({k: s.to_numpy() for k, s in zip(ACTIVITY_TIME_COLUMNS, data)})
    out.index = pd.Index(np.asarray(names, dtype=object), name=ACTIVITY, dtype=object)
    return out

