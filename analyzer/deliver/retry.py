"""When to try a delivery again, and when to stop: pure, the clocks passed in.

A failed delivery is tried again after 1 s, 2 s, 4 s ... doubling up to 5 minutes between
tries, for as long as the transition is younger than the give-up age (24 h, counted on the
wall clock from when it was added to the outbox, so a restart does not reset it). The
waits are paced on the monotonic clock: a step of the host's clock neither hurries nor
stalls them. What a person is told follows the same doubling: the 1st, 2nd, 4th, 8th ...
failure, and every failure whose reason differs from the one before, so a receiver down for
a day is a few dozen lines, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_WAIT = 1.0
LONGEST_WAIT = 300.0
GIVE_UP_AGE = 86_400.0


def age_text(seconds: float) -> str:
    """`24h`, `90m`, `45s`: an age as the notices print it."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


@dataclass
class Retry:
    """The tries of the entry at the head of one receiver's queue."""

    first_wait: float = FIRST_WAIT
    longest_wait: float = LONGEST_WAIT
    give_up_age: float = GIVE_UP_AGE
    failures: int = 0
    next_at: float = 0.0  # monotonic time of the next try (0: now)
    last_reason: str = ""

    def due(self, monotonic: float) -> bool:
        return monotonic >= self.next_at

    def wait(self) -> float:
        """The wait after the current number of failures (1, 2, 4 ... up to the longest)."""
        return min(self.longest_wait, self.first_wait * 2 ** min(self.failures - 1, 62))

    def failed(self, reason: str, monotonic: float, wall: float, added: float) -> tuple[bool, bool]:
        """One more failure: (give up now, say it). Gives up once the entry is past its age."""
        self.failures += 1
        say = self.failures & (self.failures - 1) == 0 or reason != self.last_reason
        self.last_reason = reason
        if wall - added >= self.give_up_age:
            return True, True
        self.next_at = monotonic + self.wait()
        return False, say

    def reset(self) -> None:
        """The head was delivered (or given up): the next entry starts afresh."""
        self.failures = 0
        self.next_at = 0.0
        self.last_reason = ""
