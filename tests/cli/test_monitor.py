"""The monitor command: options checked with one-line errors, then real monitors in subprocesses."""

from __future__ import annotations

import builtins
import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli.main import main
from analyzer.core.alerts import AlertRule
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.outputs.rows import ALERT_FIELDS, SECTION_FIELDS, STATS_FIELDS
from analyzer.ui.terminal import ENTER, LEAVE
from tests.cli.conftest import (
    T0,
    FakeTime,
    analyzer_process,
    assert_usage_error,
    csv_rows,
    environment,
    kinds,
    wait_until,
)
from tests.conftest import clf_line, lines_at
from tests.live.conftest import FakeClock


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """A log that does not exist: exit 2, one line naming it."""
    missing = tmp_path / "nope.log"
    assert_usage_error([str(missing), "--out", str(tmp_path / "out")], str(missing), "no such file")
    assert not (tmp_path / "out").exists()


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    """A directory given as the log: exit 2, one line naming it."""
    assert_usage_error([str(tmp_path), "--out", str(tmp_path / "out")], str(tmp_path), "directory")


def test_unreadable_file_is_a_usage_error(log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log without read permission: exit 2, one line naming it."""
    if os.geteuid() == 0:  # chmod 000 does not stop root (CI runs as root): give the OS's answer
        real_open, real_os_open = builtins.open, os.open

        def refuse(path: object) -> None:
            if isinstance(path, (str, Path)) and os.fspath(path) == str(log):
                raise PermissionError(13, "Permission denied", str(log))

        def open_denied(path: Any, *args: Any, **kwargs: Any) -> Any:
            refuse(path)
            return real_open(path, *args, **kwargs)

        def os_open_denied(path: Any, *args: Any, **kwargs: Any) -> int:
            refuse(path)
            return real_os_open(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", open_denied)
        monkeypatch.setattr(os, "open", os_open_denied)
    log.chmod(0)
    try:
        assert_usage_error([str(log), "--out", str(tmp_path / "out")], str(log), "cannot read")
    finally:
        log.chmod(0o644)


def test_unknown_format_is_a_usage_error(log: Path) -> None:
    """--format with an unknown name: exit 2, one line."""
    assert_usage_error([str(log), "--format", "xml"], "--format", "xml")


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "ten"])
def test_threshold_must_be_a_positive_number(log: Path, value: str) -> None:
    """--threshold 0, negative or not a number: exit 2, one line."""
    assert_usage_error([str(log), "--threshold", value], "--threshold")


def test_window_smaller_than_interval_is_a_usage_error(log: Path) -> None:
    """--window below --interval: exit 2, one line naming both."""
    assert_usage_error([str(log), "--window", "5", "--interval", "10"], "--window", "--interval")


def test_unknown_option_is_a_usage_error(log: Path) -> None:
    """An option that does not exist: exit 2, one line naming it."""
    assert_usage_error([str(log), "--bogus"], "--bogus")


def test_monitor_with_ctrl_c_exits_zero_with_plain_text_when_not_a_terminal(
    log: Path, tmp_path: Path
) -> None:
    """Stdout not a terminal means plain text; Ctrl-C is a clean stop: exit 0, every line in stats.csv."""

    def write(now: float) -> None:
        with log.open("ab") as handle:
            handle.write(clf_line(int(now)))

    clock = FakeTime(T0, 25, write)
    env = environment(terminal=False, clock=clock)
    out = tmp_path / "out"
    assert main([str(log), "--out", str(out), "--interval", "10", "--lateness", "1"], env) == 0
    text = env.stdout.getvalue()
    assert "\x1b" not in text and text.count("top sections:") >= 2
    with open(out / "stats.csv", newline="") as handle:
        stats = list(csv.DictReader(handle))
    lines_in_file = log.read_bytes().count(b"\n")
    warm = sum(int(row["warm"]) for row in stats)
    assert warm == 5
    assert sum(int(row["requests"]) + int(row["rejected"]) for row in stats) == lines_in_file - warm
    assert env.stderr.getvalue() == ""


def test_monitor_on_a_terminal_draws_the_dashboard(log: Path, tmp_path: Path) -> None:
    """On a terminal (and without --plain) the screen is redrawn in place on the alternate
    screen, given back at the end: rows written at their positions, never appended blocks."""
    env = environment(terminal=True, clock=FakeTime(T0, 12))
    assert main([str(log), "--out", str(tmp_path / "out"), "--interval", "10"], env) == 0
    text = env.stdout.getvalue()
    assert text.startswith(ENTER) and text.endswith(LEAVE)
    assert "\n" not in text and "top sections:" not in text and text.count("\x1b[1;1H") > 1

    env = environment(terminal=True, clock=FakeTime(T0, 12))
    assert main([str(log), "--out", str(tmp_path / "out2"), "--interval", "10", "--plain"], env) == 0
    assert "\x1b" not in env.stdout.getvalue() and "top sections:" in env.stdout.getvalue()


def test_no_color_and_the_no_color_variable_turn_colours_off(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--no-color, or NO_COLOR set to anything: the dashboard has no colour (no colour SGR
    codes: 30-37, 38;5;N, 40-47, 90-97); bold and reverse stay, so ALERT still stands out."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    argv = [str(log), "--out", str(tmp_path / "out"), "--interval", "10"]
    env = environment(terminal=True, clock=FakeTime(T0, 3))
    assert main(argv, env) == 0 and "\x1b[1;32mOK" in env.stdout.getvalue()
    for extra, variable in (["--no-color"], None), ([], ""):
        if variable is not None:
            monkeypatch.setenv("NO_COLOR", variable)
        env = environment(terminal=True, clock=FakeTime(T0, 3))
        assert main(argv + extra, env) == 0
        drawn = env.stdout.getvalue().removesuffix(LEAVE)
        codes = [code for sgr in re.findall(r"\x1b\[([0-9;]*)m", drawn) for code in sgr.split(";") if code]
        assert not [code for code in codes if 30 <= int(code) <= 49 or 90 <= int(code) <= 107], codes
        assert "OK" in drawn


@pytest.mark.parametrize(
    ("option", "value"), [("--rotate-wait", "-1"), ("--rotate-wait", "soon"), ("--max-line-bytes", "0")]
)
def test_follow_options_are_checked(log: Path, option: str, value: str) -> None:
    """--rotate-wait below 0 or not a number, --max-line-bytes 0: exit 2, one line."""
    assert_usage_error([str(log), option, value], option)


def test_a_pattern_matching_nothing_is_a_usage_error(tmp_path: Path) -> None:
    """A quoted glob that matches no file: exit 2, one line naming it."""
    assert_usage_error([str(tmp_path / "*.log")], "*.log", "no file matches")


def test_wait_follows_a_file_that_appears_later(tmp_path: Path) -> None:
    """With --wait a missing log is no error: the monitor says it waits and counts it once it appears."""
    log, out = tmp_path / "later.log", tmp_path / "out"

    def write(now: float) -> None:
        if now >= T0 + 4:
            with log.open("ab") as handle:
                handle.write(clf_line(int(now)))

    env = environment(clock=FakeTime(T0, 12, write))
    argv = [str(log), "--wait", "--out", str(out), "--interval", "10", "--rotate-wait", "0.5"]
    assert main(argv, env) == 0
    text = env.stdout.getvalue()
    assert f"{log}: waiting: no such file" in text and f"{log}: following" in text
    with open(out / "stats.csv", newline="") as handle:
        stats = list(csv.DictReader(handle))
    assert sum(int(row["requests"]) for row in stats) == log.read_bytes().count(b"\n") == 9


def test_a_glob_follows_every_file_it_matches(tmp_path: Path) -> None:
    """`'DIR/*.log'` follows each matching file; the report has a line per file."""
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_bytes(lines_at(range(T0 - 3, T0)))
    env = environment(clock=FakeTime(T0, 11))
    assert main([str(tmp_path / "*.log"), "--out", str(tmp_path / "out"), "--interval", "10"], env) == 0
    text = " ".join(env.stdout.getvalue().split())  # wrapped where a long folder's name falls
    assert "a.log: 0 lines" in text and "b.log: 0 lines" in text


def test_live_monitor_alerts_recovers_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    """A real monitor process alerts on a burst, recovers after it, and exits 0 on SIGINT with intact CSVs."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    out = tmp_path / "out"
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    args = [
        str(log),
        "--interval",
        "1",
        "--window",
        "4",
        "--threshold",
        "2",
        "--lateness",
        "1",
        "--out",
        str(out),
    ]
    process = analyzer_process(args, tmp_path, stdout, stderr)
    try:
        deadline = time.monotonic() + 30
        wait_until((out / "alerts.csv").exists, time.monotonic() + 10, "the monitor to start")
        # 5 lines a second for 3 s: 15 lines, stamped within 4 s, above 2 req/s * 4 s = 8 in the
        # window (a 4 s window: the recovery comes 7 s sooner than at 10 s).
        written = 0
        with open(log, "ab") as handle:
            for _ in range(15):
                handle.write(clf_line(int(time.time()), path=f"/burst/{written}"))
                handle.flush()
                written += 1
                time.sleep(0.2)
        wait_until(lambda: "alert" in kinds(out / "alerts.csv"), deadline, "an alert row")
        wait_until(lambda: kinds(out / "alerts.csv") == ["alert", "recovered"], deadline, "a recovered row")
        wait_until(lambda: "alert recovered" in stdout.read_text(), deadline, "the recovery on stdout")
        assert process.poll() is None, "the monitor stopped by itself"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert stderr.read_text() == ""
    alerts = csv_rows(out / "alerts.csv", ALERT_FIELDS)
    stats = csv_rows(out / "stats.csv", STATS_FIELDS)
    csv_rows(out / "sections.csv", SECTION_FIELDS)
    assert [row[1] for row in alerts] == ["alert", "recovered"]
    text = stdout.read_text()
    for row in alerts:
        assert row[5] in text
    assert "High traffic generated an alert - hits = " in text
    assert "High traffic alert recovered - hits = " in text
    # A line written while the monitor was still starting is read back by its warm start:
    # counted in `warm`, not in `requests`. Every line is in exactly one of the three.
    counted = [STATS_FIELDS.index(name) for name in ("requests", "rejected", "warm")]
    assert sum(int(row[column]) for row in stats for column in counted) == written


class Server:
    """Writes Combined lines the way a web server does: its own handle, sometimes half a line at a time."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.handle = open(log, "ab")  # noqa: SIM115 - reopened on `reopen`, closed on `close`
        self.lines = 0
        self.sections: dict[str, int] = {}

    def write(self, count: int, pause: float = 0.01) -> None:
        for _ in range(count):
            section = f"/r{self.lines % 4}"
            line = clf_line(int(time.time()), path=f"{section}/x") if self.lines % 9 else b"garbage\n"
            if self.lines % 9:
                self.sections[section] = self.sections.get(section, 0) + 1
            half = len(line) // 2
            self.handle.write(line[:half])  # a partial write, never to be parsed early
            self.handle.flush()
            time.sleep(pause)
            self.handle.write(line[half:])
            self.handle.flush()
            self.lines += 1

    def reopen(self) -> None:
        self.handle.close()
        self.handle = open(self.log, "ab")  # noqa: SIM115

    def close(self) -> None:
        self.handle.close()


def follow_args(log: Path, out: Path) -> list[str]:
    alert = ["--window", "10", "--threshold", "2", "--lateness", "1"]
    return [str(log), "--interval", "1", *alert, "--rotate-wait", "3", "--out", str(out)]


def counted_and_sections(out: Path) -> tuple[int, dict[str, int]]:
    """requests + rejected summed over stats.csv, and hits per section summed over sections.csv."""
    stats = csv_rows(out / "stats.csv", STATS_FIELDS)
    requests, rejected = STATS_FIELDS.index("requests"), STATS_FIELDS.index("rejected")
    sections: dict[str, int] = {}
    for _, section, hits in csv_rows(out / "sections.csv", SECTION_FIELDS):
        sections[section] = sections.get(section, 0) + int(hits)
    return sum(int(row[requests]) + int(row[rejected]) for row in stats), sections


def stop(process: subprocess.Popen[bytes], signal_number: int) -> int:
    process.send_signal(signal_number)
    return process.wait(timeout=20)


def test_rotation_under_a_real_monitor_then_sigterm(tmp_path: Path) -> None:
    """Rename + create while the server still writes the old file, then SIGTERM: exit 0, each line once."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    process = analyzer_process(follow_args(log, out), tmp_path, tmp_path / "stdout", tmp_path / "stderr")
    server = Server(log)
    try:
        wait_until((out / "checkpoint.json").exists, time.monotonic() + 20, "the monitor to start")
        server.write(60)
        os.rename(log, tmp_path / "access.log.1")
        log.write_bytes(b"")  # logrotate's `create`
        server.write(40)  # the server has not reopened yet: still the old file
        server.reopen()
        server.write(60)
        time.sleep(1.5)
        assert stop(process, signal.SIGTERM) == 0
    finally:
        server.close()
        if process.poll() is None:
            process.kill()
    assert (tmp_path / "stderr").read_text() == ""
    assert counted_and_sections(out) == (server.lines, server.sections)
    assert "replaced (rotated)" in (tmp_path / "stdout").read_text()


def test_sigkill_then_rotation_while_down_then_restart(tmp_path: Path) -> None:
    """Killed mid-traffic, rotated while down, restarted: every line counted once, the alert once."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    first = analyzer_process(follow_args(log, out), tmp_path, tmp_path / "stdout1", tmp_path / "stderr1")
    server = Server(log)
    second = None
    try:
        wait_until((out / "checkpoint.json").exists, time.monotonic() + 20, "the monitor to start")
        server.write(80)  # ~30 lines/s: the alert fires
        wait_until(lambda: "alert" in kinds(out / "alerts.csv"), time.monotonic() + 10, "an alert")
        server.write(20)
        first.kill()  # SIGKILL, in the middle of the traffic
        first.wait(timeout=10)
        server.write(30)  # written while the monitor is down ...
        os.rename(log, tmp_path / "access.log.1")  # ... and rotated
        server.reopen()
        server.write(30)
        written = (out / "checkpoint.json").stat().st_mtime_ns
        second = analyzer_process(follow_args(log, out), tmp_path, tmp_path / "stdout2", tmp_path / "stderr2")
        # started (a SIGTERM during its imports would rightly read nothing): its checkpoint written
        wait_until(
            lambda: (out / "checkpoint.json").stat().st_mtime_ns != written,
            time.monotonic() + 20,
            "the second monitor to start",
        )
        server.write(60)
        assert stop(second, signal.SIGTERM) == 0  # at once: the clean stop reads the last lines
    finally:
        server.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
    assert (tmp_path / "stderr2").read_text() == ""
    assert counted_and_sections(out) == (server.lines, server.sections)
    assert kinds(out / "alerts.csv").count("alert") == 1
    assert "warning" not in (tmp_path / "stdout2").read_text()


def test_monitor_and_backtest_in_one_folder_keep_apart_and_a_binary_is_refused(tmp_path: Path) -> None:
    """Real processes in one working folder: each command its own default directory; the
    backtest refuses the monitor's; a file that is not a log is refused at start, exit 2."""
    now = int(time.time())
    (tmp_path / "access.log").write_bytes(lines_at([now - 100 + i // 5 for i in range(500)]))  # 5 req/s

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "analyzer", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    assert command("backtest", "access.log", "--threshold", "1").returncode == 0
    backtest_out = tmp_path / "analyzer-backtest"
    before = {name: (backtest_out / name).read_bytes() for name in ("alerts.csv", "stats.csv")}
    assert kinds(backtest_out / "alerts.csv") == ["alert"]  # 5 req/s over 1 to the end
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    process = analyzer_process(["access.log", "--interval", "1", "--window", "10"], tmp_path, stdout, stderr)
    try:
        monitor_out = tmp_path / "analyzer-monitor"
        wait_until(
            (monitor_out / "checkpoint.json").exists, time.monotonic() + 30, "the monitor's checkpoint"
        )
        assert stop(process, signal.SIGINT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert stderr.read_text() == ""
    assert "threshold 1" not in stdout.read_text()  # the backtest's alerts are not the monitor's history
    assert all(row[3] == "10" for row in csv_rows(monitor_out / "alerts.csv", ALERT_FIELDS))
    assert {name: (backtest_out / name).read_bytes() for name in before} == before
    refused = command("backtest", "access.log", "--out", "analyzer-monitor")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "holds a live monitor's checkpoint" in refused.stderr
    binary = command(sys.executable)  # the interpreter itself: a binary, not a log
    assert binary.returncode == 2 and binary.stderr.count("\n") == 1, binary.stderr
    assert "not an access log the monitor can read" in binary.stderr and binary.stdout == ""


def test_a_second_analyzer_on_the_same_out_exits_2_naming_the_first(tmp_path: Path, log: Path) -> None:
    out = tmp_path / "out"
    args = [str(log), "--plain", "--out", str(out)]
    first = analyzer_process(args, tmp_path, tmp_path / "1.out", tmp_path / "1.err")
    try:
        lock = out / "analyzer.lock"
        held = lambda: lock.exists() and lock.read_text().strip() == str(first.pid)  # noqa: E731
        wait_until(held, time.monotonic() + 30, "the lock")
        second = subprocess.run(
            [sys.executable, "-m", "analyzer", str(log), "--plain", "--out", str(out)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        err = second.stderr.decode()
        assert second.returncode == 2 and err.count("\n") == 1, err
        assert f"another analyzer (pid {first.pid}) writes there" in err
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=30) == 0


def test_a_stop_just_after_a_poll_is_acted_on_at_once(tmp_path: Path, log: Path) -> None:
    """SIGINT just after a poll wrote its report ends the monitor at once, not after the rest of
    the second it sleeps between polls (0.9 s of every stop before the sleep woke at one)."""
    out = tmp_path / "out"
    args = [str(log), "--plain", "--out", str(out), "--interval", "1"]
    process = analyzer_process(args, tmp_path, tmp_path / "stdout", tmp_path / "stderr")
    try:
        stats = out / "stats.csv"
        header = len(",".join(STATS_FIELDS)) + 1
        wait_until(
            lambda: stats.exists() and stats.stat().st_size > header, time.monotonic() + 30, "a report"
        )
        reported = stats.stat().st_mtime_ns
        deadline = time.monotonic() + 10
        while stats.stat().st_mtime_ns == reported:  # the next poll's report, seen within 10 ms
            assert time.monotonic() < deadline, "no report in 10 s"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - signalled < 0.5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_outputs_planted_as_links_or_in_a_directory_others_can_write_are_refused(
    tmp_path: Path, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root monitor never writes through a link planted in --out, nor into a directory
    another user can write: one line, exit 2, the link's target untouched."""
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (out / "alerts.csv").symlink_to(victim)
    assert_usage_error([str(log), "--out", str(out)], f"{out / 'alerts.csv'}: a symbolic link")
    assert victim.read_text() == "keep\n"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert_usage_error([str(log), "--out", str(shared)], "writable by another user", "mode 0777")


def test_a_full_disk_is_one_line_and_exit_2_and_a_restart_finds_every_csv_whole(tmp_path: Path) -> None:
    """--out on a tiny file system that fills up while the monitor writes: exit 2 with one line;
    after space is freed a restart sets a torn last row aside and every CSV reads whole."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], check=False).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root); the torn-row test covers the restart")
    try:
        filler = disk / "filler"
        filler.write_bytes(b"x" * (40 << 10))
        log, out = tmp_path / "access.log", disk / "out"
        log.write_bytes(b"")
        args = [str(log), "--plain", "--out", str(out), "--interval", "1", "--window", "10"]
        args += ["--lateness", "1"]  # the first reports, which fill the disk, 4 s sooner than at 5
        process = analyzer_process(args, tmp_path, tmp_path / "stdout", tmp_path / "stderr")
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            now = int(time.time())
            append_lines(log, b"".join(clf_line(now, path=f"/s{i}/x") for i in range(300)))
            time.sleep(0.2)
        assert process.wait(timeout=30) == 2
        err = (tmp_path / "stderr").read_text()
        assert err.count("\n") == 1 and "No space left on device" in err, err
        filler.unlink()
        checkpoint = out / "checkpoint.json"
        before = checkpoint.stat().st_mtime_ns if checkpoint.exists() else None
        again = analyzer_process(args, tmp_path, tmp_path / "stdout2", tmp_path / "stderr2")
        # Following (a torn row set aside at start, before): its first checkpoint written.
        wait_until(
            lambda: checkpoint.exists() and checkpoint.stat().st_mtime_ns != before,
            time.monotonic() + 30,
            "the restart to follow",
        )
        again.send_signal(signal.SIGINT)
        assert again.wait(timeout=30) == 0
        for name, header in (("stats.csv", STATS_FIELDS), ("sections.csv", SECTION_FIELDS)):
            csv_rows(out / name, header)  # one header, every row whole
        torn = list(out.glob("*.torn"))
        if torn:
            assert "a torn last row" in (tmp_path / "stdout2").read_text()
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def append_lines(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def test_a_fifo_or_a_device_is_refused_by_every_command(tmp_path: Path) -> None:
    """Never waited on, never read forever: one line and exit 2 (check: exit 1, saying why)."""
    fifo = tmp_path / "access.log"
    os.mkfifo(fifo)
    out = str(tmp_path / "out")
    assert_usage_error([str(fifo), "--out", out], "a FIFO (named pipe), not a log file", "analyzer - <")
    assert_usage_error(["/dev/zero", "--out", out], "/dev/zero: a character device, not a log file")
    for command in ("replay", "backtest"):
        assert_usage_error([command, str(fifo), "--out", out], "not a regular file")
    env = environment()
    assert main(["check", str(fifo)], env) == 1
    assert "not a regular file" in env.stderr.getvalue() + env.stdout.getvalue()


def test_a_log_replaced_by_a_fifo_under_a_running_monitor_blocks_nothing(tmp_path: Path) -> None:
    """Opened without blocking and refused: the monitor says so and goes on with its ticks."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(lines_at([T0]))
    replaced = {"done": False}

    def write(now: float) -> None:
        if int(now) == T0 + 3 and not replaced["done"]:
            os.rename(log, tmp_path / "access.log.1")
            os.mkfifo(log)
            replaced["done"] = True

    clock = FakeClock(T0, write)
    stdout = io.StringIO()
    stop = lambda: clock.sleeps >= 20  # noqa: E731
    settings = Settings([str(log)], AlertRule(10, 20), interval=5, out=out, plain=True)
    Monitor(settings, stdout, Clock(clock.now, clock.sleep, stop)).run()
    assert replaced["done"] and clock.sleeps >= 20
    assert "not a regular file" in stdout.getvalue()
