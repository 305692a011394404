"""Heavy hitters per event second: bounded counts for keys of unbounded cardinality.

Paths, client hosts, user agents and referrers can take a new value on every request (a
scan, a botnet, a forged agent); one counter per distinct value would grow memory with the
traffic. `TopPerSecond` keeps, for each second still open (not yet judged), exact
(second, key, count) triples; when the second is judged it is *sealed*: only its keys
counted strictly more than its (K+1)-th largest count are kept, at most K of them, and that
count is kept as the second's *floor*.

An open second is exact while it holds at most `OPEN` * K distinct keys of the column. Past
that (a flood: 100,000 new hosts a second) it is cut at once by a Misra-Gries step: the
(OPEN/2 * K + 1)-th largest count f is taken from every key (those at or under f go) and f
is a floor of the second too. A batch's second past OPEN * K keys is cut so before its values
are even looked up (`flood_cut`), so a flood's values never reach the vocabularies. An open
second holds at most OPEN * K keys plus a batch's.

The bound: a key's count over any range of seconds is never over its true count, and under it
by at most the sum of the floors of the range's seconds. A second's floors add up to at most
N_s / (K + 1) for its N_s requests (a Misra-Gries step of f takes at least (K + 1) * f hits
off the counts, and the seal's floor is at most what is left over K + 1), so over a range
holding N requests the error is at most N / (K + 1): with K = 100, under 1% of the range's
traffic; a key holding more than that share is always present. The hits dropped are kept per
second (`dropped`): per-key counts plus dropped is every request with the column. Keys tied at
the floor are dropped together, so while no open second is cut the kept set depends only on
the second's exact counts, never on how its lines were split into batches nor on dictionary
codes: the live monitor, a replay and a backtest keep the same keys for the same second. A
second cut while open depends on its batches too (within the same bound).

Memory, per column: at most K keys per sealed second kept, plus OPEN * K (and a batch's) per
open second, whatever the number of distinct values.
"""

from __future__ import annotations

import numpy as np

from analyzer.core.tally import Triples, grouped

KEEP = 100  # keys kept per sealed second per column: the error bound is N / (KEEP + 1)
OPEN = 50  # an open second is exact up to OPEN * keep keys, then cut to OPEN // 2 * keep
# A row whose key a batch's flood cut dropped (`flood_cut`); a code under it is dropped too and
# carries its cut's floor f as DROPPED - f (one row per second cut).
DROPPED = -2


def truncated(
    seconds: np.ndarray,
    keys: np.ndarray,
    counts: np.ndarray,
    keep: int = KEEP,
    over: int | None = None,
    lowered: bool = False,
) -> tuple[Triples, Triples, Triples]:
    """Distinct (second, key, count) triples cut to each second's top `keep` keys: the kept
    triples, and (second, 0, floor) and (second, 0, hits dropped) for each second that lost
    keys. Only seconds with more than `over` keys are cut (default `keep`); `lowered`: the
    floor is taken off the kept counts too (a Misra-Gries step). Vectorised: one sort."""
    if len(seconds) == 0:
        return Triples.empty(), Triples.empty(), Triples.empty()
    order = np.lexsort((-counts, seconds))
    seconds, keys, counts = seconds[order], keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, seconds[1:] != seconds[:-1]])
    lengths = np.diff(np.r_[starts, len(seconds)])
    # The (keep+1)-th largest count of each second cut (0 when it is not).
    cut = lengths > (keep if over is None else over)
    floors = np.where(cut, counts[np.minimum(starts + keep, len(counts) - 1)], 0)
    floor_of = np.repeat(floors, lengths)
    kept = counts > floor_of
    taken = np.where(kept, floor_of if lowered else 0, counts)
    lost = np.add.reduceat(taken, starts)
    lossy = floors > 0
    zeros = np.zeros(int(lossy.sum()), np.int64)
    return (
        Triples(seconds[kept], keys[kept], counts[kept] - taken[kept]),
        Triples(seconds[starts][lossy], zeros, floors[lossy]),
        Triples(seconds[starts][lossy], zeros, lost[lossy]),
    )


