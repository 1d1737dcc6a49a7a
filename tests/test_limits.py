"""Legal time limits: deadlines counted by hand as Swiss law counts them (Art. 20-22a VwVG,
Art. 142-146 ZPO), right-censoring, pauses, bad rules, the sample and the shared logs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.calendar import Calendar
from procmine.errors import LogError, ParameterError
from procmine.limits import TimeLimit, load_rules, time_limits
from procmine.waits._causes import CAUSES, wait_causes
from tests.conftest import shared_log

CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"


def make_log(rows: list[tuple[str, str, str]]) -> pm.EventLog:
    """Events (case, activity, *local* Zurich time)."""
    df = pd.DataFrame(rows, columns=[CASE, ACT, TS])
    df[TS] = pd.to_datetime(df[TS]).dt.tz_localize("Europe/Zurich").dt.tz_convert("UTC").dt.as_unit("us")
    return pm.EventLog(df)


def deadline_of(log: pm.EventLog, rule: TimeLimit, calendar: Calendar | None = None, case: str = "a") -> str:
    """The local date whose 24:00 is the deadline."""
    f = time_limits(log, rule, calendar=calendar).cases()
    d = f.set_index("case").loc[case, "deadline"].tz_convert("Europe/Zurich")
    assert (d.hour, d.minute) == (0, 0)  # the end of a day, local time
    return str((d - pd.Timedelta(days=1)).date())


def one_case(start: str, end: str | None = None, filler: str = "2026-01-01 09:00") -> pm.EventLog:
    rows = [("a", "Eingang", start)]
    if end:
        rows.append(("a", "Entscheid", end))
    rows.append(("z", "Eingang", "2023-01-02 09:00"))  # another case keeps the log's end far away
    rows.append(("z", "Entscheid", filler))
    return make_log(rows)


# -- days, week-ends, holidays, stand-still ---------------------------------------------------
def test_thirty_days_across_easter_with_and_without_standstill():
    # 15 March 2024 + 30 days = Sunday 14 April -> Monday 15 April.
    # With the stand-still (24 March to 7 April 2024, Easter 31 March): 16-23 March count
    # (8 days), then from 8 April the remaining 22: 29 April (a Monday).
    log = one_case("2024-03-15 10:00", "2024-04-20 11:00")
    plain = TimeLimit("r", "Eingang", "Entscheid", 30)
    still = TimeLimit("r", "Eingang", "Entscheid", 30, standstill=True)
    assert deadline_of(log, plain) == "2024-04-15"
    assert deadline_of(log, still) == "2024-04-29"
    status = time_limits(log, plain).cases().set_index("case")["status"]
    assert status["a"] == "breach"
    assert time_limits(log, still).cases().set_index("case")["status"]["a"] == "within"


def test_summer_standstill_and_a_period_starting_in_it():
    # 1 July 2024: 2-14 July count (13 days), 15 July-15 August stand still, 17 more from
    # 16 August: 1 September, a Sunday -> 2 September. Without: 31 July.
    log = one_case("2024-07-01 10:00")
    assert deadline_of(log, TimeLimit("r", "Eingang", "Entscheid", 30, standstill=True)) == "2024-09-02"
    assert deadline_of(log, TimeLimit("r", "Eingang", "Entscheid", 30)) == "2024-07-31"
    # triggered on 20 July (in the stand-still): the period starts on 16 August, its 30th
    # day is Saturday 14 September -> Monday 16 September; without: 19 August.
    log = one_case("2024-07-20 10:00")
    assert deadline_of(log, TimeLimit("r", "Eingang", "Entscheid", 30, standstill=True)) == "2024-09-16"
    assert deadline_of(log, TimeLimit("r", "Eingang", "Entscheid", 30)) == "2024-08-19"


def test_christmas_standstill_spans_the_new_year():
    # 10 December 2024: 11-17 December count (7), 18 Dec-2 Jan stand still, 3 more: 5 January
    # 2025, a Sunday -> 6 January.
    log = one_case("2024-12-10 10:00")
    assert deadline_of(log, TimeLimit("r", "Eingang", "Entscheid", 10, standstill=True)) == "2025-01-06"


def test_last_day_on_a_cantonal_holiday_moves_only_in_that_canton():
    # 17 February 2025 + 30 days = Wednesday 19 March: St Joseph in Valais, not in Zurich
    log = one_case("2025-02-17 10:00")
    rule = TimeLimit("r", "Eingang", "Entscheid", 30)
    assert deadline_of(log, rule, Calendar(canton="VS")) == "2025-03-20"
    assert deadline_of(log, rule, Calendar(canton="ZH")) == "2025-03-19"
    # 6 August 2024 + 30 days = Thursday 5 September: Jeûne genevois in Geneva only
    log = one_case("2024-08-06 10:00")
    assert deadline_of(log, rule, Calendar(canton="GE")) == "2024-09-06"
    assert deadline_of(log, rule, Calendar(canton="ZH")) == "2024-09-05"


def test_the_deadline_is_the_end_of_the_local_day():
    # 30 days from 1 March 2024 = Sunday 31 March -> Monday 1 April is Easter Monday in
    # Bern -> Tuesday 2 April; an end at 23:59 local that day is within, at 00:01 the next
    # day a breach (the deadline is 2 April 24:00 = 22:00 UTC, summer time).
    rule = TimeLimit("r", "Eingang", "Entscheid", 30)
    ok = one_case("2024-03-01 16:00", "2024-04-02 23:59")
    late = one_case("2024-03-01 16:00", "2024-04-03 00:01")
    cal = Calendar(canton="BE")
    f = time_limits(ok, rule, calendar=cal).cases().set_index("case")
    assert str(f.loc["a", "deadline"]) == "2024-04-02 22:00:00+00:00"
    assert f.loc["a", "status"] == "within"
    assert time_limits(late, rule, calendar=cal).cases().set_index("case").loc["a", "status"] == "breach"


def test_months_and_weeks_use_the_same_numbered_day():
    rule = TimeLimit("r", "Eingang", "Entscheid", 1, unit="months")
    assert deadline_of(one_case("2024-01-31 10:00"), rule) == "2024-02-29"  # leap year: 29 Feb, a Thursday
    assert deadline_of(one_case("2023-01-31 10:00"), rule) == "2023-02-28"  # Tuesday
    assert deadline_of(one_case("2024-03-31 10:00"), rule) == "2024-04-30"  # April has 30 days
    # 31 August 2024 + 1 month = 30 September (Monday); + 3 months = 30 November, a
    # Saturday -> Monday 2 December
    assert deadline_of(one_case("2024-08-31 10:00"), rule) == "2024-09-30"
    three = TimeLimit("r", "Eingang", "Entscheid", 3, unit="months")
    assert deadline_of(one_case("2024-08-31 10:00"), three) == "2024-12-02"
    weeks = TimeLimit("r", "Eingang", "Entscheid", 2, unit="weeks")
    assert deadline_of(one_case("2024-03-04 10:00"), weeks) == "2024-03-18"


def test_working_days_skip_week_ends_and_holidays():
    # Friday 3 May 2024 + 5 working days: 6, 7, 8 May, (Ascension 9 May), 10, 13 May
    rule = TimeLimit("r", "Eingang", "Entscheid", 5, unit="working_days")
    assert deadline_of(one_case("2024-05-03 10:00"), rule) == "2024-05-13"


# -- open cases, pauses ------------------------------------------------------------------------
def test_open_cases_are_right_censored_until_their_deadline_passes():
    log = make_log([
        ("open", "Eingang", "2024-06-01 09:00"),            # deadline 1 July: after the log's end
        ("late", "Eingang", "2024-05-01 09:00"),            # deadline 31 May: passed, never decided
        ("done", "Eingang", "2024-05-02 09:00"), ("done", "Entscheid", "2024-05-20 09:00"),
        ("last", "Eingang", "2024-06-10 09:00"), ("last", "Andere", "2024-06-20 09:00"),  # the log's end
    ])
    rule = TimeLimit("r", "Eingang", "Entscheid", 30)
    tl = time_limits(log, rule)
    st = tl.cases().set_index("case")["status"]
    assert st.to_dict() == {"done": "within", "late": "breach", "last": "open", "open": "open"}
    row = tl.to_frame().iloc[0]
    assert (row["cases"], row["open_cases"], row["within"], row["breaches"]) == (4, 2, 1, 1)
    assert row["share_within"] == 0.5
    excl = time_limits(log, TimeLimit("r", "Eingang", "Entscheid", 30, without_end="exclude")).cases()
    assert excl.set_index("case")["status"]["late"] == "excluded"
    # the late case appears among the breaches, overdue since its deadline (31 May 24:00)
    b = tl.breaches()
    assert b["case"].tolist() == ["late"]
    assert b["over"].iloc[0] == pd.Timestamp("2024-06-20 09:00") - pd.Timestamp("2024-06-01 00:00")


def test_waiting_for_the_client_pauses_the_clock():
    # 1 Feb + 30 days = Saturday 2 March -> 4 March; ten days waiting for the documents
    # (5 Feb to 15 Feb, after the request) extend the last day to 12 March.
    log = make_log([
        ("a", "Gesuch eingereicht", "2024-02-01 09:00"),
        ("a", "Unterlagen nachfordern", "2024-02-05 09:00"),
        ("a", "Unterlagen eingereicht", "2024-02-15 09:00"),
        ("a", "Entscheid", "2024-03-10 09:00"),
    ])
    assert CAUSES[wait_causes(log).cause[2]] == "client"
    plain = TimeLimit("r", "Gesuch eingereicht", "Entscheid", 30)
    paused = TimeLimit("r", "Gesuch eingereicht", "Entscheid", 30, pause_on="client")
    assert deadline_of(log, plain) == "2024-03-04"
    assert deadline_of(log, paused) == "2024-03-12"
    f = time_limits(log, paused).cases()
    assert f["paused_days"].tolist() == [10] and f["status"].tolist() == ["within"]
    b = time_limits(log, plain).breaches()
    assert b["client"].iloc[0] == pd.Timedelta(days=10)
    assert b["office"].iloc[0] + b["client"].iloc[0] == pd.Timestamp("2024-03-10") - pd.Timestamp("2024-02-01")
    assert b["largest_step"].iloc[0] == "Entscheid"  # 24 days after the documents came in


def test_last_occurrence_and_case_anchors():
    log = make_log([
        ("a", "Eingang", "2024-03-01 09:00"), ("a", "Prüfung", "2024-03-05 09:00"),
        ("a", "Prüfung", "2024-04-10 09:00"), ("a", "Ende", "2024-04-11 09:00"),
    ])
    first = time_limits(log, TimeLimit("r", "case_start", "Prüfung", 30)).cases()
    last = time_limits(log, TimeLimit("r", "case_start", "last:Prüfung", 30)).cases()
    assert first["status"].tolist() == ["within"] and last["status"].tolist() == ["breach"]
    whole = time_limits(log, TimeLimit("r", "case_start", "case_end", 41)).cases()
    assert str(whole["end"].iloc[0].tz_convert("Europe/Zurich")) == "2024-04-11 09:00:00+02:00"


# -- bad rules ---------------------------------------------------------------------------------
def test_bad_rules_name_the_rule_and_the_field(tmp_path):
    log = one_case("2024-03-01 10:00")
    with pytest.raises(ParameterError, match=r"rule 'r'.*'end'.*'Entscheidd'.*closest: 'Entscheid'"):
        time_limits(log, TimeLimit("r", "Eingang", "Entscheidd", 30))
    with pytest.raises(ParameterError, match=r"'limit'.*greater than 0 \(rule 'r'\)"):
        TimeLimit("r", "Eingang", "Entscheid", 0)
    with pytest.raises(ParameterError, match=r"'limit'"):
        TimeLimit("r", "Eingang", "Entscheid", -3)
    with pytest.raises(ParameterError, match=r"'unit'.*did you mean 'days'"):
        TimeLimit("r", "Eingang", "Entscheid", 3, unit="dayz")
    with pytest.raises(ParameterError, match=r"'standstill'.*days"):
        TimeLimit("r", "Eingang", "Entscheid", 3, unit="months", standstill=True)
    with pytest.raises(ParameterError, match="two rules are named 'r'"):
        time_limits(log, [TimeLimit("r", "Eingang", "Entscheid", 3)] * 2)
    with pytest.raises(ParameterError, match=r"rule 'r'.*'limt'.*did you mean 'limit'"):
        time_limits(log, [{"name": "r", "start": "Eingang", "end": "Entscheid", "limt": 3}])
    with pytest.raises(ParameterError, match=r"'pause_on'.*'client'.*rule 'r'"):
        TimeLimit("r", "Eingang", "Entscheid", 3, pause_on="office")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "r"\nstart = "Eingang"\nend = \n', encoding="utf-8")
    with pytest.raises(LogError, match=r"bad\.toml.*not valid TOML.*line 4"):
        load_rules(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text('[[rule]]\nname = "r"\nstart = "Eingang"\nend = "Entscheid"\nlimit = 30\nunits = "days"\n',
                    encoding="utf-8")
    with pytest.raises(LogError, match=r"typo\.toml.*rule 'r'.*'units'.*did you mean 'unit'"):
        load_rules(typo)
    neg = tmp_path / "neg.toml"
    neg.write_text('[[rule]]\nname = "r"\nstart = "Eingang"\nend = "Entscheid"\nlimit = -1\n', encoding="utf-8")
    with pytest.raises(LogError, match=r"neg\.toml.*rule 'r'.*'limit'"):
        time_limits(log, neg)


def test_rules_from_toml(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text(
        '[[rule]]\nname = "Entscheid"\nstart = "Eingang"\nend = "Entscheid"\nlimit = 30\n'
        'standstill = true\n\n[[rule]]\nname = "Monat"\nstart = "Eingang"\nend = "Entscheid"\n'
        'limit = 1\nunit = "months"\n', encoding="utf-8")
    rules = load_rules(p)
    assert rules == [TimeLimit("Entscheid", "Eingang", "Entscheid", 30, standstill=True),
                     TimeLimit("Monat", "Eingang", "Entscheid", 1, unit="months")]
    frame = time_limits(one_case("2024-03-15 10:00", "2024-04-20 11:00"), p).to_frame()
    assert frame["rule"].tolist() == ["Entscheid", "Monat"]
    # case a: within 30 days with the stand-still (29 April), not within a month (15 April);
    # case z's decision comes years later: a breach of both
    assert frame["within"].tolist() == [1, 0] and frame["breaches"].tolist() == [1, 2]


# -- the shipped sample, checked in pandas ----------------------------------------------------------
def test_sample_figures_match_a_hand_computation():
    log = pm.samples.load("permit_de")
    cal = Calendar(canton="BE")
    rule = TimeLimit("Entscheid", "Gesuch eingereicht", "Entscheid versenden", 90)
    tl = time_limits(log, rule, calendar=cal, by="Gemeinde")
    df = log.df
    s = df[df[ACT] == "Gesuch eingereicht"].groupby(CASE)[TS].min()
    e = df[df[ACT] == "Entscheid versenden"].groupby(CASE)[TS].min()
    # deadline by hand: local day + 90, moved off week-ends and Bern's holidays, its 24:00
    hol = {d for y in (2024, 2025) for d in cal.holidays_in(y)}
    local = s.dt.tz_convert("Europe/Zurich").dt.tz_localize(None).dt.normalize()
    last = local + pd.Timedelta(days=90)
    for _ in range(5):  # at most a few days in a row are closed
        closed = (last.dt.day_of_week >= 5) | last.dt.date.isin(hol)
        last = last.where(~closed, last + pd.Timedelta(days=1))
    deadline = (last + pd.Timedelta(days=1)).dt.tz_localize("Europe/Zurich").dt.tz_convert("UTC")
    within = (e.reindex(s.index) < deadline)
    cases = tl.cases().set_index("case")
    assert (cases["deadline"] == deadline.reindex(cases.index)).all()
    gm = df.groupby(CASE)["Gemeinde"].first()
    expected = within.groupby(gm.reindex(within.index)).agg(["size", "sum"])
    got = tl.to_frame().set_index("group")
    assert got["cases"].to_dict() == expected["size"].to_dict()
    assert got["within"].to_dict() == expected["sum"].to_dict()
    used = ((e - s) / (deadline - s)).groupby(gm.reindex(s.index)).median()
    np.testing.assert_allclose(got["median_used"], used.reindex(got.index), rtol=1e-9)
    # every breach is explained: the causes add up to start -> end
    b = tl.breaches()
    total = b[["office", "client", "statutory", "batch"]].sum(axis=1)
    assert ((total - (b["end"] - b["start"])).abs() <= pd.Timedelta(seconds=1)).all()
    assert len(b) == int((~within).sum())
    cul = tl.culprits()
    assert cul["step"].iloc[0] in set(log.activities.index) and (cul["share"] <= 1).all()


def test_trend_repr_html_and_plot():
    log = pm.samples.load("permit_de")
    tl = time_limits(log, TimeLimit("Publikation", "Gesuch eingereicht", "Publikation im Amtsblatt", 20))
    t = tl.trend(freq="Q")
    assert t["cases"].sum() == tl.to_frame()["cases"].iloc[0]
    assert t["within"].sum() == tl.to_frame()["within"].iloc[0]
    assert repr(tl).startswith("<TimeLimits 'permit_de': Publikation: ") and "\n" not in repr(tl)
    assert "<table" in tl._repr_html_()
    for kind in ("trend", "distribution"):
        ax = tl.plot(kind=kind)
        assert ax.get_title().startswith("Publikation")
    # labels in the report languages (they were English only)
    de, fr = tl.plot(kind="distribution", language="de"), tl.plot(kind="distribution", language="fr")
    assert (de.get_xlabel(), de.get_ylabel(), de.get_title()) == (
        "% der Frist beansprucht", "Fälle", "Publikation: beanspruchte Zeit (Frist 20 Tage)")
    assert fr.get_xlabel() == "% du délai utilisé" and fr.get_legend().get_texts()[0].get_text() == "échéance"
    assert tl.plot(language="fr").get_title() == "Publikation : délai de 20 jours, par mois de début"
    with pytest.raises(ParameterError, match="'language'"):
        tl.plot(language="xx")
    with pytest.raises(ParameterError, match="'rule'"):
        tl.breaches("nope")


# -- shared logs ---------------------------------------------------------------------------------
def test_road_traffic_fines_sending_within_90_days():
    import holidays

    log = pm.read_log(shared_log("road_traffic_fines.xes.gz"))
    it = Calendar(holidays=list(holidays.country_holidays("IT", years=range(1999, 2015))), tz="Europe/Rome")
    tl = time_limits(log, TimeLimit("Invio", "Create Fine", "Send Fine", 90, without_end="exclude"), calendar=it)
    row = tl.to_frame().iloc[0]
    df = log.df
    # local calendar days between the two dates (the log records dates only)
    day = df[TS].dt.tz_convert("Europe/Rome").dt.tz_localize(None).dt.normalize()

    def first(a: str) -> pd.Series:
        return day[df[ACT] == a].groupby(df[CASE]).min()

    s, e = first("Create Fine"), first("Send Fine")
    days = (e.reindex(s.index) - s).dt.days
    status = tl.cases().set_index("case")["status"].reindex(s.index)
    assert row["cases"] == len(s)
    assert row["within"] + row["breaches"] == int(days.notna().sum())
    # sent on day 90 or earlier: within; after day 93: a breach; days 91-93 only when the
    # 90th day was a week-end or an Italian holiday
    assert (status[days <= 90] == "within").all() and (status[days > 93] == "breach").all()
    shifted = status[(days > 90) & (days <= 93)] == "within"
    last = (s + pd.Timedelta(days=90))[shifted[shifted].index]
    closed = {d for y in range(1999, 2014) for d in it.holidays_in(y)}
    assert len(last) and ((last.dt.day_of_week >= 5) | last.dt.date.isin(closed)).all()
    # cases never sent were all paid: left out, not counted as breaches
    never = s.index[e.reindex(s.index).isna()]
    paid = df.loc[df[CASE].isin(never) & (df[ACT] == "Payment"), CASE].nunique()
    assert row["excluded"] + row["open_cases"] == len(never) == paid


# -- command line ----------------------------------------------------------------------------------
def test_cli_prints_the_table_translated(tmp_path):
    from click.testing import CliRunner

    from procmine.cli import main

    log = tmp_path / "permit.csv"
    pm.samples.load("permit_de").sample(200).to_csv(log)
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "Entscheid"\nstart = "Gesuch eingereicht"\n'
                     'end = "Entscheid versenden"\nlimit = 90\n', encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["limits", str(log), "--rules", str(rules), "--lang", "fr", "--canton", "BE"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Délais\n") and "Dans le délai" in res.output and "calendrier BE" in res.output
    assert re.search(r"^Entscheid +90 jours +200 ", res.output, re.M)
    rules.write_text('[[rule]]\nname = "Entscheid"\nstart = "Gesuch eingereicht"\nend = "Entscheid"\nlimit = 90\n',
                     encoding="utf-8")
    res = runner.invoke(main, ["limits", str(log), "--rules", str(rules)])
    assert res.exit_code == 2
    assert "rule 'Entscheid'" in res.output and "'Entscheid'" in res.output and "closest" in res.output
    assert "Traceback" not in res.output


# -- report section ---------------------------------------------------------------------------------
def test_report_section_only_with_rules(tmp_path):
    log = pm.samples.load("permit_de").sample(300)
    rules = [TimeLimit("Entscheid", "Gesuch eingereicht", "Entscheid versenden", 60)]
    out = pm.report(log, tmp_path / "r.html", language="de", sections=["summary", "limits"], limits=rules,
                    xlsx=True)
    html = out.read_text(encoding="utf-8")
    assert "Fristen" in html and "Anteil fristgerecht" in html and "60 Tage" in html
    assert "Schritte, die Fälle über die Frist bringen: Entscheid" in html
    frame = time_limits(log, rules).to_frame()
    assert f">{frame['within'].iloc[0]}<" in html.replace("’", "")
    fr = pm.report(log, tmp_path / "f.html", language="fr", sections=["summary", "limits"], limits=rules)
    assert "Délais" in fr.read_text(encoding="utf-8")
    plain = pm.report(log, tmp_path / "p.html", language="de", sections=["summary", "limits"])
    assert "Fristen" not in plain.read_text(encoding="utf-8")
    with pytest.raises(ParameterError, match="'Entscheid versendn'"):
        pm.report(log, tmp_path / "x.html", limits=[TimeLimit("E", "Gesuch eingereicht", "Entscheid versendn", 6)])


# -- sentences in de/fr/en (#14) ------------------------------------------------------------
def _three_cases() -> pm.EventLog:
    """a: decided in time; b: decided late; c: still open at the log's end (right-censored)."""
    return make_log([
        ("a", "Eingang", "2026-03-02 09:00"), ("a", "Entscheid", "2026-03-06 09:00"),
        ("b", "Eingang", "2026-03-02 09:00"), ("b", "Entscheid", "2026-03-20 09:00"),
        ("c", "Eingang", "2026-03-19 09:00"), ("c", "Prüfung", "2026-03-20 10:00"),
    ])


