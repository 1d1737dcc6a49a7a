"""Parquet reading: typed columns kept, naive times local, aware times converted."""

from __future__ import annotations

import pandas as pd
import pytest

from procmine.errors import LogError
from procmine.io import read_log as _read_log
from procmine.log import CASE, TIMESTAMP


def read_log(path, **kw):
    log = _read_log(path, **kw)
    r = log.report
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())
    return log


def frame(times):
    return pd.DataFrame(
        {
            "case_id": [101, 101, 102],
            "activity": ["Eingang", "Entscheid", "Eingang"],
            "timestamp": times,
            "Kosten": [1.5, 2.0, 3.25],
        }
    )


def test_naive_times_are_local(tmp_path):
    p = tmp_path / "naive.parquet"
    frame(pd.to_datetime(["2024-01-10 10:00", "2024-07-10 10:00", "2024-01-11 10:00"])).to_parquet(p)
    log = read_log(p)
    assert log.report.format == "parquet"
    assert log.df[TIMESTAMP].tolist() == [
        pd.Timestamp("2024-01-10 09:00", tz="UTC"),
        pd.Timestamp("2024-07-10 08:00", tz="UTC"),
        pd.Timestamp("2024-01-11 09:00", tz="UTC"),
    ]
    assert log.df[CASE].tolist() == ["101", "101", "102"]
    assert log.df["Kosten"].dtype.kind == "f"  # typed extra columns stay typed
    other = read_log(p, tz="America/New_York")
    assert other.df[TIMESTAMP].iloc[0] == pd.Timestamp("2024-01-10 15:00", tz="UTC")


def test_aware_times_converted_to_utc(tmp_path):
    p = tmp_path / "aware.parquet"
    times = pd.to_datetime(["2024-01-10 10:00", "2024-07-10 10:00", "2024-01-11 10:00"]).tz_localize(
        "Asia/Tokyo"
    )
    frame(times).to_parquet(p)
    log = read_log(p, tz="Europe/Zurich")  # tz only applies to naive times
    assert log.df[TIMESTAMP].iloc[0] == pd.Timestamp("2024-01-10 01:00", tz="UTC")
    assert str(log.df[TIMESTAMP].dtype) == "datetime64[us, UTC]"
    assert log.report.formats["dates"]["timestamp"]["tz"] == "in the data"


def test_eventlog_to_parquet_roundtrip(tmp_path):
    p = tmp_path / "a.parquet"
    frame(pd.to_datetime(["2024-01-10 10:00", "2024-07-10 10:00", "2024-01-11 10:00"], utc=True)).to_parquet(
        p
    )
    log = read_log(p)
    back = read_log(log.to_parquet(tmp_path / "b.parquet"))
    pd.testing.assert_frame_equal(back.df, log.df)
    assert back.report.role_detection == {"case": "standard", "activity": "standard", "timestamp": "standard"}


def test_bad_parquet_and_empty(tmp_path):
    p = tmp_path / "bad.parquet"
    p.write_bytes(b"PAR1 not really")
    with pytest.raises(LogError, match=r"bad.parquet.*Parquet"):
        read_log(p)
    e = tmp_path / "empty.parquet"
    frame(pd.to_datetime([None, None, None])).iloc[:0].to_parquet(e)
    with pytest.raises(LogError, match=r"no rows"):
        read_log(e)


def test_folder_partitioned_by_two_columns(tmp_path):
    """``Gemeinde=.../Jahr=.../*.parquet``: one log, the partition columns as text and numbers
    (not categories), every row kept; a folder with neither files nor such folders is an error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = pd.concat([frame(["2024-03-01 10:00", "2024-03-02 11:00", "2025-01-05 09:00"])] * 2, ignore_index=True)
    df["case_id"] = df["case_id"] + [0, 0, 0, 10, 10, 10]
    df["Gemeinde"] = ["Biel", "Biel", "Thun", "Köniz", "Köniz", "Thun"]
    df["Jahr"] = [2024, 2024, 2025, 2024, 2024, 2025]
    pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "log",
                        partition_cols=["Gemeinde", "Jahr"])
    (tmp_path / "log" / "_SUCCESS").write_text("")  # Spark's marker: not a part
    log = read_log(tmp_path / "log")
    assert log.report.rows_read == 6 and log.n_cases == 4
    assert sorted(log.df["Gemeinde"]) == sorted(df["Gemeinde"]) and log.df["Gemeinde"].dtype == log.df[CASE].dtype
    assert sorted(log.df["Jahr"]) == sorted(df["Jahr"]) and log.df["Jahr"].dtype.kind == "i"
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(LogError, match="holds no"):
        read_log(tmp_path / "empty")
