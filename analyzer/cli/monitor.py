"""`python -m analyzer FILE...`: the live monitor's options, checked, then the monitor run."""

from __future__ import annotations

import argparse
import os
import stat
import time
from pathlib import Path

from analyzer.cli.listeners import add_listener_options, make_listeners
from analyzer.cli.options import (
    MONITOR_OUT,
    Environment,
    Parser,
    UsageError,
    add_alert_options,
    add_format_options,
    add_select_options,
    checked_log_format,
    checked_selection,
    holding,
    non_negative,
    positive,
    writable_directory,
    writable_file,
)
from analyzer.cli.rules import add_rule_options, other_rules
from analyzer.core.alerts import AlertRule
from analyzer.follow.source import open_binary
from analyzer.follow.tail import ROTATE_MAX, ROTATE_WAIT
from analyzer.lines import MAX_LINE_BYTES
from analyzer.live.files import refusal
from analyzer.live.monitor import Monitor
from analyzer.live.settings import LOOK_BACK, Clock, Settings
from analyzer.live.shell import expand_paths, open_file_room, stop_signals
from analyzer.live.stdin import STDIN


def add_monitor_options(parser: Parser, out: Path = MONITOR_OUT) -> None:
    """The options of the live monitor that a replay has too: the rule, reports and outputs."""
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
    add_alert_options(parser, out)
    parser.add_argument(
        "--interval", type=positive(int), default=10, help="seconds between reports (default 10)"
    )
    parser.add_argument(
        "--lateness", type=int, default=5, help="seconds a line may arrive after its timestamp (default 5)"
    )
    add_format_options(parser)
    add_select_options(parser)
    parser.add_argument(
        "--rejects", type=Path, default=None, help="append every rejected line, with its reason, to this file"
    )
    parser.add_argument(
        "--plain", action="store_true", help="append-only text (also when stdout is not a terminal)"
    )
    parser.add_argument("--top", type=positive(int), default=10, help="sections and hosts shown (default 10)")
    parser.add_argument(
        "--csv-top", type=positive(int), default=100, help="sections per report in sections.csv (default 100)"
    )
    parser.add_argument(
        "--no-color", action="store_true", help="a dashboard without colours (also when NO_COLOR is set)"
    )
    add_rule_options(parser)
    add_listener_options(parser)


def monitor_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer",
        description="Follow access logs: sections, stats and high-traffic alerts.",
        epilog="other commands: replay, backtest, generate, demo, check (python -m analyzer COMMAND --help)",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="log files to follow (- : standard input)")
    add_monitor_options(parser)
    parser.add_argument(
        "--wait", action="store_true", help="wait for files (or their directory) that do not exist yet"
    )
    parser.add_argument(
        "--rotate-wait",
        type=non_negative,
        default=ROTATE_WAIT,
        metavar="S",
        help="a rotated or deleted file is let go once read to its end and idle this long "
        f"(default {ROTATE_WAIT:g})",
    )
    parser.add_argument(
        "--rotate-max",
        type=non_negative,
        default=ROTATE_MAX,
        metavar="S",
        help=f"... or once still written this long after its rotation (default {ROTATE_MAX:g})",
    )
    parser.add_argument(
        "--look-back",
        type=positive(int),
        default=LOOK_BACK,
        metavar="S",
        help="at a start that finds an alert on with no record of it, read back up to this many "
        f"seconds of log to find when it began (default {LOOK_BACK:,}: a day)",
    )
    parser.add_argument(
        "--max-line-bytes",
        type=positive(int),
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"longer lines are dropped as they arrive and counted as rejected (default {MAX_LINE_BYTES})",
    )
    return parser


def check_readable(path: str) -> None:
    """One clear line for each way a log path can be unusable."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file (use --wait to wait for it)")
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory, not a log file")
    kind = special_kind(path)
    if kind is not None:
        raise UsageError(
            f"{path}: {kind}, not a log file: a stream is read from standard input "
            f"(python -m analyzer - < {path})"
        )
    try:
        with open_binary(path) as handle:
            handle.read(1)
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None


def special_kind(path: str) -> str | None:
    """What a path that is no regular file is (a FIFO, a device, a socket); None: a file."""
    mode = os.stat(path).st_mode
    kinds = {stat.S_ISFIFO: "a FIFO (named pipe)", stat.S_ISCHR: "a character device",
             stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}  # fmt: skip
    return next((name for test, name in kinds.items() if test(mode)), None)


def monitor_settings(args: argparse.Namespace, env: Environment) -> Settings:
    """The settings of the options (a replay's lack the following ones: their defaults)."""
    if args.window < args.interval:
        raise UsageError(f"--window ({args.window}) must be at least --interval ({args.interval})")
    if args.lateness < 0:
        raise UsageError(f"--lateness must be >= 0, got {args.lateness}")
    try:
        rule = AlertRule(args.threshold, args.window, args.recovery)
        others = other_rules(args, args.window)
    except ValueError as error:
        raise UsageError(str(error)) from None
    paths, unmatched = expand_paths(args.files)
    if unmatched:
        raise UsageError(f"{unmatched[0]}: no file matches this pattern")
    too_many = open_file_room(len(paths))
    if too_many:
        raise UsageError(too_many)
    return Settings(
        paths=paths,
        rule=rule,
        others=others,
        interval=args.interval,
        lateness=args.lateness,
        fmt=args.format,
        log_format=checked_log_format(args.log_format),
        chosen=checked_selection(args),
        rejects=args.rejects,
        out=args.out,
        plain=args.plain or not env.is_terminal(env.stdout),
        color=not args.no_color and "NO_COLOR" not in os.environ,
        top=args.top,
        csv_top=args.csv_top,
        rotate_wait=getattr(args, "rotate_wait", ROTATE_WAIT),
        rotate_max=getattr(args, "rotate_max", ROTATE_MAX),
        max_line_bytes=getattr(args, "max_line_bytes", MAX_LINE_BYTES),
        look_back=getattr(args, "look_back", LOOK_BACK),
    )


STOP_HEARD = 0.05  # seconds: how soon a stop asked between polls is acted on


def check_outputs(settings: Settings) -> None:
    """The output directory and the --rejects file can be written (checked after the inputs)."""
    writable_directory(settings.out)
    if settings.rejects is not None:
        writable_file(settings.rejects)


def run_monitor(argv: list[str], env: Environment) -> int:
    args = monitor_parser().parse_args(argv)
    settings = monitor_settings(args, env)
    for path in settings.paths:
        if path == STDIN:
            continue  # a pipe: nothing to check before it brings lines
        if not (args.wait and not os.path.exists(path)):  # the monitor waits for it, saying so
            check_readable(path)
            why = refusal(path, settings)
            if why is not None:
                raise UsageError(why)
    check_outputs(settings)
    with holding(settings.out), stop_signals() as stop:
        listeners = make_listeners(args, settings, env)

        def until_stopped(seconds: float) -> None:
            """The real sleep between polls, ended by a stop: Ctrl-C or SIGTERM acted on within
            STOP_HEARD, not up to a second later (a test's injected sleep is left as it is).
            Slept in pieces rather than waited on the stop's event: a timed wait on a lock
            never returned under libfaketime (the clock-skew test runs the monitor so)."""
            end = time.monotonic() + seconds
            while not stop() and (left := end - time.monotonic()) > 0:
                time.sleep(min(left, STOP_HEARD))

        sleep = until_stopped if env.sleep is time.sleep else env.sleep
        clock = Clock(env.now, sleep, stop, monotonic=env.pacing())
        Monitor(settings, env.stdout, clock, listeners=listeners).run()
    return 0