def test_sentences_state_the_unit_with_its_calendar_in_de_and_fr():
    # 5 working days of Bern from Monday 2 March: the period ends on Monday 9 March;
    # a (Friday 6) is within, b (Friday 20) over, c (started 19 March, deadline 26) open
    rule = TimeLimit("Vollständigkeit", "Eingang", "Entscheid", 5, unit="working_days",
                     basis="service promise of the communes: the application is checked for completeness "
                           "within five working days of its receipt")
    tl = time_limits(_three_cases(), rule, calendar=Calendar(canton="BE"))
    row = tl.to_frame().iloc[0]
    assert (row["within"], row["breaches"], row["open_cases"]) == (1, 1, 1)
    de, fr, en = (tl.sentences(lang)[0] for lang in ("de", "fr", "en"))
    assert de.startswith("Vollständigkeit: 50% der 2 entschiedenen Fälle innert Frist (5 Arbeitstage (Kalender BE, "
                         "Arbeitstag 8 Std.)); 1 über der Frist, 1 noch offen.")
    assert fr.startswith("Vollständigkeit\u202f: 50% des 2 dossiers tranchés dans le délai de 5 jours ouvrables "
                         "(calendrier BE, jour ouvrable de 8 h)\u202f; 1 hors délai, 1 en cours.")
    assert "5 working days (calendar BE, working day 8 h)" in en
    # the basis the samples document is in the catalogues: translated, not English
    assert "Grundlage: Leistungsversprechen der Gemeinden" in de
    assert "Base\u202f: engagement de service des communes" in fr
    # the median of the limit used is a share, formatted per language
    used = float(tl.cases()["used"].median())
    assert format_pct(used, "fr") in fr and format_pct(used, "de") in de
    assert tl.headline("de") == " ".join(tl.sentences("de"))
    with pytest.raises(ParameterError, match="language"):
        tl.sentences("it")


