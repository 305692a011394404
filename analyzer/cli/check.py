"""`python -m analyzer check FILE...`: can the monitor read these logs, and if not, why not."""

from __future__ import annotations

import signal

from analyzer.cli.options import (
    Environment,
    Interrupted,
    Parser,
    add_format_options,
    checked_log_format,
    interruptible,
)
from analyzer.offline.doctor import diagnose, render_diagnosis
from analyzer.offline.reader import STDIN, InputError, NotALogError, check_log


def check_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer check",
        description="The format doctor: can the monitor read these logs, and if not, why not.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_format_options(parser)
    return parser


def run_check(argv: list[str], env: Environment) -> int:
    """Exit 0 when every file is readable, 1 when one is not (so scripts can test it); stopped
    by Ctrl-C or SIGTERM before its end, 130 or 143 (not 0: the files after were not read)."""
    args = check_parser().parse_args(argv)
    try:
        with interruptible():
            return _checked(args.files, args.format, checked_log_format(args.log_format), env)
    except Interrupted as stopped:
        env.stderr.write(f"analyzer: check stopped by {signal.Signals(stopped.signum).name} before its end\n")
        return 128 + stopped.signum


def _checked(files: list[str], fmt: str, log_format: str | None, env: Environment) -> int:
    readable = True
    for path in files:  # every file gets its answer, whatever the one before it
        if path == STDIN:  # its diagnosis reads the file more than once
            env.stderr.write("analyzer: error: -: check reads files, not standard input: save it to a file\n")
            readable = False
            continue
        try:
            check_log(path, "custom" if log_format else fmt, log_format)
        except NotALogError:
            pass  # readable but not a known format: the doctor gives it a verdict
        except InputError as error:  # missing, a directory, unreadable: nothing to diagnose
            env.stderr.write(f"analyzer: error: {error}\n")
            readable = False
            continue
        found = diagnose(path, fmt, log_format)
        env.stdout.write(render_diagnosis(found))
        readable = readable and found.readable
    return 0 if readable else 1
