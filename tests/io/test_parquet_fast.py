"""The Parquet read's fast paths give exactly the frame and report of the plain route.

The plain route is what ``read_parquet`` did before: pandas' own conversion of the whole
table (``to_pandas``), then :func:`read_frame`. The log below has unsorted rows, several
row groups (so Arrow columns of several chunks), exact duplicates, blank case ids and
activities, missing and unparseable-free NaT times, a lifecycle column with start and
complete rows and nullable integer columns.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from procmine._core.codes import activity_codes, column_codes, contiguous_codes, dictionary_codes
from procmine.errors import DataQualityWarning
from procmine.io import read_log
from procmine.io._common import ReadOptions
from procmine.io.frame import read_frame
from procmine.log import ACTIVITY, CASE

ROW_GROUP = 37  # rows per row group: many chunks, boundaries inside cases


def _events(n_cases: int = 60, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    t0 = pd.Timestamp("2024-03-01 08:00")
    for k in range(n_cases):
        case = f"F-{rng.integers(0, 10**6):06d}-{k}"
        t = t0 + pd.Timedelta(hours=int(rng.integers(0, 500)))
        for step in range(int(rng.integers(1, 7))):
            act = ["Eingang", " Prüfung", "Entscheid", "Versand"][step % 4]
            t += pd.Timedelta(minutes=int(rng.integers(0, 3)) * 30)  # ties in time
            if rng.random() < 0.4:  # a step recorded as start and complete rows
                rows.append((case, act, t, "start", rng.integers(1, 5)))
                t += pd.Timedelta(minutes=45)
            rows.append((case, act, t, "complete", rng.integers(1, 5)))
    df = pd.DataFrame(rows, columns=["case", "activity", "time", "lifecycle:transition", "Amt"])
    df["Betrag"] = pd.array(rng.integers(0, 1000, len(df)), dtype="Int64")
    df.loc[rng.random(len(df)) < 0.2, "Betrag"] = pd.NA
    df.loc[: 2 * ROW_GROUP, "Betrag"] = pd.NA  # whole row groups without a value
    df["Punkte"] = pd.array(rng.integers(0, 9, len(df)), dtype="UInt8")
    df["Gebühr"] = np.where(rng.random(len(df)) < 0.3, np.nan, rng.random(len(df)) * 100)
    df["Amt"] = df["Amt"].astype("str")
    # exact duplicates, blank ids and names, missing times
    df = pd.concat([df, df.iloc[[3, 4, 10, 10]]], ignore_index=True)
    df.loc[[5, 17], "case"] = ["", "  "]
    df.loc[[8, 9], "activity"] = [None, " \u00a0"]
    df.loc[[12, 30], "time"] = pd.NaT
    return df


def _write(df: pd.DataFrame, path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=ROW_GROUP)


def _plain_route(path) -> object:
    """``read_parquet`` before the fast paths: pandas' conversion, then ``read_frame``
    (with the case blocks computed by ``EventLog`` itself, not in a thread)."""
    import procmine.io._common as common

    df = pq.read_table(path).to_pandas()
    before = common.CaseBlocks.MIN_ROWS
    common.CaseBlocks.MIN_ROWS = 10**12
    try:
        return read_frame(df, ReadOptions(), source=str(path), fmt="parquet")
    finally:
        common.CaseBlocks.MIN_ROWS = before


def _same_log(path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        fast, plain = read_log(path), _plain_route(path)
    pd.testing.assert_frame_equal(fast.df, plain.df, check_exact=True)
    assert list(fast.df.dtypes) == list(plain.df.dtypes)
    assert vars(fast.report) == vars(plain.report)
    for name in ("case", "activity", "case_offsets", "ts", "start_ts", "activity_names", "case_ids"):
        a, b = getattr(fast.codes, name), getattr(plain.codes, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    # the codes against pandas' factorize of the frame
    c, names = pd.factorize(fast.df[CASE].astype(object), sort=False)
    assert np.array_equal(fast.codes.case, c) and list(fast.codes.case_ids) == list(names)
    a, acts = pd.factorize(fast.df[ACTIVITY].astype(object), sort=True)
    assert np.array_equal(fast.codes.activity, a) and list(fast.codes.activity_names) == list(acts)


@pytest.fixture(params=["dictionary", "rows"], autouse=True)
def _activity_checks(request, monkeypatch):
    """Both ways of checking activity names: by the column's dictionary codes (logs of
    100,000 rows or more) and row by row."""
    import procmine.io.frame as frame

    monkeypatch.setattr(frame, "_KEEP_CODES_FROM", 0 if request.param == "dictionary" else 10**12)


@pytest.fixture(params=["thread", "log"], autouse=True)
def _case_blocks(request, monkeypatch):
    """Both ways of finding the case blocks: in a thread while the reader goes on (logs
    of 100,000 rows or more), and by ``EventLog`` itself."""
    import procmine.io._common as common

    monkeypatch.setattr(common.CaseBlocks, "MIN_ROWS", 0 if request.param == "thread" else 10**12)


def test_unsorted_log_with_bad_rows_and_lifecycle(tmp_path):
    df = _events().sample(frac=1.0, random_state=3).reset_index(drop=True)
    path = tmp_path / "unsorted.parquet"
    _write(df, path)
    assert pq.ParquetFile(path).metadata.num_row_groups > 3
    _same_log(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        r = read_log(path).report
    assert r.rows_read == len(df) == r.rows_kept + sum(r.dropped.values())
    assert r.duplicates > 0 and r.formats["lifecycle"]["paired"] > 0
    assert {"missing case id", "missing activity", "missing timestamp"} <= set(r.dropped)


def test_sorted_log_keeps_file_order(tmp_path):
    df = _events(seed=11)
    df = df[df["case"].str.strip() != ""].sort_values(["case", "time"], kind="stable")
    df = df[df["lifecycle:transition"] == "complete"].drop(columns="lifecycle:transition")
    path = tmp_path / "sorted.parquet"
    _write(df.reset_index(drop=True), path)
    _same_log(path)


def test_sorted_log_with_time_going_back_or_a_case_in_two_blocks(tmp_path):
    df = _events(seed=13)
    df = df[(df["case"].str.strip() != "") & (df["lifecycle:transition"] == "complete")]
    df = df.drop(columns="lifecycle:transition").sort_values(["case", "time"], kind="stable").reset_index(drop=True)
    back = df.copy()
    back.loc[[4, 5], "time"] = back.loc[[5, 4], "time"].to_numpy()  # inside one case or across two
    _write(back, tmp_path / "back.parquet")
    _same_log(tmp_path / "back.parquet")
    split = pd.concat([df, df.iloc[:3]], ignore_index=True)  # the first case again at the end
    _write(split, tmp_path / "split.parquet")
    _same_log(tmp_path / "split.parquet")


def test_complete_only_lifecycle(tmp_path):
    df = _events(seed=5)
    df["lifecycle:transition"] = "complete"
    path = tmp_path / "complete.parquet"
    _write(df, path)
    _same_log(path)


@pytest.mark.parametrize("text", ["large_string", "string"])
def test_case_blocks_started_on_the_arrow_column_are_the_frames(tmp_path, monkeypatch, request, text):
    """The reader starts the case blocks on the Arrow column before the frame is built; the
    frame's case column then holds the very same data (a file of plain strings, as Spark or
    DuckDB write it, is cast first as pandas would), so the blocks are used, not started
    again; the log is the plain route's either way."""
    import procmine.io._common as common

    df = _events(seed=17)
    df = df[df["case"].str.strip() != ""].sort_values(["case", "time"], kind="stable").reset_index(drop=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    i = table.column_names.index("case")
    table = table.set_column(i, pa.field("case", getattr(pa, text)()), table.column(i).cast(getattr(pa, text)()))
    path = tmp_path / f"{text}.parquet"
    pq.write_table(table, path, row_group_size=ROW_GROUP)
    started: list[object] = []
    real_init = common.CaseBlocks.__init__

    def counted(self, values):
        started.append(values)
        real_init(self, values)

    import procmine.io.parquet as parquet

    at_frame: list[int] = []
    real_frame = parquet.read_frame

    def frame(*args, **kwargs):
        at_frame.append(len(started))
        return real_frame(*args, **kwargs)

    monkeypatch.setattr(common.CaseBlocks, "__init__", counted)
    monkeypatch.setattr(parquet, "read_frame", frame)
    _same_log(path)
    if "thread" in request.node.name:
        # started before the frame existed, and used: read_log's only one (the plain route computes none)
        assert at_frame == [1] and len(started) == 1


def test_case_blocks_of_a_wrong_guess_are_not_used(tmp_path, monkeypatch):
    """When the case id is found in another column than the reader guessed from the header,
    the blocks of the guessed column are left aside and the log is still right."""
    import procmine.io.parquet as parquet

    df = _events(seed=19)
    path = tmp_path / "guess.parquet"
    _write(df, path)
    real = parquet._guess
    monkeypatch.setattr(parquet, "_guess", lambda schema, given, role: real(schema, "Amt" if role == "case" else given, role))
    _same_log(path)


def _chunked(values: list, cuts: list[int]) -> pa.ChunkedArray:
    bounds = [0, *cuts, len(values)]
    return pa.chunked_array(
        [pa.array(values[i:j], pa.large_string()) for i, j in itertools.pairwise(bounds)], type=pa.large_string()
    )


@pytest.mark.parametrize("seed", range(40))
def test_codes_of_chunked_columns_match_factorize(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    values = rng.choice(["a", "b", "c", "dd", "", None], size=n).tolist()
    if seed % 2:
        values = sorted(values, key=str)  # in blocks: the contiguous path
    cuts = sorted(rng.integers(0, n + 1, size=int(rng.integers(0, 6))).tolist())
    arr = _chunked(values, cuts)

    codes, dictionary = dictionary_codes(arr)
    ref, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    assert codes.tolist() == ref.tolist() and dictionary.to_pylist() == list(uniques)
    s = pd.Series(pd.arrays.ArrowStringArray(arr, dtype=pd.StringDtype("pyarrow", np.nan)))
    codes, names = column_codes(s)
    assert codes.tolist() == ref.tolist() and names.tolist() == list(uniques)

    full = [v if v is not None else "z" for v in values]
    s = pd.Series(pd.arrays.ArrowStringArray(_chunked(full, cuts), dtype=pd.StringDtype("pyarrow", np.nan)))
    codes, ids = contiguous_codes(s)
    ref, uniques = pd.factorize(pd.Series(full, dtype=object))
    ids = ids if isinstance(ids, np.ndarray) else ids.to_numpy()
    assert codes.tolist() == ref.tolist() and list(ids) == list(uniques)
    codes, names = activity_codes(s)
    ref, uniques = pd.factorize(pd.Series(full, dtype=object), sort=True)
    assert codes.tolist() == ref.tolist() and names.tolist() == list(uniques)


@pytest.mark.parametrize("seed", range(30))
def test_duplicates_count_is_pandas_duplicated(seed):
    from procmine.io._common import _count_duplicates

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 150))
    df = pd.DataFrame({
        CASE: rng.choice(["a", "b", "c"], n),
        ACTIVITY: rng.choice(["x", "y"], n),
        "time:timestamp": pd.to_datetime(rng.integers(0, 4, n), unit="h", utc=True),
        "r": pd.array(rng.choice(["u", "v", None], n), dtype="str"),
        "f": rng.choice([1.0, np.nan, 0.0, -0.0], n),
        "i": pd.array(rng.choice([1, 2, None], n), dtype="Int64"),
        "o": rng.choice(np.array([None, np.nan, "k"], dtype=object), n),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = read_log(df)
    assert _count_duplicates(log) == int(log.df.duplicated().sum())


def test_string_hashes_of_a_whole_array_match_its_rows():
    """The hash of a compact array (bytes copied with padding) equals the clipped one."""
    from procmine._core.codes import _string_hashes

    rng = np.random.default_rng(0)
    for t in range(100):
        n = int(rng.integers(1, 40))
        vals = ["".join(rng.choice(list("abéxyz0123"), size=int(rng.integers(0, 30)))) for _ in range(n)]
        arr = (pa.array(vals, pa.large_string()) if t % 2 else pa.array(vals)).slice(int(rng.integers(0, n)))
        if len(arr):
            assert np.array_equal(_string_hashes(arr), _string_hashes(arr, np.arange(len(arr))))
