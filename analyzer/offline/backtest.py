"""Backtest: the monitor's parser, sections and alert check run over historical logs.

    result = analyzer.backtest(["access.log.1.gz", "access.log"], thresholds=[10, 20])
    result.episodes          # one row per threshold: alerts, time in alert, ...
    result.transitions       # every alert and recovery, exactly as the monitor would print them

Chunks are parsed (in worker processes when asked) into per-second hits and per-bucket sums
that add up exactly, so the result never depends on chunk boundaries or line order.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyzer.core.alerts import AlertRule, Transition
from analyzer.core.rules import HITS, tracked_sections
from analyzer.formats.clf import Parsed, Requests, requests
from analyzer.formats.kernel import single_threaded
from analyzer.formats.parsers import ClfParser, LineParser, make_parser
from analyzer.formats.select import Selection
from analyzer.offline.buckets import BucketMerger, ChunkBuckets, Closed, chunk_buckets, request_buckets
from analyzer.offline.csvs import ClosedWriter
from analyzer.offline.drivers import Coverage, with_drivers
from analyzer.offline.reader import (
    CHUNK_BYTES,
    STDIN,
    Piece,
    check_log,
    expand_paths,
    file_size,
    pieces,
    total_size,
)
from analyzer.offline.result import BacktestResult, alert_cells, by_report_time, transition_frame
from analyzer.offline.timeline import (
    average_distribution,
    episodes,
    judge_all,
    merge_counts,
    span_of,
    suggest_threshold,
)
from analyzer.outputs.rows import ALERT_FIELDS, alert_row
from analyzer.outputs.sinks import CsvSink

Progress = Callable[[int, int, int, float], None]  # lines, bytes read, bytes in all, seconds
Summed = tuple[ChunkBuckets, int, int]  # a piece's bucket sums, lines and rejected
ENGINES = ("local", "dask")
Sections = tuple[str, ...]  # those an alert rule names (core.rules): their requests per second


def parse_piece(
    piece: Piece, fmt: str, log_format: str | None, chosen: Selection | None = None, sections: Sections = ()
) -> Summed:
    """One piece into bucket sums (runs in a worker process); also its lines and rejected."""
    single_threaded()  # the workers, one per core, are the parallelism
    data, dropped = piece.read_lines()
    return _summed(_read_core(make_parser(fmt, log_format, chosen), data), dropped, sections)


def parse_file(
    path: str, fmt: str, log_format: str | None, chunk_bytes: int, sections: Sections = ()
) -> list[tuple[int, Summed]]:
    """A whole file, piece by piece in order, by one parser (runs on a Dask worker).

    For a gzip file (read from its start) or a W3C log (layout carried from piece to piece).
    The pieces' sums are kept apart, as the in-process engine merges them, so which report
    a line over an hour out of order counts in as late is the same; each comes with its end.
    """
    single_threaded()
    parser = make_parser(fmt, log_format)
    found = []
    for piece in pieces(path, chunk_bytes):
        data, dropped = piece.read_lines()
        found.append((piece.end, _summed(_read_core(parser, data), dropped, sections)))
    return found


def _read_core(parser: LineParser, data: bytes) -> Parsed | Requests:
    """What the sums need: Common and Combined lines go straight to per-request arrays (no frame)."""
    return requests(data, parser.name) if isinstance(parser, ClfParser) else parser.parse(data, core=True)


def _summed(parsed: Parsed | Requests, dropped: int, sections: Sections = ()) -> Summed:
    """Bucket sums, lines and rejected of a piece; `dropped` over-long lines are rejected too.

    Lines mean every line, as everywhere: requests + rejected + directives (W3C's `#` lines,
    neither requests nor rejected, counted in the buckets' `directives`).
    """
    if isinstance(parsed, Requests):
        buckets, lines, rejected = request_buckets(parsed, sections), parsed.lines, len(parsed.rejected_at)
    else:
        buckets, lines, rejected = chunk_buckets(parsed, sections), parsed.lines, parsed.rejected
        buckets.directives = parsed.directives
    buckets.leading_rejected += dropped  # no position kept: filed like lines before the first good one
    return buckets, lines + dropped, rejected + dropped


def stream(paths: list[str], chunk_bytes: int) -> Iterator[tuple[Piece, int]]:
    """Pieces of every file in order, each with the bytes of all inputs consumed up to it."""
    done = 0
    for path in paths:
        end = 0
        for piece in pieces(path, chunk_bytes):
            end = piece.end
            yield piece, done + end
        done += file_size(path) if path != STDIN else end  # standard input: what it brought


def _parsed_in_order(
    work: Iterable[tuple[Piece, int]],
    formats: dict[str, str],
    log_format: str | None,
    executor: Executor | None,
    backlog_size: int = 4,
    chosen: Selection | None = None,
    sections: Sections = (),
) -> Iterator[tuple[int, Summed]]:
    """Parse pieces in file order: in the pool when given one and the format allows it.

    A W3C log's layout carries from piece to piece, so its pieces are parsed here, in order,
    by one parser per file; Common, Combined and custom formats go to the workers.
    """
    stateful: dict[str, LineParser] = {}
    backlog: deque[tuple[int, Future[Summed] | Summed]] = deque()
    for piece, consumed in work:
        parser = stateful.get(piece.path) or make_parser(formats[piece.path], log_format, chosen)
        if parser.stateful or executor is None:
            stateful[piece.path] = parser if parser.stateful else stateful.get(piece.path, parser)
            data, dropped = piece.read_lines()
            backlog.append((consumed, _summed(_read_core(parser, data), dropped, sections)))
        else:
            task = executor.submit(parse_piece, piece, formats[piece.path], log_format, chosen, sections)
            backlog.append((consumed, task))
        while backlog and (len(backlog) > backlog_size or not isinstance(backlog[0][1], Future)):
            done, result = backlog.popleft()
            yield done, result.result() if isinstance(result, Future) else result
    for done, result in backlog:
        yield done, result.result() if isinstance(result, Future) else result


@contextmanager
def _in_process(
    names: list[str],
    fmt: str,
    log_format: str | None,
    chunk_bytes: int,
    workers: int,
    chosen: Selection | None = None,
    sections: Sections = (),
) -> Iterator[tuple[int, Iterator[tuple[int, Summed]]]]:
    """The bytes in all inputs, and their pieces' sums in order, parsed here or in a process pool."""
    formats = {
        name: check_log(name, "custom" if log_format else fmt, log_format) for name in names
    }  # before work
    size = total_size(names)
    # Worker processes pay off only on inputs of several chunks (standard input's size is unknown).
    large = size > 2 * chunk_bytes or STDIN in names
    executor = ProcessPoolExecutor(workers) if workers > 1 and large else None
    try:
        work = stream(names, chunk_bytes)
        yield size, _parsed_in_order(work, formats, log_format, executor, 2 * workers, chosen, sections)
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)


