"""The kernels that build a log's integer codes (procmine._core.codes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procmine._core.codes import _string_hashes, activity_codes, all_distinct, contiguous_codes

# short and long ids, empty strings, multi-byte characters: every branch of the word reads
ids = st.text(alphabet=st.sampled_from([*"ab0é_-", "\u20ac", "\U0001f600"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=40), st.booleans(), st.integers(0, 3))
def test_all_distinct_is_exact(values: list[str], large: bool, cut: int) -> None:
    arr = pa.array(values, type=pa.large_string() if large else pa.string())[cut:]  # offset arrays too
    expected = len(set(values[cut:])) == len(values[cut:])
    assert all_distinct(arr) is expected
    rows = np.arange(0, len(arr), 2)
    sub = [values[cut:][i] for i in rows]
    assert all_distinct(arr, rows) is (len(set(sub)) == len(sub))


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, min_size=1, max_size=40))
def test_equal_strings_hash_equal(values: list[str]) -> None:
    # the hash must depend on the string only, not on where it sits in the buffer
    arr = pa.array(values + values[::-1])
    h = _string_hashes(arr)
    assert h is not None
    assert np.array_equal(h[: len(values)], h[len(values) :][::-1])


def test_ids_that_share_their_ends_are_told_apart() -> None:
    # 24-byte-long ids differing only in the middle, and long ones differing past the sampled words
    middle = [f"2024-BAU-{i:06d}-BERN-CH" for i in range(1000)]
    assert all_distinct(pa.array(middle))
    long = [f"PREFIX-{'x' * 20}{i:04d}{'y' * 20}-SUFFIX" for i in range(300)]
    assert all_distinct(pa.array(long))  # equal hashes fall back to the exact check
    assert not all_distinct(pa.array(long + long[:1]))


def test_a_case_in_two_blocks_gets_one_code() -> None:
    s = pd.Series(["c1", "c1", "c2", "c1"], dtype="string[pyarrow]")
    codes, ids = contiguous_codes(s)
    assert codes.tolist() == [0, 0, 1, 0]  # factorize decided: c1 is one case
    assert list(np.asarray(ids)) == ["c1", "c2"]
    assert contiguous_codes(s, fallback=False) is None


def test_activity_codes_follow_sorted_names() -> None:
    values = ["Prüfung", "Antrag", "prüfung", "Écrire", "Antrag"]
    for s in (pd.Series(values, dtype="string[pyarrow]"), pd.Series(values, dtype=object)):
        codes, names = activity_codes(s)
        ref_codes, ref_names = pd.factorize(pd.Series(values, dtype=object), sort=True)
        assert codes.tolist() == ref_codes.tolist()
        assert names.tolist() == list(ref_names)
        assert codes.dtype == np.int32


@pytest.mark.parametrize("name", ["permit_de", "subsidy_fr"])
def test_codes_of_the_samples_match_factorize(name: str) -> None:
    import procmine as pm

    log = pm.samples.load(name)
    c = log.codes
    case_codes, case_ids = pd.factorize(log.df["case:concept:name"], sort=False)
    assert np.array_equal(c.case, case_codes)
    assert list(c.case_ids) == list(case_ids)
    assert c.case_ids.dtype == object
