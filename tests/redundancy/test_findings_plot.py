"""Findings.plot: the findings on the process map, or a bar chart on given axes."""

from __future__ import annotations

import html

import pytest
from matplotlib.figure import Figure

import procmine as pm
from procmine.errors import ParameterError


@pytest.fixture(scope="module")
def found() -> pm.Findings:
    return pm.find_redundancies(pm.samples.load("permit_de"))


def test_map_frames_the_activities_of_the_findings(found: pm.Findings) -> None:
    assert len(found) > 0
    m = found.plot(top=3)
    dot = m.dot or ""
    for f in found[:3]:
        for a in f.activities:
            assert html.escape(a, quote=True) in dot or a in m.svg
        assert f.kind in dot
    assert dot.count('color="#d35400"') == len({a for f in found[:3] for a in f.activities})


def test_bar_chart_on_axes(found: pm.Findings) -> None:
    ax = Figure().add_subplot()
    assert found.plot(ax=ax, top=4) is ax
    assert len(ax.patches) == min(4, len(found))


def test_map_needs_a_log() -> None:
    with pytest.raises(ParameterError, match="needs the log"):
        pm.Findings([]).plot()
