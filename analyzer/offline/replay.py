"""Replay: a historical log played through the live monitor on the log's own clock.

`ReplayClock` runs `speed` event seconds per wall second (pausable, faster or slower while it
plays) and skips the quiet stretches where nothing can change. `ReplayFeed` reads a log
(plain or gzip) in pieces ahead of that clock and hands the monitor each request at its own
second, in time order whatever the order of the lines (out of order by up to `hold`
seconds): so no line is late and the transitions are exactly the backtest's. Rejected lines
and directives are handed over as they are read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from analyzer.core.engine import FileStatus
from analyzer.follow.fileid import Position
from analyzer.formats.clf import Parsed
from analyzer.formats.columns import seconds_of
from analyzer.formats.frames import concat_frames
from analyzer.formats.parsers import describe, make_parser
from analyzer.offline.reader import Piece, pieces
from analyzer.ui.display import FASTER, PLAY_PAUSE, SLOWER

HOLD_SECONDS = 3600  # read this far ahead of the clock: lines out of order by less are on time
SPEEDS = (1 / 16, 1e6)  # the slowest and fastest a person can make it


class ReplayFeed:
    """One historical log, handed to the monitor request by request as the replay clock passes."""

    ended = False  # the replay's clock says when it is over

    def __init__(
        self, path: str, fmt: str, log_format: str | None, now: Callable[[], float], hold: int = HOLD_SECONDS
    ) -> None:
        self.path = path
        self.now = now
        self.parser = make_parser(fmt, log_format)
        self.hold = hold
        self._pieces: Iterator[Piece] | None = pieces(path)
        self._buffer = pd.DataFrame()  # requests read and not yet handed over, in time order
        self._seconds = np.zeros(0, np.int64)
        self._unplaced: list[Parsed] = []  # rejected lines and directives: handed over as read
        self.newest: int | None = None  # the newest second read so far
        self.lines = self.rejected = 0
        self.last_seen: int | None = None

    @property
    def exhausted(self) -> bool:
        """Every line read and handed over."""
        return self.all_read and len(self._seconds) == 0 and not self._unplaced

    @property
    def all_read(self) -> bool:
        return self._pieces is None

    def waiting(self) -> int | None:
        """The oldest second read and not yet handed over."""
        return int(self._seconds[0]) if len(self._seconds) else None

    def read_ahead(self, until: int | None) -> None:
        """Read until the newest line read is past `until` (None: one piece with requests)."""
        self._fill(until)

    def read(self) -> list[Parsed]:
        """Everything due by now: the requests of its seconds, and the other lines read."""
        second = math.floor(self.now())
        self._fill(second + self.hold)
        due = int(np.searchsorted(self._seconds, second, side="right"))
        batches, self._unplaced = self._unplaced, []
        if due:
            frame = self._buffer.iloc[:due].reset_index(drop=True)
            self._buffer, self._seconds = self._buffer.iloc[due:], self._seconds[due:]
            batches.append(Parsed(frame, len(frame), 0))
        return batches

    def _fill(self, until: int | None) -> None:
        """Read pieces until the newest line read is past `until` (None: at least one piece)."""
        read: list[pd.DataFrame] = []
        while self._pieces is not None:
            if (until is None and read) or (
                until is not None and self.newest is not None and self.newest > until
            ):
                break
            piece = next(self._pieces, None)
            if piece is None:
                self._pieces = None
                break
            data, dropped = piece.read_lines()
            parsed = self.parser.parse(data)
            if parsed.rejected or parsed.directives or dropped:
                self._unplaced.append(_others(parsed, dropped))
            seconds = seconds_of(parsed.frame)
            if len(seconds):
                read.append(parsed.frame)
                self.newest = max(self.newest or 0, int(seconds.max()))
        if read:
            frame = concat_frames([self._buffer, *read] if len(self._buffer) else read)
            seconds = seconds_of(frame)
            order = np.argsort(seconds, kind="stable")  # time order; file order within a second
            self._buffer, self._seconds = frame.iloc[order].reset_index(drop=True), seconds[order]

    # What the monitor asks of a followed file.
    def count(self, parsed: Parsed) -> None:
        self.lines += len(parsed.frame) + parsed.rejected
        self.rejected += parsed.rejected
        if len(parsed.frame):
            self.last_seen = int(seconds_of(parsed.frame).max())

    def take_notices(self) -> list[str]:
        return []

    def status(self) -> FileStatus:
        doing = "replayed to its end" if self.exhausted else "replaying"
        return FileStatus(self.path, self.lines, self.rejected, self.last_seen, doing)

    def format_name(self) -> str:
        return describe(self.parser)

    def positions(self) -> list[Position]:
        return []

    @property
    def behind(self) -> bool:
        return False

    def close(self) -> None:
        self._pieces = None


def _others(parsed: Parsed, dropped: int) -> Parsed:
    """The rejected lines and directives of a parsed piece, without its requests."""
    empty = parsed.frame.iloc[:0]
    rejects = parsed.rejects + [("too long", "(a line over the length limit, not kept)")] * dropped
    samples = parsed.reject_samples[:5]
    return Parsed(
        empty,
        parsed.rejected + dropped + parsed.directives,
        parsed.rejected + dropped,
        samples,
        rejects=rejects,
        directive_at=parsed.directive_at,
    )


class Replay:
    """Historical logs and the clock that plays them: the monitor's feeds and its clock."""

    def __init__(
        self,
        paths: list[str],
        formats: dict[str, str],
        log_format: str | None,
        speed: float,
        interval: int,
        lateness: int,
        wall_sleep: Callable[[float], None] = time.sleep,
        wall_now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lateness = lateness
        self.feeds = [ReplayFeed(path, formats[path], log_format, self.now) for path in paths]
        for feed in self.feeds:
            feed.read_ahead(None)
        starts = [second for second in (feed.waiting() for feed in self.feeds) if second is not None]
        first = min(starts) if starts else math.floor(time.time())
        for feed in self.feeds:  # lines up to an hour out of order, earlier than the first one
            feed.read_ahead(first + HOLD_SECONDS)
        starts = [second for second in (feed.waiting() for feed in self.feeds) if second is not None]
        self.clock = ReplayClock(
            min(starts, default=first), speed, interval, self.next_event, wall_sleep, wall_now
        )

    def now(self) -> float:
        return self.clock.time

    def next_event(self) -> int | None:
        """The next second with requests; once everything is read, the clock's end is known."""
        if self.clock.end is None and all(feed.all_read for feed in self.feeds):
            newest = [feed.newest for feed in self.feeds if feed.newest is not None]
            self.clock.end = float(max(newest, default=math.floor(self.clock.time)) + self.lateness)
        waiting = [second for second in (feed.waiting() for feed in self.feeds) if second is not None]
        return min(waiting) if waiting else None

    def finished(self) -> bool:
        """The clock is at the log's end and every line was handed over."""
        self.next_event()
        return self.clock.done() and all(feed.exhausted for feed in self.feeds)


class ReplayClock:
    """The log's own time, `speed` event seconds per wall second, from `start`.

    `end` is set once the input is all read: the clock never passes it, so the last second
    judged is the last second of the log, as the backtest's horizon. A stretch with no line
    longer than `gap` (a report interval) is skipped at once: the alert check judges every
    second of it all the same (one vectorised fold), only no report is drawn inside it.
    """

    def __init__(
        self,
        start: float,
        speed: float,
        gap: int,
        next_event: Callable[[], int | None],
        wall_sleep: Callable[[float], None] = time.sleep,
        wall_now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.time = float(start)
        self.rate = min(max(speed, SPEEDS[0]), SPEEDS[1])
        self.gap = gap
        self.next_event = next_event
        self.wall_sleep = wall_sleep
        self.wall_now = wall_now
        self.end: float | None = None
        self.is_paused = False
        self._anchor()

    def _anchor(self) -> None:
        """From here the log's time runs at `rate` against the wall clock (after a pause, a
        change of speed or a skipped stretch)."""
        self.anchor = (self.wall_now(), self.time)

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        if self.is_paused:
            self.wall_sleep(0.1)  # the screen still answers keys
            self._anchor()
            return
        target = self.time + seconds
        # Paced against the wall clock, so the work of each step does not slow the replay;
        # a wait of under 5 ms is left for the next step (at high speed it costs more than it waits).
        wall, logged = self.anchor
        wait = wall + (target - logged) / self.rate - self.wall_now()
        if wait >= 0.005:
            self.wall_sleep(wait)
        upcoming = self.next_event()
        if upcoming is not None and upcoming - target > self.gap:
            target = upcoming - 1  # a quiet stretch: judged at once, the window being empty
            self.time = target if self.end is None else min(target, self.end)
            self._anchor()
            return
        self.time = target if self.end is None else min(target, self.end)

    def done(self) -> bool:
        return self.end is not None and self.time >= self.end

    def speed(self) -> float:
        return self.rate

    def paused(self) -> bool:
        return self.is_paused

    def act(self, action: str) -> None:
        if action == FASTER:
            self.rate = min(self.rate * 2, SPEEDS[1])
        elif action == SLOWER:
            self.rate = max(self.rate / 2, SPEEDS[0])
        elif action == PLAY_PAUSE:
            self.is_paused = not self.is_paused
        self._anchor()
