"""Where the monitor's output goes: a `Display` takes reports, messages and the status.

The monitor never writes to the terminal itself: it hands a display what happened, and the
display decides how it looks. `Plain` is the append-only text of `--plain` (and of a stdout
that is not a terminal): each report as a block, each message as a line. On a terminal the
display is the dashboard (`dashboard.Dashboard`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TextIO

from analyzer.core.engine import Report
from analyzer.ui.render import render_report

# What a person may ask of a display between two polls (keys on a dashboard).
QUIT = "quit"
FASTER = "faster"
SLOWER = "slower"
PLAY_PAUSE = "play-pause"


@dataclass(frozen=True)
class Status:
    """What the top line of a screen shows, refreshed every poll (second)."""

    now: float  # the monitor's clock: the wall clock, or the log's own in a replay
    alert_since: int | None  # the second the alert on now began; None: no alert
    average: float  # req/s over the window ending at the last judged second
    threshold: float
    window: int
    rate_now: float  # req/s over the last few seconds
    files: int
    newest: int | None  # event second of the newest request seen (None: none yet)
    speed: float | None = None  # a replay's event seconds per wall second (None: live)
    paused: bool = False  # a replay that is paused (the reading, not only the screen)


class Display(Protocol):
    @property
    def interactive(self) -> bool:
        """It takes keys (a replay keeps its last frame until `q`)."""

    def message(self, text: str) -> None:
        """A line to show at once: an alert or recovery, a notice about a file, a warning."""

    def report(self, report: Report, title: str) -> None:
        """The report of an interval."""

    def first(self, report: Report, title: str) -> None:
        """The state right after the warm start, before any report: a screen draws it at once."""

    def status(self, status: Status) -> None:
        """The state as of this poll (a screen redraws its top line)."""

    def actions(self) -> list[str]:
        """What the person asked since the last call (QUIT, ...): keys on a dashboard."""

    def close(self) -> None:
        """Give the terminal back as it was."""


class Plain:
    """Append-only text: every report as a block, every message as a line, nothing redrawn."""

    interactive = False

    def __init__(self, stdout: TextIO, top: int = 10) -> None:
        self.stdout = stdout
        self.top = top

    def message(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def report(self, report: Report, title: str) -> None:
        self.stdout.write(render_report(report, title, self.top) + "\n")
        self.stdout.flush()

    def first(self, report: Report, title: str) -> None:
        return None  # append-only text has only the reports

    def status(self, status: Status) -> None:
        return None

    def actions(self) -> list[str]:
        return []

    def close(self) -> None:
        self.stdout.flush()
