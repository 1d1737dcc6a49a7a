"""The process model of a :class:`~procmine.engines.duckdb.DuckLog`, computed by SQL.

:func:`procmine.discover` returns a :class:`DuckProcessModel` for a DuckLog: the same
views as :class:`procmine.ProcessModel`, with the same columns, dtypes and order, but
every table is a DuckDB group-by and nothing loads the events into memory:

* ``dfg``, ``variants``, ``start_activities``, ``end_activities``: SQL over
  ``(case, position)``;
* ``petri_net``/``bpmn``: pm4py's inductive miner on the variant counts alone (it only
  ever looks at them), with the activity and variant pruning of ``ProcessModel``;
* ``plot()``/``to_svg()``: the process map built from SQL aggregates (events per
  activity, directly-follows pairs of the kept activities with their median waiting
  time, start/end counts) and drawn by :mod:`procmine.viz`;
* ``fitness()``: token replay (or alignments) of one trace per variant, weighted by its
  cases: the same figures as replaying the log. ``precision()`` needs the prefixes of
  every case and raises :class:`procmine.errors.LogError` (materialise first).
"""

from __future__ import annotations

import logging
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_choice, fail
from ..discovery import _DEFAULT_VARIANT_SHARE, ProcessModel, select_activities
from ..errors import LogError, ProcmineError
from ..log import ACTIVITY
from .duckdb import _SEP, DuckLog

__all__ = ["DuckProcessModel", "activity_counts"]

logger = logging.getLogger("procmine")


