"""Which case ids and activity names count as missing (io._common._blank)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procmine.io._common import _blank

# white space of every width (ASCII, NBSP, en quad, ideographic space), and look-alikes that are not
chars = st.sampled_from([" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2002", "\u3000", "\u1680",
                         "a", "é", "\u200b", "\ufeff", "\u2028", "0"])
values = st.one_of(st.none(), st.text(alphabet=chars, max_size=6))


def _expected(xs: list[str | None]) -> list[bool]:
    return [x is None or x.strip() == "" for x in xs]


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=30), st.integers(0, 3), st.booleans())
def test_blank_equals_python_strip_on_arrow_strings(xs: list[str | None], cut: int, chunked: bool) -> None:
    arr = pa.array(xs, type=pa.large_string())[cut:]
    if chunked and len(arr) > 2:
        arr = pa.chunked_array([arr[:2], arr[2:]])
    s = pd.Series(pd.arrays.ArrowStringArray(arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])))
    assert _blank(s).tolist() == _expected(xs[cut:])


def test_blank_on_object_and_number_columns() -> None:
    assert _blank(pd.Series([" x", "\u00a0", None, ""], dtype=object)).tolist() == [False, True, True, True]
    assert _blank(pd.Series([1.0, np.nan])).tolist() == [False, True]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["A1", "A2", "Zoé", "Müller", "ĉi"], False),
        (["A1", "A2\u00a0"], True),  # no-break space (copied from a web page)
        (["A1", "\u202fA2"], True),  # narrow no-break space (French typography)
        (["A1", "\tA2"], True),
        (["A1", "A 2"], False),  # inside: part of the id
        (["A1", "", None], False),  # blank or missing: dropped elsewhere, not padding
    ],
)
def test_padding_is_told_in_place_on_arrow_and_on_objects(values, expected):
    import pyarrow as pa

    from procmine.io._blank import padded

    assert padded(pa.array(values, type=pa.large_string())) is expected
    assert padded(pa.chunked_array([pa.array(values[:1]), pa.array(values[1:], type=pa.string())])) is expected
    assert padded(np.array(values, dtype=object)) is expected


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=8))
def test_padding_is_what_the_strip_the_log_applies_would_change(xs):
    """``padded`` says yes exactly when stripping the column (as ``finalize`` then does)
    changes a value that is not blank."""
    from procmine.io._blank import padded

    s = pd.Series(xs, dtype="str")
    kept = s[~_blank(s)]
    changes = bool((kept.str.strip() != kept).any())
    assert padded(pa.array(kept.tolist(), type=pa.large_string())) is changes
