"""Encoded text columns: codes per row into distinct values, derived columns, categoricals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats import encoded
from analyzer.formats.encoded import Encoded, dictionary_of, encode, trusted_categorical


def strings(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.large_string())


def test_encode_codes_values_and_null_if() -> None:
    """encode gives a code per row into the distinct values; nulls and `null_if` values are -1."""
    encoded = encode(strings(["a", "-", "b", None, "a", ""]), ("-", ""))
    values = encoded.values.to_pylist()
    decoded = [values[code] if code >= 0 else None for code in encoded.codes]
    assert decoded == ["a", None, "b", None, "a", None]
    assert encoded.codes.dtype == np.int64


def test_derive_computes_once_per_value_and_keeps_missing_rows_missing() -> None:
    """derive maps a per-distinct-value column back to the rows; missing rows and null_if values are -1."""
    requests = encode(strings(["GET /a HTTP/1.1", "-", "POST /b", None, "GET /a HTTP/1.1"]), ("-",))
    methods = requests.derive(pc.utf8_slice_codeunits(requests.values, 0, 4), ("POST",))
    values = methods.values.to_pylist()
    decoded = [values[code] if code >= 0 else None for code in methods.codes]
    assert decoded == ["GET ", None, None, None, "GET "]
    assert len(methods.codes) == len(requests.codes)


def test_derive_from_values_already_encoded_equals_derive_from_the_values() -> None:
    """A per-value column given as an Encoded (as the kernel's cuts give it) derives the same."""
    requests = encode(strings(["GET /a", "-", "POST /b", None, "GET /a", "PUT /c"]), ("-",))
    methods = pc.utf8_slice_codeunits(requests.values, 0, 3)
    for null_if in ((), ("POS",)):
        from_values = requests.derive(methods, null_if)
        from_encoded = requests.derive(dictionary_of(methods), null_if)
        assert from_values.codes.tolist() == from_encoded.codes.tolist()
        assert from_values.values.to_pylist() == from_encoded.values.to_pylist()
    assert isinstance(from_encoded, Encoded)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=5), unique=True, max_size=300), st.data())
def test_a_trusted_categorical_is_what_from_codes_builds(values: list[str], data: st.DataObject) -> None:
    """Distinct categories (any number: int8 and int16 codes), codes in range or -1 (missing)."""
    codes = np.array(data.draw(st.lists(st.integers(-1, len(values) - 1), max_size=50)), np.int64)
    categories = pd.Index(values, dtype=object)
    checked = pd.Categorical.from_codes(codes, categories=categories)
    trusted = trusted_categorical(codes, categories)
    pd.testing.assert_extension_array_equal(trusted, checked)
    assert trusted.dtype == checked.dtype and trusted.codes.dtype == checked.codes.dtype
    assert trusted.categories.dtype == checked.categories.dtype and not trusted.ordered


def test_a_pandas_without_the_private_constructor_gets_from_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As if this pandas had no `_from_fastpath` (the module's lookups of it find nothing)."""
    monkeypatch.setattr(encoded, "getattr", lambda owner, name, default: default, raising=False)
    found = trusted_categorical(np.array([1, -1, 0]), pd.Index(["a", "b"], dtype=object))
    expected = pd.Categorical(["b", None, "a"], categories=pd.Index(["a", "b"], dtype=object))
    pd.testing.assert_extension_array_equal(found, expected)