def _by_name(names: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Names sorted in code point order (the in-memory activity codes) and their values."""
    order = np.argsort(names.astype(str), kind="stable")
    return names[order], values[order]


def activity_counts(log: DuckLog) -> pd.Series:
    """Events per activity, most frequent first, ties by name (as ``EventLog.activities``)."""
    if "activities" not in log._cache:
        df = log._df("SELECT activity, count(*) AS events FROM ev GROUP BY activity")
        names, n = _by_name(df["activity"].to_numpy(dtype=object), df["events"].to_numpy(dtype=np.int64))
        s = pd.Series(n, index=pd.Index(names, name=ACTIVITY, dtype=object), name="events")
        log._cache["activities"] = s.iloc[np.argsort(-n, kind="stable")]
    return log._cache["activities"]


def _case_share(log: DuckLog) -> pd.Series:
    """Share of cases in which each activity occurs."""
    df = log._df("SELECT activity, count(DISTINCT case_id) AS n FROM ev GROUP BY activity")
    return pd.Series(df["n"].to_numpy() / max(log.n_cases, 1), index=df["activity"].to_numpy(dtype=object))


# ---------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------
class DuckProcessModel(ProcessModel):
    """A :class:`procmine.ProcessModel` of a DuckLog: every view from SQL aggregates.

    The public views equal those of ``discover(log.to_eventlog())`` (tested). What
    differs: :attr:`mined_log` does not exist (the miner sees :attr:`mined_variants`,
    the variant counts after pruning), ``algorithm="heuristics"`` is refused (that miner
    needs the events), and :meth:`precision` raises :class:`procmine.errors.LogError`.

    Examples
    --------
    >>> import procmine as pm, tempfile, os
    >>> log = pm.samples.load("permit_de")
    >>> path = log.to_parquet(os.path.join(tempfile.mkdtemp(), "permit.parquet"))
    >>> model = pm.discover(pm.read_log(path, engine="duckdb"))
    >>> model.dfg.equals(pm.discover(log).dfg)
    True
    """

    log: DuckLog  # type: ignore[assignment]

    # -- tables of the whole log ---------------------------------------------------------
    @cached_property
    def dfg(self) -> pd.DataFrame:
        """Directly-follows edges of the whole log (SQL, see :meth:`DuckLog.dfg`)."""
        return self.log.dfg()

    @cached_property
    def variants(self) -> pd.DataFrame:
        """Variants of the whole log (SQL, see :meth:`DuckLog.variants`)."""
        return self.log.variants()

    @cached_property
    def _start_end(self) -> tuple[pd.Series, pd.Series]:
        return self.log.start_activities(), self.log.end_activities()

    # -- the mined model ----------------------------------------------------------------------
    @property
    def mined_log(self) -> Any:
        """Not available on a DuckDB log: the miner sees :attr:`mined_variants`."""
        raise LogError(
            "a model discovered on a DuckDB log is mined from variant counts, without an event log: "
            "see model.mined_variants, or discover(model.log.to_eventlog()) for mined_log"
        )

    @property
    def mined_variants(self) -> dict[tuple[str, ...], int]:
        """Variants the miner sees (projected on the kept activities) and their cases."""
        return self._pruned[0]

    @cached_property
    def _projected(self) -> pd.DataFrame:
        """Variants projected on the kept activities: ``variant``, ``cases``, ranked as
        ``variant_codes`` ranks them (cases, then first appearance)."""
        kept = set(self._kept[0])
        vt = self.log._variant_table()
        agg: dict[tuple[str, ...], list[int]] = {}
        for v, n, first in zip(vt["v"], vt["cases"].astype(np.int64), vt["first_seen"].astype(np.int64)):
            p = tuple(a for a in v.split(_SEP) if a in kept)
            if not p:
                continue  # the case has no event left: it leaves the log
            got = agg.get(p)
            if got is None:
                agg[p] = [int(n), int(first)]
            else:
                got[0] += int(n)
                got[1] = min(got[1], int(first))
        frame = pd.DataFrame(
            {
                "variant": pd.Series(list(agg), dtype=object),
                "cases": np.array([c for c, _ in agg.values()], dtype=np.int64),
                "first": np.array([f for _, f in agg.values()], dtype=np.int64),
            }
        )
        return frame.sort_values(["cases", "first"], ascending=[False, True], kind="stable").reset_index(
            drop=True
        )

    @cached_property
    def _kept(self) -> tuple[list[str], str]:
        counts = activity_counts(self.log)
        wants_share = self._activities_arg is None or isinstance(self._activities_arg, (int, float))
        in_cases = _case_share(self.log) if self.min_case_share > 0 and wants_share else None
        return select_activities(counts, in_cases, self._activities_arg, self.min_case_share)

    @cached_property
    def _pruned(self) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:  # type: ignore[override]
        kept, how = self._kept
        all_acts = activity_counts(self.log)
        proj = self._projected
        v_arg = self._variants_arg
        if isinstance(v_arg, int) and not isinstance(v_arg, bool):
            n_keep = min(v_arg, len(proj))
            v_how = f"the {v_arg} most frequent"
        else:
            share = _DEFAULT_VARIANT_SHARE if v_arg is None else float(v_arg)
            cum = np.cumsum(proj["cases"].to_numpy()) / max(int(proj["cases"].sum()), 1)
            n_keep = (
                len(proj) if share >= 1 else (int(np.searchsorted(cum, share - 1e-12) + 1) if len(cum) else 0)
            )
            v_how = f"most frequent covering {share:.0%} of cases"
        mined = proj.head(n_keep)
        lengths = np.array([len(v) for v in mined["variant"]], dtype=np.int64)
        pruning = {
            "activities_kept": len(kept),
            "activities_total": len(all_acts),
            "activities_rule": how,
            "activities_left_out": [a for a in all_acts.index if a not in set(kept)],
            "events_kept": int((lengths * mined["cases"].to_numpy()).sum()),
            "events_total": self.log.n_events,
            "variants_kept": len(mined),
            "variants_total": len(proj),
            "variants_rule": v_how + " (after leaving out activities)",
            "cases_kept": int(mined["cases"].sum()),
            "cases_total": self.log.n_cases,
        }
        logger.info(
            "discover %s (DuckDB): mining on %d/%d activities (%s), %d/%d variants, %d/%d cases",
            self.log.name,
            len(kept),
            len(all_acts),
            how,
            pruning["variants_kept"],
            pruning["variants_total"],
            pruning["cases_kept"],
            pruning["cases_total"],
        )
        return dict(zip(mined["variant"], mined["cases"].tolist())), pruning

    @cached_property
    def petri_net(self) -> tuple[Any, Any, Any]:
        """``(net, initial_marking, final_marking)``: pm4py's inductive miner on :attr:`mined_variants`."""
        from .. import _pm4py

        if not self.mined_variants:
            raise ProcmineError("no events left to mine a model from: relax the activities/variants pruning")
        t0 = time.perf_counter()
        net = _pm4py.discover_petri_net_variants(
            self.mined_variants, algorithm=self.algorithm, noise=self.noise
        )
        logger.info(
            "discover %s: pm4py inductive miner (variants) took %.1f s",
            self.log.name,
            time.perf_counter() - t0,
        )
        return net

    def fitness(self, *, method: str = "token", timeout: float = 60.0, on: str = "mined") -> dict[str, Any]:
        """How much of the log the mined model can replay, computed on the variants.

        Each variant is replayed once and weighted by its cases, which gives the figures
        of replaying every case (token replay and alignments are deterministic per
        activity sequence). Parameters and result as :meth:`procmine.ProcessModel.fitness`.
        """
        from .. import _pm4py

        check_choice("ProcessModel.fitness", "method", method, ("token", "alignments"))
        check_choice("ProcessModel.fitness", "on", on, ("mined", "full"))
        if on == "mined":
            variants, cases = list(self.mined_variants), list(self.mined_variants.values())
        else:
            v = self.variants
            variants, cases = v["variant"].tolist(), v["cases"].tolist()
        n_cases = int(sum(cases))
        if method == "token":
            res = _pm4py.fitness_token_based_variants(variants, cases, *self.petri_net)
        else:
            if not isinstance(timeout, (int, float)) or timeout <= 0:
                raise fail("ProcessModel.fitness", "timeout", "a positive number of seconds", timeout)
            res = _pm4py.fitness_alignments(variants, cases, *self.petri_net, timeout=timeout)
        fit = res.get("perc_fit_traces", res.get("percentage_of_fitting_traces", float("nan")))
        res["summary"] = (
            f"{fit:.1f}% of the {n_cases:,} cases fit the model completely; "
            f"log fitness {res.get('log_fitness', float('nan')):.3f} ({method} replay on the {on} log)"
        )
        if res.get("timed_out"):
            res["summary"] = (
                f"within {timeout:g} s, {res['cases_aligned']:,} of {n_cases:,} cases were aligned "
                f"({fit:.1f}% of them fit the model completely; alignments on the {on} log)"
            )
        res["method"], res["on"] = method, on
        return res

    def precision(self, *, on: str = "mined") -> float:
        """Not computed on a DuckDB log (ETConformance needs every case's prefixes)."""
        raise LogError(
            "precision needs the events in memory: use discover(model.log.to_eventlog()).precision() "
            "on a log that fits, or on a sample of cases"
        )

    # -- output ----------------------------------------------------------------------------------
    def _map(
        self,
        ax: Any = None,
        *,
        metric: str = "frequency",
        activities: float | None = None,
        paths: float | None = None,
        labels: Any = None,
        min_cases: int | None = None,
    ) -> Any:
        """The process map (see :meth:`procmine.ProcessModel.plot`), from SQL aggregates."""
        from .. import viz
        from ._duck_map import duck_map_graph

        graph = duck_map_graph(
            self.log,
            metric=metric,
            activities=activities,
            paths=paths,
            labels=labels,
            min_cases=viz.MIN_CASES if min_cases is None else min_cases,
        )
        caption = viz.map_caption(self.log.name, self.log.has_start, graph)
        if ax is not None:
            viz._draw(graph, ax, caption)
            return ax
        try:
            return viz.graphviz_map(graph, caption)
        except FileNotFoundError as exc:
            raise ProcmineError(
                "Graphviz 'dot' is needed to draw the map of a DuckDB log as SVG; pass ax= for matplotlib"
            ) from exc

    def to_svg(self, path: str | Path, **kwargs: Any) -> Path:
        """Write the process map (see :meth:`plot_map`) as an SVG file."""
        return self.plot_map(**kwargs).save(path)

    def _summary_line(self) -> str:
        v = self.variants
        top = float(v["share"].iloc[0]) if len(v) else 0.0
        return (
            f"{self.log.n_cases:,} cases, {self.log.n_events:,} events, "
            f"{len(activity_counts(self.log)):,} activities, {len(v):,} variants; "
            f"the most frequent variant covers {top:.0%} of cases."
        )

    _engine = " (DuckDB)"

    def _counts(self) -> tuple[int, int, int]:
        return len(activity_counts(self.log)), self.log.n_cases, self.log.n_events
