"""What every command shares: the environment, usage errors and the common options.

`Environment` is what the CLI touches outside itself (streams, terminal test, clock), injected
so tests run the commands without a terminal or real time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO

from analyzer.formats.logformat import FormatError, compile_format

FORMAT_CHOICES = ("auto", "common", "combined", "w3c")


class UsageError(Exception):
    """Bad arguments or input: one line on stderr, exit status 2."""


@dataclass
class Environment:
    """What the CLI touches outside itself."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    is_terminal: Callable[[TextIO], bool] = field(default=lambda stream: stream.isatty())
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
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


def checked_log_format(source: str | None) -> str | None:
    """The --log-format string, if it compiles; else one clear line and exit 2."""
    if source is not None:
        try:
            compile_format(source)
        except FormatError as error:
            raise UsageError(str(error)) from None
    return source


def add_alert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--window", type=positive(int), default=120, help="seconds averaged (default 120)")
    parser.add_argument(
        "--out", type=Path, default=Path("analyzer-out"), help="output directory (default ./analyzer-out)"
    )


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value
