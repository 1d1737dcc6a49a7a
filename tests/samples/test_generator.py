"""The procedure generator: determinism, office hours, queues, injected kinds, decoys, remove=."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from procmine.errors import ParameterError
from procmine.samples._calendar import OfficeCalendar, easter, swiss_holidays
from procmine.samples.generator import KINDS, PROCEDURES, GroundTruth, generate, regenerate_shipped

CASE, ACT, START, END, RES, GROUP = (
    "case:concept:name", "concept:name", "start_timestamp", "time:timestamp", "org:resource", "org:group",
)
SYSTEMS = {"eBau-Portal", "Portail e-services"}
N = 400


@pytest.fixture(scope="module")
def permit():
    return generate("permit_de", n_cases=N, seed=7, noise=0)


@pytest.fixture(scope="module")
def subsidy():
    return generate("subsidy_fr", n_cases=N, seed=7, noise=0)


@pytest.fixture(scope="module")
def permit_plain():
    """No redundancy injected, no optional decoys."""
    return generate("permit_de", n_cases=N, seed=7, noise=0, inject=(), decoys=False)


def _per_case(df: pd.DataFrame, activity: str) -> pd.Series:
    counts = df[df[ACT] == activity].groupby(CASE).size()
    return counts.reindex(df[CASE].unique(), fill_value=0)


def _successor(df: pd.DataFrame) -> pd.Series:
    nxt = df.groupby(CASE)[ACT].shift(-1)
    return nxt


# -- determinism -------------------------------------------------------------------------------
def test_same_seed_same_frame_and_truth():
    a, ta = generate("permit_de", n_cases=80, seed=3, noise=0.2)
    b, tb = generate("permit_de", n_cases=80, seed=3, noise=0.2)
    pd.testing.assert_frame_equal(a.df, b.df)
    assert ta == tb
    c, _ = generate("permit_de", n_cases=80, seed=4, noise=0.2)
    assert not a.df[END].equals(c.df[END])


def test_regenerate_shipped_is_deterministic(tmp_path):
    first = regenerate_shipped(n_cases=25, data_dir=tmp_path / "a", sample_dir=tmp_path / "sa", xes=False)
    second = regenerate_shipped(n_cases=25, data_dir=tmp_path / "b", sample_dir=tmp_path / "sb", xes=False)
    assert len(first) == len(second) == 2 * 3 + 1  # csv.gz, truth, csv each; README
    for p, q in zip(first, second):
        assert p.name == q.name
        assert p.read_bytes() == q.read_bytes()
    assert (tmp_path / "sa" / "permit_de.csv").read_text(encoding="utf-8").startswith(
        "Dossier-Nr;Aktivität;Beginn;Zeitstempel;Sachbearbeiter/in;Amt;Gemeinde;Gesuchsteller-Typ\n"
    )


# -- calendar, office hours, queues -------------------------------------------------------------------
def test_swiss_holidays():
    assert easter(2025).isoformat() == "2025-04-20"
    days = {d.isoformat() for d in swiss_holidays(2024)}
    assert {"2024-01-01", "2024-01-02", "2024-03-29", "2024-04-01", "2024-05-09", "2024-05-20",
            "2024-08-01", "2024-12-25", "2024-12-26"} == days


@pytest.mark.parametrize("name", sorted(PROCEDURES))
def test_events_only_in_office_hours(name):
    log, _ = generate(name, n_cases=300, seed=11, noise=0.1)
    holidays = set()
    for y in (2024, 2025, 2026):
        holidays |= swiss_holidays(y)
    for col in (START, END):
        local = log.df[col].dt.tz_convert("Europe/Zurich")
        assert local.notna().all()
        assert (local.dt.day_of_week < 5).all(), f"{col} on a weekend"
        assert not local.dt.date.isin(holidays).any(), f"{col} on a public holiday"
        minute = local.dt.hour * 60 + local.dt.minute + local.dt.second / 60
        morning = (minute >= 450) & (minute <= 720)
        afternoon = (minute >= 810) & (minute <= 1020)
        assert (morning | afternoon).all(), local[~(morning | afternoon)].head()
    assert (log.df[START] <= log.df[END]).all()


@pytest.mark.parametrize("fixture", ["permit", "subsidy"])
def test_a_resource_never_works_two_items_at_once(fixture, request):
    log, _ = request.getfixturevalue(fixture)
    df = log.df[~log.df[RES].isin(SYSTEMS)].sort_values([RES, START, END])
    same = df[RES].to_numpy()[1:] == df[RES].to_numpy()[:-1]
    next_start = df[START].to_numpy()[1:]
    prev_end = df[END].to_numpy()[:-1]
    assert (next_start[same] >= prev_end[same]).all()
    # and the queues matter: some work waits for a busy resource
    assert (log.df.groupby(RES).size() > 50).sum() >= 5


def test_arrivals_more_in_spring():
    import datetime as dt

    from procmine.samples.generator import _arrivals, get_spec

    cal = OfficeCalendar(dt.date(2024, 1, 8), 3 * 366)
    minutes = _arrivals(get_spec("permit_de"), cal, 1200, 5)
    assert (np.diff(minutes) >= 0).all()
    first = pd.Timestamp("2024-01-08") + pd.to_timedelta(minutes, unit="min")
    months = pd.Series(first[first < pd.Timestamp("2025-01-01")].month).value_counts()
    assert months.loc[[3, 4, 5]].mean() > 1.3 * months.loc[[10, 11]].mean()


# -- injected redundancies -----------------------------------------------------------------------------
def test_rework_share(permit, permit_plain):
    log, _ = permit
    share = (_per_case(log.df, "Dossier erfassen") >= 2).mean()
    assert 0.18 <= share <= 0.32
    assert (_per_case(permit_plain[0].df, "Dossier erfassen") == 1).all()
    more, _ = generate("permit_de", n_cases=N, seed=7, noise=0, inject={"rework": 0.6})
    assert 0.5 <= (_per_case(more.df, "Dossier erfassen") >= 2).mean() <= 0.7
    none, truth = generate("permit_de", n_cases=50, seed=7, noise=0, inject={"rework": 0.0})
    assert "Erfassung kontrollieren" not in set(none.df[ACT])
    assert not [t for t in truth if not t.decoy]


def test_duplicate_work_by_two_units(permit, permit_plain):
    log, _ = permit
    check = log.df[log.df[ACT] == "Zonenkonformität prüfen"]
    units = check.groupby(CASE)[GROUP].nunique().reindex(log.df[CASE].unique(), fill_value=0)
    assert 0.62 <= (units >= 2).mean() <= 0.78
    plain = permit_plain[0].df
    assert plain[plain[ACT] == "Zonenkonformität prüfen"].groupby(CASE)[GROUP].nunique().max() == 1


def test_ping_pong_round_trips(subsidy):
    log, truth = subsidy
    t = next(t for t in truth if t.kind == "ping_pong" and not t.decoy)
    rounds = _per_case(log.df, t.activities[0])
    assert 0.22 <= (rounds > 0).mean() <= 0.38
    assert set(rounds[rounds > 0].unique()) == {1, 2, 3}
    # the case goes A -> B -> A between the two units
    case = rounds[rounds == 3].index[0]
    units = log.df.loc[log.df[CASE] == case, GROUP].tolist()
    seq = [u for u, v in zip(units, [*units[1:], None]) if u != v]
    assert any(seq[i:i + 3] == [t.org_units[0], t.org_units[1], t.org_units[0]] for i in range(len(seq)))


def test_rubber_stamp_never_changes_what_follows(permit):
    log, _ = permit
    nxt = _successor(log.df)[log.df[ACT] == "Visum Abteilungsleitung"]
    assert len(nxt) >= N
    assert set(nxt) == {"Bauentscheid"}
    # yet it costs waiting: its work lies in the inbox for days
    df = log.df
    prev_end = df.groupby(CASE)[END].shift()
    wait = (df[START] - prev_end)[df[ACT] == "Visum Abteilungsleitung"]
    assert wait.median() > pd.Timedelta(days=1)


def test_mergeable_pair_same_resource_short_gap(subsidy):
    log, _ = subsidy
    df = log.df
    first = df[ACT] == "Rédaction de la décision"
    nxt = df.shift(-1)
    assert (nxt.loc[first, ACT] == "Notification de la décision").all()
    assert (nxt.loc[first, RES] == df.loc[first, RES]).all()
    gap = nxt.loc[first, START] - df.loc[first, END]
    assert (gap < pd.Timedelta(hours=2)).mean() > 0.95


@pytest.mark.parametrize("fixture,pair", [
    ("permit", ("Fachbericht Umwelt", "Fachbericht Denkmalpflege")),
    ("subsidy", ("Préavis juridique", "Préavis financier")),
])
def test_parallelizable_pair_in_both_orders(fixture, pair, request):
    log, _ = request.getfixturevalue(fixture)
    df = log.df
    a = df[df[ACT] == pair[0]].groupby(CASE)[END].first()
    b = df[df[ACT] == pair[1]].groupby(CASE)[END].first()
    a_first = (a < b.reindex(a.index)).mean()
    assert 0.35 <= a_first <= 0.65
    # sequential: the second starts after the first ends
    sa = df[df[ACT] == pair[0]].groupby(CASE)[START].first()
    sb = df[df[ACT] == pair[1]].groupby(CASE)[START].first()
    ea, eb = a, b.reindex(a.index)
    later_start = np.maximum(sa, sb.reindex(sa.index))
    earlier_end = np.minimum(ea, eb)
    assert (later_start >= earlier_end).all()


def test_parallel_when_not_injected(permit_plain):
    df = permit_plain[0].df
    sa = df[df[ACT] == "Fachbericht Umwelt"].groupby(CASE)[START].first()
    ea = df[df[ACT] == "Fachbericht Umwelt"].groupby(CASE)[END].first()
    sb = df[df[ACT] == "Fachbericht Denkmalpflege"].groupby(CASE)[START].first().reindex(sa.index)
    eb = df[df[ACT] == "Fachbericht Denkmalpflege"].groupby(CASE)[END].first().reindex(sa.index)
    # both reports are requested at once: often one starts before the other is done
    overlap = (np.maximum(sa, sb) < np.minimum(ea, eb)).mean()
    assert overlap > 0.08


def _waits(log):
    df = log.df
    prev_end = df.groupby(CASE)[END].shift()
    wait = (df[START] - prev_end).dt.total_seconds() / 86400
    return wait.groupby(df[ACT]).mean()


def test_bottleneck_waiting_dominates(permit, permit_plain):
    log, truth = permit
    step = next(t for t in truth if t.kind == "bottleneck" and not t.decoy).activities[0]
    waits = _waits(log)
    assert waits.idxmax() == step
    assert waits[step] > 3 * waits.drop(step).max()
    durations = log.case_durations().dt.total_seconds() / 86400
    assert waits[step] > 0.15 * durations.mean()
    assert _waits(permit_plain[0])[step] < waits[step] / 3


def test_batching_released_on_the_weekly_slot(permit, subsidy):
    for (log, _), act, weekday, hour in [(permit, "Beurteilung Baukommission", 1, 14),
                                         (subsidy, "Séance de la commission", 3, 9)]:
        df = log.df[log.df[ACT] == act]
        start = df[START].dt.tz_convert("Europe/Zurich")
        end = df[END].dt.tz_convert("Europe/Zurich")
        assert (start.dt.day_of_week == weekday).mean() > 0.95
        assert ((end.dt.day_of_week == weekday) & (end.dt.hour >= hour) & (end.dt.hour < hour + 3)).mean() > 0.85
        on_day = start[start.dt.day_of_week == weekday]
        assert (on_day.dt.hour * 60 + on_day.dt.minute >= hour * 60).all()  # never before the meeting


def test_batching_absent_when_not_injected(permit_plain):
    df = permit_plain[0].df
    start = df.loc[df[ACT] == "Beurteilung Baukommission", START].dt.tz_convert("Europe/Zurich")
    assert start.dt.day_of_week.value_counts(normalize=True).max() < 0.4


def test_automation_candidate_short_invariant_human(permit):
    log, _ = permit
    df = log.df[log.df[ACT] == "Eingangsbestätigung versenden"]
    assert df[CASE].nunique() == N
    minutes = (df[END] - df[START]).dt.total_seconds() / 60
    assert minutes.median() < 5 and minutes.quantile(0.95) < 8
    assert not df[RES].isin(SYSTEMS).any()


# -- decoys ------------------------------------------------------------------------------------------
def test_decoys_present(permit, permit_plain):
    log, truth = permit
    df = log.df
    decoys = [t for t in truth if t.decoy]
    assert {t.kind for t in decoys} >= {"rubber_stamp", "duplicate_work", "parallelizable", "rework", "batching",
                                        "bottleneck"}
    assert [t.activities for t in decoys if t.required] == [("Brandschutz prüfen",)]
    # a real decision point: cases go different ways after it
    after = _successor(df)[df[ACT] == "Bauentscheid"].value_counts(normalize=True)
    assert len(after) == 3 and after.min() > 0.03
    # the required second check: two units in every case
    assert (df[df[ACT] == "Brandschutz prüfen"].groupby(CASE)[GROUP].nunique() == 2).all()
    # strictly ordered: publication always right before the objection period
    assert set(_successor(df)[df[ACT] == "Publikation im Amtsblatt"]) == {"Einsprachefrist abwarten"}
    # a legitimate loop in some cases
    assert 0.05 < (_per_case(df, "Vollständigkeit prüfen") >= 2).mean() < 0.4
    # the legal 30-day period
    frist = df[df[ACT] == "Einsprachefrist abwarten"]
    local = {c: frist[c].dt.tz_convert("Europe/Zurich").dt.tz_localize(None) for c in (START, END)}
    period = local[END] - local[START]
    assert period.min() >= pd.Timedelta(days=30) and period.max() < pd.Timedelta(days=35)
    plain_log, plain_truth = permit_plain
    assert not any(t.decoy and t.required for t in plain_truth)
    assert (_per_case(plain_log.df, "Vollständigkeit prüfen") == 1).all()
    assert not any(t.decoy is False for t in plain_truth)


@pytest.mark.parametrize("fixture", ["permit", "subsidy"])
def test_truth_matches_the_log(fixture, request):
    log, truth = request.getfixturevalue(fixture)
    acts = set(log.df[ACT])
    units = set(log.df[GROUP])
    assert {t.kind for t in truth if not t.decoy} == set(KINDS)
    for t in truth:
        assert t.kind in KINDS
        assert set(t.activities) <= acts, t
        assert set(t.org_units) <= units, t
    assert len(truth) == len(set(truth))


def test_kinds_are_the_design_vocabulary():
    from procmine.redundancy._finding import KINDS as DESIGN_KINDS

    # incomplete_submission is not injected on its own: the procedures' document loops
    # (declared as the "legitimate loop" decoy of rework) are its cases, validated in
    # tests/redundancy/test_validation.py
    assert tuple(k for k in DESIGN_KINDS if k != "incomplete_submission") == KINDS


def test_truth_json_round_trip():
    _, truth = generate("subsidy_fr", n_cases=20, seed=1)
    raw = json.dumps([t.to_dict() for t in truth], ensure_ascii=False)
    assert [GroundTruth.from_dict(d) for d in json.loads(raw)] == truth


# -- remove= (what-if validation) ---------------------------------------------------------------------
def _work_minutes(df: pd.DataFrame) -> np.ndarray:
    """Working minutes between start and completion (office hours of the generator's calendar)."""
    import datetime as dt

    cal = OfficeCalendar(dt.date(2024, 1, 1), 3 * 366)
    origin = pd.Timestamp("2024-01-01")

    def minutes(col):
        local = df[col].dt.tz_convert("Europe/Zurich").dt.tz_localize(None)
        return ((local - origin).dt.total_seconds() / 60).to_numpy()

    return np.array([cal.work_before(e) - cal.work_before(s) for s, e in zip(minutes(START), minutes(END))])


def test_remove_keeps_arrivals_and_drops_only_that_activity(permit):
    log, truth = permit
    cut, cut_truth = generate("permit_de", n_cases=N, seed=7, noise=0, remove=("Visum Abteilungsleitung",))
    a, b = log.df, cut.df
    assert "Visum Abteilungsleitung" not in set(b[ACT])
    pd.testing.assert_series_equal(a.groupby(CASE, sort=False)[END].min(), b.groupby(CASE, sort=False)[END].min())
    seq_a = a[a[ACT] != "Visum Abteilungsleitung"].groupby(CASE, sort=False)[ACT].agg(tuple)
    seq_b = b.groupby(CASE, sort=False)[ACT].agg(tuple)
    pd.testing.assert_series_equal(seq_a, seq_b)
    # same attributes and durations of the other steps
    pd.testing.assert_series_equal(a.groupby(CASE)["Gemeinde"].first(), b.groupby(CASE)["Gemeinde"].first())
    for act in ("Fachbericht Umwelt", "Bauentscheid", "Dossier erfassen"):
        wa, wb = _work_minutes(a[a[ACT] == act]), _work_minutes(b[b[ACT] == act])
        assert np.abs(wa - wb).max() < 0.05, act  # the same draws: the same working time
    assert cut.case_durations().median() < log.case_durations().median()
    assert "rubber_stamp" not in {t.kind for t in cut_truth if not t.decoy}
    assert len(cut_truth) == len(truth) - 1


# -- arguments -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"noise": 1.5},
    {"n_cases": 0},
    {"inject": ("reworks",)},
    {"inject": {"rework": 2.0}},
    {"remove": ("No such step",)},
    {"seed": -1},
])
def test_bad_arguments(kwargs):
    with pytest.raises(ParameterError):
        generate("permit_de", **{"n_cases": 5, **kwargs})
    with pytest.raises(ParameterError):
        generate("no_such_procedure", n_cases=5)


