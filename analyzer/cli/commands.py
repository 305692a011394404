"""The subcommands beside the monitor and backtest: generate, demo and check."""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from analyzer.cli.main import (
    Environment,
    Parser,
    UsageError,
    add_format_options,
    checked_log_format,
    positive,
)
from analyzer.core.alerts import AlertRule
from analyzer.generate import Burst, generate
from analyzer.live.monitor import Clock, Monitor, Settings

# The demo shrinks the window so an alert fires and recovers within about two minutes.
DEMO_RULE = AlertRule(threshold=10, window=30)
DEMO_BASE_RATE = 4.0
DEMO_BURST = Burst(start=20, duration=40, rate=30)


def burst(text: str) -> Burst:
    try:
        return Burst.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def generate_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer generate",
        description="Append realistic Combined traffic to FILE in real time.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--rate", type=positive(float), default=5.0, help="requests per second (default 5)")
    parser.add_argument(
        "--duration", type=positive(float), default=None, help="seconds to run (default: until Ctrl-C)"
    )
    parser.add_argument(
        "--burst",
        type=burst,
        action="append",
        default=[],
        metavar="START:DURATION:RATE",
        help="a burst, e.g. 30:60:25 (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable traffic")
    return parser


def demo_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer demo",
        description="Generated traffic with a burst, followed by the monitor: an alert fires and recovers.",
    )
    parser.add_argument(
        "--duration", type=positive(float), default=None, help="seconds to run (default: until Ctrl-C)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: beside the temporary log)"
    )
    parser.add_argument("--plain", action="store_true", help="append-only text")
    return parser


def run_generate(argv: list[str], env: Environment) -> int:
    args = generate_parser().parse_args(argv)
    try:
        written = generate(
            args.file, args.rate, args.duration, tuple(args.burst), args.seed, env.now, env.sleep
        )
    except OSError as error:
        raise UsageError(f"{args.file}: cannot write: {error.strerror}") from None
    env.stdout.write(f"wrote {written} lines to {args.file}\n")
    return 0


def run_demo(argv: list[str], env: Environment) -> int:
    args = demo_parser().parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="analyzer-demo-"))
    log = folder / "access.log"
    log.touch()
    out = args.out or folder / "out"
    env.stdout.write(
        f"demo: writing traffic to {log} ({DEMO_BASE_RATE:g} req/s, a burst of {DEMO_BURST.rate:g} req/s "
        f"from {DEMO_BURST.start:g} s for {DEMO_BURST.duration:g} s)\n"
        f"demo: window {DEMO_RULE.window} s and threshold {DEMO_RULE.threshold:g} req/s (smaller than the "
        f"defaults so it fires soon); outputs in {out}. Ctrl-C stops.\n"
    )
    env.stdout.flush()
    started = env.now()
    writer = threading.Thread(
        target=generate,
        kwargs={
            "path": str(log),
            "rate": DEMO_BASE_RATE,
            "duration": args.duration,
            "bursts": (DEMO_BURST,),
            "seed": 7,
        },
        daemon=True,
    )
    writer.start()
    settings = Settings(
        paths=[str(log)],
        rule=DEMO_RULE,
        interval=5,
        lateness=2,
        out=out,
        plain=args.plain or not env.is_terminal(env.stdout),
        title=f"analyzer demo: {log}",
    )

    def stop() -> bool:
        return args.duration is not None and env.now() - started > args.duration

    Monitor(settings, env.stdout, Clock(env.now, env.sleep, stop)).run()
    return 0


def check_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer check",
        description="The format doctor: can the monitor read these logs, and if not, why not.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_format_options(parser)
    return parser


def run_check(argv: list[str], env: Environment) -> int:
    """Exit 0 when every file is readable, 1 when one is not (so scripts can test it)."""
    from analyzer.offline.doctor import diagnose, render_diagnosis
    from analyzer.offline.reader import InputError, NotALogError, check_log

    args = check_parser().parse_args(argv)
    log_format = checked_log_format(args.log_format)
    for path in args.files:
        try:
            check_log(path, "custom" if log_format else args.format)
        except NotALogError:
            continue  # readable but not a known format: the doctor gives it a verdict
        except InputError as error:
            raise UsageError(str(error)) from None
    readable = True
    for path in args.files:
        found = diagnose(path, args.format, log_format)
        env.stdout.write(render_diagnosis(found))
        readable = readable and found.requests > 0
    return 0 if readable else 1


def run(command: str, argv: list[str], env: Environment) -> int:
    if command == "check":
        return run_check(argv, env)
    if command == "generate":
        return run_generate(argv, env)
    if command == "demo":
        return run_demo(argv, env)
    from analyzer.cli.backtest import run_backtest

    return run_backtest(argv, env)
