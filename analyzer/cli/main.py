"""Command line: a thin layer that checks options and calls the library.

`main(argv, env) -> exit status`, with the streams, the terminal test and the clock injected.
Each command lives in a module of its own, imported when it is asked for.
"""

from __future__ import annotations

import os
import sys

from analyzer.cli.options import Environment, UsageError
from analyzer.outputs.sinks import OutputError

COMMANDS = ("backtest", "replay", "generate", "demo", "check")


def run_command(command: str, argv: list[str], env: Environment) -> int:
    if command in ("--version", "-V"):
        env.stdout.write(f"analyzer {version()}\n")
        return 0
    if command == "replay":
        from analyzer.cli.replay import run_replay

        return run_replay(argv, env)
    if command == "check":
        from analyzer.cli.check import run_check

        return run_check(argv, env)
    if command in ("generate", "demo"):
        from analyzer.cli.generate import run_demo, run_generate

        return run_generate(argv, env) if command == "generate" else run_demo(argv, env)
    from analyzer.cli.backtest import run_backtest

    return run_backtest(argv, env)


def version() -> str:
    from importlib import metadata  # 30 ms of imports, for --version only

    try:
        return metadata.version("analyzer")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the command in `argv`; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    env = env or Environment()
    if argv and argv[0] not in ("--version", "-V", "--help", "-h"):
        from analyzer.formats.compiled import warn_if_no_kernel

        warn_if_no_kernel(env.stderr)  # a machine without a compiler parses by RE2: said once
    try:
        if argv and argv[0] in (*COMMANDS, "--version", "-V"):
            return run_command(argv[0], argv[1:], env)
        from analyzer.cli.monitor import run_monitor

        return run_monitor(argv, env)
    except (UsageError, OutputError) as error:
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
