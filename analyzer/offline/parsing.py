"""A backtest's pieces parsed into bucket sums, in input order: here, or in worker processes.

Plain files go to the workers as byte ranges (a `Piece`: path, start, end), so the parent
never reads their bytes; each worker reads, parses and sums its piece and sends back a few
arrays. W3C logs (their layout carries from piece to piece), standard input and inputs of a
couple of pieces are parsed here, in order.
"""

from __future__ import annotations

import ctypes
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import NamedTuple

from analyzer.formats.clf import Parsed, Requests, requests
from analyzer.formats.kernel import single_threaded
from analyzer.formats.parsers import ClfParser, LineParser, make_parser
from analyzer.formats.select import Selection
from analyzer.offline.buckets import ChunkBuckets, chunk_buckets, request_buckets
from analyzer.offline.reader import STDIN, Piece, check_log, file_size, pieces, total_size

Summed = tuple[ChunkBuckets, int, int]  # a piece's bucket sums, lines and rejected
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
Sections = tuple[str, ...]  # those an alert rule names (core.rules): their requests per second


class Parsing(NamedTuple):
    """What a run of the parsing gives: the bytes in all inputs, the pieces' sums in order (each
    with the bytes consumed up to it), and the worker processes (None: none) while it runs."""

    size: int
    results: Iterator[tuple[int, Summed]]
    pool: Executor | None = None


def worker_start() -> None:
    """A worker process keeps its heap: glibc maps each allocation over its moving threshold
    afresh and gives back a heap top over twice that, so a piece's arrays were faulted in page by
    page again and again (7,900 faults a 16 MB piece of 110-byte lines: 25-30% of its CPU).
    Pieces up to 32 MB come from the heap, and it keeps what it held: a worker's memory stays
    at its high-water mark, ~150 MB. Elsewhere than glibc, nothing changes."""
    single_threaded()  # the workers, one per core, are the parallelism
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 32 << 20)
        mallopt(M_TRIM_THRESHOLD, 512 << 20)


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


def parsed_in_order(
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
def in_process(
    names: list[str],
    fmt: str,
    log_format: str | None,
    chunk_bytes: int,
    workers: int,
    chosen: Selection | None = None,
    sections: Sections = (),
) -> Iterator[Parsing]:
    """The bytes in all inputs, and their pieces' sums in order, parsed here or in a process pool
    (kept open until the caller is done: its alerts' drivers can be read there too)."""
    formats = {
        name: check_log(name, "custom" if log_format else fmt, log_format) for name in names
    }  # before work
    size = total_size(names)
    # Worker processes pay off only on inputs of several chunks (standard input's size is unknown).
    large = size > 2 * chunk_bytes or STDIN in names
    executor = ProcessPoolExecutor(workers, initializer=worker_start) if workers > 1 and large else None
    try:
        work = stream(names, chunk_bytes)
        # A backlog of 4 pieces a worker: one parsing, the rest queued or done, so a parent slowed
        # a moment (a close, a CSV write, a busy machine) keeps them busy (~0.5 MB a result).
        backlog = 4 * workers
        yield Parsing(
            size, parsed_in_order(work, formats, log_format, executor, backlog, chosen, sections), executor
        )
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)
