"""Counting per (second, key): the dense and the sorting ways agree with pandas; bins are tight."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.tally import (
    PERCENTILE_ERROR,
    Triples,
    bin_values,
    duration_bins,
    duration_values,
    grouped,
    size_bins,
)


def as_dict(triples: Triples) -> dict[tuple[int, int], int]:
    """The triples summed per (second, key): batches may hold the same pair more than once."""
    found: dict[tuple[int, int], int] = {}
    for s, k, c in zip(*triples.arrays(), strict=True):
        found[int(s), int(k)] = found.get((int(s), int(k)), 0) + int(c)
    return found


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(0, 10**9)), max_size=60),
    st.sampled_from([0, 10**6, 10**10]),
)
def test_grouped_equals_a_pandas_groupby(rows: list[tuple[int, int, int]], spread: int) -> None:
    """Narrow batches (dense bincount) and wide ones (a sort: seconds far apart) count alike."""
    frame = pd.DataFrame(rows, columns=["second", "key", "weight"], dtype=np.int64)
    frame["second"] = frame["second"] * spread + 1_700_000_000
    seconds, keys = frame["second"].to_numpy(), frame["key"].to_numpy()
    expected = frame.groupby(["second", "key"]).size().to_dict()
    assert as_dict(grouped(seconds, keys)) == expected
    sums = frame.groupby(["second", "key"])["weight"].sum()
    assert as_dict(grouped(seconds, keys, frame["weight"].to_numpy().astype(np.float64))) == {
        k: v for k, v in sums.to_dict().items() if v
    }


def test_triples_add_select_trim_and_remap() -> None:
    triples = grouped(np.array([10, 10, 11, 12]), np.array([0, 1, 1, 2]))
    triples.add(grouped(np.array([12, 13]), np.array([2, 0])))
    assert len(triples) == 6 and triples.total() == 6 and triples.oldest() == 10
    assert triples.by_key(11, 12, 3).tolist() == [0, 1, 2]
    assert triples.by_second(10, 13).tolist() == [2, 1, 2, 1]
    assert triples.within(12, 99) == 3
    keys, counts = triples.select(13, 13)
    assert keys.tolist() == [0] and counts.tolist() == [1]
    triples.trim(keep_after=11)
    assert as_dict(triples) == {(12, 2): 2, (13, 0): 1}
    triples.remap(np.array([-1, -1, 0, -1]))  # code 2 -> 0, the others dropped from the vocabulary
    assert as_dict(triples) == {(12, 0): 2, (13, -1): 1}


def test_the_length_is_counted_as_parts_come_and_follows_every_change() -> None:
    """Added part by part (a warm start's files), merged, trimmed, moved: the length kept as the
    parts change is always the triples held."""
    triples = Triples.empty()
    for second in range(50):
        triples.add(grouped(np.array([second, second]), np.array([0, 1])))
    triples.add(Triples.empty())
    assert len(triples) == 100 == len(triples.arrays()[0]) and len(triples.parts) == 1
    triples.trim(keep_after=9)
    assert len(triples) == 80
    triples.move_to(60)
    triples.add(grouped(np.array([61]), np.array([0])))
    assert len(triples) == 81 == len(triples.arrays()[0])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**50))
def test_a_bin_middle_is_within_the_stated_error_of_any_size_in_it(size: int) -> None:
    middle = float(bin_values(size_bins(np.array([size])))[0])
    assert abs(middle - size) <= PERCENTILE_ERROR * (size + 1)
    assert PERCENTILE_ERROR < 0.011


def test_durations_bin_in_microseconds() -> None:
    seconds = np.array([0.0, 0.000_5, 0.25, 12.0])
    middles = duration_values(duration_bins(seconds))
    assert np.all(np.abs(middles - seconds) <= PERCENTILE_ERROR * (seconds + 1e-6))
