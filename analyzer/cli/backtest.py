"""`python -m analyzer backtest`: try thresholds against history before being paged by them."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from analyzer.cli.options import (
    BACKTEST_OUT,
    Environment,
    Interrupted,
    Parser,
    UsageError,
    add_alert_options,
    add_format_options,
    add_select_options,
    checked_log_format,
    checked_selection,
    holding,
    interruptible,
    positive,
    say_stopped,
    writable_directory,
)
from analyzer.cli.rules import ERROR_RATE, HIGH_TRAFFIC, add_rule_options, other_rules
from analyzer.core.rules import rule_label
from analyzer.core.times import iso_utc
from analyzer.follow.checkpoint import CHECKPOINT_NAME
from analyzer.offline import cluster
from analyzer.offline.backtest import ENGINES, BacktestResult, backtest
from analyzer.offline.reader import STDIN, InputError, check_log, expand_paths
from analyzer.offline.timeline import SECONDS_PER_WEEK


def backtest_parser() -> Parser:
    parser = Parser(
        prog="python -m analyzer backtest",
        description="Replay historical logs (plain or .gz, in the order given) through the alert check.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="paths, quoted globs or fsspec URLs")
    parser.add_argument(
        "--threshold",
        type=positive(float),
        nargs="+",
        default=[10.0],
        help="one or more req/s thresholds (default 10)",
    )
    add_alert_options(parser, BACKTEST_OUT)
    add_rule_options(parser, sweep=True)
    add_format_options(parser)
    add_select_options(parser)
    parser.add_argument(
        "--max-alerts-per-week",
        type=positive(float),
        default=1.0,
        help="for the suggested threshold (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=positive(int),
        default=min(2, os.cpu_count() or 1),
        help="parsing processes of the local engine (default: up to 2)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="local: this process and --workers; dask: a Dask cluster (default local)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a running Dask cluster's scheduler, tcp://HOST:8786 (implies --engine dask; "
        "default: a cluster of one process per core on this machine)",
    )
    parser.add_argument(
        "--task-timeout",
        type=positive(float),
        default=600.0,
        metavar="S",
        help="dask: a piece whose result has not come S seconds after it was waited for (a worker "
        "stopped or stuck) stops the run with one line (default 600)",
    )
    return parser


def progress_printer(stream: TextIO) -> object:
    """A progress line on stderr, rewritten in place: lines, MB of the total, lines/s, time left."""

    def show(lines: int, done: int, total: int, elapsed: float) -> None:
        rate = lines / elapsed if elapsed > 0 else 0.0
        if done > total:  # standard input: its size is known only at its end
            stream.write(f"\r{lines:,} lines, {done / 1e6:,.0f} MB read, {rate:,.0f} lines/s  ")
            stream.flush()
            return
        left = (total - done) / (done / elapsed) if done and elapsed > 0 else 0.0
        stream.write(
            f"\r{lines:,} lines, {done / 1e6:,.0f} of {total / 1e6:,.0f} MB, "
            f"{rate:,.0f} lines/s, {left:,.0f} s left  "
        )
        stream.flush()

    return show


def duration(seconds: float) -> str:
    """`3m05s`, `5h03m20s`, `366d08h41m` (a year is not `8792h41m50s`): at most 10 characters."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d{hours:02d}h{rest // 60:02d}m"
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s" if hours else f"{rest // 60}m{rest % 60:02d}s"


def counted(number: int, noun: str) -> str:
    """`1 request`, `2 requests`, `12,000 lines`."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def render_result(result: BacktestResult, max_per_week: float) -> str:
    """The table per threshold, the distribution of the average, and the suggestion."""
    span = result.timeline.span
    lines = [
        f"{counted(result.lines, 'line')}: {counted(result.requests, 'request')}, "
        f"{result.rejected:,} rejected, "
        + (f"{counted(result.directives, 'directive')}, " if result.directives else "")
        + f"{result.late:,} late; {duration(span)} of traffic; window {result.window} s",
        *out_of_range(result),
        "",
        *episode_table(result),
    ]
    dist = "  ".join(f"{name} {value:.2f}" for name, value in result.distribution.items())
    lines += [
        "",
        f"{result.window} s average (req/s) over every second: {dist}",
        suggestion(result, max_per_week),
    ]
    return "\n".join(lines) + "\n"


def episode_table(result: BacktestResult) -> list[str]:
    """A row per rule and threshold; the rule's column only when there are other rules than
    high traffic (`error rate 5xx`, `/api`: their thresholds in % and req/s)."""
    rows = result.episodes.to_dict("records")
    labels = [rule_label(row["rule"]) for row in rows]
    width = max(map(len, labels)) if any(row["rule"] != HIGH_TRAFFIC for row in rows) else 0
    lines = [
        (f"{'rule':<{width}} " if width else "")
        + f"{'threshold':>10} {'alerts':>7} {'in alert':>10} {'longest':>10} "
        f"{'share':>7} {'short<5m':>9} {'on at end':>10}"
    ]
    for label, row in zip(labels, rows, strict=True):
        threshold = f"{row['threshold']:g}" + ("%" if row["rule"].startswith(ERROR_RATE) else "")
        lines.append(
            (f"{label:<{width}} " if width else "")
            + f"{threshold:>10} {row['alerts']:>7,} {duration(row['seconds_in_alert']):>10} "
            f"{duration(row['longest']):>10} {row['share']:>7.2%} {row['short']:>9,} "
            f"{'yes' if row['on_at_end'] else 'no':>10}"
        )
    return lines


def out_of_range(result: BacktestResult) -> list[str]:
    """The requests left out of the traffic's span, said with when they claim to be."""
    if result.out_of_range_span is None:
        return []
    first, last = (iso_utc(second) for second in result.out_of_range_span)
    return [
        f"{counted(result.out_of_range, 'request')} out of range (stamped {first} .. {last}, "
        "over 30 days from the rest of the traffic: a broken clock?): counted, not judged"
    ]


def times_a_week(count: float) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count:g} times") + " a week"  # type: ignore[call-overload]


