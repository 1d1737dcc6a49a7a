"""Every number a recommendation states is a figure of its finding's evidence, in every language."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.i18n import (
    LANGUAGES,
    format_duration,
    format_integer,
    format_number,
    format_percent,
    format_working_time,
)
from procmine.redundancy import KINDS, Finding

#: a number as procmine writes it: 1’234.5 (de, en), 1 234,5 (fr, narrow no-break space), 12%
NUMBER = re.compile(r"\d{1,3}(?:[\u2019\u202f]\d{3})+(?:[.,]\d+)?%?|\d+(?:[.,]\d+)?%?")


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def figures(value: Any, language: str) -> set[str]:
    """The numbers ``value`` shows when written in ``language`` the ways procmine writes it."""
    texts: list[str] = []
    if isinstance(value, pd.Timedelta):
        texts += [format_working_time(value, language), format_duration(value, language)]
    elif isinstance(value, (bool, np.bool_)) or value is None:
        pass
    elif isinstance(value, (int, np.integer)):
        texts.append(format_integer(value, language))
    elif isinstance(value, (float, np.floating)):
        texts += [format_number(value, language, digits=d) for d in (0, 1, 2)]
        if 0.0 <= value <= 1.0:
            texts += [format_percent(value, language, digits=d) for d in (0, 1)]
    elif isinstance(value, str):
        texts.append(value)
    return {n for t in texts for n in numbers(t)}


def unquoted(f: Finding, language: str) -> str:
    """The recommendation without the names it quotes (activity and unit names may hold digits)."""
    text = re.sub(r"'[^']*'", "''", f.text(language))
    names = [*f.activities, *f.org_units] + [v for v in f.evidence.values() if isinstance(v, str)]
    for name in sorted(set(names), key=len, reverse=True):
        if name:
            text = text.replace(name, "")
    return text


def check(f: Finding) -> None:
    for language in LANGUAGES:
        allowed = set().union(*(figures(v, language) for v in f.evidence.values()))
        # names in evidence strings (slot names are written per language: "Di 14 Uhr")
        stated = numbers(unquoted(f, language))
        missing = [n for n in stated if n not in allowed]
        assert not missing, (f.kind, language, f.text(language), missing, f.evidence)


MONDAY = pd.Timestamp("2024-09-02 08:00", tz="Europe/Zurich")


@pytest.fixture(scope="module")
def sample_findings() -> list[Finding]:
    out: list[Finding] = []
    for name in ("permit_de", "subsidy_fr"):
        out += list(pm.find_redundancies(pm.samples.load(name)))
    return out


def test_every_kind_is_covered_by_the_samples(sample_findings):
    assert {f.kind for f in sample_findings} == set(KINDS)


def test_every_number_of_every_recommendation_is_an_evidence_figure(sample_findings):
    for f in sample_findings:
        check(f)


def test_the_check_can_fail(sample_findings):
    f = next(f for f in sample_findings if f.kind == "parallelizable")
    wrong = dict(f.recommendation)
    wrong["fr"] = wrong["fr"] + " (37 %)".replace(" %", "%")
    with pytest.raises(AssertionError):
        check(Finding(**{**f.__dict__, "recommendation": wrong}))


def test_duplicate_work_states_the_shares_its_evidence_holds():
    # 40 cases: the commune checks, then in 20 the canton and in 10 the insurer checks again
    rows = []
    for i in range(40):
        t0 = MONDAY + pd.Timedelta(days=7 * (i // 5) + i % 5)
        units = ["Gemeinde"] + (["Kanton"] if i < 20 else ["GVB"] if i < 30 else [])
        steps = [("Eingang", "Gemeinde")] + [("Brandschutz prüfen", u) for u in units] + [("Entscheid", "Gemeinde")]
        for k, (act, unit) in enumerate(steps):
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:group": unit,
                         "time:timestamp": t0 + pd.Timedelta(hours=k)})
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    (f,) = pm.find_redundancies(pm.EventLog(df), kinds=["duplicate_work"])
    assert f.evidence["duplicate_share"] == 0.75
    assert f.evidence["unit_pair_share"] == pytest.approx(20 / 30)
    assert "75%" in f.text("en") and "67%" in f.text("en")
    assert "both" not in f.text("en")
    check(f)
