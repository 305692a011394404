"""What every command shares: the environment, usage errors and the common options.

`Environment` is what the CLI touches outside itself (streams, terminal test, clock), injected
so tests run the commands without a terminal or real time.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import NoReturn, TextIO

from analyzer.follow.outdir import PRIVATE_MODE, Lock, OutputError, check_owner, open_append
from analyzer.formats.logformat import FormatError, compile_format
from analyzer.formats.select import SelectError, Selection, selection

FORMAT_CHOICES = ("auto", "common", "combined", "w3c")


class UsageError(Exception):
    """Bad arguments or input: one line on stderr, exit status 2."""


class Interrupted(KeyboardInterrupt):
    """A command that is not done was stopped by a signal: exit status 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def say_stopped(env: Environment, command: str, signum: int, out: Path) -> int:
    """A backtest or replay stopped before its end: one line saying so, and 128 + the signal."""
    name = signal.Signals(signum).name
    env.stderr.write(
        f"analyzer: {command} stopped by {name} before its end: the outputs in {out} are partial\n"
    )
    return 128 + signum


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop a command that has an end (a backtest) at once, as Interrupted:
    stopped is not done, and a script must be able to tell (130, 143), unlike the monitor,
    for which a stop is its clean end."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread (tests run commands elsewhere)
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass
class Environment:
    """What the CLI touches outside itself."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    is_terminal: Callable[[TextIO], bool] = field(default=lambda stream: stream.isatty())
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # The clock that paces polls and reports and never steps; None: the real monotonic clock
    # with the real wall clock, and `now` itself with an injected one (a test's fake clock).
    monotonic: Callable[[], float] | None = None

    def pacing(self) -> Callable[[], float]:
        if self.monotonic is not None:
            return self.monotonic
        return time.monotonic if self.now is time.time else self.now


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value):  # `inf`, `nan`, `1e400`: no threshold can be compared with them
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    check.__name__ = kind.__name__
    return check


def add_format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMAT_CHOICES, default="auto", help="log format (default: detected)"
    )
    parser.add_argument(
        "--log-format",
        default=None,
        metavar="STRING",
        help="the server's own format: an nginx log_format or Apache LogFormat string",
    )


def add_select_options(parser: argparse.ArgumentParser) -> None:
    """--only / --exclude: which requests are counted at all (docs/filters.md)."""
    parser.add_argument(
        "--only",
        action="append",
        metavar="EXPR",
        help="count only requests matching EXPR (e.g. /api, 5xx, host:10.0.0.0/8, agent:curl; "
        "terms in one EXPR all match; repeated: any of them); see docs/filters.md",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        metavar="EXPR",
        help="skip requests matching EXPR before counting (e.g. agent:bot: known crawlers and scripts)",
    )


def checked_selection(args: argparse.Namespace) -> Selection | None:
    """The --only / --exclude requests, if they parse; else one clear line and exit 2."""
    try:
        chosen = selection(getattr(args, "only", None), getattr(args, "exclude", None))
    except SelectError as error:
        raise UsageError(str(error)) from None
    return chosen or None


def checked_log_format(source: str | None) -> str | None:
    """The --log-format string, if it compiles; else one clear line and exit 2."""
    if source is not None:
        try:
            compile_format(source)
        except FormatError as error:
            raise UsageError(str(error)) from None
    return source


# Each command that writes has a directory of its own: a monitor never takes a backtest's
# alerts for its own history, nor a backtest a monitor's stats.csv for its own.
MONITOR_OUT, BACKTEST_OUT, REPLAY_OUT = (
    Path("analyzer-monitor"),
    Path("analyzer-backtest"),
    Path("analyzer-replay"),
)


def add_alert_options(parser: argparse.ArgumentParser, out: Path) -> None:
    parser.add_argument("--window", type=positive(int), default=120, help="seconds averaged (default 120)")
    parser.add_argument("--out", type=Path, default=out, help=f"output directory (default ./{out})")


def writable_directory(path: Path) -> Path:
    """`path`, created if need be, if the outputs can be written there, safely (a root process
    refuses a directory another user can write); else one clear line, exit 2."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        check_owner(path)
    except OSError as error:
        raise UsageError(f"{path}: cannot write the outputs there: {error.strerror}") from None
    except OutputError as error:
        raise UsageError(str(error)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: cannot write the outputs there: Permission denied")
    return path


def writable_file(path: Path) -> Path:
    """`path` (appended to, never through a link; 0600 when new: it holds raw log lines), if it
    can be written: its directory created if need be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(open_append(path, PRIVATE_MODE))
    except OSError as error:
        raise UsageError(f"{path}: cannot write there: {error.strerror}") from None
    except OutputError as error:
        raise UsageError(str(error)) from None
    return path


@contextmanager
def holding(directory: Path) -> Iterator[None]:
    """The output directory's lock for the run: a second analyzer on it exits 2, naming this one."""
    try:
        lock = Lock(directory)
    except OSError as error:
        raise UsageError(f"{directory}: cannot write the outputs there: {error.strerror}") from None
    except OutputError as error:
        raise UsageError(str(error)) from None
    try:
        yield
    finally:
        lock.release()


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value
