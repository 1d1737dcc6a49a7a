"""Where waiting comes from: step classification, wait causes, office-only savings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import Calendar
from procmine.errors import ParameterError
from procmine.redundancy import bottleneck
from procmine.report._savings import headline, round_figure
from procmine.samples import _procedures
from procmine.samples._spec import Loop, Step
from procmine.waits._causes import CAUSES, wait_causes
from procmine.waits._steps import classify_steps
from tests.conftest import shared_log

ALWAYS = Calendar.always()
T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")



def _event_log(rows: list[dict]) -> pm.EventLog:
    """The log of ``rows`` (one dict per event), its times whole seconds in µs."""
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].dt.floor("s").dt.as_unit("us")
    return pm.EventLog(df)

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
    return _event_log(rows)


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
        # the filing named by a noun, as intake steps often are
        ("Dépôt de la demande", False, True),
        ("Gesuchseingang", False, True),
        ("Einreichung des Gesuchs", False, True),
        ("Deposito della domanda", False, True),
        ("Submission of application", False, True),
        ("Dépôt", False, False),
        ("Dateneingabe", False, False),
        ("Depotgebühr festlegen", False, False),
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


def test_a_step_released_on_a_few_days_a_year_is_batch_not_a_queue():
    """Road traffic fines: 'Send for Credit Collection' happens on 11 days in 13 years (85 % of
    its 59,013 events on 8 days), a yearly release of the unpaid fines. It was reported as a
    bottleneck of 361 working days per case. Here: a step released twice a year waits far
    longer than the daily office step before it, which must stay the bottleneck."""
    rng = np.random.default_rng(3)
    releases = pd.to_datetime(["2021-01-15", "2021-07-15", "2022-01-15", "2022-07-15", "2023-01-15"], utc=True)
    rows = []
    for i in range(300):
        t = pd.Timestamp("2020-06-01 08:00", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 500)))
        steps = [("Create", t, "R1")]
        t += pd.Timedelta(days=float(rng.uniform(10, 40)))  # the office's queue
        steps.append(("Review", t, "R2"))
        t += pd.Timedelta(days=float(rng.uniform(1, 3)))
        steps.append(("Notify", t, "R2"))
        if i % 2 == 0:  # unanswered: sent on at the next release date
            steps.append(("Escalate", releases[releases > t + pd.Timedelta(days=60)][0] + pd.Timedelta(hours=9), "R3"))
        rows += [{"case:concept:name": f"c{i:03d}", "concept:name": a, "time:timestamp": ts, "org:resource": r}
                 for a, ts, r in steps]
    log = _event_log(rows)
    wc = wait_causes(log)
    assert wc.steps.loc["Escalate", "cause"] == "batch"
    assert "released in batches" in wc.explain.set_index(["activity", "cause"]).loc[("Escalate", "batch"), "why"]
    assert (wc.steps.drop(index="Escalate")["cause"].isin(["office", ""])).all()
    assert pm.performance(log, calendar=ALWAYS).activities.loc["Escalate", "wait_office"] == pd.Timedelta(0)
    [f] = bottleneck.detect(log, calendar=ALWAYS)
    assert f.activities == ("Review",)


def chase_log() -> pm.EventLog:
    """An offer is sent, the customer is called every 2-4 days by whoever is on duty until
    the offer comes back, then it waits in the office's queue for 'Validate'."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(200):
        t = T0 + pd.Timedelta(hours=i)
        steps = [("Create offer", t), ("Offer sent", t + pd.Timedelta(minutes=5))]
        t += pd.Timedelta(minutes=5)
        for _ in range(int(rng.integers(2, 5))):
            t += pd.Timedelta(days=float(rng.uniform(2, 4)))
            steps.append(("Call customer", t))
        t += pd.Timedelta(days=float(rng.uniform(1, 3)))
        steps.append(("Offer returned", t))
        t += pd.Timedelta(days=float(rng.uniform(0.5, 1.5)))  # the office's queue
        steps.append(("Validate", t))
        rows += [{"case:concept:name": f"c{i:03d}", "concept:name": a, "time:timestamp": ts,
                  "org:resource": f"R{j % 3}"} for j, (a, ts) in enumerate(steps)]
    return _event_log(rows)


