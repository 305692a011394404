"""The backtest's 10 s reports from summed counts: top sections, size and duration percentiles.

Pure numpy over sorted (bucket, key) arrays, so closing a report costs a few array passes,
not a pandas groupby per report (the parent process of a backtest does this for every chunk).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analyzer.core.stats import OTHER, PERCENTILES
from analyzer.core.tally import duration_bins, percentile_bins

# (bucket, key) -> count with no row: a log without request times has no duration counts.
NO_COUNTS = pd.Series(
    np.zeros(0, np.int64), index=pd.MultiIndex.from_arrays([[], []], names=["bucket", "key"]), name="hits"
)


def pair_sums(parts: list[pd.Series]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket, key) -> total over the parts, as sorted arrays: buckets, keys, totals."""
    buckets = np.concatenate(
        [np.zeros(0, np.int64)] + [s.index.get_level_values(0).to_numpy(np.int64) for s in parts]
    )
    if len(buckets) == 0:
        return buckets, np.zeros(0, object), np.zeros(0, np.int64)
    keys = np.concatenate([part.index.get_level_values(1).to_numpy() for part in parts])
    counts = np.concatenate([part.to_numpy(np.int64) for part in parts])
    if keys.dtype.kind in "iu" and len(keys):  # size or duration bins: one integer key to sort
        width = int(keys.max()) + 1
        order = np.argsort((buckets - buckets.min()) * width + keys, kind="stable")
        codes, labels = keys.astype(np.int64), np.arange(width)
    else:
        codes, labels = pd.factorize(keys, sort=True)
        order = np.lexsort((codes, buckets))
    buckets, codes, counts = buckets[order], codes[order], counts[order]
    starts = np.flatnonzero(np.r_[True, (buckets[1:] != buckets[:-1]) | (codes[1:] != codes[:-1])])
    return (
        buckets[starts],
        np.asarray(labels, dtype=keys.dtype)[codes[starts]],
        np.add.reduceat(counts, starts),
    )


def top_sections(buckets: np.ndarray, sections: np.ndarray, hits: np.ndarray, limit: int) -> pd.DataFrame:
    """Per bucket the `limit` busiest sections (ties by name) and one (other) row for the rest.

    The arrays are sorted by bucket, then section name.
    """
    names = sections.astype(str)
    order = np.lexsort((-hits, buckets))  # stable: equal hits keep the name order
    buckets, names, hits = buckets[order], names[order], hits[order]
    first = (
        np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]]) if len(buckets) else np.zeros(0, np.int64)
    )
    rank = np.arange(len(buckets)) - np.repeat(first, np.diff(np.r_[first, len(buckets)]))
    top = rank < limit
    over = np.flatnonzero(rank == limit)  # the first row past the top, in each bucket that has one
    group = np.searchsorted(first, np.flatnonzero(~top), side="right") - 1
    rest = np.bincount(group, weights=hits[~top], minlength=len(first)).astype(np.int64)
    with_rest = np.searchsorted(first, over, side="right") - 1
    both_buckets = np.concatenate([buckets[top], buckets[over]])
    both_order = np.concatenate([rank[top], np.full(len(over), limit)])
    sort = np.lexsort((both_order, both_buckets))
    return pd.DataFrame(
        {
            "bucket": both_buckets[sort],
            "section": pd.array(
                np.concatenate([names[top], np.full(len(over), OTHER, object)])[sort], dtype="str"
            ),
            "hits": np.concatenate([hits[top], rest[with_rest]])[sort],
        }
    )


def percentiles(
    buckets: np.ndarray,
    bins: np.ndarray,
    counts: np.ndarray,
    value_of: Callable[[np.ndarray], np.ndarray],
    name: str,
) -> pd.DataFrame:
    """Percentiles per bucket from its histogram (the middle of the bin): columns `{name}_p50`...,
    by the one method of every report (`tally.percentile_bins`). Sorted by bucket, then bin."""
    found, per = percentile_bins(buckets, bins, counts, PERCENTILES)
    index = pd.Index(found, name="bucket")
    return pd.DataFrame({f"{name}_p{p}": pd.Series(value_of(per[p]), index=index) for p in PERCENTILES})


def buckets_of(counts: pd.Series) -> np.ndarray:
    """The bucket of each row of a (bucket, key) series, from the index's codes (no Index built)."""
    index = counts.index
    assert isinstance(index, pd.MultiIndex)
    return np.asarray(index.levels[0])[index.codes[0]]


def split_at(buckets: list[np.ndarray], parts: list, before: int) -> tuple[list, list]:
    """The parts' rows before `before` (final) and from it on (held), leaving out empty pieces."""
    done, held = [], []
    for bucket, part in zip(buckets, parts, strict=True):
        early = bucket < before
        if early.all():
            done.append(part)
        elif early.any():
            done.append(part[early])
            held.append(part[~early])
        elif len(part):
            held.append(part)
    return done, held


def rebucket(counts: pd.Series, closed: int, newest: int) -> pd.Series:
    """The counts of buckets before `closed` moved to the bucket `newest` (late lines)."""
    buckets = counts.index.get_level_values(0).to_numpy()
    moved = np.where(buckets < closed, newest, buckets)
    index = pd.MultiIndex.from_arrays([moved, counts.index.get_level_values(1)], names=counts.index.names)
    return pd.Series(counts.to_numpy(), index=index, name=counts.name).groupby(level=[0, 1]).sum()


def duration_codes(durations: np.ndarray | None, requests: int, bins: int) -> np.ndarray:
    """The duration bin of each request, as the live window bins them (-1: no duration)."""
    codes = np.full(requests, -1, np.int64)
    if durations is None:
        return codes
    timed = ~np.isnan(durations)
    codes[timed] = np.minimum(duration_bins(durations[timed]), bins - 1)
    return codes


def split_parts(parts: list[pd.Series], before: int) -> tuple[list, list]:
    """`split_at` of (bucket, key) series."""
    return split_at([buckets_of(part) for part in parts], parts, before)


def split_at_index(parts: list[pd.DataFrame], before: int) -> tuple[list, list]:
    """`split_at` of frames indexed by bucket."""
    return split_at([part.index.to_numpy() for part in parts], parts, before)


def lines_per_bucket(
    rejected_at: np.ndarray, request_at: Callable[[], np.ndarray] | None, row_bucket: np.ndarray, n: int
) -> tuple[np.ndarray, int]:
    """Each rejected line (or directive) goes to the bucket of the request before it in the
    file; those before any request are counted apart (returned second)."""
    if request_at is None:
        return np.zeros(n, np.int64), 0
    before = np.searchsorted(request_at(), rejected_at) - 1
    placed = before[before >= 0]
    return np.bincount(row_bucket[placed], minlength=n), int((before < 0).sum())
