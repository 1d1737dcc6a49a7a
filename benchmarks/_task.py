"""One timed task in a fresh process, so that peak memory belongs to that task alone.

Used by ``benchmarks/suite.py``; prints one JSON line:
``{"task": ..., "tool": ..., "seconds": best, "runs": [...], "peak_mb": ..., "check": ...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import resource
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

warnings.simplefilter("ignore")
ELAPSED: Any = None
os.environ.setdefault("TQDM_DISABLE", "1")


def _quiet_pm4py() -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


class PeakRSS:
    """Samples the process RSS every 20 ms (ru_maxrss cannot be reset between tasks)."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRSS:
        self.peak = self.proc.memory_info().rss
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def _pm4py_frame(path: str) -> Any:
    """The frame pm4py's algorithms get: the same events procmine analyses.

    Loading it is not timed; procmine's reader is used because pm4py's takes up to a minute
    per process on the larger logs (its ingest is timed separately).
    """
    import procmine as pm

    return pm.read_log(path).to_pm4py()


def _elapsed() -> Any:
    from procmine.calendar import Calendar

    return Calendar.always()


def build(task: str, tool: str, path: str) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """(setup-free callable to time, check(result) -> small JSON-able summary)."""
    import procmine as pm

    global ELAPSED
    ELAPSED = _elapsed()
    if task == "performance-working" and tool == "procmine":
        base = pm.read_log(path)

        def run_working() -> Any:
            log = pm.EventLog(base.df, base.report, presorted=True)
            return pm.performance(log).edges  # Swiss office calendar: no pm4py counterpart

        return run_working, lambda o: {"edges": len(o)}
    if task == "ingest":
        if tool == "procmine":
            return (lambda: pm.read_log(path)), (lambda lg: {"events": lg.n_events})
        if tool == "pm4py":
            pm4py = _quiet_pm4py()
            return (lambda: pm4py.read_xes(path, return_legacy_log_object=False)), (lambda df: {"events": len(df)})
        if tool == "pandas":
            import pandas as pd

            return (lambda: pd.read_parquet(path)), (lambda df: {"events": len(df)})
    if task in ("dfg", "variants", "performance", "dfg+variants+performance"):
        if tool == "procmine":
            base = pm.read_log(path)
            frame = base.df

            def run() -> Any:
                log = pm.EventLog(frame, base.report, presorted=True)  # fresh caches, codes included
                out = {}
                from procmine.discovery import compute_dfg, compute_variants

                if task in ("dfg", "dfg+variants+performance"):
                    out["dfg"] = compute_dfg(log)
                if task in ("variants", "dfg+variants+performance"):
                    out["variants"] = compute_variants(log)
                if task in ("performance", "dfg+variants+performance"):
                    # elapsed time, as pm4py's performance DFG (working time: see "performance-working")
                    out["performance"] = pm.performance(log, calendar=ELAPSED).edges
                return out

            return run, lambda o: {k: len(v) for k, v in o.items()}
        if tool == "pm4py":
            pm4py = _quiet_pm4py()
            df = _pm4py_frame(path)

            def run_pm() -> Any:
                out = {}
                if task in ("dfg", "dfg+variants+performance"):
                    out["dfg"] = pm4py.discover_dfg(df)[0]
                if task in ("variants", "dfg+variants+performance"):
                    out["variants"] = pm4py.get_variants(df)
                if task in ("performance", "dfg+variants+performance"):
                    out["performance"] = pm4py.discover_performance_dfg(df)[0]
                return out

            return run_pm, lambda o: {k: len(v) for k, v in o.items()}
    if task == "read+dfg+variants+performance" and tool == "procmine":
        def run_all() -> Any:
            from procmine.discovery import compute_dfg, compute_variants

            log = pm.read_log(path)
            return {"dfg": compute_dfg(log), "variants": compute_variants(log),
                    "performance": pm.performance(log, calendar=ELAPSED).edges}

        return run_all, lambda o: {k: len(v) for k, v in o.items()}
    if task == "read+dfg+variants+performance" and tool == "duckdb":
        def run_duck() -> Any:
            # out of core: the events stay in DuckDB (on disk), only the figures come back
            with pm.read_log(path, engine="duckdb") as log:
                model = pm.discover(log)
                return {"dfg": model.dfg, "variants": model.variants,
                        "performance": pm.performance(log, calendar=ELAPSED).edges}

        return run_duck, lambda o: {k: len(v) for k, v in o.items()}
    if task == "find_redundancies" and tool == "procmine":
        log = pm.read_log(path)
        return (lambda: pm.find_redundancies(log)), (lambda f: {"findings": len(f)})
    if task == "report" and tool == "procmine":
        import tempfile

        log = pm.read_log(path)
        out = os.path.join(tempfile.mkdtemp(), "report.html")
        # HTML and workbook, as `procmine report` writes them
        return (lambda: pm.report(log, out, language="de", xlsx=True)), (lambda p: {"bytes": os.path.getsize(p)})
    raise SystemExit(f"unknown task/tool {task}/{tool}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    fn, check = build(a.task, a.tool, a.log)
    runs = []
    result = None
    with PeakRSS() as mem:
        for _ in range(a.repeat):
            result = None  # the previous run's result is freed: the peak is one run's
            gc.collect()
            t = time.perf_counter()
            result = fn()
            runs.append(time.perf_counter() - t)
    print(json.dumps({
        "task": a.task, "tool": a.tool, "log": os.path.basename(a.log),
        "seconds": min(runs), "runs": runs, "peak_mb": mem.peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "check": check(result),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
