"""The fast path's scan and dictionary encoding, by the C kernel (analyzer/formats/kernel_c/).

The kernel walks each line once (module.c, scan.c) and hashes text fields where they lie in
the buffer (encode.c). It is built by `pip install`; a machine without a C compiler installs
the package all the same (analyzer.formats.compiled.KERNEL is None there) and parses every
line the RE2 way (analyzer.formats.clf), so nothing here is called without it but
`newlines_and_ascii` and `holds_nul_or_cr`. The kernel releases the GIL, so a large batch is
scanned and encoded by two threads: a 16 MB piece parsed 10-20% sooner than in one thread
(benchmarks/bench_parse.py, "each alone" against "each alone, 1 thread").
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from analyzer.formats import compiled
from analyzer.formats.compiled import encoded_slices
from analyzer.formats.encoded import Encoded
from analyzer.lines import nul_or_cr

# The scan and the encoding are 40-60% of a full-column parse, and both split: lines by
# halves, fields by groups. A batch of this many lines or more is done by two threads where the
# process may run on two cores (a backtest's worker processes are its parallelism: one each).
PARALLEL_ROWS = 50_000
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
TIME_WIDTH = 26  # dd/Mon/yyyy:HH:MM:SS +zzzz


class Threads(threading.local):
    """The threads a large batch is parsed by, set per calling thread (not a global: a thread
    that prepares batches beside another parsing thread uses one, as a worker process does)."""

    def __init__(self) -> None:
        self.count = min(CORES, 2)  # 1 or 2


THREADS = Threads()


def single_threaded() -> None:
    """This thread's parses use one thread: for an engine whose worker processes (one per
    core) are already the parallelism, or a second thread of a pipeline."""
    THREADS.count = 1


UNREAD_TIME = np.iinfo(np.int64).min + 1  # Head.seconds of a time the kernel leaves to pandas
_INT_ROWS = ("starts", "ends", "bracket", "request", "request_end", "status", "size", "size_end",
             "referer", "referer_end", "agent_end", "seconds")  # fmt: skip
_FLAG_ROWS = ("shaped", "new_time", "tailed", "whole_prefix", "plain_tail")
_TAIL = ("tailed", "referer", "referer_end", "agent_end", "plain_tail")


@dataclass(frozen=True)
class Head:
    """Positions in the buffer of each line's fields; meaningful where `shaped` holds."""

    starts: np.ndarray  # first byte of each line
    ends: np.ndarray  # its newline
    shaped: np.ndarray  # the line has the shape the RE2 line pattern needs, as far as bytes show
    bracket: np.ndarray  # the `[` before the time: the prefix is starts..bracket
    new_time: np.ndarray  # the 26 bytes of the time differ from the line before's (runs of equal times)
    request: np.ndarray  # just after the request's opening quote
    request_end: np.ndarray  # its closing quote
    status: np.ndarray  # int16
    size: np.ndarray  # int64 (`-` is 0)
    size_end: np.ndarray  # just after the size: where the Combined tail (` "referer" "agent"`) starts
    # With `tail`, the tail's quoted fields by their quotes (else empty); `tailed`: it starts ` "referer" "`
    # and the agent's quote closes.
    tailed: np.ndarray
    referer: np.ndarray  # just after its quote
    referer_end: np.ndarray  # its closing quote
    agent_end: np.ndarray  # from referer_end + 3
    whole_prefix: np.ndarray  # the prefix reads as patterns.WHOLE_PREFIX
    plain_tail: np.ndarray  # no tail field holds a backslash (an escape can hide a quote)
    seconds: np.ndarray  # epoch seconds, or UNREAD_TIME: pandas reads it


class Newlines(NamedTuple):
    """The newlines of a batch, counted by the kernel in the pass that tells whether it is ASCII:
    all of them, and those before `middle`, the start of the first line at or after the middle
    byte (0: none), where the scan's second thread starts."""

    total: int
    middle: int
    before_middle: int


def newlines_and_ascii(data: bytes) -> tuple[Newlines | None, bool]:
    """The newlines in `data` (None without the kernel: nothing scans then) and whether its
    bytes are all ASCII: one pass over the bytes for both where the kernel was built."""
    if compiled.KERNEL is None:
        return None, data.isascii()
    count, ascii, middle, before_middle = compiled.KERNEL.line_count(data)
    return Newlines(count, middle, before_middle), ascii


def holds_nul_or_cr(data: bytes) -> bool:
    """Whether `data` holds a NUL or a `\\r`, the bytes a line splitter must clean: one pass of
    the kernel where it was built, two searches otherwise (analyzer.lines' own check)."""
    if compiled.KERNEL is None:
        return nul_or_cr(data)
    found: bool = compiled.KERNEL.nul_or_cr(data)
    return found


