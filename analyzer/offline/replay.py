"""Replay: a historical log played through the live monitor on the log's own clock.

`ReplayClock` runs `speed` event seconds per wall second (pausable, faster or slower while it
plays) and skips the quiet stretches where nothing can change (`next_time`). Each log is a
`ReplayFeed` (replayfeed.py): each request handed at its own second, so the reports and
transitions are exactly the backtest's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from analyzer.core.engine import MAX_CATCH_UP
from analyzer.formats.select import Selection
from analyzer.offline.replayfeed import HOLD_SECONDS, ReplayFeed
from analyzer.ui.display import FASTER, PLAY_PAUSE, SLOWER

# The slowest and fastest the keys make it; a faster --speed is played as asked (at the keys'
# top, the 3,465 hours with lines of the real IIS year are 12.5 s of pacing alone).
SPEEDS = (1 / 16, 1e6)
# Faster, a poll plays the most a monitor steps (an hour, live.settings.REPLAY_STEP) in under a
# second of wall time: more than the screen can show, so every quiet stretch is jumped.
FAST_SPEED = 3600.0
# A fast poll joins the next hours with lines of a sparse log while it hands at most this many
# lines (an hour of a busy log is a poll of its own, as ever) and plays at most a day of log:
# the engine's checks fold arrays of that span (its first check replays as much).
LINES_JOINED = 10_000


def next_time(
    time: float,
    step: float,
    upcoming: int | None,
    end: float | None,
    gap: int,
    fast: bool = False,
    first_check: float = -math.inf,
    read_to: float = math.inf,
) -> tuple[float, bool]:
    """Where a replay's clock at `time`, asked to play `step` seconds, goes next, and whether it
    jumped there (a jump takes no wall time). `upcoming`: the next second with a line (None:
    none known); `end`: the clock's end once known; `first_check`: the time of the first poll
    that judges (its horizon reaches the log's first line); `read_to`: the newest second every
    log not read to its end has read.

    A quiet stretch after the step longer than `gap` (a report interval: a person watches) is
    jumped to just before its next line. A `fast` replay (each step an hour, more than a screen
    shows) jumps any quiet stretch and plays a step from there in the same poll, as the poll
    in between would hand nothing: its polls are a watched replay's less the empty ones, each
    handing under a step of log (`joined` then joins the next ones of a sparse log). A jump
    never goes past what is read (the log may end right after it: the clock would judge past
    its end), nor past the first check by more than the engine's first check reaches back
    (MAX_CATCH_UP: the seconds before it would never be judged)."""
    target = time + step if end is None else min(time + step, end)
    if upcoming is None or upcoming - target <= (0 if fast else gap):
        return target, False
    landing = min(upcoming - 1 + (step if fast else 0), max(target, read_to))
    if time < first_check:
        landing = min(landing, first_check + MAX_CATCH_UP)
    landing = landing if end is None else min(landing, end)
    return landing, landing > target


def joined(
    landing: float, step: float, waiting: np.ndarray, limit: float, most: int, lines: int = LINES_JOINED
) -> tuple[float, int]:
    """How far a fast poll that lands at `landing` plays on in the same poll, and how many
    hours it joins: each next hour with lines from just before its first line, as a poll of
    its own would have played it (`next_time`), at most `most` of them, never past `limit`,
    while it hands at most `lines` lines (`waiting`: the seconds of the next lines, ascending,
    at least `lines` + 1 of them where there are as many). A step under a second joins none:
    it would hand no line."""
    hours = 0
    while hours < most and step >= 1:
        handed = int(np.searchsorted(waiting, landing, side="right"))
        if handed >= len(waiting):
            break  # no next line known (read, or among the lines a poll may hand)
        following = float(waiting[handed]) - 1 + step
        if following > limit or np.searchsorted(waiting, following, side="right") > lines:
            break
        landing, hours = following, hours + 1
    return landing, hours


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
        start = min(starts, default=first)
        # Its first check is at the first poll whose horizon reaches `start`.
        self.clock = ReplayClock(
            start, speed, interval, self.next_event, wall_sleep, wall_now, start + lateness, self.read_to,
            self.ahead,
        )  # fmt: skip

    def now(self) -> float:
        return self.clock.time

    def next_event(self) -> int | None:
        """The next second with requests; once everything is read, the clock's end is known."""
        if self.clock.end is None and all(feed.all_read for feed in self.feeds):
            newest = [feed.newest for feed in self.feeds if feed.newest is not None]
            self.clock.end = float(max(newest, default=math.floor(self.clock.time)) + self.lateness)
        waiting = [second for second in (feed.waiting() for feed in self.feeds) if second is not None]
        return min(waiting) if waiting else None

    def read_to(self) -> float:
        """The newest second every log not yet read to its end has read (inf: all are)."""
        unread = [feed for feed in self.feeds if not feed.all_read]
        return min((-math.inf if feed.newest is None else feed.newest for feed in unread), default=math.inf)

    def ahead(self, lines: int) -> np.ndarray:
        """The seconds of the next `lines` lines to be handed, ascending."""
        parts = [feed.ahead(lines) for feed in self.feeds]
        return (parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts)))[:lines]

    def finished(self) -> bool:
        """The clock is at the log's end and every line was handed over."""
        self.next_event()
        return self.clock.done() and all(feed.exhausted for feed in self.feeds)