def test_noise_perturbs_some_cases():
    clean, _ = generate("permit_de", n_cases=200, seed=2, noise=0)
    dirty, _ = generate("permit_de", n_cases=200, seed=2, noise=0.3)
    a = clean.df.groupby(CASE, sort=False)[ACT].agg(tuple)
    b = dirty.df.groupby(CASE, sort=False)[ACT].agg(tuple)
    changed = (a != b.reindex(a.index)).mean()
    assert 0.1 < changed < 0.35
    assert dirty.df[RES].isna().sum() > 0 and clean.df[RES].notna().all()


# -- the third, generated-only procedure ---------------------------------------------------------------
def test_residence_it_kinds_in_other_places():
    log, truth = generate("residence_it", n_cases=300, seed=4, noise=0)
    df = log.df
    assert {t.kind for t in truth if not t.decoy} == set(KINDS)
    assert all(set(t.activities) <= set(df[ACT]) for t in truth)
    # a daily batch: printed at 15:30 on the day it is released
    start = df.loc[df[ACT] == "Stampa del permesso", START].dt.tz_convert("Europe/Zurich")
    assert ((start.dt.hour == 15) & (start.dt.minute >= 30) | (start.dt.hour == 16)).mean() > 0.95
    assert start.dt.day_of_week.nunique() == 5  # every working day, not weekly
    # mergeable steps at the very start, by the same person
    first = df[ACT] == "Registrazione della domanda"
    nxt = df.shift(-1)
    assert (nxt.loc[first, ACT] == "Scansione dei documenti").all()
    assert (nxt.loc[first, RES] == df.loc[first, RES]).all()
    # rework at the end of the procedure, in granted cases only
    invoices = _per_case(df, "Emissione della fattura")
    assert 0.1 < (invoices >= 2).mean() < 0.3


