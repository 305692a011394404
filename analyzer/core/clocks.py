"""The log's clock against the host's: how far apart they are, and when the log's time jumps.

The alert judges a second once the host's clock is `lateness` past it: right while the web
server stamps its lines with the same time the monitor reads. When the two disagree (logs
shipped from a host whose clock is off, a container with its own clock, a server's clock
corrected), judging on the host's clock alone is wrong: a log ahead is judged late, a log
behind has every line late. So the monitor measures the skew (the newest line of each read
against the second it was read at, the median of the last reads, so one odd line moves
nothing) and, past the lateness, judges on the log's time (the host clock plus that skew:
while lines flow it is the log's own newest second, and when the log goes silent it runs
on, so traffic stopping still recovers the alert). A fall of the log's time by more than the
window (a clock stepped back an hour) is a discontinuity: the window restarts there. Pure:
every time is passed in.
"""

from __future__ import annotations

from collections import deque

import numpy as np

SKEW_READS = 9  # reads with lines whose skew the median takes


class LogClock:
    """The skew of the log's time against the host's, measured read by read."""

    def __init__(self) -> None:
        self.samples: deque[int] = deque(maxlen=SKEW_READS)
        self.unshifted: deque[int] | None = None  # before a host step, until a read tells

    def observe(self, seconds: np.ndarray, read_at: float) -> None:
        """Lines with these event seconds were read at host time `read_at`."""
        if not len(seconds):
            return
        # The newest line's second ends a second after its stamp: read at once, no skew.
        sample = int(seconds.max()) + 1 - int(np.floor(read_at))
        if self.unshifted is not None:
            # The first read after a host step tells whether the log's clock stepped with it
            # (the server on this host: the skew is as before) or not (shipped logs).
            if self.unshifted and abs(sample - _median(self.unshifted)) < abs(sample - self.skew()):
                self.samples = self.unshifted
            self.unshifted = None
        self.samples.append(sample)

    def host_stepped(self, step: float) -> None:
        """The host's wall clock jumped by `step` seconds: a log that keeps its own time is now
        that much further from it. Assumed so until the next read says otherwise."""
        self.unshifted = deque(self.samples, maxlen=SKEW_READS)
        self.samples = deque((sample - round(step) for sample in self.samples), maxlen=SKEW_READS)

    def skew(self) -> int:
        """Seconds the log's time is ahead of the host's (negative: behind); 0 before any read."""
        return _median(self.samples) if self.samples else 0

    def forget(self) -> None:
        self.samples.clear()
        self.unshifted = None


def _median(samples: deque[int]) -> int:
    return int(np.median(np.fromiter(samples, np.int64)))


def jumped_back(seconds: np.ndarray, newest: int | None, window: int) -> bool:
    """Whether a batch's time lies more than a window before the newest second seen: most of
    its lines, not one odd line, so a burst of stragglers is late, not a jump."""
    return newest is not None and len(seconds) > 0 and int(np.median(seconds)) < newest - window


def span_words(seconds: float) -> str:
    """`45 s`, `12 min`, `1 h 05 min`, `3 days`: a clock's step or skew as a person says it."""
    seconds = abs(round(seconds))
    minutes = round(seconds / 60)
    if seconds < 120:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if seconds < 2 * 86400:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{round(seconds / 86400)} days"


def skew_words(skew: int) -> str:
    """`log clock 60 s ahead of this host`."""
    return f"log clock {span_words(skew)} {'ahead of' if skew > 0 else 'behind'} this host"
