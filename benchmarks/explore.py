"""Benchmark: how long each interaction of ``procmine.explore`` takes after the first draw.

Usage::

    .venv/bin/python benchmarks/explore.py                        # road_traffic_fines
    .venv/bin/python benchmarks/explore.py --log ../shared/logs/BPIC12.xes.gz
    .venv/bin/python benchmarks/explore.py --markdown explore.md

The log is read once; the first draw (``explore(log)``: findings, variants, the first
map) is timed on its own. Then each interaction is timed as the widget runs it,
through :meth:`Explorer.set` (the controls call the same method): slider moves to
positions never drawn before, the frequency/time toggle, elapsed/working time, selecting
a variant and a finding, and going back to a position already drawn (the map cache).
Each row is one interaction on a fresh position (a cached one would cost nothing), so
``--repeat`` starts a fresh explorer per run and keeps the best. Goal: < 0.5 s each.
When ipywidgets is installed the widget's controls are updated too (counted in the time).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd
from _common import DEFAULT_LOG, log_missing

GOAL_S = 0.5

# (what, the controls moved); run in this order on one explorer
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("activities slider 1.0 -> 0.5", {"activities": 0.5}),
    ("activities slider -> 0.9", {"activities": 0.9}),
    ("paths slider -> 0.3", {"paths": 0.3}),
    ("paths slider -> 0.95", {"paths": 0.95}),
    ("toggle frequency -> time", {"metric": "time"}),
    ("toggle elapsed -> working time", {"time": "working"}),
    ("select variant 1", {"variant": 0}),
    ("select finding 1", {"variant": None, "finding": 0}),
    ("back to a drawn position (cache)", {"activities": 0.5, "paths": None, "metric": "frequency", "time": "elapsed", "finding": None}),
]


def _steps(ex: Any) -> list[tuple[str, dict[str, Any]]]:
    """STEPS, then the filters: the first year of the log, the largest group of the first
    group column (each a new sub-log: its counts, variants and map computed once)."""
    steps = list(STEPS)
    start, _ = ex.log.time_range
    steps.append(("period filter: first year", {"period": (start, start + pd.Timedelta(days=365))}))
    columns = ex.group_columns()
    if columns:
        values = ex.group_values(columns[0])
        if values:
            steps.append((f"group filter: {columns[0]}", {"period": None, "group": (columns[0], values[0])}))
    return steps


def run_once(log: Any, findings: Any) -> tuple[float, list[float], Any]:
    import procmine as pm

    t0 = time.perf_counter()
    ex = pm.explore(log, findings=findings)
    first = time.perf_counter() - t0
    times = []
    for _what, change in _steps(ex):
        if "finding" in change and change["finding"] is not None and not len(ex.findings):
            times.append(float("nan"))
            continue
        t0 = time.perf_counter()
        ex.set(**change)
        times.append(time.perf_counter() - t0)
    return first, times, ex


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", type=Path, default=DEFAULT_LOG, help="event log (default: road_traffic_fines)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh explorers; the best time per step is kept")
    ap.add_argument("--markdown", type=Path, help="also write the table as markdown to this file")
    args = ap.parse_args(argv)
    if log_missing(args.log):
        return 2

    import procmine as pm

    t0 = time.perf_counter()
    log = pm.read_log(args.log)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = pm.find_redundancies(log)
    find_s = time.perf_counter() - t0
    firsts: list[float] = []
    best: list[float] = []
    ex = None
    for _ in range(args.repeat):
        first, times, ex = run_once(log, findings)
        firsts.append(first)
        best = [min(b, t) for b, t in zip(best, times)] if best else times
    widgets = "with ipywidgets" if ex is not None and ex.widget is not None else "without ipywidgets (static)"
    rows = [("first draw (variants, first map)", min(firsts))] + [(w, t) for (w, _), t in zip(_steps(ex), best)]
    lines = [
        f"{args.log.name}: {log.n_events:,} events, {log.n_cases:,} cases, {log.codes.n_activities} activities; "
        f"read {read_s:.1f} s, find_redundancies {find_s:.1f} s ({len(findings)} findings); {widgets}; "
        f"best of {args.repeat}",
        "",
        "| interaction | seconds | goal < 0.5 s |",
        "| --- | ---: | :---: |",
    ]
    for what, t in rows:
        ok = "" if what.startswith("first") else ("yes" if t < GOAL_S else "NO")
        lines.append(f"| {what} | {t:.3f} | {ok} |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