def backtest(
    paths: list[str] | list[Path],
    thresholds: Iterable[float] = (10.0,),
    window: int = 120,
    out: Path | None = None,
    max_alerts_per_week: float = 1.0,
    workers: int = 1,
    progress: Progress | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    section_limit: int = 100,
    fmt: str = "auto",
    log_format: str | None = None,
    engine: str = "local",
    client: Any = None,
    task_timeout: float = 600.0,
    chosen: Selection | None = None,
    rules: Iterable[AlertRule] = (),
) -> BacktestResult:
    """Run the alert rules over the logs, in order, as one stream; write CSVs under `out`.
    `rules`: judged beside the high-traffic rule's `thresholds` (core.rules, same window).

    `paths` may be glob patterns and fsspec URLs. `engine="dask"` parses on a Dask cluster:
    `client` (a distributed.Client, left open) or a local cluster of one process per core.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "dask" and chosen:
        raise ValueError("--only and --exclude are not supported with --engine dask yet")
    names = expand_paths([str(path) for path in paths])
    rules = [*(AlertRule(threshold, window) for threshold in thresholds), *rules]
    sections = tracked_sections(rules)
    series = [name for name in dict.fromkeys(n for rule in rules for n in rule.series) if name != HITS]
    run: AbstractContextManager[tuple[int, Iterator[tuple[int, Summed]]]]
    if engine == "dask":
        from analyzer.offline import cluster  # dask is optional: imported only when asked for

        by_piece, by_file = partial(parse_piece, sections=sections), partial(parse_file, sections=sections)
        run = cluster.on_dask(names, fmt, log_format, chunk_bytes, client, by_piece, by_file, task_timeout)
    else:
        run = _in_process(names, fmt, log_format, chunk_bytes, workers, chosen, sections)
    merger = BucketMerger(section_limit=section_limit)
    seconds: list[np.ndarray] = []
    hits: list[np.ndarray] = []
    reports: list[pd.DataFrame] = []
    lines = rejected = directives = 0
    coverage = Coverage()  # where each piece's seconds are: the drivers' pass reads only those it needs
    started = time.perf_counter()
    writer = ClosedWriter(out, window) if out is not None else None
    with run as (size, parsed), _flushed(writer):
        for consumed, (buckets, chunk_lines, chunk_rejected) in parsed:
            lines += chunk_lines
            rejected += chunk_rejected
            directives += buckets.directives
            seconds.append(buckets.seconds)
            got = buckets.series or {}
            hits.append(np.vstack([buckets.hits, *(got[name] for name in series)]))
            coverage.add(buckets.seconds)
            # Merged in tiers, each under half the one before: a second is merged about
            # log2(pieces) times (merging all every 64 pieces was quadratic: 17 s of 16,000 pieces).
            while len(seconds) > 1 and 2 * len(seconds[-1]) >= len(seconds[-2]):
                merged = merge_counts(seconds[-2:], hits[-2:])
                seconds[-2:], hits[-2:] = [merged[0]], [merged[1]]
            _keep(merger.add(buckets), reports, writer)
            if progress:
                progress(lines, consumed, size, time.perf_counter() - started)
        _keep(merger.finish(), reports, writer)
    all_seconds, all_series = merge_counts(seconds, hits)
    timeline, found_by_rule, in_order, all_hits, kept = judge_all(
        all_seconds, all_series, series, rules, window
    )
    in_order = with_drivers(in_order, stream(names, chunk_bytes), names, fmt, log_format, coverage, chosen)
    if out is not None:
        _write_alerts(out, in_order)
    report_frame = by_report_time(pd.concat(reports)) if reports else pd.DataFrame()
    return BacktestResult(
        lines=lines,
        requests=lines - rejected - directives,
        directives=directives,
        rejected=rejected,
        late=int(report_frame["late"].sum()) if len(report_frame) else 0,
        window=window,
        timeline=timeline,
        transitions=transition_frame(in_order),
        alert_rows=alert_cells(in_order),
        episodes=pd.DataFrame(
            [
                vars(episodes(found, on, timeline, rule))
                for (found, on), rule in zip(found_by_rule, rules, strict=True)
            ]
        ),
        distribution=average_distribution(timeline),
        suggested_threshold=suggest_threshold(timeline, max_alerts_per_week) if len(timeline.axis) else 0.0,
        reports=report_frame,
        out_of_range=int(all_hits[~kept].sum()),
        out_of_range_span=span_of(all_seconds[~kept]),
    )


def _keep(closed: Closed | None, reports: list[pd.DataFrame], writer: ClosedWriter | None) -> None:
    if closed is None:
        return
    reports.append(closed.totals)
    if writer is not None:
        writer.add(closed)


@contextmanager
def _flushed(writer: ClosedWriter | None) -> Iterator[None]:
    """The reports closed so far reach the CSVs however the run ends (a stopped backtest too)."""
    try:
        yield
    finally:
        if writer is not None:
            writer.flush()


def _write_alerts(out: Path, found: list[Transition]) -> None:
    sink = CsvSink(out / "alerts.csv", ALERT_FIELDS)
    try:
        for transition in found:
            sink.write(alert_row(transition))
    finally:
        sink.close()
