"""The Parquet reader's activity column read with its Parquet dictionary (the codes it
gives are those of Arrow's dictionary encoding of the text), and the case blocks found in a
thread (the same log as without).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import procmine.io._common as common
from procmine._core.codes import dictionary_codes
from procmine.errors import DataQualityWarning
from procmine.io import read_log
from procmine.io._common import ReadOptions
from procmine.io.frame import read_frame
from procmine.io.parquet import _dictionary_guesses, _plain_dictionary


def _frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    acts = np.array(["Eingang", " Prüfung", "Entscheid", "", None, "Versand", "\u00a0"], dtype=object)
    cases = np.sort(rng.integers(0, n // 4, n)).astype(str)
    return pd.DataFrame({
        "Fall": cases,
        "Tätigkeit": acts[rng.integers(0, len(acts), n)],
        "Datum": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "Amt": rng.choice(["A", "B", None], n),
    })


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("large", [False, True])
def test_dictionary_read_gives_the_plain_column_and_its_codes(tmp_path, seed, large):
    df = _frame(seed=seed)
    table = pa.Table.from_pandas(df, preserve_index=False)
    if large:
        table = table.cast(pa.schema([f.with_type(pa.large_string()) if f.type == pa.string() else f
                                      for f in table.schema], metadata=table.schema.metadata))
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=37 + seed)
    fields = _dictionary_guesses(path, ReadOptions())
    assert [f.name for f in fields] == ["Tätigkeit"]
    field = fields[0]
    plain = pq.read_table(path)
    table, got = _plain_dictionary(pq.read_table(path, read_dictionary=[field.name]), field)
    assert table.equals(plain) and table.schema.equals(plain.schema, check_metadata=True)
    codes, dictionary = dictionary_codes(plain.column(field.name))
    assert got is not None and np.array_equal(got[0], codes) and got[0].dtype == codes.dtype
    assert got[1].equals(dictionary)


def test_guesses_only_text_columns_named_once(tmp_path):
    df = _frame()
    path = tmp_path / "a.parquet"
    df.assign(Tätigkeit=np.arange(len(df))).to_parquet(path)  # not text: no dictionary read
    assert _dictionary_guesses(path, ReadOptions()) == []
    df.rename(columns={"Tätigkeit": "Bemerkung"}).to_parquet(path)  # no header names it
    assert _dictionary_guesses(path, ReadOptions()) == []
    assert [f.name for f in _dictionary_guesses(path, ReadOptions(activity="Bemerkung"))] == ["Bemerkung"]
    # the lifecycle column too, by its header or named; never one column twice
    df.assign(**{"lifecycle:transition": "complete"}).to_parquet(path)
    assert [f.name for f in _dictionary_guesses(path, ReadOptions())] == ["Tätigkeit", "lifecycle:transition"]
    assert [f.name for f in _dictionary_guesses(path, ReadOptions(lifecycle="Tätigkeit"))] == ["Tätigkeit"]


def _lifecycle_frame(words: tuple[str, str], seed: int) -> pd.DataFrame:
    """A log of one start and one complete row per step, some rows without a word."""
    rng = np.random.default_rng(seed)
    rows = []
    for case in range(60):
        t = pd.Timestamp("2024-03-01 08:00") + pd.Timedelta(days=case)
        for step in rng.choice(["Eingang", "Prüfung", "Entscheid"], int(rng.integers(1, 4))):
            rows.append((f"F{case:03d}", step, t, words[0]))
            t += pd.Timedelta(minutes=int(rng.integers(5, 90)))
            rows.append((f"F{case:03d}", step, t, words[1] if rng.random() > 0.05 else None))
            t += pd.Timedelta(hours=int(rng.integers(1, 30)))
    return pd.DataFrame(rows, columns=["Fall", "Tätigkeit", "Zeit", "Lebenszyklus"])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("words", [("Start", "Ende"), ("start", "complete")])
def test_lifecycle_column_read_with_its_dictionary_pairs_as_the_plain_column(tmp_path, seed, words):
    """The lifecycle words come with their Parquet codes: the pairing is that of the
    column read as text."""
    df = _lifecycle_frame(words, seed)
    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        plain = read_frame(pq.read_table(path).to_pandas(), ReadOptions(), source=str(path), fmt="parquet")
        fast = read_log(path)
    assert "start_timestamp" in fast.df.columns
    pd.testing.assert_frame_equal(fast.df, plain.df, check_exact=True)
    assert vars(fast.report) == vars(plain.report)


def test_single_word_lifecycle_column_is_told_by_its_dictionary(tmp_path, monkeypatch):
    """A complete-only column is known from its dictionary, not by comparing every row."""
    import procmine.io._lifecycle as lifecycle

    df = _frame(4000, seed=3).dropna(subset=["Tätigkeit"]).assign(**{"lifecycle:transition": "complete"})
    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=900)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected = read_log(path)

        def compared(arr):
            raise AssertionError("every row compared")

        monkeypatch.setattr(lifecycle, "_only_value", compared)
        got = read_log(path)
    pd.testing.assert_frame_equal(got.df, expected.df, check_exact=True)
    assert got.report.formats.get("lifecycle") == expected.report.formats.get("lifecycle")


@pytest.mark.parametrize("case", [None, "Amt"])
def test_read_with_case_blocks_thread_equals_plain_route(tmp_path, monkeypatch, case):
    """Case blocks from a thread, for the detected case column or one the caller names."""
    df = _frame(4000, seed=9)
    df["Amt"] = df["Amt"].fillna("C")
    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=700)
    opts = ReadOptions(case=case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        monkeypatch.setattr(common.CaseBlocks, "MIN_ROWS", 10**12)
        plain = read_frame(pq.read_table(path).to_pandas(), opts, source=str(path), fmt="parquet")
        monkeypatch.setattr(common.CaseBlocks, "MIN_ROWS", 0)
        fast = read_log(path, case=case)
    pd.testing.assert_frame_equal(fast.df, plain.df, check_exact=True)
    assert vars(fast.report) == vars(plain.report)
    for name in ("case", "activity", "case_offsets", "ts", "activity_names", "case_ids"):
        assert np.array_equal(getattr(fast.codes, name), getattr(plain.codes, name)), name


@pytest.mark.parametrize("seed", range(40))
def test_run_sort_of_duplicate_candidates_is_the_lexsort(seed):
    from procmine.io._common import _by_case_time_activity

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    case, ts, act = (rng.integers(0, k, n) for k in (4, 3, 5))
    if seed % 3:  # as in a sorted log: case, then time in order
        o = np.lexsort((ts, case))
        case, ts = case[o], ts[o]
    idx = np.sort(rng.choice(10 * n + 1, n, replace=False))
    got = _by_case_time_activity(idx, case, ts, act)
    assert np.array_equal(got, idx[np.lexsort((act, ts, case))])


@pytest.mark.parametrize("seed", range(30))
def test_codes_of_dictionary_columns_in_any_order(seed):
    """Dictionaries in another order than first appearance, with unused or missing values,
    chunks with dictionaries of their own: the codes of Arrow's encoding of the text."""
    rng = np.random.default_rng(seed)
    words = ["a", "b", "c", "dd", "é"]
    chunks = []
    for _ in range(int(rng.integers(1, 5))):
        k = int(rng.integers(1, len(words) + 1))
        dictionary = pa.array(list(rng.permutation(words)[:k]), pa.string())
        n = int(rng.integers(0, 12))
        idx = pa.array(rng.integers(0, k, n), pa.int32(), mask=rng.random(n) < 0.2 if seed % 2 else None)
        chunks.append(pa.DictionaryArray.from_arrays(idx, dictionary))
    column = pa.chunked_array(chunks, type=pa.dictionary(pa.int32(), pa.string()))
    if not len(column):
        return
    field = pa.field("activity", pa.large_string())
    table, got = _plain_dictionary(pa.table({"activity": column}), field)
    plain = column.cast(pa.large_string())
    assert table.column(0).equals(plain) and table.schema.field(0) == field
    codes, dictionary = dictionary_codes(plain)
    assert got is not None and np.array_equal(got[0], codes) and got[1].equals(dictionary)


