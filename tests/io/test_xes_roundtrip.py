"""write_xes -> read_xes gives the same log; pm4py reads what write_xes writes."""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io.xes import write_xes
from tests.conftest import shared_log

# characters XML 1.0 can hold, with the ones that need escaping made frequent
XML_CHARS = st.one_of(
    st.sampled_from(list("<>&\"' \t\n\rÄéàç€ß")),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff", min_codepoint=0x20),
)
NAMES = st.text(XML_CHARS, min_size=1, max_size=12).filter(lambda s: s.strip() != "")
TIMES = st.datetimes(
    min_value=pd.Timestamp("1971-01-01").to_pydatetime(), max_value=pd.Timestamp("2099-12-31").to_pydatetime()
)


@st.composite
def logs(draw):
    n_cases = draw(st.integers(1, 5))
    case_ids = draw(st.lists(NAMES, min_size=n_cases, max_size=n_cases, unique=True))
    rows = []
    for cid in case_ids:
        commune = draw(st.one_of(st.none(), NAMES))
        for _ in range(draw(st.integers(1, 5))):
            rows.append(
                {
                    "case:concept:name": cid,
                    "concept:name": draw(NAMES),
                    "time:timestamp": draw(TIMES),
                    "note": draw(st.one_of(st.none(), st.text(XML_CHARS, max_size=10))),
                    "n": draw(st.one_of(st.none(), st.integers(-(2**62), 2**62))),
                    "x": draw(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))),
                    "flag": draw(st.one_of(st.none(), st.booleans())),
                    "case:commune": commune,
                }
            )
    df = pd.DataFrame(rows)
    df["time:timestamp"] = (
        pd.to_datetime(df["time:timestamp"]).dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    )
    df["note"] = df["note"].astype("str")
    df["n"] = df["n"].astype("Int64")
    df["x"] = df["x"].astype("float64")
    df["flag"] = df["flag"].astype("boolean")
    df["case:commune"] = df["case:commune"].astype("str")
    return pm.EventLog(df)


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path, **kw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs())
def test_write_read_roundtrip(tmp_path, log):
    path = write_xes(log, tmp_path / "rt.xes.gz")
    back = read(path)
    assert back.report.formats["xes_reader"] == "numpy"
    assert back.report.rows_read == log.n_events and not back.report.dropped
    original = log.df
    present = [c for c in original.columns if c in back.df.columns]
    for c in original.columns:
        if c not in present:  # a column with no value at all is not written
            assert original[c].isna().all(), c
    pd.testing.assert_frame_equal(back.df[present], original[present], check_dtype=True)


def test_roundtrip_of_a_real_log(tmp_path):
    log = read(shared_log("receipt_wabo.xes.gz"))
    back = read(write_xes(log, tmp_path / "receipt.xes"))
    pd.testing.assert_frame_equal(back.df[log.df.columns], log.df)


def test_pm4py_reads_what_we_write(tmp_path):
    log = read(shared_log("running-example.xes"))
    df = log.df.copy()
    df["amount"] = np.arange(len(df), dtype="float64") / 3
    df["note"] = ['a & b <c> "d"' if i % 2 else None for i in range(len(df))]
    path = write_xes(pm.EventLog(df), tmp_path / "ours.xes")
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py

        ref = pm4py.read_xes(str(path))
    assert len(ref) == log.n_events
    assert ref["case:concept:name"].nunique() == log.n_cases
    ref = ref.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(drop=True)
    ours = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(drop=True)
    assert ref["concept:name"].tolist() == ours["concept:name"].tolist()
    assert (ref["time:timestamp"].dt.tz_convert("UTC") == ours["time:timestamp"]).all()
    assert np.allclose(ref["amount"].astype(float), ours["amount"])
    assert ref["note"].dropna().tolist() == ours["note"].dropna().tolist()


def test_control_characters_are_refused(tmp_path):
    df = pd.DataFrame(
        {
            "case:concept:name": ["c"],
            "concept:name": ["bad\x01"],
            "time:timestamp": pd.to_datetime(["2024-01-01"], utc=True),
        }
    )
    with pytest.raises(LogError, match="control characters"):
        write_xes(pm.EventLog(df), tmp_path / "x.xes")
