"""procmine against pm4py on the same data in the same run; writes docs/benchmarks.md.

    python benchmarks/suite.py                 # shared logs + 1 M synthetic events
    python benchmarks/suite.py --scale 10      # adds the 10 M-event log (road fines x18)
    python benchmarks/suite.py --quick         # receipt_wabo only, one repeat

Every task runs in a fresh process (``benchmarks/_task.py``) so that its peak memory
is its own; times are the best of ``--repeat`` runs (these machines are shared: under
1.5x, differences are noise). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("PROCMINE_SHARED_LOGS", ROOT.parent / "shared" / "logs"))
DATA = HERE / "_data"

CASE = "case:concept:name"


def synthetic(copies: int) -> Path:
    """road_traffic_fines replicated ``copies`` times with new case ids, as Parquet."""
    import numpy as np
    import pandas as pd

    DATA.mkdir(exist_ok=True)
    out = DATA / f"road_fines_x{copies}.parquet"
    if out.exists():
        return out
    import procmine as pm

    base = pm.read_log(SHARED / "road_traffic_fines.xes.gz").df
    keep = [c for c in base.columns if not c.startswith("case:") or c == CASE]
    base = base[keep]
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    for i in range(copies):
        part = base.copy()
        part[CASE] = part[CASE].astype(str) + f"-{i}"
        part["time:timestamp"] = part["time:timestamp"] + pd.Timedelta(days=int(np.int64(i) * 7))
        table = pa.Table.from_pandas(part, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return out


def run(task: str, tool: str, log: Path, repeat: int) -> dict:
    cmd = [sys.executable, str(HERE / "_task.py"), "--task", task, "--tool", tool, "--log", str(log),
           "--repeat", str(repeat)]
    t = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if res.returncode != 0:
        return {"task": task, "tool": tool, "log": log.name, "error": res.stderr.strip().splitlines()[-1:]}
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("{")][-1]
    out = json.loads(line)
    print(f"  {log.name:<28} {task:<32} {tool:<9} {out['seconds']:8.2f} s  peak {out['peak_mb']:7.0f} MB"
          f"  ({time.time() - t:.0f} s wall)", flush=True)
    return out


def machine() -> str:
    import numpy
    import pandas

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        mem = "?"
    try:
        from importlib.metadata import version

        pm4py_v = version("pm4py")
    except Exception:
        pm4py_v = "?"
    return (f"{cpu}, {os.cpu_count()} cores, {mem} RAM; Python {platform.python_version()}, "
            f"pandas {pandas.__version__}, numpy {numpy.__version__}, pm4py {pm4py_v}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=int, default=1, help="1: up to 1 M events; 10: adds 10 M")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--results", default=str(DATA / "results.json"),
                    help="every measurement as JSON (written after a run; read with --render-only)")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite the markdown from --results without timing anything")
    a = ap.parse_args()
    if a.render_only:
        saved = json.loads(Path(a.results).read_text(encoding="utf-8"))
        write_markdown(saved["results"], Path(a.markdown), measured=saved["measured"], machine_line=saved["machine"])
        print(f"wrote {a.markdown} from {a.results}")
        return

    plan: list[tuple[Path, str, list[str]]] = []
    # the synthetic logs first: the 10 M-event rows are the longest and the most sensitive to
    # other work starting on a shared machine
    if not a.quick and (SHARED / "road_traffic_fines.xes.gz").exists():
        sizes = [2] + ([18] if a.scale >= 10 else [])
        for copies in sizes:
            p = synthetic(copies)
            plan.append((p, "ingest", ["procmine", "pandas"]))
            plan.append((p, "dfg+variants+performance", ["procmine", "pm4py"]))
            plan.append((p, "read+dfg+variants+performance", ["procmine", "duckdb"]))
            plan.append((p, "find_redundancies", ["procmine"]))
    xes = ["receipt_wabo.xes.gz"] if a.quick else [
        "receipt_wabo.xes.gz", "BPIC15_1.xes.gz", "helpdesk.xes.gz", "BPIC12.xes.gz", "road_traffic_fines.xes.gz"]
    for name in xes:
        p = SHARED / name
        if not p.exists():
            continue
        plan.append((p, "ingest", ["procmine", "pm4py"]))
        plan.append((p, "dfg", ["procmine", "pm4py"]))
        plan.append((p, "variants", ["procmine", "pm4py"]))
        plan.append((p, "performance", ["procmine", "pm4py"]))
        plan.append((p, "dfg+variants+performance", ["procmine", "pm4py"]))
        plan.append((p, "performance-working", ["procmine"]))
        plan.append((p, "find_redundancies", ["procmine"]))
        plan.append((p, "report", ["procmine"]))

    results = []
    for log, task, tools in plan:
        repeat = 1 if a.quick or task in ("report", "find_redundancies") or "x18" in log.name else a.repeat
        for tool in tools:
            results.append(run(task, tool, log, repeat))
    measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(a.results).parent.mkdir(parents=True, exist_ok=True)
    Path(a.results).write_text(json.dumps({"measured": measured, "machine": machine(), "results": results},
                                          indent=1), encoding="utf-8")
    write_markdown(results, Path(a.markdown), measured=measured, machine_line=machine())
    print(f"wrote {a.markdown}")


def targets(results: list[dict]) -> list[str]:
    """The issue's targets, each with the measured figure and whether it is met."""
    by = {(r["log"], r["task"], r["tool"]): r for r in results if "seconds" in r}
    out = []

    def line(what: str, value: str, target: str, met: bool) -> None:
        verdict = "met" if met else "**not met**"
        out.append(f"| {what} | {target} | {value} | {verdict} |")

    for (lg, task, tool), r in by.items():
        if task == "ingest" and tool == "pm4py" and (lg, task, "procmine") in by:
            ratio = r["seconds"] / by[(lg, task, "procmine")]["seconds"]
            line(f"XES ingest, {lg}", f"{ratio:.1f}x", ">= 10x pm4py", ratio >= 10)
    for (lg, task, tool), r in by.items():
        if task == "dfg+variants+performance" and tool == "pm4py" and (lg, task, "procmine") in by:
            ratio = r["seconds"] / by[(lg, task, "procmine")]["seconds"]
            line(f"DFG + variants + performance, {lg}", f"{ratio:.1f}x", ">= 10x pm4py", ratio >= 10)
    for (lg, task, tool), r in by.items():
        if task == "read+dfg+variants+performance" and tool == "procmine" and (lg, "dfg+variants+performance", "pm4py") in by:
            ratio = by[(lg, "dfg+variants+performance", "pm4py")]["seconds"] / r["seconds"]
            line(f"read + DFG + variants + performance (procmine, read included) vs pm4py's three on the "
                 f"loaded frame, {lg}", f"{ratio:.1f}x", ">= 3x (aim 10x)", ratio >= 3)
            line(f"peak memory of that run, {lg}", f"{r['peak_mb'] / 1024:.2f} GB", "< 4 GB (aim 2 GB)",
                 r["peak_mb"] < 4096)
    for (lg, task, _tool), r in by.items():
        if task == "find_redundancies" and "x18" in lg:
            line(f"find_redundancies, {lg}", f"{r['seconds']:.1f} s", "< 60 s", r["seconds"] < 60)
    if not out:
        return []
    return ["## Targets (issue 7)", "", "| what | target | measured | |", "| --- | --- | ---: | --- |", *out, ""]


