"""The backtest's 10 s reports from summed counts: top sections, size and duration percentiles.

Pure numpy over (bucket, key) arrays, so closing a report costs a few array passes, not a
pandas groupby per report (the parent process of a backtest does this for every chunk), and
a worker's sums cross to the parent as a few arrays (pickled as their bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.core.stats import OTHER, PERCENTILES, STATUS_CLASSES
from analyzer.core.tally import duration_bins, percentile_bins

TOTAL_COLUMNS = ("requests", "rejected", "directives", "late", "bytes", *STATUS_CLASSES)
REQUESTS, REJECTED, DIRECTIVES, LATE = range(4)  # their columns in Totals.values


@dataclass(frozen=True)
class Pairs:
    """Counts per (bucket, key), each pair at most once: keys are bins (integers) or section
    names (an object array of str)."""

    buckets: np.ndarray  # int64
    keys: np.ndarray
    counts: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.counts)

    def take(self, rows: np.ndarray) -> Pairs:
        return Pairs(self.buckets[rows], self.keys[rows], self.counts[rows])

    def as_dict(self) -> dict[tuple[int, object], int]:
        """{(bucket, key): count}: for tests and notebooks."""
        pairs = zip(self.buckets.tolist(), self.keys.tolist(), self.counts.tolist(), strict=True)
        return {(bucket, key): count for bucket, key, count in pairs}


# No counts at all: a log without request times has no duration counts.
NO_COUNTS = Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


@dataclass(frozen=True)
class Totals:
    """TOTAL_COLUMNS per bucket: one row a bucket in a chunk (a merger's parts may repeat one)."""

    buckets: np.ndarray  # int64
    values: np.ndarray  # int64, one row per bucket, one column per TOTAL_COLUMNS

    def __len__(self) -> int:
        return len(self.buckets)

    def take(self, rows: np.ndarray) -> Totals:
        return Totals(self.buckets[rows], self.values[rows])

    def frame(self) -> pd.DataFrame:
        """As a frame indexed by bucket (for tests and notebooks)."""
        return pd.DataFrame(self.values, pd.Index(self.buckets, name="bucket"), list(TOTAL_COLUMNS))


def summed_rows(parts: list[Totals]) -> tuple[np.ndarray, np.ndarray]:
    """The parts' rows added up per bucket: sorted buckets and their totals."""
    buckets = np.concatenate([part.buckets for part in parts])
    values = np.concatenate([part.values for part in parts])
    if len(buckets) == 0:
        return buckets, values
    order = np.argsort(buckets, kind="stable")
    buckets, values = buckets[order], values[order]
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    return buckets[starts], np.add.reduceat(values, starts, axis=0)


def distinct_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's code into the sorted distinct values, and those: a bincount over a chunk's
    few minutes of seconds (no sort), np.unique where they are spread (a broken clock)."""
    if len(values) == 0:
        return np.zeros(0, np.int64), values
    first = int(values.min())
    span = int(values.max()) - first + 1
    if span > 4 * len(values) + 4096:
        distinct, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64, copy=False), distinct
    present = np.bincount(values - first, minlength=span) > 0
    rank = np.cumsum(present) - 1
    return rank[values - first], np.flatnonzero(present) + first


def pair_counts(buckets: np.ndarray, row_bucket: np.ndarray, codes: np.ndarray, labels: np.ndarray) -> Pairs:
    """Requests per (bucket, label), counted on one int64 key per row (code -1: left out)."""
    width = len(labels) + 1
    keys = row_bucket.astype(np.int64) * width + (codes.astype(np.int64) + 1)
    if len(buckets) * width <= 4 * len(keys) + 4096:  # few possible keys: count them all
        tally = np.bincount(keys, minlength=len(buckets) * width)
        found = np.flatnonzero(tally)
        counts = tally[found]
    else:
        found, counts = np.unique(keys, return_counts=True)
    bucket_of, code_of = np.divmod(found, width)
    kept = code_of > 0
    return Pairs(buckets[bucket_of[kept]], labels[code_of[kept] - 1], counts[kept].astype(np.int64))


def pair_sums(parts: list[Pairs]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin, of sizes or durations) -> total over the parts, as sorted arrays: buckets, bins, totals."""
    buckets, keys, counts = _joined(parts)
    if len(keys) == 0:
        return buckets, keys.astype(np.int64), counts
    width = int(keys.max()) + 1
    order = np.argsort((buckets - buckets.min()) * width + keys, kind="stable")  # runs already sorted
    return _reduced(buckets[order], keys[order].astype(np.int64), counts[order])


def section_sums(parts: list[Pairs]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bucket, section) -> hits over the parts, sorted by bucket then name: buckets, codes into
    the sorted distinct names, hits, and those names."""
    buckets, keys, counts = _joined(parts)
    codes, names = pd.factorize(keys, sort=True)
    order = np.lexsort((codes, buckets))
    return (
        *_reduced(buckets[order], codes[order].astype(np.int64), counts[order]),
        np.asarray(names, object),
    )


def _joined(parts: list[Pairs]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    found = [part for part in parts if len(part)]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, np.int64)
    return tuple(
        np.concatenate([getattr(part, name) for part in found]) for name in ("buckets", "keys", "counts")
    )  # type: ignore[return-value]


def _reduced(
    buckets: np.ndarray, keys: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted (bucket, key) rows with each pair's counts added up."""
    if len(buckets) == 0:
        return buckets, keys, counts
    starts = np.flatnonzero(np.r_[True, (buckets[1:] != buckets[:-1]) | (keys[1:] != keys[:-1])])
    return buckets[starts], keys[starts], np.add.reduceat(counts, starts)


@dataclass(frozen=True)
class Ranked:
    """The rows of sections.csv: per bucket (ascending) its top sections by hits, ties by name,
    then one (other) row for the rest."""

    buckets: np.ndarray  # int64
    codes: np.ndarray  # int64, into `names`
    hits: np.ndarray  # int64
    names: np.ndarray  # object array of str

    def __len__(self) -> int:
        return len(self.buckets)

    def frame(self) -> pd.DataFrame:
        """bucket, section, hits (for tests and notebooks)."""
        section = pd.array(self.names[self.codes], dtype="str")
        return pd.DataFrame({"bucket": self.buckets, "section": section, "hits": self.hits})

    @staticmethod
    def joined(parts: list[Ranked]) -> Ranked:
        """The rows of several in turn (their names side by side, codes moved along)."""
        shifts = np.cumsum([0] + [len(part.names) for part in parts])[:-1]
        return Ranked(
            np.concatenate([np.zeros(0, np.int64)] + [part.buckets for part in parts]),
            np.concatenate(
                [np.zeros(0, np.int64)] + [p.codes + shift for p, shift in zip(parts, shifts, strict=True)]
            ),
            np.concatenate([np.zeros(0, np.int64)] + [part.hits for part in parts]),
            np.concatenate([np.zeros(0, object)] + [part.names for part in parts]),
        )


def top_sections(
    buckets: np.ndarray, codes: np.ndarray, hits: np.ndarray, names: np.ndarray, limit: int
) -> Ranked:
    """Per bucket the `limit` busiest sections (ties by name) and one (other) row for the rest.

    The arrays are sorted by bucket, then section name (`codes` into the sorted `names`).
    """
    order = np.lexsort((-hits, buckets))  # stable: equal hits keep the name order
    buckets, codes, hits = buckets[order], codes[order], hits[order]
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
    other = np.full(len(over), len(names), np.int64)  # the code of (other), after the names
    return Ranked(
        both_buckets[sort],
        np.concatenate([codes[top], other])[sort],
        np.concatenate([hits[top], rest[with_rest]])[sort],
        np.concatenate([np.asarray(names, object), np.array([OTHER], object)]),
    )


def percentiles(
    buckets: np.ndarray,
    bins: np.ndarray,
    counts: np.ndarray,
    value_of: Callable[[np.ndarray], np.ndarray],
    name: str,
    at: np.ndarray,
) -> dict[str, np.ndarray]:
    """Percentiles per bucket from its histogram (the middle of the bin), for each of the sorted
    buckets `at` (NaN where one has no counts): columns `{name}_p50`..., by the one method of every
    report (`tally.percentile_bins`). The arrays are sorted by bucket, then bin."""
    found, per = percentile_bins(buckets, bins, counts, PERCENTILES)
    where = np.searchsorted(at, found)
    columns = {}
    for p in PERCENTILES:
        column = np.full(len(at), np.nan)
        column[where] = value_of(per[p])
        columns[f"{name}_p{p}"] = column
    return columns


def split_parts(parts: list, before: int) -> tuple[list, list]:
    """The parts' rows before `before` (final) and from it on (held), leaving out empty pieces
    (parts of `Pairs`, or of `buckets.Totals`: anything with `buckets` and `take`)."""
    done, held = [], []
    for part in parts:
        early = part.buckets < before
        if early.all():
            done.append(part)
        elif early.any():
            done.append(part.take(early))
            held.append(part.take(~early))
        elif len(part):
            held.append(part)
    return done, held


def rebucket(counts: Pairs, closed: int, newest: int) -> Pairs:
    """The counts of buckets before `closed` moved to the bucket `newest` (late lines)."""
    late = counts.buckets < closed
    if not late.any():
        return counts
    moved = Pairs(np.where(late, newest, counts.buckets), counts.keys, counts.counts)
    if counts.keys.dtype != object:
        return Pairs(*pair_sums([moved]))
    buckets, codes, hits, names = section_sums([moved])
    return Pairs(buckets, names[codes], hits)


def duration_codes(durations: np.ndarray | None, requests: int, bins: int) -> np.ndarray:
    """The duration bin of each request, as the live window bins them (-1: no duration)."""
    codes = np.full(requests, -1, np.int64)
    if durations is None:
        return codes
    timed = ~np.isnan(durations)
    codes[timed] = np.minimum(duration_bins(durations[timed]), bins - 1)
    return codes


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
