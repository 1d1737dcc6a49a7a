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


def _wide_log(rng) -> tuple[str, dict[tuple[int, str], object]]:
    """A sparse log with many keys of every type; also the value expected at (event, column)."""
    kinds = ["string", "int", "float", "date", "boolean", "id"]
    expected: dict[tuple[int, str], object] = {}
    traces, event = [], 0
    for t in range(30):
        tattrs = {}
        for k in range(12):
            if k and rng.random() < 0.6:  # key 0 always, the others sparse (some chunks lack them)
                continue
            kind = kinds[k % 6]
            value = {"string": f"s{rng.integers(5)}", "int": str(int(rng.integers(-9, 99))),
                     "float": f"{rng.random():.3f}", "date": f"2023-0{1 + k % 9}-1{k % 9}T08:00:00Z",
                     "boolean": "true" if rng.random() < 0.5 else "false", "id": f"id-{t}-{k}"}[kind]
            tattrs[f"tk{k:02d}"] = (kind, value)
        body = "".join(f'<{kind} key="{key}" value="{v}"/>' for key, (kind, v) in tattrs.items())
        events = []
        for e in range(int(rng.integers(1, 6))):
            attrs = []
            for k in range(12):
                if rng.random() < 0.7:
                    continue
                kind = kinds[(k + 3) % 6]
                v = {"string": f"v{k}", "int": str(k * 10 + e), "float": f"{k}.25", "date": f"2022-05-0{1 + e}T00:00:00Z",
                     "boolean": "true", "id": f"e{event}"}[kind]
                attrs.append(f'<{kind} key="ek{k:02d}" value="{v}"/>')
                expected[(event, f"ek{k:02d}")] = (kind, v)
            for key, kv in tattrs.items():
                expected[(event, f"case:{key}")] = kv
            events.append(_event("A" if e % 2 else "B", f"2024-01-0{1 + e}T10:00:00Z", "".join(attrs)))
            event += 1
        traces.append(f'<trace><string key="concept:name" value="t{t}"/>{body}{"".join(events)}</trace>\n')
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n' + "".join(traces) + "</log>\n"
    return text, expected


def _as_python(kind: str, v: str) -> object:
    if kind == "int":
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "boolean":
        return v == "true"
    if kind == "date":
        return pd.Timestamp(v)
    return v


def test_sparse_wide_log_same_in_chunks_and_with_lxml(tmp_path, monkeypatch):
    """Sparse keys spread once per column at the end: every value lands on its event, in
    tiny chunks as with the lxml reader; trace attributes reach each event of their trace."""
    import numpy as np

    from procmine.io._xes_scan import Unsupported

    text, expected = _wide_log(np.random.default_rng(7))
    path = tmp_path / "wide.xes"
    path.write_text(text, encoding="utf-8")
    whole = _read(path)
    _tiny_chunks(monkeypatch, 400)
    chunked = _read(path)

    def refuse(*_a, **_k):
        raise Unsupported("forced for the test")

    monkeypatch.setattr(xes_mod, "_read_fast", refuse)
    slow = _read(path)
    assert chunked.report.formats["xes_reader"] == "numpy" and slow.report.formats["xes_reader"].startswith("lxml")
    pd.testing.assert_frame_equal(chunked.df, whole.df)
    pd.testing.assert_frame_equal(slow.df, whole.df)
    df = whole.df
    # sorted by case then time: the file's event number is recovered from the ek ids
    order = {f"t{t}": t for t in range(30)}
    assert df["case:concept:name"].map(order).is_monotonic_increasing
    cols = {c for _, c in expected}
    assert cols <= set(df.columns)
    n = whole.report.rows_read
    assert n == whole.report.rows_kept + sum(whole.report.dropped.values())
    # every expected value is in its column, and the column has no other values
    for col in sorted(cols):
        want = sorted(
            (str(_as_python(*kv)) for (_, c), kv in expected.items() if c == col)
        )
        got = sorted(str(v if not isinstance(v, np.bool_) else bool(v)) for v in df[col].dropna().tolist())
        assert got == want, col


def test_second_read_builds_only_the_mixed_columns(tmp_path, monkeypatch):
    """Keys typed differently across chunks are read again alone, as text typed as a whole;
    the other columns come from the first read, and the frame is the one-chunk frame."""
    path = tmp_path / "mixed.xes"
    path.write_text(_log(), encoding="utf-8")
    whole = _read(path)
    _tiny_chunks(monkeypatch, 300)
    calls: list[tuple[object, frozenset]] = []
    real = xes_mod._read_columns

    def spy(p, wanted, tz, as_text):
        calls.append((None if wanted is None else frozenset(wanted), as_text))
        return real(p, wanted, tz, as_text)

    monkeypatch.setattr(xes_mod, "_read_columns", spy)
    chunked = _read(path)
    assert len(calls) == 2 and calls[0] == (None, frozenset())
    again = calls[1][0]
    assert again == calls[1][1] and {"conflict", "num", "badint", "due"} >= again >= {"conflict"}
    pd.testing.assert_frame_equal(chunked.df, whole.df)
    assert chunked.report.warnings == whole.report.warnings
