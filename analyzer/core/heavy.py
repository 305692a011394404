"""Heavy hitters per event second: bounded counts for keys of unbounded cardinality.

Paths, client hosts, user agents and referrers can take a new value on every request (a
scan, a botnet, a forged agent); one counter per distinct value would grow memory with the
traffic. `TopPerSecond` keeps, for each second still open (not yet judged), exact
(second, key, count) triples; when the second is judged it is *sealed*: only its keys
counted strictly more than its (K+1)-th largest count are kept, at most K of them, and that
count is kept as the second's *floor*.

The bound: a key's count over any range of sealed seconds is under-estimated by at most the
sum of the floors of the seconds where it was dropped, and never over-estimated. A second's
floor is at most N_s / (K + 1) for its N_s requests, so over a range holding N requests the
error is at most N / (K + 1): with K = 100, under 1% of the range's traffic; a key holding
more than that share is always present. Keys tied at the floor are all dropped together, so
the kept set depends only on the second's exact counts, never on how its lines were split
into batches nor on dictionary codes: the live monitor, a replay and a backtest keep the same
keys for the same second.
"""

from __future__ import annotations

import numpy as np

from analyzer.core.tally import Triples, grouped

KEEP = 100  # keys kept per sealed second per column: the error bound is N / (KEEP + 1)


def truncated(
    seconds: np.ndarray, keys: np.ndarray, counts: np.ndarray, keep: int = KEEP
) -> tuple[Triples, Triples]:
    """Distinct (second, key, count) triples cut to each second's top `keep` keys: the kept
    triples, and (second, 0, floor) for each second that lost keys. Vectorised: one sort."""
    if len(seconds) == 0:
        return Triples.empty(), Triples.empty()
    order = np.lexsort((-counts, seconds))
    seconds, keys, counts = seconds[order], keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, seconds[1:] != seconds[:-1]])
    lengths = np.diff(np.r_[starts, len(seconds)])
    # The (keep+1)-th largest count of each second (0 when it has no more than `keep` keys).
    floors = np.where(lengths > keep, counts[np.minimum(starts + keep, len(counts) - 1)], 0)
    floor_of = np.repeat(floors, lengths)
    kept = counts > floor_of
    lossy = floors > 0
    return (
        Triples(seconds[kept], keys[kept], counts[kept]),
        Triples(seconds[starts][lossy], np.zeros(int(lossy.sum()), np.int64), floors[lossy]),
    )


class TopPerSecond:
    """One column's counts per second: exact while open, the top keys once sealed."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.fresh = Triples.empty()  # exact, since the last seal (a late line's too)
        self.kept = Triples.empty()  # sealed seconds: at most `keep` keys each
        self.floors = Triples.empty()  # sealed seconds that lost keys: (second, 0, floor)
        self.sealed_to: int | None = None

    def add(self, seconds: np.ndarray, keys: np.ndarray) -> None:
        """Count requests (their seconds and key codes, none missing)."""
        self.fresh.add(grouped(seconds, keys.astype(np.int64)))

    def seal(self, upto: int) -> None:
        """Seconds up to `upto` are judged: keep only their top keys. A late line's second,
        sealed already, is cut again with it (its floors add: the bound still holds)."""
        seconds, keys, counts = self.fresh.arrays()
        if len(seconds) == 0:
            self.sealed_to = upto if self.sealed_to is None else max(self.sealed_to, upto)
            return
        due = seconds <= upto
        if due.any():
            s, k, c = seconds[due], keys[due], counts[due]
            if self.sealed_to is not None and int(s.min()) <= self.sealed_to:
                s, k, c = self._reopen(np.unique(s[s <= self.sealed_to]), s, k, c)
            summed = _summed(s, k, c)
            kept, floors = truncated(*summed, keep=self.keep)
            self.kept.add(kept)
            self.floors.add(floors)
            self.fresh = Triples(seconds[~due], keys[~due], counts[~due])
        self.sealed_to = upto if self.sealed_to is None else max(self.sealed_to, upto)

    def _reopen(
        self, late: np.ndarray, s: np.ndarray, k: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Take the kept triples of sealed seconds `late` back out, to be cut again."""
        ks, kk, kc = self.kept.arrays()
        back = np.isin(ks, late)
        self.kept = Triples(ks[~back], kk[~back], kc[~back])
        return np.r_[s, ks[back]], np.r_[k, kk[back]], np.r_[c, kc[back]]

    def by_key(self, first: int, last: int, size: int) -> np.ndarray:
        """Counts per key (0..size-1) over seconds first..last: exact where open, at most the
        `error(first, last)` under where sealed."""
        return self.kept.by_key(first, last, size) + self.fresh.by_key(first, last, size)

    def error(self, first: int, last: int) -> int:
        """The most any key's count over first..last may be under its true count."""
        return self.floors.within(first, last)

    def codes(self) -> np.ndarray:
        """Every key code some second still counts."""
        return np.union1d(self.kept.arrays()[1], self.fresh.arrays()[1])

    def trim(self, keep_after: int) -> None:
        for triples in (self.fresh, self.kept, self.floors):
            triples.trim(keep_after)

    def remap(self, mapping: np.ndarray, width: int = 1) -> None:
        """New keys after a vocabulary was compacted (keys code * width + rest, as `Triples`)."""
        self.fresh.remap(mapping, width)
        self.kept.remap(mapping, width)

    def oldest(self) -> int | None:
        found = [t for t in (self.kept.oldest(), self.fresh.oldest()) if t is not None]
        return min(found) if found else None

    def __len__(self) -> int:
        return len(self.fresh) + len(self.kept) + len(self.floors)


def _summed(s: np.ndarray, k: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (second, key) with their counts summed (triples of several batches)."""
    if len(s) == 0:
        return s, k, c
    summed = grouped(s, k, c.astype(np.float64))
    return summed.arrays()