def test_a_custom_procedure_spec():
    from procmine.samples._spec import Attribute, Pool, ProcedureSpec, Seq, Step, Xor

    spec = ProcedureSpec(
        name="tiny", language="en",
        root=Seq((Step("Received", "Desk", minutes=0, system="Portal", delay=0),
                  Step("Check", "Desk", minutes=20),
                  Xor((Step("Approve", "Office", minutes=10), Step("Reject", "Office", minutes=5)), (0.7, 0.3)))),
        pools={"Desk": Pool(1), "Office": Pool(2)},
        attributes=(Attribute("Region", ("North", "South"), (0.5, 0.5)),),
        commune="Region", cases_per_day=3.0, case_prefix="T", resource_prefix="R",
        columns={},
    )
    log, truth = generate(spec, n_cases=40, seed=0, noise=0)
    assert log.n_cases == 40 and truth == []
    assert set(log.df[ACT]) == {"Received", "Check", "Approve", "Reject"}
    assert set(log.df["Region"]) == {"North", "South"}
    broken = ProcedureSpec(name="broken", language="en", root=Step("Check", "Nowhere"), pools={}, attributes=(),
                           commune="Region", cases_per_day=1.0, case_prefix="B", resource_prefix="R", columns={})
    with pytest.raises(ParameterError, match="Nowhere"):
        generate(broken, n_cases=5)
    jammed = ProcedureSpec(name="jammed", language="en", root=Step("Check", "Desk", minutes=3000), pools={"Desk": Pool(1)},
                           attributes=(), commune="Region", cases_per_day=5.0, case_prefix="J", resource_prefix="R",
                           columns={})
    with pytest.raises(ParameterError, match="overloaded"):
        generate(jammed, n_cases=400)


