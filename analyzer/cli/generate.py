"""`generate` writes realistic traffic in real time; `demo` follows it with the monitor."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
from pathlib import Path

from analyzer.cli.options import Environment, Parser, UsageError, positive
from analyzer.core.alerts import AlertRule
from analyzer.generate import Burst, generate
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.live.shell import stop_signals

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
        f"defaults so it fires soon); outputs in {out}"
        + ("" if args.out else " (removed at the end: give --out to keep them)")
        + ". Ctrl-C stops.\n"
    )
    env.stdout.flush()
    started = env.now()
    writer_stop = threading.Event()

    def writer_sleep(seconds: float) -> None:
        if writer_stop.wait(seconds):
            raise StopIteration  # the demo is over: the writer stops at once

    def write() -> None:
        try:
            generate(str(log), DEMO_BASE_RATE, args.duration, (DEMO_BURST,), 7, env.now, writer_sleep)
        except (StopIteration, OSError):
            return  # stopped, or its folder removed as the demo ends

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    plain = args.plain or not env.is_terminal(env.stdout)
    # The dashboard's title line keeps the explanation on screen (the lines above are hidden
    # behind its alternate screen); it fits 80 columns. Plain text keeps the lines above.
    explanation = (
        f"demo: {DEMO_BASE_RATE:g} req/s, a burst of {DEMO_BURST.rate:g} req/s at {DEMO_BURST.start:g}-"
        f"{DEMO_BURST.start + DEMO_BURST.duration:g} s; alert above {DEMO_RULE.threshold:g} req/s "
        f"over {DEMO_RULE.window} s"
    )
    settings = Settings(
        paths=[str(log)],
        rule=DEMO_RULE,
        interval=5,
        lateness=2,
        out=out,
        plain=plain,
        color="NO_COLOR" not in os.environ,
        title=f"analyzer demo: {log}" if plain else explanation,
    )

    try:
        with stop_signals() as stopped:  # Ctrl-C and SIGTERM: the last report, then exit 0

            def stop() -> bool:
                return stopped() or (args.duration is not None and env.now() - started > args.duration)

            Monitor(settings, env.stdout, Clock(env.now, env.sleep, stop, monotonic=env.pacing())).run()
    finally:
        writer_stop.set()
        writer.join(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)  # the demo's log (and its outputs, unless --out)
    return 0
