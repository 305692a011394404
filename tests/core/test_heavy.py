"""Heavy hitters per second: at most K keys a sealed second, a known bound, split-independent."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.heavy import DROPPED, OPEN, TopPerSecond, flood_cut, truncated

T0 = 1_764_300_000


def test_a_sealed_second_keeps_the_keys_above_its_k_plus_first_count() -> None:
    seconds = np.full(5, T0)
    kept, floors, lost = truncated(seconds, np.arange(5), np.array([9, 1, 5, 5, 2]), keep=2)
    assert sorted(zip(*kept.arrays()[1:], strict=True)) == [(0, 9)]  # 5 and 5 tie at the floor: both out
    assert floors.arrays()[2].tolist() == [5]
    assert lost.arrays()[2].tolist() == [1 + 5 + 5 + 2]  # counted under no key: `(other)`'s


def test_a_misra_gries_step_takes_the_floor_off_the_keys_kept_too() -> None:
    seconds = np.r_[np.full(5, T0), np.full(2, T0 + 1)]
    counts = np.array([9, 1, 5, 4, 2, 3, 3])
    kept, floors, lost = truncated(seconds, np.arange(7), counts, keep=2, over=3, lowered=True)
    assert sorted(zip(*kept.arrays(), strict=True)) == [
        (T0, 0, 9 - 4),
        (T0, 2, 5 - 4),
        (T0 + 1, 5, 3),
        (T0 + 1, 6, 3),
    ]
    assert floors.arrays()[2].tolist() == [4]  # only the second with more than 3 keys is cut
    assert lost.arrays()[2].tolist() == [4 + 1 + 4 + 4 + 2]


def test_a_second_with_few_keys_loses_none() -> None:
    tops = TopPerSecond(keep=3)
    tops.add(np.array([T0, T0, T0 + 1]), np.array([4, 4, 7]))
    tops.seal(T0 + 1)
    assert tops.by_key(T0, T0 + 1, 8).tolist() == [0, 0, 0, 0, 2, 0, 0, 1]
    assert tops.error(T0, T0 + 1) == 0


def test_open_seconds_stay_exact_until_sealed() -> None:
    tops = TopPerSecond(keep=1)
    tops.add(np.array([T0] * 3 + [T0 + 1] * 3), np.array([0, 0, 1, 0, 1, 2]))
    tops.seal(T0)
    assert tops.by_key(T0 + 1, T0 + 1, 3).tolist() == [1, 1, 1]  # not judged yet: every key
    assert tops.by_key(T0, T0, 3).tolist() == [2, 0, 0]
    assert tops.error(T0, T0) == 1


def test_a_late_line_cuts_its_sealed_second_again_and_the_floors_add() -> None:
    tops = TopPerSecond(keep=1)
    tops.add(np.array([T0] * 3), np.array([0, 0, 1]))
    tops.seal(T0)
    tops.add(np.array([T0]), np.array([2]))
    tops.seal(T0 + 1)
    assert tops.by_key(T0, T0, 3).tolist() == [2, 0, 0]
    assert tops.error(T0, T0) == 1 + 1


traffic = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30)), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(traffic, st.integers(2, 8), st.lists(st.integers(0, 300), max_size=6))
def test_counts_are_never_over_and_at_most_the_bound_under_whatever_the_split(
    requests: list[tuple[int, int]], keep: int, cuts: list[int]
) -> None:
    seconds = np.array([T0 + s for s, _ in requests])
    keys = np.array([k for _, k in requests])
    whole, split = TopPerSecond(keep), TopPerSecond(keep)
    whole.add(seconds, keys)
    bounds = [0, *sorted(c % (len(requests) + 1) for c in cuts), len(requests)]
    for low, high in pairwise(bounds):
        split.add(seconds[low:high], keys[low:high])
    whole.seal(T0 + 4)
    split.seal(T0 + 4)
    true = np.bincount(keys, minlength=31)
    found = whole.by_key(T0, T0 + 4, 31)
    assert (found <= true).all() and (true - found <= whole.error(T0, T0 + 4)).all()
    assert (split.by_key(T0, T0 + 4, 31) == found).all()  # the same keys whatever the batches
    per_second = np.bincount(seconds - T0, minlength=5)
    assert whole.error(T0, T0 + 4) <= sum(n // (keep + 1) for n in per_second.tolist())
    assert len(whole.kept) <= 5 * keep


flood = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 150)), min_size=1, max_size=600)


@settings(max_examples=60, deadline=None)
@given(flood, st.lists(st.integers(0, 400), max_size=8))
def test_an_open_second_past_its_size_is_cut_at_once_within_the_same_bound(
    requests: list[tuple[int, int]], cuts: list[int]
) -> None:
    """keep=1: an open second holds at most OPEN keys (and a batch's), whatever the split; the
    counts stay never over, at most the bound under, and the hits dropped are accounted for."""
    seconds = np.array([T0 + s for s, _ in requests])
    keys = np.array([k for _, k in requests])
    tops = TopPerSecond(keep=1)
    bounds = [0, *sorted(c % (len(requests) + 1) for c in cuts), len(requests)]
    for low, high in pairwise(bounds):
        tops.add(seconds[low:high], keys[low:high])
        assert len(tops.fresh) <= 2 * 3 * OPEN  # OPEN keys each, then doubled before it is looked at
    true = np.bincount(keys, minlength=151)
    open_counts = tops.by_key(T0, T0 + 2, 151)
    tops.seal(T0 + 2)
    for found in (open_counts, tops.by_key(T0, T0 + 2, 151)):
        assert (found <= true).all() and (true - found <= tops.error(T0, T0 + 2)).all()
    assert tops.by_key(T0, T0 + 2, 151).sum() + tops.dropped(T0, T0 + 2) == len(requests)
    per_second = np.bincount(seconds - T0, minlength=3)
    assert tops.error(T0, T0 + 2) <= sum(n // 2 for n in per_second.tolist())
    assert len(tops.kept) <= 3


def test_a_flooded_batch_drops_the_keys_at_its_floor_and_the_floor_off_the_others() -> None:
    """keep=1: a second of more than OPEN keys is cut to its OPEN // 2 largest (the next one's
    count is the floor, here 1)."""
    seconds = np.full(OPEN + 10 + 10, T0)
    codes = np.r_[np.arange(OPEN + 10), np.full(10, 9999)].astype(np.int32)  # keys once, 9999 ten times
    found = flood_cut(seconds, codes, keep=1)
    assert found is not None
    assert (found[: OPEN + 10] <= DROPPED).all() and (found[found >= 0] == 9999).sum() == 10 - 1
    assert (DROPPED - found[found < DROPPED]).tolist() == [1]  # one row carries the floor, 1
    assert flood_cut(seconds[:OPEN], codes[:OPEN], keep=1) is None  # OPEN keys: exact


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 150)), min_size=1, max_size=600),
    st.lists(st.integers(0, 600), max_size=5),
)
def test_batches_cut_before_counting_keep_the_bound_and_every_hit(
    requests: list[tuple[int, int]], cuts: list[int]
) -> None:
    """Each batch cut as it comes (`flood_cut`, keep=1) then counted: whatever the split, the
    counts are never over, at most the floors under, plus the hits dropped they are every hit."""
    seconds = np.array([T0 + s for s, _ in requests])
    keys = np.array([k for _, k in requests], np.int32)
    tops = TopPerSecond(keep=1)
    bounds = [0, *sorted(c % (len(requests) + 1) for c in cuts), len(requests)]
    for low, high in pairwise(bounds):
        at, found = seconds[low:high], flood_cut(seconds[low:high], keys[low:high], keep=1)
        found = keys[low:high] if found is None else found
        carriers = found < DROPPED
        tops.add(at[found >= 0], found[found >= 0])
        tops.cut_before(at[found <= DROPPED], at[carriers], DROPPED - found[carriers].astype(np.int64))
    tops.seal(T0 + 1)
    true = np.bincount(keys, minlength=151)
    found_counts = tops.by_key(T0, T0 + 1, 151)
    assert (found_counts <= true).all() and (true - found_counts <= tops.error(T0, T0 + 1)).all()
    assert found_counts.sum() + tops.dropped(T0, T0 + 1) == len(requests)
    per_second = np.bincount(seconds - T0, minlength=2)
    assert tops.error(T0, T0 + 1) <= sum(n // 2 for n in per_second.tolist())
