"""Backtest: the monitor's parser, sections and alert check run over historical logs.

    result = analyzer.backtest(["access.log.1.gz", "access.log"], thresholds=[10, 20])
    result.episodes          # one row per threshold: alerts, time in alert, ...
    result.transitions       # every alert and recovery, exactly as the monitor would print them

Chunks are parsed (in worker processes when asked) into per-second hits and per-bucket sums
that add up exactly, so the result never depends on chunk boundaries or line order.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.core.alerts import AlertRule, Transition
from analyzer.formats.clf import Parsed, Requests, requests
from analyzer.formats.parsers import ClfParser, LineParser, make_parser
from analyzer.offline.buckets import BucketMerger, ChunkBuckets, Closed, chunk_buckets, request_buckets
from analyzer.offline.csvs import write_closed
from analyzer.offline.reader import CHUNK_BYTES, Piece, check_log, pieces, total_size
from analyzer.offline.timeline import (
    Timeline,
    average_distribution,
    build_timeline,
    episodes,
    merge_counts,
    suggest_threshold,
    transitions,
)
from analyzer.outputs.rows import ALERT_FIELDS, alert_row
from analyzer.outputs.sinks import CsvSink

Progress = Callable[[int, int, int, float], None]  # lines, bytes read, bytes in all, seconds


@dataclass
class BacktestResult:
    """What a backtest found; the DataFrames are what the notebooks explore."""

    lines: int
    requests: int
    rejected: int
    late: int
    window: int
    timeline: Timeline = field(repr=False)
    transitions: pd.DataFrame = field(repr=False)
    episodes: pd.DataFrame = field(repr=False)
    distribution: dict[str, float] = field(default_factory=dict)
    suggested_threshold: float = 0.0
    reports: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def per_second(self) -> pd.Series:
        """Requests in each second that had any (index: UTC time)."""
        real = (self.timeline.axis >= 0) & (self.timeline.counts > 0)
        index = pd.to_datetime(self.timeline.axis[real], unit="s", utc=True)
        return pd.Series(self.timeline.counts[real], index=index, name="hits")

    @property
    def average(self) -> pd.Series:
        """The window's average req/s at every second of the active stretches (0 elsewhere)."""
        real = self.timeline.axis >= 0
        index = pd.to_datetime(self.timeline.axis[real], unit="s", utc=True)
        return pd.Series(self.timeline.totals()[real] / self.window, index=index, name="average")


def parse_piece(piece: Piece, fmt: str, log_format: str | None) -> tuple[ChunkBuckets, int, int]:
    """One piece into bucket sums (runs in a worker process); also its lines and rejected."""
    data, dropped = piece.read_lines()
    return _summed(_read_core(make_parser(fmt, log_format), data), dropped)


def _read_core(parser: LineParser, data: bytes) -> Parsed | Requests:
    """What the sums need: Common and Combined lines go straight to per-request arrays (no frame)."""
    return requests(data, parser.name) if isinstance(parser, ClfParser) else parser.parse(data, core=True)


def _summed(parsed: Parsed | Requests, dropped: int) -> tuple[ChunkBuckets, int, int]:
    """Bucket sums, lines and rejected of a piece; `dropped` over-long lines are rejected too.

    Directive lines (W3C) are neither requests nor rejected: they leave the line count.
    """
    if isinstance(parsed, Requests):
        buckets, lines, rejected = request_buckets(parsed), parsed.lines, len(parsed.rejected_at)
    else:
        buckets, lines, rejected = chunk_buckets(parsed), parsed.lines - parsed.directives, parsed.rejected
    buckets.leading_rejected += dropped  # no position kept: filed like lines before the first good one
    return buckets, lines + dropped, rejected + dropped


def stream(paths: list[str], chunk_bytes: int) -> Iterator[tuple[Piece, int]]:
    """Pieces of every file in order, each with the bytes of all inputs consumed up to it."""
    done = 0
    for path in paths:
        for piece in pieces(path, chunk_bytes):
            yield piece, done + piece.end
        done += os.path.getsize(path)


Summed = tuple[ChunkBuckets, int, int]


