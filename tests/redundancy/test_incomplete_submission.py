"""incomplete_submission: loops opened by a request to the applicant for missing documents."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import ParameterError
from procmine.redundancy import incomplete_submission
from procmine.redundancy._base import ElapsedCalendar
from procmine.whatif import simplify

T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")

#: step names of two offices, in their own words (intake, formal check, legal review,
#: the letter asking for what is missing, the answer, the decision)
OFFICES = {
    "de": ("Eingang Gesuch", "Formelle Kontrolle", "Rechtliche Beurteilung",
           "Schreiben an Bauherrschaft: Beilagen fehlen", "Beilagen eingetroffen", "Verfügung"),
    "fr": ("Réception du dossier", "Contrôle formel", "Analyse juridique",
           "Courrier au maître d'ouvrage : annexes à fournir", "Annexes arrivées", "Décision"),
}


def office_log(language: str, n: int = 100, every: int = 4) -> pm.EventLog:
    """``n`` cases; every ``every``-th one is incomplete: after the legal review the office
    writes for the missing attachments (1 h), they arrive 10 days later (nobody of the office
    records it), the legal review is done again (2 h), then the decision."""
    intake, formal, legal, request, answer, decision = OFFICES[language]
    rows = []
    for i in range(n):
        t = T0 + pd.Timedelta(days=i)
        steps = [(intake, 0, None), (formal, 2, "anna"), (legal, 5, "carl")]
        h = 5.0
        if i % every == 0:
            steps += [(request, h + 1, "carl"), (answer, h + 1 + 240, None), (legal, h + 1 + 240 + 2, "carl")]
            h += 1 + 240 + 2
        steps.append((decision, h + 4, "dora"))
        for act, hours, who in steps:
            rows.append({"case:concept:name": f"{language}{i:03d}", "concept:name": act,
                         "org:resource": who, "time:timestamp": t + pd.Timedelta(hours=hours)})
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].astype("datetime64[us, UTC]")
    return pm.EventLog(df)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_document_loop_is_one_finding_with_its_office_and_client_time(language):
    log = office_log(language)
    _, _, legal, request, answer, _ = OFFICES[language]
    found = pm.find_redundancies(log, calendar=ElapsedCalendar())
    inc = found.filter(kind="incomplete_submission")
    assert len(inc) == 1
    f = inc[0]
    assert f.cases == 25 and f.activities == (request,)
    ev = f.evidence
    assert ev["requesting_step"] == request
    assert ev["answer_step"] == answer
    assert ev["repeated_steps"] == legal
    assert ev["loop_share"] == 1.0
    # office: the letter (1 h) and the review again (2 h); client: the 10 days waited
    assert ev["office_time_per_case"] == pd.Timedelta(hours=3)
    assert ev["client_time_per_case"] == pd.Timedelta(days=10)
    assert f.saving_per_case == pd.Timedelta(hours=3)
    assert f.time_cost == pd.Timedelta(hours=3 * 25)
    # the same loop is not also rework
    assert not [r for r in found.filter(kind="rework") if legal in r.activities or request in r.activities]
    assert "e-form" in f.text("en") and "E-Formular" in f.text("de") and "formulaire" in f.text("fr")


def test_rework_no_longer_dismisses_the_loop_it_leaves_to_incomplete_submission():
    log = office_log("de")
    assert len(pm.find_redundancies(log, kinds=["rework"], calendar=ElapsedCalendar())) == 0
    # without a request step in between, the same repetition is rework
    df = log.df[log.df["concept:name"] != "Schreiben an Bauherrschaft: Beilagen fehlen"]
    df = df[df["concept:name"] != "Beilagen eingetroffen"].copy()
    # the redo waits a varying time (the same 10.1 days in every case would be a schedule)
    again = df.duplicated(["case:concept:name", "concept:name"], keep="first")
    redo_at = df[again].set_index("case:concept:name")["time:timestamp"]
    at = df["case:concept:name"].map(redo_at)
    later = at.notna() & (df["time:timestamp"] >= at)
    df.loc[later, "time:timestamp"] += pd.to_timedelta(df["case:concept:name"][later].str[-2:].astype(int) % 7, unit="D")
    found = pm.find_redundancies(pm.EventLog(df.reset_index(drop=True)), kinds=["rework"], calendar=ElapsedCalendar())
    assert [f.activities[0] for f in found] == ["Rechtliche Beurteilung"]


def test_a_request_that_repeats_nothing_is_not_reported():
    log = office_log("de")
    df = log.df
    looped = df.duplicated(["case:concept:name", "concept:name"], keep="first") & (
        df["concept:name"] == "Rechtliche Beurteilung")
    assert incomplete_submission.detect(pm.EventLog(df[~looped].reset_index(drop=True))) == []


def test_declared_request_steps_and_required():
    log = office_log("de")
    request = OFFICES["de"][3]
    assert [f.activities for f in incomplete_submission.detect(log, requests=[request])] == [(request,)]
    assert incomplete_submission.detect(log, requests=["Formelle Kontrolle"]) == []
    assert incomplete_submission.detect(log, required=frozenset({request})) == []
    with pytest.raises(ParameterError, match="min_loop_share"):
        incomplete_submission.detect(log, min_loop_share=2)


def test_whatif_complete_at_intake_removes_the_loop_not_only_the_letter():
    log = office_log("de")
    request = OFFICES["de"][3]
    w = simplify(log, complete_at_intake=[request])
    assert w.before["events_per_case"] - w.after["events_per_case"] == pytest.approx(3 * 25 / 100)
    after = w.log.df
    assert request not in set(after["concept:name"]) and "Beilagen eingetroffen" not in set(after["concept:name"])
    assert (after.groupby("case:concept:name")["concept:name"].apply(lambda s: (s == "Rechtliche Beurteilung").sum()) == 1).all()
    durations = w.log.case_durations()
    assert durations.max() == pd.Timedelta(hours=9)  # every case now runs like a complete one
    # removing the letter alone keeps the wait for the applicant and the second review
    only = simplify(log, remove=[request])
    assert only.log.case_durations().max() > pd.Timedelta(days=10)


def test_a_review_flagged_as_a_request_is_the_loops_repeated_work():
    """When the legal review itself passes for a request (say the data flag it), its repetition
    after the answer is still the loop's repeated work, not a new loop that hides the first."""
    log = office_log("de")
    request = OFFICES["de"][3]
    legal = OFFICES["de"][2]
    found = incomplete_submission.detect(log, requests=[request, legal])
    assert [f.activities for f in found] == [(request,)]
    assert found[0].evidence["repeated_steps"] == legal
    assert found[0].evidence["loop_share"] == 1.0


def test_a_step_answered_only_when_done_last_asks_nobody():
    """Work bounces between two clerks (A, B, A, B) before the applicant is written to: the
    answer follows B only when it is done last; B's loops repeat A without any answer."""
    rows = []
    for i in range(60):
        t = T0 + pd.Timedelta(days=i)
        bounce = [("A", "anna"), ("B", "ben")] * (2 if i % 2 else 1)
        steps = [("Eingang", None), *bounce, ("Antwort eingetroffen", None), ("Entscheid", "dora")]
        hours = 0
        for act, who in steps:
            hours += 100 if act == "Antwort eingetroffen" else 3  # the applicant answers in days
            rows.append({"case:concept:name": f"c{i:03d}", "concept:name": act, "org:resource": who,
                         "time:timestamp": t + pd.Timedelta(hours=hours)})
    df = pd.DataFrame(rows)
    df["time:timestamp"] = df["time:timestamp"].astype("datetime64[us, UTC]")
    log = pm.EventLog(df)
    assert incomplete_submission.detect(log, requests=["B"]) == []
