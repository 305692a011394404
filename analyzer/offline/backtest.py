"""Backtest: the monitor's parser, sections and alert check run over historical logs.

    result = analyzer.backtest(["access.log.1.gz", "access.log"], thresholds=[10, 20])
    result.episodes          # one row per threshold: alerts, time in alert, ...
    result.transitions       # every alert and recovery, exactly as the monitor would print them

Chunks are parsed (in worker processes when asked) into per-second hits and per-bucket sums
that add up exactly, so the result never depends on chunk boundaries or line order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.core.rules import HITS, tracked_sections
from analyzer.formats.select import Selection
from analyzer.offline.buckets import BucketMerger, Closed
from analyzer.offline.csvs import ClosedWriter
from analyzer.offline.drivers import Coverage, with_drivers
from analyzer.offline.parsing import Parsing, in_process, parse_file, parse_piece, stream
from analyzer.offline.reader import CHUNK_BYTES, STDIN, expand_paths
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

__all__ = ["ENGINES", "BacktestResult", "backtest", "parse_file", "parse_piece"]

Progress = Callable[[int, int, int, float], None]  # lines, bytes read, bytes in all, seconds
ENGINES = ("local", "dask")


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
    run: AbstractContextManager[Parsing]
    if engine == "dask":
        from analyzer.offline import cluster  # dask is optional: imported only when asked for

        by_piece, by_file = partial(parse_piece, sections=sections), partial(parse_file, sections=sections)
        run = cluster.on_dask(names, fmt, log_format, chunk_bytes, client, by_piece, by_file, task_timeout)
    else:
        run = in_process(names, fmt, log_format, chunk_bytes, workers, chosen, sections)
    merger = BucketMerger(section_limit=section_limit)
    seconds: list[np.ndarray] = []
    hits: list[np.ndarray] = []
    reports: list[pd.DataFrame] = []
    lines = rejected = directives = 0
    coverage = Coverage()  # where each piece's seconds are: the drivers' pass reads only those it needs
    started = time.perf_counter()
    writer = ClosedWriter(out, window) if out is not None else None
    with run as (size, parsed, pool), _flushed(writer):
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
        # Every piece is in: the alerts are known. Their drivers (a second pass over the pieces
        # around them) are read by a worker, idle now, while this process sums and writes the
        # last hour's reports: the run's serial tail, overlapped.
        all_seconds, all_series = merge_counts(seconds, hits)
        timeline, found_by_rule, in_order, all_hits, kept = judge_all(
            all_seconds, all_series, series, rules, window
        )
        drivers = _drivers(pool, in_order, names, chunk_bytes, fmt, log_format, coverage, chosen)
        _keep(merger.finish(), reports, writer)
        if writer is not None:
            writer.flush()
        in_order = drivers()
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


def _drivers(pool: Executor | None, found: list[Transition], *where: Any) -> Callable[[], list[Transition]]:
    """The transitions with their alerts' drivers, when called: read by a worker of `pool` when
    there is one and something to read, else here when asked (`where`: drivers_of's inputs)."""
    names = where[0]
    if pool is None or STDIN in names or not any(t.kind == ALERT for t in found):
        return partial(drivers_of, found, *where)
    return pool.submit(drivers_of, found, *where).result


def drivers_of(
    found: list[Transition],
    names: list[str],
    chunk_bytes: int,
    fmt: str,
    log_format: str | None,
    coverage: Coverage,
    chosen: Selection | None,
) -> list[Transition]:
    """`found` with the drivers of each alert that crossed: the pieces around it read again."""
    return with_drivers(found, stream(names, chunk_bytes), names, fmt, log_format, coverage, chosen)


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
