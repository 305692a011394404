"""The trimmed window: what the last W + lateness seconds held, counted per second, nothing older.

Not the rows themselves: per event second, the requests and bytes, and the requests of each
method, status code, size bin and duration bin (`tally`, exact), and of each section, host,
user agent, referrer, path and 4xx/5xx path (`heavy`: exact until the second is judged, then
its top keys only). The alert check reads the requests per second; a report sums any range of
seconds per key. Memory follows the distinct values of the open seconds, not the requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.core.compact import TEXT, Rows, Vocabulary
from analyzer.core.heavy import DROPPED, KEEP, TopPerSecond
from analyzer.core.rules import HITS, SECTION, driven_by, error_statuses, in_population
from analyzer.core.tally import Triples, duration_bins, grouped, size_bins

STATUS_KEYS = 1000  # status codes 0..999; anything else counts as 0 (unknown)
DURATION_WIDTH = 2048  # duration bins per section in the section x duration counts
TRIM_SLACK = 10  # seconds past the cut before trimming: a trim rewrites the arrays
HEAVY = ("section", "host", "user_agent", "referer", "path")  # unbounded: top keys per second
EXACT = tuple(name for name in TEXT if name not in HEAVY)  # a handful of values (methods)
# 4xx and 5xx responses per path: key path * 2 + (1 for 5xx), heavy hitters too.
ERROR_PATH = "error_path"


def scoped_name(scope: str, column: str) -> str:
    """The heavy counts of `column` over one population's requests (`errors_5xx|host`)."""
    return f"{scope}|{column}"


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
    user_agent: np.ndarray
    referer: np.ndarray
    path: np.ndarray
    error_path: np.ndarray  # by path * 2 + (0: 4xx, 1: 5xx)
    status: np.ndarray  # by status code
    sizes: np.ndarray  # by size bin
    durations: np.ndarray  # by duration bin (all zero: no durations)
    section_durations: tuple[np.ndarray, np.ndarray]  # keys section * DURATION_WIDTH + bin, counts
    # The most a heavy column's count may be under the true one (the sum of sealed floors).
    errors: dict[str, int] = field(default_factory=dict)
    # A heavy column's hits whose keys were dropped (in no key's count: `(other)`'s).
    dropped: dict[str, int] = field(default_factory=dict)


