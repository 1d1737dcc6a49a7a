"""Where waiting comes from: step classification, wait causes, office-only savings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine._steps import classify_steps
from procmine._wait_causes import CAUSES, wait_causes
from procmine.calendar import Calendar
from procmine.errors import ParameterError
from procmine.redundancy import bottleneck
from procmine.report._savings import headline, round_figure
from procmine.samples import _procedures
from procmine.samples._spec import Loop, Step
from tests.conftest import shared_log

ALWAYS = Calendar.always()
T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")


def permit_like(n: int = 40) -> pm.EventLog:
    """A request -> applicant's wait -> "Documents received"; a 30-calendar-day period before
    "Hearing closed" (a name no vocabulary knows); an office queue before "Legal review"."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(days=i)
        events = [("Application in", 0.0, "R1"), ("Registration", 3.0, "R1")]
        h = 3.0
        if i % 5 < 3:  # 60 % of cases: the applicant is asked for missing documents
            h += 2
            events.append(("Request missing documents", h, "R1"))
            h += 24 * float(rng.uniform(30, 60))
            events.append(("Documents received", h, "R1"))
        h += 4
        events.append(("Publication", h, "R2"))
        h += 24 * 30  # the legal period: exactly 30 calendar days
        events.append(("Hearing closed", h, "R2"))
        h += 24 * float(rng.uniform(5, 25))  # the office's queue
        events.append(("Legal review", h, "R3"))
        h += 24
        events.append(("Decision", h, "R2"))
        for act, hours, res in events:
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act,
                         "time:timestamp": t + pd.Timedelta(hours=hours), "org:resource": res})
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].dt.floor("s").dt.as_unit("us")
    return pm.EventLog(df)


@pytest.fixture(scope="module")
def log() -> pm.EventLog:
    return permit_like()


def test_steps_are_classified_from_names_and_data(log):
    steps = classify_steps(log)
    assert steps.loc["Request missing documents", "request"]
    assert steps.loc["Documents received", "external"]
    assert not steps[["request", "external"]].loc[["Hearing closed", "Legal review", "Decision"]].any().any()
    assert "name" in steps.loc["Documents received", "why"]
    assert steps.loc["Legal review", "why"] == ""


def test_each_wait_gets_its_cause(log):
    wc = wait_causes(log)
    cause = wc.steps["cause"]
    assert cause["Documents received"] == "client"
    assert cause["Hearing closed"] == "statutory"
    assert wc.steps.loc["Hearing closed", "period_days"] == pytest.approx(30, abs=0.5)
    assert cause["Legal review"] == "office"
    assert cause["Publication"] == "office"
    why = wc.explain.set_index(["activity", "cause"])["why"]
    assert "30 calendar days" in why["Hearing closed", "statutory"]


def test_performance_frames_split_every_wait(log):
    p = pm.performance(log, calendar=ALWAYS)
    acts = p.activities
    cols = [f"wait_{c}" for c in CAUSES]
    pd.testing.assert_series_equal(acts[cols].sum(axis=1), acts["waiting_total"].fillna(pd.Timedelta(0)),
                                   check_names=False)
    assert acts.loc["Hearing closed", "wait_statutory"] == pd.Timedelta(days=30) * len(log.df["case:concept:name"].unique())
    assert acts.loc["Documents received", "wait_client"] == acts.loc["Documents received", "waiting_total"]
    assert acts.loc["Legal review", "wait_office"] == acts.loc["Legal review", "waiting_total"]
    cases = p.cases
    assert (cases[cols].sum(axis=1) <= cases["duration"]).all()
    assert (cases["wait_statutory"] == pd.Timedelta(days=30)).all()
    edges = p.edges.set_index(["source", "target"])
    assert edges.loc[("Request missing documents", "Documents received"), "wait_client"] > pd.Timedelta(days=20 * 24)
    assert set(p.wait_causes.columns) == {"activity", "cause", "events", "why"}


def test_the_bottleneck_is_the_office_queue_not_the_applicant_nor_the_period(log):
    p = pm.performance(log, calendar=ALWAYS)
    total = p.activities["waiting_total"]
    # the applicant's wait and the period are longer than the queue: counting them would pick them
    assert total["Documents received"] > total["Legal review"]
    assert total["Hearing closed"] > total["Legal review"]
    [f] = bottleneck.detect(log, calendar=ALWAYS)
    assert f.activities == ("Legal review",)
    assert f.evidence["client_wait"] == pd.Timedelta(0) and f.evidence["statutory_wait"] == pd.Timedelta(0)
    assert f.evidence["office_time"] == total["Legal review"]


