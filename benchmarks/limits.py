"""Benchmark: ``time_limits`` on road_traffic_fines (561k events, 150k cases). Goal: < 2 s.

Usage::

    .venv/bin/python benchmarks/limits.py                     # road_traffic_fines, best of 3
    .venv/bin/python benchmarks/limits.py --log ../shared/logs/BPIC15_1.xes.gz --start 01_HOOFD_010 --end 01_HOOFD_490_1

The log is read once (not timed). ``cold``: each repeat builds a fresh ``EventLog`` on the
same frame, so the timing includes the integer codes, the per-event times and the wait
causes that ``pause_on="client"`` and ``breaches()`` use; ``warm``: the same log again
(codes and wait causes cached). Three rules are timed together: 90 days, 90 days with
the stand-still and the client pause, and 3 months; then ``breaches()`` and ``culprits()``
of the first rule. Memory: the peak resident memory of one cold ``time_limits`` run and of
``breaches()`` + ``culprits()`` after it, beyond what the process held before (the log);
``--memory-only`` skips the timings.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path
from typing import Any

from _common import DEFAULT_LOG, best_of, log_missing
from _memory import peak_memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--start", default="Create Fine")
    parser.add_argument("--end", default="Send Fine")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-only", action="store_true", help="only the peak-memory run")
    parser.add_argument("--copies", type=int, default=0,
                        help="instead of --log: road_traffic_fines replicated this many times with new case ids "
                        "(18: 10.1 M events, written once to benchmarks/_data/, as benchmarks/suite.py --scale 10)")
    args = parser.parse_args(argv)
    if args.copies:
        if log_missing(DEFAULT_LOG):
            return 2
        from suite import synthetic

        args.log = synthetic(args.copies)
    elif log_missing(args.log):
        return 2
    warnings.simplefilter("ignore")

    import procmine as pm
    from procmine.limits import TimeLimit, time_limits

    t0 = time.perf_counter()
    log = pm.read_log(args.log)
    print(f"{log!r}: read in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rules = [
        TimeLimit("90 days", args.start, args.end, 90, without_end="exclude"),
        TimeLimit("90 days, stand-still, client pause", args.start, args.end, 90, standstill=True,
                  pause_on="client", without_end="exclude"),
        TimeLimit("3 months", args.start, args.end, 3, unit="months", without_end="exclude"),
    ]
    df = log.df

    def cold() -> Any:
        return time_limits(pm.EventLog(df, log.report, presorted=True), rules)

    with peak_memory() as mem:
        tl = cold()
    print(f"time_limits, 3 rules, memory: {mem.text()}")
    with peak_memory() as mem:
        tl.breaches(rules[0].name)
        tl.culprits(rules[0].name)
    print(f"breaches() + culprits(), memory: {mem.text()}")
    del tl
    if args.memory_only:
        return 0
    cpu0 = time.process_time()
    t_cold, tl = best_of(cold, args.repeat)
    # CPU seconds per repeat: on a shared machine the wall time grows with the load, this less
    cpu = (time.process_time() - cpu0) / args.repeat
    t_warm, tl = best_of(lambda: time_limits(log, rules), args.repeat)
    t_br, br = best_of(lambda: tl.breaches(rules[0].name), args.repeat)
    t_cu, _ = best_of(lambda: tl.culprits(rules[0].name), args.repeat)
    print(tl.to_frame().to_string(index=False))
    print(f"time_limits, 3 rules: cold {t_cold:.2f} s ({cpu:.2f} CPU s per run), warm {t_warm:.2f} s "
          f"(goal < 2 s on road_traffic_fines, < 60 s on 10 M events)")
    print(f"breaches(): {t_br:.2f} s for {len(br):,} cases; culprits(): {t_cu:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
