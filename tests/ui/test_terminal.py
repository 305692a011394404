"""The terminal: rows written in place, styles only with colour, modes taken and given back."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import sys
import termios
from collections.abc import Iterator
from typing import TextIO

import pytest

from analyzer.ui.cells import Span
from analyzer.ui.terminal import DEFAULT_SIZE, ENTER, LEAVE, STYLES, Terminal, ansi, changes, monochrome


def test_styles_are_sgr_and_text_is_escaped_again() -> None:
    line = (Span("ALERT", "state-alert"), Span(" x "), Span("\x1b[2J", "5xx"))
    assert ansi(line, True) == "\x1b[1;97;41mALERT\x1b[0m x \x1b[31m\\x1b[2J\x1b[0m"


def test_without_colour_bold_dim_and_reverse_stay_so_the_alert_still_stands_out() -> None:
    """NO_COLOR and --no-color turn colours off, not emphasis: ALERT (white on red) becomes bold
    reverse video, the chosen tab stays reversed, a status class loses its colour only."""
    line = (Span("ALERT", "state-alert"), Span(" x "), Span("\x1b[2J", "5xx"), Span("1 sections", "tab"))
    assert ansi(line, False) == "\x1b[1;7mALERT\x1b[0m x \\x1b[2J\x1b[7m1 sections\x1b[0m"
    assert monochrome("1;33") == "1" and monochrome("32") == "" and monochrome("2") == "2"
    colours = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
    for style in STYLES:
        assert not colours.search(ansi((Span("x", style),), False)), style


def test_the_first_frame_clears_later_ones_rewrite_only_what_changed() -> None:
    first = changes(["a", "b", ""], None, 3)
    assert first == "\x1b[H\x1b[2J\x1b[1;1H\x1b[2Ka\x1b[2;1H\x1b[2Kb"
    assert changes(["a", "c"], ["a", "b", "z"], 3) == "\x1b[2;1H\x1b[2Kc\x1b[3;1H\x1b[2K"
    assert changes(["a", "c"], ["a", "c"], 2) == ""
    assert "\n" not in first  # a newline could scroll the screen


@pytest.fixture
def tty() -> Iterator[tuple[int, TextIO]]:
    """A pseudo-terminal 100x30: the master fd (the person's side) and the slave as a stream."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    yield master, stream
    stream.close()
    os.close(master)


def drain(master: int) -> bytes:
    out = b""
    while select.select([master], [], [], 0.05)[0]:
        try:
            out += os.read(master, 65536)
        except OSError:
            break
    return out


def test_a_terminal_is_taken_and_given_back_exactly(tty: tuple[int, TextIO]) -> None:
    master, stream = tty
    before = termios.tcgetattr(stream.fileno())
    terminal = Terminal(stream, stream)
    assert terminal.size() == (100, 30)
    hook = sys.excepthook
    terminal.enter()
    mode = termios.tcgetattr(stream.fileno())
    assert not mode[3] & termios.ECHO and not mode[3] & termios.ICANON and mode[3] & termios.ISIG
    assert sys.excepthook != hook
    terminal.draw([(Span("hello"),)], terminal.size(), True)
    os.write(master, b"q\x1b[B")
    assert terminal.read(1.0) == b"q\x1b[B"
    assert terminal.read(0.01) == b""
    terminal.leave()
    terminal.leave()  # twice is harmless
    assert termios.tcgetattr(stream.fileno()) == before
    assert sys.excepthook == hook
    written = drain(master)
    assert written.startswith(ENTER.encode()) and written.endswith(LEAVE.encode())
    assert written.count(LEAVE.encode()) == 1 and b"hello" in written


def test_an_uncaught_error_gives_the_terminal_back_before_its_traceback(tty: tuple[int, TextIO]) -> None:
    master, stream = tty
    before = termios.tcgetattr(stream.fileno())
    seen: list[bool] = []
    terminal = Terminal(stream, stream)
    previous = sys.excepthook
    sys.excepthook = lambda *args: seen.append(terminal.entered)
    try:
        terminal.enter()
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())  # what the interpreter does with an uncaught error
    finally:
        sys.excepthook = previous
    assert seen == [False] and termios.tcgetattr(stream.fileno()) == before
    assert drain(master).endswith(LEAVE.encode())


def test_a_resize_is_seen(tty: tuple[int, TextIO]) -> None:
    master, stream = tty
    terminal = Terminal(stream, None)
    terminal.enter()
    terminal.draw([(Span("x"),)], terminal.size(), False)
    assert not terminal.resized()
    fcntl.ioctl(stream.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    assert terminal.resized() and terminal.size() == (120, 40)
    terminal.leave()
    drain(master)


def test_not_a_terminal_has_the_default_size_no_modes_and_no_keys() -> None:
    out = io.StringIO()
    terminal = Terminal(out, io.StringIO())
    assert terminal.size() == DEFAULT_SIZE and terminal.fd is None and terminal.keys_fd is None
    terminal.enter()
    assert terminal.read(0.01) == b""
    terminal.leave()
    assert out.getvalue() == ENTER + LEAVE


def test_a_terminal_that_is_not_utf8_gets_replacement_characters() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    Terminal(out, None, size=lambda: (10, 1)).draw([(Span("日本 ok"),)], (10, 1), False)
    assert raw.getvalue().endswith(b"?? ok")