def write_markdown(results: list[dict], path: Path, *, measured: str | None = None, machine_line: str | None = None) -> None:
    by = {(r["log"], r["task"], r["tool"]): r for r in results}
    rows = []
    seen = []
    for r in results:
        key = (r["log"], r["task"])
        if key in seen:
            continue
        seen.append(key)
        mine = by.get((*key, "procmine"), {})
        other_tool = next((t for (lg, tk, t) in by if (lg, tk) == key and t != "procmine"), None)
        other = by.get((*key, other_tool), {}) if other_tool else {}
        ratio = (other["seconds"] / mine["seconds"]) if "seconds" in mine and "seconds" in other and mine["seconds"] else None
        events = mine.get("check", {}).get("events", "")
        rows.append(
            f"| {key[0]} | {key[1]} | {_s(mine)} | {other_tool or '–'} | {_s(other)} | "
            f"{f'{ratio:.1f}x' if ratio else '–'} | {_mb(mine)} | {_mb(other)} |"
            + (f" {events:,} |" if isinstance(events, int) else " |")
        )
    text = [
        "# Benchmarks",
        "",
        f"Measured {measured or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on: {machine_line or machine()}.",
        "",
        "Regenerate with `python benchmarks/suite.py` (add `--scale 10` for the 10 M-event log). Each cell is",
        "the best of several runs in a fresh process; peak is the process's resident memory while the task",
        "ran (including the loaded log). Ratio = other tool's time / procmine's time (higher is better for",
        "procmine). These machines are shared: differences under 1.5x are noise. The 10 M-event rows",
        "(`road_fines_x18`) are single runs.",
        "",
        *targets(results),
        "## All measurements",
        "",
        "| log | task | procmine s | vs | other s | ratio | procmine peak MB | other peak MB | events |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Tasks: `ingest` = read the file into a frame with every attribute (pm4py: `pm4py.read_xes`, its",
        "default reader; pandas: `pd.read_parquet`); `dfg`, `variants`, `performance` = on the already loaded",
        "frame (pm4py: `discover_dfg`, `get_variants`, `discover_performance_dfg`; procmine: integer codes",
        "computed from scratch + `compute_dfg`, `compute_variants`, `performance(calendar=Calendar.always()).edges`,",
        "i.e. elapsed time as pm4py); `performance-working` = procmine's default working-time performance",
        "on the Swiss office calendar (no pm4py counterpart);",
        "`read+dfg+variants+performance` = procmine in one process, read included; `find_redundancies` and",
        "`report` have no pm4py counterpart. In the combined tasks procmine computes the grouping of the",
        "directly-follows pairs (edge, count, distinct cases) once and shares it between the DFG and the",
        "performance edges, as it does for any user who asks for both; the single-task rows pay for it each.",
        "`duckdb` rows: the same figures through the DuckDB engine (`read_log(path, engine=\"duckdb\")`, events",
        "never loaded into memory), against procmine's in-memory path.",
    ]
    errors = [r for r in results if "error" in r]
    if errors:
        text += ["", "Failed runs:", *[f"- {e['log']} {e['task']} {e['tool']}: {e['error']}" for e in errors]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")


def _s(r: dict) -> str:
    if "seconds" not in r:
        return "error" if "error" in r else "–"
    return f"{r['seconds']:.3f}" if r["seconds"] < 1 else f"{r['seconds']:.2f}"


def _mb(r: dict) -> str:
    return f"{r['peak_mb']:.0f}" if "peak_mb" in r else "–"


if __name__ == "__main__":
    main()
