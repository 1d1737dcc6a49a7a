"""XES reading: the real logs against pm4py, the report, roles, fallback and FIFO matching.

Lifecycle pairing (on by default) is tested in tests/io/test_lifecycle.py.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io import xes as xes_mod
from procmine.io._xes_lifecycle import match_fifo
from procmine.io._xes_scan import Unsupported
from tests.conftest import XES_LOGS, shared_log

SMALL_LOGS = [f for f in XES_LOGS if f not in ("BPIC12.xes.gz", "road_traffic_fines.xes.gz")]

# Counts of the two big logs read without lifecycle pairing, verified once with pm4py 2.7.23.11 (pm4py.read_xes default
# variant chunk_regex, rustxes not installed) on this machine, 2026-11-25:
# len(df), df["case:concept:name"].nunique(), df["concept:name"].value_counts() (all activities).
BIG_COUNTS = {
    "BPIC12.xes.gz": (
        262_200,
        13_087,
        {
            "W_Completeren aanvraag": 54_850,
            "W_Nabellen offertes": 52_016,
            "W_Nabellen incomplete dossiers": 25_190,
            "W_Valideren aanvraag": 20_809,
            "W_Afhandelen leads": 16_566,
            "A_SUBMITTED": 13_087,
            "A_PARTLYSUBMITTED": 13_087,
            "A_DECLINED": 7_635,
            "A_PREACCEPTED": 7_367,
            "O_SELECTED": 7_030,
            "O_CREATED": 7_030,
            "O_SENT": 7_030,
            "A_ACCEPTED": 5_113,
            "A_FINALIZED": 5_015,
            "O_CANCELLED": 3_655,
            "O_SENT_BACK": 3_454,
            "A_CANCELLED": 2_807,
            "A_REGISTERED": 2_246,
            "A_APPROVED": 2_246,
            "A_ACTIVATED": 2_246,
            "O_ACCEPTED": 2_243,
            "O_DECLINED": 802,
            "W_Beoordelen fraude": 664,
            "W_Wijzigen contractgegevens": 12,
        },
    ),
    "road_traffic_fines.xes.gz": (
        561_470,
        150_370,
        {
            "Create Fine": 150_370,
            "Send Fine": 103_987,
            "Insert Fine Notification": 79_860,
            "Add penalty": 79_860,
            "Payment": 77_601,
            "Send for Credit Collection": 59_013,
            "Insert Date Appeal to Prefecture": 4_188,
            "Send Appeal to Prefecture": 4_141,
            "Receive Result Appeal from Prefecture": 999,
            "Notify Result Appeal to Offender": 896,
            "Appeal to Judge": 555,
        },
    ),
}


def pm4py_frame(path: Path) -> pd.DataFrame:
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py

        return pm4py.read_xes(str(path))


def read(path: Path, **kw) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path, **kw)


def write_text(tmp_path: Path, text: str, name: str = "log.xes") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def xes(*traces: str, header: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
        + header
        + "".join(traces)
        + "</log>\n"
    )


def trace(case: str | None, *events: str, extra: str = "") -> str:
    name = f'<string key="concept:name" value="{case}"/>' if case is not None else ""
    return f"<trace>{name}{extra}" + "".join(events) + "</trace>\n"


def event(act: str | None, ts: str | None, extra: str = "") -> str:
    out = "<event>"
    if act is not None:
        out += f'<string key="concept:name" value="{act}"/>'
    if ts is not None:
        out += f'<date key="time:timestamp" value="{ts}"/>'
    return out + extra + "</event>"


# -- the real logs against pm4py ---------------------------------------------------------------


@pytest.mark.parametrize("name", SMALL_LOGS)
def test_counts_equal_pm4py(name):
    path = shared_log(name)
    log = read(path)
    ref = pm4py_frame(path)
    assert log.report.format == "xes"
    assert log.report.formats["xes_reader"] == "numpy"
    assert log.n_events == len(ref) == log.report.rows_read
    assert log.n_cases == ref["case:concept:name"].nunique()
    ours = log.df["concept:name"].value_counts().sort_index()
    theirs = ref["concept:name"].value_counts().sort_index()
    assert ours.to_dict() == theirs.to_dict()
    assert set(ref.columns) <= set(log.df.columns)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BIG_COUNTS))
def test_counts_of_big_logs(name):
    # pm4py.read_xes keeps one row per lifecycle transition: compared unpaired (BPIC12's
    # START/SCHEDULE rows are paired by default, see tests/io/test_lifecycle.py)
    path = shared_log(name)
    log = read(path, pair_lifecycle=False)
    events, cases, some = BIG_COUNTS[name]
    assert (log.n_events, log.n_cases) == (events, cases)
    assert log.df["concept:name"].value_counts().to_dict() == some
    log.report.check()
    if name.startswith("road"):
        assert str(log.df["amount"].dtype) == "float64"
        assert str(log.df["article"].dtype) == "Int64"
        assert log.df.shape[1] == 16


def test_receipt_values_equal_pm4py():
    path = shared_log("receipt_wabo.xes.gz")
    log = read(path)
    ref = pm4py_frame(path)
    key = ["case:concept:name", "concept:instance"]
    ours = log.df.sort_values(key).reset_index(drop=True)
    theirs = ref.sort_values(key).reset_index(drop=True)
    assert (ours["time:timestamp"] == theirs["time:timestamp"].dt.tz_convert("UTC")).all()
    for col in ("case:channel", "case:department", "case:responsible", "org:resource", "org:group"):
        assert ours[col].fillna("<na>").tolist() == theirs[col].astype(object).fillna("<na>").tolist(), col
    for col in ("case:startdate", "case:deadline"):
        a = ours[col]
        b = pd.to_datetime(theirs[col], utc=True)
        assert ((a == b) | (a.isna() & b.isna())).all(), col
    assert log.report.roles["case"] == "concept:name (trace)"
    assert log.report.role_detection["activity"] == "standard"
    assert str(log.df["time:timestamp"].dtype) == "datetime64[us, UTC]"


def test_lxml_fallback_gives_the_same_frame(monkeypatch):
    path = shared_log("receipt_wabo.xes.gz")
    fast = read(path)

    def refuse(*_args):
        raise Unsupported("forced for the test")

    monkeypatch.setattr(xes_mod, "_read_fast", refuse)
    slow = read(path)
    assert slow.report.formats["xes_reader"] == "lxml (forced for the test)"
    pd.testing.assert_frame_equal(fast.df, slow.df)


# -- structure and the report ---------------------------------------------------------------------


def test_report_counts_everything(tmp_path):
    text = xes(
        trace("c1", event("A", "2024-01-01T10:00:00+01:00"), event("B", "2024-01-02T10:00:00+01:00")),
        trace("c2"),  # empty trace
        trace("c1", event("C", "2024-01-03T10:00:00+01:00")),  # same id again
        trace("c3", event("A", None), event(None, "2024-01-01T08:00:00Z"), event("B", "not a date")),
        trace(None, event("A", "2024-01-01T08:00:00Z")),
    )
    log = read(write_text(tmp_path, text))
    r = log.report
    assert r.rows_read == 7
    assert r.empty_traces == 1
    assert r.duplicate_case_ids == 1
    assert r.dropped == {
        "missing case id": 1,
        "missing activity": 1,
        "unparseable timestamp": 1,
        "missing timestamp": 1,
    }
    assert r.dropped_rows["missing timestamp"] == [4]  # 1-based event number in the file
    assert r.dropped_rows["missing case id"] == [7]
    assert log.df["case:concept:name"].tolist() == ["c1", "c1", "c1"]  # merged, as pm4py does
    assert log.df["concept:name"].tolist() == ["A", "B", "C"]
    assert any("empty" in w or "without any event" in w for w in r.warnings)
    r.check()


def test_strict_raises(tmp_path):
    text = xes(trace("c1", event("A", None)))
    with pytest.raises(LogError, match="missing timestamp"):
        pm.read_log(write_text(tmp_path, text), strict=True)


def test_types_escapes_and_trace_attributes(tmp_path):
    ev = event(
        "Prüfung &amp; Entscheid &lt;A&gt; &#233;&#x20AC;",
        "2024-03-01T08:00:00.123+01:00",
        '<int key="n" value="42"/><float key="x" value="1.5E3"/><boolean key="ok" value="true"/>'
        '<id key="uid" value="u-1"/><string key="org:resource" value="Müller &quot;M&quot; &apos;x&apos;"/>',
    )
    text = xes(
        trace(
            "dossier 1",
            ev,
            extra='<string key="commune" value="Sion"/>'
            '<date key="deposit" value="2024-02-01T00:00:00.000+01:00"/>',
        )
    )
    df = read(write_text(tmp_path, text)).df
    row = df.iloc[0]
    assert row["concept:name"] == "Prüfung & Entscheid <A> é€"
    assert row["org:resource"] == "Müller \"M\" 'x'"
    assert row["n"] == 42 and str(df["n"].dtype) == "Int64"
    assert row["x"] == 1500.0 and str(df["x"].dtype) == "float64"
    assert bool(row["ok"]) and str(df["ok"].dtype) == "boolean"
    assert row["uid"] == "u-1"
    assert row["case:commune"] == "Sion"
    assert row["case:deposit"] == pd.Timestamp("2024-01-31T23:00:00Z")
    assert row["time:timestamp"] == pd.Timestamp("2024-03-01T07:00:00.123Z")


def test_naive_dates_use_tz(tmp_path):
    text = xes(trace("c", event("A", "2024-07-01T12:00:00")))
    path = write_text(tmp_path, text)
    assert read(path).df["time:timestamp"][0] == pd.Timestamp("2024-07-01T10:00:00Z")  # Europe/Zurich
    assert read(path, tz="UTC").df["time:timestamp"][0] == pd.Timestamp("2024-07-01T12:00:00Z")


def test_roles_from_other_keys(tmp_path):
    extra = '<string key="label" value="Eingang"/><date key="done" value="2024-01-05T00:00:00Z"/>'
    text = xes(
        trace("c1", event("a1", "2024-01-01T00:00:00Z", extra), extra='<string key="dossier" value="D-7"/>')
    )
    log = read(write_text(tmp_path, text), activity="label", case="dossier", timestamp="done")
    row = log.df.iloc[0]
    assert row["concept:name"] == "Eingang" and row["xes:concept:name"] == "a1"
    assert row["case:concept:name"] == "D-7"
    assert row["time:timestamp"] == pd.Timestamp("2024-01-05T00:00:00Z")
    assert log.report.role_detection["activity"] == "explicit"
    with pytest.raises(LogError, match="no attribute 'nope'"):
        read(write_text(tmp_path, text), activity="nope")


def test_attributes_limit_the_columns():
    log = read(shared_log("helpdesk.xes.gz"), attributes=["customer"])
    assert set(log.df.columns) == {
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "customer",
    }


def test_header_definitions_are_not_events(tmp_path):
    header = (
        '<extension name="Concept" prefix="concept" uri="http://x/concept.xesext"/>'
        '<global scope="event"><string key="concept:name" value="UNKNOWN"/></global>'
        '<classifier name="Activity" keys="concept:name"/>'
        '<float key="meta" value="1.0"><float key="child" value="2.0"/></float>'
    )
    log = read(write_text(tmp_path, xes(trace("c", event("A", "2024-01-01T00:00:00Z")), header=header)))
    assert log.n_events == 1 and "meta" not in log.df.columns and "child" not in log.df.columns
    assert log.report.formats["xes_reader"] == "numpy"


def test_unusual_constructs_fall_back_to_lxml(tmp_path):
    nested = (
        '<list key="tags"><values><string key="t" value="x"/></values></list>'
        '<string key="note" value="n"><string key="sub" value="s"/></string>'
    )
    ev1 = event("A", "2024-01-01T00:00:00Z", nested)
    ev2 = "<event><string key='concept:name' value='B'/><date key='time:timestamp' value='2024-01-02T00:00:00Z'/></event>"
    text = xes(trace("c", ev1, "<!-- a comment <event> inside -->", ev2))
    log = read(write_text(tmp_path, text))
    assert log.report.formats["xes_reader"].startswith("lxml (")
    assert log.df["concept:name"].tolist() == ["A", "B"]
    assert log.df["note"].tolist()[0] == "n"
    assert "tags" not in log.df.columns and "sub" not in log.df.columns
    assert log.report.formats["nested_attributes_skipped"] == 3  # list, its string, the sub string
    assert any("nested attribute" in w for w in log.report.warnings)


def test_comment_and_whitespace_in_values(tmp_path):
    ev = event("A\tB", "2024-01-01T00:00:00Z", '<string key="multi" value="line1\nline2&#10;line3"/>')
    text = xes(trace("c", "<!-- <event> in a comment & more -->", ev))
    log = read(write_text(tmp_path, text))
    assert log.report.formats["xes_reader"] == "numpy"
    assert log.df["concept:name"][0] == "A B"  # XML attribute-value normalisation
    assert log.df["multi"][0] == "line1 line2\nline3"


def test_many_chunks_give_the_same_frame(tmp_path, monkeypatch):
    path = shared_log("helpdesk.xes.gz")
    whole = read(path)
    monkeypatch.setattr("procmine.io._xes_source.CHUNK_BYTES", 200_000)
    monkeypatch.setattr(
        xes_mod,
        "iter_chunks",
        lambda p: __import__("procmine.io._xes_source", fromlist=["x"]).iter_chunks(p, 200_000),
    )
    parts = read(path)
    pd.testing.assert_frame_equal(whole.df, parts.df)


def test_gzip_detected_by_content(tmp_path):
    text = xes(trace("c", event("A", "2024-01-01T00:00:00Z")))
    path = tmp_path / "log.xes"
    path.write_bytes(gzip.compress(text.encode()))
    assert read(path).n_events == 1


# -- lifecycle pairing -----------------------------------------------------------------------------


def _fifo_reference(seq: list[bool]) -> list[tuple[int, int]]:
    open_starts: list[int] = []
    pairs = []
    for i, is_start in enumerate(seq):
        if is_start:
            open_starts.append(i)
        elif open_starts:
            pairs.append((open_starts.pop(0), i))
    return pairs


def test_match_fifo_equals_a_queue():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(0, 30))
        group = np.sort(rng.integers(0, 4, n))
        is_start = rng.random(n) < 0.5
        ms, mc = match_fifo(group, is_start)
        expected = []
        for g in np.unique(group):
            idx = np.flatnonzero(group == g)
            expected += [(idx[a], idx[b]) for a, b in _fifo_reference(is_start[idx].tolist())]
        assert sorted(zip(ms.tolist(), mc.tolist())) == sorted((int(a), int(b)) for a, b in expected)
