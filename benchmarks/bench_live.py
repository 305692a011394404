"""The live monitor at production rates, fed the way a web server writes: one write() per line.

    python benchmarks/bench_live.py                       # 100, 1,000, 10,000 and 100,000 lines/s
    python benchmarks/bench_live.py --rates 1000 --seconds 30
    python benchmarks/bench_live.py --rates 1000 --screen      # the dashboard, in an 80x24 pty
    python benchmarks/bench_live.py --rates 100000 --distinct --seconds 600   # 10 minutes of a flood

For each rate: a real monitor process (`python -m analyzer LOG --plain`, `--interval 1` up to
10,000 lines/s, the defaults at 100,000) follows an empty log; a writer process appends
Combined lines with the current time, one `os.write` per line, spread evenly (sleeping
whenever it is over a millisecond ahead), for --seconds. Then the writer stops, the monitor
gets 3 s to finish and SIGINT. Prints per rate: the monitor's CPU share over the writing
(utime + stime from /proc), its peak RSS, reports due vs written, overruns, and lines written
vs counted (requests + rejected over stats.csv). Linux only (/proc).

With --distinct every second's lines are new: 10,000 distinct paths, 100,000 distinct hosts
(IPv6) and 10,000 distinct user agents a second (at 100,000 lines/s: one host a line), the
traffic that would grow one-counter-per-value memory without bound; the monitor's heavy
hitters (`analyzer/core/heavy.py`) keep it flat.

With --screen the monitor runs without --plain on a pseudo-terminal of 80x24 (its stdin, stdout
and stderr), so it draws its dashboard, and a thread here drains what it writes, as a
terminal would: the CPU it adds to the plain run is the screen's.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np

from analyzer.generate import lines_for_second

TICKS = os.sysconf("SC_CLK_TCK")
POOL = 20_000  # distinct lines the writer cycles through (their time rewritten each second)
STAMP = b"01/Jan/2000:00:00:00 +0000"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_mb(pid: int, field: str = "VmHWM") -> float:
    """A memory field of /proc/PID/status in MB: VmHWM is the peak RSS, VmRSS the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(pid: int) -> float:
    return status_mb(pid, "VmHWM")


def count_lines(path: Path) -> int:
    """Newlines in `path`, read 64 MB at a time: a 10-minute flood's log is gigabytes, and
    reading it whole would make this process, not the monitor, the memory hog."""
    lines = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 26):
            lines += chunk.count(b"\n")
    return lines


def distinct_lines(second: int, count: int) -> list[bytes]:
    """`count` lines of `second`, every host, path and agent new to this second: host i,
    path i mod 10,000 (in 100 sections), agent i mod 10,000."""
    stamp = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    tag = f"{second % 65536:x}"
    return [
        (
            f'2001:db8:{tag}:{i >> 16:x}::{i & 0xFFFF:x} - - [{stamp}] "GET /s{i % 100}/{tag}-{i % 10_000} '
            f'HTTP/1.1" 200 512 "-" "agent-{tag}-{i % 10_000}/1.0"\n'
        ).encode()
        for i in range(count)
    ]


def write_lines(path: str, rate: float, seconds: float, distinct: bool = False) -> int:
    """The writer: `rate` lines a second, one os.write each, stamped with the current second."""
    rng = np.random.default_rng(7)
    template = lines_for_second(rng, POOL, 946_684_800).splitlines(keepends=True)  # 2000-01-01T00:00:00Z
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    start = time.time()
    written, stamped_second, pool = 0, -1, template
    total = int(rate * seconds)
    while written < total:
        now = time.time()
        due = min(total, int((now - start) * rate) + 1)  # every line due by now
        if due <= written:
            time.sleep(max(0.0, min(0.001, start + written / rate - now)))
            continue
        second = int(now)
        if second != stamped_second:  # this second's time, written into every line of the pool
            stamp = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
            pool = (
                distinct_lines(second, max(1, int(rate)))
                if distinct
                else [line.replace(STAMP, stamp) for line in template]
            )
            stamped_second = second
        for number in range(written, due):  # each line in its own write(), as a server writes
            os.write(fd, pool[number % len(pool)])
        written = due
    os.close(fd)
    return written


