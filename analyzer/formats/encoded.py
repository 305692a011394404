"""A text column as dictionary codes per row and its distinct values: how every text field
travels from the parsers to the frame's categoricals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Encoded:
    """A column as dictionary codes per row (-1: missing) and its distinct values."""

    codes: np.ndarray
    values: pa.Array

    def derive(self, per_value: pa.Array | Encoded, null_if: tuple[str, ...] = ()) -> Encoded:
        """A column computed once per distinct value (e.g. the method of each request), given
        as the values or already encoded (codes per distinct value of this column)."""
        inner = (per_value if isinstance(per_value, Encoded) else dictionary_of(per_value)).without(null_if)
        return Encoded(np.append(inner.codes, -1)[self.codes], inner.values)

    def without(self, null_if: tuple[str, ...]) -> Encoded:
        """The same column with the values in `null_if` missing (they stay in `values`)."""
        if not null_if:
            return self
        dropped = pc.is_in(self.values, value_set=pa.array(null_if, pa.large_string()))
        drop = dropped.to_numpy(zero_copy_only=False)
        if not drop.any():
            return self
        return Encoded(np.append(np.where(drop, -1, np.arange(len(drop))), -1)[self.codes], self.values)

    def subset(self, keep: np.ndarray) -> Encoded:
        """Only the rows at `keep`, the distinct values renumbered by first appearance among them."""
        codes = self.codes[keep]
        used = np.flatnonzero(codes >= 0)
        ordered, distinct = pd.factorize(codes[used])
        codes[used] = ordered
        return Encoded(codes, self.values.take(pa.array(distinct, pa.int64())))

    def categorical(self, keep: np.ndarray) -> pd.Categorical:
        categories = pd.Index(self.values.to_numpy(zero_copy_only=False), dtype=object)
        return trusted_categorical(self.codes[keep], categories)


def trusted_categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """pd.Categorical.from_codes(codes, categories) for codes in range and distinct categories,
    as dictionary encoding gives them, without checking either again: from_codes hashes every
    category to prove them unique (2 ms a column of a 16 MB batch, most of a small one).

    By the constructor pandas itself uses for checked values (private; where this pandas has
    none, the public way). tests/formats/test_encoded.py holds the two equal."""
    trusted_dtype = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    simple_new = getattr(pd.Categorical, "_simple_new", None)
    if trusted_dtype is None or simple_new is None:
        return pd.Categorical.from_codes(codes, categories=categories, validate=False)
    found: pd.Categorical = simple_new(codes, trusted_dtype(categories, ordered=False))
    return found


def encode(values: pa.Array, null_if: tuple[str, ...] = ()) -> Encoded:
    """Dictionary-encode; values in `null_if` become missing.

    RE2 yields "" for an optional group that did not take part (no protocol, no referer),
    so "" is listed wherever a field is optional.
    """
    return dictionary_of(values).without(null_if)


def dictionary_of(values: pa.Array) -> Encoded:
    """Codes per row (-1 for null) and the distinct values in order of first appearance."""
    encoded = pc.dictionary_encode(pc.cast(values, pa.large_string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return Encoded(codes, encoded.dictionary)
