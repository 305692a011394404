"""Report helpers: sums per (bucket, key), top sections with (other), percentiles per bucket."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.stats import OTHER
from analyzer.core.tally import bin_values
from analyzer.offline.reports import Pairs, pair_sums, percentiles, section_sums, top_sections


def series(rows: list[tuple[int, object, int]]) -> Pairs:
    keys = np.array([k for _, k, _ in rows], object if rows and isinstance(rows[0][1], str) else np.int64)
    return Pairs(
        np.array([b for b, _, _ in rows], np.int64), keys, np.array([n for _, _, n in rows], np.int64)
    )


def test_pair_sums_add_up_equal_pairs_sorted_by_bucket_then_bin() -> None:
    parts = [series([(20, 7, 1), (10, 3, 2)]), series([(10, 3, 3), (20, 3, 1)]), series([])]
    buckets, keys, totals = pair_sums(parts)
    assert list(zip(buckets.tolist(), keys.tolist(), totals.tolist(), strict=True)) == [
        (10, 3, 5), (20, 3, 1), (20, 7, 1),
    ]  # fmt: skip
    assert [len(a) for a in pair_sums([])] == [0, 0, 0]


def test_section_sums_add_up_equal_pairs_sorted_by_bucket_then_name() -> None:
    parts = [series([(20, "/b", 1), (10, "/a", 2)]), series([(10, "/a", 3), (20, "/a", 1)]), series([])]
    buckets, codes, hits, names = section_sums(parts)
    assert list(zip(buckets.tolist(), names[codes].tolist(), hits.tolist(), strict=True)) == [
        (10, "/a", 5), (20, "/a", 1), (20, "/b", 1),
    ]  # fmt: skip
    assert names.tolist() == ["/a", "/b"]


def test_top_sections_keep_the_busiest_ties_by_name_then_other() -> None:
    found = section_sums([series([(0, "/c", 2), (0, "/a", 3), (0, "/b", 2), (0, "/d", 1), (10, "/x", 5)])])
    frame = top_sections(*found, limit=2).frame()
    assert frame.to_dict("records") == [
        {"bucket": 0, "section": "/a", "hits": 3},
        {"bucket": 0, "section": "/b", "hits": 2},
        {"bucket": 0, "section": OTHER, "hits": 3},
        {"bucket": 10, "section": "/x", "hits": 5},
    ]
    assert not len(top_sections(*section_sums([]), limit=2))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20), st.integers(1, 50)), min_size=1, max_size=40)
)
def test_percentiles_are_the_nearest_rank_bin_of_each_bucket(rows: list[tuple[int, int, int]]) -> None:
    """Per bucket, the bin holding the ceil(p * n / 100)-th value: numpy's inverted_cdf."""
    buckets, bins, counts = pair_sums([series([(b * 10, k, n) for b, k, n in rows])])
    at = np.array([-10, *np.unique(buckets)])  # a bucket with no counts too
    found = percentiles(buckets, bins.astype(np.int64), counts, bin_values, "size", at)
    for p in (50, 90, 99):
        assert np.isnan(found[f"size_p{p}"][0])
    for row, bucket in enumerate(at[1:], 1):
        expanded = np.repeat(bins[buckets == bucket].astype(np.int64), counts[buckets == bucket])
        for p in (50, 90, 99):
            nearest = int(np.percentile(expanded, p, method="inverted_cdf"))
            assert found[f"size_p{p}"][row] == bin_values(np.array([nearest]))[0]
