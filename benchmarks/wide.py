"""A wide XES log (many sparse trace and event attributes of mixed types), read by procmine
and by pm4py in the same run.

    python benchmarks/wide.py                       # 150k events, 128 keys, 3 runs each
    python benchmarks/wide.py --events 20000 --repeat 1 --tools procmine

The log is generated into a temporary folder (``--keep DIR`` keeps it there) and never
belongs in the repository. It looks like a hospital or case-management export: each
trace carries 32 trace attributes (patient/dossier data: some always there, most only
for some traces), each event up to 96 event attributes (department, codes, amounts,
flags, dates), of every XES type (string, int, float, date, boolean, id), most present
on a minority of events. Each reader runs in a fresh process (``benchmarks/_task.py``)
so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

_TYPES = ("string", "int", "float", "date", "boolean", "id")


def _value_texts(kind: str, rng: np.random.Generator, n: int, key: int) -> np.ndarray:
    """``n`` XES value strings of one key (vectorised; a small vocabulary for strings)."""
    if kind == "string":
        vocab = np.array([f"val{key}_{i}" for i in range(int(rng.integers(3, 400)))])
        return vocab[rng.integers(0, len(vocab), n)]
    if kind == "id":
        return np.char.add(f"ID{key}-", rng.integers(0, 10**6, n).astype(str))
    if kind == "int":
        return rng.integers(-1000, 100_000, n).astype(str)
    if kind == "float":
        return np.char.mod("%.4f", rng.normal(500, 300, n))
    if kind == "boolean":
        return np.where(rng.random(n) < 0.5, "true", "false")
    # dates: ISO 8601 with offset, as ProM and pm4py write them
    secs = rng.integers(1_500_000_000, 1_700_000_000, n).astype("datetime64[s]")
    return np.char.add(np.datetime_as_string(secs, unit="ms"), "+01:00")


def generate(path: Path, *, events: int = 150_000, trace_keys: int = 100, event_keys: int = 28,
             per_trace: int = 130, seed: int = 0) -> Path:
    """Write a gzipped wide XES log of about ``events`` events to ``path``.

    Key ``k`` (trace or event level) has a type cycling through the XES types and is
    present with a probability from 0.02 to 1 (the first few always), so the columns
    are sparse in different degrees. Activities follow a small set of routes.
    """
    rng = np.random.default_rng(seed)
    n_traces = max(1, events // per_trace)
    lengths = rng.integers(max(1, per_trace // 2), per_trace + per_trace // 2 + 1, n_traces)
    lengths = (lengths * events / lengths.sum()).round().astype(int).clip(1)
    n = int(lengths.sum())
    trace_of = np.repeat(np.arange(n_traces), lengths)
    step = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    acts = np.array([f"Activity {i:02d}" for i in range(40)])
    route = rng.integers(0, 4, n_traces)[trace_of]
    activity = acts[(step * 3 + route * 7 + (rng.random(n) < 0.1) * rng.integers(1, 40, n)) % 40]
    start = rng.integers(1_500_000_000, 1_690_000_000, n_traces)
    gaps = rng.exponential(3 * 3600, n).astype(np.int64)
    gaps[step == 0] = 0
    ts = start[trace_of] + np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[np.cumsum(lengths) - lengths], lengths)
    ts_text = np.char.add(np.datetime_as_string(ts.astype("datetime64[s]"), unit="ms"), "+01:00")
    resources = np.array([f"user{i:03d}" for i in range(120)])[rng.integers(0, 120, n)]

    def attrs(n_items: int, n_keys: int, prefix: str) -> list[np.ndarray]:
        """Per key: the XML element text of each item (empty where absent)."""
        out = []
        for k in range(n_keys):
            kind = _TYPES[k % len(_TYPES)]
            p = 1.0 if k < 4 else float(rng.uniform(0.02, 0.6))
            present = rng.random(n_items) < p
            vals = _value_texts(kind, rng, n_items, k)
            elem = np.char.add(np.char.add(f'<{kind} key="{prefix}{k:03d}" value="', vals), '"/>')
            out.append(np.where(present, elem, ""))
        return out

    ev_cols = attrs(n, event_keys, "ev_")
    ev_text = np.char.add(np.char.add('<event><string key="concept:name" value="', activity),
                          '"/><string key="org:resource" value="')
    ev_text = np.char.add(np.char.add(ev_text, resources), '"/><date key="time:timestamp" value="')
    ev_text = np.char.add(np.char.add(ev_text, ts_text), '"/><string key="lifecycle:transition" value="complete"/>')
    for col in ev_cols:
        ev_text = np.char.add(ev_text, col)
    del ev_cols
    ev_text = np.char.add(ev_text, "</event>\n")
    tr_cols = attrs(n_traces, trace_keys, "case_")
    tr_text = np.char.add(np.char.add('<trace><string key="concept:name" value="case-', np.arange(n_traces).astype(str)), '"/>')
    for col in tr_cols:
        tr_text = np.char.add(tr_text, col)
    ends = np.cumsum(lengths)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
                '<string key="concept:name" value="wide"/>\n')
        for t in range(n_traces):
            f.write(str(tr_text[t]))
            f.write("\n")
            f.write("".join(ev_text[ends[t] - lengths[t]: ends[t]].tolist()))
            f.write("</trace>\n")
        f.write("</log>\n")
    return path


def wide_log(folder: Path, events: int = 150_000) -> Path:
    """The wide log of ``events`` events in ``folder`` (generated once per size)."""
    path = Path(folder) / f"wide_{events // 1000}k.xes.gz"
    if not path.exists():
        generate(path, events=events)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=150_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tools", nargs="+", default=["procmine", "pm4py"])
    ap.add_argument("--keep", help="folder to write the log into and keep (default: a temporary one)")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from suite import run

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(a.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log = wide_log(folder, a.events)
        print(f"{log} ({log.stat().st_size / 2**20:.1f} MB gzipped)")
        for tool in a.tools:
            run("ingest", tool, log, a.repeat)


if __name__ == "__main__":
    main()
