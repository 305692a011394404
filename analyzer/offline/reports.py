"""The backtest's 10 s reports from summed counts: top sections and size percentiles.

Pure numpy over sorted (bucket, key) arrays, so closing a report costs a few array passes,
not a pandas groupby per report (the parent process of a backtest does this for every chunk).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.core.stats import OTHER, PERCENTILES

BINS_PER_OCTAVE = 16  # size histogram resolution: percentiles within about 2%


def size_bins(sizes: np.ndarray) -> np.ndarray:
    return np.floor(np.log2(sizes.astype(np.float64) + 1) * BINS_PER_OCTAVE).astype(np.int64)


def bin_value(bins: np.ndarray) -> np.ndarray:
    """The middle of each size bin, in bytes."""
    return np.round(np.exp2((bins + 0.5) / BINS_PER_OCTAVE) - 1)


def pair_sums(parts: list[pd.Series]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket, key) -> total over the parts, as sorted arrays: buckets, keys, totals."""
    buckets = np.concatenate(
        [np.zeros(0, np.int64)] + [s.index.get_level_values(0).to_numpy(np.int64) for s in parts]
    )
    if len(buckets) == 0:
        return buckets, np.zeros(0, object), np.zeros(0, np.int64)
    keys = np.concatenate([part.index.get_level_values(1).to_numpy() for part in parts])
    counts = np.concatenate([part.to_numpy(np.int64) for part in parts])
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


def percentiles(buckets: np.ndarray, bins: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Response-size percentiles per bucket from the histogram (the middle of the bin).

    The arrays are sorted by bucket, then bin.
    """
    first = (
        np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]]) if len(buckets) else np.zeros(0, np.int64)
    )
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(buckets)]))
    cumulative = np.cumsum(counts)
    within = cumulative - (cumulative[first] - counts[first])[group]
    total = np.add.reduceat(counts, first) if len(first) else np.zeros(0, np.int64)
    index = pd.Index(buckets[first], name="bucket")
    columns = {}
    for p in PERCENTILES:
        reached = np.flatnonzero(within >= p / 100 * total[group])
        earliest = (
            reached[np.r_[True, group[reached][1:] != group[reached][:-1]]] if len(reached) else reached
        )
        columns[f"size_p{p}"] = pd.Series(bin_value(bins[earliest].astype(np.int64)), index=index)
    return pd.DataFrame(columns)


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
