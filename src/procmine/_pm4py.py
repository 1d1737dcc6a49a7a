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

from .errors import ProcmineError
from .log import ACTIVITY, CASE, TIMESTAMP, EventLog

__all__ = [
    "call",
    "discover_petri_net",
    "fitness_alignments",
    "fitness_token_based",
    "frame",
    "petri_to_bpmn",
    "pm4py",
    "precision_token_based",
    "quiet",
    "read_bpmn",
    "write_bpmn",
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


def petri_to_bpmn(net: Any, im: Any, fm: Any) -> Any:
    """A pm4py BPMN graph from a Petri net."""
    return call("converting the Petri net to BPMN", pm4py().convert_to_bpmn, net, im, fm)


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


def fitness_alignments(df: pd.DataFrame, net: Any, im: Any, fm: Any, *, timeout: float) -> dict[str, float]:
    """Alignment-based fitness, stopped by pm4py's own time limits.

    ``timeout`` (seconds) is passed as pm4py's ``max_align_time`` (the whole log); each
    trace gets at most a tenth of it (``max_align_time_trace``). Traces not aligned in
    time count as unfit, as pm4py does.
    """
    pm4py()
    from pm4py.algo.evaluation.replay_fitness import algorithm as replay_fitness

    params = {
        "case_id_key": CASE,
        "activity_key": ACTIVITY,
        "timestamp_key": TIMESTAMP,
        "pm4py:param:activity_key": ACTIVITY,
        "pm4py:param:case_id_key": CASE,
        "pm4py:param:timestamp_key": TIMESTAMP,
        "max_align_time": float(timeout),
        "max_align_time_trace": max(float(timeout) / 10.0, 0.1),
        "show_progress_bar": False,
    }
    return call(
        "aligning the log with the model",
        replay_fitness.apply,
        df,
        net,
        im,
        fm,
        variant=replay_fitness.Variants.ALIGNMENT_BASED,
        parameters=params,
    )


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


def write_bpmn(bpmn: Any, path: str | Path) -> Path:
    """Write BPMN 2.0 XML with pm4py's auto layout (diagram interchange shapes and edges)."""
    path = Path(path)
    if not str(path).lower().endswith(".bpmn"):
        raise ProcmineError(f"{path}: a BPMN file name must end with '.bpmn' (pm4py appends it otherwise)")
    call(f"writing the BPMN file {path}", pm4py().write_bpmn, bpmn, str(path), auto_layout=True)
    _shift_layout(path)
    return path


def _shift_layout(path: Path, margin: float = 40.0) -> None:
    """Move pm4py's layout (which may have negative coordinates) to start at ``margin``."""
    from lxml import etree

    dc = "http://www.omg.org/spec/DD/20100524/DC"
    di = "http://www.omg.org/spec/DD/20100524/DI"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    points = tree.findall(f".//{{{dc}}}Bounds") + tree.findall(f".//{{{di}}}waypoint")
    if not points:
        raise ProcmineError(f"{path}: pm4py wrote no diagram layout (BPMN DI); the file has no shapes")
    min_x = min(float(p.get("x", 0)) for p in points)
    min_y = min(float(p.get("y", 0)) for p in points)
    dx, dy = margin - min_x, margin - min_y
    for p in points:
        p.set("x", f"{float(p.get('x', 0)) + dx:.1f}")
        p.set("y", f"{float(p.get('y', 0)) + dy:.1f}")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def read_bpmn(path: str | Path) -> Any:
    """Read a BPMN file with pm4py."""
    return call(f"reading the BPMN file {path}", pm4py().read_bpmn, str(path))
