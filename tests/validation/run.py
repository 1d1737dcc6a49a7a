"""Validate procmine's detectors, ingest and what-if on procedures nobody tuned them on.

Usage::

    python -m tests.validation.run --procedures 200 --out docs/validation.md

(or in parts: ``--seed 1000 --procedures 50 --save part1.pkl`` ..., then ``--merge part*.pkl
--out docs/validation.md``) generates ``--procedures`` random procedures with :mod:`tests.validation.procgen` (seeds
``--seed``, ``--seed + 1``, ...), exports and reads each back, scores the findings with
:mod:`tests.validation.score` and writes the figures as Markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

import procmine as pm

from .score import Summary, evaluate

TARGETS = {"recall": 0.95, "precision": 0.9, "decoy_rate": 0.02, "whatif_error": 0.10}


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.0%}" if x in (0, 1) else f"{x:.1%}"


def render(summary: Summary, *, command: str, seed: int) -> str:
    """The Markdown report of ``summary``."""
    res = summary.results
    kinds = summary.per_kind()
    lines = [
        "# Validation on procedures never seen",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with procmine {pm.__version__}, "
        f"{len(res)} random procedures (seeds {seed}–{seed + len(res) - 1}).",
        "",
        f"Command: `{command}`",
        "",
        "The generator (`tests/validation/procgen.py`) is independent of `procmine.samples`: random",
        "structure, activity names from its own German, French, Italian and English word lists,",
        "random units, staff and office calendars, with and without start times. Each procedure",
        "injects one redundancy of every kind at a random position, and the decoys that must not",
        "be flagged. Matching rule, decoy rule and what-if truth: `tests/validation/score.py`.",
        "Targets (issue 12): recall ≥ 95 % and precision ≥ 90 % per kind, decoys flagged in under",
        "2 % of procedures, what-if within 10 % of the re-simulated truth.",
        "",
        "## Detectors per kind",
        "",
        "| kind | injected | found | recall | findings | false positives | precision | target met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for _, k in kinds.iterrows():
        ok = (k.recall >= TARGETS["recall"] if k.injected else True) and (
            pd.isna(k.precision) or k.precision >= TARGETS["precision"])
        met = "–" if not k.injected and not k.findings else ("yes" if ok else "**no**")
        lines.append(f"| {k.kind} | {k.injected} | {k.found} | {_pct(k.recall)} | {k.findings} | "
                     f"{k.false_positives} | {_pct(k.precision)} | {met} |")
    lines += ["", "A kind with no injections is not in this procmine version's `KINDS` (or needs start times).", ""]
    rate = summary.decoy_rate()
    lines += ["## Decoys", "",
              f"Procedures with at least one decoy flagged: **{_pct(rate)}** "
              f"({sum(1 for r in res if r.flagged)} of {len(res)}; target < 2 %).", ""]
    by = summary.decoys_by_kind()
    if by:
        lines += ["| decoy | procedures where flagged | flagged as |", "| --- | ---: | --- |"]
        how: dict[str, Counter] = {}
        for r in res:
            for what, f in r.flagged:
                how.setdefault(what, Counter())[f.kind] += 1
        for what, n in sorted(by.items(), key=lambda x: -x[1]):
            lines.append(f"| {what} | {n} | {', '.join(f'{k} ({v})' for k, v in how[what].most_common())} |")
        lines.append("")
    wi = summary.whatif()
    lines += ["## What-if", ""]
    if len(wi):
        lines += [
            "Median case duration predicted by `simplify` vs the re-simulated procedure without the",
            "step (same random streams). `default`: `simplify(log, ...)`; `calendar`: with the",
            "procedure's own office hours as `Calendar(hours=..., holidays=None)`.",
            "",
            "| edit | procedures | median error (default) | max error (default) | within 10 % | "
            "median error (calendar) | max error (calendar) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind, g in wi.groupby("kind"):
            edit = "remove rubber stamp" if kind == "rubber_stamp" else "merge mergeable pair"
            lines.append(
                f"| {edit} | {len(g)} | {_pct(g.error_default.median())} | {_pct(g.error_default.max())} | "
                f"{_pct((g.error_default <= TARGETS['whatif_error']).mean())} | {_pct(g.error_calendar.median())} | "
                f"{_pct(g.error_calendar.max())} |")
        saved_true = (wi.before - wi.truth).dt.total_seconds()
        saved_pred = (wi.before - wi.predicted_default).dt.total_seconds()
        rs = wi.kind == "rubber_stamp"
        if rs.any():
            rel = ((saved_pred - saved_true).abs() / saved_true.abs().where(saved_true.abs() > 0))[rs]
            lines += ["", f"Removing the rubber stamp: true median saving {pd.Timedelta(seconds=saved_true[rs].median())}, "
                          f"predicted {pd.Timedelta(seconds=saved_pred[rs].median())}; the saving itself is off by "
                          f"{_pct(rel.median())} in the median procedure (the case duration is the target)."]
        lines.append("")
    fails = summary.ingest_failures()
    lines += ["## Ingest (read_log without role arguments)", "",
              f"{len(res) * 2} exports read back; {len({(s, p.split(':')[0]) for s, p in fails})} with a problem "
              f"in {len({s for s, _ in fails})} procedures. The detectors were then scored on a second read with "
              "the roles given.", ""]
    if fails:
        by_export: dict[tuple[int, str], list[str]] = {}
        for seed, p in fails:
            by_export.setdefault((seed, p.split(" (")[0]), []).append(p.split(": ", 1)[1])
        roles_wrong: Counter = Counter()
        other: Counter = Counter()
        for (_, rows), probs in by_export.items():
            role_probs = [p for p in probs if p.startswith("role ")]
            for p in role_probs:
                roles_wrong[_role_problem(p)] += 1
            if not role_probs:
                for p in probs:
                    other[f"{rows}: {p.split(' read')[0].split(' written')[0].split(':')[0]}"] += 1
        lines += ["| role problem (both export layouts) | exports |", "| --- | ---: |"]
        lines += [f"| {k} | {n} |" for k, n in roles_wrong.most_common()]
        if other:
            lines += ["", "Problems without a wrong role:", ""]
            lines += [f"- {k}: {n}" for k, n in other.most_common()]
        lines += ["", "A wrong activity column in start/complete rows also loses events in the lifecycle pairing and",
                  "changes case durations; a missed start column changes durations.", ""]
    lines += ["## Misses and false positives", ""]
    for k in kinds.kind:
        miss = summary.misses(k)
        fps = summary.false_positives(k)
        if not miss and not fps:
            continue
        lines.append(f"### {k}")
        lines.append("")
        for r, t in miss[:6]:
            other = sorted({f.kind for f in r.findings if set(f.activities) & set(t["activities"])})
            i = r.truths.index(t)
            lines.append(f"- missed in seed {r.seed} ({r.describe.split(':', 1)[1].strip()}): "
                         f"{' / '.join(t['activities'])} (its activities reported as {', '.join(other) or 'nothing'}); "
                         f"{r.diagnosis.get(i, '')}")
        if len(miss) > 6:
            lines.append(f"- … {len(miss) - 6} more misses")
        for r, f in fps[:4]:
            ev = ", ".join(f"{a}={_short(v)}" for a, v in list(f.evidence.items())[:6])
            lines.append(f"- false positive in seed {r.seed}: {' / '.join(f.activities)} ({f.cases} cases; {ev})")
        if len(fps) > 4:
            lines.append(f"- … {len(fps) - 4} more false positives")
        lines.append("")
    return "\n".join(lines) + "\n"


def _short(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)[:40]


def _role_problem(problem: str) -> str:
    """``role X read from 'a', written as 'b'`` -> ``X ('b'): read from 'a'`` (or not found)."""
    role = problem.split()[1]
    got = problem.split(" read from ")[1].split(", written as ")[0]
    wrote = problem.split(", written as ")[1]
    return f"{role} ({wrote}): {'not found' if got == 'None' else 'read from ' + got}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procedures", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("docs/validation.md"))
    ap.add_argument("--save", type=Path, help="pickle the results of this run (a part of the seeds) to this file")
    ap.add_argument("--merge", type=Path, nargs="+", help="render the report from saved parts instead of running")
    a = ap.parse_args(argv)
    if a.merge:  # parts run apart (e.g. in parallel): the report of the whole seed range
        results = sorted((r for part in a.merge for r in pickle.loads(part.read_bytes())), key=lambda r: r.seed)
        seeds = [r.seed for r in results]
        if seeds != list(range(seeds[0], seeds[0] + len(seeds))):
            raise SystemExit(f"the parts do not cover one range of seeds: {seeds[0]}..{seeds[-1]}, {len(seeds)} procedures")
        command = f"python -m tests.validation.run --procedures {len(results)} --out {a.out}"
        a.out.write_text(render(Summary(results), command=command, seed=seeds[0]), encoding="utf-8")
        return 0
    results = []
    for i in range(a.procedures):
        results.append(evaluate(a.seed + i))
    if a.save:
        a.save.write_bytes(pickle.dumps(results))
        return 0
    command = "python -m tests.validation.run " + " ".join(argv if argv is not None else sys.argv[1:])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(render(Summary(results), command=command, seed=a.seed), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
