"""Every evidence figure a detector emits has a label and reads well in German and French."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import procmine as pm
from procmine.i18n import catalog
from procmine.redundancy import KINDS
from procmine.report._blocks import Context
from procmine.report._evidence import (
    CODE_KEYS,
    _codes,
    _kind_labels,
    evidence_items,
    evidence_labels,
    evidence_value,
)
from tests.conftest import shared_log

#: thresholds loose enough that every detector reports on the samples (all evidence keys show)
LOOSE = {
    "automation_candidate": {
        "min_volume_share": 0.05,
        "min_invariant": 0.5,
        "max_dispersion": 5.0,
        "max_system_share": 1.0,
        "max_repeat_share": 1.0,
    },
    "batching": {
        "max_slot_ratio": 0.9,
        "max_slot_ratio_daily": 0.95,
        "max_arrival_share": 1.0,
        "min_events": 5,
    },
    "bottleneck": {"min_step_share": 0.01, "min_wait_share": 0.01, "dominance": 1.0},
    "duplicate_work": {"min_duplicate_share": 0.001},
    "mergeable": {"min_follow": 0.3, "min_same_unit": 0.1},
    "parallelizable": {
        "min_order_share": 0.01,
        "max_context_tv": 1.0,
        "max_repeat_share": 1.0,
        "min_adjacent_share": 0.0,
        "max_overlap_share": 1.0,
        "max_tie_share": 1.0,
        "min_position_ratio": 0.0,
    },
    "ping_pong": {"max_activities": 5, "max_trigger_specificity": 1.0},
    "rework": {"min_repeat_share": 0.001, "max_outcome_shift": 1.0, "max_trigger_specificity": 1.0},
    "rubber_stamp": {
        "min_top_successor": 0.5,
        "max_loop_back": 0.5,
        "max_outcome_shift": 1.0,
        "min_wait_hours": 0.0,
    },
}


def _findings(log: pm.EventLog) -> list[pm.Finding]:
    found = list(pm.find_redundancies(log, min_case_share=0.001, **LOOSE))
    # a bottleneck on a required step is kept with evidence["required"] = True
    bottlenecks = [f for f in found if f.kind == "bottleneck"]
    if bottlenecks:
        found += pm.find_redundancies(
            log, kinds=["bottleneck"], min_case_share=0.001, required=bottlenecks[0].activities[:1], **LOOSE
        )
    return found


@pytest.fixture(scope="module")
def sample_findings() -> list[pm.Finding]:
    return [f for name in ("permit_de", "subsidy_fr") for f in _findings(pm.samples.load(name))]


@pytest.fixture(scope="module")
def real_findings() -> list[pm.Finding]:
    out = []
    for name in ("receipt_wabo.xes.gz", "BPIC15_1.xes.gz"):
        out += _findings(pm.read_log(shared_log(name)))
    return out


def _ctx(language: str) -> Context:
    return Context(log=None, language=language)


def _check_labels(findings: list[pm.Finding]) -> None:
    known = evidence_labels(_ctx("en"))  # English labels are the msgids
    de, fr = catalog("de"), catalog("fr")
    unlabelled, untranslated = set(), set()
    for f in findings:
        special = _kind_labels(_ctx("en"), f.kind)
        for key in f.evidence:
            msgid = special.get(key, known.get(key))
            if msgid is None:
                unlabelled.add((f.kind, key))
            elif msgid not in de or msgid not in fr:
                untranslated.add(msgid)
    assert not unlabelled, f"evidence keys without a label in report/_evidence.py: {sorted(unlabelled)}"
    assert not untranslated, f"evidence labels without a de/fr translation: {sorted(untranslated)}"


def _check_values(findings: list[pm.Finding]) -> None:
    codes = _codes(_ctx("en"))
    for f in findings:
        for key in CODE_KEYS:
            if key in f.evidence:
                assert f.evidence[key] in codes[key], f"{f.kind}: new code {f.evidence[key]!r} for {key!r}"
        for lang in ("de", "fr"):
            for (label, value), raw in zip(
                evidence_items(_ctx(lang), f.evidence, f.kind), f.evidence.values()
            ):
                assert value and label, (f.kind, label)
                if not isinstance(raw, str):  # no Python reprs or unrounded floats reach the reader
                    assert not re.search(r"Timedelta|None|\bnan\b|\d[.,]\d{3,}|\binf\b", value), (
                        f.kind,
                        label,
                        value,
                    )
            if isinstance(f.evidence.get("release_slots"), str):
                slots = dict(evidence_items(_ctx(lang), {"release_slots": f.evidence["release_slots"]}))
                assert not re.search(r"\b(Mon|Tue|Wed|Thu|Sat|Sun)\b", next(iter(slots.values())))


def test_every_detector_reports_on_the_samples(sample_findings):
    assert {f.kind for f in sample_findings} == set(KINDS)
    assert any(f.evidence.get("required") is True for f in sample_findings)


def test_every_evidence_key_has_a_translated_label(sample_findings):
    _check_labels(sample_findings)


def test_evidence_values_read_well(sample_findings):
    _check_values(sample_findings)


@pytest.mark.shared_logs
def test_real_logs_evidence_is_labelled_and_readable(real_findings):
    assert real_findings
    _check_labels(real_findings)
    _check_values(real_findings)


def test_the_label_check_can_fail():
    fake = pm.Finding(kind="rework", activities=("a",), cases=1, evidence={"brand_new_figure": 1.0})
    with pytest.raises(AssertionError, match="brand_new_figure"):
        _check_labels([fake])


@pytest.mark.parametrize(
    ("language", "key", "value", "kind", "expected"),
    [
        ("de", "release_slots", "Tue 14h, Fri", "batching", "Di 14 Uhr, Fr"),
        ("fr", "release_slots", "Tue 14h", "batching", "mar. 14h"),
        ("de", "unit_column", "org:group", "bottleneck", "Organisationseinheit (org:group)"),
        ("fr", "gap_basis", "wait before B", "mergeable", "attente avant la seconde étape"),
        ("de", "top_successor", "(end)", "rubber_stamp", "(Ende des Falls)"),
        ("fr", "p_next_b_given_a", 0.5, "mergeable", "50%"),
        ("de", "step_wait_shares", "Prüfung: 41%, Visum: 7%", "bottleneck", "Prüfung (41%), Visum (7%)"),
        ("de", "successor_entropy", -1e-17, "rubber_stamp", "0.00"),
        ("de", "units_per_case", 2.0, "duplicate_work", "2"),
        ("fr", "overlap_share", None, "parallelizable", "– (pas d'heures de début)"),
        ("de", "required", True, "bottleneck", "ja"),
        # working time in working days of 8.4 h; batching's waits are elapsed days
        ("de", "median_wait", pd.Timedelta(hours=42), "bottleneck", "5.0 Arbeitstage"),
        ("de", "median_wait", pd.Timedelta(hours=84), "batching", "3.5 Tage"),
    ],
)
def test_values(language, key, value, kind, expected):
    ctx = _ctx(language)
    ctx.cache["day_hours"] = 8.4
    assert evidence_value(ctx, key, value, kind) == expected


def test_workbook_shows_the_evidence_as_the_cards_do(permit_small):
    from procmine.report._sections_findings import findings

    ctx = _ctx("fr")
    ctx.log = permit_small
    findings(ctx)
    texts = ctx.tables["findings"]["evidence"].tolist()
    raw_keys = [k for k in evidence_labels(_ctx("en")) if "_" in k]
    assert texts and all(isinstance(t, str) and t for t in texts)
    assert not [k for k in raw_keys for t in texts if k in t]
    assert any("part" in t for t in texts)