def test_calls_chasing_an_unreturned_offer_wait_for_the_customer():
    """BPIC12: 'W_Nabellen offertes' (calling about the offers) is done while an offer is out
    (89 % of its events between O_SENT and O_SENT_BACK, all of its waiting), and 59 % of its
    events directly follow the previous call (median 45 h later): the calls chase the customer.
    It was the top bottleneck (53 % of case time). Here the office's queue is 'Validate'."""
    log = chase_log()
    wc = wait_causes(log)
    assert wc.steps.loc["Offer sent", "outbound"] and wc.steps.loc["Offer returned", "external"]
    assert wc.steps.loc["Call customer", "cause"] == "client"
    assert "follow-up" in wc.explain.set_index(["activity", "cause"]).loc[("Call customer", "client"), "why"]
    assert wc.steps.loc["Validate", "cause"] == "office"
    [f] = bottleneck.detect(log, calendar=ALWAYS)
    assert f.activities == ("Validate",)


def test_duplicate_work_saves_the_office_time_not_the_customers_wait():
    """BPIC12: after the chase rule, 'W_Nabellen offertes' was still the top finding as
    duplicate work (calls by two persons in 76 % of its cases, 'saving 1.97 working days per
    case'): that was the customer's wait before the second person's call. The saving
    counts office time only; and a call tried again right after a colleague's call is one
    task taken up again, not a second check, so it is no duplicate at all (the calls'
    waits stay the customer's)."""
    from procmine.redundancy import duplicate_work
    from procmine.waits._causes import wait_causes

    log = chase_log()
    assert wait_causes(log).steps.loc["Call customer", "cause"] == "client"
    found = duplicate_work.detect(log, calendar=ALWAYS, min_case_share=0.01)
    assert not [f for f in found if f.activities == ("Call customer",)]
    assert not [f for f in pm.find_redundancies(log, calendar=ALWAYS) if "Call customer" in f.activities]


