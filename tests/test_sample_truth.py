"""The shipped samples against the generator's own truth: time limits and the applicant's view.

The expected figures are computed from what the simulation recorded
(:func:`procmine.samples.generator.simulate_frame` with the arguments the samples were made
with), in the generator's clock (minutes of local wall-clock time) and on its office calendar,
with the documented limits and contact steps of the procedure's spec. Nothing of procmine's
analyses (codes, calendars, legal-day arithmetic, wait causes) is used for the expectation.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.samples._calendar import easter, swiss_holidays
from procmine.samples._shipped import SHIPPED
from procmine.samples._spec import Deadline
from procmine.samples.generator import Simulated, simulate_frame

DAY = 1440.0
TZ = "Europe/Zurich"
NAMES = tuple(SHIPPED)


@cache
def _sim(name: str) -> Simulated:
    return simulate_frame(name, **SHIPPED[name])


def _ids(sim: Simulated) -> np.ndarray:
    return np.asarray(sim.case_ids, dtype=object)[sim.frame["case"]]


def _calendar(sim: Simulated) -> pm.Calendar:
    """The generator's office calendar as a procmine Calendar: its holidays, Monday to Friday."""
    years = range(sim.origin.year, sim.origin.year + 6)
    return pm.Calendar(holidays=sorted(d for y in years for d in swiss_holidays(y)))


# -- the legal periods, counted by hand on dates ----------------------------------------------
def _standstill(d: dt.date) -> bool:
    """Art. 22a VwVG: 7th day before to 7th day after Easter, 15 July-15 August, 18 December-2 January."""
    e = easter(d.year)
    return (e - dt.timedelta(days=7) <= d <= e + dt.timedelta(days=7)
            or dt.date(d.year, 7, 15) <= d <= dt.date(d.year, 8, 15)
            or d >= dt.date(d.year, 12, 18) or d <= dt.date(d.year, 1, 2))


def _last_day(d0: dt.date, rule: Deadline, closed: set[dt.date]) -> dt.date:
    def open_day(d: dt.date) -> bool:
        return d.weekday() < 5 and d not in closed

    if rule.unit in ("days", "working_days"):
        d, left = d0, rule.limit
        while left:
            d += dt.timedelta(days=1)
            counts = (not rule.standstill or not _standstill(d)) and (rule.unit == "days" or open_day(d))
            left -= counts
    elif rule.unit == "weeks":
        d = d0 + dt.timedelta(weeks=rule.limit)
    else:  # the same-numbered day, or the month's last day when it has none
        m = d0.month - 1 + rule.limit
        y, m = d0.year + m // 12, m % 12 + 1
        d = dt.date(y, m, min(d0.day, pycal.monthrange(y, m)[1]))
    while not open_day(d):  # a last day on a week-end or holiday moves to the next working day
        d += dt.timedelta(days=1)
    return d