def flood_cut(seconds: np.ndarray, codes: np.ndarray, keep: int = KEEP) -> np.ndarray | None:
    """A batch's codes of one column (its own codes: -1 missing) with each second holding
    more than OPEN * keep distinct keys cut as an open second is, by a Misra-Gries step to its
    OPEN // 2 * keep largest: the rows of the keys at or under the floor f, and f rows of each
    key kept, become DROPPED; one row a second cut carries f, as DROPPED - f. Done before the
    batch's values are looked up, so a flood's values never reach the vocabulary; the window
    counts the rows dropped and the floors (`TopPerSecond.cut_before`). None: no second is
    flooded (nothing cut). `codes` must be wide enough for DROPPED - f (int32)."""
    known = np.flatnonzero(codes >= 0)
    if len(known) <= OPEN * keep:  # no second can hold more keys than the batch has rows
        return None
    at, key = seconds[known], codes[known].astype(np.int64)
    first, width = int(at.min()), int(key.max()) + 1
    span = int(at.max()) - first + 1
    at = at - first
    combined = at * width + key
    if span * width <= 4 * len(combined) + 4096:  # as `tally.grouped`: dense counts, no sort
        dense = np.bincount(combined, minlength=span * width)
        groups = np.flatnonzero(dense)
        group_counts, row_counts = dense[groups], dense[combined]
    else:
        groups, inverse, group_counts = np.unique(combined, return_inverse=True, return_counts=True)
        row_counts = group_counts[inverse]
    group_seconds = groups // width  # ascending
    keys_per_second = np.bincount(group_seconds, minlength=span)
    flooded = np.flatnonzero(keys_per_second > OPEN * keep)
    if len(flooded) == 0:
        return None
    rank = OPEN // 2 * keep  # the floor is the (rank + 1)-th largest count of its second
    floors = np.zeros(span, np.int64)
    for second, start in zip(flooded.tolist(), np.searchsorted(group_seconds, flooded).tolist(), strict=True):
        # Each second here holds over OPEN * keep keys: few seconds, and no loop over rows.
        counts = group_counts[start : start + keys_per_second[second]]
        floors[second] = np.partition(counts, len(counts) - rank - 1)[len(counts) - rank - 1]
    row_floors = floors[at]
    gone = row_counts <= row_floors  # a key at or under its floor goes whole
    lowered = np.flatnonzero(~gone & (row_floors > 0))  # a key over it loses its first f rows
    if len(lowered):
        order = lowered[np.argsort(combined[lowered], kind="stable")]
        ordered = combined[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        gone[order[np.arange(len(order)) - np.repeat(starts, sizes) < row_floors[order]]] = True
    found = codes.copy()
    found[known[gone]] = DROPPED
    # Every second cut drops a key whole at least (the one ranked just past those kept): any
    # of its rows carries the floor.
    carrier = np.zeros(span, np.int64)
    carrier[at[gone]] = known[gone]
    found[carrier[flooded]] = DROPPED - floors[flooded]
    return found


class TopPerSecond:
    """One column's counts per second: exact while open (and not flooded), the top keys once sealed."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.fresh = Triples.empty()  # exact, since the last seal (a late line's too)
        self.kept = Triples.empty()  # sealed seconds: at most `keep` keys each
        self.floors = Triples.empty()  # seconds that lost keys: (second, 0, floor), one per cut
        self.lost = Triples.empty()  # seconds that lost keys: (second, 0, hits dropped)
        self.sealed_to: int | None = None
        self._merge_at = OPEN * keep  # fresh triples past which open seconds are looked at

    def add(self, seconds: np.ndarray, keys: np.ndarray) -> None:
        """Count requests (their seconds and key codes, none missing)."""
        self.fresh.add(grouped(seconds, keys.astype(np.int64)))
        if len(self.fresh) > self._merge_at:
            self._lighten()

    def _lighten(self) -> None:
        """Cut the open seconds past OPEN * keep keys (a Misra-Gries step, see the module).
        Looked at when the fresh triples doubled since: amortised, one sort per triple added."""
        fresh, floors, lost = truncated(
            *_summed(*self.fresh.arrays()), keep=OPEN // 2 * self.keep, over=OPEN * self.keep, lowered=True
        )
        self.fresh = fresh
        self.floors.add(floors)
        self.lost.add(lost)
        self._merge_at = max(2 * len(fresh), OPEN * self.keep)

    def cut_before(self, dropped_at: np.ndarray, floor_at: np.ndarray, floors: np.ndarray) -> None:
        """Hits a batch's flood cut dropped before they were counted (`flood_cut`): the second
        of each, and the seconds and floors of the cuts."""
        self.lost.add(grouped(dropped_at, np.zeros(len(dropped_at), np.int64)))
        self.floors.add(Triples(floor_at, np.zeros(len(floor_at), np.int64), floors))

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
            kept, floors, lost = truncated(*summed, keep=self.keep)
            self.kept.add(kept)
            self.floors.add(floors)
            self.lost.add(lost)
            self.fresh = Triples(seconds[~due], keys[~due], counts[~due])
            self._merge_at = max(2 * len(self.fresh), OPEN * self.keep)
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
        """Counts per key (0..size-1) over seconds first..last: at most `error(first, last)`
        under the true counts (exact where open and never cut)."""
        return self.kept.by_key(first, last, size) + self.fresh.by_key(first, last, size)

    def error(self, first: int, last: int) -> int:
        """The most any key's count over first..last may be under its true count."""
        return self.floors.within(first, last)

    def dropped(self, first: int, last: int) -> int:
        """The hits over first..last counted under no key (their keys were dropped or lowered)."""
        return self.lost.within(first, last)

    def codes(self) -> np.ndarray:
        """Every key code some second still counts (repeated as often as it is held)."""
        return np.concatenate([self.kept.arrays()[1], self.fresh.arrays()[1]])

    def trim(self, keep_after: int) -> None:
        for triples in self.parts():
            triples.trim(keep_after)

    def parts(self) -> tuple[Triples, ...]:
        return (self.fresh, self.kept, self.floors, self.lost)

    def remap(self, mapping: np.ndarray, width: int = 1) -> None:
        """New keys after a vocabulary was compacted (keys code * width + rest, as `Triples`)."""
        self.fresh.remap(mapping, width)
        self.kept.remap(mapping, width)

    def oldest(self) -> int | None:
        found = [t for t in (self.kept.oldest(), self.fresh.oldest()) if t is not None]
        return min(found) if found else None

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts())


def _summed(s: np.ndarray, k: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (second, key) with their counts summed (triples of several batches)."""
    if len(s) == 0:
        return s, k, c
    summed = grouped(s, k, c.astype(np.float64))
    return summed.arrays()
