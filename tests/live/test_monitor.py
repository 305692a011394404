"""The live monitor under a fake clock: files on disk, CSVs and screen, no real sleeping."""

from __future__ import annotations

import errno
import io
import os
import random
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from pytest import MonkeyPatch

from analyzer.core.alerts import AlertRule
from analyzer.follow import tail
from analyzer.follow.fileid import Fingerprint
from analyzer.formats.clf import Parsed
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock
from analyzer.ui.terminal import ENTER, LEAVE
from tests.conftest import clf_line, lines_at
from tests.live.conftest import (
    T0,
    FakeClock,
    alert_message,
    append,
    counted,
    iso_z,
    recovered_message,
    rows,
    settings,
)


def test_every_complete_line_is_counted_once_in_stats(tmp_path: Path) -> None:
    """requests + rejected summed over stats.csv equals the complete lines appended, fragments and all."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    rng = random.Random(5)
    appended = {"complete": 0}
    pending_tail = [b""]

    def write(now: float) -> None:
        second = int(now)
        batch = b""
        for _ in range(rng.randint(0, 6)):
            kind = rng.random()
            if kind < 0.15:
                batch += b"this is not a log line\n"
            elif kind < 0.25:
                batch += clf_line(second - rng.randint(3, 30))  # late but a request
            else:
                batch += clf_line(second, path=f"/s{rng.randint(0, 5)}/x")
        appended["complete"] += batch.count(b"\n")
        data = pending_tail[0] + batch
        cut = rng.randint(0, len(data)) if data and rng.random() < 0.4 else len(data)
        append(log, data[:cut])
        pending_tail[0] = data[cut:]  # the rest (maybe half a line) arrives next time

    clock = FakeClock(T0, write)
    out = tmp_path / "out"
    monitor = Monitor(
        settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 200)
    )
    monitor.run()
    complete_on_disk = log.read_bytes().count(b"\n")
    stats = rows(out / "stats.csv")
    # A report per 5 s of the log's time, each written once the horizon passed it, and at the
    # stop the one the last lines are in.
    seconds = [datetime.fromisoformat(row["time"]).timestamp() for row in stats]
    assert np.diff(seconds).tolist() == [5.0] * (len(stats) - 1) and len(stats) == 200 // 5 + 1
    counted = sum(int(row["requests"]) + int(row["rejected"]) for row in stats)
    assert counted == complete_on_disk
    assert appended["complete"] >= complete_on_disk > 300
    assert sum(int(row["rejected"]) for row in stats) > 0
    assert sum(int(row["late"]) for row in stats) > 0
    assert monitor.engine.totals["requests"] + monitor.engine.totals["rejected"] == complete_on_disk


def test_alert_fires_then_recovers_when_traffic_stops_dead(tmp_path: Path) -> None:
    """5 req/s for 20 s fires the alert; with no line arriving after, it recovers on the horizon."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    last_traffic = T0 + 19

    def write(now: float) -> None:
        second = int(now)
        if second <= last_traffic:
            append(log, lines_at([second] * 5))

    clock = FakeClock(T0, write)
    write(T0)
    stdout = io.StringIO()
    out = tmp_path / "out"
    monitor = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    monitor.warm_start()
    size_after_traffic = None
    for _ in range(45):
        monitor.poll()
        if int(clock.now()) == last_traffic + 1:
            size_after_traffic = log.stat().st_size
        clock.sleep(1.0)
    assert log.stat().st_size == size_after_traffic, "no line may arrive after the traffic stops"

    # window_hits(T0 + k) = 5 (k + 1) > 20 first at k = 4; after the last line at T0 + 19,
    # window_hits(T0 + k) = 5 (29 - k) <= 20 first at k = 25.
    alerts = rows(out / "alerts.csv")
    assert [row["kind"] for row in alerts] == ["alert", "recovered"]
    first, second = alerts
    assert first["time"] == datetime.fromtimestamp(T0 + 4, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert second["time"] == datetime.fromtimestamp(T0 + 25, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (first["hits"], second["hits"]) == ("2.50", "2.00")
    assert (first["threshold"], first["window_s"]) == ("2", "10")
    expected = [alert_message(25, 10, T0 + 4), recovered_message(20, 10, T0 + 25)]
    assert [first["message"], second["message"]] == expected
    printed = [line for line in stdout.getvalue().splitlines() if line.startswith("High traffic")]
    assert printed == expected


def test_recovery_waits_for_the_horizon(tmp_path: Path) -> None:
    """The recovery of second s is reported only once floor(now) - lateness reaches s."""
    log = tmp_path / "access.log"
    log.write_bytes(lines_at([T0 + k for k in range(10) for _ in range(5)]))
    clock = FakeClock(T0 + 10)
    out = tmp_path / "out"
    monitor = Monitor(settings(log, out, lateness=3), io.StringIO(), Clock(clock.now, clock.sleep))
    monitor.poll()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    # Last line at T0 + 9: window_hits(T0 + 9 + j) = 5 (10 - j) <= 20 first at j = 6.
    recovery = T0 + 15
    clock.time = recovery + 3 - 0.001  # horizon = recovery - 1
    monitor.poll()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    clock.time = recovery + 3  # horizon = recovery
    monitor.poll()
    alerts = rows(out / "alerts.csv")
    assert [row["kind"] for row in alerts] == ["alert", "recovered"]
    assert alerts[1]["message"] == recovered_message(20, 10, recovery)


def test_plain_output_is_append_only_text(tmp_path: Path) -> None:
    """In --plain mode each report is appended as text with no escape sequences."""
    log = tmp_path / "access.log"
    log.write_bytes(lines_at(range(T0 - 5, T0)))
    clock = FakeClock(T0)
    stdout = io.StringIO()
    monitor = Monitor(settings(log, tmp_path / "out", plain=True), stdout, Clock(clock.now, clock.sleep))
    monitor.poll()
    monitor.report(clock.now())
    first = stdout.getvalue()
    append(log, lines_at([T0, T0 + 1]))
    clock.time += 5
    monitor.poll()
    monitor.report(clock.now())
    both = stdout.getvalue()
    assert first and both.startswith(first) and len(both) > len(first)
    assert "\x1b" not in both
    assert both.count("top sections:") == 2


def test_terminal_output_is_a_dashboard_redrawn_in_place(tmp_path: Path) -> None:
    """Outside --plain the screen is a dashboard: the first frame at once after the warm start,
    each report redrawn in place (rows rewritten at their positions, nothing appended)."""
    log = tmp_path / "access.log"
    log.write_bytes(lines_at(range(T0 - 5, T0)))
    clock = FakeClock(T0)
    stdout = io.StringIO()
    monitor = Monitor(settings(log, tmp_path / "out", plain=False), stdout, Clock(clock.now, clock.sleep))
    monitor.warm_start()
    first = stdout.getvalue()
    assert first.startswith(ENTER) and "\x1b[1;1H" in first
    assert "10 s to 23:59:59: 5 req" in re.sub(r"\x1b\[[0-9;]*m", "", first)  # the window the warm start read
    monitor.poll()
    monitor.report(clock.now())
    clock.time += 5
    monitor.report(clock.now())
    text = stdout.getvalue()
    assert "\n" not in text and text.count("\x1b[2;1H") >= 1 and "top sections:" not in text
    monitor.display.close()
    assert stdout.getvalue().endswith(LEAVE)


def test_sections_csv_is_bounded_per_report(tmp_path: Path) -> None:
    """Many random sections give at most csv_top rows plus one `(other)` per report."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    rng = random.Random(8)

    def write(now: float) -> None:
        second = int(now)
        append(log, b"".join(clf_line(second, path=f"/r{rng.getrandbits(40):x}/p") for _ in range(40)))

    clock = FakeClock(T0, write)
    out = tmp_path / "out"
    csv_top = 15
    monitor = Monitor(
        settings(log, out, csv_top=csv_top, rule=AlertRule(threshold=1000, window=10)),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 30),
    )
    monitor.run()
    stats = rows(out / "stats.csv")
    sections = rows(out / "sections.csv")
    by_report: dict[str, list[dict[str, str]]] = {}
    for row in sections:
        by_report.setdefault(row["time"], []).append(row)
    assert len(stats) == 30 // 5 + 1  # and at the stop, the report the last lines are in
    assert set(by_report) == {row["time"] for row in stats if int(row["requests"])}
    for row in stats:
        report_rows = by_report.get(row["time"], [])
        if not int(row["requests"]):
            continue
        names = [r["section"] for r in report_rows]
        assert len(report_rows) <= csv_top + 1
        assert names.count("(other)") == 1
        assert sum(int(r["hits"]) for r in report_rows) == int(row["requests"])


def test_five_hundred_ticks_run_without_real_sleeping(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    """500 one-second ticks with traffic and reports run on the fake clock alone.

    Their speed is measured by benchmarks/bench_ticks.py, not asserted here: a timed unit
    test fails on a busy machine without anything being wrong.
    """
    log = tmp_path / "access.log"
    log.write_bytes(b"")

    def write(now: float) -> None:
        append(log, lines_at([int(now)] * 3))

    clock = FakeClock(T0, write)
    out = tmp_path / "out"
    monitor = Monitor(
        settings(log, out, interval=10),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 500),
    )
    real_sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", real_sleeps.append)
    monitor.run()
    assert clock.now() - T0 == 500
    assert len(rows(out / "stats.csv")) == 50 + 1  # and at the stop, the report the last lines are in
    assert real_sleeps == []


# ----- following files the way production rotates them --------------------------------------


def test_rotation_while_the_server_still_writes_the_old_file(tmp_path: Path) -> None:
    """Rename + create while the server writes the old file for 3 s more: every line counted once."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    server = open(log, "ab")  # noqa: SIM115 - the server's handle, reopened at the rotation below
    written = {"lines": 0, "reopened": False}

    def write(now: float) -> None:
        second = int(now)
        if second == T0 + 7:
            os.rename(log, tmp_path / "access.log.1")
            log.write_bytes(b"")  # logrotate's `create`
        if second == T0 + 10:
            server.close()  # the server reopens its log
            written["reopened"] = True
        handle = open(log, "ab") if written["reopened"] else server  # noqa: SIM115
        handle.write(lines_at([second] * 4))
        handle.flush()
        if written["reopened"]:
            handle.close()
        written["lines"] += 4

    clock = FakeClock(T0, write)
    monitor = Monitor(
        settings(log, out, rotate_wait=5),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 20),
    )
    monitor.run()
    assert written["reopened"] and written["lines"] == 80
    assert counted(out) == 80
    assert monitor.followers[0].restarts == 1


def test_several_files_are_counted_together_with_a_line_each(tmp_path: Path) -> None:
    """Two logs followed at once: one total in stats.csv, one line per file in the report."""
    first, second, out = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "out"
    first.write_bytes(b"")
    second.write_bytes(b"")

    def write(now: float) -> None:
        append(first, lines_at([int(now)] * 2))
        append(second, lines_at([int(now)]) + b"garbage\n")

    clock = FakeClock(T0, write)
    stdout = io.StringIO()
    options = settings(first, out)
    options.paths = [str(first), str(second)]
    monitor = Monitor(options, stdout, Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 10))
    monitor.run()
    assert counted(out) == 10 * 2 + 10 * 2
    text = " ".join(stdout.getvalue().split("(lines read since start):")[-1].split())  # wrapped at 80
    stamp = iso_z(T0 + 10)
    assert f"{first.name}: 20 lines, 0 rejected, last line read {stamp}; following" in text
    assert f"{second.name}: 20 lines, 10 rejected, last line read {stamp}; following" in text


