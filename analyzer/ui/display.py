"""Where the monitor's output goes: a `Display` takes reports, messages and the status.

The monitor never writes to the terminal itself: it hands a display what happened, and the
display decides how it looks. `Plain` is the append-only text of `--plain` (and of a stdout
that is not a terminal): each report as a block, each message as a line. On a terminal the
display is the dashboard (`dashboard.Dashboard`).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from typing import Protocol, TextIO

from analyzer.core.alerts import Transition
from analyzer.core.drivers import drivers_text
from analyzer.core.engine import Report
from analyzer.core.focus import Focused
from analyzer.core.standing import Standing
from analyzer.formats.select import Term
from analyzer.ui.render import WIDTH, render_report
from analyzer.ui.text import printable
from analyzer.ui.words import finished_text, stale_text

# What a person may ask of a display between two polls (keys on a dashboard).
QUIT = "quit"
FASTER = "faster"
SLOWER = "slower"
PLAY_PAUSE = "play-pause"
LONG = 1 << 12  # escape whole texts


@dataclass(frozen=True)
class Filter:
    """Asked by `/` and Enter on a row: count the requests matching every term apart, from
    now on (no terms: stop). `words` is how the screen says it."""

    terms: tuple[Term, ...]
    words: str


Action = str | Filter


@dataclass(frozen=True)
class Status:
    """What the top lines of a screen show, refreshed every poll (second). Every rate names the
    seconds it covers: the average the `window` seconds to `judged`, the rate now the `recent`
    seconds to `recent_to`."""

    now: float  # the monitor's clock: the wall clock, or the log's own in a replay
    alert_since: int | None  # the second the alert on now began; None: no alert
    average: float  # req/s over the window ending at the last judged second
    threshold: float
    window: int
    rate_now: float  # req/s over the last `recent` seconds
    files: int
    newest: int | None  # event second of the newest request seen (None: none yet)
    speed: float | None = None  # a replay's event seconds per wall second (None: live)
    paused: bool = False  # a replay that is paused (the reading, not only the screen)
    judged: int | None = None  # the last second judged, where the average ends (None: now's)
    hits: int | None = None  # the window's requests at `judged` (None: the average's)
    recent: int = 5  # the seconds of `rate_now`
    recent_to: int | None = None  # where they end (None: the second before now's)
    finished: bool = False  # a replay that played all its lines (the screen stays until `q`)
    focus: Focused | None = None  # what the screen's filter or drill-down counted (its Filter)
    # Every rule at `judged` when others run beside the high-traffic one (core.standing).
    standings: tuple[Standing, ...] = ()

    @property
    def average_to(self) -> int:
        return self.judged if self.judged is not None else math.floor(self.now)

    @property
    def rate_to(self) -> int:
        return self.recent_to if self.recent_to is not None else math.floor(self.now) - 1

    @property
    def window_hits(self) -> int:
        return self.hits if self.hits is not None else round(self.average * self.window)

    @property
    def stale(self) -> str | None:
        """The warning of a live monitor whose newest line is older than the window (in a
        replay an empty window is a quiet stretch of the log, not an old log)."""
        return stale_text(self.now, self.newest, self.window) if self.speed is None else None


class Display(Protocol):
    @property
    def interactive(self) -> bool:
        """It takes keys (a replay keeps its last frame until `q`)."""

    def transition(self, transition: Transition) -> None:
        """An alert or a recovery, to show at once and keep in view (typed: never told by its text)."""

    def message(self, text: str) -> None:
        """A notice to show at once: about a file, a warning. Never an alert or a recovery."""

    def report(self, report: Report, title: str) -> None:
        """The report of an interval."""

    def first(self, report: Report, title: str) -> None:
        """The state right after the warm start, before any report: a screen draws it at once."""

    def status(self, status: Status) -> None:
        """The state as of this poll (a screen redraws its top line)."""

    def actions(self) -> list[Action]:
        """What the person asked since the last call (QUIT, a Filter, ...): keys on a dashboard."""

    def close(self) -> None:
        """Give the terminal back as it was."""


class Listener(Protocol):
    """Something beside the display that hears what the monitor does: the delivery of alerts,
    the web page and its metrics. Every call returns at once (a listener that does slow work,
    such as sending, does it on its own thread) and never raises."""

    def transition(self, transition: Transition) -> None:
        """An alert or a recovery, as it is written to alerts.csv."""

    def first(self, report: Report) -> None:
        """The state right after the warm start: the window read back, no interval counted."""

    def report(self, report: Report) -> None:
        """The report of an interval, as it is written to stats.csv."""

    def status(self, status: Status) -> None:
        """The state as of this poll."""

    def notices(self) -> list[str]:
        """What it has to say since the last call (a receiver failing, a port taken): one line
        each, shown on the display as messages."""

    def close(self) -> None:
        """Stop: finish or hand over what is in flight, within a second or two."""


def plain_width(stdout: TextIO) -> int:
    """Columns for `--plain` blocks: `COLUMNS` when set, else the terminal's, else 80."""
    text = os.environ.get("COLUMNS", "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        return os.get_terminal_size(stdout.fileno()).columns or WIDTH
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return WIDTH


class Plain:
    """Append-only text: every report as a block, every transition and notice as a line when it
    happens, nothing redrawn and nothing repeated."""

    interactive = False

    def __init__(self, stdout: TextIO, top: int = 10, width: int | None = None) -> None:
        self.stdout = stdout
        self.top = top
        self.width = width if width is not None else plain_width(stdout)
        self.last_status: Status | None = None
        # The state at start waits for the status the monitor gives right after it: only the
        # status knows whether the log is stale, which a first block must say.
        self.at_start: tuple[Report, str] | None = None
        self.said_finished = False

    def transition(self, transition: Transition) -> None:
        self._write(transition.message)
        driven = drivers_text(transition.drivers)
        if driven:  # under the message, once, as the screen's history shows it
            self._write("  " + printable(driven, LONG))

    def message(self, text: str) -> None:
        self._write(printable(text, LONG))

    def report(self, report: Report, title: str) -> None:
        self._start()
        self._block(report, title, start=False)

    def first(self, report: Report, title: str) -> None:
        self.at_start = (report, title)

    def status(self, status: Status) -> None:
        self.last_status = status
        self._start()
        if status.finished and not self.said_finished:
            self.said_finished = True
            self._write(finished_text(status.now))

    def actions(self) -> list[Action]:
        return []

    def close(self) -> None:
        self._start()
        self.stdout.flush()

    def _start(self) -> None:
        if self.at_start is not None:
            report, title = self.at_start
            self.at_start = None
            self._block(report, title, start=True)

    def _block(self, report: Report, title: str, start: bool) -> None:
        status = self.last_status
        stale = status.stale if status is not None else None
        self._write(render_report(report, title, self.top, self.width, start, stale or ""))

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
