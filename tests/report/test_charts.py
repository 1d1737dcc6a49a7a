"""The report's charts: laid out as constrained layout lays them out, drawn once, deterministic."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from procmine.report import _charts, _svg

CASES = [
    ("hbar_stacked", (["Gesuch prüfen", "Stellungnahme <Amt> & Co", "x" * 60],
                      [("warten", [3.0, 1.5, 0.2], "wait"), ("bearbeiten", [1.0, np.nan, 0.4], "work")]),
     {"xlabel": "Arbeitsstunden", "prefix": "a", "title": "Titel"}),
    ("hbar_stacked", (["A", "B"], [("nur eins", [1.0, 2.0], "wait")]), {"xlabel": "h", "prefix": "b"}),
    ("hbar", (["eins", "zwei", "drei"], [5.0, 12.5, 0.0]),
     {"xlabel": "Tage", "prefix": "c", "value_labels": ["5", "12,5", "0"]}),
    ("histogram", (list(np.linspace(0.0, 40.0, 300)),),
     {"xlabel": "Arbeitstage", "ylabel": "Fälle", "prefix": "d", "marks": [(10.0, "Median"), (39.0, "90%")]}),
    ("grouped_bars", (["Einheit A", "Einheit B"], [("Median", [2.0, 3.0], "main"), ("90%", [5.0, 8.0], "wait")]),
     {"xlabel": "Tage", "prefix": "e"}),
]


def _constrained(monkeypatch, name, args, kwargs) -> str:
    """The chart as constrained layout and ``savefig`` draw it."""
    import matplotlib
    from markupsafe import Markup

    def new_figure(width_cm=16, height_cm=8):
        with matplotlib.rc_context(_svg._RC):
            from matplotlib.figure import Figure

            return Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained")

    def figure_svg(fig, prefix):
        buf = io.StringIO()
        with matplotlib.rc_context(_svg._RC):
            for leg in fig.legends:  # the legend above the axes, as "outside upper left" places it
                leg._outside_loc = "upper"
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "procmine"}, transparent=True)
        return Markup(_svg.sanitize_svg(buf.getvalue(), prefix))

    with monkeypatch.context() as m:
        m.setattr(_charts, "new_figure", new_figure)
        m.setattr(_charts, "figure_svg", figure_svg)
        return str(getattr(_charts, name)(*args, **kwargs))


def _no_clip_ids(svg: str) -> str:
    # clip paths are named by a hash of their rectangle, which differs in the last bits
    return re.sub(r"-p[0-9a-f]{10}\b", "-p", svg)


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_chart_is_laid_out_as_constrained_layout_does(monkeypatch, name, args, kwargs) -> None:
    ours = str(getattr(_charts, name)(*args, **kwargs))
    assert ours == str(getattr(_charts, name)(*args, **kwargs))  # deterministic
    assert _no_clip_ids(ours) == _no_clip_ids(_constrained(monkeypatch, name, args, kwargs))
