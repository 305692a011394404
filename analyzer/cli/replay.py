"""`python -m analyzer replay FILE...`: the past through the live monitor, on the log's own clock."""

from __future__ import annotations

from dataclasses import replace

from analyzer.cli.listeners import make_listeners
from analyzer.cli.monitor import add_monitor_options, check_outputs, monitor_settings
from analyzer.cli.options import (
    REPLAY_OUT,
    Environment,
    Interrupted,
    Parser,
    UsageError,
    holding,
    interruptible,
    positive,
    say_stopped,
)
from analyzer.follow.checkpoint import CHECKPOINT_NAME
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock
from analyzer.live.shell import stop_signals
from analyzer.offline.reader import InputError, check_log
from analyzer.offline.replay import Replay
from analyzer.ui.dashboard import Dashboard
from analyzer.ui.display import QUIT, Display, Plain


def replay_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer replay",
        description="Play historical logs (plain or .gz, in the order given) through the live monitor, "
        "on the logs' own clock: the transitions are the backtest's.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_monitor_options(parser, REPLAY_OUT)
    parser.add_argument(
        "--speed",
        type=positive(float),
        default=60.0,
        help="event seconds played per wall second (default 60); + and - change it as it plays",
    )
    return parser


def run_replay(argv: list[str], env: Environment) -> int:
    args = replay_parser().parse_args(argv)
    settings = monitor_settings(args, env)
    if (settings.out / CHECKPOINT_NAME).exists():
        raise UsageError(
            f"{settings.out}: holds a live monitor's checkpoint; give the replay an --out of its own"
        )
    try:
        with interruptible():  # a stop while the head of standard input is awaited: not done either
            formats = {
                path: check_log(path, "custom" if settings.log_format else settings.fmt, settings.log_format)
                for path in settings.paths
            }
    except InputError as error:
        raise UsageError(str(error)) from None
    except Interrupted as stopped:
        return say_stopped(env, "replay", stopped.signum, settings.out)
    check_outputs(settings)
    display: Display = (
        Plain(env.stdout, settings.top)
        if settings.plain
        else Dashboard(env.stdout, settings.top, settings.color)
    )
    with holding(settings.out), stop_signals() as stop:
        try:
            replay = Replay(
                settings.paths, formats, settings.log_format, args.speed, settings.interval,
                settings.lateness, env.sleep, chosen=settings.chosen,
            )  # fmt: skip
            clock = replay.clock
            ends = Clock(
                clock.now,
                clock.sleep,
                lambda: stop() or replay.finished(),
                clock.speed,
                clock.paused,
                clock.act,
            )
            listeners = make_listeners(args, settings, env)
            monitor = Monitor(settings, env.stdout, ends, display, feeds=replay.feeds, listeners=listeners)
            monitor.run(close_display=False)
        except InputError as error:  # found mid-way: a truncated gzip, a file that vanished
            display.close()
            raise UsageError(str(error)) from None
        if replay.finished():  # played to its end (not stopped): the screen says so until `q`
            display.status(replace(monitor.status(clock.now()), finished=True))
        # On a screen that takes keys the last frame stays until `q`.
        while display.interactive and not stop() and QUIT not in display.actions():
            env.sleep(0.1)
        display.close()
        if stop.signum and not replay.finished():  # stopped is not done: a script must tell
            return say_stopped(env, "replay", stop.signum, settings.out)
    return 0
