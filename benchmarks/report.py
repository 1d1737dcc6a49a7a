"""Benchmark: ``report`` (HTML + workbook) on BPIC12, and how often each analysis runs.

Usage::

    .venv/bin/python benchmarks/report.py                                   # BPIC12, best of 3
    .venv/bin/python benchmarks/report.py --log ../shared/logs/BPIC15_1.xes.gz --repeat 5

The log is read once. Each repeat builds a fresh ``EventLog`` on the same frame, so the
timing *includes* discovery, performance, the wait causes, ``find_redundancies`` and every
section (charts, what-if, proposal) and writing the HTML file and the workbook. Printed:
the best of ``--repeat`` (target <= 3 s on BPIC12), then the number of times each shared
analysis ran in one report (each should be 1: the sections share them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from _common import ROOT, best_of, log_missing

DEFAULT = ROOT.parent / "shared" / "logs" / "BPIC12.xes.gz"

#: (module, function) of the analyses a report should run once
SHARED = [
    ("procmine.discovery", "discover"),
    ("procmine.performance", "performance"),
    ("procmine.redundancy", "find_redundancies"),
    ("procmine.client", "client_view"),
    ("procmine.redundancy._base", "EventTable"),
    ("procmine.waits._causes", "_compute"),
]


def count_calls(run: Any) -> Counter:
    """Run ``run()`` with the shared analyses wrapped to count their calls."""
    counts: Counter = Counter()
    saved = []
    for mod_name, name in SHARED:
        module = importlib.import_module(mod_name)
        real = getattr(module, name)

        def wrapper(*a: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            counts[_name] += 1
            return _real(*a, **kw)

        saved.append((module, name, real))
        setattr(module, name, wrapper)
    try:
        run()
    finally:
        for module, name, real in saved:
            setattr(module, name, real)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if log_missing(args.log):
        return 2
    warnings.simplefilter("ignore")  # the log's data-quality warnings are not the subject

    import procmine as pm

    log = pm.read_log(args.log)
    df = log.df
    out = Path(tempfile.mkdtemp(prefix="procmine-report-bench-"))

    def once() -> Path:
        return pm.report(pm.EventLog(df, presorted=True, name=log.name), out / "report.html", xlsx=True)

    once()  # imports, fonts and templates load once per process
    t, _ = best_of(once, args.repeat)
    print(f"report (HTML + workbook), {log!r}: {t:.2f} s best of {args.repeat}  [target <= 3 s]")
    counts = count_calls(once)
    print("analyses per report: " + ", ".join(f"{name} {counts[name]}" for _, name in SHARED))
    return 0


if __name__ == "__main__":
    sys.exit(main())