class ReplayClock:
    """The log's own time, `speed` event seconds per wall second, from `start`.

    `end` is set once the input is all read: the clock never passes it, so the last second
    judged is the last second of the log, as the backtest's horizon. A stretch with no line
    longer than `gap` (a report interval), or any when each step plays faster than a second
    of wall time (`next_time`), is skipped at once: the alert check judges every second of it
    all the same (one vectorised fold), only no report is drawn inside it. Such a fast poll
    also plays the next hours with lines of a sparse log, as many as a wall second paces
    (`joined`): a year of it is a few hundred polls, each paced as the polls it joins.
    """

    def __init__(
        self,
        start: float,
        speed: float,
        gap: int,
        next_event: Callable[[], int | None],
        wall_sleep: Callable[[float], None] = time.sleep,
        wall_now: Callable[[], float] = time.monotonic,
        first_check: float = -math.inf,
        read_to: Callable[[], float] = lambda: math.inf,
        ahead: Callable[[int], np.ndarray] = lambda lines: np.zeros(0, np.int64),
    ) -> None:
        self.time = float(start)
        self.rate = max(speed, SPEEDS[0])
        self.gap = gap
        self.next_event = next_event
        self.wall_sleep = wall_sleep
        self.wall_now = wall_now
        self.end: float | None = None
        self.first_check = first_check  # see `next_time`
        self.read_to = read_to
        self.ahead = ahead
        self.is_paused = False
        self._anchor()

    def _anchor(self, owed: float = 0.0) -> None:
        """From here the log's time runs at `rate` against the wall clock (after a pause, a
        change of speed or a skipped stretch), `owed` wall seconds later (hours played ahead)."""
        self.anchor = (self.wall_now() + owed, self.time)

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
        upcoming = self.next_event()  # first: it sets the end once everything is read
        fast, judged = self.rate > FAST_SPEED, self.time >= self.first_check
        self.time, jumped = next_time(
            self.time, seconds, upcoming, self.end, self.gap, fast, self.first_check, self.read_to()
        )
        hours = 0
        if fast and judged:  # the next hours with lines too, as many as play in a wall second
            end = math.inf if self.end is None else self.end
            limit = min(self.time - seconds + MAX_CATCH_UP, self.read_to(), end)
            most = int(self.rate / seconds) - 1
            self.time, hours = joined(self.time, seconds, self.ahead(LINES_JOINED + 1), limit, most)
        if jumped or hours:  # a quiet stretch: judged at once, the window being empty
            self._anchor(owed=hours * seconds / self.rate)  # the hours joined paced as polls

    def done(self) -> bool:
        return self.end is not None and self.time >= self.end

    def speed(self) -> float:
        return self.rate

    def paused(self) -> bool:
        return self.is_paused

    def act(self, action: str) -> None:
        if action == FASTER:
            self.rate = max(self.rate, min(self.rate * 2, SPEEDS[1]))  # never slower
        elif action == SLOWER:
            self.rate = max(self.rate / 2, SPEEDS[0])
        elif action == PLAY_PAUSE:
            self.is_paused = not self.is_paused
        self._anchor()
