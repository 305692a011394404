"""Restarts from the checkpoint: every line counted once, missed seconds judged, damage survived."""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from analyzer.core.alerts import AlertRule
from analyzer.follow.checkpoint import CHECKPOINT_NAME, Checkpoint, Keeper, load, rule_key, save
from analyzer.follow.fileid import Fingerprint, Identity, Position
from analyzer.live.monitor import Clock, Monitor
from analyzer.outputs.sinks import iso_utc
from tests.conftest import clf_line
from tests.live.test_monitor import T0, FakeClock, append, rows, settings


class Killed(BaseException):
    """SIGKILL as the monitor sees it: no clean stop, no last report."""


class Traffic:
    """Appends numbered Combined lines (and some garbage) to a log, remembering what it wrote."""

    def __init__(self, log: Path, per_second: int = 3) -> None:
        self.log = log
        self.per_second = per_second
        self.complete = 0
        self.sections: list[str | None] = []  # per complete line in order; None: not a request
        self.seconds: list[int] = []

    def write(self, second: int, count: int | None = None, garbage: bool = True) -> None:
        batch = b""
        for i in range(self.per_second if count is None else count):
            section = f"/s{(second + i) % 4}"
            batch += clf_line(second, path=f"{section}/x")
            self.sections.append(section)
            self.seconds.append(second)
        if garbage and second % 7 == 0:
            batch += b"not a log line\n"
            self.sections.append(None)
        self.complete += batch.count(b"\n")
        append(self.log, batch)

    def __call__(self, now: float) -> None:
        self.write(int(now))


def run(
    log: Path,
    out: Path,
    clock: FakeClock,
    ticks: int,
    kill: bool = False,
    stdout: io.StringIO | None = None,
    **options: object,
) -> Monitor:
    """Run a monitor for `ticks` fake seconds; then stop it cleanly, or kill it."""
    start = clock.sleeps

    def sleep(seconds: float) -> None:
        if kill and clock.sleeps - start >= ticks:
            raise Killed
        clock.sleep(seconds)

    def stop() -> bool:
        return not kill and clock.sleeps - start >= ticks

    monitor = Monitor(settings(log, out, **options), stdout or io.StringIO(), Clock(clock.now, sleep, stop))
    if kill:
        with pytest.raises(Killed):
            monitor.run()
    else:
        monitor.run()
    return monitor


def counted(out: Path) -> int:
    return sum(int(row["requests"]) + int(row["rejected"]) for row in rows(out / "stats.csv"))


def section_totals(out: Path) -> Counter[str]:
    totals: Counter[str] = Counter()
    for row in rows(out / "sections.csv"):
        totals[row["section"]] += int(row["hits"])
    return totals


def test_a_checkpoint_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """save then load gives the same checkpoint; the write goes through a temporary file."""
    position = Position(Identity(1, 2), 300, Fingerprint.of(b"head"), after_cr=True, live=False)
    checkpoint = Checkpoint("2/10/None", 1234, True, 99, {"/a.log": [position]}, {"/a.log": []}, 7, 5)
    path = tmp_path / CHECKPOINT_NAME
    save(path, checkpoint)
    assert load(path) == (checkpoint, None)
    assert os.listdir(tmp_path) == [CHECKPOINT_NAME]
    assert load(tmp_path / "none.json") == (None, None)


def test_positions_follow_what_stats_csv_holds(tmp_path: Path) -> None:
    """The last report's positions if its stats row landed, else those of the report before."""
    keeper = Keeper(tmp_path / CHECKPOINT_NAME, AlertRule(2, 10))
    old = {"/a.log": [Position(Identity(1, 2), 100, Fingerprint())]}
    new = {"/a.log": [Position(Identity(1, 2), 250, Fingerprint())]}
    keeper.start(old, 40)
    keeper.before_report(new, 40)
    checkpoint = Checkpoint(
        keeper.rule, None, False, keeper.stats_before, keeper.files, keeper.previous, keeper.files_at
    )
    assert checkpoint.positions(41)[0] == new
    assert checkpoint.positions(40)[0] == old


DAMAGED = [
    b"",
    b'{"version": 1, "rule": "2/10/None", "evaluated_to": 5',
    b"\x00\x00\x00\x00",
    b"[1, 2, 3]",
    b'{"version": 99}',
    b'{"version":1,"rule":"x","evaluated_to":true,"alert_on":false,"stats_before":0,"files":{},"previous":{}}',
    b'{"version":1,"rule":"x","evaluated_to":1,"alert_on":false,"stats_before":0,"previous":{},'
    b'"files":{"/a":[{"device":1,"inode":2,"offset":-5,"fingerprint":[0,""],"after_cr":false,"live":true}]}}',
]


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_checkpoint_gives_a_warning_and_a_safe_start(tmp_path: Path, damage: bytes) -> None:
    """A half-written, empty or nonsensical checkpoint is reported and ignored, never a crash."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log)
    traffic.write(T0 - 1)
    out.mkdir()
    (out / CHECKPOINT_NAME).write_bytes(damage)
    stdout = io.StringIO()
    clock = FakeClock(T0, traffic)
    start_lines = traffic.complete
    run(log, out, clock, 6, stdout=stdout)
    assert "analyzer: warning: the checkpoint" in stdout.getvalue()
    assert "starting without it" in stdout.getvalue()
    assert counted(out) == traffic.complete - start_lines
    assert load(out / CHECKPOINT_NAME)[1] is None, "a good checkpoint replaces the damaged one"


def test_a_killed_monitor_restarts_and_counts_every_line_once(tmp_path: Path) -> None:
    """Killed between reports, down for a while, restarted: stats.csv counts each line once."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log)
    for second in range(T0 - 40, T0):
        traffic.write(second)
    before_start = traffic.complete
    clock = FakeClock(T0, traffic)
    first = run(log, out, clock, 13, kill=True)
    assert first.engine.pending.frames, "killed with lines read but not yet reported"
    for second in range(int(clock.time), int(clock.time) + 20):  # written while it was down
        traffic.write(second)
    append(log, b"half a li")
    clock.time += 20
    second = run(log, out, clock, 12)
    stats = rows(out / "stats.csv")
    assert counted(out) == traffic.complete - before_start
    assert sum(int(row["warm"]) for row in stats) > 0, "the restart read back for its window"
    assert section_totals(out) == Counter(s for s in traffic.sections[before_start:] if s)
    assert second.engine.totals["requests"] > 0


