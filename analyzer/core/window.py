"""The trimmed window: what the last W + lateness seconds held, counted per second, nothing older.

Not the rows themselves: per event second, the requests and bytes, and the requests of each
section, host, method, status code, size bin and duration bin (`tally`). The alert check
reads the requests per second; a report sums any range of seconds per key. Memory follows
the distinct values of the window, not its requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzer.core.compact import TEXT, Rows, Vocabulary
from analyzer.core.tally import Triples, duration_bins, grouped, size_bins

STATUS_KEYS = 1000  # status codes 0..999; anything else counts as 0 (unknown)
DURATION_WIDTH = 2048  # duration bins per section in the section x duration counts
TRIM_SLACK = 10  # seconds past the cut before trimming: a trim rewrites the arrays


def status_keys(status: np.ndarray) -> np.ndarray:
    keys = status.astype(np.int64)
    return np.where((keys >= 0) & (keys < STATUS_KEYS), keys, 0)


@dataclass
class Counted:
    """The window's requests in a range of seconds, summed per key (dense arrays by code)."""

    requests: int
    bytes: int
    section: np.ndarray
    host: np.ndarray
    method: np.ndarray
    status: np.ndarray  # by status code
    sizes: np.ndarray  # by size bin
    durations: np.ndarray  # by duration bin (all zero: no durations)
    section_durations: tuple[np.ndarray, np.ndarray]  # keys section * DURATION_WIDTH + bin, counts


class Window:
    """Requests kept for the alert check and the 2-minute statistics, counted per second."""

    def __init__(self, vocabularies: dict[str, Vocabulary]) -> None:
        self.vocabularies = vocabularies
        self.counts = {
            name: Triples.empty()
            for name in ("hits", "bytes", *TEXT, "status", "sizes", "durations", "section_durations")
        }

    def add(self, rows: Rows) -> None:
        if len(rows) == 0:
            return
        seconds, zeros = rows.seconds, np.zeros(len(rows), np.int64)
        counts = self.counts
        counts["hits"].add(grouped(seconds, zeros))
        sized = rows.bytes >= 0  # NO_SIZE (a log without sizes) adds no bytes and no size
        counts["bytes"].add(grouped(seconds[sized], zeros[sized], rows.bytes[sized].astype(np.float64)))
        for name in TEXT:
            codes = getattr(rows, name)
            known = codes >= 0
            counts[name].add(grouped(seconds[known], codes[known].astype(np.int64)))
        counts["status"].add(grouped(seconds, status_keys(rows.status)))
        counts["sizes"].add(grouped(seconds[sized], size_bins(rows.bytes[sized])))
        timed = ~np.isnan(rows.duration)
        if timed.any():
            bins = np.minimum(duration_bins(rows.duration[timed]), DURATION_WIDTH - 1)
            counts["durations"].add(grouped(seconds[timed], bins))
            sections = rows.section[timed].astype(np.int64)
            with_section = sections >= 0
            keys = sections[with_section] * DURATION_WIDTH + bins[with_section]
            counts["section_durations"].add(grouped(seconds[timed][with_section], keys))

    def __len__(self) -> int:
        return self.counts["hits"].total()

    def seconds(self) -> np.ndarray:
        """The event second of every request held (one per request: for tests and probes)."""
        seconds, _, counts = self.counts["hits"].arrays()
        return np.repeat(seconds, counts)

    def active(self, first: int, last: int) -> np.ndarray:
        """The seconds first..last holding requests, sorted."""
        seconds, _, _ = self.counts["hits"].arrays()
        return np.unique(seconds[(seconds >= first) & (seconds <= last)])

    def oldest(self) -> int | None:
        """The oldest second holding a request."""
        return self.counts["hits"].oldest()

    def per_second(self, first: int, last: int) -> np.ndarray:
        """Requests in each second first..last (inclusive)."""
        return self.counts["hits"].by_second(first, last)

    def trim(self, keep_after: int) -> None:
        """Forget requests at or before second `keep_after` (a few seconds late: trims are batched)."""
        oldest = self.oldest()
        if oldest is None or oldest > keep_after - TRIM_SLACK:
            return
        for counts in self.counts.values():
            counts.trim(keep_after)

    def counted(self, first: int, last: int) -> Counted:
        """Everything held for the seconds first..last, summed per key."""
        c = self.counts
        sizes = {name: len(self.vocabularies[name]) for name in TEXT}
        return Counted(
            requests=c["hits"].within(first, last),
            bytes=c["bytes"].within(first, last),
            section=c["section"].by_key(first, last, sizes["section"]),
            host=c["host"].by_key(first, last, sizes["host"]),
            method=c["method"].by_key(first, last, sizes["method"]),
            status=c["status"].by_key(first, last, STATUS_KEYS),
            sizes=c["sizes"].by_key(first, last, 64 * 32),
            durations=c["durations"].by_key(first, last, DURATION_WIDTH),
            section_durations=c["section_durations"].select(first, last),
        )

    def codes_in_use(self, name: str) -> np.ndarray:
        """Codes of text column `name` that some held second still counts."""
        _, keys, _ = self.counts[name].arrays()
        return np.unique(keys)

    def remap(self, name: str, mapping: np.ndarray) -> None:
        self.counts[name].remap(mapping)
        if name == "section":
            self.counts["section_durations"].remap(mapping, DURATION_WIDTH)
