"""Requests counted per event second and per key: exact counts that add up across batches.

The live window keeps these, not the rows: a batch of 100,000 requests becomes a few
thousand (second, key, count) triples per column, so 12 million requests in a 2-minute window
at 100,000 req/s cost what their distinct values cost. Sizes and durations are counted in
log-scale bins of 1/32 octave: a percentile read from the middle of its bin is within 1.1% of
the exact one (nearest rank).
"""

from __future__ import annotations

import numpy as np

BINS_PER_OCTAVE = 32
PERCENTILE_ERROR = 2 ** (1 / (2 * BINS_PER_OCTAVE)) - 1  # 1.09%: half a bin, relative
DURATION_UNIT = 1e-6  # durations are binned in microseconds


def size_bins(values: np.ndarray) -> np.ndarray:
    """The bin of each size in bytes (0 bytes is bin 0)."""
    return np.floor(np.log2(np.maximum(values, 0).astype(np.float64) + 1) * BINS_PER_OCTAVE).astype(np.int64)


def bin_values(bins: np.ndarray) -> np.ndarray:
    """The middle of each size bin (log scale), as a size."""
    return np.asarray(np.exp2((bins + 0.5) / BINS_PER_OCTAVE) - 1, np.float64)


def duration_bins(seconds: np.ndarray) -> np.ndarray:
    return size_bins(np.round(seconds / DURATION_UNIT))


def duration_values(bins: np.ndarray) -> np.ndarray:
    return bin_values(bins) * DURATION_UNIT


def percentile_bins(
    groups: np.ndarray, bins: np.ndarray, counts: np.ndarray, percentiles: tuple[int, ...]
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Nearest-rank percentiles of each group from its counts per bin: for each group, the bin
    holding its ceil(p * n / 100)-th smallest value (an integer rank: 0.9 * 10 is 9, not 9.000000000000002).

    The arrays are sorted by group, then bin. Returns the groups and, per percentile, the bins.
    The one method of every report, live or backtest; a value read from a bin's middle is
    within PERCENTILE_ERROR of the exact nearest-rank percentile.
    """
    if len(groups) == 0:
        return groups, {p: np.zeros(0, np.int64) for p in percentiles}
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(groups)]))
    cumulative = np.cumsum(counts)
    within = cumulative - (cumulative[first] - counts[first])[group]
    total = np.add.reduceat(counts, first)
    found = {}
    for p in percentiles:
        rank = np.maximum((p * total + 99) // 100, 1)
        reached = np.flatnonzero(within >= rank[group])
        earliest = reached[np.r_[True, group[reached][1:] != group[reached][:-1]]]
        found[p] = bins[earliest].astype(np.int64)
    return groups[first], found


def grouped(seconds: np.ndarray, keys: np.ndarray, weights: np.ndarray | None = None) -> Triples:
    """(second, key, count) for each distinct pair; weights sum instead of counting.

    A dense bincount when the batch spans few seconds and keys (the usual live batch), a
    sort of the combined keys otherwise: either way no Python loop over the rows.
    """
    if len(seconds) == 0:
        return Triples.empty()
    first = int(seconds.min())
    width = int(keys.max()) + 1
    span = int(seconds.max()) - first + 1
    combined = (seconds - first) * width + keys
    if span * width <= 4 * len(seconds) + 4096:
        dense = np.bincount(combined, weights, minlength=span * width)
        at = np.flatnonzero(dense)
        counts = dense[at]
    else:
        at, inverse = np.unique(combined, return_inverse=True)
        counts = np.bincount(inverse, weights)
        at, counts = at[counts != 0], counts[counts != 0]  # as the dense way: no empty pairs
    return Triples(at // width + first, at % width, np.asarray(np.round(counts), np.int64))


class Triples:
    """(second, key, count) triples, held as a few arrays merged lazily."""

    def __init__(self, seconds: np.ndarray, keys: np.ndarray, counts: np.ndarray) -> None:
        self.parts = [(seconds.astype(np.int64), keys.astype(np.int64), counts.astype(np.int64))]

    @property
    def parts(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return self._parts

    @parts.setter
    def parts(self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self._parts = parts
        self._size = sum(len(part[0]) for part in parts)

    @classmethod
    def empty(cls) -> Triples:
        return cls(*(np.zeros(0, np.int64) for _ in range(3)))

    def add(self, other: Triples) -> None:
        """Kept apart until read, and counted as they come: a warm start's 2,000 files add a
        part each, and a length summed over every part at each add (8M steps) was 7 s of a
        2,000-log start's 22 (measured here, a loaded machine)."""
        added = [part for part in other.parts if len(part[0])]
        self._parts += added
        self._size += sum(len(part[0]) for part in added)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.parts) > 1:
            self.parts = [tuple(np.concatenate(column) for column in zip(*self.parts, strict=True))]  # type: ignore[list-item]
        return self.parts[0]

    def __len__(self) -> int:
        return self._size

    def total(self) -> int:
        return int(sum(part[2].sum() for part in self.parts))

    def within(self, first: int, last: int) -> int:
        """The count over seconds first..last."""
        seconds, _, counts = self.arrays()
        return int(counts[(seconds >= first) & (seconds <= last)].sum())

    def by_key(self, first: int, last: int, size: int) -> np.ndarray:
        """Counts per key (0..size-1) over seconds first..last."""
        seconds, keys, counts = self.arrays()
        inside = (seconds >= first) & (seconds <= last)
        return np.bincount(keys[inside], counts[inside], minlength=size).astype(np.int64)

    def by_second(self, first: int, last: int) -> np.ndarray:
        """Counts per second first..last, whatever the key."""
        seconds, _, counts = self.arrays()
        inside = (seconds >= first) & (seconds <= last)
        return np.bincount(seconds[inside] - first, counts[inside], minlength=last - first + 1).astype(
            np.int64
        )

    def select(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Keys and counts of the triples of seconds first..last."""
        seconds, keys, counts = self.arrays()
        inside = (seconds >= first) & (seconds <= last)
        return keys[inside], counts[inside]

    def move_to(self, second: int) -> None:
        """Every count held, at `second`."""
        seconds, keys, counts = self.arrays()
        self.parts = [(np.full_like(seconds, second), keys, counts)]

    def oldest(self) -> int | None:
        seconds = [part[0] for part in self.parts if len(part[0])]
        return int(min(s.min() for s in seconds)) if seconds else None

    def trim(self, keep_after: int) -> None:
        """Forget the seconds at or before `keep_after`."""
        seconds, keys, counts = self.arrays()
        kept = seconds > keep_after
        self.parts = [(seconds[kept], keys[kept], counts[kept])]

    def remap(self, mapping: np.ndarray, width: int = 1) -> None:
        """New keys after a vocabulary was compacted; with `width`, keys are code * width + bin."""
        seconds, keys, counts = self.arrays()
        codes, rest = np.divmod(keys, width)
        self.parts = [(seconds, mapping[codes] * width + rest, counts)]
