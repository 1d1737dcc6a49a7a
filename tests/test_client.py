"""The applicant's view (procmine.client): contacts, asked again, whose waiting, offices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import Calendar
from procmine.client import _figure
from procmine.errors import ParameterError
from procmine.i18n import format_number, format_percent
from procmine.samples.generator import get_spec
from tests.conftest import shared_log

SUB, CHECK, REQ, RECV = "Application submitted", "Check completeness", "Request missing documents", "Documents received"
HEAR, FEE, SENT = "Hearing of the applicant", "Invoice fee", "Decision sent"

# (activity, day offset, org unit)
NORMAL = [(SUB, 0, None), (CHECK, 1, "Office A"), (FEE, 3, "Office A"), (SENT, 5, "Office B")]
ONCE = [(SUB, 0, None), (CHECK, 1, "Office A"), (REQ, 2, "Office A"), (RECV, 6, None), (CHECK, 7, "Office A"),
        (FEE, 8, "Office A"), (SENT, 10, "Office B")]
TWICE = [(SUB, 0, None), (CHECK, 1, "Office A"), (REQ, 2, "Office A"), (RECV, 5, None), (CHECK, 6, "Office A"),
         (REQ, 7, "Office A"), (RECV, 9, None), (HEAR, 11, "Office B"), (FEE, 12, "Office A"),
         (SENT, 13, "Office B")]


def _log(patterns: list[tuple[str, list, str]]) -> pm.EventLog:
    rows = []
    t0 = pd.Timestamp("2024-03-04 09:00", tz="Europe/Zurich")
    for i, (case, steps, commune) in enumerate(patterns):
        for act, day, unit in steps:
            rows.append({"case:concept:name": case, "concept:name": act,
                         "time:timestamp": t0 + pd.Timedelta(days=day, minutes=i), "org:group": unit,
                         "case:Gemeinde": commune})
    return pm.EventLog(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def hand() -> pm.EventLog:
    # 6 normal, 4 asked once, 3 asked twice; 10 cases in Thun, 3 in Spiez
    pats = ([(f"n{i}", NORMAL, "Thun") for i in range(6)] + [(f"o{i}", ONCE, "Thun") for i in range(4)]
            + [(f"t{i}", TWICE, "Spiez") for i in range(3)])
    return _log(pats)


def test_contact_steps_are_recognised_with_kind_and_reason(hand: pm.EventLog) -> None:
    cv = pm.client_view(hand, calendar=Calendar.always())
    kinds = dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"]))
    assert kinds == {SUB: "inbound", REQ: "request", RECV: "inbound", HEAR: "hearing", FEE: "payment",
                     SENT: "notice"}
    assert CHECK not in kinds
    assert (cv.contact_steps["why"].str.len() > 0).all()
    assert {"activity", "kind", "why"} <= set(cv.contact_steps.columns)


def test_per_case_contacts_asked_again_waits_and_offices(hand: pm.EventLog) -> None:
    f = pm.client_view(hand, calendar=Calendar.always()).to_frame()
    assert len(f) == 13
    assert f.loc["n0", ["contacts", "asked_again", "offices"]].tolist() == [3, 0, 2]
    assert f.loc["o0", ["contacts", "request", "inbound", "asked_again"]].tolist() == [5, 1, 2, 1]
    assert f.loc["t0", ["contacts", "asked_again", "hearing"]].tolist() == [8, 2, 1]
    # elapsed days: the wait up to "documents received" is the applicant's
    assert f.loc["n0", "client_wait_days"] == 0
    assert f.loc["n0", "office_wait_days"] == pytest.approx(5, abs=0.01)
    assert f.loc["o0", "client_wait_days"] == pytest.approx(4, abs=0.01)
    assert f.loc["o0", "office_wait_days"] == pytest.approx(6, abs=0.01)
    assert f.loc["t0", "client_wait_days"] == pytest.approx(3 + 2, abs=0.01)
    assert f.loc["o0", "client_share"] == pytest.approx(0.4, abs=0.01)


def test_summary_figures(hand: pm.EventLog) -> None:
    cv = pm.client_view(hand, calendar=Calendar.always())
    s = cv.summary()
    f = cv.to_frame()
    assert s["cases"] == 13
    assert s["contacts_per_case_median"] == 5  # 3 x6, 5 x4, 8 x3
    assert s["asked_again_share"] == pytest.approx(7 / 13)
    assert s["offices_per_case_median"] == 2
    assert s["client_wait_share"] == pytest.approx(f["client_wait_days"].sum() / f["lead_time_days"].sum())
    assert s["client_wait_share"] == pytest.approx(s["client_wait_days_mean"] / s["lead_time_days_mean"])
    after = cv.asked_again_after()
    assert after.iloc[0][["activity", "request", "times", "cases"]].tolist() == [CHECK, REQ, 10, 7]
    assert "13 cases" in repr(cv) and "\n" not in repr(cv)
    assert "<table" in cv._repr_html_()


def test_headline_numbers_come_from_the_summary(hand: pm.EventLog) -> None:
    cv = pm.client_view(hand, calendar=Calendar())
    s = cv.summary()
    for lang in ("de", "fr", "en"):
        text = cv.headline(lang)
        assert _figure(s["contacts_per_case_median"], lang) in text
        assert format_percent(s["asked_again_share"], lang, 0) in text
        assert format_number(s["lead_time_days_mean"], lang, 1) in text
        assert format_number(s["client_wait_days_mean"], lang, 1) in text
        assert format_number(s["office_wait_days_mean"], lang, 1) in text
    assert "working days" in cv.headline("en") and "Arbeitstag" in cv.headline("de")
    assert cv.headline("fr") != cv.headline("en")


def test_declared_contact_steps_replace_detection(hand: pm.EventLog) -> None:
    cv = pm.client_view(hand, contact_steps=[SENT, CHECK], calendar=Calendar.always())
    assert dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"])) == {SENT: "notice", CHECK: "notice"}
    assert set(cv.contact_steps["why"]) == {"declared"}
    assert cv.to_frame().loc["n0", "contacts"] == 2
    assert cv.summary()["asked_again_share"] == 0
    cv = pm.client_view(hand, contact_steps={CHECK: "request"}, calendar=Calendar.always())
    # every case has the check: routine, so only its repetitions are "asked again"
    f = cv.to_frame()
    assert f.loc[["n0", "o0", "t0"], "asked_again"].tolist() == [0, 1, 1]  # the check runs twice in both
    with pytest.raises(ParameterError, match="contact_steps"):
        pm.client_view(hand, contact_steps=["No such step"])
    with pytest.raises(ParameterError, match="contact_steps"):
        pm.client_view(hand, contact_steps={SENT: "letter"})


def test_routine_requests_are_not_asked_again() -> None:
    # a fee advance every case is asked for: a payment, not "asked again"; a document
    # request every case gets once is routine too, only its repetition counts
    steps = [(SUB, 0, None), ("Request documents", 1, "A"), (RECV, 3, None), ("Request fee advance", 4, "A"),
             (SENT, 6, "A")]
    again = [*steps[:3], ("Request documents", 4, "A"), (RECV, 5, None), *steps[3:]]
    log = _log([(f"c{i}", steps, "X") for i in range(9)] + [("r", again, "X")])
    cv = pm.client_view(log, calendar=Calendar.always())
    kinds = dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"]))
    assert kinds["Request fee advance"] == "payment"
    assert kinds["Request documents"] == "request"
    assert bool(cv.contact_steps.set_index("activity").loc["Request documents", "routine"])
    f = cv.to_frame()
    assert f["asked_again"].tolist() == [0] * 9 + [1]
    assert cv.summary()["asked_again_share"] == pytest.approx(0.1)


def test_other_addressees_are_not_contacts() -> None:
    steps = [(SUB, 0, None), ("Send file to the cantonal office", 1, "A"), ("Opinion received from canton", 3, None),
             ("Rückfrage an Amt für Umwelt", 4, "A"), ("Stellungnahme erhalten", 5, "B"),
             ("Notify decision to applicant", 6, "A")]
    cv = pm.client_view(_log([(f"c{i}", steps, "X") for i in range(5)]), calendar=Calendar.always())
    assert set(cv.contact_steps["activity"]) == {SUB, "Notify decision to applicant"}


def test_by_group_suppresses_small_groups(hand: pm.EventLog) -> None:
    cv = pm.client_view(hand, by="Gemeinde", calendar=Calendar.always())
    g = cv.by_group()
    assert list(g.index) == ["Thun"]
    assert g.attrs["suppressed"] == 1
    assert g.loc["Thun", "cases"] == 10
    assert g.loc["Thun", "asked_again_share"] == pytest.approx(0.4)
    assert cv.to_frame()["group"].value_counts().to_dict() == {"Thun": 10, "Spiez": 3}
    assert len(pm.client_view(hand, by="Gemeinde", min_cases=3).by_group()) == 2
    with pytest.raises(ParameterError, match="'by'"):
        pm.client_view(hand, by="Kanton")


def test_plot_returns_axes(hand: pm.EventLog) -> None:
    ax = pm.client_view(hand, by="Gemeinde", min_cases=1).plot()
    assert len(ax.get_yticklabels()) == 2
    ax = pm.client_view(hand).plot()
    assert ax.get_title()


# -- the shipped samples: the generator's documented contacts are the truth ------------------------
@pytest.mark.parametrize("name,by", [("permit_de", "Gemeinde"), ("subsidy_fr", "Commune")])
def test_samples_match_the_documented_contacts(name: str, by: str) -> None:
    log = pm.samples.load(name)
    spec = get_spec(name)
    cv = pm.client_view(log, by=by)
    present = {a: k for a, k in spec.contacts.items() if a in set(log.df["concept:name"])}
    assert dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"])) == present

    # the samples hold injected duplicate records: one letter recorded twice is one contact
    df = log.df[["case:concept:name", "concept:name", "time:timestamp"]].drop_duplicates()
    requests = [a for a, k in spec.contacts.items() if k == "request"]
    truth_asked = df[df["concept:name"].isin(requests)].groupby("case:concept:name").size()
    s = cv.summary()
    assert s["asked_again_share"] == pytest.approx(len(truth_asked) / log.n_cases)
    # apart from duplicates, no two contacts of one kind follow each other in these procedures
    truth_contacts = (df["concept:name"].isin(list(spec.contacts)).groupby(df["case:concept:name"], sort=False)
                      .sum())
    f = cv.to_frame()
    assert (f["contacts"].to_numpy() == truth_contacts.reindex(f.index).to_numpy()).all()
    assert s["contacts_per_case_median"] == truth_contacts.median()
    assert (f["asked_again"].to_numpy() == truth_asked.reindex(f.index, fill_value=0).to_numpy()).all()
    offices = log.df.groupby("case:concept:name", sort=False)["org:group"].nunique()
    assert s["offices_per_case_median"] == offices.median()
    assert 0 < s["client_wait_share"] < s["office_wait_share"] < 1
    assert len(cv.by_group()) == 8


# -- real logs ------------------------------------------------------------------------------------------
def test_road_traffic_fines() -> None:
    log = pm.read_log(shared_log("road_traffic_fines.xes.gz"))
    cv = pm.client_view(log)
    kinds = dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"]))
    assert kinds["Send Fine"] == "notice"
    assert kinds["Insert Fine Notification"] == "notice"
    assert kinds["Payment"] == "payment"
    assert kinds["Appeal to Judge"] == "inbound"
    assert kinds["Notify Result Appeal to Offender"] == "notice"
    assert "Send Appeal to Prefecture" not in kinds and "Receive Result Appeal from Prefecture" not in kinds
    assert "Create Fine" not in kinds and "Add penalty" not in kinds
    s = cv.summary()
    assert s["cases"] == 150_370
    assert 1 <= s["contacts_per_case_median"] <= 4
    assert s["asked_again_share"] < 0.01  # a fine asks nothing of the offender
    assert 0 < s["client_wait_share"] < 0.5
    assert np.isfinite(s["lead_time_days_mean"])


def test_receipt_wabo() -> None:
    log = pm.read_log(shared_log("receipt_wabo.xes.gz"))
    cv = pm.client_view(log)
    acts = set(cv.contact_steps["activity"])
    assert "T05 Print and send confirmation of receipt" in acts
    assert "T11 Create document X request unlicensed" in acts
    # checking a letter or asking an expert for advice is not a contact with the applicant
    assert "T12 Check document X request unlicensed" not in acts
    assert "T08 Draft and send request for advice" not in acts
    s = cv.summary()
    assert 0 < s["asked_again_share"] < 0.1
    assert 0.5 <= s["contacts_per_case_median"] <= 3
    assert s["offices_per_case_median"] >= 1
    assert cv.asked_again_after()["cases"].iloc[0] > 0


@pytest.mark.parametrize("names,kinds", [
    (["Gesuch eingereicht", "Anhörung Gesuchsteller", "Rechnung Gebühr versenden", "Verfügung eröffnet",
      "Rechtliches Gehör gewährt", "Dossier prüfen"],
     ["inbound", "hearing", "payment", "notice", "hearing", ""]),
    (["Demande déposée", "Audition du requérant", "Facture de l'émolument", "Décision notifiée", "Examen"],
     ["inbound", "hearing", "payment", "notice", ""]),
    (["Domanda presentata", "Audizione del richiedente", "Fattura emolumento", "Decisione notificata", "Esame"],
     ["inbound", "hearing", "payment", "notice", ""]),
    (["Application submitted", "Hearing", "Invoice fee", "Decision sent", "Review"],
     ["inbound", "hearing", "payment", "notice", ""]),
])
def test_vocabulary_in_four_languages(names: list[str], kinds: list[str]) -> None:
    steps = [(a, d, "Office") for d, a in enumerate(names)]
    cv = pm.client_view(_log([(f"c{i}", steps, "X") for i in range(5)]), calendar=Calendar.always())
    found = dict(zip(cv.contact_steps["activity"], cv.contact_steps["kind"]))
    assert [found.get(a, "") for a in names] == kinds


def test_waits_past_a_legal_period_count_once_in_the_client_view():
    """A wait that runs past its statutory period is statutory up to the period and office
    time beyond it: the client view's three parts of every case add up to the case's whole
    waiting as performance() splits it, in elapsed and in working time."""
    from tests.test_waits import late_after_period_log

    log = late_after_period_log()
    for cal in (pm.Calendar.always(), pm.Calendar()):
        cases = pm.client_view(log, calendar=cal).to_frame()
        perf = pm.performance(log, calendar=cal).cases.reindex(cases.index)
        waited_h = sum(perf[f"wait_{k}"].dt.total_seconds() for k in ("office", "client", "statutory", "batch")) / 3600
        parts_h = cases[["client_wait_days", "office_wait_days", "statutory_wait_days"]].sum(axis=1) * (cal.day_hours or 24.0)
        np.testing.assert_allclose(parts_h.to_numpy(dtype=float), waited_h.to_numpy(dtype=float), rtol=1e-6)
        # the cases whose hearing came 12 days after the period have office time beyond it
        assert (cases["office_wait_days"] > 0).sum() >= 20


def test_headline_names_the_calendar_of_its_working_days_in_de_and_fr(hand: pm.EventLog) -> None:
    """'X of the Z working days': whose working days, and how long one is, in each language."""
    cv = pm.client_view(hand, calendar=Calendar(canton="BE"))
    s = cv.summary()
    de, fr, en = cv.sentences("de")[2], cv.sentences("fr")[2], cv.sentences("en")[2]
    assert f"{format_number(s['lead_time_days_mean'], 'de', 1)} Arbeitstage (Kalender BE, Arbeitstag 8 Std.)" in de
    assert f"{format_number(s['lead_time_days_mean'], 'fr', 1)} jours ouvrables (calendrier BE, jour ouvrable de 8 h)" in fr
    assert "working days (calendar BE, working day 8 h)" in en
    # elapsed time has no calendar to name
    assert "calendar" not in pm.client_view(hand, calendar=Calendar.always()).sentences("en")[2]
