"""read_frame / read_log on a DataFrame: roles, canonical columns, no mutation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from procmine.errors import DataQualityWarning, LogError
from procmine.io import read_log
from procmine.io.frame import read_frame
from procmine.log import ACTIVITY, CASE, START, TIMESTAMP


def read(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(df, **kw)
    r = log.report
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())
    return log


@pytest.fixture
def user_frame():
    return pd.DataFrame(
        {
            "Geschäfts-Nr": ["G-1", "G-1", "G-2", "G-2"],
            "Schritt": [" Eingang ", "Entscheid", "Eingang", "Entscheid"],
            "Beginn": ["02.01.2024 08:00", "03.01.2024 09:00", "", "04.01.2024 10:00"],
            "Erledigt am": ["02.01.2024 09:00", "03.01.2024 11:00", "03.01.2024 12:00", "xx"],
            "Mitarbeiter/in": ["a", "b", "a", "b"],
            "Dienststelle": ["Amt 1", "Amt 2", "Amt 1", "Amt 2"],
        }
    )


def test_roles_and_canonical_columns(user_frame):
    before = user_frame.copy(deep=True)
    log = read(user_frame)
    pd.testing.assert_frame_equal(user_frame, before)  # the user's frame is untouched
    r = log.report
    assert r.roles == {
        "case": "Geschäfts-Nr",
        "activity": "Schritt",
        "timestamp": "Erledigt am",
        "start_timestamp": "Beginn",
        "resource": "Mitarbeiter/in",
        "org": "Dienststelle",
    }
    assert r.source == "<DataFrame>" and r.format == "dataframe"
    assert set(log.df.columns) == {CASE, ACTIVITY, START, TIMESTAMP, "org:resource", "org:group"}
    assert log.df[ACTIVITY].tolist() == ["Eingang", "Entscheid", "Eingang"]  # stripped
    assert r.dropped == {"unparseable timestamp": 1} and r.dropped_rows == {"unparseable timestamp": [4]}
    assert log.df[START].isna().tolist() == [False, False, True]
    assert log.df[START].iloc[0] == pd.Timestamp("2024-01-02 07:00", tz="UTC")


def test_explicit_missing_column(user_frame):
    with pytest.raises(LogError, match=r"'Nr' .*does not exist.*'Geschäfts-Nr', 'Schritt'"):
        read_log(user_frame, case="Nr")


def test_missing_required_role():
    df = pd.DataFrame({"x": [1.5, 2.5], "y": [0.1, 0.2]})
    with pytest.raises(LogError, match=r"case / activity / timestamp.*'x', 'y'.*case=\"...\""):
        read_log(df)


def test_pm4py_canonical_frame_and_typed_times():
    df = pd.DataFrame(
        {
            CASE: ["1", "1"],
            ACTIVITY: ["a", "b"],
            TIMESTAMP: pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00"], utc=True),
            "case:amount": [3.0, 3.0],
            "case:department": ["Bauamt", "Bauamt"],  # a trace attribute, not a role
            "org:resource": ["u1", "u2"],
        }
    )
    log = read(df)
    assert log.report.roles == {
        "case": CASE,
        "activity": ACTIVITY,
        "timestamp": TIMESTAMP,
        "resource": "org:resource",
    }
    assert set(log.report.role_detection.values()) == {"standard"}
    assert set(log.df.columns) == set(df.columns)  # nothing renamed
    pd.testing.assert_series_equal(log.df[TIMESTAMP], df[TIMESTAMP].astype("datetime64[us, UTC]"))
    assert "case:amount" in log.df.columns


def test_integer_case_ids_become_strings():
    df = pd.DataFrame(
        {
            "case": [1, 1, 2],
            "activity": ["a", "b", "a"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
        }
    )
    log = read(df)
    assert log.df[CASE].tolist() == ["1", "1", "2"]


def test_two_date_columns_by_content():
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-03-01 08:00") + pd.to_timedelta(rng.integers(0, 10_000, 40), unit="min")
    end = start + pd.to_timedelta(rng.integers(1, 500, 40), unit="min")
    df = pd.DataFrame(
        {
            "k": np.repeat([f"c{i}" for i in range(10)], 4),
            "a": ["x", "y", "z", "w"] * 10,
            "t1": start.strftime("%d.%m.%Y %H:%M"),
            "t2": end.strftime("%d.%m.%Y %H:%M"),
        }
    ).sort_values(["k", "t2"])
    log = read(df)
    # the later one is the completion; the other, never after it, is the start of each step
    assert log.report.roles["timestamp"] == "t2" and log.report.roles["start_timestamp"] == "t1"
    assert log.report.role_detection["start_timestamp"] == "content"
    assert not any("several date columns" in w for w in log.report.warnings)


def test_duplicate_column_names_made_unique():
    df = pd.DataFrame(
        [["1", "a", "2024-01-01", "x", "y"]], columns=["case", "activity", "timestamp", "n", "n"]
    )
    log = read(df)
    assert {"n", "n.1"} <= set(log.df.columns)


def test_dst_edges_counted_not_lost():
    df = pd.DataFrame(
        {
            "case": ["1", "1"],
            "activity": ["a", "b"],
            "timestamp": ["2024-03-31 02:30:00", "2024-10-27 02:30:00"],  # skipped / repeated hour
        }
    )
    log = read(df)
    assert log.n_events == 2
    assert any("daylight-saving" in w for w in log.report.warnings)


def test_frame_with_its_own_index(user_frame):
    shuffled = user_frame.set_axis(["w", "x", "y", "z"]).iloc[[2, 0, 3, 1]]
    log = read(shuffled)
    plain = read(user_frame.iloc[[2, 0, 3, 1]].reset_index(drop=True))
    pd.testing.assert_frame_equal(log.df, plain.df)
    assert log.report.dropped_rows == {"unparseable timestamp": [3]}  # position in the given frame


def test_activity_names_stripped_only_where_padded():
    """Arrow-backed names: padded ones (ASCII or Unicode spaces) are stripped, the rest are
    the same values, missing ones stay missing and are counted as dropped."""
    from procmine.io.frame import _strip

    names = pd.Series(["Eingang", " Prüfung", "Entscheid\u00a0", "\u3000Versand", None, "Prüfung"], dtype="str")
    assert _strip(names).tolist()[:4] == ["Eingang", "Prüfung", "Entscheid", "Versand"]
    assert _strip(names).isna().tolist() == [False, False, False, False, True, False]
    clean = pd.Series(["a", "Prüfung", "ü"], dtype="str")
    assert _strip(clean).tolist() == ["a", "Prüfung", "ü"]
    df = pd.DataFrame({"case": ["1", "1", "2"], "activity": pd.Series([" a", None, "b "], dtype="str"),
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})
    log = read_frame(df)
    assert log.df["concept:name"].tolist() == ["a", "b"]
    r = log.report
    assert r.rows_read == 3 and r.rows_read == r.rows_kept + sum(r.dropped.values())


def test_typed_utc_times_checked_for_range_without_parsing():
    """Times already datetime64[us, UTC]: in range they are kept as they are; a time past
    TIME_BOUNDS is dropped and counted, an implausible one (1960) warned about."""
    times = pd.Series(pd.to_datetime(["2024-01-01 10:00", "1960-05-01 09:00", "2024-01-03 08:00"], utc=True))
    df = pd.DataFrame({"case": ["1", "1", "2"], "activity": ["a", "b", "c"], "timestamp": times.astype("datetime64[us, UTC]")})
    log = read_frame(df)
    assert log.n_events == 3
    assert any("1960" in w or "implausible" in w.lower() or "before" in w for w in log.report.warnings)
    far = pd.Series([pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("3000-01-01", tz="UTC")]).astype("datetime64[us, UTC]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_frame(pd.DataFrame({"case": ["1", "2"], "activity": ["a", "b"], "timestamp": far}))
    r = log.report
    assert log.n_events == 1 and sum(r.dropped.values()) == 1
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())
