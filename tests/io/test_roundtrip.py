"""Property tests: random logs written to CSV / Parquet and read back unchanged."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from procmine.errors import DataQualityWarning
from procmine.io import read_log
from procmine.log import ACTIVITY, CASE, TIMESTAMP, EventLog

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# letters of four languages, separators, quotes, white space inside values, a few emoji
TEXT = st.text(
    alphabet=st.sampled_from([*list("abcXYZ019 äöüÄÖÜéèàçßñ€;,|\t\"'-/°…\n"), "😀", "中"]),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s != "")
CP1252_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 äöüÄÖÜéèàçß€;,\"'-/°")), min_size=1, max_size=10
).filter(lambda s: s.strip() == s and s != "")
MICROS = st.integers(
    min_value=int(pd.Timestamp("1990-01-01").value // 1000),
    max_value=int(pd.Timestamp("2035-12-31").value // 1000),
)


@st.composite
def event_logs(draw, text=TEXT, whole_seconds=None):
    n = draw(st.integers(min_value=1, max_value=25))
    cases = draw(st.lists(text, min_size=1, max_size=6, unique=True))
    acts = draw(st.lists(text, min_size=1, max_size=5, unique=True))
    whole = draw(st.booleans()) if whole_seconds is None else whole_seconds
    times = np.array(draw(st.lists(MICROS, min_size=n, max_size=n)), dtype=np.int64)
    if whole:
        times = times // 1_000_000 * 1_000_000
    df = pd.DataFrame(
        {
            CASE: [cases[draw(st.integers(0, len(cases) - 1))] for _ in range(n)],
            ACTIVITY: [acts[draw(st.integers(0, len(acts) - 1))] for _ in range(n)],
            TIMESTAMP: pd.to_datetime(times, unit="us", utc=True).astype("datetime64[us, UTC]"),
            "note": [draw(st.one_of(st.none(), text)) for _ in range(n)],
            "amount": draw(
                st.lists(
                    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                    min_size=n,
                    max_size=n,
                )
            ),
            "count": draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)),
        }
    ).astype({"amount": "float64"})
    return EventLog(df)


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(path, **kw)
    r = log.report
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())
    return log


def same_events(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in (CASE, ACTIVITY):
        assert a[col].tolist() == b[col].tolist()
    assert a[TIMESTAMP].tolist() == b[TIMESTAMP].tolist()
    assert str(b[TIMESTAMP].dtype) == "datetime64[us, UTC]"
    na = a["note"].isna().tolist()
    assert na == b["note"].isna().tolist()
    notes_a = [v for v, m in zip(a["note"], na) if not m]
    notes_b = [v for v, m in zip(b["note"], na) if not m]
    if pd.api.types.is_numeric_dtype(b["note"].dtype):
        # CSV carries no types: a text column whose every value is a plain number is read
        # as numbers (documented); they must be the same numbers
        notes_a = [float(v) for v in notes_a]
        notes_b = [float(v) for v in notes_b]
    assert notes_a == notes_b
    pd.testing.assert_series_equal(a["count"], b["count"])
    if b["amount"].notna().any():
        pd.testing.assert_series_equal(a["amount"], b["amount"], check_exact=True, check_dtype=False)


@SETTINGS
@given(log=event_logs(), sep=st.sampled_from([",", ";", "\t", "|"]))
def test_csv_roundtrip(tmp_path_factory, log, sep):
    path = tmp_path_factory.mktemp("csv") / "log.csv"
    log.to_csv(path, sep=sep)
    back = read(path)
    assert back.report.rows_read == log.n_events and not back.report.dropped
    assert back.report.formats["separator"] == sep
    same_events(log.df, back.df)


@SETTINGS
@given(log=event_logs())
def test_parquet_roundtrip(tmp_path_factory, log):
    path = tmp_path_factory.mktemp("pq") / "log.parquet"
    back = read(log.to_parquet(path))
    same_events(log.df, back.df)


@SETTINGS
@given(log=event_logs(text=CP1252_TEXT, whole_seconds=True), style=st.sampled_from(["dot", "slash", "iso"]))
def test_swiss_export_roundtrip(tmp_path_factory, log, style):
    """A cp1252 ';' export in local time with German headers reads back to the same UTC times."""
    local = log.df[TIMESTAMP].dt.tz_convert("Europe/Zurich").dt.tz_localize(None)
    # times in the repeated autumn hour cannot be told apart once written without offset
    assume(local.dt.tz_localize("Europe/Zurich", ambiguous="NaT").notna().all())
    fmt = {"dot": "%d.%m.%Y %H:%M:%S", "slash": "%d/%m/%Y %H:%M:%S", "iso": "%Y-%m-%d %H:%M:%S"}[style]
    out = pd.DataFrame(
        {
            "Dossier-Nr": log.df[CASE],
            "Tätigkeit": log.df[ACTIVITY],
            "Datum": local.dt.strftime(fmt),
            "note": log.df["note"],
        }
    )
    path = tmp_path_factory.mktemp("sw") / "export.csv"
    out.to_csv(path, sep=";", index=False, encoding="cp1252")
    back = read(path)
    assert back.report.roles == {"case": "Dossier-Nr", "activity": "Tätigkeit", "timestamp": "Datum"}
    assert back.df[CASE].tolist() == log.df[CASE].tolist()
    assert back.df[ACTIVITY].tolist() == log.df[ACTIVITY].tolist()
    assert back.df[TIMESTAMP].tolist() == log.df[TIMESTAMP].tolist()
    if style == "slash" and (local.dt.day <= 12).all():
        assert back.report.formats["dayfirst"]["Datum"] is True  # undecidable: Swiss day-first


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_start_timestamps_roundtrip(tmp_path, suffix):
    df = pd.DataFrame(
        {
            CASE: ["1", "1", "2"],
            ACTIVITY: ["a", "b", "a"],
            "start_timestamp": pd.to_datetime(
                ["2024-01-01 09:00", None, "2024-01-02 09:00:00.5"], utc=True, format="ISO8601"
            ),
            TIMESTAMP: pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 10:00"], utc=True),
        }
    ).astype({"start_timestamp": "datetime64[us, UTC]", TIMESTAMP: "datetime64[us, UTC]"})
    log = EventLog(df)
    path = tmp_path / f"log{suffix}"
    (log.to_csv if suffix == ".csv" else log.to_parquet)(path)
    back = read(path)
    assert back.report.roles["start_timestamp"] == "start_timestamp"
    pd.testing.assert_frame_equal(back.df[df.columns], log.df[df.columns])


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_shipped_sample_csv_equals_its_xes(name):
    """The readable CSV copy of a sample (German/French headers, dd.mm.yyyy) reads like its XES."""
    from tests.conftest import ROOT

    csv, xes = ROOT / "sample_logs" / f"{name}.csv", ROOT / "sample_logs" / f"{name}.xes.gz"
    if not (csv.exists() and xes.exists()):
        pytest.skip("sample_logs not generated")
    a, b = read(csv), read(xes)
    assert a.report.role_detection["case"] == "header"
    cols = [CASE, ACTIVITY, TIMESTAMP, "start_timestamp", "org:resource", "org:group"]
    pd.testing.assert_frame_equal(a.df[cols], b.df[cols])
