"""Helpers of the web tests: free ports, bounded waits, a real monitor process serving."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.core.report import FileStatus, Report
from analyzer.core.times import iso_utc
from analyzer.formats.clf import parse
from analyzer.outputs.rows import SECTION_FIELDS, STATS_FIELDS
from analyzer.outputs.sinks import cells_text
from tests.conftest import clf_line

T = TypeVar("T")
REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """Poll `check` until it returns something truthy, at most `seconds` (real processes only)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def append_lines(
    path: Path,
    seconds: list[int],
    route: str = "/pages/a",
    status: int = 200,
    agent: str = "test-agent",
    referer: str = "-",
) -> None:
    """Combined lines, one per second given (the agent and referrer without a `"`)."""
    said = f'"{referer}" "{agent}"\n'.encode()
    with path.open("ab") as handle:
        lines = (
            clf_line(second, route, status).removesuffix(b'"-" "test-agent"\n') + said for second in seconds
        )
        handle.write(b"".join(lines))


class Served:
    """`python -m analyzer LOG --plain --serve 127.0.0.1:PORT`, its log and output directory."""

    def __init__(self, tmp: Path, *options: str, name: str = "access.log", alerts: str = "") -> None:
        self.log = tmp / name
        self.log.touch()
        self.out = tmp / "out"
        if alerts:  # a history from earlier runs
            self.out.mkdir()
            (self.out / "alerts.csv").write_text(alerts)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "analyzer", str(self.log), "--plain", "--out", str(self.out)]
        argv += ["--serve", f"127.0.0.1:{self.port}", *options]
        self.stdout = (tmp / "monitor.out").open("wb")
        self.process = subprocess.Popen(argv, cwd=REPOSITORY, stdout=self.stdout, stderr=subprocess.STDOUT)
        wait_for(lambda: get(self.url + "/healthz", timeout=1)[0] == 200, 20, "the monitor's /healthz")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.stdout.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*options: str, name: str = "access.log", alerts: str = "") -> Served:
        monitor = Served(tmp_path, *options, name=name, alerts=alerts)
        started.append(monitor)
        return monitor

    yield start
    for monitor in started:
        monitor.stop()


T0 = 1_800_000_000  # 2027-01-15T08:00:00Z
HOSTILE_PATH = "/<img%20src=x%20onerror=alert(1)>"


def make_report(
    paths: list[str],
    seconds: int = 30,
    per_second: int = 3,
    threshold: float = 2,
    others: tuple[AlertRule, ...] = (),
) -> Report:
    """A closed report at T0 from an engine fed `per_second` requests a second over `seconds`
    (a quarter of them 5xx), judging `others` beside the high-traffic rule."""
    engine = Engine(AlertRule(threshold=threshold, window=20), others=others)
    lines = b"".join(
        clf_line(T0 - seconds + second, paths[(second + n) % len(paths)], (200, 404, 503, 301)[n % 4])
        for second in range(seconds)
        for n in range(per_second)
    )
    engine.ingest(parse(lines + b"garbage\n"))
    engine.evaluate(T0 + 10)
    files = (FileStatus("/var/log/<b>x</b>.log", 91, 1, T0, "following"),)
    return replace(engine.report(T0, 10), files=files)


def row(second: int, requests: int, alert_on: int = 0) -> str:
    """A stats.csv row of a report at `second`."""
    cells = dict.fromkeys(STATS_FIELDS, "0")
    cells.update(time=iso_utc(second), requests=str(requests), rate=f"{requests / 10:.3f}")
    cells.update(window_rate="1.000", alert_on=str(alert_on), top_section="/a")
    return ",".join(cells[name] for name in STATS_FIELDS) + "\n"


def write_stats(path: Path, reports: int, start: int = T0) -> None:
    with path.open("w") as handle:
        handle.write(",".join(STATS_FIELDS) + "\n")
        handle.writelines(row(start + 10 * n, n % 50, int(n == 7)) for n in range(reports))


SECTIONS = ("/a", "/b", "/c")


def write_sections(path: Path, reports: int, start: int = T0, sections: tuple[str, ...] = SECTIONS) -> None:
    """sections.csv as the monitor's own writer puts it (CRLF): a report every 10 s, its k-th
    section with `n % 7 + k` hits in the n-th report."""
    rows = [
        (iso_utc(start + 10 * n), name, n % 7 + k) for n in range(reports) for k, name in enumerate(sections)
    ]
    with path.open("w", newline="") as handle:
        handle.write(cells_text([SECTION_FIELDS, *rows]))