def suggestion(result: BacktestResult, max_per_week: float) -> str:
    """The suggested threshold, only where the input is long enough to say it honestly.

    Over less than a week "at most once a week" cannot be told from the data: the lowest
    threshold that never fired would be just above the maximum, not a recommendation.
    """
    span = result.timeline.span
    if result.requests == 0:
        return "suggested threshold: none (no requests in the input)"
    if span < SECONDS_PER_WEEK:
        return (
            f"suggested threshold: none: the input spans {duration(span)}, under a week, too short to "
            f"tell which threshold fires at most {times_a_week(max_per_week)} (backtest a week or more)"
        )
    return (
        f"suggested threshold: {result.suggested_threshold:g} req/s "
        f"(the lowest that fires at most {times_a_week(max_per_week)} over this input)"
    )


def run_backtest(argv: list[str], env: Environment) -> int:
    args = backtest_parser().parse_args(argv)
    try:
        args.rules = other_rules(args, args.window)
    except ValueError as error:
        raise UsageError(str(error)) from None
    log_format = checked_log_format(args.log_format)
    args.chosen = checked_selection(args)
    if args.chosen and (args.scheduler or args.engine == "dask"):
        raise UsageError("--only and --exclude are not supported with --engine dask yet")
    if args.scheduler and args.engine == "local":
        raise UsageError("--scheduler runs on a Dask cluster: it cannot go with --engine local")
    engine = "dask" if args.scheduler else args.engine or "local"
    if args.files.count(STDIN) > 1:
        raise UsageError("-: standard input can be read only once: give - once")
    try:
        with interruptible():  # a stop while the head of standard input is awaited: not done either
            files = expand_paths(args.files)
            if engine == "local":  # a cluster's workers check the files themselves: they read them
                for path in files:
                    check_log(path, "custom" if log_format else args.format, log_format)
            else:
                cluster.require()
    except (InputError, cluster.ClusterError) as error:
        raise UsageError(str(error)) from None
    except Interrupted as stopped:
        return say_stopped(env, "backtest", stopped.signum, args.out)
    if (args.out / CHECKPOINT_NAME).exists():  # its rows would land in the monitor's stats.csv
        raise UsageError(
            f"{args.out}: holds a live monitor's checkpoint; give the backtest an --out of its own"
        )
    writable_directory(args.out)
    with holding(args.out):
        try:
            with interruptible():
                return _run(args, files, engine, log_format, env)
        except Interrupted as stopped:
            return say_stopped(env, "backtest", stopped.signum, args.out)


def _run(
    args: argparse.Namespace, files: list[str], engine: str, log_format: str | None, env: Environment
) -> int:
    """The backtest itself, its output directory held."""
    progress = progress_printer(env.stderr) if env.is_terminal(env.stderr) else None
    client = None
    try:
        client = cluster.connect(args.scheduler) if args.scheduler else None
        result = backtest(
            files,
            args.threshold,
            args.window,
            out=args.out,
            max_alerts_per_week=args.max_alerts_per_week,
            workers=args.workers,
            progress=progress,  # type: ignore[arg-type]
            fmt=args.format,
            log_format=log_format,
            engine=engine,
            client=client,
            task_timeout=args.task_timeout,
            chosen=args.chosen,
            rules=args.rules,
        )
    except (InputError, cluster.ClusterError) as error:  # found mid-way: a truncated gzip, a lost file
        raise UsageError(str(error)) from None
    finally:
        if client is not None:
            client.close()
    if progress:
        env.stderr.write("\n")
    env.stdout.write(render_result(result, args.max_alerts_per_week))
    env.stdout.write(f"wrote {args.out / 'alerts.csv'}, stats.csv and sections.csv\n")
    return 0
