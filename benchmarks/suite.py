"""procmine against pm4py on the same data in the same run; writes docs/benchmarks.md.

    python benchmarks/suite.py                 # shared logs + 1 M synthetic events
    python benchmarks/suite.py --scale 10      # adds the 10 M-event log (road fines x18)
    python benchmarks/suite.py --only scale-out --scale 100 --merge
                                               # the 100 M-event out-of-core run alone
                                               # (benchmarks/scale_out.py; 20 minutes or more)
    python benchmarks/suite.py --quick         # receipt_wabo only, one repeat
    python benchmarks/suite.py --only wide parquet small --scale 10 --merge
                                               # only those rows; the other rows of
                                               # docs/benchmarks.md are kept as they were
    python benchmarks/suite.py --only shared --logs BPIC12.xes.gz --tasks report --merge

Groups (``--only``): ``synthetic`` (road fines replicated, Parquet: ingest against
``pd.read_parquet``, analyses against pm4py, DuckDB, find_redundancies), ``shared`` (the
shared XES logs, every task), ``wide`` (a generated wide XES log, 150k events with 128
sparse trace and event attributes of mixed types, read against pm4py's ``read_xes``; see
``benchmarks/wide.py``), ``parquet`` (``read_log`` of the largest synthetic Parquet
against ``pd.read_parquet`` of the same file), ``small`` (DFG + variants + performance
on the shared logs of 8-21k events against pm4py), ``scale-out`` (with ``--scale 100``:
100 M events of a permit procedure over communes and years, generated once into
``--data``, through ``read_log(..., engine="duckdb")`` + DFG + variants + working-time
performance + the process map, timed by ``benchmarks/scale_out.py``). Generated logs go
to ``--data`` (a temporary folder by default), never into the repository.

Every task runs in a fresh process (``benchmarks/_task.py``) so that its peak memory
is its own; times are the best of ``--repeat`` runs (these machines are shared: under
1.5x, differences are noise). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("PROCMINE_SHARED_LOGS", ROOT.parent / "shared" / "logs"))
DATA = Path(tempfile.gettempdir()) / "procmine-benchmarks"  # generated logs (--data)
RESULTS = HERE / "_data" / "results.json"  # git-ignored
GROUPS = ("synthetic", "shared", "wide", "parquet", "small", "scale-out")
SCALE_OUT = "permits_100M.parquet"  # the log name of the 100 M-event rows
SCALE_OUT_TASK = "read+dfg+variants+performance (working time)+map"
SMALL = ("interval_event_log.xes", "receipt_wabo.xes.gz", "helpdesk.xes.gz")  # 8-21k events

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
    global DATA
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=int, default=1,
                    help="1: up to 1 M events; 10: adds 10 M; 100: adds the 100 M-event out-of-core run")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--only", nargs="+", choices=GROUPS, help="run only these groups of rows")
    ap.add_argument("--logs", nargs="+", help="run only the rows of these logs (file names), e.g. BPIC12.xes.gz")
    ap.add_argument("--tasks", nargs="+", help="run only these tasks, e.g. report find_redundancies")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of --results (or, without it, of the markdown) not measured now")
    ap.add_argument("--note", default="", help="a sentence under the date (e.g. the machine's load)")
    ap.add_argument("--data", default=str(DATA), help="folder for the generated logs (not the repository)")
    ap.add_argument("--results", default=str(RESULTS),
                    help="every measurement as JSON (written after a run; read with --render-only)")
    ap.add_argument("--scale-out-json", type=Path, default=None,
                    help="take the 100 M rows from this saved `scale_out.py --json` file (its run, "
                         "marked as earlier) instead of running it again")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite the markdown from --results without timing anything")
    a = ap.parse_args()
    if a.render_only:
        saved = json.loads(Path(a.results).read_text(encoding="utf-8"))
        results, measured = saved["results"], saved["measured"]
        if a.merge:  # the rows of the markdown not in --results are kept
            results, measured = merge(results, measured, None, Path(a.markdown))
        write_markdown(results, Path(a.markdown), measured=measured, machine_line=saved["machine"], note=a.note)
        print(f"wrote {a.markdown} from {a.results}")
        return

    DATA = Path(a.data)
    groups = set(a.only or GROUPS)
    plan = [(log, task, tools) for log, task, tools in make_plan(groups, a.scale, a.quick)
            if (not a.logs or log.name in a.logs) and (not a.tasks or task in a.tasks)]
    results = []
    if a.scale_out_json is not None:
        results += scale_out_rows(json.loads(a.scale_out_json.read_text(encoding="utf-8")), earlier=True)
    elif "scale-out" in groups and a.scale >= 100 and not a.quick:
        results += scale_out(DATA / "scale-out-100M")
    for log, task, tools in plan:
        # the 10 M-event rows too are the best of --repeat: a first run in a fresh process varies
        # 1.5-2x with the page faults of allocating gigabytes on this kind of machine (both tools alike)
        repeat = 1 if a.quick or task in ("report", "find_redundancies") else a.repeat
        if log.name in SMALL and task == "dfg+variants+performance" and not a.quick:
            repeat = max(repeat, 20)  # calls of about 10 ms: the best of 3 is mostly noise (both tools alike)
        for tool in tools:
            # pm4py takes a minute or more on the wide log: one run
            results.append(run(task, tool, log, 1 if tool == "pm4py" and log.name.startswith("wide") else repeat))
    measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if a.merge:
        results, measured = merge(results, measured, Path(a.results), Path(a.markdown))
    Path(a.results).parent.mkdir(parents=True, exist_ok=True)
    Path(a.results).write_text(json.dumps({"measured": measured, "machine": machine(), "results": results},
                                          indent=1), encoding="utf-8")
    write_markdown(results, Path(a.markdown), measured=measured, machine_line=machine(), note=a.note)
    print(f"wrote {a.markdown}")


def scale_out(data: Path) -> list[dict]:
    """The 100 M-event DuckDB run of ``benchmarks/scale_out.py`` (the dataset generated into
    ``data`` once and kept for later runs), as rows."""
    out = data / "figures.json"
    cmd = [sys.executable, str(HERE / "scale_out.py"), "--events", "100_000_000", "--data", str(data),
           "--keep", "--engines", "duckdb", "--memory-limit", "3GB", "--json", str(out)]
    if (data / "events.parquet").exists():  # scale_out.py's file name: generated once
        cmd.append("--no-generate")
    t = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * 3600)
    if res.returncode != 0 or not out.exists():
        return [{"task": SCALE_OUT_TASK, "tool": "duckdb", "log": SCALE_OUT,
                 "error": (res.stderr.strip().splitlines() or ["no output"])[-1:]}]
    rows = scale_out_rows(json.loads(out.read_text(encoding="utf-8")))
    print(f"  {SCALE_OUT:<28} {SCALE_OUT_TASK} ({time.time() - t:.0f} s wall)", flush=True)
    return rows


def scale_out_rows(figures: dict, *, earlier: bool = False) -> list[dict]:
    """The DuckDB result of a ``scale_out.py --json`` file as one row: total seconds and peak
    memory when every step ran; else the error of the step that failed."""
    rows = []
    for r in figures.get("results", []):
        if r.get("engine") != "duckdb":
            continue
        failed = {k: v["error"] for k, v in r["steps"].items() if "error" in v}
        row = {"task": SCALE_OUT_TASK, "tool": "procmine", "log": SCALE_OUT, "peak_mb": r["peak_mb"],
               "check": {"events": r["events"]}, "steps": r["steps"], **({"earlier": True} if earlier else {})}
        if failed:
            step, err = next(iter(failed.items()))
            row["error"] = [f"{step}: {err.splitlines()[0][:160]} (after {r['total_seconds']:.0f} s)"]
        else:
            row["seconds"] = r["total_seconds"]
        rows.append(row)
    return rows


def make_plan(groups: set[str], scale: int, quick: bool) -> list[tuple[Path, str, list[str]]]:
    """(log, task, tools) to run, in order: the longest and most load-sensitive rows first."""
    plan: list[tuple[Path, str, list[str]]] = []
    fines = (SHARED / "road_traffic_fines.xes.gz").exists()
    sizes = [2] + ([18] if scale >= 10 else [])
    if "synthetic" in groups and not quick and fines:
        for copies in sizes:
            p = synthetic(copies)
            plan.append((p, "ingest", ["procmine", "pandas"]))
            plan.append((p, "dfg+variants+performance", ["procmine", "pm4py"]))
            plan.append((p, "read+dfg+variants+performance", ["procmine", "duckdb"]))
            plan.append((p, "find_redundancies", ["procmine"]))
    elif "parquet" in groups and not quick and fines:
        plan.append((synthetic(sizes[-1]), "ingest", ["procmine", "pandas"]))
    if "wide" in groups and not quick:
        sys.path.insert(0, str(HERE))
        from wide import wide_log

        DATA.mkdir(parents=True, exist_ok=True)
        plan.append((wide_log(DATA), "ingest", ["procmine", "pm4py"]))
    if "shared" in groups:
        xes = ["receipt_wabo.xes.gz"] if quick else [
            "receipt_wabo.xes.gz", "BPIC15_1.xes.gz", "helpdesk.xes.gz", "BPIC12.xes.gz", "road_traffic_fines.xes.gz"]
        for name in xes:
            p = SHARED / name
            if not p.exists():
                continue
            for task, tools in (("ingest", ["procmine", "pm4py"]), ("dfg", ["procmine", "pm4py"]),
                                ("variants", ["procmine", "pm4py"]), ("performance", ["procmine", "pm4py"]),
                                ("dfg+variants+performance", ["procmine", "pm4py"]),
                                ("performance-working", ["procmine"]), ("find_redundancies", ["procmine"]),
                                ("report", ["procmine"])):
                plan.append((p, task, tools))
    if "small" in groups:
        for name in SMALL:
            p = SHARED / name
            if p.exists() and (p, "dfg+variants+performance", ["procmine", "pm4py"]) not in plan:
                plan.append((p, "dfg+variants+performance", ["procmine", "pm4py"]))
    return plan


def merge(new: list[dict], measured: str, results: Path | None, markdown: Path) -> tuple[list[dict], str]:
    """The rows of the previous run (``results``, else the markdown's table) not measured now,
    then the new ones; the date says both."""
    if results is not None and results.exists():
        saved = json.loads(results.read_text(encoding="utf-8"))
        old, when = saved["results"], saved["measured"]
    elif markdown.exists():
        old, when = read_markdown(markdown)
    else:
        return new, measured
    fresh = {(r["log"], r["task"], r["tool"]) for r in new}
    kept = [{**r, "earlier": True} for r in old if (r["log"], r["task"], r["tool"]) not in fresh]
    if not kept:
        return new, measured
    # the earlier rows may come from several runs: name the span, not a nest of dates
    dates = sorted(re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", when)) or [when]
    span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    return kept + new, f"{measured} (rows not measured again then: {span})"


def read_markdown(path: Path) -> tuple[list[dict], str]:
    """The measurements of a rendered docs/benchmarks.md back as results (seconds, peak, events)."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^Measured (.+?) on:", text, re.M)
    when = m.group(1) if m else "?"
    out: list[dict] = []
    table = text.split("## All measurements", 1)[-1]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 9 or cells[0] in ("log", "---") or cells[0].startswith("-"):
            continue
        log, task, mine, other_tool, other, _ratio, mine_mb, other_mb, events = cells[:9]
        for tool, sec, mb in (("procmine", mine, mine_mb), (other_tool, other, other_mb)):
            if tool == "–" or sec in ("–", ""):
                continue
            r: dict = {"task": task, "tool": tool, "log": log}
            if sec == "error":
                r["error"] = ["(earlier run)"]
            else:
                r["seconds"] = float(sec)
                if mb not in ("–", ""):
                    r["peak_mb"] = float(mb)
            if tool == "procmine" and events.replace(",", "").isdigit():
                r["check"] = {"events": int(events.replace(",", ""))}
            out.append(r)
    return out, when