def scan(data: bytes, max_line_bytes: int, tail: bool = False, lines: Newlines | None = None) -> Head:
    """Find the fields of every line of `data` (complete lines, each ending in `\\n`); with
    `tail`, the Combined tail's quoted fields too. `lines`: the newlines of `data`, if already
    counted."""
    _kernel = compiled.KERNEL
    assert _kernel is not None, "the fast path needs the compiled kernel"
    if lines is None:
        lines, _ = newlines_and_ascii(data)
        assert lines is not None
    count, middle, half = lines
    ints = np.empty((len(_INT_ROWS), count), np.int64)
    flags = np.empty((len(_FLAG_ROWS), count), np.uint8)
    if count < PARALLEL_ROWS or THREADS.count < 2 or not 0 < middle < len(data):
        _kernel.scan(data, count, max_line_bytes, tail, ints, flags)
    else:  # each half of the lines by a thread, into the same outputs
        _both(
            lambda: _kernel.scan(data, count, max_line_bytes, tail, ints, flags, 0, 0, half),
            lambda: _kernel.scan(data, count, max_line_bytes, tail, ints, flags, middle, half, count),
        )
        flags[_FLAG_ROWS.index("new_time"), half] = _new_time(data, ints, flags, half)
    fields: dict[str, np.ndarray] = dict(zip(_INT_ROWS, ints, strict=True))
    fields |= {name: row.view(bool) for name, row in zip(_FLAG_ROWS, flags, strict=True)}
    fields["status"] = fields["status"].astype(np.int16)
    if not tail:
        fields |= {name: np.zeros(0, fields[name].dtype) for name in _TAIL}
    return Head(**fields)


def _new_time(data: bytes, ints: np.ndarray, flags: np.ndarray, line: int) -> bool:
    """Whether the time of `line` differs from the line before's (as the kernel tells it: both
    shaped, the 26 bytes after the `[`), for the first line of the second half."""
    shaped = flags[_FLAG_ROWS.index("shaped")]
    if not (shaped[line] and shaped[line - 1]):
        return True
    now, before = (int(at) + 1 for at in ints[_INT_ROWS.index("bracket"), [line, line - 1]])
    return data[now : now + TIME_WIDTH] != data[before : before + TIME_WIDTH]


def encoded_ranges(buffer: pa.Buffer, ranges: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Encoded]:
    """Each field's strings buffer[starts[i]:stops[i]] dictionary-encoded (as encoded.dictionary_of
    of them: codes by first appearance). The kernel hashes the ranges in place, a field a call
    (the fields of a large batch shared by two threads), and only the distinct values are cut out."""
    bounds = [(np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(stops, np.int64))
              for starts, stops in ranges.values()]  # fmt: skip
    found: dict[int, Encoded] = {}  # by field, filled by one thread or two

    def encode(fields: list[int]) -> None:
        for field in fields:
            found[field] = encoded_slices(buffer, *bounds[field])

    rows = len(bounds[0][0]) if bounds else 0
    groups = _halves(bounds) if rows >= PARALLEL_ROWS else None
    if groups is None:
        encode(list(range(len(bounds))))
    else:
        _both(lambda: encode(groups[0]), lambda: encode(groups[1]))
    return {name: found[field] for field, name in enumerate(ranges)}


def _halves(bounds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list[int], list[int]] | None:
    """The fields in two groups of about equal work, heaviest first to the lighter group (None:
    one field, or one thread). A row costs about as much as hashing 64 of its bytes (measured)."""
    if len(bounds) < 2 or THREADS.count < 2:
        return None
    work = [len(starts) + float((stops - starts).sum()) / 64 for starts, stops in bounds]
    groups: tuple[list[int], list[int]] = ([], [])
    loads = [0.0, 0.0]
    for field in sorted(range(len(work)), key=lambda field: -work[field]):  # stable: ties in order
        lighter = int(loads[1] < loads[0])
        groups[lighter].append(field)
        loads[lighter] += work[field]
    return groups


def _both(here: Callable[[], object], there: Callable[[], object]) -> None:
    """Run `here` in this thread and `there` in another, at once (the kernel releases the GIL).
    A thread of its own each time, not a pool: a pool forked into a backtest's worker keeps a
    dead thread and would hang; starting one costs ~0.1 ms, a large batch's kernel calls ~20."""
    failed: list[BaseException] = []

    def other() -> None:
        try:
            there()
        except BaseException as error:  # re-raised in the caller's thread
            failed.append(error)

    thread = threading.Thread(target=other, name="analyzer-kernel")
    thread.start()
    try:
        here()
    finally:
        thread.join()
    if failed:
        raise failed[0]


def request_sections(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> Encoded:
    """The section of each request buffer[starts[i]:stops[i]] (missing where none), codes by
    first appearance: what the path of columns.REQUEST gives through sections.section_values,
    read per line by the kernel, so that no request is encoded (the backtest's question)."""
    assert compiled.KERNEL is not None
    starts, stops = np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(stops, np.int64)
    cut = np.empty((2, len(starts)), np.int64)
    compiled.KERNEL.sections(buffer, starts, stops, cut)
    present = np.flatnonzero(cut[1] >= 0)
    found = encoded_ranges(buffer, {"section": (cut[0][present], cut[1][present])})["section"]
    codes = np.full(len(starts), -1, np.int64)
    codes[present] = found.codes
    return Encoded(codes, found.values)