def test_missed_seconds_are_judged_with_their_real_time(tmp_path: Path) -> None:
    """An episode that ended while the monitor was down is reported recovered at its real second."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log, per_second=5)
    clock = FakeClock(T0, lambda now: traffic.write(int(now), garbage=False))
    traffic.write(T0, garbage=False)
    before = traffic.complete  # read back at the first start: the window's, not counted
    run(log, out, clock, 12, kill=True)
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    down_from = int(clock.time)
    for second in range(down_from, T0 + 20):  # the burst goes on a little, then ...
        traffic.write(second, garbage=False)
    for second in range(T0 + 20, T0 + 3000):  # ... one line a second for the rest of the downtime
        traffic.write(second, count=1, garbage=False)
    clock.time = T0 + 3000
    stdout = io.StringIO()
    run(log, out, clock, 3, stdout=stdout)
    seconds = traffic.seconds
    recovered = next(t for t in range(T0 + 5, T0 + 3000) if sum(t - 10 < s <= t for s in seconds) <= 20)
    alerts = rows(out / "alerts.csv")
    assert [row["kind"] for row in alerts] == ["alert", "recovered"]
    assert alerts[1]["time"] == iso_utc(recovered)
    printed = [line for line in stdout.getvalue().splitlines() if line.startswith("High traffic")]
    assert printed == [alerts[1]["message"]]
    assert counted(out) == traffic.complete - before


def test_an_alert_written_just_before_a_crash_is_not_written_again(tmp_path: Path) -> None:
    """Killed after the alert row but before the checkpoint that follows it: no second alert row."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log, per_second=5)
    clock = FakeClock(T0, lambda now: traffic.write(int(now), garbage=False))
    traffic.write(T0, garbage=False)
    before = traffic.complete  # read back at the first start: the window's, not counted
    run(log, out, clock, 4, kill=True, interval=10)
    assert rows(out / "alerts.csv") == []
    stale = tmp_path / "stale.json"
    shutil.copyfile(out / CHECKPOINT_NAME, stale)
    run(log, out, clock, 2, kill=True, interval=10)
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    shutil.copyfile(stale, out / CHECKPOINT_NAME)  # as if the last checkpoint never reached the disk
    stdout = io.StringIO()
    run(log, out, clock, 15, stdout=stdout, interval=10)
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    assert not [line for line in stdout.getvalue().splitlines() if line.startswith("High traffic")]
    assert counted(out) == traffic.complete - before


def test_a_report_row_lost_in_a_crash_is_counted_by_the_restart(tmp_path: Path) -> None:
    """Killed after the checkpoint but before its stats row: the restart reads those lines again."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log)
    clock = FakeClock(T0, traffic)
    traffic.write(T0)
    before = traffic.complete  # read back at the first start: the window's, not counted
    run(log, out, clock, 11, kill=True)
    saved, _ = load(out / CHECKPOINT_NAME)
    assert saved is not None
    with open(out / "stats.csv", "r+b") as stats:
        stats.truncate(saved.stats_before)  # the last report's row never made it
    run(log, out, clock, 7)
    assert counted(out) == traffic.complete - before


def test_rotated_twice_and_truncated_while_down(tmp_path: Path) -> None:
    """Rotations (rename, then copytruncate) while down: the rest of each file is read once."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log)
    clock = FakeClock(T0, traffic)
    traffic.write(T0)
    before = traffic.complete  # read back at the first start: the window's, not counted
    run(log, out, clock, 8, kill=True)
    traffic.write(int(clock.time))
    os.rename(log, tmp_path / "access.log.1")
    traffic.write(int(clock.time) + 1)  # a new access.log
    os.rename(tmp_path / "access.log.1", tmp_path / "access.log.2")
    shutil.copyfile(log, tmp_path / "access.log.1")  # copytruncate of the new one
    os.truncate(log, 0)
    traffic.write(int(clock.time) + 2)
    clock.time += 3
    stdout = io.StringIO()
    run(log, out, clock, 8, stdout=stdout, rotate_wait=2)
    assert counted(out) == traffic.complete - before


def test_another_rule_keeps_the_positions_but_not_the_alert_state(tmp_path: Path) -> None:
    """A restart with another threshold resumes the files but judges afresh."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    traffic = Traffic(log, per_second=5)
    clock = FakeClock(T0, traffic)
    traffic.write(T0)
    before = traffic.complete  # read back at the first start: the window's, not counted
    run(log, out, clock, 7)
    saved, _ = load(out / CHECKPOINT_NAME)
    assert saved is not None and saved.rule == rule_key(AlertRule(2, 10))
    monitor = run(log, out, clock, 3, rule=AlertRule(threshold=1000, window=10))
    assert monitor.engine.resume_after is None
    assert counted(out) == traffic.complete - before