def targets(results: list[dict]) -> list[str]:
    """The issues' targets (7 and 16), each with the measured figure and whether it is met."""
    by = {(r["log"], r["task"], r["tool"]): r for r in results if "seconds" in r}
    out = []

    def line(what: str, value: str, target: str, met: bool) -> None:
        verdict = "met" if met else "**not met**"
        lg = what.rsplit(", ", 1)[-1]
        want = task_of(what)
        if any(r.get("earlier") for (log, task, _tool), r in by.items() if log == lg and want in ("", task)):
            value += " (earlier run)"
        out.append(f"| {what} | {target} | {value} | {verdict} |")

    def task_of(what: str) -> str:
        return {"XES": "ingest", "wide": "ingest", "`read_log`": "ingest", "DFG": "dfg+variants+performance",
                "read": "read+dfg+variants+performance", "peak": "read+dfg+variants+performance",
                "find_redundancies": "find_redundancies", "DuckDB": "read+dfg+variants+performance",
                "report": "report", "100": SCALE_OUT_TASK}.get(what.split(" ", 1)[0], "")

    def ratio(lg: str, task: str, other: str) -> float | None:
        mine, ref = by.get((lg, task, "procmine")), by.get((lg, task, other))
        return ref["seconds"] / mine["seconds"] if mine and ref and mine["seconds"] else None

    logs = list(dict.fromkeys(lg for lg, _, _ in by))
    small = [lg for lg in logs if lg in SMALL]
    for lg in logs:
        r = ratio(lg, "ingest", "pm4py")
        if r is not None:
            kind = "wide XES read (128 sparse trace and event attributes)" if lg.startswith("wide") else "XES ingest"
            line(f"{kind}, {lg}", f"{r:.1f}x", ">= 10x pm4py", r >= 10)
    for lg in logs:
        r = ratio(lg, "ingest", "pandas")
        if r is not None:
            line(f"`read_log` of a Parquet log vs `pd.read_parquet` of the same columns, {lg}", f"{r:.2f}x",
                 ">= 0.8x pandas", r >= 0.8)
    for lg in logs:
        r = ratio(lg, "dfg+variants+performance", "pm4py")
        if r is not None:
            what = "small log" if lg in small else "on the loaded frame"
            line(f"DFG + variants + performance ({what}), {lg}", f"{r:.1f}x", ">= 10x pm4py", r >= 10)
    for lg in logs:
        mine, ref = by.get((lg, "read+dfg+variants+performance", "procmine")), by.get((lg, "dfg+variants+performance", "pm4py"))
        if mine and ref:
            r = ref["seconds"] / mine["seconds"]
            goal, peak = (15, 2048) if "x18" in lg else (3, 4096)
            line(f"read + DFG + variants + performance (procmine, read included) vs pm4py's three on the "
                 f"loaded frame, {lg}", f"{r:.1f}x", f">= {goal}x pm4py", r >= goal)
            line(f"peak memory of that run, {lg}", f"{mine['peak_mb'] / 1024:.2f} GB", f"<= {peak / 1024:.0f} GB",
                 mine["peak_mb"] <= peak)
    for lg in logs:
        mine, duck = by.get((lg, "read+dfg+variants+performance", "procmine")), by.get(
            (lg, "read+dfg+variants+performance", "duckdb"))
        if mine and duck and "x18" in lg:
            r = duck["seconds"] / mine["seconds"]
            line(f"DuckDB (out of core) time / in-memory time, read + DFG + variants + performance, {lg}",
                 f"{r:.1f}x ({duck['seconds']:.1f} s vs {mine['seconds']:.1f} s)", "<= 1.5x", r <= 1.5)
    for (lg, task, _tool), r in by.items():
        if task == "find_redundancies" and "x18" in lg:
            line(f"find_redundancies, {lg}", f"{r['seconds']:.1f} s", "<= 10 s", r["seconds"] <= 10)
    for (lg, task, _tool), r in by.items():
        if task == "report" and lg.startswith("BPIC12"):
            line(f"report (HTML + workbook, first call: imports included), {lg}", f"{r['seconds']:.1f} s",
                 "<= 3 s", r["seconds"] <= 3)
    for r in results:
        if r.get("task") == SCALE_OUT_TASK:
            what = "100 M events out of core (DuckDB: DFG, variants, working-time performance, map)"
            if "seconds" in r:
                ok = r["seconds"] < 180 and r["peak_mb"] < 4096
                value = f"{r['seconds']:.1f} s ({r['seconds'] / 60:.2f} min), peak {r['peak_mb'] / 1024:.1f} GB"
            else:
                ok, value = False, f"did not finish: {r['error'][0]}; peak {r.get('peak_mb', 0) / 1024:.1f} GB"
            if r.get("earlier") and not any(k[0] == r["log"] and v.get("earlier") for k, v in by.items()):
                value += " (earlier run)"  # line() marks it when the row is in ``by``
            line(f"{what}, {r['log']}", value, "< 3 min, peak < 4 GB", ok)
    if not out:
        return []
    return ["## Targets (issues 7 and 16)", "", "| what | target | measured | |", "| --- | --- | --- | --- |",
            *out, ""]


