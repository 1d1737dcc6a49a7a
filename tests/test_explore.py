"""The interactive explorer (procmine.explore): state, highlighting, filters, the static
fallback without ipywidgets, and the widget in a real kernel."""

from __future__ import annotations

import json
import re
import sys
from itertools import pairwise

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import ParameterError
from procmine.explore import Explorer
from procmine.explore import explore as explore_fn

ORANGE = "#d35400"


@pytest.fixture(scope="module")
def log():
    return pm.samples.load("permit_de")


@pytest.fixture(scope="module")
def findings(log):
    return pm.find_redundancies(log)


@pytest.fixture
def ex(log, findings):
    return pm.explore(log, findings=findings)


def _svg_edges(svg: str) -> dict[str, str]:
    """Edge title ("A → B") -> the SVG of its group."""
    out = {}
    for g in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S):
        title = re.search(r"<title>(.*?)</title>", g, re.S).group(1)
        out[title.replace("&#45;", "-")] = g
    return out


def test_exported_and_model_method(log, findings):
    assert pm.explore is explore_fn and pm.Explorer is Explorer
    ex = pm.discover(log).explore(findings=findings, activities=0.5)
    assert isinstance(ex, Explorer) and ex.state["activities"] == 0.5


def test_activity_slider_changes_the_node_count(ex):
    full = ex.set(activities=1.0).node_count
    assert full == ex.log.codes.n_activities - ex.graph.shown["private_activities"]
    small = ex.set(activities=0.3).node_count
    assert 0 < small < full
    assert ex.map_svg.count('class="node"') == small + 2  # start and end
    # back to a position already drawn: the cached map, identical
    assert ex.set(activities=1.0).node_count == full


def test_paths_metric_and_working_time(ex):
    many = ex.set(paths=1.0).graph.shown["paths"]
    few = ex.set(paths=0.2).graph.shown["paths"]
    assert few < many
    elapsed = ex.set(paths=1.0, metric="time", time="elapsed").graph.edges
    working = ex.set(time="working").graph.edges
    inner = (elapsed.source >= 0) & (elapsed.target >= 0)
    # office hours only: waits over nights and weekends shrink
    assert (working.loc[inner, "median_us"] <= elapsed.loc[inner, "median_us"]).all()
    assert (working.loc[inner, "median_us"] < elapsed.loc[inner, "median_us"]).any()
    assert "working time" in ex.map_svg


def test_selecting_a_finding_highlights_its_activities(ex, findings):
    assert ex.highlighted == ()
    # pick a finding whose activities the pruned map would not all show by itself
    ex.set(activities=0.3)
    shown = set(ex.graph.nodes["name"])
    i = next(i for i, f in enumerate(findings) if not set(f.activities) <= shown)
    ex.set(finding=i)
    f = findings[i]
    assert set(ex.highlighted) == set(f.activities)
    assert set(f.activities) <= set(ex.graph.nodes["name"])  # kept whatever the slider says
    assert f"⚑ {f.kind}" in ex.map_svg and ORANGE in ex.map_svg
    assert f.kind in ex._evidence_html() and all(str(k) in ex._evidence_html() for k in f.evidence)
    assert ex.set(finding=None).highlighted == ()


def test_selecting_a_variant_highlights_its_path(ex):
    v = tuple(ex.variants["variant"].iloc[1])
    ex.set(activities=0.3, variant=1)
    assert set(ex.highlighted) == set(v)
    edges = _svg_edges(ex.map_svg)
    for a, b in pairwise(v):
        assert ORANGE in edges[f"{a} → {b}"], (a, b)
    assert ORANGE in edges[f"start → {v[0]}"] and ORANGE in edges[f"{v[-1]} → end"]
    # an edge off the variant stays grey
    off = [g for t, g in edges.items() if t.split(" → ")[0] not in ("start", *v)]
    assert all(ORANGE not in g for g in off)


def test_filters_period_and_group(ex, log):
    col = "org:group"
    value = ex.group_values(col)[0]
    ex.set(group=(col, value))
    sub = ex.filtered_log
    assert 0 < sub.n_cases <= log.n_cases
    assert (sub.df.groupby("case:concept:name")[col].agg(lambda s: (s == value).any())).all()
    assert f"{col} = {value}" in ex.map_svg
    start, _end = log.time_range
    ex.set(group=None, period=(start.normalize(), start.normalize() + pd.Timedelta(days=60)))
    in_period = ex.filtered_log
    assert 0 < in_period.n_cases < log.n_cases
    assert ex.variants["cases"].sum() <= in_period.n_cases
    assert ex.set(period=None).filtered_log.n_cases == log.n_cases


