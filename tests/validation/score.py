"""Scoring procmine's findings against the truth of :mod:`tests.validation.procgen`.

**Matching rule.** A finding *matches* an injected redundancy when its ``kind`` equals the
truth's kind and its activities share at least one activity with the truth's activities
(the org units are not compared: a detector may name the loop's unit or the pair of units,
and the activity is what the analyst acts on). Per kind:

- *recall* = injected redundancies matched by at least one finding / injected redundancies;
- *precision* = findings that match an injected redundancy of their kind / findings of that
  kind (a finding on a decoy, on the ordinary structure, or on another pattern is a false
  positive; two findings on the same truth both count as correct).

**Decoys.** A decoy (a required second check, a decision point, a rare loop, a statutory
period, a client wait, a planned follow-up, a statutory wait before a parallel pair) is
*flagged* when a finding of one of the kinds it could be mistaken for (``tempting``) names
one of its activities. The decoy rate is the share of procedures with at least one decoy
flagged.

**What-if.** For the rubber stamp (removed) and the mergeable pair (merged), the procedure
is re-simulated without the step (same random streams, see :mod:`procgen`) and the median
case duration of the re-simulated cases is compared with
``procmine.simplify(log, remove=[...] | merge=[...]).after["median_case_duration"]``:
relative error ``|predicted - re-simulated| / re-simulated``.

**Ingest.** Each procedure is exported twice (interval rows; start/complete rows) with
random headers and conventions and read back with ``procmine.read_log(path)`` without role
arguments. A role mapped to another column than the one written, a different number of
events, or a median case duration off by more than a minute is an ingest failure; the
detectors are then scored on a second read with the roles given.
"""

from __future__ import annotations

import tempfile
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import procmine as pm
from procmine.redundancy import KINDS

from .procgen import Procedure, median_case_duration

ROLE_ARGS = ("case", "activity", "timestamp", "start_timestamp", "resource", "org", "lifecycle")


def matches(finding: Any, truth: dict[str, Any]) -> bool:
    """The matching rule of the module docstring."""
    return finding.kind == truth["kind"] and bool(set(finding.activities) & set(truth["activities"]))


def flags(finding: Any, decoy: dict[str, Any]) -> bool:
    return finding.kind in decoy["tempting"] and bool(set(finding.activities) & set(decoy["activities"]))


@dataclass
class Result:
    """Everything measured on one procedure."""

    seed: int
    describe: str
    truths: list[dict[str, Any]]
    decoys: list[dict[str, Any]]
    findings: list[Any]
    hits: dict[int, bool] = field(default_factory=dict)  # truth index -> matched
    false: list[Any] = field(default_factory=list)  # findings matching no truth of their kind
    flagged: list[tuple[str, Any]] = field(default_factory=list)  # (decoy, finding)
    ingest: list[str] = field(default_factory=list)  # ingest problems (wrong role, counts)
    whatif: list[dict[str, Any]] = field(default_factory=list)
    diagnosis: dict[int, str] = field(default_factory=dict)  # truth index -> why it was missed


#: per kind, the guard thresholds relaxed to tell which one rejected a missed truth
RELAX: dict[str, dict[str, Any]] = {
    "bottleneck": {"dominance": 0.0, "min_wait_share": 0.0},
    "mergeable": {"max_gap": "30d"},
    "parallelizable": {"min_position_ratio": 0.0},
    "automation_candidate": {"max_dispersion": 10.0},
}


