"""Discovery: directly-follows graph, variants, start/end activities and process models.

The tables (:func:`compute_dfg`, :func:`compute_variants`, :func:`variant_codes`,
:func:`start_end_activities`, computed in :mod:`procmine._core.dfg`) work on the integer codes
of the log (:attr:`procmine.EventLog.codes`) with vectorised numpy: no loop per case or
per event.
:func:`discover` bundles them in a lazy :class:`ProcessModel` that also mines a BPMN /
Petri net with pm4py (through :mod:`procmine.discovery._pm4py`) on demand.
"""

from __future__ import annotations

import logging
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core.dfg import (
    compute_dfg,
    compute_variants,
    dfg_arrays,
    start_end_activities,
    variant_codes,
)
from .._core.validation import check_choice, check_fraction, fail
from .._results import Result
from ..engines import Engine, get_engine, materialise
from ..errors import LogError, ProcmineError
from ..log import EventLog
from ._pruning import _DEFAULT_VARIANT_SHARE, _prune, select_activities

__all__ = [
    "ProcessModel",
    "compute_dfg",
    "compute_variants",
    "dfg_arrays",
    "discover",
    "start_end_activities",
    "variant_codes",
]

logger = logging.getLogger("procmine")


# ---------------------------------------------------------------------------------------
# the process model (what the miner sees: procmine.discovery._pruning)
# ---------------------------------------------------------------------------------------
class ProcessModel(Result):
    """What :func:`discover` found: DFG, variants, start/end activities and a mined model.

    Each view is computed on first access and cached. ``dfg``, ``variants``,
    ``start_activities`` and ``end_activities`` describe the *whole* log; ``petri_net``
    and ``bpmn`` are mined on the activities and variants that carry most of the cases,
    as recorded in :attr:`pruning`.

    The views are aggregates of the log's engine (:func:`procmine.engines.get_engine`):
    the same model, columns and order whether the log is in memory, in DuckDB or in Spark.
    On an engine that does not hold the events in memory, the miner sees the variant counts
    (:attr:`mined_variants`); :attr:`mined_log`, :meth:`precision` and the heuristics miner
    need the events and load them (within the engine's materialise limit, else
    :class:`procmine.errors.LogError`).

    Examples
    --------
    >>> import procmine as pm
    >>> model = pm.discover(pm.samples.load("permit_de"))
    >>> model.dfg.columns.tolist()
    ['source', 'target', 'count', 'cases', 'median', 'mean', 'p90']
    >>> int(model.variants["cases"].sum()) == model.log.n_cases
    True
    """

    def __init__(
        self,
        log: EventLog,
        *,
        algorithm: str,
        noise: float,
        min_case_share: float,
        activities: Any,
        variants: Any,
        engine: Engine | None = None,
    ) -> None:
        self.log = log
        self.engine = get_engine(log) if engine is None else engine
        self.algorithm = algorithm
        self.noise = noise
        self.min_case_share = min_case_share
        self._activities_arg = activities
        self._variants_arg = variants

    # -- tables of the whole log ---------------------------------------------------------
    @cached_property
    def dfg(self) -> pd.DataFrame:
        """Directly-follows edges of the whole log (see :func:`compute_dfg`)."""
        return self.engine.dfg()

    @cached_property
    def variants(self) -> pd.DataFrame:
        """Variants of the whole log (see :func:`compute_variants`)."""
        return self.engine.variants()

    @cached_property
    def _start_end(self) -> tuple[pd.Series, pd.Series]:
        return self.engine.start_activities(), self.engine.end_activities()

    @property
    def start_activities(self) -> pd.Series:
        """Cases starting with each activity."""
        return self._start_end[0]

    @property
    def end_activities(self) -> pd.Series:
        """Cases ending with each activity."""
        return self._start_end[1]

    def variants_covering(self, share: float) -> pd.DataFrame:
        """The most frequent variants that together cover ``share`` of the cases."""
        share = check_fraction("ProcessModel.variants_covering", "share", share)
        v = self.variants
        cum = v["share"].cumsum().to_numpy()
        n = int(np.searchsorted(cum, share - 1e-12) + 1) if len(cum) else 0
        return v.head(n)

    # -- the mined model ----------------------------------------------------------------------
    @property
    def _in_memory(self) -> bool:
        return self.engine.capabilities.in_memory

    @cached_property
    def mined_log(self) -> EventLog:
        """The part of the log the miner sees (see :attr:`pruning`); loads the events of a
        log that is not in memory (within the engine's materialise limit)."""
        if not self._in_memory:
            return self._with_events("ProcessModel.mined_log").mined_log
        return self._pruned[0]

    @cached_property
    def mined_variants(self) -> dict[tuple[str, ...], int]:
        """Variants the miner sees (projected on the kept activities) and their cases."""
        if self._in_memory:
            v = compute_variants(self.mined_log) if self.mined_log.n_events else self.variants.head(0)
            return dict(zip(v["variant"], v["cases"].tolist()))
        return self._variant_pruning[0]

    @cached_property
    def pruning(self) -> dict[str, Any]:
        """What the mined model leaves out: activities, variants, events and cases kept."""
        return self._pruned[1] if self._in_memory else self._variant_pruning[1]

    @cached_property
    def _pruned(self) -> tuple[EventLog, dict[str, Any]]:
        return _prune(self.log, self._activities_arg, self._variants_arg, self.min_case_share)

    def _with_events(self, what: str) -> ProcessModel:
        """The same model of the log loaded into memory (for what needs every event)."""
        if "_events_model" not in self.__dict__:
            self.__dict__["_events_model"] = ProcessModel(
                materialise(self.log, what),
                algorithm=self.algorithm,
                noise=self.noise,
                min_case_share=self.min_case_share,
                activities=self._activities_arg,
                variants=self._variants_arg,
            )
        return self.__dict__["_events_model"]

    @cached_property
    def _kept(self) -> tuple[list[str], str]:
        """The activities the miner sees, from the engine's aggregates."""
        counts = self.engine.activity_counts()
        wants_share = self._activities_arg is None or isinstance(self._activities_arg, (int, float))
        in_cases = None
        if self.min_case_share > 0 and wants_share:
            in_cases = self.engine.activity_cases() / max(self.engine.n_cases, 1)
        return select_activities(counts, in_cases, self._activities_arg, self.min_case_share)

    @cached_property
    def _variant_pruning(self) -> tuple[dict[tuple[str, ...], int], dict[str, Any]]:
        """:func:`procmine.discovery._pruning._prune` on the variant counts alone (the same
        figures, tested): what a model of a log outside memory is mined from."""
        from ._pruning import project_variants

        kept, how = self._kept
        all_acts = self.engine.activity_counts()
        proj = project_variants(self.engine.variant_counts(), kept)
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
            "events_total": self.engine.n_events,
            "variants_kept": len(mined),
            "variants_total": len(proj),
            "variants_rule": v_how + " (after leaving out activities)",
            "cases_kept": int(mined["cases"].sum()),
            "cases_total": self.engine.n_cases,
        }
        logger.info(
            "discover %s%s: mining on %d/%d activities (%s), %d/%d variants, %d/%d cases",
            self.log.name,
            self.engine.capabilities.label,
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
        """``(net, initial_marking, final_marking)`` mined by pm4py: the inductive miner on
        :attr:`mined_variants` (all it looks at: pm4py would first compute them from the
        events of :attr:`mined_log`, for the same model), the heuristics miner on the events
        of :attr:`mined_log` (loaded when the log is not in memory)."""
        from . import _pm4py

        if not self._in_memory and self.algorithm == "heuristics":
            return self._with_events("the heuristics miner").petri_net
        if self.algorithm == "inductive":
            # the pruning on the variant counts (the same variants, in the same order, as
            # those of mined_log: tested), without building the pruned log
            variants = self.__dict__.get("mined_variants") or self._variant_pruning[0]
            empty = sum(variants.values()) == 0
        else:
            empty = self.mined_log.n_events == 0
        if empty:
            raise ProcmineError("no events left to mine a model from: relax the activities/variants pruning")
        t0 = time.perf_counter()
        if self.algorithm != "inductive":
            net = _pm4py.discover_petri_net(
                _pm4py.frame(self.mined_log), algorithm=self.algorithm, noise=self.noise
            )
        else:
            net = _pm4py.discover_petri_net_variants(variants, algorithm=self.algorithm, noise=self.noise)
        logger.info(
            "discover %s: pm4py %s miner took %.1f s", self.log.name, self.algorithm, time.perf_counter() - t0
        )
        return net

    @cached_property
    def bpmn(self) -> Any:
        """The mined model as a pm4py BPMN graph."""
        from . import _bpmn_graph

        return _bpmn_graph.petri_to_bpmn(*self.petri_net)

    def fitness(self, *, method: str = "token", timeout: float = 60.0, on: str = "mined") -> dict[str, Any]:
        """How much of the log the mined model can replay.

        Parameters
        ----------
        method
            ``"token"`` (token-based replay, fast) or ``"alignments"`` (exact but can
            take hours on large logs: limited by ``timeout``).
        timeout
            Seconds for alignments: variants are aligned most frequent first until the
            deadline; the figures then cover the cases aligned (``cases_aligned``,
            ``timed_out`` and the summary say so).
        on
            ``"mined"`` replays the log the model was mined on (:attr:`mined_log`),
            ``"full"`` the whole log (activities left out of the model then count as deviations).

        Returns
        -------
        dict
            pm4py's figures (``log_fitness``, ``average_trace_fitness``, the share of
            fitting traces) plus ``summary`` (one readable sentence), ``method`` and ``on``.
        """
        from . import _pm4py

        check_choice("ProcessModel.fitness", "method", method, ("token", "alignments"))
        check_choice("ProcessModel.fitness", "on", on, ("mined", "full"))
        if not self._in_memory:
            return self._fitness_on_variants(method, timeout, on)
        target = self.mined_log if on == "mined" else self.log
        df = _pm4py.frame(target)
        if method == "token":
            res = dict(_pm4py.fitness_token_based(df, *self.petri_net))
        else:
            if not isinstance(timeout, (int, float)) or timeout <= 0:
                raise fail("ProcessModel.fitness", "timeout", "a positive number of seconds", timeout)
            v = compute_variants(target)
            res = _pm4py.fitness_alignments(
                v["variant"].tolist(), v["cases"].tolist(), *self.petri_net, timeout=timeout
            )
        fit = res.get("perc_fit_traces", res.get("percentage_of_fitting_traces", float("nan")))
        res["summary"] = (
            f"{fit:.1f}% of the {target.n_cases:,} cases fit the model completely; "
            f"log fitness {res.get('log_fitness', float('nan')):.3f} ({method} replay on the {on} log)"
        )
        if res.get("timed_out") and not res["cases_aligned"]:
            res["summary"] = (
                f"no case could be aligned within {timeout:g} s: give alignments more time "
                "(timeout=...) or use token-based replay"
            )
        elif res.get("timed_out"):
            res["summary"] = (
                f"within {timeout:g} s, {res['cases_aligned']:,} of {target.n_cases:,} cases "
                f"({res['variants_aligned']:,} most frequent variants) were aligned: "
                f"{fit:.1f}% of them fit the model completely; log fitness "
                f"{res['log_fitness']:.3f} on those (alignments on the {on} log)"
            )
        res["method"], res["on"] = method, on
        return res

    def _fitness_on_variants(self, method: str, timeout: float, on: str) -> dict[str, Any]:
        """:meth:`fitness` from the variants: each replayed once and weighted by its cases,
        which gives the figures of replaying every case (replay is deterministic per
        activity sequence)."""
        from . import _pm4py

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
        """ETConformance precision (token-based, pm4py): 1 = the model allows nothing the log does not show.

        It needs every case's prefixes: a log that is not in memory is loaded (within the
        engine's materialise limit, else :class:`procmine.errors.LogError`)."""
        from . import _pm4py

        check_choice("ProcessModel.precision", "on", on, ("mined", "full"))
        if not self._in_memory:
            return self._with_events("ProcessModel.precision").precision(on=on)
        target = self.mined_log if on == "mined" else self.log
        return _pm4py.precision_token_based(_pm4py.frame(target), *self.petri_net)

    # -- output ----------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The directly-follows graph (a copy)."""
        return self.dfg.copy()

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw the process map on matplotlib ``ax`` and return the axes; without ``ax``,
        the SVG map (:meth:`plot_map`, shown in Jupyter). ``options`` as for :meth:`plot_map`.

        Examples
        --------
        >>> import procmine as pm
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().add_subplot()
        >>> pm.discover(pm.samples.load("permit_de")).plot(ax=ax) is ax
        True
        """
        return self._map(ax, **options)

    def plot_map(self, **options: Any) -> Any:
        """The process map: a :class:`procmine.viz.ProcessMap` (SVG in Jupyter).

        See :func:`procmine.viz.process_map` for ``metric``, ``activities``, ``paths``,
        ``labels`` and ``min_cases`` (privacy: activities and paths seen in fewer cases are
        hidden; default ``procmine.privacy.MIN_CASES``, 10; ``min_cases=1`` shows all).

        Examples
        --------
        >>> import procmine as pm
        >>> "<svg" in pm.discover(pm.samples.load("permit_de")).plot_map().svg
        True
        """
        return self._map(None, **options)

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
        """The map as SVG (``ax`` None) or drawn on ``ax`` (returns the axes)."""
        from .. import viz

        kw = dict(metric=metric, activities=activities, paths=paths, labels=labels, model=self)
        if min_cases is not None:
            kw["min_cases"] = min_cases
        if ax is not None:
            return viz.draw_map(self.log, ax=ax, **kw)
        return viz.process_map(self.log, **kw)

    def explore(self, **options: Any) -> Any:
        """An interactive explorer of the model's log (see :func:`procmine.explore`)."""
        from ..explore import explore

        return explore(self.log, **options)

    def to_svg(self, path: str | Path, **kwargs: Any) -> Path:
        """Write the process map (see :meth:`plot_map`) as an SVG file."""
        return self.plot_map(**kwargs).save(path)

    def to_bpmn(self, path: str | Path, *, language: str = "en") -> Path:
        """Write the mined model as BPMN 2.0 XML with diagram layout (BPMN DI).

        The file opens with a layout in BPMN tools (Camunda Modeler, bpmn.io) and is
        read back by ``pm4py.read_bpmn``. Element ids are deterministic (``Activity_<name>``,
        ``Gateway_<n>``, ...): the same model gives the same bytes. Gateway labels are in
        ``language`` (``"de"``, ``"fr"``, ``"en"``).
        """
        from . import _bpmn_graph

        return _bpmn_graph.write_bpmn(self.bpmn, path, language=language)

    def _counts(self) -> tuple[int, int, int]:
        """(activities, cases, events) of the log."""
        return len(self.engine.activity_counts()), self.engine.n_cases, self.engine.n_events

    def _summary_line(self) -> str:
        n_act, n_cases, n_events = self._counts()
        v = self.variants
        top = float(v["share"].iloc[0]) if len(v) else 0.0
        return (
            f"{n_cases:,} cases, {n_events:,} events, {n_act:,} activities, {len(v):,} variants; "
            f"the most frequent variant covers {top:.0%} of cases."
        )

    def summary(self) -> dict[str, Any]:
        """Counts of the log and the model, and what the miner was given (:attr:`pruning`)."""
        n_act, n_cases, n_events = self._counts()
        out: dict[str, Any] = {
            "activities": n_act, "cases": n_cases, "events": n_events,
            "edges": len(self.dfg), "variants": len(self.variants),
            "algorithm": self.algorithm, "noise": self.noise,
        }
        if n_events:
            out.update({f"mined on: {k}": v for k, v in self.pruning.items() if isinstance(v, (int, float))})
        return out

    def _repr_parts(self) -> tuple[str, list[str]]:
        # the tables and the pruning are vectorised and cheap: the repr shows them all
        s = self.summary()
        facts = [
            f"{s['activities']:,} activities, {s['cases']:,} cases, {s['edges']:,} edges, {s['variants']:,} variants",
            f"{self.algorithm} miner, noise {self.noise:g}",
        ]
        if s["events"]:
            p = self.pruning
            facts.append(
                f"mined on {p['activities_kept']}/{p['activities_total']} activities, "
                f"{p['variants_kept']:,}/{p['variants_total']:,} variants, "
                f"{p['cases_kept']:,}/{p['cases_total']:,} cases"
            )
        return f"of {self.log.name!r}{self.engine.capabilities.label}", facts

    def _html_figure(self) -> str:
        try:
            return self.plot_map().svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
        except Exception as exc:  # display must never raise in a notebook
            logger.warning("process map could not be drawn: %s", exc)
            return ""

    def _html_notes(self) -> list[str]:
        top = self.variants.head(3)
        lines = [self._summary_line()]
        lines += [f"{s:.1%} of cases: {_short_variant(v)}" for v, s in zip(top["variant"], top["share"])]
        return lines


def _short_variant(variant: tuple, head: int = 4, tail: int = 2) -> str:
    """``a → b → c → d → … (12 more) … → y → z`` for long variants."""
    names = [str(a) for a in variant]
    if len(names) <= head + tail + 1:
        return " → ".join(names)
    hidden = len(names) - head - tail
    return " → ".join(names[:head]) + f" → … ({hidden} more) … → " + " → ".join(names[-tail:])


def discover(
    log: EventLog,
    *,
    algorithm: str = "inductive",
    noise: float = 0.2,
    min_case_share: float = 0.0,
    activities: Any = None,
    variants: Any = None,
) -> ProcessModel:
    """Discover how the process runs: a lazy :class:`ProcessModel`.

    Nothing is computed until a view is asked for: ``discover(log).dfg`` costs only the DFG.

    Parameters
    ----------
    log
        The event log: an :class:`procmine.EventLog`, or a log held by another engine
        (:class:`procmine.engines.duckdb.DuckLog`, :class:`procmine.engines.spark.SparkLog`),
        whose aggregates that engine computes (:func:`procmine.engines.get_engine`).
    algorithm
        ``"inductive"`` (pm4py's inductive miner, IMf with ``noise``) or ``"heuristics"``.
    noise
        Noise threshold in [0, 1] of the inductive miner (for the heuristics miner, the
        dependency threshold is ``1 - noise``).
    min_case_share
        Leave out of the mined model activities present in fewer than this share of cases.
    activities
        Which activities the miner sees: ``None`` (default: the most frequent covering
        90% of events, at least 15 and at most 40, so that pm4py finishes in seconds on
        logs with hundreds of activities), a share of events in (0, 1], a number of
        activities, or a list of names.
    variants
        Which cases the miner sees, after leaving out activities: ``None`` (default: the
        most frequent variants covering 80% of cases), a share of cases, or a number of variants.

    Examples
    --------
    >>> import procmine as pm
    >>> model = pm.discover(pm.samples.load("permit_de"))
    >>> model.start_activities.index[0] != ""
    True
    """
    check_choice("discover", "algorithm", algorithm, ("inductive", "heuristics"))
    check_fraction("discover", "noise", noise)
    check_fraction("discover", "min_case_share", min_case_share)
    _check_selection(activities, variants)
    try:
        engine = get_engine(log)
    except LogError:
        raise fail("discover", "log", "a procmine.EventLog (use procmine.read_log)", type(log).__name__) from None
    if activities is not None and not isinstance(activities, (int, float)):
        # unknown names fail now, not on first use
        select_activities(engine.activity_counts(), None, activities, 0.0)
    return ProcessModel(
        log,
        algorithm=algorithm,
        noise=noise,
        min_case_share=min_case_share,
        activities=activities,
        variants=variants,
        engine=engine,
    )


def _check_selection(activities: Any, variants: Any) -> None:
    """:func:`discover`'s ``activities`` and ``variants`` are of a kind it takes (names in
    a list are checked against the log's activities by the caller)."""
    if isinstance(activities, (float, bool)):
        if isinstance(activities, bool) or not 0 < activities <= 1:
            raise fail(
                "discover",
                "activities",
                "a share in (0, 1], a positive int, a list of names or None",
                activities,
            )
    elif isinstance(activities, int) and activities < 1:
        raise fail(
            "discover", "activities", "a share in (0, 1], a positive int, a list of names or None", activities
        )
    if variants is not None:
        bad = isinstance(variants, bool) or not isinstance(variants, (int, float))
        bad = (
            bad
            or (isinstance(variants, float) and not 0 < variants <= 1)
            or (isinstance(variants, int) and variants < 1)
        )
        if bad:
            raise fail("discover", "variants", "a share of cases in (0, 1], a positive int or None", variants)