def write_markdown(results: list[dict], path: Path, *, measured: str | None = None, machine_line: str | None = None,
                   note: str = "") -> None:
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
        *([note] if note else []),
        "",
        "Regenerate with `python benchmarks/suite.py` (add `--scale 10` for the 10 M-event log; `--only GROUP ...",
        "--merge` measures some rows again and keeps the others). Each cell is",
        "the best of several runs in a fresh process; peak is the process's resident memory while the task",
        "ran (including the loaded log). Ratio = other tool's time / procmine's time (higher is better for",
        "procmine). These machines are shared: differences under 1.5x are noise. The 10 M-event rows",
        "(`road_fines_x18`) too are the best of 3 (a first run varies 1.5-2x with page faults, both tools alike);",
        "`find_redundancies` and `report` are single runs (a first call on a",
        "freshly read log: `report` includes importing pm4py and matplotlib, about 1.7 s, as a user's first",
        "report does). The small logs' rows are the best of 20 runs (calls of about 10 ms).",
        "`permits_100M.parquet`: see `docs/scale-out.md` for each step.",
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
        "",
        "`wide_150k.xes.gz` is generated by `benchmarks/wide.py` into a temporary folder (never committed): 150k",
        "events in about 1,150 long traces, 100 trace attributes and 28 event attributes besides activity,",
        "resource, time and lifecycle, of every XES type, most present on a minority of traces or events",
        "(the shape of the BPI Challenge 2011 hospital log); every trace attribute becomes a `case:` column",
        "on each event of its trace. Its pm4py row is a single run. The Parquet `ingest` rows compare",
        "`read_log` (roles, checks, sorted log with its codes) with `pd.read_parquet` of the same file",
        "(every column). The small logs (`interval_event_log.xes`, `receipt_wabo.xes.gz`, `helpdesk.xes.gz`,",
        "8-21k events) measure the fixed cost of a call; procmine's performance edges there carry the totals",
        "of waiting by cause (`wait_office`, `wait_client`...), which pm4py's performance DFG does not compute:",
        "classifying the steps for them is most of procmine's time on these logs.",
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
