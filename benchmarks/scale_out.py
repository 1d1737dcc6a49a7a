"""100 million events out of core: generate a procedure over communes and years, then time the public API.

    python benchmarks/scale_out.py                          # 100 M events: generate, DuckDB run, delete
    python benchmarks/scale_out.py --events 10_000_000 --engines duckdb memory spark
    python benchmarks/scale_out.py --data /big/disk/scale --keep      # keep the dataset for reruns
    python benchmarks/scale_out.py --data /big/disk/scale --engines duckdb --no-generate

The dataset is the building-permit procedure of ``procmine.samples`` (``permit_de``)
simulated over ten years (2015-2024) in a few independent pools (different seeds), then
replicated over communes: each commune takes a random share of a pool's cases (its size:
a log-normal share, so a few large towns and many small villages, as in Switzerland's
2,100 communes), keeping their simulated times, with its own case ids
(``BG-<commune>-<year>-<n>``), its own staff (``<commune>/MA-007``) and its name in
``Gemeinde``. Communes are added until ``--events`` is reached. The replication is
vectorised (numpy index arithmetic and Arrow ``take``) and written in row groups of at most
``--row-group`` events, so generation stays well under 1 GB whatever the size. The Parquet
file goes to ``--data`` (default: a folder under the system's temporary directory, never
the repository) and is deleted at the end unless ``--keep``.

Each engine then runs in a fresh process (its peak memory is its own) through the public
API and times each step:

- ``open``: ``read_log(path, engine=...)`` (DuckDB: a view over the Parquet file; in memory:
  the whole read; Spark: ``spark.read.parquet`` + ``SparkLog``),
- ``dfg``: ``discover(log).dfg`` (for DuckDB, including the one-off table of the events ordered
  within their cases),
- ``variants``: ``model.variants``,
- ``performance``: ``performance(log, calendar=Calendar(canton="BE"))`` working time,
  ``.activities`` and ``.edges``,
- ``map``: ``model.to_svg(...)`` (the process map).

Peak memory is the resident set size of the process and its children (Spark's JVM),
sampled every 20 ms (``ru_maxrss`` cannot be reset between steps, and ``tracemalloc`` does
not see DuckDB's or Arrow's allocations). DuckDB's ``memory_limit`` is given to
``read_log(..., memory_limit=...)`` (``--memory-limit``, default 2.5GB). Never part of
the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DATA = Path(tempfile.gettempdir()) / "procmine-scale-out"
FILE = "events.parquet"
YEARS = (2015, 2025)  # the simulated period: ten years
STEPS = ("open", "dfg", "variants", "performance", "map")


# -- the dataset ----------------------------------------------------------------------------
def _pools(n_pools: int, procedure: str) -> list[dict[str, Any]]:
    """Ten years of the procedure per pool (one seed each), as Arrow columns with case offsets."""
    import pyarrow as pa

    from procmine.samples.generator import generate, get_spec

    spec = get_spec(procedure)
    # enough cases for ten years at the procedure's daily rate (about 250 working days a year)
    n_cases = int(spec.cases_per_day * 250 * (YEARS[1] - YEARS[0]))
    pools = []
    for seed in range(1, n_pools + 1):
        log, _ = generate(procedure, n_cases=n_cases, seed=seed, start=f"{YEARS[0]}-01-05")
        df = log.df
        case = df["case:concept:name"].to_numpy()
        # events are sorted by case: the first event of each case opens its block
        first = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
        offsets = np.r_[first, len(df)].astype(np.int64)
        # the year in the case id (the arrival's): ids are numbered within it
        years = df["case:concept:name"].iloc[first].str.split("-").str[1].astype(np.int64).to_numpy()
        keep = years < YEARS[1]  # the last cases may start after the period: drop them
        table = pa.Table.from_pandas(
            df.drop(columns=["case:concept:name", spec.commune]), preserve_index=False
        )
        # pandas' strings come as large_string: plain strings, as most exports write them
        table = table.cast(
            pa.schema(
                [
                    pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
                    for f in table.schema
                ]
            )
        ).combine_chunks()
        res = table.column("org:resource").combine_chunks().dictionary_encode()
        pools.append(
            {
                "table": table.drop(["org:resource"]),
                "res_idx": res.indices,
                "res_dict": res.dictionary,
                "offsets": offsets,
                "years": years,
                "cases": np.flatnonzero(keep),
            }
        )
    return pools


def _commune_events(
    pool: dict[str, Any], share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A random share of the pool's cases: (selected cases, event row of each of their events)."""
    cases = pool["cases"][rng.random(len(pool["cases"])) < share]
    off = pool["offsets"]
    lens = off[cases + 1] - off[cases]
    # the rows of each selected case, end to end, without a Python loop over cases
    shift = np.repeat(off[cases] - (np.cumsum(lens) - lens), lens)
    return cases, np.arange(int(lens.sum()), dtype=np.int64) + shift