class Window:
    """Requests kept for the alert check and the 2-minute statistics, counted per second."""

    def __init__(
        self,
        vocabularies: dict[str, Vocabulary],
        sections: tuple[str, ...] = (),
        scopes: tuple[str, ...] = (),
        keep: dict[str, int] | None = None,
    ) -> None:
        """`keep`: keys kept per sealed second of some heavy columns (others: `heavy.KEEP`)."""
        self.vocabularies = vocabularies
        self.sections = sections  # the sections an alert rule judges: their requests per second, exact
        # Populations whose drivers are their own (an error rate's errors, a section's requests):
        # their keys counted apart, as heavy hitters too (core.rules `scoped`).
        self.scopes = {scope: driven_by(scope) for scope in scopes}
        self.counts = {
            name: Triples.empty()
            for name in (
                "hits",
                "bytes",
                *EXACT,
                "status",
                "sizes",
                "durations",
                "section_durations",
                *(SECTION + section for section in sections),
            )
        }
        self.heavy = {name: TopPerSecond((keep or {}).get(name, KEEP)) for name in (*HEAVY, ERROR_PATH)}
        for scope, columns in self.scopes.items():
            self.heavy.update({scoped_name(scope, column): TopPerSecond() for column, _ in columns})

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
            if name in HEAVY:
                self.heavy[name].add(seconds[known], codes[known])
                self._cut(name, seconds, codes)
            else:
                counts[name].add(grouped(seconds[known], codes[known].astype(np.int64)))
        failed = (rows.status >= 400) & (rows.status < 600)
        if failed.any():
            with_path = failed & (rows.path >= 0)
            keys = rows.path[with_path].astype(np.int64) * 2 + (rows.status[with_path] >= 500)
            self.heavy[ERROR_PATH].add(seconds[with_path], keys)
            self._cut(ERROR_PATH, seconds, rows.path, failed)
        counts["status"].add(grouped(seconds, status_keys(rows.status)))
        if self.sections:
            codes = self.vocabularies["section"].values.get_indexer(pd.Index(list(self.sections)))
            for section, code in zip(self.sections, codes.tolist(), strict=True):
                if code >= 0:
                    mine = rows.section == code
                    counts[SECTION + section].add(grouped(seconds[mine], zeros[mine]))
        for scope, columns in self.scopes.items():
            code = self._section_code(scope.removeprefix(SECTION)) if scope.startswith(SECTION) else -1
            mine = in_population(scope, rows.status, rows.section, code)
            for column, _ in columns:
                codes = getattr(rows, column)[mine]
                self.heavy[scoped_name(scope, column)].add(seconds[mine][codes >= 0], codes[codes >= 0])
                self._cut(scoped_name(scope, column), seconds, getattr(rows, column), mine)
        counts["sizes"].add(grouped(seconds[sized], size_bins(rows.bytes[sized])))
        timed = ~np.isnan(rows.duration)
        if timed.any():
            bins = np.minimum(duration_bins(rows.duration[timed]), DURATION_WIDTH - 1)
            counts["durations"].add(grouped(seconds[timed], bins))
            sections = rows.section[timed].astype(np.int64)
            with_section = sections >= 0
            keys = sections[with_section] * DURATION_WIDTH + bins[with_section]
            counts["section_durations"].add(grouped(seconds[timed][with_section], keys))

    def _section_code(self, section: str) -> int:
        return int(self.vocabularies["section"].values.get_indexer(pd.Index([section]))[0])

    def _scoped(self, column: str) -> list[TopPerSecond]:
        """The heavy counts of `column` kept apart for populations (core.rules `scoped`)."""
        return [
            self.heavy[scoped_name(scope, c)]
            for scope, pairs in self.scopes.items()
            for c, _ in pairs
            if c == column
        ]

    def _cut(
        self, name: str, seconds: np.ndarray, codes: np.ndarray, counted: np.ndarray | None = None
    ) -> None:
        """The rows a batch's flood cut dropped (`heavy.flood_cut`), `counted` of them in this
        column, with the cuts' floors (a 4xx/5xx path's count, or a population's, is at most
        its key's over all requests: the same floors bound it)."""
        dropped = codes <= DROPPED
        if not dropped.any():
            return
        carriers = codes < DROPPED
        lost = dropped if counted is None else dropped & counted
        self.heavy[name].cut_before(
            seconds[lost], seconds[carriers], DROPPED - codes[carriers].astype(np.int64)
        )

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

    def series(self, names: tuple[str, ...], first: int, last: int) -> np.ndarray:
        """Per second first..last, one row per series an alert rule judges (core.rules)."""
        return np.vstack([self._series(name, first, last) for name in names])

    def _series(self, name: str, first: int, last: int) -> np.ndarray:
        if name == HITS:
            return self.per_second(first, last)
        if name.startswith(SECTION):
            return self.counts[name].by_second(first, last)
        low, high = error_statuses(name.removeprefix("errors_"))
        seconds, keys, counts = self.counts["status"].arrays()
        inside = (seconds >= first) & (seconds <= last) & (keys >= low) & (keys < high)
        return np.bincount(seconds[inside] - first, counts[inside], minlength=last - first + 1).astype(
            np.int64
        )

    def trim(self, keep_after: int) -> None:
        """Forget requests at or before second `keep_after` (a few seconds late: trims are batched)."""
        oldest = self.oldest()
        if oldest is None or oldest > keep_after - TRIM_SLACK:
            return
        for counts in self.counts.values():
            counts.trim(keep_after)
        for heavy in self.heavy.values():
            heavy.trim(keep_after)

    def move_to(self, second: int) -> None:
        """Every count held, at `second` (the lines of a ledger whose clock went back)."""
        heavy = [part for top in self.heavy.values() for part in top.parts()]
        for triples in (*self.counts.values(), *heavy):
            triples.move_to(second)

    def seal(self, upto: int) -> None:
        """Seconds up to `upto` are judged: their heavy columns keep only their top keys."""
        for heavy in self.heavy.values():
            heavy.seal(upto)

    def counted(self, first: int, last: int) -> Counted:
        """Everything held for the seconds first..last, summed per key."""
        c, h = self.counts, self.heavy
        sizes = {name: len(self.vocabularies[name]) for name in TEXT}
        return Counted(
            requests=c["hits"].within(first, last),
            bytes=c["bytes"].within(first, last),
            section=h["section"].by_key(first, last, sizes["section"]),
            host=h["host"].by_key(first, last, sizes["host"]),
            method=c["method"].by_key(first, last, sizes["method"]),
            user_agent=h["user_agent"].by_key(first, last, sizes["user_agent"]),
            referer=h["referer"].by_key(first, last, sizes["referer"]),
            path=h["path"].by_key(first, last, sizes["path"]),
            error_path=h[ERROR_PATH].by_key(first, last, 2 * sizes["path"]),
            status=c["status"].by_key(first, last, STATUS_KEYS),
            sizes=c["sizes"].by_key(first, last, 64 * 32),
            durations=c["durations"].by_key(first, last, DURATION_WIDTH),
            section_durations=c["section_durations"].select(first, last),
            errors={name: heavy.error(first, last) for name, heavy in h.items()},
            dropped={name: heavy.dropped(first, last) for name, heavy in h.items()},
        )

    def codes_in_use(self, name: str) -> np.ndarray:
        """Codes of text column `name` that some held second still counts, ascending."""
        used = np.zeros(len(self.vocabularies[name]), bool)
        self.mark_used(name, used)
        return np.flatnonzero(used)

    def mark_used(self, name: str, used: np.ndarray) -> None:
        """Set `used[code]` for each code of text column `name` some held second counts (no sort)."""
        if name not in HEAVY:
            used[self.counts[name].arrays()[1]] = True
            return
        used[self.heavy[name].codes()] = True
        for heavy in self._scoped(name):  # a population's own keys of this column
            used[heavy.codes()] = True
        if name == "path":
            used[self.heavy[ERROR_PATH].codes() // 2] = True
        if name == "section":  # the durations per section are exact: their sections stay
            used[self.counts["section_durations"].arrays()[1] // DURATION_WIDTH] = True

    def remap(self, name: str, mapping: np.ndarray) -> None:
        if name in HEAVY:
            self.heavy[name].remap(mapping)
            for heavy in self._scoped(name):
                heavy.remap(mapping)
        else:
            self.counts[name].remap(mapping)
        if name == "section":
            self.counts["section_durations"].remap(mapping, DURATION_WIDTH)
        if name == "path":
            self.heavy[ERROR_PATH].remap(mapping, 2)


def forget_unused(vocabularies: dict[str, Vocabulary], windows: list[Window]) -> None:
    """Forget values no held second counts any more (the paths of a scan that left the
    windows), so a flood of distinct values cannot grow memory. A vocabulary is looked at once
    it has doubled since it was last looked at: amortised, a few array passes per value added."""
    for name, vocabulary in vocabularies.items():
        if len(vocabulary) < max(4096, 2 * vocabulary.looked_at):
            continue
        used = np.zeros(len(vocabulary), bool)
        for window in windows:
            window.mark_used(name, used)
        vocabulary.looked_at = len(vocabulary)
        if len(vocabulary) <= 2 * int(used.sum()):
            continue
        mapping = vocabulary.compact(np.flatnonzero(used))
        for window in windows:
            window.remap(name, mapping)
