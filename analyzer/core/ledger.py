"""The lines read and not yet in a report, filed under the report they belong to.

The report of second T counts the requests whose timestamp lies in `(T - interval, T]`, T a
multiple of the interval (UTC epoch), whoever drives it: the live monitor and replay file each
line here by its own second and close a report once the horizon has passed T; the backtest
sums the same per report (`report_ends`). So the same log gives the same rows either way.

What cannot go in its own report goes in the next one written, so every line read is counted
once: a line whose report was already written (late), a line stamped more than `FUTURE`
seconds ahead (a clock decades off must not hold a line back for ever), and a rejected line,
which has no time of its own and goes with the request before it in its file (as in backtest).

After a restart, the lines read back from before the checkpoint's positions were read by the
run before; those stamped after its last report (`reported_to`) were not yet reported, so they
are filed again; the others were counted already.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from analyzer.core.compact import Rows, Vocabulary
from analyzer.core.tally import Triples, grouped
from analyzer.core.window import Counted, Window

FUTURE = 86_400  # seconds ahead of the horizon past which a line goes in the next report
# How far the horizon may fall behind the last report before the reports go back with it: the
# log's clock set back. Less is the measure of the log's clock wavering (late lines): the
# reports wait for it, so their seconds never go back for it.
REWIND_AFTER = 300
# Sections kept per judged second (other heavy columns: `heavy.KEEP`). sections.csv names the
# top --csv-top of a report: they equal the backtest's exact ones while no second holds more
# distinct sections than this (a scan of random first segments is cut, its hits in `(other)`).
SECTIONS_KEPT = 1000


def report_ends(seconds: np.ndarray, interval: int) -> np.ndarray:
    """The report each second belongs to: the first multiple of `interval` at or after it."""
    return -(-np.asarray(seconds, np.int64) // interval) * interval


def report_start(horizon: int, interval: int) -> int:
    """The last report a fresh start takes as written: the one the horizon is in is the first."""
    return horizon // interval * interval


class Ledger:
    """Requests, rejected lines and directives per second, until the report that counts them
    is written."""

    def __init__(self, vocabularies: dict[str, Vocabulary], interval: int) -> None:
        self.interval = interval
        self.held = Window(vocabularies, keep={"section": SECTIONS_KEPT})
        self.rejected = Triples.empty()
        self.reported_to: int | None = None  # the second of the last report written (None: none yet)
        self.last_good: int | None = None  # the second of the last request filed, in file order

    def file(
        self,
        rows: Rows,
        rejected_at: np.ndarray,
        request_at: np.ndarray,
        warm: bool,
        rejected_count: int,
        horizon: int | None = None,
        directive_at: np.ndarray | None = None,
    ) -> None:
        """File a parsed batch: its requests `rows` (at lines `request_at`, in order) and its
        `rejected_count` rejected lines (at lines `rejected_at`, where known: the others go with
        the last request). `warm`: read back at start (see the module). `horizon`: a live
        monitor's when the batch was read: a line more than FUTURE ahead of it goes in the
        next report (a replay, which hands each line at its own second, has none). W3C
        directives (`directive_at`) are filed as rejected lines are, and counted apart."""
        reported = self.reported_to
        seconds = rows.seconds
        # Read back, a rejected line with no request before it in its batch was filed by the
        # run before with one it no longer knows: taken as counted (never twice).
        unknown = reported if warm and reported is not None else None
        rejected = self._rejected_seconds(seconds, rejected_at, request_at, unknown)
        if rejected_count > len(rejected):
            unplaced = rejected_count - len(rejected)
            rejected = np.append(
                rejected, self._rejected_seconds(seconds, np.full(unplaced, 2**62), request_at)
            )
        kinds = np.zeros(len(rejected), np.int64)  # key 0: rejected, 1: a directive
        if directive_at is not None and len(directive_at):
            rejected = np.append(rejected, self._rejected_seconds(seconds, directive_at, request_at, unknown))
            kinds = np.append(kinds, np.ones(len(directive_at), np.int64))
        if len(seconds):
            self.last_good = int(seconds[-1])
        if reported is None:
            if warm:
                return  # a start without a checkpoint: what is read back was counted before
            placed, placed_rejected = seconds, rejected
        elif warm:
            fresh = (seconds > reported) & (seconds <= reported + FUTURE)
            rows = _select(rows, fresh)
            placed = rows.seconds
            fresh_rejected = (rejected > reported) & (rejected <= reported + FUTURE)
            placed_rejected, kinds = rejected[fresh_rejected], kinds[fresh_rejected]
        else:
            placed = self._placed(seconds, reported, horizon)
            placed_rejected = self._placed(rejected, reported, horizon)
        if len(placed):
            self.held.add(_with_seconds(rows, placed))
        if len(placed_rejected):
            self.rejected.add(grouped(placed_rejected, kinds))

    def _placed(self, seconds: np.ndarray, reported: int, horizon: int | None) -> np.ndarray:
        """Each second, or the next report's first second if its own report is written or it
        lies more than FUTURE ahead of the horizon."""
        early_or_far = seconds <= reported
        if horizon is not None:
            early_or_far |= seconds > max(horizon, reported) + FUTURE
        return np.where(early_or_far, reported + 1, seconds)

    def _rejected_seconds(
        self, seconds: np.ndarray, rejected_at: np.ndarray, request_at: np.ndarray, unknown: int | None = None
    ) -> np.ndarray:
        """The second of the request before each rejected line in the file (the last one read
        before the batch where none is in it, or `unknown`; the next report where none was
        ever read)."""
        if len(rejected_at) == 0:
            return np.zeros(0, np.int64)
        before = np.searchsorted(request_at, rejected_at) - 1
        if unknown is not None:
            fallback = unknown
        elif self.last_good is not None:
            fallback = self.last_good
        elif len(seconds):
            fallback = int(seconds[0])  # before the first request of all: filed with it
        else:
            fallback = self.reported_to + 1 if self.reported_to is not None else 0
        if len(seconds) == 0:
            return np.full(len(rejected_at), fallback, np.int64)
        return np.where(before >= 0, seconds[np.maximum(before, 0)], fallback).astype(np.int64)

    def seal(self, upto: int) -> None:
        """Seconds up to `upto` are judged: their hosts, paths, agents and referers keep their
        top keys only, as the window's (`core.heavy`): memory follows the keys kept per second,
        not the distinct values of the reports not yet written."""
        self.held.seal(upto)

    def due(self, horizon: int, quiet: bool = True) -> list[int]:
        """The reports the horizon has passed that hold lines, and, with `quiet`, the last one
        passed (written even if empty: the rows of a quiet log say it was watched; a replay,
        which writes only the reports with lines, does not ask for it). Ascending."""
        if self.reported_to is not None and horizon < self.reported_to - REWIND_AFTER:
            self.rewind(horizon)  # the log's clock went back (its time jumped back, re-measured)
        reported = self.reported_to
        if reported is None:
            return []
        last = horizon // self.interval * self.interval
        if last <= reported:
            return []
        seconds = np.concatenate(
            [self.held.active(reported + 1, last), self._rejected_active(reported + 1, last)]
        )
        ends = set(report_ends(seconds, self.interval).tolist()) if len(seconds) else set()
        return sorted(ends | {last} if quiet else ends)

    def _rejected_active(self, first: int, last: int) -> np.ndarray:
        seconds, _, _ = self.rejected.arrays()
        return seconds[(seconds >= first) & (seconds <= last)]

    def close(self, second: int) -> tuple[Counted, int, int]:
        """What the report of `second` counts (everything filed up to it: requests, rejected
        lines, directives), then forgotten."""
        first = (self.reported_to + 1) if self.reported_to is not None else -(2**62)
        counted = self.held.counted(first, second)
        rejected, directives = self.rejected.by_key(first, second, 2).tolist()
        self.reported_to = second
        self.held.trim(keep_after=second)
        self.rejected.trim(second)
        return counted, rejected, directives

    def rewind(self, horizon: int) -> None:
        """The horizon went back (the log's clock was set back): the reports go on from there,
        and what is held goes in the next one (its seconds are ahead of the new clock)."""
        start = report_start(horizon, self.interval)
        if self.reported_to is None or start >= self.reported_to:
            return
        self.held.move_to(start + 1)
        self.rejected.move_to(start + 1)
        self.reported_to = start

    def held_reports(self, at_most: int) -> list[int]:
        """The reports of the lines filed up to second `at_most`, ascending (written at a stop)."""
        first = (self.reported_to + 1) if self.reported_to is not None else -(2**62)
        seconds = np.concatenate([self.held.counts["hits"].arrays()[0], self.rejected.arrays()[0]])
        held = seconds[(seconds >= first) & (seconds <= at_most)]
        return np.unique(report_ends(held, self.interval)).tolist()

    def unreported(self) -> int:
        """The lines filed and not yet in a report (requests and rejected)."""
        first = (self.reported_to + 1) if self.reported_to is not None else -(2**62)
        return self.held.counts["hits"].within(first, 2**62) + self.rejected.within(first, 2**62)


def _select(rows: Rows, keep: np.ndarray) -> Rows:
    if keep.all():
        return rows
    return Rows(*(getattr(rows, column.name)[keep] for column in fields(Rows)))


def _with_seconds(rows: Rows, seconds: np.ndarray) -> Rows:
    return replace(rows, seconds=seconds)