def _truth_limits(sim: Simulated, rule: Deadline) -> pd.DataFrame:
    """Per case reaching ``rule.start``: its status and used share, from the simulation."""
    f = sim.frame
    closed = {d for y in range(sim.origin.year, sim.origin.year + 6) for d in swiss_holidays(y)}
    origin = sim.origin.date()
    log_end = float(f["end"].max())
    rows = []
    ids = np.asarray(sim.case_ids, dtype=object)
    bounds = np.searchsorted(f["case"], np.arange(len(ids) + 1))
    for c in range(len(ids)):
        acts, ends = f["activity"][bounds[c]:bounds[c + 1]], f["end"][bounds[c]:bounds[c + 1]]
        hits = np.flatnonzero(acts == rule.start)
        if not len(hits):
            continue
        i = hits[0]
        s = float(ends[i])
        later = np.flatnonzero(acts[i + 1:] == rule.end)
        e = float(ends[i + 1 + later[0]]) if len(later) else None
        last = _last_day(origin + dt.timedelta(days=int(s // DAY)), rule, closed)
        deadline = ((last - origin).days + 1) * DAY  # 24:00 local time of the last day
        if e is not None:
            status = "within" if e < deadline else "breach"
        else:
            status = "open" if deadline > log_end else "breach"
        rows.append({"case": ids[c], "status": status, "s": s, "e": e, "deadline": deadline})
    out = pd.DataFrame(rows).set_index("case")
    # elapsed time between local wall-clock instants (a summer-time change inside a period is an hour)
    at = {k: (sim.origin + pd.to_timedelta(out[k].to_numpy(dtype=float), unit="min")).tz_localize(TZ)
          for k in ("s", "e", "deadline")}
    out["used"] = (at["e"] - at["s"]) / (at["deadline"] - at["s"])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_time_limit_figures_equal_the_simulation(name: str) -> None:
    sim = _sim(name)
    assert sim.spec.limits, "every shipped sample documents the limits it is bound by"
    log = pm.samples.load(name)
    rules = pm.samples.limits(name)
    assert [r.name for r in rules] == [d.name for d in sim.spec.limits]
    tl = pm.time_limits(log, rules, calendar=_calendar(sim))
    frame = tl.to_frame().set_index("rule")
    for d in sim.spec.limits:
        truth = _truth_limits(sim, d)
        got = tl.cases(d.name).set_index("case")
        assert sorted(got.index) == sorted(truth.index)
        assert (got["status"].astype(str) == truth["status"].reindex(got.index)).all(), d.name
        row = frame.loc[d.name]
        counts = truth["status"].value_counts()
        assert row["cases"] == len(truth)
        assert row["within"] == counts.get("within", 0) and row["breaches"] == counts.get("breach", 0)
        assert row["open_cases"] == counts.get("open", 0)
        np.testing.assert_allclose(got["used"], truth["used"].reindex(got.index), rtol=1e-9)
        assert 0 < row["breaches"] < row["cases"], "a documented limit the sample always (or never) meets tests little"


def test_the_month_rule_counts_to_the_same_numbered_day() -> None:
    # the hand count itself: 31 January + 1 month is 29 February 2024, 30 November + 3 months 29 February
    r = Deadline("m", "a", "b", 1, "months")
    assert _last_day(dt.date(2024, 1, 31), r, set()) == dt.date(2024, 2, 29)
    assert _last_day(dt.date(2023, 11, 30), Deadline("m", "a", "b", 3, "months"), set()) == dt.date(2024, 2, 29)
    # 60 days with the stand-still from 1 July 2024: 13 days (2-14 July), the summer's 32 days
    # do not count, 47 more from 16 August: Tuesday 1 October
    s = Deadline("d", "a", "b", 60, standstill=True)
    assert _last_day(dt.date(2024, 7, 1), s, set()) == dt.date(2024, 10, 1)
    # 5 working days from Thursday 28 March 2024: Good Friday, the week-end and Easter Monday closed: Monday 8 April
    w = Deadline("w", "a", "b", 5, "working_days")
    assert _last_day(dt.date(2024, 3, 28), w, swiss_holidays(2024)) == dt.date(2024, 4, 8)


# -- the applicant's view ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_client_view_figures_equal_the_simulation(name: str) -> None:
    sim = _sim(name)
    f, spec, ids = sim.frame, sim.spec, _ids(sim)
    cv = pm.client_view(pm.samples.load(name), calendar=pm.Calendar.always())
    got = cv.to_frame()
    assert sorted(got.index) == sorted(sim.case_ids)

    # one letter recorded twice (the injected duplicate records) is one contact
    sim_df = pd.DataFrame({"case": ids, "act": f["activity"], "end": f["end"], "unit": f["unit"]})
    once = sim_df.drop_duplicates(["case", "act", "end"])
    kind = once["act"].map(spec.contacts)
    contacts = kind.notna().groupby(once["case"]).sum()
    requests = (kind == "request").groupby(once["case"]).sum()
    assert (got["contacts"] == contacts.reindex(got.index)).all()
    assert (got["asked_again"] == requests.reindex(got.index)).all()
    assert (got["offices"] == sim_df.groupby("case")["unit"].nunique().reindex(got.index)).all()
    s = cv.summary()
    assert s["contacts_per_case_median"] == contacts.median()
    assert s["asked_again_share"] == pytest.approx((requests > 0).mean())

    # waiting for the applicant: from each request to the office's next step in the case (the
    # log has no event for the answer's arrival, so the office's inbox time after it is in
    # there too; the applicant's own transit is the lower bound)
    same = np.append(f["case"][1:] == f["case"][:-1], False)
    gap = np.append(f["start"][1:] - f["end"][:-1], 0.0) / DAY
    is_req = np.array([spec.contacts.get(a) == "request" for a in f["activity"]]) & same
    first = ~pd.DataFrame({"c": ids, "a": f["activity"], "e": f["end"]}).duplicated().to_numpy()
    waited = pd.Series(np.where(is_req & first, gap, 0.0)).groupby(ids).sum().reindex(got.index)
    n_req = requests.reindex(got.index)
    assert (got.loc[n_req == 0, "client_wait_days"] == 0).all()
    assert ((got["client_wait_days"] - waited).abs() <= n_req / 24 + 1e-9).all()  # a summer-time hour
    # the applicant's answer arrives after the answering step's transit (calendar days): a lower bound
    transit: dict[str, float] = {}
    for step in _steps(spec):
        transit[step.activity] = max(transit.get(step.activity, 0.0), step.transit_days)
    answer = np.append(f["activity"][1:], "")
    least = pd.Series(np.where(is_req & first, [transit.get(a, 0.0) for a in answer], 0.0)).groupby(ids).sum()
    assert (got["client_wait_days"] >= least.reindex(got.index) - 1 / 24).all()
    assert s["client_wait_share"] > 0


def _steps(spec: Any) -> list[Any]:
    from procmine.samples._spec import Step, iter_nodes

    return [n for n in iter_nodes(spec.root) if isinstance(n, Step)]