def test_privacy_threshold_holds_in_lists(log, findings):
    ex = pm.explore(log, findings=findings, min_cases=50)
    assert (ex.variants["cases"] >= 50).all()
    per_value = log.df.groupby("Gemeinde")["case:concept:name"].nunique()
    assert set(ex.group_values("Gemeinde")) == set(per_value[per_value >= 50].index)
    assert "org:resource" not in ex.group_columns()  # resources name people


def test_bad_controls_raise_parameter_errors(ex):
    with pytest.raises(ParameterError, match="activities"):
        ex.set(activities=1.5)
    with pytest.raises(ParameterError, match="metric"):
        ex.set(metric="cost")
    with pytest.raises(ParameterError, match="variant"):
        ex.set(variant=10_000)
    with pytest.raises(ParameterError, match="group"):
        ex.set(group=("org:group", "no such unit"))
    with pytest.raises(ParameterError, match="zoom"):
        ex.set(zoom=2)
    assert ex.state["activities"] is None  # a rejected change leaves the state alone


def test_static_fallback_without_ipywidgets(log, findings, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    ex = pm.explore(log, findings=findings)
    assert ex.widget is None
    note = "interactive controls need ipywidgets in Jupyter"
    assert note in repr(ex) and note in ex._repr_html_()
    page = ex._repr_html_()
    assert "<svg" in page and findings[0].kind in page
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    # the same API
    n = ex.node_count
    assert ex.set(activities=0.3).node_count < n
    ex.set(finding=0)
    assert set(ex.highlighted) == set(findings[0].activities)
    assert findings[0].kind in ex._repr_html_()


_KERNEL_CODE = [
    """
import json, procmine as pm
ex = pm.explore(pm.samples.load("permit_de"))
ex
""",
    """
c = ex._controls
out = {"before": ex.node_count}
c["activities"].value = 0.3
out["after"] = ex.node_count
out["state"] = ex.state["activities"]
c["finding"].value = 0
out["finding"] = sorted(ex.highlighted) == sorted(ex.findings[0].activities)
out["evidence"] = ex.findings[0].kind in c["evidence"].value
c["finding"].value = None
c["variant"].value = 0
out["variant"] = sorted(ex.highlighted) == sorted(set(ex.variants["variant"].iloc[0]))
out["map_is_widget"] = c["map"].value.count('class="node"') == ex.node_count + 2
ex.set(activities=1.0)
out["slider_follows_set"] = c["activities"].value
print(json.dumps(out))
""",
]


@pytest.mark.slow
def test_widget_in_a_real_kernel(tmp_path, monkeypatch):
    pytest.importorskip("ipywidgets")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = tmp_path / "kernels" / "procmine-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "procmine (test venv)", "language": "python"}),
        encoding="utf-8",
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in _KERNEL_CODE])
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    km = KernelManager(kernel_name="procmine-venv", kernel_spec_manager=ksm)
    nbclient.NotebookClient(nb, km=km, timeout=120, allow_errors=False).execute()
    shown = next(o for o in nb.cells[0].outputs if o["output_type"] == "execute_result")["data"]
    assert "application/vnd.jupyter.widget-view+json" in shown  # a widget, with a static copy
    assert "<svg" in shown["text/html"]
    out = json.loads(next(o for o in nb.cells[1].outputs if o.get("name") == "stdout")["text"])
    assert out["after"] < out["before"] and out["state"] == 0.3
    assert out["finding"] and out["evidence"] and out["variant"] and out["map_is_widget"]
    assert out["slider_follows_set"] == 1.0


def test_to_frame_names_the_paths_shown(ex):
    frame = ex.set(metric="time").to_frame()
    assert len(frame) == len(ex.graph.edges)
    assert set(frame["source"]) - {"▶ start"} <= set(ex.graph.nodes["name"])
    assert (frame.loc[frame["source"] == "▶ start", "median"] == pd.Timedelta(0)).all()


def test_to_frame_shows_working_time_as_working_hours(log, findings):
    """Working time as the rest of procmine shows it: float working hours, not a Timedelta."""
    ex = pm.explore(log, findings=findings, metric="time")
    elapsed = ex.to_frame()
    working = ex.set(time="working").to_frame()
    assert "median_working_h" in working and "median" not in working
    assert working["median_working_h"].dtype == float
    us = ex.graph.edges["median_us"].to_numpy()
    assert working["median_working_h"].tolist() == pytest.approx((us / 3.6e9).tolist())
    assert working.attrs["day_hours"] == pm.Calendar().day_hours
    assert elapsed["median"].dtype.kind == "m"
    always = pm.explore(log, findings=findings, metric="time", time="working", calendar=pm.Calendar.always())
    assert always.to_frame()["median"].dtype.kind == "m"