@pytest.mark.parametrize("hold", ["Wait", "On hold", "En attente", "Warten"])
def test_the_wait_after_a_hold_status_is_not_the_office_queue(hold):
    """Helpdesk: 519 of the 775 repeated 'Take in charge ticket' come right after 'Wait' (the
    ticket parked), a median 5.0 days later: 61 % of the rework loops' calendar time. The
    rework saving (65.6 working h per ticket) counted it as the office's. A step whose name
    is only a hold status parks the case: the wait after it is not the office's queue."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(100):
        t = T0 + pd.Timedelta(hours=3 * i)
        steps = [("Open", t), ("Take in charge", t + pd.Timedelta(hours=2))]
        t += pd.Timedelta(hours=2)
        if i % 3 == 0:  # parked, then picked up again
            t += pd.Timedelta(hours=1)
            steps.append((hold, t))
            t += pd.Timedelta(days=float(rng.uniform(4, 8)))
            steps.append(("Take in charge", t))
        t += pd.Timedelta(hours=float(rng.uniform(2, 6)))
        steps.append(("Resolve", t))
        rows += [{"case:concept:name": f"c{i:03d}", "concept:name": a, "time:timestamp": ts, "org:resource": "R1"}
                 for a, ts in steps]
    log = _event_log(rows)
    steps = classify_steps(log)
    assert steps.loc[hold, "hold"] and not steps.loc[hold, "request"]
    assert not steps.loc[["Open", "Take in charge", "Resolve"], "hold"].any()
    p = pm.performance(log, calendar=ALWAYS)
    edge = p.edges.set_index(["source", "target"]).loc[(hold, "Take in charge")]
    assert edge["wait_client"] > pd.Timedelta(days=100) and edge["wait_office"] == pd.Timedelta(0)
    assert p.activities.loc["Resolve", "wait_client"] == pd.Timedelta(0)


def late_after_period_log(n: int = 60) -> pm.EventLog:
    """'Hearing closed' 30 calendar days after 'Publication' in two cases of three; in the
    third the office records it 12 days after the period ended. 'Statement received' 20 days
    after 'Request statement' in three cases of four, 28 days in the fourth."""
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(hours=7 * i)
        steps = [("Application in", t), ("Request statement", t + pd.Timedelta(hours=2))]
        t += pd.Timedelta(hours=2) + pd.Timedelta(days=28 if i % 4 == 3 else 20)
        steps.append(("Statement received", t))
        t += pd.Timedelta(hours=3)
        steps.append(("Publication", t))
        t += pd.Timedelta(days=42 if i % 3 == 2 else 30)
        steps.append(("Hearing closed", t))
        t += pd.Timedelta(hours=5)
        steps.append(("Decision", t))
        rows += [{"case:concept:name": f"c{i:03d}", "concept:name": a, "time:timestamp": ts, "org:resource": "R1"}
                 for a, ts in steps]
    return _event_log(rows)


def test_a_statutory_wait_counts_up_to_the_period_only():
    """The period runs from the previous completion: when the office records the step only
    12 days after a 30-day period ended, those 12 days are the office's queue, not the law's;
    beyond a fixed period after a request, the time stays the applicant's."""
    log = late_after_period_log()
    n = 60
    p = pm.performance(log, calendar=ALWAYS)
    acts = p.activities
    hearing = acts.loc["Hearing closed"]
    assert p.steps.loc["Hearing closed", "period_days"] == 30 and p.steps.loc["Statement received", "period_days"] == 20
    assert hearing["wait_statutory"] == pd.Timedelta(days=30) * n
    assert hearing["wait_office"] == pd.Timedelta(days=12) * (n // 3)
    statement = acts.loc["Statement received"]
    assert statement["wait_statutory"] == pd.Timedelta(days=20) * n
    assert statement["wait_client"] == pd.Timedelta(days=8) * (n // 4)  # after a request: the applicant's
    assert statement["wait_office"] == pd.Timedelta(0)
    cols = [f"wait_{c}" for c in CAUSES]
    pd.testing.assert_series_equal(acts[cols].sum(axis=1), acts["waiting_total"], check_names=False)
    assert (p.cases["wait_office"] == np.where(np.arange(n) % 3 == 2, pd.Timedelta(days=12), pd.Timedelta(0))
            + pd.Timedelta(hours=10)).all()  # + the office's hours before Publication and Decision
    edge = p.edges.set_index(["source", "target"]).loc[("Publication", "Hearing closed")]
    assert edge["wait_office"] == pd.Timedelta(days=12) * (n // 3)
    why = p.wait_causes.set_index(["activity", "cause"])["why"]
    assert f"{n // 3} wait(s) run past it" in why["Hearing closed", "statutory"]
    # the office can shorten the 12 days: the bottleneck sees them, the 30 days stay out
    t = p.times
    client, statutory = p.causes.outside_office(t.wait, t.proc, log.codes.activity)
    hearing_ev = log.codes.activity == list(log.codes.activity_names).index("Hearing closed")
    assert statutory[hearing_ev].sum() == 30 * n * 86_400_000_000
    assert client[hearing_ev].sum() == 0


def test_capped_periods_under_a_working_calendar_split_in_proportion():
    """Under office hours the late wait is split in the proportion of its elapsed parts
    (30 : 12); the parts still add up to the whole wait."""
    log = late_after_period_log()
    p = pm.performance(log)  # the default working calendar
    acts = p.activities
    cols = [f"wait_{c}" for c in CAUSES]
    pd.testing.assert_series_equal(acts[cols].sum(axis=1), acts["waiting_total"], check_names=False)
    split = p.causes.split(p.times.wait)
    late = np.flatnonzero((log.codes.activity == list(log.codes.activity_names).index("Hearing closed"))
                          & (split["office"] > 0))
    assert len(late) == 60 // 3
    share = split["statutory"][late] / (split["statutory"][late] + split["office"][late])
    assert share == pytest.approx(30 / 42, abs=1e-6)


def assert_duck_same(log: pm.EventLog, tmp_path, calendar=ALWAYS) -> None:
    """The DuckDB engine gives the same frames, causes and steps without loading the log."""
    pytest.importorskip("duckdb")
    from procmine.engines import duckdb as duck_engine
    from procmine.engines.duckdb import DuckLog

    path = log.to_parquet(tmp_path / "log.parquet")
    mem = pm.performance(log, calendar=calendar)
    with DuckLog(path) as duck, pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck_engine, "MATERIALISE_LIMIT", 0)
        got = pm.performance(duck, calendar=calendar)
        for name in ("activities", "edges", "cases"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(mem, name), obj=name)
        pd.testing.assert_frame_equal(got.wait_causes, mem.wait_causes)
        pd.testing.assert_frame_equal(got.steps, mem.steps)


@pytest.mark.parametrize("calendar", [ALWAYS, None], ids=["elapsed", "working"])
@pytest.mark.parametrize("make", [late_after_period_log, chase_log], ids=["capped periods", "follow-ups"])
def test_duckdb_gives_the_same_caps_and_follow_ups(make, calendar, tmp_path):
    log = make()
    assert_duck_same(log, tmp_path, calendar)


def period_before_pair_log(n: int = 80) -> pm.EventLog:
    """A 25-calendar-day period after 'Publish' that no step marks, then two expert reports
    done one after the other in either order (half the cases each way): whichever comes
    first absorbs the period, so neither report's own waits cluster. 'Legal review' waits
    in the office's queue (3 to 20 days)."""
    rng = np.random.default_rng(12)
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(hours=5 * i)
        steps = [("Register", t), ("Publish", t + pd.Timedelta(hours=3))]
        t += pd.Timedelta(hours=3) + pd.Timedelta(days=25)  # the period
        pair = ["Report A", "Report B"] if i % 2 else ["Report B", "Report A"]
        for act in pair:
            t += pd.Timedelta(hours=float(rng.uniform(1, 20)))
            steps.append((act, t))
        t += pd.Timedelta(days=float(rng.uniform(3, 20)))  # the office's queue
        steps.append(("Legal review", t))
        t += pd.Timedelta(hours=4)
        steps.append(("Decision", t))
        rows += [{"case:concept:name": f"c{i:03d}", "concept:name": a, "time:timestamp": ts, "org:resource": "R1"}
                 for a, ts in steps]
    return _event_log(rows)


def test_a_period_after_a_step_is_found_whatever_step_comes_next():
    """Issue 12: the period before a pair done in either order was counted as the office's
    queue of whichever report came first, and the true bottleneck ('Legal review') did not
    dominate. The time from 'Publish' to the case's next event clusters at 25 days whatever
    comes next: that wait is statutory up to the period, the rest the office's."""
    log = period_before_pair_log()
    n = 80
    p = pm.performance(log, calendar=ALWAYS)
    steps = p.steps
    assert steps.loc["Publish", "period_after_days"] == pytest.approx(25, abs=0.5)
    assert np.isnan(steps.loc[["Report A", "Report B"], "period_days"]).all()  # neither report has one of its own
    assert (steps.loc[["Report A", "Report B"], "inherited_period_days"] == steps.loc["Publish", "period_after_days"]).all()
    # the queue after 'Report A/B' varies with the load: no period after them, nor before 'Legal review'
    assert steps.loc[["Report A", "Report B", "Legal review"], "period_after_days"].isna().all()
    acts = p.activities
    reports = acts.loc[["Report A", "Report B"]]
    # the period (25 days; the detected one also holds the first report's typical few hours)
    period = pd.Timedelta(days=float(steps.loc["Publish", "period_after_days"]))
    assert pd.Timedelta(days=25) * n <= reports["wait_statutory"].sum() <= (period + pd.Timedelta(hours=2)) * n
    assert reports["wait_office"].sum() > pd.Timedelta(hours=10) * n  # the reports' own queues stay the office's
    assert acts.loc["Legal review", "wait_statutory"] == pd.Timedelta(0)
    cols = [f"wait_{c}" for c in CAUSES]
    pd.testing.assert_series_equal(acts[cols].sum(axis=1), acts["waiting_total"], check_names=False)
    why = p.wait_causes.set_index(["activity", "cause"])["why"]
    assert "'Publish'" in why["Report A", "statutory"] and "whatever step comes next" in why["Report A", "statutory"]
    [f] = bottleneck.detect(log, calendar=ALWAYS)
    assert f.activities == ("Legal review",)


@pytest.mark.parametrize("calendar", [ALWAYS, None], ids=["elapsed", "working"])
def test_duckdb_gives_the_same_periods_after_a_step(calendar, tmp_path):
    assert_duck_same(period_before_pair_log(), tmp_path, calendar)


def _reminder_log(n: int = 30) -> pm.EventLog:
    """A request sent, then repeated (a reminder) 2 days later in every other case, before
    the documents come in; the office's queue is before 'Check'."""
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(days=i)
        events = [("Intake", 0.0), ("Check", 5.0 + i % 4), ("Request missing documents", 8.0)]
        if i % 2 == 0:
            events.append(("Request missing documents", 8.0 + 48))  # the reminder
        events += [("Documents received", 8.0 + 24 * (6 + i % 5)), ("Check", 8.0 + 24 * (7 + i % 5)),
                   ("Decision", 8.0 + 24 * (9 + i % 5))]
        for act, hours in events:
            rows.append({"case:concept:name": f"c{i:02d}", "concept:name": act,
                         "time:timestamp": t + pd.Timedelta(hours=hours), "org:resource": "R1"})
    return _event_log(rows)


def test_the_wait_before_a_request_repeated_right_after_itself_is_the_applicants(tmp_path):
    """BPIC12: 'W_Nabellen incomplete dossiers' is called again and again until the customer
    sends the missing papers; performance() counted the pauses between the calls (4,326
    working days) as the office's queue while incomplete_submission counted them as the
    customer's. A request repeated right after itself chases the open request."""
    log = _reminder_log()
    assert wait_causes(log).steps.loc["Request missing documents", "request"]
    acts = pm.performance(log, calendar=ALWAYS).activities
    row = acts.loc["Request missing documents"]
    # 15 reminders, each 48 h after the request they chase
    assert row["wait_client"] == pd.Timedelta(hours=48 * 15)
    assert row["wait_office"] == pd.Timedelta(hours=sum(3 - i % 4 for i in range(30)))  # from 'Check' to the request
    # the same rule in SQL
    path = tmp_path / "reminders.parquet"
    log.df.to_parquet(path)
    duck = pm.performance(pm.read_log(path, engine="duckdb"), calendar=ALWAYS).activities
    assert duck.loc["Request missing documents", "wait_client"] == row["wait_client"]
    assert duck.loc["Request missing documents", "wait_office"] == row["wait_office"]


def test_activity_labels_are_the_first_known_value_and_kept_per_log():
    """The labels beside the activity codes (BPIC15's activityNameEN): per activity the
    first non-missing value in the log's order; a column with many values per activity is
    no label; computed once per log, and what a caller does to the result stays its own."""
    from procmine.waits._steps import _labels

    t = pd.Timestamp("2024-03-01", tz="UTC")
    rows = [("c1", "A", t, None, "x1"), ("c1", "A", t + pd.Timedelta(hours=1), "Apply", "x2"),
            ("c1", "B", t + pd.Timedelta(hours=2), None, "x3"), ("c2", "A", t, "Apply later", "x4"),
            ("c2", "C", t + pd.Timedelta(hours=3), "  ", "x5"), ("c2", "B", t + pd.Timedelta(hours=4), None, "x6")]
    df = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp", "activityNameEN",
                                     "descriptionText"])
    log = pm.EventLog(df)
    names = list(log.codes.activity_names)
    got = _labels(log, len(names))
    # activityNameEN: A's first known value; B has none; C's is blank (no label).
    # descriptionText: six values for three activities, so it is no label column.
    assert got == [["Apply"] if n == "A" else [] for n in names]
    got[names.index("A")].append("changed")
    assert _labels(log, len(names)) == [["Apply"] if n == "A" else [] for n in names]
