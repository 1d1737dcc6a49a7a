"""The XES reader types columns chunk by chunk: where the chunks are cut never changes the result."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

import procmine as pm
from procmine.errors import DataQualityWarning, LogError
from procmine.io import _xes_source
from procmine.io import xes as xes_mod
from procmine.io._xes_columns import merge_counts


def _read(path: Path) -> pm.EventLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return pm.read_log(path)


def _tiny_chunks(monkeypatch, size: int = 300) -> None:
    monkeypatch.setattr(xes_mod, "iter_chunks", lambda p: _xes_source.iter_chunks(p, size))


def _event(act: str, ts: str, extra: str = "") -> str:
    return (
        f'<event><string key="concept:name" value="{act}"/>'
        f'<date key="time:timestamp" value="{ts}"/>{extra}</event>'
    )


def _log() -> str:
    traces = []
    for i in range(40):
        late = i >= 30
        ev = _event("A", f"2024-01-{i % 28 + 1:02d}T10:00:00Z")
        extra = ""
        extra += '<int key="conflict" value="7"/>' if not late else '<string key="conflict" value="x"/>'
        num = 2**53 + 1 if i == 0 else i  # not a float: rounded as when parsed as one
        extra += f'<int key="num" value="{num}"/>' if not late else f'<float key="num" value="{i}.5"/>'
        extra += '<int key="badint" value="3"/>' if i != 35 else '<int key="badint" value="three"/>'
        if late:
            extra += f'<int key="late" value="{i}"/>'
        extra += (
            '<date key="due" value="2024-02-01T00:00:00Z"/>' if i != 33 else '<date key="due" value="soon"/>'
        )
        if i % 7 == 0:
            extra += '<string key="twice" value="a"/><string key="twice" value="b"/>'
        ev2 = _event("B", f"2024-01-{i % 28 + 1:02d}T11:00:00Z", extra)
        case = f"c{i % 35}"  # the last five traces repeat earlier ids
        tattr = '<string key="region" value="Nord"/>' if i >= 20 else ""
        traces.append(f'<trace><string key="concept:name" value="{case}"/>{tattr}{ev}{ev2}</trace>\n')
    traces.insert(10, '<trace><string key="concept:name" value="empty"/></trace>\n')
    return '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n' + "".join(traces) + "</log>\n"


def test_tiny_chunks_give_the_same_frame_and_report(tmp_path, monkeypatch):
    path = tmp_path / "log.xes"
    path.write_text(_log(), encoding="utf-8")
    whole = _read(path)
    _tiny_chunks(monkeypatch)
    assert len(list(_xes_source.iter_chunks(path, 300))) > 30
    parts = _read(path)
    pd.testing.assert_frame_equal(whole.df, parts.df)
    assert vars(whole.report) == vars(parts.report)
    df, r = parts.df, parts.report
    assert str(df["num"].dtype) == "float64"  # int in the first chunks, float later
    assert df["num"].max() == float(2**53)
    assert str(df["late"].dtype) == "Int64" and df["late"].notna().sum() == 10  # only in late chunks
    assert str(df["conflict"].dtype) == "str" and set(df["conflict"].dropna()) == {"7", "x"}
    assert str(df["badint"].dtype) == "str"
    assert (
        str(df["due"].dtype) == "datetime64[us, UTC]" and df["due"].isna().sum() == 41
    )  # on B events only, one bad
    assert df["case:region"].notna().sum() == 40  # trace attribute from trace 20 on
    assert r.duplicate_case_ids == 5 and r.empty_traces == 1
    assert sum("mixed types" in w for w in r.warnings) == 1
    assert sum("'badint'" in w and "kept as text" in w for w in r.warnings) == 1
    assert "6 event(s) carry the key 'twice' more than once; the last value is kept" in r.warnings
    assert "1 value(s) of the date attribute 'due' cannot be parsed and are left empty" in r.warnings


def test_truncated_gzip_is_an_error_with_many_chunks(tmp_path, monkeypatch):
    data = gzip.compress(_log().encode() * 1)
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    _tiny_chunks(monkeypatch)
    with pytest.raises(LogError) as err:
        _read(path)
    assert "cut.xes.gz" in str(err.value)


def test_cut_after_a_trace_is_an_error_with_many_chunks(tmp_path, monkeypatch):
    text = _log()
    cut = text.index("</trace>", len(text) // 2) + len("</trace>")
    path = tmp_path / "cut.xes"
    path.write_text(text[:cut], encoding="utf-8")
    _tiny_chunks(monkeypatch)
    with pytest.raises(LogError):
        _read(path)


def test_merge_counts():
    assert merge_counts(["3 x", "plain", "1,000 x", "2 y", "plain"]) == ["1,003 x", "plain", "2 y"]


def test_arrow_pool_is_restored(tmp_path):
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    path = tmp_path / "log.xes"
    path.write_text(_log(), encoding="utf-8")
    _read(path)
    assert pa.default_memory_pool().backend_name == before
    path.write_text("<log><!DOCTYPE x></log>", encoding="utf-8")
    with pytest.raises(LogError):
        _read(path)
    assert pa.default_memory_pool().backend_name == before
