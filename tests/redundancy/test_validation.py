"""Validation of every detector on generated logs whose truth is known.

Per kind, over 2 procedures (German, French) x 3 seeds x 3 noise levels: recall >= 0.9,
precision >= 0.8 (a finding that matches no injected redundancy is a false positive), and
no decoy flagged. The matching rule is in ``_truth.py``.
"""

from __future__ import annotations

import pytest

from procmine import find_redundancies
from procmine.redundancy import KINDS
from procmine.samples.generator import KINDS as GENERATED_KINDS

from ._truth import Score, matches, required_activities

#: the request step of each generated procedure's document loop (the rework decoy
#: "missing documents are requested and the file checked again"): its incomplete_submission truth
DOCUMENT_LOOPS = {"permit_de": "Unterlagen nachfordern", "subsidy_fr": "Demande de pièces complémentaires"}


@pytest.fixture(scope="session")
def results(generated):
    """``(run, findings, truth)`` of find_redundancies over the validation grid."""
    return [(run, find_redundancies(log, kinds=KINDS, required=required_activities(truth)), truth)
            for run, log, truth in generated]


@pytest.mark.parametrize("kind", GENERATED_KINDS)
def test_recall_precision_and_decoys(kind, results):
    score = Score(kind)
    for run, findings, truth in results:
        score.add(findings, truth, run)
    assert score.truths >= len(results), "every generated log injects each kind"
    assert score.recall >= 0.9, f"{score}: missed {score.misses[:5]}"
    assert score.precision >= 0.8, f"{score}: false positives {score.false_findings[:5]}"
    assert not score.flagged_decoys, f"{score}: decoys flagged {score.flagged_decoys[:5]}"


def test_every_finding_is_complete(results):
    """Each finding carries evidence, a recommendation in three languages, examples, confidence."""
    _, findings, _ = results[0]
    assert len(findings) >= 9
    for f in findings:
        assert f.evidence, f
        assert set(f.recommendation) == {"de", "fr", "en"} and all(f.recommendation.values()), f
        assert f.example_cases, f
        assert 0 < f.confidence <= 1, f
        assert 0 < f.case_share <= 1 and f.cases > 0, f
        assert f.time_cost.value >= 0 and f.saving_per_case.value >= 0, f


def test_the_required_double_check_is_found_when_not_declared(generated):
    """The guard for the legally required double check is the user's declaration: without
    it the double check is duplicate work like any other (so the guard is what keeps it out)."""
    run, log, truth = generated[0]
    decoy = next(t for t in truth if t.required)
    found = find_redundancies(log, kinds=[decoy.kind])
    assert any(matches(f, decoy) for f in found), run
    found = find_redundancies(log, kinds=[decoy.kind], required=decoy.activities)
    assert not any(matches(f, decoy) for f in found), run


def test_the_legal_waiting_period_is_not_a_bottleneck_without_start_times(generated):
    """Without start timestamps the 30-day period becomes a 30-day wait before its completion:
    its near-constant calendar length still keeps it out, while the real bottleneck stays."""
    from procmine import EventLog

    _run, log, truth = generated[0]
    log2 = EventLog(log.df.drop(columns=["start_timestamp"]))
    found = find_redundancies(log2, kinds=["bottleneck"])
    decoy = next(t for t in truth if t.kind == "bottleneck" and t.decoy)
    real = next(t for t in truth if t.kind == "bottleneck" and not t.decoy)
    assert not any(matches(f, decoy) for f in found), found
    assert any(matches(f, real) for f in found), found


def test_document_loops_are_incomplete_submissions_and_not_rework(results):
    """The generator's document loop (in the runs where it is injected) is found as one
    incomplete_submission finding on the request step, nothing else is, and rework stays quiet on it."""
    found = missed = false = 0
    for run, findings, truth in results:
        loop = next(t for t in truth if t.kind == "rework" and t.decoy and DOCUMENT_LOOPS[run.split("/")[0]] in t.activities)
        request = DOCUMENT_LOOPS[run.split("/")[0]]
        inc = findings.filter(kind="incomplete_submission")
        hits = [f for f in inc if f.evidence["requesting_step"] == request]
        found += len(hits) == 1
        missed += not hits
        false += len(inc) - len(hits)
        assert not any(matches(f, loop) for f in findings.filter(kind="rework")), run
    assert found == len(results) and missed == 0 and false <= 0.2 * len(results)
