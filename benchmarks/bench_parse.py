"""Throughput of the full-column parser (`analyzer.formats.clf.parse`) on a large Combined log.

    python benchmarks/bench_parse.py [LOG] [--lines 1000000] [--chunk-mb 16] [--repeat 3] [--core]

LOG defaults to benchmarks/data/combined-<lines>.log, made by make_log.py (in a child process,
so its memory does not count) when missing. The file is read in pieces of complete lines (as
analyzer.offline.reader reads any file) and each piece parsed and dropped, three ways, run in
turn, so that each use of a second thread shows what it earns:

- in turn (analyzer.formats.pipeline: the next piece prepared in a second thread while this
  one's frame is built), as `python -m analyzer check` reads a whole file;
- each piece alone (`parse`, its scan and encoding split over two threads), as the live
  monitor parses a burst;
- each piece alone in one thread, as a backtest's worker process parses its pieces.

Prints lines/s, MB/s and peak RSS (median of --repeat runs, page cache warm), `wc -l` on the
same file, then where the time goes: one more pass, each piece alone, with timers wrapped
around the parser's stages (the byte scan, the per-distinct checks, the RE2 path for the lines
the scan left, the merge, the frame).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from analyzer.formats import kernel
from analyzer.formats.clf import parse
from analyzer.formats.compiled import KERNEL
from analyzer.formats.parsers import ClfParser, detect_format
from analyzer.formats.pipeline import parsed_in_turn
from analyzer.offline.reader import pieces

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_log import default_path

# The module, not the function `analyzer.parse` that analyzer/__init__.py re-exports.
parse_module = sys.modules["analyzer.formats.clf"]


def chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """The file's complete lines, about chunk_bytes at a time, read as a backtest's worker reads
    its pieces (analyzer.offline.reader: one read of a byte range ending at a line's end)."""
    for piece in pieces(str(path), chunk_bytes):
        yield piece.read()


def parse_file(
    path: Path, fmt: str, chunk_bytes: int, core: bool = False, fast: bool = True, in_turn: bool = False
) -> tuple[int, int, int]:
    """Parse every chunk (core: the backtest's reduced set of columns); returns lines, requests
    and rejected lines."""
    if in_turn and fast:
        found = (
            parsed for _, parsed in parsed_in_turn(ClfParser(fmt), chunks(path, chunk_bytes), bytes, core)
        )
    else:
        found = (parse(chunk, fmt, core, fast=fast) for chunk in chunks(path, chunk_bytes))
    lines = rows = rejected = 0
    for parsed in found:
        lines += parsed.lines
        rows += len(parsed.frame)
        rejected += parsed.rejected
    return lines, rows, rejected


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


# Where parse's time goes: (module, function, label); nested labels are indented.
STAGES = [
    ("clf", "utf8_text", "UTF-8 check and line count (utf8_text)"),
    ("clf", "vouch", "fast path (fast.vouch)"),
    ("fast", "scan", "  byte scan (kernel.scan)"),
    ("fast", "_seconds", "  times, once per run (_seconds)"),
    ("fast", "encoded_ranges", "  fields dictionary-encoded (encoded_ranges)"),
    ("clf", "_matched", "RE2 path on the lines left (_matched)"),
    ("clf", "interleave", "merge in line order (interleave)"),
    ("clf", "request_parts", "method/path/protocol per distinct"),
    ("clf", "prefix_parts", "host/user per distinct prefix"),
    ("clf", "build_frame", "build frame (build_frame)"),
    ("clf", "rejected_lines", "reject reasons (rejected_lines)"),
]


class Timers:
    """Inclusive seconds spent in wrapped functions of the parser's modules, by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        return timed_call


def breakdown(
    path: Path, fmt: str, chunk_bytes: int, core: bool, fast: bool
) -> tuple[float, dict[str, float]]:
    """One pass with timers around the parser's stages; restores the modules afterwards."""
    timers = Timers()
    modules = {"clf": parse_module, "fast": sys.modules["analyzer.formats.fast"]}
    originals = [(modules[m], name, getattr(modules[m], name)) for m, name, _ in STAGES]
    for (module, name, function), (_, _, label) in zip(originals, STAGES, strict=True):
        setattr(module, name, timers.wrap(label, function))
    try:
        read = timed(lambda: sum(len(chunk) for chunk in chunks(path, chunk_bytes)))
        total = timed(lambda: parse_file(path, fmt, chunk_bytes, core, fast))
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
    timers.seconds["read chunks (I/O, no parse)"] = read
    return total, dict(timers.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines if generating (default 1e6)")
    parser.add_argument("--chunk-mb", type=float, default=16.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--core", action="store_true", help="parse(core=True): the columns a backtest needs")
    parser.add_argument(
        "--re2", action="store_true", help="parse(fast=False): every line by RE2, the reference"
    )
    args = parser.parse_args()
    path: Path = args.log or default_path(args.lines)
    if not path.exists():
        make = Path(__file__).resolve().parent / "make_log.py"
        subprocess.run([sys.executable, str(make), str(path), "--lines", str(args.lines)], check=True)
    chunk_bytes = int(args.chunk_mb * (1 << 20))
    size_mb = path.stat().st_size / 1e6
    with open(path, "rb") as handle:
        fmt = detect_format(handle.read(1 << 16)) or "combined"
    rss_before = peak_rss_mb()
    print(
        f"file {path}: {size_mb:.1f} MB, format {fmt}, {'compiled kernel' if KERNEL else 'no kernel: RE2'}"
        f"{' (core columns)' if args.core else ''}"
        f"{', RE2 only' if args.re2 else ''},"
        f" chunks of {args.chunk_mb:g} MB"
    )

    # way: (in turn, threads)
    ways = {"in turn": (True, 2), "each alone": (False, 2), "each alone, 1 thread": (False, 1)}
    if args.re2:
        ways = {"RE2 only": (False, 1)}
    runs: dict[str, list[float]] = {way: [] for way in ways}
    cpu: dict[str, list[float]] = {way: [] for way in ways}
    counts = (0, 0, 0)
    threads = kernel.THREADS.count
    for _ in range(args.repeat):  # the ways in turn, so a busy spell slows all alike
        for way, (in_turn, count) in ways.items():
            kernel.THREADS.count = min(count, threads)
            started, started_cpu = time.perf_counter(), time.process_time()
            counts = parse_file(path, fmt, chunk_bytes, args.core, not args.re2, in_turn)
            runs[way].append(time.perf_counter() - started)
            cpu[way].append(time.process_time() - started_cpu)
    kernel.THREADS.count = threads
    lines, rows, rejected = counts
    print(f"parse: {lines:,} lines ({rows:,} requests, {rejected:,} rejected)")
    seconds = 0.0
    for way in ways:
        seconds = statistics.median(runs[way])
        print(
            f"parse, {way}: {seconds:.2f} s median of {', '.join(f'{r:.2f}' for r in runs[way])} "
            f"(CPU {statistics.median(cpu[way]):.2f} s: a wall time far above it means a busy machine)"
        )
        print(f"parse, {way}: {lines / seconds / 1e6:.2f} M lines/s, {size_mb / seconds:.0f} MB/s")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (after imports: {rss_before:.0f} MB)")

    wc = [
        timed(lambda: subprocess.run(["wc", "-l", str(path)], check=True, capture_output=True))
        for _ in range(args.repeat)
    ]
    wc_s = statistics.median(wc)
    print(f"wc -l: {wc_s:.3f} s, {lines / wc_s / 1e6:.1f} M lines/s")

    total, parts = breakdown(path, fmt, chunk_bytes, args.core, not args.re2)
    print(f"breakdown (one instrumented pass, {total:.2f} s; indented items are inside the fast path):")
    order = [label for _, _, label in STAGES] + ["read chunks (I/O, no parse)"]
    for name, spent in sorted(parts.items(), key=lambda item: order.index(item[0])):
        print(f"  {name:<40} {spent:6.2f} s  {100 * spent / total:5.1f} %")
    top = [name for name in parts if not name.startswith("  ") and not name.startswith("read")]
    rest = total - sum(parts[name] for name in top)
    print(f"  {'rest (line array, placing, Python)':<40} {rest:6.2f} s  {100 * rest / total:5.1f} %")


if __name__ == "__main__":
    main()
