"""Command line: a thin layer that checks options and calls the library.

`main(argv, env) -> exit status`, with the streams, the terminal test and the clock injected.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TextIO

from analyzer.core.alerts import AlertRule
from analyzer.follow.tail import ROTATE_WAIT
from analyzer.lines import MAX_LINE_BYTES
from analyzer.live.monitor import Clock, Monitor, Settings
from analyzer.live.shell import expand_paths, stop_signals

COMMANDS = ("backtest", "generate", "demo", "check")
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
        from analyzer.formats.logformat import FormatError, compile_format

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


def monitor_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer",
        description="Follow access logs: sections, stats and high-traffic alerts.",
        epilog="other commands: backtest, generate, demo, check (python -m analyzer COMMAND --help)",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="log files to follow")
    parser.add_argument(
        "--threshold",
        type=positive(float),
        default=10.0,
        help="alert above this many req/s on average (default 10)",
    )
    parser.add_argument(
        "--recovery",
        type=float,
        default=None,
        help="with hysteresis: recover only at or below this many req/s",
    )
    add_alert_options(parser)
    parser.add_argument(
        "--interval", type=positive(int), default=10, help="seconds between reports (default 10)"
    )
    parser.add_argument(
        "--lateness", type=int, default=5, help="seconds a line may arrive after its timestamp (default 5)"
    )
    add_format_options(parser)
    parser.add_argument(
        "--rejects", type=Path, default=None, help="append every rejected line, with its reason, to this file"
    )
    parser.add_argument(
        "--plain", action="store_true", help="append-only text (also when stdout is not a terminal)"
    )
    parser.add_argument(
        "--wait", action="store_true", help="wait for files (or their directory) that do not exist yet"
    )
    parser.add_argument(
        "--rotate-wait",
        type=non_negative,
        default=ROTATE_WAIT,
        metavar="S",
        help=f"seconds a rotated or deleted file is still read (default {ROTATE_WAIT:g})",
    )
    parser.add_argument(
        "--max-line-bytes",
        type=positive(int),
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"longer lines are dropped as they arrive and counted as rejected (default {MAX_LINE_BYTES})",
    )
    parser.add_argument("--top", type=positive(int), default=10, help="sections and hosts shown (default 10)")
    parser.add_argument(
        "--csv-top", type=positive(int), default=100, help="sections per report in sections.csv (default 100)"
    )
    return parser


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def check_readable(path: str) -> None:
    """One clear line for each way a log path can be unusable."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file (use --wait to wait for it)")
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory, not a log file")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None


def monitor_settings(args: argparse.Namespace, env: Environment) -> Settings:
    if args.window < args.interval:
        raise UsageError(f"--window ({args.window}) must be at least --interval ({args.interval})")
    if args.lateness < 0:
        raise UsageError(f"--lateness must be >= 0, got {args.lateness}")
    try:
        rule = AlertRule(args.threshold, args.window, args.recovery)
    except ValueError as error:
        raise UsageError(str(error)) from None
    paths, unmatched = expand_paths(args.files)
    if unmatched:
        raise UsageError(f"{unmatched[0]}: no file matches this pattern")
    return Settings(
        paths=paths,
        rule=rule,
        interval=args.interval,
        lateness=args.lateness,
        fmt=args.format,
        log_format=checked_log_format(args.log_format),
        rejects=args.rejects,
        out=args.out,
        plain=args.plain or not env.is_terminal(env.stdout),
        top=args.top,
        csv_top=args.csv_top,
        rotate_wait=args.rotate_wait,
        max_line_bytes=args.max_line_bytes,
    )


def run_monitor(argv: list[str], env: Environment) -> int:
    args = monitor_parser().parse_args(argv)
    settings = monitor_settings(args, env)
    for path in settings.paths:
        if not (args.wait and not os.path.exists(path)):  # the monitor waits for it, saying so
            check_readable(path)
    with stop_signals() as stop:
        Monitor(settings, env.stdout, Clock(env.now, env.sleep, stop)).run()
    return 0


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the command in `argv`; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    env = env or Environment()
    try:
        if argv and argv[0] in COMMANDS:
            from analyzer.cli import commands

            return commands.run(argv[0], argv[1:], env)
        return run_monitor(argv, env)
    except UsageError as error:
        env.stderr.write(f"analyzer: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        if env.stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
