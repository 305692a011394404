"""The dashboard: the `Display` of a terminal, drawn from what the monitor tells it.

The monitor's loop is synchronous and owns the clock: it calls `transition`, `message`,
`report`, `first` and `status` (each redraws what changed) and collects `actions` once a
poll. Keys and
resizes must not wait for the next poll (up to a second), so a small thread waits on the
keyboard (0.1 s at a time), applies view keys at once (panels, scrolling, help, pause),
queues the monitor's (`q`, replay's Space/+/-) for `actions`, and redraws when the window
size changes. One lock orders everything the two threads touch; the thread never reads a
clock the monitor uses, and never reads a file. A stdout that is not a terminal (a test's
StringIO) gets the same frames, with no thread and no keys. On `close`, once the alternate
screen is left, the alerts and recoveries of the run are printed to the normal screen, one
a line, so they outlive the dashboard in the terminal's scrollback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque
from typing import TextIO

from analyzer.core.alerts import Transition
from analyzer.core.engine import Report
from analyzer.ui.display import Action, Status
from analyzer.ui.keys import parse_keys, press
from analyzer.ui.layout import Frame, Screen, View, layout
from analyzer.ui.terminal import Size, Terminal, is_terminal
from analyzer.ui.text import printable

MAX_NOTICES = 200  # notices about files kept for the files panel (the alert history is whole)
WAIT = 0.1  # seconds the thread waits for a key before it looks at the size again


def keyboard(stdout: TextIO) -> TextIO | None:
    """Where keys come from: the real terminal's stdin, when both it and stdout are terminals
    and the monitor is the terminal's foreground job (a job in the background that read the
    terminal or changed its modes would be stopped by the kernel)."""
    if not (is_terminal(stdout) and is_terminal(sys.stdin)):
        return None
    try:
        foreground = os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except OSError:
        return None
    return sys.stdin if foreground else None


class Dashboard:
    """A full-screen, self-fitting view of the monitor on a terminal."""

    def __init__(
        self,
        stdout: TextIO,
        top: int = 10,
        color: bool = True,
        keys: TextIO | None = None,
        size: Size | None = None,
        watch: bool = True,
    ) -> None:
        self.terminal = Terminal(stdout, keys if keys is not None else keyboard(stdout), size)
        self.top = top
        self.color = color
        self.watch = watch and self.terminal.fd is not None  # the thread, on a real terminal
        self.lock = threading.RLock()
        self.view = View()
        self.newest: Report | None = None  # the last report
        self.shown: Report | None = None  # the report on screen (older while the screen is paused)
        self.last_status: Status | None = None
        self.title = ""
        self.pending: list[Transition] = []  # transitions not yet in a report's history
        self.run: list[Transition] = []  # the transitions of this run, printed on close
        self.notices: deque[tuple[float | None, str]] = deque(maxlen=MAX_NOTICES)
        self.queued: list[Action] = []
        self.frame: Frame | None = None
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    # ----- the Display protocol (the monitor's thread) -----

    def transition(self, transition: Transition) -> None:
        with self.lock:
            self.pending.append(transition)
            self.run.append(transition)
            self._draw()

    def message(self, text: str) -> None:
        with self.lock:
            # Stamped with the monitor's time as of the last poll (the log's own in a replay).
            self.notices.append((self.last_status.now if self.last_status else None, text))
            self._draw()

    def report(self, report: Report, title: str) -> None:
        with self.lock:
            self.newest, self.title = report, title
            if not self.view.paused:
                self.shown = report
            recorded = set(report.history)
            self.pending = [transition for transition in self.pending if transition not in recorded]
            self._draw()

    def first(self, report: Report, title: str) -> None:
        self.report(report, title)

    def status(self, status: Status) -> None:
        with self.lock:
            self.last_status = status
            self._draw()

    @property
    def interactive(self) -> bool:
        """Keys are read (stdin and stdout are the terminal, and the monitor is in the foreground)."""
        return self.terminal.keys_fd is not None

    def actions(self) -> list[Action]:
        with self.lock:
            if not self.watch and self.terminal.resized():
                self._draw()
            asked, self.queued = self.queued, []
            return asked

    def close(self) -> None:
        self.stopping.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=2)
        with self.lock:
            entered = self.terminal.entered
            self.terminal.leave()
            if entered and self.run:  # once: a second close has left the screen already
                history, self.run = "".join(f"{printable(t.message, 1 << 12)}\n" for t in self.run), []
                with contextlib.suppress(OSError, ValueError):  # the terminal is gone
                    self.terminal.write(history)

    # ----- keys and drawing -----

    def keys(self, data: bytes) -> None:
        """Apply what was typed: the view changes at once, the monitor's keys are queued."""
        with self.lock:
            for key in parse_keys(data):
                view, action = press(self.view, key, self.frame or Frame([], 0, 0, 0))
                if action is not None:
                    self.queued.append(action)
                if self.view.paused and not view.paused:
                    self.shown = self.newest  # resumed: straight to the newest report
                self.view = view
            self._draw()

    def screen(self) -> Screen:
        """What is on screen now, for the layout. The alert history is the newest report's
        (with what came since), even while the screen is paused: it is the state, not a panel."""
        recorded = tuple(self.newest.history) if self.newest is not None else ()
        return Screen(
            self.shown,
            self.last_status,
            self.title,
            recorded + tuple(self.pending),
            tuple(self.notices),
            self.top,
        )

    def _draw(self) -> None:
        if self.stopping.is_set():
            return
        if not self.terminal.entered:
            self.terminal.enter()
            if self.watch and self.thread is None:
                self.thread = threading.Thread(target=self._wait_for_keys, name="dashboard-keys", daemon=True)
                self.thread.start()
        size = self.terminal.size()
        self.frame = layout(self.screen(), self.view, *size)
        self.terminal.draw(self.frame.lines, size, self.color)

    def _wait_for_keys(self) -> None:
        """The thread: keys as they are typed, and a redraw when the window is resized."""
        try:
            while not self.stopping.is_set():
                typed = self.terminal.read(WAIT)
                if not typed and self.terminal.keys_fd is None:
                    self.stopping.wait(WAIT)
                with self.lock:
                    if typed:
                        self.keys(typed)
                    elif self.terminal.resized():
                        self._draw()
        except (OSError, ValueError):  # the terminal went away: the monitor's own writes will say so
            return