def format_pct(x: float, lang: str) -> str:
    from procmine.i18n import format_percent

    return format_percent(x, lang, 0)


def test_swiss_number_formats_in_the_sentences():
    rows = []
    for i in range(1234):
        rows += [(f"c{i}", "Eingang", "2026-03-02 09:00"), (f"c{i}", "Entscheid", "2026-03-03 09:00")]
    tl = time_limits(make_log(rows), TimeLimit("Frist", "Eingang", "Entscheid", 30))
    assert "1’234 entschiedenen Fälle innert Frist (30 Tage)" in tl.sentences("de")[0]
    assert "1\u202f234 dossiers tranchés" in tl.sentences("fr")[0]
    assert "1’234 decided cases within 30 days" in tl.sentences("en")[0]


def test_no_decided_case_and_a_basis_procmine_does_not_know():
    # b's decision precedes its receipt: no end after the start, so the case stays open
    log = make_log([("a", "Eingang", "2026-03-02 09:00"), ("a", "Prüfung", "2026-03-03 09:00"),
                    ("b", "Entscheid", "2026-03-01 09:00"), ("b", "Eingang", "2026-03-02 10:00")])
    tl = time_limits(log, TimeLimit("Frist", "Eingang", "Entscheid", 3, unit="months", basis="Art. 7 XYZ"))
    assert tl.sentences("fr") == ["Frist\u202f: aucun dossier encore tranché dans le délai de 3 mois (2 en cours). "
                                  "Base\u202f: Art. 7 XYZ."]


def test_display_frame_names_the_calendar_and_the_translated_basis():
    from procmine import samples
    from procmine.limits import display_frame

    log = samples.load("permit_de")
    tl = time_limits(log, samples.limits("permit_de"), calendar=Calendar(canton="BE"))
    table = display_frame(tl, "fr")
    assert table["Délai"].iloc[1] == "5 jours ouvrables (calendrier BE, jour ouvrable de 8 h)"
    assert table["Base"].iloc[1].startswith("engagement de service des communes")
    assert "Grundlage" in display_frame(tl, "de").columns
    # a rule file may carry the basis
    assert samples.limits("permit_de")[0].basis.startswith("treatment period")
