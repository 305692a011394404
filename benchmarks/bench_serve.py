"""The monitor's CPU with `--serve` and browser clients on its event stream, against without.

    python benchmarks/bench_serve.py                    # 1,000 lines/s, 30 s a run, 10 clients
    python benchmarks/bench_serve.py --rate 1000 --seconds 20 --clients 10

Three runs of a real monitor process (`python -m analyzer LOG --plain --interval 1`) following
an empty log, fed by bench_live.py's writer (one os.write per line, the current time, spread
evenly): without `--serve`; with `--serve 127.0.0.1:PORT` and no client; and with `--clients`
clients that do what a page does (GET `/`, `/api/report`, `/api/alerts`, `/api/stats`, then
read `/events` to the end). Prints per run the monitor's CPU share over the writing (utime +
stime from /proc, every thread: the server's too), its peak RSS, the reports and overruns in
stats.csv, and the events each client received. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import csv
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import cpu_seconds, peak_rss_mb

WRITER = Path(__file__).resolve().parent / "bench_live.py"
PAGE_FETCHES = ("/", "/api/report", "/api/alerts?per_page=10", "/api/stats")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser(threading.Thread):
    """One page: its fetches, then the event stream read until `stop` (counting events)."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.events, self.error = port, stop, 0, ""

    def run(self) -> None:
        path = "/events"
        try:
            for path in PAGE_FETCHES:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as answer:
                    answer.read()
            path = "/events"
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as stream:
                stream.settimeout(1)
                stream.sendall(
                    b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
                )
                while not self.stop.is_set():
                    try:
                        data = stream.recv(1 << 16)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    self.events += data.count(b"\nevent: ") + data.startswith(b"event: ")
        except OSError as error:
            self.error = f"{path}: {error!r}"


def run(rate: float, seconds: float, serve: bool, clients: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    log, out = folder / "access.log", folder / "out"
    log.write_bytes(b"")
    port = free_port()
    command = [sys.executable, "-m", "analyzer", str(log), "--plain", "--out", str(out), "--interval", "1"]
    if serve:
        command += ["--serve", f"127.0.0.1:{port}"]
    stop = threading.Event()
    browsers = [Browser(port, stop) for _ in range(clients)]
    with open(folder / "screen.txt", "wb") as screen:
        monitor = subprocess.Popen(command, stdout=screen, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not (out / "checkpoint.json").exists():
                if time.monotonic() > deadline or monitor.poll() is not None:
                    raise RuntimeError(
                        f"the monitor did not start: {(folder / 'screen.txt').read_text()[-2000:]}"
                    )
                time.sleep(0.05)
            for browser in browsers:
                browser.start()
            time.sleep(2)  # the pages connected and fetched
            cpu_before, began = cpu_seconds(monitor.pid), time.monotonic()
            writer = [sys.executable, str(WRITER), "--write", str(log), "--rates", str(rate)]
            subprocess.run([*writer, "--seconds", str(seconds)], check=True, timeout=seconds + 60)
            elapsed = time.monotonic() - began
            cpu = cpu_seconds(monitor.pid) - cpu_before
            time.sleep(2)
            peak = peak_rss_mb(monitor.pid)
        finally:
            stop.set()
            monitor.send_signal(signal.SIGINT)
            status = monitor.wait(timeout=60)
            for browser in browsers:
                browser.join(5)
    with open(out / "stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "cpu": 100 * cpu / elapsed,
        "peak_mb": peak,
        "reports": len(rows),
        "overruns": sum(int(row["overruns"] or 0) for row in rows),
        "lines": log.read_bytes().count(b"\n"),
        "counted": sum(int(row["requests"]) + int(row["rejected"]) for row in rows),
        "events": [browser.events for browser in browsers],
        "errors": [browser.error for browser in browsers if browser.error],
        "exit": status,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of writing per run (default 30)")
    parser.add_argument("--clients", type=int, default=10, help="event-stream clients in the last run")
    args = parser.parse_args()
    runs = (
        ("no --serve", False, 0),
        ("--serve, no client", True, 0),
        (f"--serve, {args.clients} clients", True, args.clients),
    )
    print(f"{args.rate:,.0f} lines/s for {args.seconds:.0f} s, --interval 1")
    print(
        f"{'run':>22} {'CPU':>7} {'peak RSS':>9} {'reports':>8} {'overruns':>8} "
        f"{'counted of written':>22}  events a client"
    )
    failed = False
    for name, serve, clients in runs:
        found = run(args.rate, args.seconds, serve, clients)
        events = found["events"]
        ok = found["lines"] == found["counted"] and found["exit"] == 0 and not found["errors"]
        failed |= not ok
        spread = f"{min(events)}..{max(events)}" if events else "-"  # type: ignore[type-var]
        print(
            f"{name:>22} {found['cpu']:>6.1f}% {found['peak_mb']:>6.0f} MB {found['reports']:>8} "
            f"{found['overruns']:>8} {found['counted']:>10,} of {found['lines']:<10,}  {spread}"
            + ("" if ok else f"  FAILED {found['errors'][:2]} exit {found['exit']}"),
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