@pytest.mark.parametrize("text", [pa.string(), pa.large_string()])
def test_read_log_of_string_and_large_string_activities(tmp_path, monkeypatch, text):
    import procmine.io.frame as frame

    monkeypatch.setattr(frame, "_KEEP_CODES_FROM", 0)  # the activity checks by the kept codes
    df = _frame(3000, seed=4).rename(columns={"Fall": "case:concept:name", "Tätigkeit": "concept:name",
                                              "Datum": "time:timestamp"})
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.cast(pa.schema([f.with_type(text) if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                                  else f for f in table.schema], metadata=table.schema.metadata))
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        plain = read_frame(pq.read_table(path).to_pandas(), ReadOptions(), source=str(path), fmt="parquet")
        fast = read_log(path)
    pd.testing.assert_frame_equal(fast.df, plain.df, check_exact=True)
    assert vars(fast.report) == vars(plain.report)
    for name in ("case", "activity", "case_offsets", "ts", "activity_names", "case_ids"):
        assert np.array_equal(getattr(fast.codes, name), getattr(plain.codes, name)), name


def _awkward_tables() -> list[pa.Table]:
    """Tables whose pandas metadata shapes the frame: a range index that does not start at
    0, a stored index, column labels that are not text, a categorical, nullable integers,
    dates with a zone, text with missing values, several chunks; and no metadata at all."""
    df = _frame(300, seed=3)
    df["n"] = pd.array(np.arange(300) % 7, dtype="Int64")
    df["kat"] = pd.Categorical(np.where(np.arange(300) % 3, "x", "y"))
    df["Datum"] = df["Datum"].dt.tz_localize("Europe/Zurich")
    chunked = pa.concat_tables([pa.Table.from_pandas(df.iloc[:120], preserve_index=False),
                                pa.Table.from_pandas(df.iloc[120:], preserve_index=False)])
    numbered = df.iloc[:, :3].set_axis([0, 1, 2], axis=1)
    return [
        chunked,
        pa.Table.from_pandas(df.set_axis(pd.RangeIndex(5, 305), axis=0)),
        pa.Table.from_pandas(df.set_index("Fall")),  # index stored as a column: converted whole
        pa.Table.from_pandas(numbered, preserve_index=False),
        pa.Table.from_pandas(df.set_axis(pd.MultiIndex.from_product([["a"], df.columns]), axis=1),
                             preserve_index=False),
        pa.table({"a": [1, 2], "b": ["x", None]}),  # no pandas metadata
        pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"]),  # a repeated name
    ]


@pytest.mark.parametrize("i", range(7))
def test_column_by_column_conversion_is_arrows_own(i, monkeypatch):
    from procmine.io import parquet
    from procmine.io.parquet import _to_pandas

    monkeypatch.setattr(parquet, "WHOLE_BELOW", 0)  # small tables are converted whole: not here
    table = _awkward_tables()[i]
    expected = table.to_pandas()
    held = [table]
    got = _to_pandas(held)
    assert held == []  # taken over: the caller holds no reference to the whole table
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