def _chunk(
    pools: list[dict[str, Any]], communes: list[tuple[int, int, np.ndarray, np.ndarray]], procedure: str
) -> Any:
    """The Arrow table of several communes' events (``communes``: (number, pool, cases, rows))."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from procmine.samples.generator import get_spec

    spec = get_spec(procedure)
    tables = []
    for number, p, cases, rows in communes:
        pool = pools[p]
        off = pool["offsets"]
        lens = off[cases + 1] - off[cases]
        years = pool["years"][cases]
        # n-th case of its commune and year (cases are in arrival order, hence sorted by year)
        nth = np.arange(len(cases)) - np.searchsorted(years, years, side="left") + 1
        ids = pc.binary_join_element_wise(
            f"{spec.case_prefix}-{number:04d}-",
            pa.array(years.astype(str)),
            "-",
            pc.utf8_lpad(pa.array(nth.astype(str)), 5, "0"),
            "",
        )
        # each commune has its own staff: the pool's names under the commune's number
        staff = pc.binary_join_element_wise(f"{number:04d}/", pool["res_dict"], "")
        t = pool["table"].take(pa.array(rows))
        t = t.add_column(0, "case:concept:name", ids.take(pa.array(np.repeat(np.arange(len(cases)), lens))))
        t = t.append_column("org:resource", staff.take(pool["res_idx"].take(pa.array(rows))))
        t = t.append_column(
            spec.commune,
            pa.DictionaryArray.from_arrays(
                np.zeros(len(rows), dtype=np.int32), pa.array([f"Gemeinde {number:04d}"])
            ).cast(pa.string()),
        )
        tables.append(t)
    out = pa.concat_tables(tables)
    first = [
        "case:concept:name",
        "concept:name",
        "start_timestamp",
        "time:timestamp",
        "org:resource",
        "org:group",
        spec.commune,
    ]
    return out.select([*first, *[c for c in out.column_names if c not in first]])


def generate_dataset(
    path: Path,
    events: int,
    *,
    seed: int = 0,
    pools: int = 4,
    row_group: int = 1_000_000,
    procedure: str = "permit_de",
) -> dict[str, Any]:
    """Write about ``events`` events of ``procedure`` over communes and ten years to ``path`` (Parquet).

    Row groups hold whole communes, about ``row_group`` events each; the events of a case are
    together and in time order (an export sorted by case), communes one after the other.
    """
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pool_list = _pools(pools, procedure)
    writer = None
    written = n_cases = number = 0
    pending: list[tuple[int, int, np.ndarray, np.ndarray]] = []
    size = 0
    try:
        while written + size < events:
            number += 1
            p = int(rng.integers(len(pool_list)))
            # commune size: median 8 % of a pool's cases (about 90 permits a year), a few towns at 100 %
            share = float(min(1.0, rng.lognormal(np.log(0.08), 1.0)))
            cases, rows = _commune_events(pool_list[p], share, rng)
            budget = events - written - size
            if len(rows) > budget:  # the last commune: whole cases up to the target
                off = pool_list[p]["offsets"]
                ends = np.cumsum(off[cases + 1] - off[cases])
                k = int(np.searchsorted(ends, budget, side="right"))
                cases, rows = cases[:k], rows[: int(ends[k - 1]) if k else 0]
                if not k:
                    break
            if len(cases):
                pending.append((number, p, cases, rows))
                size += len(rows)
            if size >= row_group or written + size >= events:
                table = _chunk(pool_list, pending, procedure)
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="snappy")
                writer.write_table(table, row_group_size=size)
                written, n_cases = written + table.num_rows, n_cases + sum(len(c) for _, _, c, _ in pending)
                pending, size = [], 0
        if pending:
            table = _chunk(pool_list, pending, procedure)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=size)
            written, n_cases = written + table.num_rows, n_cases + sum(len(c) for _, _, c, _ in pending)
    finally:
        if writer is not None:
            writer.close()
    meta = pq.ParquetFile(path).metadata
    return {
        "events": written,
        "cases": n_cases,
        "communes": number,
        "row_groups": meta.num_row_groups,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 1),
    }


# -- measuring ----------------------------------------------------------------------------------
class PeakRSS:
    """Peak resident memory of this process and its children, sampled every 20 ms; ``reset`` per step.

    The children (Spark's JVM) are looked up once a second, not at every sample: psutil
    finds them by reading every process of the machine, which at 50 samples a second took
    a share of a core and the GIL from the run it measures (the 100 M DuckDB run was
    20-30 s slower under it than timed alone)."""

    #: seconds between two lookups of the children
    CHILDREN_EVERY = 1.0

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = self.overall = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._kids: list[Any] = []
        self._kids_at = -1e9

    def _children(self) -> list[Any]:
        now = time.monotonic()
        if now - self._kids_at >= self.CHILDREN_EVERY:
            self._kids, self._kids_at = self.proc.children(recursive=True), now
        return self._kids

    def rss(self) -> int:
        total = self.proc.memory_info().rss
        for child in self._children():
            with contextlib.suppress(Exception):  # a child that just ended
                total += child.memory_info().rss
        return total

    def cpu(self) -> float:
        """CPU seconds (user + system) of this process and its living children (Spark's JVM)."""
        total = sum(self.proc.cpu_times()[:2])
        for child in self.proc.children(recursive=True):
            with contextlib.suppress(Exception):
                total += sum(child.cpu_times()[:2])
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            r = self.rss()
            self.peak, self.overall = max(self.peak, r), max(self.overall, r)
            time.sleep(0.02)

    def start(self) -> PeakRSS:
        self._t.start()
        return self

    def reset(self) -> None:
        self.peak = self.rss()

    def stop(self) -> None:
        self._stop.set()
        self._t.join()


def _spark_session(threads: int, driver_memory: str) -> Any:
    """procmine's local session settings (``procmine.engines.spark.local_session``) with a driver memory."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("procmine-scale-out")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, threads)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .getOrCreate()
    )


def run_engine(
    path: Path, engine: str, memory_limit: str, out_dir: Path, spark_memory: str
) -> dict[str, Any]:
    """Time each step of the public API on ``path`` with one engine; peak RSS per step."""
    warnings.simplefilter("ignore")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import procmine as pm

    mem = PeakRSS().start()
    base = mem.rss()
    steps: dict[str, dict[str, Any]] = {}
    state: dict[str, Any] = {}
    calendar = pm.Calendar(canton="BE")

    def step(name: str, fn: Any) -> None:
        mem.reset()
        t0, c0 = time.perf_counter(), mem.cpu()
        try:
            info = fn() or {}
        except Exception as exc:  # report, do not hide: a refused step is a figure too
            info = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        steps[name] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "cpu_seconds": round(mem.cpu() - c0, 2),
            "peak_mb": round(max(mem.peak, mem.rss()) / 2**20),
            **info,
        }
        print(f"  {engine:7s} {name:12s} {steps[name]}", file=sys.stderr, flush=True)

    def open_log() -> dict[str, Any]:
        if engine == "spark":
            from pyspark.sql import functions as F

            from procmine.engines.spark import SparkLog

            spark = _spark_session(2, spark_memory)
            # the source order for ties in time, written as a column (Spark keeps no file order)
            sdf = spark.read.parquet(str(path)).withColumn("rn", F.monotonically_increasing_id())
            state["spark"] = spark
            state["log"] = SparkLog(sdf, order="rn", name=path.stem)
        elif engine == "duckdb":
            # DuckDB's default limit is 80 % of the machine's memory; the spill goes beside
            # the log's temporary database
            state["log"] = pm.read_log(path, engine="duckdb", memory_limit=memory_limit)
        else:
            state["log"] = pm.read_log(path)
        return {"events": int(state["log"].n_events)}

    def dfg() -> dict[str, Any]:
        state["model"] = pm.discover(state["log"])
        return {"rows": len(state["model"].dfg)}

    def variants() -> dict[str, Any]:
        return {"rows": len(state["model"].variants)}

    def performance() -> dict[str, Any]:
        perf = pm.performance(state["log"], calendar=calendar)
        return {"activities": len(perf.activities), "edges": len(perf.edges)}

    def process_map() -> dict[str, Any]:
        svg = state["model"].to_svg(out_dir / f"map-{engine}.svg")
        return {"svg_bytes": Path(svg).stat().st_size}

    t_all = time.perf_counter()
    for name, fn in zip(STEPS, (open_log, dfg, variants, performance, process_map)):
        step(name, fn)
    total = time.perf_counter() - t_all
    if "spark" in state:
        state["spark"].stop()
    mem.stop()
    return {
        "engine": engine,
        "events": steps["open"].get("events"),
        "total_seconds": round(total, 1),
        "peak_mb": round(mem.overall / 2**20),
        "baseline_mb": round(base / 2**20),
        "memory_limit": memory_limit if engine == "duckdb" else None,
        "steps": steps,
    }


# -- the command line -----------------------------------------------------------------------
def _table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table (one column per engine)."""
    head = "| step | " + " | ".join(f"{r['engine']} s | peak MB" for r in results) + " |"
    sep = "| --- |" + " ---: | ---: |" * len(results)
    lines = [head, sep]
    for s in STEPS:
        cells = []
        for r in results:
            st = r["steps"][s]
            cells.append(
                f"{st['seconds']:.1f} | {st['peak_mb']:,}"
                if "error" not in st
                else f"{'refused' if st['error'].startswith('LogError') else 'failed'} | {st['peak_mb']:,}"
            )
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines.append(
        "| **total** | "
        + " | ".join(f"**{r['total_seconds']:.1f}** | **{r['peak_mb']:,}**" for r in results)
        + " |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"folder for the generated Parquet file (default {DEFAULT_DATA}-<events>)",
    )
    ap.add_argument(
        "--engines",
        nargs="*",
        default=["duckdb"],
        choices=["duckdb", "memory", "spark"],
        help="engines to run, each in a fresh process (none: only generate, with --keep)",
    )
    ap.add_argument("--timeout", type=float, default=19 * 60, help="seconds per engine before it is stopped")
    ap.add_argument("--memory-limit", default="2.5GB", help="DuckDB memory_limit (default 2.5GB)")
    ap.add_argument("--spark-memory", default="4g", help="Spark driver memory (local mode: the whole JVM)")
    ap.add_argument("--row-group", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the generated dataset")
    ap.add_argument("--no-generate", action="store_true", help="reuse the dataset in --data")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    ap.add_argument("--run-one", nargs=3, metavar=("ENGINE", "PATH", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.run_one:  # a child process: one engine, figures as one JSON line on stdout
        res = run_engine(Path(a.run_one[1]), a.run_one[0], a.memory_limit, Path(a.run_one[2]), a.spark_memory)
        print(json.dumps(res))
        return 0

    data = (a.data or Path(f"{DEFAULT_DATA}-{a.events}")).resolve()
    if data == ROOT or ROOT in data.parents:
        raise SystemExit(f"--data {data} is inside the repository: give a folder outside it")
    path = data / FILE
    created = False
    figures: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}}
    if not a.no_generate:
        data.mkdir(parents=True, exist_ok=True)
        created = True
        print(f"generating {a.events:,} events into {path}", file=sys.stderr, flush=True)
        figures["dataset"] = generate_dataset(path, a.events, seed=a.seed, row_group=a.row_group)
        print(f"  {figures['dataset']}", file=sys.stderr, flush=True)
    elif not path.exists():
        raise SystemExit(f"{path} not found: run without --no-generate first")
    results = []
    try:
        for engine in a.engines:
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
            }
            # the map goes to the data folder (removed with it), also when a run is stopped
            cmd = [
                sys.executable,
                __file__,
                "--run-one",
                engine,
                str(path),
                str(data),
                "--memory-limit",
                a.memory_limit,
                "--spark-memory",
                a.spark_memory,
            ]
            # a session of its own, so that a run past --timeout is stopped with its JVM
            child = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                start_new_session=True,
            )
            try:
                stdout, stderr = child.communicate(timeout=a.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                stdout, stderr = child.communicate()
                print(
                    f"{engine}: stopped after {a.timeout:.0f} s; steps done:\n{stderr[-3000:]}",
                    file=sys.stderr,
                )
                continue
            proc = subprocess.CompletedProcess(cmd, child.returncode, stdout, stderr)
            sys.stderr.write(
                proc.stderr[-4000:]
                if proc.returncode
                else "".join(ln + "\n" for ln in proc.stderr.splitlines() if ln.startswith("  "))
            )
            if proc.returncode:
                print(f"{engine}: failed (exit {proc.returncode})", file=sys.stderr)
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    finally:
        if created and not a.keep:
            shutil.rmtree(data, ignore_errors=True)
    figures["results"] = results
    figures["machine"]["load_after"] = os.getloadavg()
    by = {r["engine"]: r for r in results}
    if "duckdb" in by and "memory" in by:
        figures["duckdb_vs_memory"] = round(by["duckdb"]["total_seconds"] / by["memory"]["total_seconds"], 2)
    if results:
        print(_table(results))
    print(json.dumps({k: v for k, v in figures.items() if k != "results"}))
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