# -- the calendar's working-time arithmetic -----------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CAL = OfficeCalendar(__import__("datetime").date(2024, 1, 8), 800)


def _in_office(t: float) -> bool:
    i = int(np.searchsorted(_CAL.starts, t, side="right")) - 1
    return i >= 0 and _CAL.starts[i] <= t <= _CAL.ends[i]


@settings(max_examples=120, deadline=None)
@given(t=st.floats(0, 600 * 1440.0), minutes=st.floats(0.01, 20 * 480.0))
def test_calendar_add_is_working_time(t, minutes):
    s = _CAL.next_open(t)
    assert s >= t and _in_office(s) and _CAL.next_open(s) == s
    e = _CAL.add(s, minutes)
    assert _in_office(e)
    assert abs((_CAL.work_before(e) - _CAL.work_before(s)) - minutes) < 1e-6
    assert e - s >= minutes - 1e-6


@settings(max_examples=100, deadline=None)
@given(t=st.floats(0, 600 * 1440.0), weekday=st.sampled_from([None, 0, 1, 2, 3, 4]),
       minute=st.sampled_from([450.0, 540.0, 840.0, 990.0]))
def test_calendar_release_slot(t, weekday, minute):
    slot = _CAL.next_release(t, weekday, minute)
    assert slot >= t and _in_office(slot) and slot % 1440.0 == minute
    day = _CAL.origin + __import__("datetime").timedelta(days=int(slot // 1440))
    assert weekday is None or day.weekday() == weekday
    # the next slot that is not a holiday (Christmas and New Year can skip two Wednesdays)
    assert slot - t < (8 if weekday is None else 22) * 1440.0


def test_injected_share_below_one_keeps_the_plain_step():
    log, truth = generate("permit_de", n_cases=300, seed=9, noise=0, inject={"batching": 0.5, "mergeable": 0.5})
    df = log.df
    start = df.loc[df[ACT] == "Beurteilung Baukommission", START].dt.tz_convert("Europe/Zurich")
    assert len(start) == 300  # every case still goes to the commission
    tuesday_14 = (start.dt.day_of_week == 1) & (start.dt.hour * 60 + start.dt.minute >= 14 * 60)
    assert 0.45 < tuesday_14.mean() < 0.75  # the batched half, plus plain ones that fall on a Tuesday afternoon
    merged = _per_case(df, "Entscheid ausfertigen und versenden")
    split = _per_case(df, "Entscheid ausfertigen")
    assert ((merged > 0) != (split > 0)).all() and 0.35 < (split > 0).mean() < 0.65
    assert next(t.note for t in truth if t.kind == "batching").endswith("(in 50% of cases)")
