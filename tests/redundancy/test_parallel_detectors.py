"""Detectors run two at a time on large logs: the findings are those of one after the other."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

import procmine as pm

from ..conftest import shared_log

redundancy = importlib.import_module("procmine.redundancy")
causes_module = importlib.import_module("procmine.waits._causes")


def _fresh(name: str) -> pm.EventLog:
    """A new log object of a sample (``samples.load`` caches one, with its analyses)."""
    log = pm.samples.load(name)
    return pm.EventLog(log.df.copy(), log.report, presorted=True)


def _both(monkeypatch: pytest.MonkeyPatch, load) -> tuple[pm.Findings, pm.Findings]:
    """The findings of a fresh log one detector after the other, then two at a time."""
    monkeypatch.setattr(redundancy, "PARALLEL_MIN_EVENTS", 10**12)
    serial = pm.find_redundancies(load())
    monkeypatch.setattr(redundancy, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(redundancy.os, "cpu_count", lambda: 2)  # threads also on a one-core runner
    parallel = pm.find_redundancies(load())
    return serial, parallel


def _same(a: pm.Findings, b: pm.Findings) -> None:
    assert len(a) > 0
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert [(f.kind, f.activities, repr(f.evidence), f.recommendation, f.example_cases) for f in a] == [
        (f.kind, f.activities, repr(f.evidence), f.recommendation, f.example_cases) for f in b
    ]


def test_two_at_a_time_finds_what_one_after_the_other_finds_on_the_samples(monkeypatch):
    for name in ("permit_de", "subsidy_fr"):
        _same(*_both(monkeypatch, lambda name=name: _fresh(name)))


@pytest.mark.shared_logs
def test_two_at_a_time_finds_what_one_after_the_other_finds_on_bpic12(monkeypatch):
    path = shared_log("BPIC12.xes.gz")
    with pytest.warns(pm.DataQualityWarning):
        serial, parallel = _both(monkeypatch, lambda: pm.read_log(path))
    _same(serial, parallel)


def test_the_wait_causes_are_computed_once_when_detectors_share_them(monkeypatch):
    calls = []
    compute = causes_module._compute

    def counted(*args, **kwargs):
        calls.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(causes_module, "_compute", counted)
    monkeypatch.setattr(redundancy, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(redundancy.os, "cpu_count", lambda: 2)
    pm.find_redundancies(_fresh("permit_de"))
    assert len(calls) == 1


def test_a_detector_that_fails_in_a_thread_raises_in_the_caller(monkeypatch):
    def broken(log, **kwargs):
        raise RuntimeError("detector broke")

    monkeypatch.setattr(redundancy, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(redundancy.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(importlib.import_module("procmine.redundancy.ping_pong"), "detect", broken)
    with pytest.raises(RuntimeError, match="detector broke"):
        pm.find_redundancies(pm.samples.load("permit_de"))


def test_the_detectors_that_read_the_wait_causes_declare_it():
    import inspect

    for kind in redundancy.KINDS:
        module = importlib.import_module(redundancy.DETECTORS[kind])
        reads = "wait_causes(" in inspect.getsource(module)
        assert getattr(module, "READS_WAIT_CAUSES", False) is reads, kind