def diagnose(log: pm.EventLog, truth: dict[str, Any], required: list[str]) -> str:
    """Why ``truth`` was missed: the detector re-run with its guard relaxed (see :data:`RELAX`;
    a rubber stamp is declared with ``controls=``, a request for documents with ``requests=``), and the evidence of what it then finds."""
    kind = truth["kind"]
    relax = dict(RELAX.get(kind, {}))
    if kind == "rubber_stamp":
        relax["controls"] = list(truth["activities"])
    if kind == "incomplete_submission":  # the request step declared
        relax["requests"] = [truth["activities"][0]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = pm.find_redundancies(log, kinds=[kind], required=required, min_case_share=0.0, **{kind: relax})
    except Exception as exc:  # a threshold this version does not know
        return f"not diagnosed ({type(exc).__name__}: {exc})"
    hit = [f for f in found if matches(f, truth)]
    if not hit:
        return f"not found even with {relax or 'min_case_share=0'}"
    ev = ", ".join(f"{k}={_fmt(v)}" for k, v in hit[0].evidence.items() if not isinstance(v, (list, tuple, dict)))
    return f"found with {relax or 'min_case_share=0'}: {ev}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, pd.Timedelta):
        return str(v.round("1min"))
    return str(v)[:60]


def read_back(proc: Procedure, df: pd.DataFrame, folder: Path, *, lifecycle: bool) -> tuple[pm.EventLog, list[str]]:
    """Export and read back without roles; on an ingest problem, read again with the roles."""
    path, roles, fmt = proc.export(df, folder, lifecycle=lifecycle)
    what = f"{'start/complete' if lifecycle else 'interval'} rows ({fmt['sep']!r}, {fmt['date_format']}, {fmt['encoding']})"
    problems: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            log = pm.read_log(path)
        got = dict(log.report.roles)
        for role, header in roles.items():
            if role == "lifecycle" and log.df.get("lifecycle:transition") is None and got.get(role) is None:
                continue  # paired into start_timestamp: its column is consumed
            if got.get(role) != header:
                problems.append(f"{what}: role {role} read from {got.get(role)!r}, written as {header!r}")
        if log.n_events != len(df):
            problems.append(f"{what}: {log.n_events} events read, {len(df)} written")
        want = median_case_duration(df)
        have = log.case_durations().median()
        if abs(have - want) > pd.Timedelta("1min"):
            problems.append(f"{what}: median case duration {have}, written {want}")
    except Exception as exc:  # an ingest failure is a finding, not a crash of the validation
        problems.append(f"{what}: read_log failed: {type(exc).__name__}: {exc}")
        log = None
    if problems:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            log = pm.read_log(path, **{k: v for k, v in roles.items() if k in ROLE_ARGS}, dayfirst=True)
    return log, problems


def evaluate(seed: int, folder: Path | None = None, *, whatif: bool = True, **proc_kw: Any) -> Result:
    """Generate procedure ``seed``, export, read back, run the detectors and score them."""
    proc = Procedure(seed, **proc_kw)
    df = proc.simulate()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(folder or tmp)
        log, problems = read_back(proc, df, where, lifecycle=False)
        _, problems_lc = read_back(proc, df, where, lifecycle=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = list(pm.find_redundancies(log, required=proc.required))
    truths = [t for t in proc.truths if t["kind"] in KINDS]
    res = Result(seed, proc.describe(), truths, proc.decoys, found, ingest=problems + problems_lc)
    for i, t in enumerate(truths):
        res.hits[i] = any(matches(f, t) for f in found)
        if not res.hits[i]:
            res.diagnosis[i] = diagnose(log, t, proc.required)
    for f in found:
        if not any(matches(f, t) for t in truths):
            res.false.append(f)
        for d in proc.decoys:
            if flags(f, d):
                res.flagged.append((d["what"], f))
    if whatif:
        res.whatif = _whatif(proc, df, log)
    return res


def _whatif(proc: Procedure, df: pd.DataFrame, log: pm.EventLog) -> list[dict[str, Any]]:
    cal = pm.Calendar(**proc.office.calendar_args())
    out = []
    for t in proc.truths:
        if t["kind"] == "rubber_stamp":
            edit = {"remove": [t["activities"][0]]}
            truth = proc.simulate(skip=frozenset(t["activities"]))
        elif t["kind"] == "mergeable":
            edit = {"merge": [tuple(t["activities"])]}
            truth = proc.simulate(merged=frozenset({t["sid"]}))
        else:
            continue
        want = median_case_duration(truth)
        row = {"kind": t["kind"], "edit": edit, "before": median_case_duration(df), "truth": want}
        for label, c in (("default", None), ("calendar", cal)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = pm.simplify(log, calendar=c, **edit)
            got = w.after["median_case_duration"]
            row[f"predicted_{label}"] = got
            row[f"error_{label}"] = abs(got - want) / want
        out.append(row)
    return out


# -- aggregation -----------------------------------------------------------------------------
@dataclass
class Summary:
    results: list[Result]

    def per_kind(self) -> pd.DataFrame:
        rows = []
        for k in KINDS:
            n_truth = sum(1 for r in self.results for t in r.truths if t["kind"] == k)
            n_hit = sum(1 for r in self.results for i, t in enumerate(r.truths) if t["kind"] == k and r.hits[i])
            n_found = sum(1 for r in self.results for f in r.findings if f.kind == k)
            n_false = sum(1 for r in self.results for f in r.false if f.kind == k)
            rows.append({
                "kind": k, "injected": n_truth, "found": n_hit,
                "recall": n_hit / n_truth if n_truth else float("nan"),
                "findings": n_found, "false_positives": n_false,
                "precision": (n_found - n_false) / n_found if n_found else float("nan"),
            })
        return pd.DataFrame(rows)

    def decoy_rate(self) -> float:
        return sum(1 for r in self.results if r.flagged) / max(len(self.results), 1)

    def decoys_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.results:
            for what in {w for w, _ in r.flagged}:
                out[what] += 1
        return dict(out)

    def whatif(self) -> pd.DataFrame:
        rows = [dict(w, seed=r.seed) for r in self.results for w in r.whatif]
        return pd.DataFrame(rows)

    def ingest_failures(self) -> list[tuple[int, str]]:
        return [(r.seed, p) for r in self.results for p in r.ingest]

    def misses(self, kind: str) -> list[tuple[Result, dict[str, Any]]]:
        return [(r, t) for r in self.results for i, t in enumerate(r.truths) if t["kind"] == kind and not r.hits[i]]

    def false_positives(self, kind: str) -> list[tuple[Result, Any]]:
        return [(r, f) for r in self.results for f in r.false if f.kind == kind]
