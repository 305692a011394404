"""Replay: a historical log played through the live monitor on the log's own clock.

`ReplayClock` runs `speed` event seconds per wall second (pausable, faster or slower while it
plays) and skips the quiet stretches where nothing can change. Each log is a `ReplayFeed`
(replayfeed.py): each request handed at its own second, so the reports and transitions are
exactly the backtest's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from analyzer.formats.select import Selection
from analyzer.offline.replayfeed import HOLD_SECONDS, ReplayFeed
from analyzer.ui.display import FASTER, PLAY_PAUSE, SLOWER

SPEEDS = (1 / 16, 1e6)  # the slowest and fastest a person can make it


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
        chosen: Selection | None = None,
    ) -> None:
        self.lateness = lateness
        self.feeds = [ReplayFeed(path, formats[path], log_format, self.now, chosen=chosen) for path in paths]
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
        target = self.time + seconds if self.end is None else min(self.time + seconds, self.end)
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
