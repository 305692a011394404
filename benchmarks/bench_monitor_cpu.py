"""CPU cost of the live monitor at a steady rate: how much of one core does following a log take?

    python benchmarks/bench_monitor_cpu.py [--rate 100] [--seconds 60] [--history 130]

Writes --history seconds of traffic to a temporary log, starts
`python -m analyzer LOG --plain --out TMPDIR` on it, appends --rate lines every second
(analyzer.generate.lines_for_second, stamped with the current second) for --seconds, and reads
the child's CPU time (utime + stime from /proc/PID/stat) after start-up and at the end. Prints
start-up CPU, then CPU seconds and % of one core over the steady stretch; then sends SIGINT
and checks that the monitor exits with status 0. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analyzer.generate import lines_for_second

TICKS = os.sysconf("SC_CLK_TCK")
STARTUP_SECONDS = 5.0  # imports, warm start and the first poll are reported apart


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5)


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of `pid` in MB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def append_for(log: Path, rng: np.random.Generator, rate: int, seconds: float) -> int:
    """Append `rate` lines stamped with the current second, once a second; returns lines written."""
    written = 0
    due = time.time()
    with open(log, "ab") as handle:
        for _ in range(round(seconds)):
            time.sleep(max(0.0, due - time.time()))
            handle.write(lines_for_second(rng, rate, int(time.time())))
            handle.flush()
            written += rate
            due += 1.0
    time.sleep(max(0.0, due - time.time()))
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100, help="lines appended per second (default 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady stretch measured (default 60)")
    parser.add_argument("--history", type=int, default=130, help="seconds of traffic in the log at start")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    folder = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    log, out = folder / "access.log", folder / "out"
    start = int(time.time())
    log.write_bytes(b"".join(lines_for_second(rng, args.rate, s) for s in range(start - args.history, start)))

    screen = open(folder / "screen.txt", "wb")  # noqa: SIM115 - closed below, after the child
    command = [sys.executable, "-m", "analyzer", str(log), "--plain", "--out", str(out)]
    child = subprocess.Popen(command, stdout=screen, stderr=subprocess.STDOUT)
    written = append_for(log, rng, args.rate, STARTUP_SECONDS)
    startup_cpu = cpu_seconds(child.pid)
    began = time.monotonic()
    steady_lines = append_for(log, rng, args.rate, args.seconds)
    written += steady_lines
    steady_cpu = cpu_seconds(child.pid) - startup_cpu
    elapsed = time.monotonic() - began
    rss, peak = rss_mb(child.pid)

    child.send_signal(signal.SIGINT)
    try:
        status = child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        status = child.wait()
    screen.close()
    with open(out / "stats.csv", newline="") as handle:
        reports = list(csv.DictReader(handle))
    # Warm-start lines are reported in a `warm` column when the monitor has one.
    counted = sum(int(row["requests"]) + int(row.get("warm") or 0) + int(row["rejected"]) for row in reports)
    in_file = log.read_bytes().count(b"\n")

    print(f"monitor: python {' '.join(command[1:])}  (log in {folder})")
    print(
        f"start-up (imports, warm start over {args.history} s of history, first {STARTUP_SECONDS:g} s): "
        f"{startup_cpu:.2f} CPU s"
    )
    print(
        f"steady: {steady_lines / elapsed:.0f} lines/s for {elapsed:.1f} s: {steady_cpu:.2f} CPU s = "
        f"{100 * steady_cpu / elapsed:.1f} % of one core ({1e3 * steady_cpu / elapsed:.0f} ms per second)"
    )
    print(f"memory: RSS {rss:.0f} MB, peak {peak:.0f} MB")
    print(
        f"appended {written:,} lines after {args.history} s of history; stats.csv: {len(reports)} reports "
        f"counting {counted:,} of the {in_file:,} lines in the log (requests + warm + rejected)"
    )
    print(f"SIGINT -> exit status {status} ({'ok' if status == 0 else 'FAILED: expected 0'})")
    if status != 0:
        print((folder / "screen.txt").read_text()[-2000:], file=sys.stderr)
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
