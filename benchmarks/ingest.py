"""XES ingest: procmine ``read_log`` against pm4py's readers on the same file, same run.

    python benchmarks/ingest.py                                   # road_traffic_fines.xes.gz
    python benchmarks/ingest.py --log ../shared/logs/BPIC12.xes.gz --repeat 3
    python benchmarks/ingest.py --variants procmine pm4py-default pm4py-iterparse
    python benchmarks/ingest.py --rustxes-path /tmp/rustxes_pkg   # adds the Rust reader
    python benchmarks/ingest.py --markdown benchmarks/ingest.md

Each reader runs in a fresh process (so its peak memory is its own; psutil samples the
RSS every 10 ms), ``--repeat`` times; the best time counts (these machines are shared).
Reported per reader: seconds, ratio to procmine, peak RSS above the interpreter's
baseline, the memory of the resulting frame (``df.memory_usage(deep=True)``), events.

pm4py variants: ``pm4py-default`` is ``pm4py.read_xes(path)`` as users call it (pm4py
picks ``chunk_regex`` unless ``rustxes``/``r4pm`` is importable, then the Rust reader;
the output names what it picked); ``pm4py-chunk_regex`` and ``pm4py-iterparse`` force a
variant. ``rustxes`` is read through ``pm4py.read_xes(path, variant="rustxes")`` when the
package is importable from ``--rustxes-path`` (it is not a procmine dependency: install
it with ``pip install --target DIR rustxes`` so the shared venv stays unchanged).

Never part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("PROCMINE_SHARED_LOGS", ROOT.parent / "shared" / "logs"))
DEFAULT_LOG = SHARED / "road_traffic_fines.xes.gz"
VARIANTS = ("procmine", "pm4py-default", "pm4py-chunk_regex", "pm4py-iterparse", "rustxes")


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 10 ms)."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def _pm4py():
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


def run_one(variant: str, log: Path, rustxes_path: str | None) -> dict:
    """One timed read in this process; returns a JSON-able dict."""
    warnings.simplefilter("ignore")
    if rustxes_path and variant == "rustxes":
        sys.path.append(rustxes_path)  # the venv's numpy/pandas/pyarrow stay first
    label = variant
    if variant == "procmine":
        import procmine as pm
        import procmine.io.xes

        def read():
            return pm.read_log(log).df
    else:
        pm4py = _pm4py()
        if variant == "pm4py-default":
            from pm4py.util.rustxes_utils import get_rustxes_backend_name

            label = f"pm4py-default ({get_rustxes_backend_name() or 'chunk_regex'})"
            kwargs = {}
        elif variant == "rustxes":
            import rustxes  # noqa: F401 - fails clearly when absent

            kwargs = {"variant": "rustxes"}
        else:
            kwargs = {"variant": variant.split("-", 1)[1]}

        def read():
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                return pm4py.read_xes(str(log), **kwargs)

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        c0 = time.process_time()
        df = read()
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
    frame_mb = float(df.memory_usage(deep=True).sum()) / 2**20
    return {
        "variant": label,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": (mem.peak - mem.base) / 2**20,
        "frame_mb": frame_mb,
        "events": len(df),
        "columns": df.shape[1],
    }


def run_fresh(variant: str, log: Path, rustxes_path: str | None) -> dict | None:
    cmd = [sys.executable, __file__, "--_one", variant, "--log", str(log)]
    if rustxes_path:
        cmd += ["--rustxes-path", rustxes_path]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {variant}: failed ({tail})", file=sys.stderr)
        return None
    return json.loads(lines[-1])


def table(results: list[dict], log: Path, repeat: int) -> str:
    base = next((r["seconds"] for r in results if r["variant"] == "procmine"), None)
    head = (
        f"XES ingest of `{log.name}`, best of {repeat} run(s), each reader in a fresh process\n\n"
        "| reader | seconds | CPU s | x procmine | peak MB | frame MB | events | columns |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    rows = []
    for r in results:
        ratio = f"{r['seconds'] / base:.1f}" if base else "-"
        rows.append(
            f"| {r['variant']} | {r['seconds']:.2f} | {r['cpu']:.2f} | {ratio} | {r['peak_mb']:.0f} | "
            f"{r['frame_mb']:.0f} | {r['events']:,} | {r['columns']} |"
        )
    return head + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", type=Path, default=DEFAULT_LOG, help="XES file (default: road_traffic_fines)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per reader; the best counts")
    ap.add_argument("--variants", nargs="+", default=["procmine", "pm4py-default"], choices=VARIANTS)
    ap.add_argument("--rustxes-path", default=None, help="folder where rustxes was pip-installed (--target)")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the table to this file")
    ap.add_argument("--_one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._one:
        print(json.dumps(run_one(args._one, args.log, args.rustxes_path)))
        return 0
    if not args.log.exists():
        print(f"no such log: {args.log}", file=sys.stderr)
        return 2
    variants = list(args.variants)
    if args.rustxes_path and "rustxes" not in variants:
        variants.append("rustxes")
    results = []
    for variant in variants:
        runs = [r for r in (run_fresh(variant, args.log, args.rustxes_path) for _ in range(args.repeat)) if r]
        if not runs:
            continue
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_mb"] = max(r["peak_mb"] for r in runs)
        print(f"  {best['variant']}: " + ", ".join(f"{r['seconds']:.2f}s" for r in runs), file=sys.stderr)
        results.append(best)
    text = table(results, args.log, args.repeat)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
