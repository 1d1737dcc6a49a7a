"""The one adapter to pm4py: imported lazily, quietly, with explicit parameters.

pm4py prints on import, shows progress bars, silently ignores misspelled parameter keys,
may add helper columns to the frames it is given and raises bare ``Exception``. Every
call into pm4py from procmine goes through the functions here, which

- import pm4py with stdout/stderr redirected and progress bars off,
- hand it a trimmed copy of the frame (case, activity, timestamp columns only),
- pass keys explicitly, and
- re-raise its errors as :class:`procmine.ProcmineError` saying what was attempted.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ProcmineError
from ..log import ACTIVITY, CASE, TIMESTAMP, EventLog

__all__ = [
    "call",
    "discover_petri_net",
    "discover_petri_net_variants",
    "fitness_alignments",
    "fitness_token_based",
    "fitness_token_based_variants",
    "frame",
    "pm4py",
    "precision_token_based",
    "quiet",
    "read_bpmn",
]

logger = logging.getLogger("procmine")
_KEYS = {"activity_key": ACTIVITY, "case_id_key": CASE, "timestamp_key": TIMESTAMP}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence pm4py's prints, progress bars and warnings inside the block."""
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def pm4py() -> Any:
    """The pm4py module, imported on first use without its banner or progress bars."""
    with quiet():
        import pm4py as _pm4py

        try:
            from pm4py.util import constants

            constants.SHOW_PROGRESS_BAR = False
        except Exception:  # pragma: no cover - older/newer pm4py layouts
            pass
    return _pm4py


def frame(log: EventLog | pd.DataFrame) -> pd.DataFrame:
    """A trimmed copy of the events pm4py may modify at will (canonical columns only)."""
    df = log.df if isinstance(log, EventLog) else log
    out = df[[CASE, ACTIVITY, TIMESTAMP]].copy()
    # pm4py's pandas code expects object/str columns; Arrow-backed strings work but
    # some of its helpers compare against Python strings, which is fine either way.
    return out