def test_a_missing_file_and_directory_are_waited_for(tmp_path: Path) -> None:
    """A log whose directory does not exist yet: said on screen, then read from its start."""
    log, out = tmp_path / "later" / "access.log", tmp_path / "out"

    def write(now: float) -> None:
        if int(now) == T0 + 3:
            log.parent.mkdir()
        if int(now) >= T0 + 12:  # after the report of +10 (written once the horizon passed it)
            append(log, lines_at([int(now)] * 2))

    clock = FakeClock(T0, write)
    stdout = io.StringIO()
    monitor = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 18))
    monitor.run()
    text = stdout.getvalue()
    assert f"{log}: waiting: its directory {log.parent} does not exist" in text
    assert f"{log}: waiting: no such file" in text
    assert f"{log}: following" in text
    assert "0 lines, 0 rejected, last line read never; waiting: no such file" in text
    assert counted(out) == log.read_bytes().count(b"\n") == 14


def test_permission_errors_are_shown_and_retried(tmp_path: Path) -> None:
    """A rotated-in file that cannot be opened: the report says so; once readable, read whole."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    refuse = {"on": False}

    def opener(path: str) -> BinaryIO:
        if refuse["on"]:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return open(path, "rb")  # the follower closes it

    def write(now: float) -> None:
        second = int(now)
        if second == T0 + 3:
            os.rename(log, tmp_path / "access.log.1")
            refuse["on"] = True
        if second == T0 + 8:
            refuse["on"] = False
        append(log, lines_at([second]))

    clock = FakeClock(T0, write)
    stdout = io.StringIO()
    monitor = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 12))
    monitor.followers[0].opener = opener
    monitor.run()
    text = stdout.getvalue()
    assert "cannot read: Permission denied (retrying)" in text.split("files:")[1]
    assert counted(out) == 12


def test_long_lines_crlf_cr_and_nuls_reach_the_counts_right(tmp_path: Path) -> None:
    """A 1 MB line is one rejected line; CRLF, CR-only and NUL-padded lines are requests."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    good = clf_line(T0).rstrip(b"\n")

    def write(now: float) -> None:
        if int(now) == T0 + 1:
            append(log, good + b"\n" + b"x" * (1 << 20) + b"\n" + good + b"\r\n" + good + b"\r")
        if int(now) == T0 + 2:
            append(log, b"\0" * 4096 + good + b"\n")

    clock = FakeClock(T0, write)
    monitor = Monitor(
        settings(log, out, max_line_bytes=64 << 10),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 5),
    )
    monitor.run()
    # All stamped T0: in its report, or the next one for the line read after it was written.
    stats = rows(out / "stats.csv")
    assert sum(int(row["requests"]) for row in stats) == 4
    assert sum(int(row["rejected"]) for row in stats) == 1
    assert monitor.followers[0].nul_bytes == 4096


