"""Declared thresholds: each detector's ``THRESHOLDS`` drive validation and the catalogue."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path

import pytest

import procmine as pm
from procmine._core.validation import Threshold, check_declared
from procmine.errors import ParameterError
from procmine.redundancy import KINDS, find_redundancies
from procmine.redundancy.catalogue import catalogue, undeclared

DOC = Path(__file__).resolve().parents[2] / "docs" / "detectors.md"


@pytest.fixture(scope="module")
def log() -> pm.EventLog:
    return pm.samples.load("permit_de").sample(60, seed=2)


def _invalid(t: Threshold) -> object:
    """A value the declaration must refuse (as scikit-learn generates invalid parameters)."""
    if t.kind == "fraction":
        return 1.5
    if t.kind in ("number", "int"):
        return (t.low - 1) if t.low is not None else "many"
    return {"duration": "soon", "bool": "yes", "names": 3, "mapping": 3, "names_or_mapping": 3.5}[t.kind]


def test_the_detector_doc_is_generated_and_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue(), (
        "docs/detectors.md is out of date: run python -m procmine.redundancy.catalogue > docs/detectors.md"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_declarations_match_detect(kind: str) -> None:
    assert undeclared(kind) == []
    module = importlib.import_module(f"procmine.redundancy.{kind}")
    for t in module.THRESHOLDS:
        assert t.meaning.endswith(".") and t.range, t
        if t.default is not None:
            assert t.check(f"{kind}.detect", t.default) == t.default  # the default is valid


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_values_are_refused_before_any_detector_runs(kind: str, log, monkeypatch) -> None:
    ran = []
    for other in KINDS:  # a detector that ran would leave a trace
        module = importlib.import_module(f"procmine.redundancy.{other}")
        monkeypatch.setattr(module, "detect", lambda *a, _k=other, **kw: ran.append(_k) or [])
    module = importlib.import_module(f"procmine.redundancy.{kind}")
    for t in module.THRESHOLDS:
        with pytest.raises(ParameterError) as info:
            find_redundancies(log, **{kind: {t.name: _invalid(t)}})
        err = info.value
        assert (err.parameter, err.value, err.expected) == (t.name, _invalid(t), t.expected)
        assert kind in err.function and f"The {t.name!r} parameter of" in str(err)
    with pytest.raises(ParameterError, match="one of the thresholds") as info:
        find_redundancies(log, **{kind: {"no_such_threshold": 1}})
    assert info.value.parameter == "no_such_threshold"
    assert ran == []


def test_valid_thresholds_reach_the_detector(log, monkeypatch) -> None:
    seen = {}
    monkeypatch.setattr(importlib.import_module("procmine.redundancy.rework"), "detect", lambda *a, **kw: seen.update(kw) or [])
    find_redundancies(log, kinds=["rework"], rework={"min_repeat_share": 1, "waits": {"x": "statutory"}})
    assert seen["min_repeat_share"] == 1.0 and isinstance(seen["min_repeat_share"], float)
    assert seen["waits"] == {"x": "statutory"}


def test_a_type_error_inside_a_detector_is_not_hidden(log, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise TypeError("a bug in the detector")

    monkeypatch.setattr(importlib.import_module("procmine.redundancy.rework"), "detect", broken)
    with pytest.raises(TypeError, match="a bug in the detector"):
        find_redundancies(log, kinds=["rework"])


def test_parameter_error_carries_its_data() -> None:
    err = ParameterError("discover", "noise", 1.5, "a float in [0, 1]")
    assert isinstance(err, ValueError) and isinstance(err, pm.ProcmineError)
    assert str(err) == "The 'noise' parameter of discover must be a float in [0, 1]. Got 1.5 instead."
    back = pickle.loads(pickle.dumps(err))
    assert (back.function, back.parameter, back.value, back.expected, str(back)) == (
        "discover", "noise", 1.5, "a float in [0, 1]", str(err)
    )
    free = ParameterError("a message of its own")
    assert str(free) == "a message of its own" and free.parameter is None
    with pytest.raises(ParameterError) as info:
        pm.discover(pm.samples.load("permit_de"), noise=2)
    assert (info.value.function, info.value.parameter, info.value.value) == ("discover", "noise", 2)


def test_check_declared_normalises_and_names_the_choices() -> None:
    declared = (Threshold("n", "int", 3, "How many.", low=1), Threshold("gap", "duration", "1h", "How long."))
    assert check_declared("f", declared, {"n": 4.0, "gap": "2h"}) == {"n": 4, "gap": "2h"}
    with pytest.raises(ParameterError, match=r"one of the thresholds 'n', 'gap'"):
        check_declared("f", declared, {"m": 1})
    with pytest.raises(ParameterError, match=r"a whole number >= 1"):
        check_declared("f", declared, {"n": 2.5})
    with pytest.raises(ParameterError, match="True or False"):
        Threshold("b", "bool", True, "Whether.").check("f", 1)
