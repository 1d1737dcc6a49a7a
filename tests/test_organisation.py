"""handovers(): hand-checked network, workload and time shares; real logs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import Calendar
from procmine.errors import ParameterError
from tests.conftest import shared_log

ALWAYS = Calendar.always()


@pytest.fixture
def office_log() -> pm.EventLog:
    t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    hours = [0, 1, 3, 4, 0, 2, 6]
    df = pd.DataFrame(
        {
            "case:concept:name": ["c1"] * 4 + ["c2"] * 3,
            "concept:name": ["receive", "check", "decide", "notify", "receive", "check", "notify"],
            "org:group": ["Registry", "Building", "Registry", "Building", "Registry", "Building", None],
            "org:resource": ["anna", "ben", "anna", "carl", "anna", "ben", "anna"],
            "time:timestamp": [t0 + pd.Timedelta(hours=h) for h in hours],
        }
    )
    return pm.EventLog(df)


def test_handover_edges(office_log):
    h = pm.handovers(office_log, calendar=ALWAYS)
    edges = h.edges.set_index(["source", "target"])
    assert edges.loc[("Registry", "Building"), "count"] == 3
    assert edges.loc[("Registry", "Building"), "cases"] == 2
    assert edges.loc[("Building", "Registry"), "count"] == 1
    # waiting before the receiving event: c1 1 h and 1 h, c2 2 h
    assert edges.loc[("Registry", "Building"), "median_waiting"] == pd.Timedelta(hours=1)
    assert edges.loc[("Registry", "Building"), "mean_waiting"] == pd.Timedelta(hours=4 / 3)
    assert edges.loc[("Building", "Registry"), "median_waiting"] == pd.Timedelta(hours=2)
    # an event without a unit takes part in no handover
    assert len(edges) == 2
    assert h.to_frame().equals(h.edges)


def test_graph(office_log):
    g = pm.handovers(office_log, calendar=ALWAYS).graph
    assert isinstance(g, nx.DiGraph)
    assert set(g.nodes) == {"Registry", "Building"}
    assert g.edges["Registry", "Building"]["count"] == 3
    assert g.edges["Building", "Registry"]["median_waiting"] == pd.Timedelta(hours=2)
    assert g.nodes["Registry"]["events"] == 3


def test_workload_and_time_share(office_log):
    h = pm.handovers(office_log, calendar=ALWAYS)
    w = h.workload
    assert w.loc["Registry", "events"] == 3 and w.loc["Registry", "cases"] == 2
    assert w.loc["Building", "events"] == 3 and w.loc["Building", "cases"] == 2
    # time attributed to an event: previous completion -> its completion
    # c1: Building 1 h + 1 h, Registry 2 h; c2: Building 2 h, (no unit) 4 h
    assert w.loc["Building", "working_time"] == pd.Timedelta(hours=4)
    assert w.loc["Registry", "working_time"] == pd.Timedelta(hours=2)
    share = h.time_share
    assert share.loc["Building", "mean_share"] == pytest.approx((2 / 4 + 2 / 6) / 2)
    assert share.loc["Registry", "mean_share"] == pytest.approx((2 / 4 + 0) / 2)
    assert share.loc["Registry", "mean_share_involved"] == pytest.approx(0.5 / 2)


def test_working_time_calendar(office_log):
    # 2024-03-04 is a Monday; 08:00 UTC = 09:00 Zurich: the lunch break 12:00-13:30 local
    # falls between 11:00 and 12:30 UTC
    h = pm.handovers(office_log)
    edges = h.edges.set_index(["source", "target"])
    assert edges.loc[("Building", "Registry"), "median_waiting"] == pd.Timedelta(hours=2)
    assert h.workload.loc["Building", "working_time"] < pd.Timedelta(hours=4)


def test_by_resource(office_log):
    h = pm.handovers(office_log, by="org:resource", calendar=ALWAYS)
    edges = h.edges.set_index(["source", "target"])
    assert edges.loc[("anna", "ben"), "count"] == 2
    assert edges.loc[("ben", "anna"), "count"] == 2
    assert ("ben", "anna") in edges.index and ("anna", "carl") in edges.index
    assert h.time_share["mean_share"].sum() == pytest.approx(1.0)


def test_display(office_log):
    df = office_log.df.copy()
    df["org:group"] = df["org:group"].replace({"Registry": "<b>Reg</b>"})
    h = pm.handovers(pm.EventLog(df))
    assert "<b>Reg" not in h._repr_html_()
    assert "&lt;b&gt;Reg" in h._repr_html_()
    assert repr(h).startswith("<Handovers by 'org:group': 2 units")
    ax = h.plot()
    assert ax.get_title().startswith("Handovers")


def test_missing_column(office_log):
    with pytest.raises(ParameterError, match="org:department"):
        pm.handovers(office_log, by="org:department")


def test_receipt_wabo():
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    h = pm.handovers(log)
    # handover count = consecutive event pairs with two different known groups
    df = log.df
    same_case = df["case:concept:name"].eq(df["case:concept:name"].shift())
    grp = df["org:group"]
    changes = same_case & grp.notna() & grp.shift().notna() & grp.ne(grp.shift())
    assert h.edges["count"].sum() == int(changes.sum())
    assert h.workload["events"].sum() == int(grp.notna().sum())
    assert h.time_share["mean_share"].sum() <= 1 + 1e-9
    assert np.isclose(
        h.workload["cases"].max(), df.loc[grp.eq(h.workload.index[0]), "case:concept:name"].nunique()
    )


def test_empty_log():
    from tests.test_performance import empty_log

    h = pm.handovers(empty_log())
    assert len(h.edges) == len(h.workload) == len(h.time_share) == 0
    assert h.graph.number_of_nodes() == 0 and h._repr_html_() and h.plot()