def test_a_million_line_burst_is_read_in_bounded_chunks(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    """1,000,000 lines within one tick: read in chunks of at most CHUNK_BYTES, each counted once."""
    monkeypatch.setattr(tail, "CHUNK_BYTES", 8 << 20)
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    line = clf_line(T0, path="/b/x")

    def write(now: float) -> None:
        if int(now) == T0 + 1:
            append(log, line * 1_000_000)

    clock = FakeClock(T0, write)
    monitor = Monitor(
        settings(log, out, rule=AlertRule(threshold=1e9, window=10)),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 3),
    )
    batches: list[int] = []
    ingest = monitor.engine.ingest

    def spy(parsed: Parsed, warm: bool = False, read_at: float | None = None) -> None:
        batches.append(parsed.lines)
        ingest(parsed, warm, read_at)

    monitor.engine.ingest = spy  # type: ignore[method-assign]
    monitor.run()
    assert counted(out) == 1_000_000
    assert len(batches) >= 1_000_000 * len(line) // (8 << 20)
    assert max(batches) <= (8 << 20) // len(line) + 1


def test_an_overrun_tick_is_counted_and_shown(tmp_path: Path) -> None:
    """A tick of 25 s with 10 s reports: the report written late is counted and shown, and
    every report's rate is over its own 10 s."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")

    def write(now: float) -> None:
        append(log, lines_at([int(now)] * 3))

    clock = FakeClock(T0, write)
    stdout = io.StringIO()
    monitor = Monitor(
        settings(log, out, interval=10, rule=AlertRule(threshold=100, window=30)),
        stdout,
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 40),
    )
    poll = monitor.poll

    def slow_poll() -> None:
        poll()
        if int(clock.time) == T0 + 12:
            clock.time += 25  # this tick took 25 s

    monitor.poll = slow_poll  # type: ignore[method-assign]
    monitor.run()
    stats = rows(out / "stats.csv")
    # The tick ends at +37: the reports of +20 and +30 are written then, each of its own 10 s
    # of the log's time; +20's was due an interval before, and is counted as an overrun.
    assert [(row["time"], row["overruns"]) for row in stats][:5] == [
        (iso_z(T0), "0"),
        (iso_z(T0 + 10), "0"),
        (iso_z(T0 + 20), "1"),
        (iso_z(T0 + 30), "0"),
        (iso_z(T0 + 40), "0"),
    ]
    assert all(row["rate"] == f"{int(row['requests']) / 10:.3f}" for row in stats)
    assert "slow ticks: 1 report came a whole interval late" in " ".join(stdout.getvalue().split())
    assert counted(out) == log.read_bytes().count(b"\n")


# ----- conservation under random operations (a model test, as vector's file source has) -------


class FollowMachine(RuleBasedStateMachine):
    """Appends, partial appends, rotations (with a server that reopens its log or not),
    truncations, deletions, restarts and a lagging monitor, in any order.

    After every step: lines counted (stats.csv + the running monitor's unreported lines) never
    exceed the complete lines written, and fall short only by lines not read yet or lost to a
    truncation or deletion racing the reader (`budget`); after a tick with no such race, the
    counts are equal.
    """

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="analyzer-machine-"))
        self.log, self.out = self.folder / "access.log", self.folder / "out"
        self.log.write_bytes(b"")
        self.clock = FakeClock(T0)
        self.written = 0  # complete lines appended since the first start
        self.budget = 0  # lines a truncation or deletion may have taken before they were read
        self.since_tick = 0  # lines appended since the monitor last read (to the current file)
        self.since_report = 0  # ... since they were last certainly in stats.csv
        self.all_since_tick = 0  # the same, over every file
        self.all_since_report = 0
        self.weak_at_read = True  # the current file had no whole line when last read
        self.opened = False  # the running monitor has the current file open
        self.memory_only = 0  # lines read, not yet in stats.csv, and no longer on disk
        self.rest = b""  # the second half of a line whose first half was written
        self.rotations = 0
        self.ticks = 0
        self.serial = 0
        # The server's handle on a rotated file it never reopened (None: it writes the path's
        # file), and whether that file was rotated away before the monitor ever opened it.
        self.server: BinaryIO | None = None
        self.server_unseen = False
        self.monitor: Monitor | None = None
        self.start()

    def teardown(self) -> None:
        if self.monitor is not None:
            self.kill()
        if self.server is not None:
            self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the writer ---------------------------------------------------------------------

    def _append(self, data: bytes) -> None:
        if self.server is not None:  # to the rotated file the server still has open
            self.server.write(data)
            self.server.flush()
            count = data.count(b"\n")
            self.written += count
            self.all_since_tick += count
            self.all_since_report += count
            if self.server_unseen:  # a file nothing can find (see `rotate`)
                self.budget += count
            return
        if not self.log.exists():
            self.log.write_bytes(b"")
            self._new_file()
        append(self.log, data)
        count = data.count(b"\n")
        self.written += count
        self.since_tick += count
        self.since_report += count
        self.all_since_tick += count
        self.all_since_report += count

    def _weak(self) -> bool:
        """Whether the current file's first bytes hold no whole line (no telling fingerprint)."""
        return not self.log.exists() or not Fingerprint.of(self.log.read_bytes()[:256]).distinct

    def _new_file(self) -> None:
        self.since_tick = self.since_report = 0
        self.weak_at_read, self.opened = True, False

    def _line(self) -> bytes:
        """A line unlike any other, as real ones are (a copy is recognised by its first bytes)."""
        self.serial += 1
        return clf_line(int(self.clock.time), path=f"/m/{self.serial}")

    @rule(count=st.integers(1, 4), garbage=st.booleans())
    def append_lines(self, count: int, garbage: bool) -> None:
        lines = b"".join(self._line() for _ in range(count)) + (b"garbage\n" if garbage else b"")
        self._append(self.rest + lines)
        self.rest = b""

    @rule(cut=st.integers(1, 60))
    def partial_append(self, cut: int) -> None:
        line = self.rest + self._line()
        self._append(line[:cut])
        self.rest = line[cut:]

    @rule()
    def rotate(self) -> None:
        """logrotate's default: rename to .1 (older ones shifted), create a new empty file."""
        if not self.log.exists():
            return
        if self.monitor is not None and not self.opened:
            # Created (after a deletion) and rotated away between two reads: with no file
            # open to start from, nothing finds it (a loss window the README lists).
            self.budget += self.since_tick
        self._shift()
        os.rename(self.log, self.folder / "access.log.1")
        self.log.write_bytes(b"")
        self._new_file()

    @rule()
    def rotate_without_reopen(self) -> None:
        """logrotate `create` with a server that cannot reopen its log (a permission, no
        `postrotate`): it keeps writing the renamed file, through later rotations too."""
        if not self.log.exists() or self.server is not None:
            return
        self.server = open(self.log, "ab")  # noqa: SIM115 - the server's handle, closed on `reopen`
        self.server_unseen = self.monitor is not None and not self.opened
        self.rotate()

    @precondition(lambda self: self.server is not None)
    @rule()
    def reopen(self) -> None:
        """The server reopens its log at last: it writes the path's file from now on."""
        assert self.server is not None
        self.server.close()
        self.server, self.server_unseen = None, False

    @precondition(lambda self: self.monitor is not None and bool(self.monitor.followers[0].draining))
    @rule()
    def rotate_while_draining(self) -> None:
        """Rotate again while an old file is still being read."""
        self.rotate()

    @precondition(lambda self: self.monitor is not None)
    @rule(seconds=st.integers(2, 8))
    def lag(self, seconds: int) -> None:
        """The monitor falls behind: seconds pass without a poll (a slow tick, a stalled machine)."""
        self.clock.sleep(float(seconds))

    @rule()
    def copytruncate(self) -> None:
        if not self.log.exists():
            return
        self._shift()
        shutil.copyfile(self.log, self.folder / "access.log.1")
        if self.monitor is not None and self.weak_at_read:
            # Read with no whole line: no telling fingerprint to recognise the copy by (and
            # 0 -> N -> 0 bytes between two reads looks like no change at all): a loss window.
            self.budget += self.since_tick
        os.truncate(self.log, 0)
        self.since_tick = self.since_report = 0

    @rule()
    def truncate(self) -> None:
        if not self.log.exists():
            return
        self.budget += self.since_tick if self.monitor else self.since_report
        if self.monitor is not None:
            self.memory_only += self.since_report - self.since_tick
        os.truncate(self.log, 0)
        self.weak_at_read = True  # what the reader knows of the file's start is gone
        self.since_tick = self.since_report = 0

    @rule()
    def delete(self) -> None:
        if not self.log.exists():
            return
        if self.monitor is None:
            self.budget += self.since_report
        elif not self.opened:
            self.budget += self.since_tick
        else:
            self.memory_only += self.since_report  # safe unless killed before a report
        self.log.unlink()  # a file the running monitor holds open is drained: nothing lost
        self.since_tick = self.since_report = 0

    @rule()
    def recreate(self) -> None:
        if not self.log.exists():
            self.log.write_bytes(b"")
            self._new_file()

    def _shift(self) -> None:
        self.rotations += 1
        for number in range(self.rotations, 0, -1):
            older = self.folder / f"access.log.{number}"
            if older.exists():
                os.rename(older, self.folder / f"access.log.{number + 1}")

    # --- the monitor --------------------------------------------------------------------

    @precondition(lambda self: self.monitor is None)
    @rule()
    def start(self) -> None:
        stdout = io.StringIO()
        self.monitor = Monitor(
            settings(self.log, self.out, interval=3, rotate_wait=2),
            stdout,
            Clock(self.clock.now, self.clock.sleep),
        )
        self.monitor.warm_start()
        self.opened = self.log.exists()
        self.weak_at_read = self._weak()  # the monitor knows the file's start as it is now
        assert "warning" not in stdout.getvalue()

    @precondition(lambda self: self.monitor is not None)
    @rule()
    def tick(self) -> None:
        assert self.monitor is not None
        self.clock.sleep(1.0)
        self.monitor.poll()
        self.ticks += 1
        self.since_tick = self.all_since_tick = 0
        self.opened = self.log.exists()
        self.weak_at_read = self._weak()
        if self.ticks % 3 == 0:
            self.monitor.report(self.clock.now())
            self.since_report = self.all_since_report = self.memory_only = 0

    @precondition(lambda self: self.monitor is not None)
    @rule()
    def stop(self) -> None:
        """A clean stop (Ctrl-C, SIGTERM): the last lines read and reported."""
        assert self.monitor is not None
        self.monitor.finish()
        self._close()
        self.since_tick = self.since_report = self.all_since_tick = self.all_since_report = 0
        self.memory_only = 0
        self.weak_at_read = self._weak()

    @precondition(lambda self: self.monitor is not None)
    @rule()
    def kill(self) -> None:
        """SIGKILL between two ticks: what was read but not reported is read again after a start."""
        self._close()
        self.since_tick, self.all_since_tick = self.since_report, self.all_since_report
        # Lines read since the last report from a file since deleted or truncated are gone
        # with the process (a loss window the README lists).
        self.budget += self.memory_only
        self.memory_only = 0

    def _close(self) -> None:
        assert self.monitor is not None
        self.monitor.outputs.close()
        for follower in self.monitor.followers:
            follower.close()
        self.monitor = None
        self.opened = False

    @invariant()
    def conserved(self) -> None:
        stats = rows(self.out / "stats.csv") if (self.out / "stats.csv").exists() else []
        counted = sum(int(row["requests"]) + int(row["rejected"]) for row in stats)
        outstanding = self.all_since_report
        if self.monitor is not None:
            counted += self.monitor.engine.ledger.unreported()
            outstanding = self.all_since_tick
        assert counted <= self.written, "a line was counted twice"
        assert counted >= self.written - self.budget - outstanding, "a line was lost"
        if self.budget == 0 and outstanding == 0:
            assert counted == self.written


TestFollowMachine = FollowMachine.TestCase
TestFollowMachine.settings = hypothesis_settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_follow_machine_found_a_released_file_written_after_a_copytruncate() -> None:
    """A sequence the state machine found losing a line: the server keeps the rotated file, a
    copytruncate shifts it .1 -> .2 while it is released, then the server writes it again."""
    machine = FollowMachine()
    try:
        machine.rotate_without_reopen()
        machine.tick()
        machine.copytruncate()
        machine.tick()
        machine.tick()
        machine.append_lines(count=1, garbage=False)
        machine.tick()
        machine.conserved()
        assert machine.monitor is not None and machine.monitor.engine.pending.requests == 1
    finally:
        machine.teardown()


W3C_FIELDS = "date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs(User-Agent) time-taken"


def w3c_header(second: int, fields: str = W3C_FIELDS) -> bytes:
    """The directive block IIS writes at each start: four lines, none a request."""
    stamp = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"#Software: Microsoft IIS 8.5\n#Version: 1.0\n#Date: {stamp}\n#Fields: {fields}\n".encode()


def w3c_line(second: int, path: str = "/s/x", taken: int | None = 120) -> bytes:
    """One IIS data line at UTC `second` (with no time-taken field when `taken` is None)."""
    stamp = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S")
    tail = "" if taken is None else f" {taken}"
    return f"{stamp} 10.0.0.1 GET {path} 200 512 Mozilla/5.0+(X11){tail}\n".encode()


def test_w3c_file_counts_requests_rejected_and_directives(tmp_path: Path) -> None:
    """A followed W3C file (repeated headers, a layout change): requests, rejected, directives add up."""
    log, out = tmp_path / "u_ex.log", tmp_path / "out"
    log.write_bytes(w3c_header(T0 - 1))  # detected as W3C at start; read back, not counted
    written = {"requests": 0, "rejected": 0, "directives": 0}
    short_fields = W3C_FIELDS.removesuffix(" time-taken")

    def write(now: float) -> None:
        second = int(now)
        tick = second - T0
        data = b""
        if tick % 7 == 0:  # the server restarted: its header block again
            data += w3c_header(second, short_fields if tick >= 21 else W3C_FIELDS)
            written["directives"] += 4
        taken = None if tick >= 21 else 100 + tick
        data += b"".join(w3c_line(second, f"/s{k}/x", taken) for k in range(3))
        written["requests"] += 3
        if tick % 5 == 0:
            data += w3c_line(second, taken=7 if tick >= 21 else None)  # a field more or less
            data += b"not a w3c line\n"
            written["rejected"] += 2
        append(log, data)

    clock = FakeClock(T0, write)
    monitor = Monitor(
        settings(log, out, interval=5),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 40),
    )
    monitor.run()
    stats = rows(out / "stats.csv")
    assert "directives" in stats[0]
    for name in ("requests", "rejected", "directives"):
        assert sum(int(row[name]) for row in stats) == written[name] > 0, name
    assert written["directives"] >= 8  # a block in each layout at least
    lines_on_disk = log.read_bytes().count(b"\n")
    assert lines_on_disk == 4 + sum(written.values())
    timed = [row for row in stats if row["latency_p50"]]
    assert timed and all(0.1 <= float(row["latency_p50"]) < 0.2 for row in timed)
    assert not stats[-1]["latency_p50"]  # after the layout without time-taken: no durations


