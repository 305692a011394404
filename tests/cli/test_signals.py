"""SIGTERM and Ctrl-C stop any command within 2 s, whatever it is blocked on (issue 24).

Real processes (`python -m analyzer ...`), a real signal, the time from the signal to the
exit measured. Exit statuses as the README's table gives them: the monitor, generate and demo
0 after a clean stop; backtest, replay and check, stopped before their end, 130 (SIGINT) or
143 (SIGTERM) with one line (backtest and replay: their outputs are partial).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, lines_at

T0 = 1_767_225_600
BUDGET = 2.0  # seconds from the signal to the exit
SIGNALS = [(signal.SIGTERM, 143), (signal.SIGINT, 130)]


@contextmanager
def started(argv: list[str], folder: Path, stdin: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m analyzer ARGV` with default Ctrl-C handling (even under a background pytest);
    killed at the end if a test left it running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", *argv],
        cwd=REPO,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        stdout=(folder / "stdout").open("wb"),
        stderr=(folder / "stderr").open("wb"),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def waiting(pid: int) -> Callable[[], bool]:
    """Whether `pid` has its imports done (the parser's kernel mapped) and sits asleep, its CPU
    time unchanged over a fifth of a second: blocked on what it reads, not still starting
    (a fixed sleep was not enough on a loaded machine: the signal came during the imports)."""

    def cpu_and_state() -> tuple[int, str]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), fields[0]

    def idle() -> bool:
        if "_kernel" not in Path(f"/proc/{pid}/maps").read_text():
            return False
        before = cpu_and_state()
        time.sleep(0.2)
        return cpu_and_state() == (before[0], "S") and before[1] == "S"

    return idle


def reading(pid: int, path: Path) -> Callable[[], bool]:
    """Whether `pid` has `path` open: past its start, into the file."""

    def opened() -> bool:
        for link in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(link) == str(path):
                    return True
            except OSError:
                continue
        return False

    return opened


def stop(process: subprocess.Popen[bytes], signum: int, folder: Path) -> tuple[float, int, str]:
    """Send `signum`; the seconds until the process exited, its status and its stderr."""
    assert process.poll() is None, (folder / "stderr").read_text()
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 15 s after {signal.Signals(signum).name}")
    took = time.monotonic() - sent
    print(
        f"{signal.Signals(signum).name}: exited {process.returncode} after {took:.2f} s"
    )  # the report's figures
    return took, process.returncode, (folder / "stderr").read_text()


def assert_stopped_partial(
    command: str, signum: int, status: int, found: tuple[float, int, str], out: Path
) -> None:
    took, returncode, err = found
    assert took < BUDGET and returncode == status, (took, returncode, err)
    name = signal.Signals(signum).name
    assert err == f"analyzer: {command} stopped by {name} before its end: the outputs in {out} are partial\n"


@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_the_monitor_blocked_on_a_silent_pipe_stops_cleanly(tmp_path: Path, signum: int, status: int) -> None:
    read, write = os.pipe()  # a writer that never writes nor closes
    try:
        with started(["-", "--plain", "--out", str(tmp_path / "out")], tmp_path, read) as process:
            wait_for((tmp_path / "out" / "analyzer.lock").exists, "the monitor to start")
            time.sleep(0.5)
            took, returncode, err = stop(process, signum, tmp_path)
    finally:
        os.close(read)
        os.close(write)
    assert took < BUDGET and returncode == 0 and "Traceback" not in err, (took, returncode, err)


def test_the_monitor_waiting_for_a_file_stops_cleanly(tmp_path: Path) -> None:
    argv = [str(tmp_path / "later" / "access.log"), "--wait", "--plain", "--out", str(tmp_path / "out")]
    with started(argv, tmp_path) as process:
        wait_for((tmp_path / "out" / "analyzer.lock").exists, "the monitor to start")
        time.sleep(0.5)
        took, returncode, err = stop(process, signal.SIGTERM, tmp_path)
    assert took < BUDGET and returncode == 0 and "Traceback" not in err, (took, returncode, err)


@pytest.mark.parametrize("blocking", [True, False], ids=["pipe", "non-blocking-fifo"])
@pytest.mark.parametrize("command", ["backtest", "replay"])
@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_backtest_and_replay_waiting_for_standard_input_are_not_done(
    tmp_path: Path, command: str, signum: int, status: int, blocking: bool
) -> None:
    """Blocked reading the head of standard input (a writer that never writes): stopped, not
    done. Its descriptor non-blocking (set so by whoever shares it) was a traceback."""
    if blocking:
        read, write = os.pipe()
    else:
        os.mkfifo(tmp_path / "fifo")
        read = write = os.open(tmp_path / "fifo", os.O_RDWR)  # a writer: ourselves, silent
        os.set_blocking(read, False)
    out = tmp_path / "out"
    argv = [command, "-", "--out", str(out)] + (["--plain"] if command == "replay" else [])
    try:
        with started(argv, tmp_path, read) as process:
            wait_for(waiting(process.pid), "its imports done, waiting for the head")
            found = stop(process, signum, tmp_path)
    finally:
        os.close(read)
        if write != read:
            os.close(write)
    assert_stopped_partial(command, signum, status, found, out)


def big_log(folder: Path, name: str = "big.log", copies: int = 25) -> Path:
    """A log of 2.5 million lines (about 240 MB): a backtest takes seconds over it."""
    block = lines_at(range(T0, T0 + 100_000))
    path = folder / name
    with open(path, "wb") as handle:
        for _ in range(copies):
            handle.write(block)
    return path


@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_a_backtest_in_the_middle_of_a_big_file(tmp_path: Path, signum: int, status: int) -> None:
    log, out = big_log(tmp_path), tmp_path / "out"
    with started(["backtest", str(log), "--out", str(out)], tmp_path) as process:
        wait_for(
            lambda: (out / "stats.csv").exists() and (out / "stats.csv").stat().st_size > 200, "first rows"
        )
        found = stop(process, signum, tmp_path)
    assert_stopped_partial("backtest", signum, status, found, out)


def children(pid: int) -> list[int]:
    """Every descendant process of `pid`, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_a_dask_backtest_whose_workers_are_stopped(tmp_path: Path, signum: int, status: int) -> None:
    """Its workers SIGSTOPped mid-run: the close waited 4 s for them; now they are killed."""
    pytest.importorskip("distributed")
    log, out = big_log(tmp_path), tmp_path / "out"
    os.link(log, tmp_path / "again.log")  # a second input, the same bytes
    argv = ["backtest", str(log), str(tmp_path / "again.log"), "--engine", "dask", "--out", str(out)]
    with started(argv, tmp_path) as process:
        wait_for(
            lambda: (out / "stats.csv").exists() and (out / "stats.csv").stat().st_size > 200, "first rows"
        )
        stopped = children(process.pid)
        assert stopped, "the cluster's worker processes"
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(0.5)
            found = stop(process, signum, tmp_path)
        finally:
            for pid in stopped:
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    assert_stopped_partial("backtest", signum, status, found, out)


@pytest.mark.parametrize(("signum", "status"), SIGNALS)
def test_check_in_the_middle_of_a_big_file_is_not_done(tmp_path: Path, signum: int, status: int) -> None:
    log = big_log(tmp_path)
    with started(["check", str(log)], tmp_path) as process:
        wait_for(reading(process.pid, log), "check reading the log")
        took, returncode, err = stop(process, signum, tmp_path)
    assert took < BUDGET and returncode == status, (took, returncode, err)
    assert err == f"analyzer: check stopped by {signal.Signals(signum).name} before its end\n"


@pytest.mark.parametrize("command", ["generate", "demo"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_generate_and_demo_stop_cleanly(tmp_path: Path, command: str, signum: int) -> None:
    argv = ["generate", str(tmp_path / "gen.log"), "--rate", "50"] if command == "generate" else ["demo"]
    with started(argv, tmp_path) as process:
        time.sleep(3)
        took, returncode, err = stop(process, signum, tmp_path)
    assert took < BUDGET and returncode == 0 and "Traceback" not in err, (took, returncode, err)
