"""The shipped samples: how they were generated, and how to write them again.

``python -m procmine.samples.generator --regenerate`` rebuilds, deterministically:

- ``src/procmine/samples/data/<name>.csv.gz``, ``<name>.xes.gz`` and ``<name>.truth.json``
  (the package data, loaded by :func:`procmine.samples.load`);
- ``sample_logs/<name>.csv`` and ``sample_logs/<name>.xes.gz`` at the top of the repository
  (readable copies for users), when that folder's parent is a source checkout.

The CSV files look like a canton's system export: ``;`` separator, UTF-8, German or
French headers, local ``dd.mm.yyyy HH:MM:SS`` times (Europe/Zurich).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..log import CASE, START, TIMESTAMP, EventLog
from ._spec import GroundTruth, ProcedureSpec

__all__ = ["DATA_DIR", "DATE_FORMAT", "SAMPLE_LOGS_DIR", "SHIPPED", "export_frame", "regenerate_shipped"]

logger = logging.getLogger("procmine")

DATA_DIR = Path(__file__).resolve().parent / "data"
#: the readable copies beside the package, in a source checkout
SAMPLE_LOGS_DIR = Path(__file__).resolve().parents[3] / "sample_logs"
DATE_FORMAT = "%d.%m.%Y %H:%M:%S"

#: the arguments of :func:`generate` that made each shipped sample
SHIPPED: dict[str, dict[str, Any]] = {
    "permit_de": {"n_cases": 1000, "seed": 2024, "noise": 0.03, "start": "2024-01-08"},
    "subsidy_fr": {"n_cases": 1000, "seed": 2025, "noise": 0.03, "start": "2024-01-08"},
}


def export_frame(log: EventLog, spec: ProcedureSpec) -> pd.DataFrame:
    """The log as the canton's system would export it: its own headers, local times as text."""
    df = log.df
    out = pd.DataFrame(index=df.index)
    for canonical, header in spec.columns.items():
        col = df[canonical]
        if canonical in (START, TIMESTAMP):
            col = col.dt.tz_convert("Europe/Zurich").dt.strftime(DATE_FORMAT)
        out[header] = col
    return out


def _gzip_bytes(data: bytes) -> bytes:
    """gzip without a time stamp or file name, so the same data gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")


def _xes_bytes(log: EventLog) -> bytes:
    """XES of the log, case attributes as trace attributes (``case:Gemeinde``)."""
    df = log.df.copy()
    keep = {CASE, "concept:name", TIMESTAMP, START, "org:resource", "org:group"}
    df = df.rename(columns={c: f"case:{c}" for c in df.columns if c not in keep})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.xes"
        try:
            from ..io.xes import write_xes  # type: ignore[attr-defined]

            write_xes(EventLog(df, presorted=True), path)
        except (ImportError, AttributeError, NotImplementedError):
            os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                import pm4py

                pm4py.write_xes(df, str(path), case_id_key=CASE)
        return path.read_bytes()


def truth_json(truth: Sequence[GroundTruth]) -> str:
    return json.dumps([t.to_dict() for t in truth], ensure_ascii=False, indent=1) + "\n"


def regenerate_shipped(
    names: Iterable[str] | None = None,
    *,
    n_cases: int | None = None,
    data_dir: str | Path | None = None,
    sample_dir: str | Path | None = None,
    xes: bool = True,
) -> list[Path]:
    """Rebuild the shipped sample files (deterministic); return the paths written.

    ``n_cases`` overrides the shipped size (for tests); ``data_dir`` / ``sample_dir``
    default to the package data folder and to ``sample_logs/`` of a source checkout
    (skipped when that folder does not exist).
    """
    from ._generate import generate, get_spec

    data = Path(data_dir) if data_dir is not None else DATA_DIR
    samples = Path(sample_dir) if sample_dir is not None else (SAMPLE_LOGS_DIR if SAMPLE_LOGS_DIR.is_dir() else None)
    data.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    readme: list[tuple[Any, EventLog, Any, dict[str, Any]]] = []
    for name in names or SHIPPED:
        args = dict(SHIPPED[name])
        if n_cases is not None:
            args["n_cases"] = n_cases
        log, truth = generate(name, **args)
        spec = get_spec(name)
        csv = _csv_bytes(export_frame(log, spec))
        files: dict[Path, bytes] = {
            data / f"{name}.csv.gz": _gzip_bytes(csv),
            data / f"{name}.truth.json": truth_json(truth).encode("utf-8"),
        }
        xes_data = _xes_bytes(log) if xes else None
        if xes_data is not None:
            files[data / f"{name}.xes.gz"] = _gzip_bytes(xes_data)
        if samples is not None:
            samples.mkdir(parents=True, exist_ok=True)
            files[samples / f"{name}.csv"] = csv
            if xes_data is not None:
                # gzipped: plain XES of both samples would be ~15 MB (sample_logs/ stays < 10 MB)
                files[samples / f"{name}.xes.gz"] = files[data / f"{name}.xes.gz"]
        for path, content in files.items():
            path.write_bytes(content)
            written.append(path)
        readme.append((spec, log, truth, args))
        logger.info("wrote sample %s: %d cases, %d events", name, log.n_cases, log.n_events)
    if samples is not None and names is None:
        from ._readme import readme_text

        path = samples / "README.md"
        path.write_text(readme_text(readme), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m procmine.samples.generator --regenerate [--n-cases N] [--data-dir D] [--sample-dir S]``."""
    parser = argparse.ArgumentParser(prog="python -m procmine.samples.generator", description=__doc__.split("\n")[0])
    parser.add_argument("--regenerate", action="store_true", help="rebuild the shipped sample files")
    parser.add_argument("--n-cases", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--sample-dir", default=None)
    parser.add_argument("--no-xes", action="store_true")
    parser.add_argument("names", nargs="*", help="samples to rebuild (default: all)")
    args = parser.parse_args(argv)
    if not args.regenerate:
        parser.print_help()
        return 2
    paths = regenerate_shipped(args.names or None, n_cases=args.n_cases, data_dir=args.data_dir,
                               sample_dir=args.sample_dir, xes=not args.no_xes)
    for p in paths:
        print(f"{p}  ({p.stat().st_size:,} bytes)")
    return 0