def test_rejects_file_receives_every_rejected_line_verbatim(tmp_path: Path) -> None:
    """--rejects FILE gets each rejected line as read, after its reason and file, and no request."""
    log, out, rejects = tmp_path / "access.log", tmp_path / "out", tmp_path / "rejects" / "bad.tsv"
    log.write_bytes(b"")
    good = clf_line(T0)
    bad = [
        (b"just some words\n", "missing fields", "just some words"),
        (
            good.replace(b"00:00:00", b"00:99:00"),
            "bad timestamp",
            good.decode().replace("00:00:00", "00:99:00"),
        ),
        (
            b'1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET /cut\n',
            "unclosed quote",
            '1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET /cut',
        ),
        (b"\x16\x03\x01 tls \xff\xfe\n", "binary garbage", "\x16\x03\x01 tls \\xff\\xfe"),
        (b"\x1b]0;pwned\x07 escape\n", "binary garbage", "\x1b]0;pwned\x07 escape"),
        (b"tab\tseparated\tjunk\n", "missing fields", "tab\tseparated\tjunk"),
    ]
    pending = list(bad)

    def write(now: float) -> None:
        data = clf_line(int(now))
        if pending:
            data += pending.pop(0)[0]
        append(log, data)

    clock = FakeClock(T0, write)
    monitor = Monitor(
        settings(log, out, rejects=rejects),
        io.StringIO(),
        Clock(clock.now, clock.sleep, lambda: clock.sleeps >= 10),
    )
    monitor.run()
    written = [line.split("\t", 2) for line in rejects.read_text(encoding="utf-8").split("\n")[:-1]]
    assert written == [[reason, str(log), line.rstrip("\n")] for _, reason, line in bad]
    assert sum(int(row["rejected"]) for row in rows(out / "stats.csv")) == len(bad)


def test_outputs_deleted_under_the_monitor_are_written_anew(tmp_path: Path) -> None:
    """`rm -r` of the output directory while the monitor runs: it says so and writes the CSVs
    anew (rows written to a deleted file would be lost); a directory that cannot be made
    again is one clear error, not a traceback."""
    from analyzer.outputs.sinks import OutputError

    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    clock = FakeClock(T0)
    stdout = io.StringIO()
    monitor = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    monitor.warm_start()
    append(log, lines_at([T0, T0]))
    clock.sleep(1)
    monitor.poll()
    monitor.report(clock.now())
    shutil.rmtree(out)
    append(log, lines_at([T0 + 1] * 3))
    clock.sleep(1)
    monitor.poll()
    monitor.report(clock.now())
    assert "were deleted: writing them anew" in stdout.getvalue()
    assert [row["requests"] for row in rows(out / "stats.csv")] == ["3"]
    shutil.rmtree(out)
    out.write_text("a file where the directory was")
    clock.sleep(1)
    try:
        monitor.poll()
    except OutputError as error:
        assert str(error).startswith(f"{out}: cannot write the outputs any more")
    else:
        raise AssertionError("a directory that cannot be made again must stop the monitor")
    monitor.outputs.close()