@pytest.mark.parametrize("space", [50, 10**9])
def test_group_keys_match_numpy_unique(space):
    import numpy as np

    from procmine.viz._graph import group_keys

    key = np.random.default_rng(0).integers(0, 50, size=1000)
    keys, grp, counts = group_keys(key, space)
    k2, g2, c2 = np.unique(key, return_inverse=True, return_counts=True)
    assert keys.tolist() == k2.tolist() and grp.tolist() == g2.tolist() and counts.tolist() == c2.tolist()


@pytest.mark.parametrize("metric", ["frequency", "time"])
def test_the_map_is_the_librarys_map(ex, log, metric):
    from procmine.viz import map_graph

    for acts, paths in ((None, None), (0.5, 0.4), (1.0, 1.0)):
        mine = ex.set(activities=acts, paths=paths, metric=metric).graph
        ref = map_graph(log, activities=acts, paths=paths, metric=metric)
        pd.testing.assert_frame_equal(mine.nodes, ref.nodes)
        pd.testing.assert_frame_equal(mine.edges, ref.edges)
        assert mine.shown == ref.shown


@pytest.mark.parametrize("which", ["group", "period", "both", "empty period"])
def test_filtered_codes_and_variants_are_the_filtered_logs(ex, log, which):
    """A filter builds the sub-log's codes from the whole log's (no frame): they must be
    what the filtered EventLog computes itself, and so must its variants."""
    import numpy as np

    from procmine._core.dfg import compute_variants

    value = ex.group_values("org:group")[-1]
    start, _end = log.time_range
    period = (start.normalize(), start.normalize() + pd.Timedelta(days=45))
    if which == "empty period":
        period = (start - pd.Timedelta(days=400), start - pd.Timedelta(days=300))
    change = {
        "group": {"group": ("org:group", value)},
        "period": {"period": period},
        "both": {"group": ("org:group", value), "period": period},
        "empty period": {"period": period},
    }[which]
    ex.set(**change)
    mine, ref = ex._slice().codes, ex.filtered_log.codes
    assert (ref.n_cases == 0) == (which == "empty period")
    for name in ("case", "activity", "activity_names", "case_offsets", "ts", "case_ids"):
        assert np.array_equal(getattr(mine, name), getattr(ref, name)), name
    assert (mine.start_ts is None) == (ref.start_ts is None)
    if ref.start_ts is not None:
        assert np.array_equal(mine.start_ts, ref.start_ts)
    pd.testing.assert_frame_equal(ex._slice().variants, compute_variants(ex.filtered_log))
    from procmine._core.kernels import distinct_per_group

    per = distinct_per_group(ref.activity, ref.case, ref.n_activities, ref.n_cases)
    assert np.array_equal(ex._slice().private, per < ex.min_cases)
    ex.set(group=None, period=None)


@pytest.mark.parametrize("hidden", [0, 3])
def test_map_paths_match_a_plain_pandas_count(log, hidden):
    """The map's paths (counts, median wait from the source's end to the target's start,
    distinct cases; start/end pseudo-paths with wait 0) against a per-case walk in pandas."""
    import numpy as np

    from procmine.viz._graph import map_paths

    c = log.codes
    order = np.argsort(-np.bincount(c.activity, minlength=c.n_activities), kind="stable")
    is_kept = np.ones(c.n_activities, dtype=bool)
    if hidden:
        is_kept[order[-hidden:]] = False
    keys, counts, med, cases = map_paths(c, is_kept, c.ts, c.start_ts)
    n, width = c.n_activities, c.n_activities + 2
    frame = pd.DataFrame({"case": c.case, "act": c.activity, "end": c.ts,
                          "start": c.start_ts if c.start_ts is not None else c.ts})
    frame = frame[is_kept[frame["act"]]]
    rows = []
    for case, ev in frame.groupby("case", sort=True):
        acts, ends, starts = ev["act"].tolist(), ev["end"].tolist(), ev["start"].tolist()
        rows.append((n, acts[0], 0, case))
        rows.append((acts[-1], n + 1, 0, case))
        for i in range(len(acts) - 1):
            target_start = starts[i + 1] if starts[i + 1] != np.iinfo(np.int64).min else ends[i + 1]
            rows.append((acts[i], acts[i + 1], target_start - ends[i], case))
    ref = pd.DataFrame(rows, columns=["s", "t", "wait", "case"])
    ref["key"] = ref["s"] * width + ref["t"]
    agg = ref.groupby("key").agg(count=("wait", "size"), median=("wait", "median"), cases=("case", "nunique"))
    assert keys.tolist() == agg.index.tolist()
    assert counts.tolist() == agg["count"].tolist() and cases.tolist() == agg["cases"].tolist()
    assert med.tolist() == pytest.approx(np.round(agg["median"].to_numpy()).tolist())
