"""Every public result has one shape: a one-line repr, an escaped self-contained
``_repr_html_``, ``to_frame()`` and ``plot(ax=...)`` returning that axes.

The test walks the public facade on a shipped sample whose activity names carry markup,
so an unescaped name in any notebook view shows.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest
from matplotlib.figure import Figure

import procmine as pm
from procmine._results import REPR_WIDTH, Result, one_line

# markup in an org unit's name and the log's name (activity names with <, > or & still break
# pm4py's BPMN auto layout, which WhatIf.plot uses: a separate bug)
MARKUP = "<i>Bauamt</i>"


@pytest.fixture(scope="module")
def log() -> pm.EventLog:
    base = pm.samples.load("permit_de").sample(120, seed=7)
    df = base.df.copy()
    first = df["org:group"].iloc[0]
    df["org:group"] = df["org:group"].astype(str).replace({first: MARKUP})
    return pm.EventLog(df, name="permit <de>")


@pytest.fixture(scope="module")
def results(log: pm.EventLog) -> dict[str, object]:
    """One result of every public result type, built through the public functions."""
    model = pm.discover(log)
    findings = pm.find_redundancies(log, min_case_share=0.01)
    assert len(findings), "the sample must give at least one finding"
    removable = log.df["concept:name"].iloc[1]
    rule = pm.TimeLimit("Entscheid", "case_start", "case_end", 90)
    return {
        "ProcessModel": model,
        "ProcessMap": model.plot_map(min_cases=1),
        "Performance": pm.performance(log),
        "Handovers": pm.handovers(log),
        "Findings": findings,
        "Finding": findings[0],
        "WhatIf": pm.simplify(log, remove=[removable]),
        "Comparison": pm.compare(log, by="org:group", min_cases=1),
        "ClientView": pm.client_view(log),
        "TimeLimits": pm.time_limits(log, [rule]),
        "Explorer": pm.explore(log, min_cases=1),
        "IngestReport": log.report,
    }


def test_every_public_result_class_is_walked(results: dict[str, object]) -> None:
    public = {
        name
        for name in pm.__all__
        if isinstance(getattr(pm, name), type) and issubclass(getattr(pm, name), Result)
    }
    assert public <= set(results), f"results not walked by this test: {public - set(results)}"
    for name, value in results.items():
        assert type(value).__name__ == name and isinstance(value, Result), name


@pytest.mark.parametrize(
    "name",
    ["ProcessModel", "ProcessMap", "Performance", "Handovers", "Findings", "Finding", "WhatIf",
     "Comparison", "ClientView", "TimeLimits", "Explorer", "IngestReport"],
)
def test_result_shape(results: dict[str, object], name: str) -> None:
    result = results[name]
    text = repr(result)
    assert "\n" not in text and len(text) <= REPR_WIDTH and text.startswith(f"<{name}")

    page = result._repr_html_()
    assert isinstance(page, str) and page.lstrip().startswith("<")
    assert "<i>" not in page and "<de>" not in page  # names and titles are escaped
    assert "<script" not in page.lower()
    if name in ("Handovers", "Comparison"):  # the org unit named with markup is in their tables
        assert "&lt;i&gt;Bauamt" in page
    # self-contained: no resource from outside (XML namespace names are not fetched)
    outside = re.sub(r'xmlns(:\w+)?="[^"]*"', "", page)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//|url\(\s*[\"']?(https?:)?//|@import", outside)

    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)

    ax = Figure().add_subplot()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the current form warns about nothing
        assert result.plot(ax=ax) is ax
    assert ax.has_data() or ax.texts or ax.patches or ax.collections or ax.get_title()


def test_plot_without_axes_gives_new_axes(results: dict[str, object]) -> None:
    ax = results["Performance"].plot(kind="wip")
    assert ax.figure is not None and ax.get_title()


def test_old_plot_forms_warn_and_maps_stay_maps(results: dict[str, object]) -> None:
    perf, cmp, model = results["Performance"], results["Comparison"], results["ProcessModel"]
    ax = Figure().add_subplot()
    with pytest.warns(DeprecationWarning, match="kind='activities'"):
        assert perf.plot("activities", ax) is ax
    with pytest.warns(DeprecationWarning, match="kpi='cases'"):
        assert cmp.plot("cases").get_ylabel() == "cases"
    # a map result: without axes, plot() is its map (plot_map() says so explicitly)
    assert "<svg" in model.plot(min_cases=1).svg and "<svg" in model.plot_map(min_cases=1).svg


def test_one_line_keeps_the_width() -> None:
    short_subject = one_line("X", "a" * 300, ["b" * 50, "c"])
    assert short_subject == "<X " + "a" * 39 + "…: " + "b" * 50 + "; c>"
    long = one_line("X", "s", ["b" * 300, "c"])
    assert len(long) == REPR_WIDTH and long.endswith("…>") and "\n" not in long
    assert one_line("X", "s", ["x\ny"]) == "<X s: x y>"


def test_working_time_is_never_shown_as_24_hour_days() -> None:
    from procmine.i18n import format_duration

    forty = pd.Timedelta(hours=40)  # 40 working hours: five office days, not 1.7 days
    assert format_duration(forty, "en", day_hours=8) == "5.0 working days"
    assert format_duration(forty, "en") == "40.0 h"
    assert format_duration(pd.Timedelta(days=3), "en") == "3.0 days"
    assert format_duration(forty, short=True, day_hours=8) == "5 wd"