def test_declarations_override_detection(log):
    p = pm.performance(log, calendar=ALWAYS, waits={"Legal review": "client", "Hearing closed": "office"},
                       external=["Decision"])
    acts = p.activities
    assert acts.loc["Legal review", "wait_office"] == pd.Timedelta(0)
    assert acts.loc["Legal review", "wait_client"] == acts.loc["Legal review", "waiting_total"]
    assert acts.loc["Hearing closed", "wait_statutory"] == pd.Timedelta(0)
    assert acts.loc["Decision", "wait_client"] == acts.loc["Decision", "waiting_total"]
    assert p.steps.loc["Decision", "why"] == "declared external"
    assert "declared" in p.wait_causes.set_index("activity").loc["Legal review", "why"]
    # the declarations travel to the elapsed view
    assert p.elapsed().activities.loc["Decision", "wait_office"] == pd.Timedelta(0)
    # batch is declarable
    batch = pm.performance(log, calendar=ALWAYS, waits={"Legal review": "batch"}).activities
    assert batch.loc["Legal review", "wait_batch"] == batch.loc["Legal review", "waiting_total"]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"waits": {"Legal review": "queue"}}, "waits"),
        ({"waits": {"No such step": "client"}}, "No such step"),
        ({"waits": ["Legal review"]}, "mapping"),
        ({"external": "Decision"}, "external"),
        ({"external": ["Nope"]}, "Nope"),
    ],
)
def test_bad_declarations_are_parameter_errors(log, kw, match):
    with pytest.raises(ParameterError, match=match):
        pm.performance(log, **kw)


def test_external_and_requests_from_data_alone():
    """Codes for names: the step no one records in a log that records resources is
    external; the step before it, followed after long waits, is a request."""
    rows = []
    for i in range(20):
        t = T0 + pd.Timedelta(days=i)
        for act, hours, res in (("A10", 0, "u1"), ("A20", 2, "u2"), ("A30", 2 + 24 * (10 + i % 7), None),
                                ("A40", 30 + 24 * (10 + i % 7), "u1")):
            rows.append({"case:concept:name": f"c{i}", "concept:name": act,
                         "time:timestamp": t + pd.Timedelta(hours=hours), "org:resource": res})
    steps = classify_steps(pm.EventLog(pd.DataFrame(rows)))
    assert steps["external"].tolist() == [False, False, True, False]
    assert steps["request"].tolist() == [False, True, False, False]
    assert "no staff" in steps.loc["A30", "why"] and "structure" in steps.loc["A20", "why"]


def test_a_query_to_another_unit_of_the_log_is_not_a_request():
    steps = classify_steps(pm.samples.load("permit_de"))
    assert not steps.loc["Rückfrage an Amt für Umwelt", "request"]
    assert "another unit" in steps.loc["Rückfrage an Amt für Umwelt", "why"]


# -- the shipped samples: the generator knows which waits are the applicant's and which are legal periods
def _nodes(node):
    yield node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            for x in v if isinstance(v, tuple) else (v,):
                if dataclasses.is_dataclass(x):
                    yield from _nodes(x)


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_samples_agree_with_the_generators_truth(name):
    spec = getattr(_procedures, name)()
    nodes = list(_nodes(spec.root))
    periods = {n.activity: n.calendar_days for n in nodes if isinstance(n, Step) and n.system and n.calendar_days}
    # a loop whose way back is a request and whose repeated step waits for the applicant (transit)
    requests = {n.back.activity: n.again.activity for n in nodes
                if isinstance(n, Loop) and isinstance(n.back, Step) and isinstance(n.again, Step)
                and n.again.transit_days >= 5}
    assert periods and requests
    log = pm.samples.load(name)
    wc = wait_causes(log)
    for act, days in periods.items():
        assert wc.steps.loc[act, "cause"] == "statutory"
        assert wc.steps.loc[act, "period_days"] == pytest.approx(days, abs=1)
    c = log.codes
    names = np.asarray(c.activity_names, dtype=object)
    prev = np.r_[-1, c.activity[:-1]]
    prev[c.is_first] = -1
    for req, again in requests.items():
        assert wc.steps.loc[req, "request"]
        after = (prev == list(names).index(req)) & (names[c.activity] == again)
        assert after.any() and (wc.cause[after] == CAUSES.index("client")).all()
    # nothing else is put outside the office: its queues are load, not the applicant
    known = np.isin(names[c.activity], list(periods)) | (prev >= 0) & np.isin(names[np.maximum(prev, 0)], list(requests))
    outside = (wc.cause == CAUSES.index("client")) | (wc.cause == CAUSES.index("statutory"))
    p = pm.performance(log, calendar=ALWAYS)
    wait = p.times.wait
    assert wait[outside & ~known].sum() <= 0.001 * wait[wait > 0].sum()


def test_headline_counts_each_wait_once_and_rounds(log):
    p = pm.performance(log, calendar=ALWAYS)
    [f] = bottleneck.detect(log, calendar=ALWAYS)
    one = headline([f], p, day_hours=24)
    twice = headline([f, f], p, day_hours=24)
    assert twice.office_days_per_year == one.office_days_per_year > 0
    assert one.cases_affected == log.n_cases
    assert round_figure(37336.0) == 37000 and round_figure(0.01234) == 0.012


