"""Issue 12: the detectors, ingest and what-if on 20 random procedures nobody tuned them on.

The procedures come from :mod:`tests.validation.procgen` (independent of ``procmine.samples``)
with fixed seeds; the matching rule is in :mod:`tests.validation.score`. Targets: per kind
recall >= 0.95 and precision >= 0.9, no decoy flagged (under 2 % of procedures: none of 20),
what-if within 10 % of the re-simulated truth, roles detected without arguments.

A target this procmine version does not meet is marked ``xfail(strict=True)`` with the
figure measured on these seeds (``docs/validation.md`` has the figures over 200 procedures):
the test turns red when the detector improves, so the mark must then be removed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.redundancy import KINDS

from .procgen import Procedure
from .score import Summary, evaluate

SEEDS = range(700, 720)

#: targets not met on these seeds: (measure, kind) -> the measured figure
KNOWN_MISSES: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def summary() -> Summary:
    return Summary([evaluate(seed) for seed in SEEDS])


def _params(measure: str) -> list:
    out = []
    for kind in KINDS:
        reason = KNOWN_MISSES.get((measure, kind))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(kind, marks=marks, id=kind))
    return out


@pytest.mark.parametrize("kind", _params("recall"))
def test_recall(summary, kind):
    row = summary.per_kind().set_index("kind").loc[kind]
    assert row.injected >= 10, f"{kind}: only {row.injected} injections in the sample"
    missed = [(r.seed, t["activities"]) for r, t in summary.misses(kind)]
    assert row.recall >= 0.95, f"{kind}: recall {row.recall:.2f}; missed {missed[:5]}"


@pytest.mark.parametrize("kind", _params("precision"))
def test_precision(summary, kind):
    row = summary.per_kind().set_index("kind").loc[kind]
    assert row.findings > 0, f"{kind}: no findings at all"
    fps = [(r.seed, f.activities) for r, f in summary.false_positives(kind)]
    assert row.precision >= 0.9, f"{kind}: precision {row.precision:.2f}; false positives {fps[:5]}"


@pytest.mark.xfail(("decoys", "all") in KNOWN_MISSES, strict=True, reason=KNOWN_MISSES.get(("decoys", "all"), ""))
def test_no_decoy_flagged(summary):
    flagged = [(r.seed, what, f.kind) for r in summary.results for what, f in r.flagged]
    assert summary.decoy_rate() < 0.02, f"decoy rate {summary.decoy_rate():.2f}: {flagged[:6]}"


def test_whatif_within_ten_percent(summary):
    wi = summary.whatif()
    assert set(wi.kind) == {"rubber_stamp", "mergeable"} and len(wi) == 2 * len(SEEDS)
    worst = wi.loc[wi.error_default.idxmax()]
    assert wi.error_default.max() <= 0.10, f"worst: seed {worst.seed} {worst.edit}: {worst.error_default:.1%}"
    assert wi.error_calendar.max() <= 0.10


@pytest.mark.xfail(("ingest", "all") in KNOWN_MISSES, strict=True, reason=KNOWN_MISSES.get(("ingest", "all"), ""))
def test_roles_detected_without_arguments(summary):
    fails = summary.ingest_failures()
    assert not fails, f"{len(fails)} ingest problems, e.g. {fails[:3]}"


def test_generator_resimulation_keeps_the_other_draws():
    """Removing a step leaves every earlier event of each case as it was, and the later ones
    keep their own draws: the truth the what-if is scored against is the same cases."""
    proc = Procedure(701, n_cases=60)
    full = proc.simulate()
    assert full.equals(Procedure(701, n_cases=60).simulate())  # deterministic
    stamp = next(t for t in proc.truths if t["kind"] == "rubber_stamp")["activities"][0]
    cut = proc.simulate(skip=frozenset({stamp}))
    assert stamp not in set(cut.activity) and stamp in set(full.activity)
    assert len(cut) == len(full) - int((full.activity == stamp).sum())
    for case, events in full.groupby("case", sort=False):
        i = int((events.activity == stamp).to_numpy().argmax())
        before = events.iloc[:i].reset_index(drop=True)
        pd.testing.assert_frame_equal(before, cut[cut.case == case].iloc[:i].reset_index(drop=True))
    # every later routing decision (choices, loops, decisions) drew the same numbers
    rest = full[full.activity != stamp].groupby("case", sort=False).activity.apply(tuple)
    assert rest.equals(cut.groupby("case", sort=False).activity.apply(tuple))


def test_every_kind_and_decoy_is_injected():
    proc = Procedure(702, start_times=True)
    kinds = {t["kind"] for t in proc.truths}
    assert set(KINDS) <= kinds
    assert {d["what"] for d in proc.decoys} >= {
        "required second check", "rare loop", "client wait before an external step", "statutory period",
        "decision point", "planned follow-up"}
    df = proc.simulate()
    affected = df.attrs["affected"]
    for t in proc.truths:  # each injection touches enough cases to be found (min_case_share 5 %)
        assert affected.get(t["sid"], 0) >= 0.15 * proc.n_cases, t
