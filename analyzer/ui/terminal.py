"""The terminal itself: the alternate screen, keys without echo, its size, and drawing rows.

The only I/O of the screen: the layout (pure) says what the rows are; this writes them with
the cursor addressed to each row, so a row can never push another, autowrap off, so a row
measured too short still cannot wrap, and the alternate screen, so the scrollback keeps
what was there before. `leave` gives everything back (modes, cursor, echo) and is safe to
call any number of times: on `q`, Ctrl-C, SIGTERM (the monitor's clean stop closes the
display), and on an error or any other exit (atexit, and the exception hook, which runs
before the traceback is printed so the traceback is on the normal screen).
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import os
import select
import sys
import termios
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from analyzer.ui.cells import Line
from analyzer.ui.text import printable

# Alternate screen (with the cursor saved), cursor hidden, autowrap off; the first frame clears.
ENTER = "\x1b[?1049h\x1b[?25l\x1b[?7l"
LEAVE = "\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l"
DEFAULT_SIZE = (80, 24)
STYLES = {  # SGR parameters of each style the layout uses
    "state-ok": "1;32",
    "state-alert": "1;97;41",
    "alert": "31",
    "alert-text": "1;31",
    "recovered": "32",
    "notice": "33",
    "warning": "1;33",
    "finished": "1;97;44",
    "stale": "1;33",
    "2xx": "32",
    "3xx": "36",
    "4xx": "33",
    "5xx": "31",
    "bar": "34",
    "over": "1;31",
    "threshold": "33",
    "axis": "2",
    "title": "1",
    "heading": "1",
    "dim": "2",
    "tab": "7",
}
ATTRIBUTES = {"1", "2", "3", "4", "7"}  # bold, dim, italic, underline, reverse: not colours


def monochrome(code: str) -> str:
    """A style without its colours (NO_COLOR, --no-color): its bold, dim or reverse video kept,
    and a coloured background as reverse video, so what stood out (ALERT) still does."""
    params = code.split(";")
    kept = [param for param in params if param in ATTRIBUTES]
    if any(40 <= int(param) <= 47 or 100 <= int(param) <= 107 for param in params) and "7" not in kept:
        kept.append("7")
    return ";".join(kept)


MONOCHROME = {style: monochrome(code) for style, code in STYLES.items()}
Size = Callable[[], tuple[int, int]]


def ansi(line: Line, color: bool) -> str:
    """A row as terminal text: styles as SGR sequences (without colour: bold, dim and reverse
    only). Every span is escaped once more, so nothing drawn can be a control sequence
    whatever the layout did."""
    parts = []
    for span in line:
        text = printable(span.text, 1 << 20)
        code = (STYLES if color else MONOCHROME).get(span.style)
        parts.append(f"\x1b[{code}m{text}\x1b[0m" if code else text)
    return "".join(parts)


def changes(rows: list[str], previous: list[str] | None, height: int) -> str:
    """What turns the screen from `previous` (None: unknown) into `rows`: each changed row
    erased and written at its own position, so the terminal never scrolls."""
    out = [] if previous is not None else ["\x1b[H\x1b[2J"]
    for number in range(height):
        row = rows[number] if number < len(rows) else ""
        if previous is None and not row:
            continue
        if previous is not None and row == (previous[number] if number < len(previous) else ""):
            continue
        out.append(f"\x1b[{number + 1};1H\x1b[2K{row}")
    return "".join(out)


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


class Terminal:
    """One terminal: `stdout` to draw on, `keys` (a terminal too) to read keys from."""

    def __init__(self, stdout: TextIO, keys: TextIO | None, size: Size | None = None) -> None:
        self.out = stdout
        self.fd = stdout.fileno() if is_terminal(stdout) else None
        self.keys_fd = keys.fileno() if keys is not None and is_terminal(keys) else None
        self.size_of = size
        self.entered = False
        self.saved: list | None = None  # the keys terminal's modes before ours
        self.modes_fd = self.keys_fd
        self.drawn: list[str] | None = None
        self.drawn_size: tuple[int, int] | None = None
        encoding = getattr(stdout, "encoding", None) or "utf-8"
        self.encoding = None if codecs.lookup(encoding).name == "utf-8" else encoding
        self.previous_hook = sys.excepthook

    def size(self) -> tuple[int, int]:
        """Columns and rows now (asked each time: the window may have been resized)."""
        if self.size_of is not None:
            return self.size_of()
        if self.fd is not None:
            try:
                size = os.get_terminal_size(self.fd)
                if size.columns > 0 and size.lines > 0:
                    return size.columns, size.lines
            except OSError:
                pass
        return DEFAULT_SIZE

    def enter(self) -> None:
        """Take the terminal: alternate screen, no cursor, no autowrap, keys unechoed."""
        if self.entered:
            return
        self.entered = True
        if self.keys_fd is not None:
            try:
                self.saved = termios.tcgetattr(self.keys_fd)
                mode = termios.tcgetattr(self.keys_fd)
                mode[3] &= ~(termios.ECHO | termios.ICANON)  # keys one by one, unechoed; Ctrl-C still signals
                mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
                termios.tcsetattr(self.keys_fd, termios.TCSANOW, mode)
            except termios.error:
                self.saved, self.keys_fd, self.modes_fd = None, None, None
        atexit.register(self.leave)
        self.previous_hook = sys.excepthook
        sys.excepthook = self._hook
        self.write(ENTER)
        self.drawn = None

    def _hook(self, kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        self.leave()  # first, so the traceback is printed on the normal screen
        self.previous_hook(kind, value, traceback)

    def leave(self) -> None:
        """Give the terminal back as it was; once is enough, more is harmless."""
        if not self.entered:
            return
        self.entered = False
        atexit.unregister(self.leave)
        if sys.excepthook == self._hook:
            sys.excepthook = self.previous_hook
        with contextlib.suppress(OSError, ValueError):  # the terminal is gone (hung up, closed)
            self.write(LEAVE)
        if self.saved is not None and self.modes_fd is not None:
            with contextlib.suppress(termios.error):  # TCSAFLUSH: keys typed here do not reach the shell
                termios.tcsetattr(self.modes_fd, termios.TCSAFLUSH, self.saved)
            self.saved = None

    def resized(self) -> bool:
        return self.entered and self.size() != self.drawn_size

    def draw(self, lines: list[Line], size: tuple[int, int], color: bool) -> None:
        """Show `lines`, laid out for `size`, writing only the rows that changed."""
        rows = [ansi(line, color) for line in lines]
        previous = self.drawn if size == self.drawn_size else None
        text = changes(rows, previous, size[1])
        if text:
            self.write(text)
        self.drawn, self.drawn_size = rows, size

    def read(self, timeout: float) -> bytes:
        """Keys typed, waiting up to `timeout` s for the first; b"" when none (or no keys)."""
        if self.keys_fd is None:
            return b""
        ready, _, _ = select.select([self.keys_fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.keys_fd, 1024)
        except OSError:
            data = b""
        if not data:  # end of input: no more keys
            self.keys_fd = None
        return data

    def write(self, text: str) -> None:
        if self.encoding is not None:  # a terminal that is not UTF-8: what it cannot show as ?
            text = text.encode(self.encoding, "replace").decode(self.encoding)
        self.out.write(text)
        self.out.flush()
