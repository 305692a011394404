"""Helpers of the command-line tests: a fake clock for `Environment`, one-line errors, real processes."""

from __future__ import annotations

import csv
import io
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.cli.main import main
from analyzer.cli.options import Environment
from tests.conftest import lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


class FakeTime:
    """now/sleep for Environment; after `ticks` sleeps, sleep raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, start: float, ticks: int, on_sleep: Callable[[float], None] | None = None) -> None:
        self.time = start
        self.ticks = ticks
        self.on_sleep = on_sleep

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        if self.ticks <= 0:
            raise KeyboardInterrupt
        self.ticks -= 1
        self.time += seconds
        if self.on_sleep is not None:
            self.on_sleep(self.time)


def environment(terminal: bool = False, clock: FakeTime | None = None) -> Environment:
    clock = clock or FakeTime(T0, 0)
    return Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        is_terminal=lambda _: terminal,
        now=clock.now,
        sleep=clock.sleep,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_bytes(lines_at(range(T0 - 5, T0)))
    return path


def assert_usage_error(argv: list[str], *expected: str) -> str:
    """main returns 2 and writes exactly one line to stderr, containing `expected`."""
    env = environment()
    assert main(argv, env) == 2
    err = env.stderr.getvalue()
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    for text in expected:
        assert text in err
    assert env.stdout.getvalue() == ""
    return err


def analyzer_process(args: list[str], cwd: Path, stdout: Path, stderr: Path) -> subprocess.Popen[bytes]:
    """`python -m analyzer ARGS` with default Ctrl-C handling (even when pytest runs in the background)."""
    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout.open("wb"),
        stderr=stderr.open("wb"),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )


def wait_until(condition: Callable[[], bool], deadline: float, what: str) -> None:
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def csv_rows(path: Path, header: tuple[str, ...]) -> list[list[str]]:
    """The rows of an output CSV, checked: one header line, every row the header's width."""
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(header)
    assert text.count(",".join(header)) == 1
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(header)
    assert all(len(row) == len(header) for row in rows[1:]), "a torn or ragged row"
    return rows[1:]


def kinds(alerts: Path) -> list[str]:
    if not alerts.exists():
        return []
    with open(alerts, newline="", encoding="utf-8") as handle:
        return [row["kind"] for row in csv.DictReader(handle)]


def stopped_midway(argv: list[str], ready: Path, signum: int, stdin: bytes | None = None) -> tuple[int, str]:
    """`python -m analyzer ARGV` stopped by `signum` once `ready` exists (it is at work): its
    exit status and what it wrote on stderr. `stdin`: written to a pipe left open (a stream
    that never ends)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", *argv],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if stdin is not None and process.stdin is not None:
            process.stdin.write(stdin)
            process.stdin.flush()
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.4)
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err.decode()
