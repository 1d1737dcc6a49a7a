"""compare() on an event-level column: each case counts for the unit that did most of its work."""

from __future__ import annotations

import pandas as pd

import procmine as pm
from procmine.calendar import Calendar

T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")


def portal_log(n: int = 40) -> pm.EventLog:
    """Every case is opened by the e-portal (a minute); then the building office (3 h of
    work) or, in every fourth case, the planning office (5 h) does the work; the building
    office sends the decision (10 min)."""
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(days=i)
        unit = "Planung" if i % 4 == 0 else "Bauamt"
        hours = 5 if unit == "Planung" else 3
        steps = [("Gesuch eingereicht", "ePortal", 0, 1 / 60), ("Prüfung", unit, 1, 1 + hours),
                 ("Entscheid versenden", "Bauamt", 1 + hours + 1, 1 + hours + 1 + 1 / 6)]
        for act, group, s, e in steps:
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:group": group,
                         "start_timestamp": t + pd.Timedelta(hours=s), "time:timestamp": t + pd.Timedelta(hours=e)})
    df = pd.DataFrame(rows)
    for col in ("start_timestamp", "time:timestamp"):
        df[col] = df[col].astype("datetime64[us, UTC]")
    return pm.EventLog(df)


def test_event_level_units_own_the_cases_they_work_on():
    cmp = pm.compare(portal_log(), by="org:group", min_cases=1, calendar=Calendar.always())
    assert cmp.assignment == "most working time"
    assert cmp.kpis["cases"].to_dict() == {"Bauamt": 30, "Planung": 10}  # not 40 under "ePortal"


def test_without_start_times_the_time_before_each_event_counts():
    log = portal_log()
    log = pm.EventLog(log.df.drop(columns=["start_timestamp"]))
    cmp = pm.compare(log, by="org:group", min_cases=1, calendar=Calendar.always())
    assert cmp.kpis["cases"].to_dict() == {"Bauamt": 30, "Planung": 10}


def test_a_column_constant_within_cases_is_a_case_attribute():
    log = portal_log()
    df = log.df.assign(Gemeinde=log.df["case:concept:name"].map(lambda c: "Thun" if int(c[1:]) % 2 else "Spiez"))
    cmp = pm.compare(pm.EventLog(df), by="Gemeinde", min_cases=1)
    assert cmp.assignment == "case attribute"
    assert cmp.kpis["cases"].to_dict() == {"Spiez": 20, "Thun": 20}


def test_the_report_says_how_cases_were_assigned(tmp_path):
    path = pm.report(portal_log(), tmp_path / "r.html", language="en", sections=["compare"], min_cases=5)
    html = path.read_text(encoding="utf-8")
    assert "the unit that spent the most working time on it" in html
    assert "ePortal" not in html.split("Comparison across units", 1)[1]