def _parsed_in_order(
    work: Iterable[tuple[Piece, int]],
    formats: dict[str, str],
    log_format: str | None,
    executor: Executor | None,
    backlog_size: int = 4,
) -> Iterator[tuple[int, Summed]]:
    """Parse pieces in file order: in the pool when given one and the format allows it.

    A W3C log's layout carries from piece to piece, so its pieces are parsed here, in order,
    by one parser per file; Common, Combined and custom formats go to the workers.
    """
    stateful: dict[str, LineParser] = {}
    backlog: deque[tuple[int, Future[Summed] | Summed]] = deque()
    for piece, consumed in work:
        parser = stateful.get(piece.path) or make_parser(formats[piece.path], log_format)
        if parser.stateful or executor is None:
            stateful[piece.path] = parser if parser.stateful else stateful.get(piece.path, parser)
            data, dropped = piece.read_lines()
            backlog.append((consumed, _summed(_read_core(parser, data), dropped)))
        else:
            backlog.append((consumed, executor.submit(parse_piece, piece, formats[piece.path], log_format)))
        while backlog and (len(backlog) > backlog_size or not isinstance(backlog[0][1], Future)):
            done, result = backlog.popleft()
            yield done, result.result() if isinstance(result, Future) else result
    for done, result in backlog:
        yield done, result.result() if isinstance(result, Future) else result


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
) -> BacktestResult:
    """Run the alert rules over the logs, in order, as one stream; write CSVs under `out`."""
    names = [str(path) for path in paths]
    formats = {name: check_log(name, "custom" if log_format else fmt) for name in names}  # before any work
    rules = [AlertRule(threshold, window) for threshold in thresholds]
    merger = BucketMerger(section_limit=section_limit)
    seconds: list[np.ndarray] = []
    hits: list[np.ndarray] = []
    reports: list[pd.DataFrame] = []
    lines = rejected = 0
    size, started = total_size(names), time.perf_counter()
    # Worker processes pay off only on inputs of several chunks.
    executor = ProcessPoolExecutor(workers) if workers > 1 and size > 2 * chunk_bytes else None
    try:
        parsed = _parsed_in_order(stream(names, chunk_bytes), formats, log_format, executor, 2 * workers)
        for consumed, (buckets, chunk_lines, chunk_rejected) in parsed:
            lines += chunk_lines
            rejected += chunk_rejected
            seconds.append(buckets.seconds)
            hits.append(buckets.hits)
            if len(seconds) > 64:  # keep the per-second series compact as it grows
                merged = merge_counts(seconds, hits)
                seconds, hits = [merged[0]], [merged[1]]
            _keep(merger.add(buckets), reports, out)
            if progress:
                progress(lines, consumed, size, time.perf_counter() - started)
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)
    _keep(merger.finish(), reports, out)
    timeline = build_timeline(*merge_counts(seconds, hits), window)
    found_by_rule = [transitions(timeline, rule) for rule in rules]
    if out is not None:
        _write_alerts(out, [t for found, _ in found_by_rule for t in found])
    report_frame = pd.concat(reports) if reports else pd.DataFrame()
    return BacktestResult(
        lines=lines,
        requests=lines - rejected,
        rejected=rejected,
        late=int(report_frame["late"].sum()) if len(report_frame) else 0,
        window=window,
        timeline=timeline,
        transitions=_transition_frame([t for found, _ in found_by_rule for t in found]),
        episodes=pd.DataFrame(
            [
                vars(episodes(found, on, timeline, rule))
                for (found, on), rule in zip(found_by_rule, rules, strict=True)
            ]
        ),
        distribution=average_distribution(timeline),
        suggested_threshold=suggest_threshold(timeline, max_alerts_per_week) if len(timeline.axis) else 0.0,
        reports=report_frame,
    )


def _keep(closed: Closed | None, reports: list[pd.DataFrame], out: Path | None) -> None:
    if closed is None:
        return
    reports.append(closed.totals)
    if out is not None:
        write_closed(out, closed)


def _write_alerts(out: Path, found: list[Transition]) -> None:
    sink = CsvSink(out / "alerts.csv", ALERT_FIELDS)
    try:
        for transition in sorted(found, key=lambda t: (t.second, t.rule.threshold)):
            sink.write(alert_row(transition))
    finally:
        sink.close()


def _transition_frame(found: list[Transition]) -> pd.DataFrame:
    rows = [dict(zip(ALERT_FIELDS, alert_row(t), strict=True)) for t in found]
    return pd.DataFrame(rows, columns=list(ALERT_FIELDS))
