"""Working-time calendar: hand-checked cases and a slow reference implementation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procmine.calendar import Calendar, easter_sunday
from procmine.errors import ParameterError

ZH = "Europe/Zurich"


def ts(text: str, tz: str = ZH) -> pd.Timestamp:
    return pd.Timestamp(text, tz=tz)


def wt(cal: Calendar, start: str, end: str) -> pd.Timedelta:
    return cal.working_time(pd.Series([ts(start)]), pd.Series([ts(end)]))[0]


def test_friday_afternoon_to_monday_morning():
    assert wt(Calendar(), "2024-03-08 16:00", "2024-03-11 08:00") == pd.Timedelta(hours=1.5)


def test_full_week_is_40_hours():
    assert wt(Calendar(), "2024-03-04 00:00", "2024-03-11 00:00") == pd.Timedelta(hours=40)


def test_lunch_break_and_evening_do_not_count():
    cal = Calendar()
    assert wt(cal, "2024-03-05 11:00", "2024-03-05 14:00") == pd.Timedelta(hours=1.5)
    assert wt(cal, "2024-03-05 17:30", "2024-03-06 07:00") == pd.Timedelta(0)


def test_across_a_holiday():
    cal = Calendar(canton="BE")
    # Thursday 1 Aug 2024 is the National Day: Wed 16:00 -> Fri 08:00 = 1 h + 0.5 h
    assert wt(cal, "2024-07-31 16:00", "2024-08-02 08:00") == pd.Timedelta(hours=1.5)
    assert wt(Calendar(), "2024-07-31 16:00", "2024-08-02 08:00") == pd.Timedelta(hours=1.5)
    # Easter 2024 in Bern: Good Friday 29 Mar and Easter Monday 1 Apr are closed
    assert wt(cal, "2024-03-28 17:00", "2024-04-02 07:30") == pd.Timedelta(0)
    # ... but not in every canton: the default calendar keeps only the national days
    assert wt(Calendar(), "2024-03-28 17:00", "2024-04-02 07:30") == pd.Timedelta(hours=16)
    assert cal.remove_holidays(["2024-08-01"]).working_time(
        pd.Series([ts("2024-07-31 16:00")]), pd.Series([ts("2024-08-02 08:00")])
    )[0] == pd.Timedelta(hours=9.5)
    extra = cal.add_holidays([dt.date(2024, 3, 6)])
    assert wt(extra, "2024-03-05 00:00", "2024-03-08 00:00") == pd.Timedelta(hours=16)


def test_across_dst_changes():
    cal = Calendar(canton="BE")
    # spring forward in the night of 30/31 Mar 2024 (Easter weekend: Mon 1 Apr closed)
    assert wt(cal, "2024-03-28 16:00", "2024-04-02 08:00") == pd.Timedelta(hours=1.5)
    # fall back in the night of 26/27 Oct 2024: office hours stay in local time
    assert wt(cal, "2024-10-25 16:00", "2024-10-28 08:00") == pd.Timedelta(hours=1.5)
    # the same in UTC: Monday 07:30 local is 06:30 UTC after the change
    start = pd.Series([pd.Timestamp("2024-10-28 06:30", tz="UTC")])
    assert cal.is_working(start)[0]
    assert not cal.is_working(pd.Series([pd.Timestamp("2024-10-28 06:29", tz="UTC")]))[0]
    # elapsed time over the autumn weekend has 73 hours, not 72
    assert Calendar.always().working_time(
        pd.Series([ts("2024-10-25 08:00")]), pd.Series([ts("2024-10-28 08:00")])
    )[0] == pd.Timedelta(hours=73)


def test_zero_and_negative_intervals():
    cal = Calendar()
    assert wt(cal, "2024-03-05 10:00", "2024-03-05 10:00") == pd.Timedelta(0)
    assert wt(cal, "2024-03-11 08:00", "2024-03-08 16:00") == -pd.Timedelta(hours=1.5)


def test_int64_arrays_and_nat():
    cal = Calendar()
    nat = np.iinfo(np.int64).min
    s = np.array([ts("2024-03-08 16:00").value // 1000, nat])
    e = np.array([ts("2024-03-11 08:00").value // 1000, 0])
    out = cal.working_time(s, e)
    assert out.dtype == np.int64
    assert out[0] == 90 * 60 * 1_000_000 and out[1] == nat


def test_custom_hours_and_repr():
    cal = Calendar(
        hours={0: [("08:00", "12:00"), ("13:00", "17:00")], 5: [("09:00", "12:00")]}, holidays=None
    )
    assert cal.weekly_hours == 11
    assert wt(cal, "2024-03-09 00:00", "2024-03-12 00:00") == pd.Timedelta(hours=11)
    assert "Mon 08:00–12:00, 13:00–17:00; Sat 09:00–12:00" in repr(cal)
    assert "40 h/week" in repr(Calendar())
    assert Calendar() == Calendar() and hash(Calendar()) == hash(Calendar())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hours": {0: [("12:00", "08:00")]}},
        {"hours": {0: [("08:00", "12:00"), ("11:00", "13:00")]}},
        {"hours": {7: [("08:00", "12:00")]}},
        {"hours": {0: [("8h", "12:00")]}},
        {"tz": "Mars/Olympus"},
        {"holidays": "FR"},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ParameterError):
        Calendar(**kwargs)


def test_easter_sunday():
    assert easter_sunday(2019) == dt.date(2019, 4, 21)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)


def _package_days(canton, years):
    return set(holidays.country_holidays("CH", subdiv=canton, years=years))


@pytest.mark.parametrize("canton", ["ZH", "VS", "GE", "BE", "TI", None])
def test_cantonal_holidays_are_the_holidays_package_dates(canton):
    cal = Calendar(canton=canton)
    for year in (2023, 2024, 2025):
        assert set(cal.holidays_in(year)) == _package_days(canton, year)
    # every closed weekday is a day without working time, every other weekday has 8 h
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D", tz=ZH)
    start = pd.Series(days)
    work = cal.working_time(start, pd.Series(days + pd.Timedelta(days=1)))
    closed = {d for d in _package_days(canton, 2024)}
    for day, w in zip(days, work):
        expected = 0 if day.weekday() >= 5 or day.date() in closed else 8
        assert w == pd.Timedelta(hours=expected), (canton, day)


def test_cantons_differ_and_working_time_follows():
    zh, vs, ge = Calendar(canton="ZH"), Calendar(canton="VS"), Calendar(canton="GE")
    zh_days, vs_days, ge_days = (_package_days(c, 2024) for c in ("ZH", "VS", "GE"))
    # St Joseph (Tue 19 Mar 2024) is closed in Valais, not in Zurich
    joseph = dt.date(2024, 3, 19)
    assert (joseph in vs_days, joseph in zh_days) == (True, False)
    assert wt(zh, "2024-03-19 00:00", "2024-03-20 00:00") == pd.Timedelta(hours=8)
    assert wt(vs, "2024-03-19 00:00", "2024-03-20 00:00") == pd.Timedelta(0)
    # the Jeûne genevois (Thu 5 Sep 2024) is Geneva's alone
    jeune = dt.date(2024, 9, 5)
    assert jeune in ge_days and jeune not in zh_days and jeune not in vs_days
    assert wt(ge, "2024-09-04 16:00", "2024-09-06 08:00") == pd.Timedelta(hours=1.5)
    assert wt(zh, "2024-09-04 16:00", "2024-09-06 08:00") == pd.Timedelta(hours=9.5)
    # Berchtoldstag (2 Jan) and Sechseläuten (15 Apr 2024) are not public holidays of the canton
    # of Zurich; Berchtoldstag is one in Bern
    for day in (dt.date(2024, 1, 2), dt.date(2024, 4, 15)):
        assert (day in zh_days) == (day in zh.holidays_in(2024))
    assert dt.date(2024, 1, 2) in Calendar(canton="BE").holidays_in(2024)
    # the default calendar: the national days common to all cantons
    common = _package_days(None, 2024)
    assert set(Calendar().holidays_in(2024)) == common
    assert common <= zh_days & vs_days & ge_days


def test_canton_argument():
    assert Calendar(canton="be") == Calendar(canton="BE") and Calendar(canton="BE").canton == "BE"
    assert Calendar(canton="BE") != Calendar()
    assert "canton BE" in repr(Calendar(canton="BE")) and "no canton" in repr(Calendar())
    assert Calendar(canton="GE").add_holidays(["2024-03-06"]).canton == "GE"
    with pytest.raises(ParameterError, match="canton"):
        Calendar(canton="XX")
    with pytest.raises(ParameterError, match="canton"):
        Calendar(canton="BE", holidays=None)


def test_day_hours_is_weekly_hours_over_open_days():
    assert Calendar().day_hours == 8.0
    four_days = Calendar(hours={d: [("07:00", "12:00"), ("13:00", "17:24")] for d in range(4)})
    assert four_days.day_hours == pytest.approx(9.4) and four_days.weekly_hours == pytest.approx(37.6)
    assert Calendar.always().day_hours == 24.0
    assert Calendar(hours={}).day_hours == 0.0
    assert "working day 8 h" in repr(Calendar())


def test_hand_written_holiday_list_is_gone():
    import procmine.calendar as cal
    import procmine.calendar._holidays as mod

    assert not hasattr(mod, "swiss_holidays") and not hasattr(cal, "swiss_holidays")


def test_add_working_time():
    cal = Calendar()
    start = pd.Series([ts("2024-03-08 16:00"), ts("2024-03-08 16:00"), ts("2024-03-08 16:00")])
    dur = pd.Series([pd.Timedelta(hours=1), pd.Timedelta(hours=2), pd.Timedelta(0)])
    out = cal.add_working_time(start, dur)
    assert out[0] == ts("2024-03-08 17:00")
    assert out[1] == ts("2024-03-11 08:30")
    assert out[2] == ts("2024-03-08 16:00")
    back = cal.add_working_time(pd.Series([ts("2024-03-11 08:00")]), pd.Series([-pd.Timedelta(hours=1.5)]))
    assert back[0] == ts("2024-03-08 16:00")


# -- a slow, independent reference -------------------------------------------------------
def reference_working_us(start: dt.datetime, end: dt.datetime) -> int:
    """Day by day with zoneinfo: overlap of [start, end] with each office interval (Bern's
    holidays as the holidays package lists them)."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    zone = ZoneInfo(ZH)
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    closed = _package_days("BE", range(day.year, last.year + 1))
    total = dt.timedelta(0)
    while day <= last:
        if day.weekday() < 5 and day not in closed:
            for (h0, m0), (h1, m1) in (((7, 30), (12, 0)), ((13, 30), (17, 0))):
                a = dt.datetime(day.year, day.month, day.day, h0, m0, tzinfo=zone)
                b = dt.datetime(day.year, day.month, day.day, h1, m1, tzinfo=zone)
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
        day += dt.timedelta(days=1)
    return sign * (total // dt.timedelta(microseconds=1))


_instants = st.integers(
    min_value=int(pd.Timestamp("2023-01-01", tz="UTC").value // 1000),
    max_value=int(pd.Timestamp("2025-12-31", tz="UTC").value // 1000),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_instants, st.integers(-20 * 86_400_000_000, 20 * 86_400_000_000)), min_size=1, max_size=20
    )
)
def test_matches_reference(pairs):
    start = np.array([p[0] for p in pairs], dtype=np.int64)
    end = start + np.array([p[1] for p in pairs], dtype=np.int64)
    got = Calendar(canton="BE").working_time(start, end)
    utc = dt.UTC
    for s, e, g in zip(start, end, got):
        ref = reference_working_us(
            dt.datetime.fromtimestamp(0, utc) + dt.timedelta(microseconds=int(s)),
            dt.datetime.fromtimestamp(0, utc) + dt.timedelta(microseconds=int(e)),
        )
        assert g == ref
    # the inverse: adding the working time back lands where cum(end) is reached
    back = Calendar(canton="BE").add_working_time(start, got)
    assert np.array_equal(Calendar(canton="BE").working_time(start, back), got)


@settings(max_examples=30, deadline=None)
@given(st.lists(_instants, min_size=1, max_size=20))
def test_is_working_matches_reference(instants):
    t = np.array(instants, dtype=np.int64)
    got = Calendar().is_working(t)
    # working at t <=> a tiny interval after t has working time
    expected = Calendar().working_time(t, t + 1) == 1
    assert np.array_equal(got, expected)


def test_cumulative_differences_are_working_times():
    cal = Calendar()
    rng = np.random.default_rng(1)
    lo = int(pd.Timestamp("2024-01-01", tz="UTC").value // 1000)
    a = lo + rng.integers(0, 400 * 86_400_000_000, 200)
    b = a + rng.integers(-5 * 86_400_000_000, 30 * 86_400_000_000, 200)
    b[::7] = NAT_US
    ca, cb = cal.cumulative(a, b)
    ok = b != NAT_US
    assert np.array_equal((cb - ca)[ok], cal.working_time(a, b)[ok])
    assert (cb[~ok] == NAT_US).all()
    assert np.array_equal(Calendar.always().cumulative(a)[0], a)


NAT_US = np.iinfo(np.int64).min


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(_instants, st.integers(-40 * 86_400_000_000, 40 * 86_400_000_000)), min_size=1, max_size=20
    )
)
def test_local_24_7_calendar_equals_elapsed_across_dst(pairs):
    """Office hours 00:00-24:00 every local day: the days tile time exactly, also on the
    23- and 25-hour days of the DST changes, so working time is elapsed time."""
    cal = Calendar(hours={d: [("00:00", "24:00")] for d in range(7)}, holidays=None, tz=ZH)
    start = np.array([p[0] for p in pairs], dtype=np.int64)
    end = start + np.array([p[1] for p in pairs], dtype=np.int64)
    assert np.array_equal(cal.working_time(start, end), end - start)


# -- one working-day length everywhere ----------------------------------------------------------
def test_one_finding_one_number_of_working_days_in_repr_cli_report_and_portfolio(tmp_path):
    """The calendar's day_hours is the only working-day length: repr, the command line,
    the report and the portfolio's figure show the same working days for one finding."""
    import re

    from click.testing import CliRunner

    import procmine as pm
    from procmine.cli import main
    from procmine.i18n import format_working_time
    from procmine.report._build import build_report
    from procmine.report._portfolio import _measure
    from procmine.report._savings import lead_days_per_year

    log = pm.samples.load("permit_de").sample(150, seed=3)
    # an office week of 8.4 h days (42 h), so a stray 8.0 or 8.4 anywhere would show
    cal = Calendar(hours={d: [("07:30", "12:00"), ("13:00", "16:54")] for d in range(5)}, canton="BE")
    assert cal.day_hours == pytest.approx(8.4)
    found = pm.find_redundancies(log, calendar=cal)
    f = found[0]
    text = format_working_time(f.saving_per_case, "en", day_hours=cal.day_hours)
    assert "working days" in text
    assert f"saving {text}/case" in repr(f) and "calendar BE, working day 8.4 h" in repr(f)
    assert f"saving {text}/case" in repr(found)
    assert format_working_time(f.saving_per_case, "en", day_hours=8.0) != text  # the length matters

    path, ctx = build_report(log, tmp_path / "r.html", language="en", calendar=cal, min_cases=1)
    assert ctx.day_hours == pytest.approx(8.4)
    page = path.read_text(encoding="utf-8")
    assert text in page and "calendar BE, working day 8.4 h" in page
    same = next(g for g in ctx.cache["findings"] if (g.kind, g.activities) == (f.kind, f.activities))
    assert ctx.wdur(same.saving_per_case) == text
    # the portfolio ranks by the report's lead days, in the same working days
    from procmine.report._config import Procedure

    measured = _measure(Procedure(name="p", log=log), path, ctx, ctx.log)
    shown = [g for g in ctx.cache["findings"] if g.cases >= ctx.min_cases]
    # the portfolio ranks by the report's office headline, in the same working days
    from procmine.report._savings import headline

    head = headline(shown, ctx.cache["perf"], 8.4)
    assert head.day_hours == pytest.approx(8.4)
    assert measured["lead_days"] == pytest.approx(head.office_days_per_year)
    assert measured["lead_days"] <= lead_days_per_year(shown, ctx.log, 8.4) * 1.05  # rounded to 2 digits

    # the command line: the default calendar (8 h), as repr of the default findings says
    csv = tmp_path / "log.csv"
    log.df.to_csv(csv, index=False)
    out = CliRunner().invoke(main, ["findings", str(csv), "--lang", "en", "--quiet"])
    assert out.exit_code == 0, out.output
    default = pm.find_redundancies(pm.read_log(csv))
    first = re.search(r"saving (.+?)/case", repr(default[0])).group(1)
    assert f"Saving per case {first}," in out.output
    assert "calendar CH, working day 8 h" in out.output
