"""How fast the monitor's tick loop runs under a fake clock: ticks/s with real files and parsing.

    python benchmarks/bench_ticks.py [--ticks 500] [--lines-per-tick 3]

Each tick appends lines to a temporary log, polls (read, parse, alert check, checkpoint) and
every 10th tick writes a report, exactly as the live monitor does, with no real sleeping.
Prints ticks/s and where the time goes (the top functions of a profile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

import numpy as np

from analyzer.core.alerts import AlertRule
from analyzer.generate import lines_for_second
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings

START = 1_764_300_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=500)
    parser.add_argument("--lines-per-tick", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        log.write_bytes(b"")
        now = [float(START)]
        ticks = [0]

        def sleep(seconds: float) -> None:
            now[0] += seconds
            ticks[0] += 1
            with open(log, "ab") as handle:
                handle.write(lines_for_second(rng, args.lines_per_tick, int(now[0])))

        settings = Settings(paths=[str(log)], rule=AlertRule(10, 120), out=Path(folder) / "out", plain=True)
        monitor = Monitor(
            settings, io.StringIO(), Clock(lambda: now[0], sleep, lambda: ticks[0] >= args.ticks)
        )
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        monitor.run()
        profile.disable()
        elapsed = time.perf_counter() - started
    print(
        f"{args.ticks} ticks in {elapsed:.2f} s: {args.ticks / elapsed:,.0f} ticks/s "
        f"({elapsed / args.ticks * 1000:.1f} ms a tick, {args.lines_per_tick} lines a tick)"
    )
    pstats.Stats(profile).sort_stats("cumulative").print_stats(12)


if __name__ == "__main__":
    main()