def call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` quietly; any pm4py exception becomes a ProcmineError naming ``what``."""
    with quiet():
        try:
            return fn(*args, **kwargs)
        except ProcmineError:
            raise
        except Exception as exc:  # pm4py raises bare Exception
            raise ProcmineError(f"pm4py failed while {what}: {type(exc).__name__}: {exc}") from exc


def discover_petri_net(df: pd.DataFrame, *, algorithm: str, noise: float) -> tuple[Any, Any, Any]:
    """(net, initial marking, final marking) with the inductive or heuristics miner.

    ``noise`` is the inductive miner's noise threshold (IMf); for the heuristics miner it
    becomes the dependency threshold ``1 - noise`` (higher noise keeps fewer arcs).
    """
    pm = pm4py()
    if algorithm == "inductive":
        return call(
            "mining a Petri net with the inductive miner",
            pm.discover_petri_net_inductive,
            df,
            noise_threshold=float(noise),
            multi_processing=False,
            **_KEYS,
        )
    if algorithm == "heuristics":
        return call(
            "mining a Petri net with the heuristics miner",
            pm.discover_petri_net_heuristics,
            df,
            dependency_threshold=float(1.0 - noise) if noise else 0.5,
            **_KEYS,
        )
    raise ProcmineError(f"unknown discovery algorithm {algorithm!r}")  # validated earlier


def discover_petri_net_variants(
    variants: dict[tuple[str, ...], int], *, algorithm: str, noise: float
) -> tuple[Any, Any, Any]:
    """(net, initial marking, final marking) mined from variant counts alone.

    ``variants`` maps each activity sequence to its number of cases. The inductive
    miner works on exactly this (pm4py's "univariate variant-compressed log", UVCL): the
    steps are those of :func:`discover_petri_net` (IM, or IMf with ``noise``, then
    fold, sort and convert), without the frame. The heuristics miner needs the events
    (its 2-loop counts), so it is refused here.
    """
    if algorithm != "inductive":
        raise ProcmineError(
            f"the {algorithm} miner needs the events; on a DuckDB log use algorithm='inductive' "
            "or discover(log.to_eventlog(), ...)"
        )
    from collections import Counter

    pm = pm4py()
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    params: dict[str, Any] = {
        "noise_threshold": float(noise),
        "multiprocessing": False,
        "disable_fallthroughs": False,
    }
    uvcl = Counter({tuple(k): int(v) for k, v in variants.items()})

    def mine() -> Any:
        miner = IMFUVCL(params) if noise > 0 else IMUVCL(params)  # as pm4py.discover_petri_net_inductive
        tree = miner.apply(IMDataStructureUVCL(uvcl), params)
        tree = pt_util.fold(tree)
        pt_util.tree_sort(tree)
        return pm.convert_to_petri_net(tree)

    return call("mining a Petri net with the inductive miner (from variants)", mine)


def fitness_token_based(df: pd.DataFrame, net: Any, im: Any, fm: Any) -> dict[str, float]:
    """pm4py's token-based replay fitness dict."""
    return call(
        "replaying the log on the model (token-based)",
        pm4py().fitness_token_based_replay,
        df,
        net,
        im,
        fm,
        **_KEYS,
    )


def fitness_token_based_variants(
    variants: list[tuple[str, ...]], cases: list[int], net: Any, im: Any, fm: Any
) -> dict[str, float]:
    """Token-based replay fitness of a log given as variants and their case counts.

    Each variant is replayed once (pm4py's token replay is deterministic per activity
    sequence) and pm4py's log-level formulas (``percentage_of_fitting_traces``,
    ``average_trace_fitness``, ``log_fitness`` from the token totals) are applied with
    every trace weighted by its cases: the figures of :func:`fitness_token_based` on
    the whole log.
    """
    pm = pm4py()
    from pm4py.objects.log.obj import Event, EventLog, Trace

    log = EventLog([Trace([Event({ACTIVITY: a}) for a in v]) for v in variants])
    diag = call(
        "replaying the variants on the model (token-based)",
        pm.conformance_diagnostics_token_based_replay,
        log,
        net,
        im,
        fm,
        activity_key=ACTIVITY,
    )
    w = [float(n) for n in cases]
    n = sum(w)

    def total(key: str) -> float:
        return sum(x[key] * k for x, k in zip(diag, w))

    m, c, r, p = (
        total(k) for k in ("missing_tokens", "consumed_tokens", "remaining_tokens", "produced_tokens")
    )
    out = {"perc_fit_traces": 0.0, "average_trace_fitness": 0.0, "log_fitness": 0.0}
    if n > 0 and c > 0 and p > 0:
        out["perc_fit_traces"] = 100.0 * sum(k for x, k in zip(diag, w) if x["trace_is_fit"]) / n
        out["average_trace_fitness"] = sum(x["trace_fitness"] * k for x, k in zip(diag, w)) / n
        out["log_fitness"] = 0.5 * (1 - m / c) + 0.5 * (1 - r / p)
    out["percentage_of_fitting_traces"] = out["perc_fit_traces"]
    return out


def fitness_alignments(
    variants: list[tuple[str, ...]], cases: list[int], net: Any, im: Any, fm: Any, *, timeout: float
) -> dict[str, Any]:
    """Alignment-based fitness of ``variants`` (most frequent first), within ``timeout`` seconds.

    pm4py's own ``max_align_time`` is not a deadline: its log-level loop submits every
    variant at once, each with half the remaining budget, so a 10 s limit can run for
    minutes. Here each variant is aligned with pm4py's ``apply_trace`` under its own
    limit (``max_align_time_trace``: the time left, at most a tenth of ``timeout``), the
    most frequent first, and the loop stops at the deadline. The figures are pm4py's
    (``log_fitness = 1 - cost / best-worst cost``, averages over traces), weighted by
    cases and computed over the cases aligned in time; ``cases_aligned`` says how many.
    """
    import time

    pm4py()
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.algo.conformance.alignments.petri_net.algorithm import Parameters
    from pm4py.objects.log.obj import Event, Trace

    variant = alignments.DEFAULT_VARIANT
    params: dict[Any, Any] = {Parameters.ACTIVITY_KEY: ACTIVITY, Parameters.SHOW_PROGRESS_BAR: False}
    deadline = time.monotonic() + float(timeout)
    bwc = call(
        "computing the best worst alignment cost",
        variant.value.get_best_worst_cost,
        net,
        im,
        fm,
        parameters=dict(params),
    )
    params[Parameters.BEST_WORST_COST_INTERNAL] = bwc
    n_cases = n_fit = 0
    sum_fit = sum_cost = sum_bwc = 0.0
    aligned_variants = 0
    for acts, n in zip(variants, cases):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        p = dict(params)
        p[Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = max(min(left, float(timeout) / 10.0), 0.01)
        trace = Trace([Event({ACTIVITY: a}) for a in acts])
        ali = call(
            "aligning a trace with the model", alignments.apply_trace, trace, net, im, fm, parameters=p
        )
        if ali is None or "fitness" not in ali:
            continue
        aligned_variants += 1
        n_cases += n
        n_fit += n if ali["fitness"] == 1.0 else 0
        sum_fit += n * ali["fitness"]
        sum_cost += n * ali["cost"]
        sum_bwc += n * ali["bwc"]
    total = int(sum(cases))
    return {
        "percentage_of_fitting_traces": 100.0 * n_fit / n_cases if n_cases else float("nan"),
        "average_trace_fitness": sum_fit / n_cases if n_cases else float("nan"),
        "log_fitness": 1.0 - sum_cost / sum_bwc if sum_bwc else float("nan"),
        "cases_aligned": n_cases,
        "cases_total": total,
        "variants_aligned": aligned_variants,
        "variants_total": len(variants),
        "timed_out": n_cases < total,
    }


def precision_token_based(df: pd.DataFrame, net: Any, im: Any, fm: Any) -> float:
    """pm4py's ETConformance precision (token-based)."""
    return float(
        call(
            "computing precision (ETConformance)",
            pm4py().precision_token_based_replay,
            df,
            net,
            im,
            fm,
            **_KEYS,
        )
    )


def read_bpmn(path: str | Path) -> Any:
    """Read a BPMN file with pm4py."""
    return call(f"reading the BPMN file {path}", pm4py().read_bpmn, str(path))
