"""Benchmark: procmine's DFG + variants + performance DFG against pm4py on the same frame.

Usage::

    .venv/bin/python benchmarks/discovery.py                       # road_traffic_fines
    .venv/bin/python benchmarks/discovery.py --log ../shared/logs/BPIC15_1.xes.gz --repeat 5
    .venv/bin/python benchmarks/discovery.py --markdown docs/bench_discovery.md

The log is read once (procmine's reader); both libraries then work on the same frame
(``log.df``). procmine's timing *includes* computing the integer codes of the log (a
fresh ``EventLog`` on the same frame each repeat, so nothing is cached), then
``compute_dfg`` (counts and durations: it is the performance DFG too),
``compute_variants`` and ``start_end_activities``. pm4py's timing is
``pm4py.discover_dfg`` + ``pm4py.get_variants`` + ``pm4py.discover_performance_dfg``.
Best of ``--repeat`` runs each (the machine is shared: the best run is the least noisy).
Counts are asserted equal before anything is printed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import DEFAULT_LOG, best_of, log_missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", type=Path, default=DEFAULT_LOG, help="event log (default: road_traffic_fines)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement, the best is kept")
    ap.add_argument("--markdown", type=Path, help="also write the table as markdown to this file")
    args = ap.parse_args(argv)
    if log_missing(args.log):
        return 2

    import procmine as pm
    from procmine.discovery import _pm4py, compute_dfg, compute_variants, start_end_activities

    t0 = time.perf_counter()
    log = pm.read_log(args.log)
    read_s = time.perf_counter() - t0
    df = log.df
    pm4py = _pm4py.pm4py()
    frame = _pm4py.frame(log)  # the canonical columns; pm4py gets the same data

    def codes() -> pm.EventLog:
        fresh = pm.EventLog(df, presorted=True)
        fresh.codes  # noqa: B018 - computing the codes is part of the measured work
        return fresh

    def ours_all() -> tuple:
        fresh = codes()
        return compute_dfg(fresh), compute_variants(fresh), start_end_activities(fresh)

    rows = []
    t_codes, fresh = best_of(codes, args.repeat)
    t_dfg, dfg = best_of(lambda: compute_dfg(fresh), args.repeat)
    t_var, variants = best_of(lambda: compute_variants(fresh), args.repeat)
    t_se, (sa, ea) = best_of(lambda: start_end_activities(fresh), args.repeat)
    t_all, _ = best_of(ours_all, args.repeat)
    with _pm4py.quiet():
        p_dfg_t, (p_dfg, p_sa, p_ea) = best_of(lambda: pm4py.discover_dfg(frame), args.repeat)
        p_var_t, p_var = best_of(lambda: pm4py.get_variants(frame), args.repeat)
        p_perf_t, p_perf = best_of(lambda: pm4py.discover_performance_dfg(frame), args.repeat)

    # the same answers
    assert {(s, t): n for s, t, n in zip(dfg["source"], dfg["target"], dfg["count"])} == dict(p_dfg)
    assert sa.to_dict() == dict(p_sa) and ea.to_dict() == dict(p_ea)
    theirs = {k: (n if isinstance(n, int) else len(n)) for k, n in p_var.items()}
    assert dict(zip(variants["variant"], variants["cases"])) == theirs
    d = dfg.set_index(["source", "target"])
    if fresh.codes.start_ts is None:
        # with start timestamps procmine measures completion -> start (waiting time) and
        # pm4py completion -> completion: the medians are only comparable without them
        for edge, stats in p_perf[0].items():
            assert abs(d.loc[edge, "median"].total_seconds() - stats["median"]) < 1e-3

    p_total = p_dfg_t + p_var_t + p_perf_t
    rows = [
        ("integer codes of the log", t_codes, None),
        ("DFG (counts, cases, median/mean/p90)", t_dfg, p_dfg_t),
        ("performance DFG", 0.0, p_perf_t),
        ("variants", t_var, p_var_t),
        ("start/end activities", t_se, None),
        ("total (codes + DFG + variants + start/end)", t_all, p_total),
    ]
    title = (
        f"{args.log.name}: {log.n_events:,} events, {log.n_cases:,} cases, "
        f"{log.codes.n_activities} activities, {len(dfg)} edges, {len(variants):,} variants "
        f"(read in {read_s:.1f} s); best of {args.repeat}"
    )
    lines = [
        title,
        "",
        "| step | procmine (s) | pm4py (s) | pm4py / procmine |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ours, theirs_t in rows:
        ratio = f"{theirs_t / ours:.1f}x" if theirs_t and ours else ""
        ours_s = f"{ours:.3f}" if name != "performance DFG" else "(in DFG)"
        lines.append(
            f"| {name} | {ours_s} | {theirs_t:.3f} | {ratio} |"
            if theirs_t is not None
            else f"| {name} | {ours_s} | | |"
        )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