class Screen:
    """Where the monitor's output goes: a file (--plain), or an 80x24 pty drained into one."""

    def __init__(self, path: Path, terminal: bool) -> None:
        self.path, self.terminal, self.drained = path, terminal, 0
        self.file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.master = self.slave = -1
        self.thread: threading.Thread | None = None
        if terminal:
            self.master, self.slave = pty.openpty()
            fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            self.thread = threading.Thread(target=self._drain, daemon=True)
            self.thread.start()

    def start(self, command: list[str]) -> subprocess.Popen[bytes]:
        if not self.terminal:
            return subprocess.Popen([*command, "--plain"], stdout=self.file, stderr=subprocess.STDOUT)
        monitor = subprocess.Popen(
            command, stdin=self.slave, stdout=self.slave, stderr=self.slave, start_new_session=True
        )
        os.close(self.slave)
        return monitor

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # the monitor exited: the pty is closed
                return
            if not data:
                return
            self.drained += len(data)
            self.file.write(data)

    def close(self) -> None:
        if self.thread is not None:
            self.thread.join(timeout=10)
            os.close(self.master)
        self.file.close()


def run(
    rate: float, seconds: float, interval: int | None, terminal: bool = False, distinct: bool = False
) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    log, out = folder / "access.log", folder / "out"
    log.write_bytes(b"")
    command = [sys.executable, "-m", "analyzer", str(log), "--out", str(out)]
    if interval is not None:
        command += ["--interval", str(interval)]
    screen = Screen(folder / "screen.txt", terminal)
    try:
        monitor = screen.start(command)
        deadline = time.monotonic() + 30
        while not (out / "checkpoint.json").exists():
            if time.monotonic() > deadline or monitor.poll() is not None:
                raise RuntimeError(
                    f"the monitor did not start: {(folder / 'screen.txt').read_text()[-2000:]}"
                )
            time.sleep(0.05)
        time.sleep(1)
        cpu_before, began = cpu_seconds(monitor.pid), time.monotonic()
        drained_before = screen.drained
        writer = subprocess.Popen(
            [sys.executable, __file__, "--write", str(log), "--rates", str(rate), "--seconds", str(seconds)]
            + (["--distinct"] if distinct else [])
        )
        rss_by_minute: list[float] = []  # the monitor's largest RSS in each minute of writing
        while writer.poll() is None:
            minute = int((time.monotonic() - began) // 60)
            if minute == len(rss_by_minute):
                rss_by_minute.append(0.0)
            rss_by_minute[minute] = max(rss_by_minute[minute], status_mb(monitor.pid, "VmRSS"))
            time.sleep(1)
        elapsed = time.monotonic() - began
        cpu = cpu_seconds(monitor.pid) - cpu_before
        drawn = screen.drained - drained_before
        time.sleep(3)
        peak = peak_rss_mb(monitor.pid)
        monitor.send_signal(signal.SIGINT)
        status = monitor.wait(timeout=60)
    finally:
        screen.close()
    with open(out / "stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    every = interval or 10
    result = {
        "rate": rate,
        "settings": f"--interval {interval}" if interval else "defaults",
        "cpu": 100 * cpu / elapsed,
        "peak_mb": peak,
        "due": int(elapsed // every),
        "written_reports": sum(1 for row in rows if int(row["requests"]) or int(row["rejected"])),
        "overruns": sum(int(row["overruns"] or 0) for row in rows),
        "lines": count_lines(log),
        "counted": sum(int(row["requests"]) + int(row["rejected"]) for row in rows),
        "exit": status,
        "screen_kb_s": drawn / elapsed / 1000,
        "folder": str(folder),
        "rss_by_minute": rss_by_minute,
    }
    log.unlink()  # gigabytes after a long run at 100,000 lines/s; the monitor's outputs stay
    return result


def burst(lines: int) -> dict[str, float]:
    """A monitor with the defaults (reports every 10 s); `lines` appended in one write: how long
    until stats.csv counts them all."""
    folder = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    log, out = folder / "access.log", folder / "out"
    log.write_bytes(b"")
    command = [sys.executable, "-m", "analyzer", str(log), "--plain", "--out", str(out)]
    with open(folder / "screen.txt", "wb") as screen:
        monitor = subprocess.Popen(command, stdout=screen, stderr=subprocess.STDOUT)
        while not (out / "checkpoint.json").exists():
            time.sleep(0.05)
        rng = np.random.default_rng(3)
        now = int(time.time())
        data = b"".join(lines_for_second(rng, lines // 10, now - 9 + s) for s in range(10))
        cpu_before = cpu_seconds(monitor.pid)
        with open(log, "ab") as handle:
            handle.write(data)
        written = time.monotonic()
        counted = 0
        while counted < data.count(b"\n") and time.monotonic() - written < 120:
            time.sleep(0.2)
            with open(out / "stats.csv", newline="") as handle:
                counted = sum(int(row["requests"]) + int(row["rejected"]) for row in csv.DictReader(handle))
        caught_up = time.monotonic() - written
        cpu = cpu_seconds(monitor.pid) - cpu_before
        peak = peak_rss_mb(monitor.pid)
        monitor.send_signal(signal.SIGINT)
        monitor.wait(timeout=60)
    return {"lines": data.count(b"\n"), "counted": counted, "seconds": caught_up, "cpu": cpu, "peak_mb": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="*", default=[100, 1000, 10_000, 100_000])
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="seconds of writing per rate (default 30)"
    )
    parser.add_argument("--burst", type=int, default=0, metavar="N", help="then N lines in one write()")
    parser.add_argument(
        "--screen", action="store_true", help="the dashboard on an 80x24 pseudo-terminal instead of --plain"
    )
    parser.add_argument(
        "--distinct", action="store_true", help="every host, path and agent new each second (see above)"
    )
    parser.add_argument("--write", metavar="LOG", help=argparse.SUPPRESS)  # the writer process
    args = parser.parse_args()
    if args.write:
        write_lines(args.write, args.rates[0], args.seconds, args.distinct)
        return 0
    if args.burst:
        found = burst(args.burst)
        print(
            f"burst of {found['lines']:,.0f} lines in one write: all {found['counted']:,.0f} counted "
            f"in stats.csv {found['seconds']:.1f} s later (reports every 10 s), {found['cpu']:.1f} CPU s, "
            f"peak RSS {found['peak_mb']:.0f} MB"
        )
        if not args.rates:
            return 0 if found["lines"] == found["counted"] else 1
    header = ("rate/s", 8), ("settings", 13), ("CPU", 7), ("peak RSS", 9), ("reports", 13), ("overruns", 8)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'lines counted of written':>22}")
    failed = False
    for rate in args.rates:
        result = run(rate, args.seconds, 1 if rate <= 10_000 else None, args.screen, args.distinct)
        lines, counted = result["lines"], result["counted"]
        ok = lines == counted and result["exit"] == 0
        failed |= not ok
        print(
            f"{rate:>8,.0f} {result['settings']:>13} {result['cpu']:>6.1f}% {result['peak_mb']:>7.0f} MB "
            f"{result['written_reports']:>5} of {result['due']:<5} {result['overruns']:>8} "
            f"{counted:>10,} of {lines:<10,}{'' if ok else '  MISMATCH'}"
            + (f"  screen: {result['screen_kb_s']:.1f} kB/s to the terminal" if args.screen else ""),
            flush=True,
        )
        minutes = cast(list[float], result["rss_by_minute"])
        if len(minutes) > 1:  # a long run: does memory stay flat?
            print(
                "         RSS by minute of writing (MB): " + " ".join(f"{mb:.0f}" for mb in minutes),
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
