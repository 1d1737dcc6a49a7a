"""The matching rule of the validation, written once: which finding matches which truth item.

A finding matches a ground-truth item when both have the same kind and their activities
overlap (non-empty intersection); for the pair kinds (``mergeable``, ``parallelizable``) both
activities of the truth item must be among the finding's activities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PAIR_KINDS = frozenset({"mergeable", "parallelizable"})


def matches(finding: Any, truth: Any) -> bool:
    """Whether ``finding`` (a Finding) matches ``truth`` (a GroundTruth)."""
    if finding.kind != truth.kind:
        return False
    f, t = set(finding.activities), set(truth.activities)
    if truth.kind in PAIR_KINDS:
        return t <= f
    return bool(f & t)


def required_activities(truth: Iterable[Any]) -> tuple[str, ...]:
    """The activities the user declares required: those of the truth items marked so."""
    out: dict[str, None] = {}
    for t in truth:
        if t.required:
            out.update(dict.fromkeys(t.activities))
    return tuple(out)


@dataclass
class Score:
    """Counts of one kind, summed over runs."""

    kind: str
    truths: int = 0  #: injected (non-decoy) truth items
    found_truths: int = 0  #: of them, matched by at least one finding
    findings: int = 0  #: findings of the kind
    true_findings: int = 0  #: of them, matching an injected truth item
    flagged_decoys: list[str] = field(default_factory=list)  #: "run: activities" of matched decoys
    misses: list[str] = field(default_factory=list)
    false_findings: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found_truths / self.truths if self.truths else 1.0

    @property
    def precision(self) -> float:
        return self.true_findings / self.findings if self.findings else 1.0

    def add(self, findings: Sequence[Any], truth: Sequence[Any], run: str = "") -> None:
        mine = [f for f in findings if f.kind == self.kind]
        real = [t for t in truth if t.kind == self.kind and not t.decoy]
        decoys = [t for t in truth if t.kind == self.kind and t.decoy]
        self.truths += len(real)
        self.findings += len(mine)
        for t in real:
            if any(matches(f, t) for f in mine):
                self.found_truths += 1
            else:
                self.misses.append(f"{run}: {t.activities}")
        for f in mine:
            if any(matches(f, t) for t in real):
                self.true_findings += 1
            else:
                self.false_findings.append(f"{run}: {f!r}")
        for t in decoys:
            if any(matches(f, t) for f in mine):
                self.flagged_decoys.append(f"{run}: {t.activities} ({t.note})")

    def __repr__(self) -> str:
        return (
            f"<Score {self.kind}: recall {self.found_truths}/{self.truths}, precision "
            f"{self.true_findings}/{self.findings}, {len(self.flagged_decoys)} decoy(s) flagged>"
        )
