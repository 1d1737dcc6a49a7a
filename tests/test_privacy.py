"""Pseudonymisation and small-group suppression (procmine.privacy)."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine import EventLog
from procmine.privacy import pseudonym_map, pseudonymize, suppress_small_groups


@pytest.fixture
def log() -> EventLog:
    df = pd.DataFrame(
        {
            "case:concept:name": ["1", "1", "2", "2", "3"],
            "concept:name": ["a", "b", "a", "b", "a"],
            "time:timestamp": pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC"),
            "org:resource": ["Anna Muster", "Beat Beispiel", "Anna Muster", None, "Carla Exemple"],
            "org:group": ["Bauamt", "Bauamt", "Service", "Service", "Bauamt"],
        }
    )
    return EventLog(df)


def test_names_are_replaced_consistently(log):
    out = pseudonymize(log)
    res = out.df["org:resource"]
    assert not set(res.dropna()) & {"Anna Muster", "Beat Beispiel", "Carla Exemple"}
    assert res.iloc[0] == res.iloc[2]  # stable within one call
    assert res.iloc[0] != res.iloc[1]
    assert res.isna().sum() == 1  # missing stays missing
    assert sorted(res.dropna().unique()) == ["R-0001", "R-0002", "R-0003"]
    assert log.df["org:resource"].iloc[0] == "Anna Muster"  # input untouched
    assert out.df["org:group"].tolist() == log.df["org:group"].tolist()


def test_random_salt_differs_between_reports_explicit_salt_is_stable(log):
    a = pseudonym_map([f"person {i}" for i in range(50)])
    b = pseudonym_map([f"person {i}" for i in range(50)])
    assert a != b  # numbering follows a fresh random salt (chance of equality ~ 1/50!)
    s1 = pseudonym_map(["Anna", "Beat"], salt="secret")
    s2 = pseudonym_map(["Beat", "Anna", "Zoe"], salt="secret")
    assert s1["Anna"] == s2["Anna"] and s1["Beat"] == s2["Beat"]
    assert pseudonym_map(["Anna"], salt="other")["Anna"] != s1["Anna"]


def test_numbers_do_not_follow_order_of_appearance():
    names = [f"person {i:03d}" for i in range(200)]
    m = pseudonym_map(names)
    assert [m[n] for n in names] != [f"R-{i + 1:04d}" for i in range(200)]


def test_pseudonymize_other_columns(log):
    out = pseudonymize(log, ["org:group", "case:concept:name"])
    assert set(out.df["org:group"]) <= {"U-0001", "U-0002"}
    assert out.df["case:concept:name"].str.startswith("C-").all()
    assert out.n_cases == log.n_cases
    assert any("pseudonymised" in f["description"] for f in out.report.filters)


def test_suppress_small_groups():
    f = pd.DataFrame({"unit": ["A", "B", "C"], "cases": [10, 9, 200]})
    out = suppress_small_groups(f, "cases", 10)
    assert out["unit"].tolist() == ["A", "C"]
    assert out.attrs["suppressed"] == 1
    assert len(f) == 3
    from procmine.errors import ParameterError

    with pytest.raises(ParameterError):
        suppress_small_groups(f, "nope", 10)
