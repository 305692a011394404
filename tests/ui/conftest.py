"""Helpers of the screen's tests: real reports from an engine, hostile texts, a cell measure,
and a real process in a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import replace

import pyte
import wcwidth
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine, FileStatus, Report
from analyzer.formats.clf import parse
from analyzer.ui.cells import Line
from analyzer.ui.terminal import LEAVE
from tests.conftest import clf_line

T0 = 1_800_000_000  # 2027-01-15T08:00:00Z
HOSTILE = "\x1b[2J\x1b]0;pwned\x07[bold]\u202e"  # clear screen, OSC title, markup, bidi override
# Any C0/C1 control or bidi override: none may reach the terminal from log text.
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Texts a log can carry: ASCII, wide CJK, combining marks, emoji, controls, markup, bidi.
ALPHABET = st.sampled_from(
    list("abc/-_. [](){}%") + list("日本語한국") + ["e\u0301", "\U0001f600"] + list("\x1b\x07\x9b\x00\u202e")
)
log_text = st.lists(ALPHABET, max_size=30).map("".join)


def cells(text: str) -> int:
    """Cells as an independent library (the one terminal emulators use) counts them."""
    counted = wcwidth.wcswidth(text)
    assert counted >= 0, f"a control character reached the screen: {text!r}"
    return counted


def line_cells(line: Line) -> int:
    return cells("".join(span.text for span in line))


def make_report(
    paths: list[str],
    seconds: int = 30,
    per_second: int = 3,
    rule: AlertRule | None = None,
    rejects: bytes = b"",
    files: tuple[FileStatus, ...] = (),
) -> Report:
    """A report at T0 from `per_second` requests a second over `seconds`, cycling `paths`."""
    engine = Engine(rule or AlertRule(threshold=2, window=20))
    lines = b"".join(
        clf_line(
            T0 - seconds + second, path=paths[(second + n) % len(paths)], status=(200, 404, 503, 301)[n % 4]
        )
        for second in range(seconds)
        for n in range(per_second)
    )
    engine.ingest(parse(lines + rejects))
    engine.evaluate(T0 + 10)
    return replace(engine.report(T0, 10), files=files)


# ----- a real process in a pseudo-terminal, seen through a terminal emulator -------------------

ROW_WRITE = re.compile(rb"\x1b\[(\d+);1H\x1b\[2K")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def rows_written(output: bytes) -> list[tuple[int, str]]:
    """Each row the dashboard wrote (number from 1, text without its styles), in order."""
    parts = ROW_WRITE.split(output)
    found = []
    for number, segment in zip(parts[1::2], parts[2::2], strict=True):
        text = SGR.sub("", segment.decode("utf-8", "replace"))
        found.append((int(number), text.split("\x1b", 1)[0]))  # up to the next sequence (a leave)
    return found


# In the child, after setsid: the pty becomes its controlling terminal, then the command runs
# (in the same process, so its pid is the one signalled). No preexec_fn: the tests have threads.
OWN_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class PtyProcess:
    """A command on the slave side of a pty (its controlling terminal, so Ctrl-C and resizes
    reach it as from a person's terminal); the test reads and types on the master side and
    sees the screen through pyte, an independent terminal emulator. Autowrap stays on in the
    emulator whatever the program asks, so a row too wide would wrap and show."""

    def __init__(self, argv: list[str], columns: int, rows: int, env: dict[str, str] | None = None) -> None:
        self.master, self.slave = pty.openpty()
        self._set_size(columns, rows)
        self.modes = termios.tcgetattr(self.slave)
        self.screen = pyte.HistoryScreen(columns, rows, history=1000)
        self.stream = pyte.ByteStream(self.screen)
        self.output = bytearray()
        self.fed = 0
        # Rows scrolled off while the program drew, counted when it leaves the alternate screen:
        # pyte has none, so what is printed after leaving lands below the last row drawn.
        self.scrolled_drawing: int | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-c", OWN_TERMINAL, *argv],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env={**os.environ, "TERM": "xterm-256color", **(env or {})},
            start_new_session=True,
        )

    def _set_size(self, columns: int, rows: int) -> None:
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def read(self, seconds: float) -> None:
        """Take what the program wrote for `seconds` (the pty must be drained or it blocks)."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], min(left, 0.05))[0]:
                if left <= 0:
                    break
                continue
            try:
                self.output += os.read(self.master, 1 << 16)
            except OSError:  # the program is gone and the slave closed
                break
        if self.scrolled_drawing is None:
            leave = self.output.find(LEAVE.encode(), max(0, self.fed - len(LEAVE) + 1))
            if leave >= 0:  # fed up to the leave (or to where it began, in an earlier read)
                self._feed(max(leave, self.fed))
                self.scrolled_drawing = len(self.screen.history.top)
        self._feed(len(self.output))

    def _feed(self, end: int) -> None:
        new = bytes(self.output[self.fed : end]).replace(b"\x1b[?7l", b"")  # autowrap stays on
        self.stream.feed(new)
        self.fed = end

    def rows(self) -> list[str]:
        return list(self.screen.display)

    def wait_for(self, condition: Callable[[list[str]], bool], what: str, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.2)
            if condition(self.rows()):
                return self.rows()
            if self.process.poll() is not None:
                break
        raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(self.rows()))

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def resize(self, columns: int, rows: int) -> int:
        """A new window size (as a terminal's window resized), SIGWINCH to the program; returns
        how much output came before it."""
        self.read(0.05)
        self._set_size(columns, rows)
        self.screen.resize(rows, columns)
        os.kill(self.process.pid, signal.SIGWINCH)
        return len(self.output)

    def finish(self, timeout: float = 20) -> int:
        """The exit status, once the program ends (draining its last output)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        self.read(0.2)
        status = self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self.master)
        os.close(self.slave)
