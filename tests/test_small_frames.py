"""The small result frames built from numpy blocks equal the pandas constructor's frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine._core.event_times import numpy_frame


def _reference(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v for k, v in columns.items()})


def _blocks(frame: pd.DataFrame) -> list[tuple[str, list[int]]]:
    return [(str(b.dtype), list(b.mgr_locs.as_array)) for b in frame._mgr.blocks]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_numpy_frame_equals_the_constructor(n: int) -> None:
    rng = np.random.default_rng(n)
    tuples = np.empty(n, dtype=object)
    tuples[:] = [("a", "b")] * n
    columns = {
        "source": np.array([f"s{i}" for i in range(n)], dtype=object),
        "count": rng.integers(0, 9, n),
        "median": rng.integers(0, 10**9, n).view("m8[us]"),
        "share": rng.random(n),
        "variant": tuples,
        "cases": rng.integers(0, 9, n).astype(np.int32),
        "flag": rng.random(n) > 0.5,
        "p90": rng.integers(0, 10**9, n).view("m8[us]"),
    }
    got, want = numpy_frame(columns), _reference(columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert _blocks(got) == _blocks(want)
    assert got.columns.dtype == want.columns.dtype


def test_numpy_frame_copies_and_keeps_labels_apart() -> None:
    values = np.arange(3)
    values.flags.writeable = False  # a cached array: the frame gets its own copy
    a = numpy_frame({"x": values})
    b = numpy_frame({"x": values})
    a.loc[0, "x"] = 5
    a.columns.name = "renamed"
    assert values[0] == 0 and b.loc[0, "x"] == 0 and b.columns.name is None


def test_numpy_frame_falls_back_on_other_inputs() -> None:
    columns = {"t": np.array(["2024-01-01"], dtype="M8[us]"), "n": np.array([1.5], dtype=np.float16)}
    pd.testing.assert_frame_equal(numpy_frame(columns), pd.DataFrame(columns), check_exact=True)