@pytest.mark.parametrize("name", ["receipt_wabo.xes.gz", "BPIC15_1.xes.gz", "road_traffic_fines.xes.gz"])
def test_top_findings_on_real_logs_rest_on_office_time(name):
    log = pm.read_log(shared_log(name))
    steps = wait_causes(log).steps
    for f in list(pm.find_redundancies(log))[:3]:
        if f.kind in ("bottleneck", "batching"):
            assert all(steps.loc[a, "cause"] in ("office", "") for a in f.activities), (f.kind, f.activities)
        if "office_time" in f.evidence:
            # in float seconds: on road fines the totals reach Timedelta's limit (292 years)
            assert f.total_saving.total_seconds() <= f.evidence["office_time"].total_seconds() + 1, f.kind
    if name == "road_traffic_fines.xes.gz":  # paying and appealing are the offender's, the penalty is the law's
        assert steps.loc[["Payment", "Appeal to Judge", "Insert Date Appeal to Prefecture"], "cause"].eq("client").all()
        assert steps.loc["Add penalty", "cause"] == "statutory"


def test_duckdb_gives_the_same_cause_columns_with_declarations(log, tmp_path):
    pytest.importorskip("duckdb")
    from procmine.engines import duckdb as duck_engine
    from procmine.engines.duckdb import DuckLog

    path = log.to_parquet(tmp_path / "waits.parquet")
    kw = {"calendar": ALWAYS, "waits": {"Legal review": "batch"}, "external": ["Decision"]}
    mem = pm.performance(log, **kw)
    with DuckLog(path) as duck, pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck_engine, "MATERIALISE_LIMIT", 0)  # computed in SQL: loading the log would raise
        got = pm.performance(duck, **kw)
        pd.testing.assert_frame_equal(got.activities, mem.activities)
        pd.testing.assert_frame_equal(got.edges, mem.edges)
        pd.testing.assert_frame_equal(got.cases, mem.cases)
        pd.testing.assert_frame_equal(got.wait_causes, mem.wait_causes)
        pd.testing.assert_frame_equal(got.steps, mem.steps)
        assert set(got.wait_causes["cause"]) == {"office", "client", "statutory", "batch"}
        assert got.activities.loc["Legal review", "wait_batch"] > pd.Timedelta(0)


@pytest.mark.parametrize(
    ("name", "request_", "external"),
    [
        ("Unterlagen nachfordern", True, False),
        ("Ergänzung verlangen", True, False),
        ("Demande de compléments", True, False),
        ("Pièces manquantes demandées", True, False),
        ("Richiesta integrazione documenti", True, False),
        ("Request missing information", True, False),
        ("Unterlagen eingereicht", False, True),
        ("Pièces complémentaires reçues", False, True),
        ("Documenti pervenuti", False, True),
        ("Return ER", False, True),
        ("Appeal lodged", False, True),
        ("Payment", False, True),
        ("O_SENT_BACK", False, True),
        ("Offer sent", False, False),
        ("Eingangsbestätigung versenden", False, False),
        ("Accusé de réception", False, False),
        ("Ordre de paiement", False, False),
        ("Send Appeal to Prefecture", False, False),
        ("Bauentscheid", False, False),
    ],
)
def test_vocabulary_in_four_languages(name, request_, external):
    rows = [{"case:concept:name": f"c{i}", "concept:name": act, "org:resource": "u1",
             "time:timestamp": T0 + pd.Timedelta(days=i, hours=h)}
            for i in range(3) for act, h in (("Start", 0), (name, 5))]
    steps = classify_steps(pm.EventLog(pd.DataFrame(rows)))
    assert (bool(steps.loc[name, "request"]), bool(steps.loc[name, "external"])) == (request_, external)


def test_report_shows_where_waiting_comes_from_and_honest_headline(tmp_path):
    import html
    import re

    from procmine.report import report

    log = pm.samples.load("permit_de").sample(200, seed=3)
    out = report(log, tmp_path / "r.html", language="en", xlsx=False)
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", out.read_text(), flags=re.S))))
    legal = re.search(r"Legal periods (\d+)%", text)
    assert legal and int(legal.group(1)) >= 10  # the 30-day objection period, recorded as a system step
    assert re.search(r"Office waiting (\d+)%", text)
    assert "Waiting the office does not control" in text and "Einsprachefrist abwarten legal period" in text
    headline_ = re.search(r"Lead time the office can cut per year ([\d’']+) working days", text)
    assert headline_ and "each wait counted once" in text
    digits = headline_.group(1).replace("’", "").replace("'", "")
    assert len(digits.rstrip("0")) <= 2  # two significant digits, no false precision
    assert "Largest single opportunity" in text and "of lead time in the office per year" in text


def test_detectors_take_the_same_declarations(log):
    """Declared as the office's, the applicant's wait becomes the bottleneck; declared as
    the applicant's, the office queue is no longer one."""
    found = pm.find_redundancies(log, kinds=["bottleneck"], calendar=ALWAYS,
                                 bottleneck={"waits": {"Documents received": "office"}})
    assert [f.activities for f in found][:1] == [("Documents received",)]
    rest = bottleneck.detect(log, calendar=ALWAYS, waits={"Legal review": "client"})
    assert all("Legal review" not in f.activities for f in rest)
