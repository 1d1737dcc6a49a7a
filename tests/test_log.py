"""EventLog and IngestReport on small hand-built logs where every figure is known."""

from __future__ import annotations

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import LogError
from procmine.log import ACTIVITY, CASE, START, TIMESTAMP


def make_frame() -> pd.DataFrame:
    t = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    rows = [
        # case, activity, hours after t  (deliberately out of order)
        ("B", "Eingang", 0), ("A", "Prüfung", 5), ("A", "Eingang", 1), ("B", "Entscheid", 30),
        ("A", "Entscheid", 50), ("B", "Prüfung", 3), ("C", "Eingang", 2),
    ]
    return pd.DataFrame(
        {
            CASE: [r[0] for r in rows],
            ACTIVITY: [r[1] for r in rows],
            TIMESTAMP: [t + pd.Timedelta(hours=r[2]) for r in rows],
            "org:resource": ["r1", "r2", "r1", "r3", "r3", "r2", "r1"],
        }
    )


def test_sorted_by_case_in_first_appearance_then_time() -> None:
    log = pm.EventLog(make_frame())
    df = log.df
    assert df[CASE].tolist() == ["B", "B", "B", "A", "A", "A", "C"]
    assert df[ACTIVITY].tolist()[:3] == ["Eingang", "Prüfung", "Entscheid"]
    assert df.groupby(CASE, sort=False)[TIMESTAMP].apply(lambda s: s.is_monotonic_increasing).all()


def test_codes_are_consistent_with_frame() -> None:
    log = pm.EventLog(make_frame())
    c = log.codes
    assert c.n_cases == 3 and log.n_cases == 3 and log.n_events == 7
    assert c.case_offsets.tolist() == [0, 3, 6, 7]
    assert [c.activity_names[a] for a in c.activity] == log.df[ACTIVITY].tolist()
    assert list(c.case_ids) == ["B", "A", "C"]
    assert c.is_first.sum() == 3 and c.is_last.sum() == 3


def test_activities_and_durations() -> None:
    log = pm.EventLog(make_frame())
    assert log.activities.to_dict() == {"Eingang": 3, "Entscheid": 2, "Prüfung": 2}
    d = log.case_durations()
    assert d["A"] == pd.Timedelta(hours=49)
    assert d["B"] == pd.Timedelta(hours=30)
    assert d["C"] == pd.Timedelta(0)


def test_case_duration_uses_start_timestamps() -> None:
    df = make_frame()
    df[START] = df[TIMESTAMP] - pd.Timedelta(minutes=30)
    log = pm.EventLog(df)
    assert log.case_durations()["A"] == pd.Timedelta(hours=49, minutes=30)


def test_missing_canonical_column_is_a_log_error() -> None:
    with pytest.raises(LogError, match="canonical column"):
        pm.EventLog(pd.DataFrame({"x": [1]}))


def test_repr_and_html_escape_data() -> None:
    df = make_frame()
    df.loc[0, ACTIVITY] = "<script>alert(1)</script>"
    log = pm.EventLog(df)
    assert "7 events, 3 cases" in repr(log)
    html = log._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_report_accounting_and_repr() -> None:
    r = pm.IngestReport(source="x.csv", format="csv", rows_read=5, rows_kept=3,
                        dropped={"missing case id": 1, "unparseable timestamp": 1})
    r.check()
    assert r.rows_dropped == 2
    assert "5 rows read, 3 kept" in repr(r)
    bad = pm.IngestReport(rows_read=5, rows_kept=5, dropped={"x": 1})
    with pytest.raises(AssertionError):
        bad.check()
    assert "item" in r.to_frame().columns
    assert r.to_dict()["dropped"]["missing case id"] == 1


def test_input_frame_is_not_mutated() -> None:
    df = make_frame()
    before = df.copy()
    pm.EventLog(df).filter(activities=["Eingang"])
    pd.testing.assert_frame_equal(df, before)


def test_to_csv_and_parquet_write_files(tmp_path) -> None:
    log = pm.EventLog(make_frame())
    p = log.to_parquet(tmp_path / "x.parquet")
    back = pd.read_parquet(p)
    assert len(back) == 7 and str(back[TIMESTAMP].dtype).endswith("UTC]")
    c = log.to_csv(tmp_path / "x.csv")
    assert c.read_text(encoding="utf-8").splitlines()[0].startswith(CASE)


def test_presorted_frame_that_is_not_sorted_is_refused() -> None:
    df = pm.EventLog(make_frame()).df.copy()
    df.loc[4, CASE] = "B"  # an event of B inside A's block
    with pytest.raises(LogError, match="not contiguous"):
        _ = pm.EventLog(df, presorted=True).codes
    assert pm.EventLog(df).n_cases == 3  # sorting fixes it


def test_case_codes_from_neighbours_equal_factorize() -> None:
    log = pm.EventLog(make_frame())
    codes, ids = pd.factorize(log.df[CASE], sort=False)
    assert (log.codes.case == codes).all() and list(log.codes.case_ids) == list(ids)


def test_duplicates_counted_on_all_columns_and_warning_points_at_caller() -> None:
    import warnings

    t = pd.Timestamp("2024-01-01", tz="UTC")
    df = pd.DataFrame({
        CASE: ["1", "1", "1", "2", None],
        ACTIVITY: ["a", "a", "a", "a", "b"],
        TIMESTAMP: [t, t, t, t, t],
        "org:resource": ["x", "x", "y", "x", "x"],  # the third event differs in one column
    })
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = pm.read_log(df)
    assert log.report.duplicates == 1
    assert log.report.dropped == {"missing case id": 1}
    # the dropped-rows warning and the implausible-log alert (2 cases) both point at the caller
    assert {w.filename for w in caught if issubclass(w.category, pm.DataQualityWarning)} == {__file__}


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"tz": "Mars/Olympus"}, "'tz'"), ({"sep": ""}, "'sep'"), ({"sep": ";;"}, "'sep'")],
)
def test_bad_reading_options_are_parameter_errors(tmp_path, kwargs, word):
    from procmine.errors import ParameterError

    path = tmp_path / "x.csv"
    path.write_text("case;activity;time\n1;A;2024-01-01 10:00\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=word):
        pm.read_log(path, **kwargs)


def test_repr_dates_are_the_offices_days_not_utc():
    """A date-only export (every step at local midnight) starting on 8 January showed
    '2024-01-07': the UTC date of 00:00 in Zurich."""
    df = pd.DataFrame({"Fall": ["a", "a", "b"], "Tätigkeit": ["Eingang", "Entscheid", "Eingang"],
                       "Datum": ["08.01.2024", "10.07.2024", "10.12.2024"]})
    log = pm.read_log(df)
    assert "2024-01-08 – 2024-12-10" in repr(log)
