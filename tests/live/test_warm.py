"""The warm start and restarts: the window right at once, every line counted once, each alert once."""

from __future__ import annotations

import io
import math
import os
import shutil
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule, rule_key
from analyzer.core.times import iso_utc
from analyzer.follow.checkpoint import CHECKPOINT_NAME, load
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock
from tests.conftest import clf_line, lines_at
from tests.follow.test_checkpoint import DAMAGED
from tests.live.conftest import (
    T0,
    FakeClock,
    alert_message,
    append,
    counted,
    rows,
    run_until,
    settings,
)


def test_warm_start_reads_back_into_the_window_not_the_counts(tmp_path: Path) -> None:
    """Lines already in the file fill the window and the `warm` column, never `requests`."""
    log = tmp_path / "access.log"
    history = list(range(T0 - 3000, T0))  # one line a second: far more than the first block
    log.write_bytes(lines_at(history) + clf_line(T0)[:20])  # and an unfinished line
    clock = FakeClock(T0 + 0.5)
    out = tmp_path / "out"
    monitor = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    monitor.warm_start()
    warm = monitor.engine.pending.warm
    reach = 2 * 10 + 1
    assert reach <= warm < len(history), "read back enough to cover the window, not the whole file"
    monitor.poll()
    monitor.report(clock.now())
    (row,) = rows(out / "stats.csv")
    assert int(row["warm"]) == warm
    assert (row["requests"], row["rejected"]) == ("0", "0")
    assert int(row["window_requests"]) == 9  # one line a second in (T0 - 10, T0]: T0-9 .. T0-1
    assert row["alert_on"] == "0"
    # The unfinished line is read once it is complete, as a request.
    append(log, clf_line(T0)[20:])
    monitor.poll()
    monitor.report(clock.now() + 5)
    assert [int(r["requests"]) for r in rows(out / "stats.csv")] == [0, 1]


def test_warm_start_with_a_busy_tail_alerts_at_once(tmp_path: Path) -> None:
    """A high-traffic tail already in the file raises the alert at the first poll."""
    log = tmp_path / "access.log"
    quiet = list(range(T0 - 200, T0 - 10))
    busy = [second for second in range(T0 - 10, T0) for _ in range(5)]
    log.write_bytes(lines_at(quiet) + lines_at(busy))
    clock = FakeClock(T0)
    stdout = io.StringIO()
    out = tmp_path / "out"
    monitor = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    monitor.warm_start()
    monitor.poll()
    seconds = quiet + busy
    horizon = T0 - 1
    first_on = next(t for t in range(horizon - 9, horizon + 1) if sum(t - 10 < s <= t for s in seconds) > 20)
    hits = sum(first_on - 10 < s <= first_on for s in seconds)
    alerts = rows(out / "alerts.csv")
    assert [row["kind"] for row in alerts] == ["alert"]
    assert alerts[0]["message"] == alert_message(hits, 10, first_on)
    assert alert_message(hits, 10, first_on) in stdout.getvalue()


def test_restart_during_an_episode_writes_no_second_alert(tmp_path: Path) -> None:
    """A monitor restarted while traffic is still high restores `alert on` from alerts.csv."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")

    def write(now: float) -> None:
        append(log, lines_at([int(now)] * 5))

    out = tmp_path / "out"
    clock = FakeClock(T0, write)
    first = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    first.warm_start()
    run_until(first, clock, 15)
    first.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]

    clock.time += 30  # down for a while, traffic goes on
    append(
        log, lines_at([second for second in range(int(clock.time) - 30, int(clock.time)) for _ in range(5)])
    )
    stdout = io.StringIO()
    second = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    assert second.engine.alert_on
    second.warm_start()
    run_until(second, clock, 15)
    second.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    assert "High traffic" not in stdout.getvalue()
    assert (out / "alerts.csv").read_text().count("time,kind,hits") == 1


def test_restart_after_the_episode_ended_writes_recovered(tmp_path: Path) -> None:
    """A monitor restarted after the traffic stopped writes the missing `recovered` row."""
    log = tmp_path / "access.log"
    log.write_bytes(lines_at([T0 + k for k in range(10) for _ in range(5)]))
    out = tmp_path / "out"
    clock = FakeClock(T0 + 10)
    first = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    first.warm_start()
    first.poll()
    first.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]

    clock.time = T0 + 100  # the monitor was down when traffic stopped
    stdout = io.StringIO()
    second = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    second.warm_start()
    second.poll()
    run_until(second, clock, 3)
    second.outputs.close()
    alerts = rows(out / "alerts.csv")
    assert [row["kind"] for row in alerts] == ["alert", "recovered"]
    # Traffic ended at T0 + 9: the window is back to <= 20 hits at T0 + 15 at the earliest.
    recovered_at = datetime.strptime(alerts[1]["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert T0 + 15 <= recovered_at.timestamp() <= T0 + 100 - 1
    assert stdout.getvalue().count("High traffic alert recovered") == 1
    assert "generated an alert" not in stdout.getvalue()


def test_restart_after_a_long_busy_downtime_writes_no_second_alert(tmp_path: Path) -> None:
    """A restart whose read-back is cut short (a big file) keeps the restored alert, no second row."""
    log = tmp_path / "access.log"
    out = tmp_path / "out"
    log.write_bytes(lines_at([T0 + k for k in range(10) for _ in range(5)]))
    clock = FakeClock(T0 + 10)
    first = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    first.warm_start()
    first.poll()
    first.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]

    append(log, lines_at([T0 + k for k in range(10, 3000) for _ in range(5)]))  # ~1 MB, still 5/s
    clock.time = T0 + 3000
    stdout = io.StringIO()
    second = Monitor(settings(log, out), stdout, Clock(clock.now, clock.sleep))
    second.warm_start()
    assert second.engine.pending.warm < 5 * 3000, "the read-back should stop well before the file start"
    second.poll()
    second.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    assert "High traffic" not in stdout.getvalue()


def test_restart_ignores_alerts_of_another_threshold(tmp_path: Path) -> None:
    """An `alert` row for another threshold does not turn this rule's alert on."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "alerts.csv").write_text(
        "time,kind,hits,threshold,window_s,message\n2026-01-01T00:00:00Z,alert,9.00,7,10,x\n"
    )
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    clock = FakeClock(T0 + 100)
    monitor = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    assert not monitor.engine.alert_on
    monitor.poll()
    monitor.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]


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


def section_totals(out: Path) -> Counter[str]:
    totals: Counter[str] = Counter()
    for row in rows(out / "sections.csv"):
        totals[row["section"]] += int(row["hits"])
    return totals


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
    assert first.engine.pending.requests, "killed with lines read but not yet reported"
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


def rotate_to(log: Path, number: int) -> None:
    os.rename(log, log.with_name(f"access.log.{number}"))


def test_a_start_right_after_a_rotation_fills_the_window_from_the_generations_before(tmp_path: Path) -> None:
    """Rotated 4 s ago and 6 s before that: the 2 windows + lateness the warm start needs are
    in three files, and it reads each back, newest first, until they are whole."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(lines_at(range(T0 - 3000, T0 - 10)) + b"".join(clf_line(T0 - 10) for _ in range(2)))
    rotate_to(log, 2)
    log.write_bytes(b"".join(clf_line(T0 - s) for s in range(9, 3, -1) for _ in range(3)))
    rotate_to(log, 1)
    log.write_bytes(b"".join(clf_line(T0 - s) for s in range(3, 0, -1) for _ in range(3)))
    clock = FakeClock(T0 + 0.5)
    monitor = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    monitor.warm_start()
    monitor.report(clock.now())
    (row,) = rows(out / "stats.csv")
    assert int(row["window_requests"]) == 9 * 3  # seconds T0-9 .. T0-1, from .1 and the live file
    assert 21 + 3 * 6 + 3 * 3 <= int(row["warm"]) < 3000, "back 2 windows + lateness, into .2, not all of it"
    assert monitor.engine.known_from is not None and monitor.engine.known_from <= T0 - 21


def test_a_restart_after_a_rotation_while_down_sees_the_whole_window(tmp_path: Path) -> None:
    """SIGKILLed mid-traffic, rotated while down, restarted: the window holds exactly the
    lines the files hold for its seconds (the checkpoint file's before its position, the rest
    after it and the new file's), so its rate is the files' rate."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    rule = AlertRule(threshold=2.5, window=10)
    traffic = Traffic(log, per_second=4)

    def server(now: float) -> None:
        if int(now) == T0 + 10 and not log.with_name("access.log.1").exists():
            rotate_to(log, 1)  # a rotation while running, 4 s before the kill ...
            log.write_bytes(b"")
        traffic(now)

    clock = FakeClock(T0, server)
    run(log, out, clock, 14, kill=True, rule=rule)
    rotate_to(log.with_name("access.log.1"), 2)  # ... and one while down
    rotate_to(log, 1)
    log.write_bytes(b"")
    for _ in range(3):  # down for 3 s, the server writing the new file
        clock.sleep(1.0)
    monitor = Monitor(settings(log, out, rule=rule), io.StringIO(), Clock(clock.now, clock.sleep))
    monitor.warm_start()
    monitor.poll()
    now = int(clock.now())
    report = monitor.engine.report(clock.now(), 5)
    in_window = sum(1 for second in traffic.seconds if now - rule.window < second <= now)
    assert report.window.requests == in_window
    assert report.window.rate == in_window / rule.window > rule.threshold
    assert not monitor.engine.alert_on or monitor.engine.history[-1].kind == "alert"


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    threshold=st.decimals(min_value="0.5", max_value="40", places=7, allow_nan=False),
    keep_checkpoint=st.booleans(),
)
def test_a_restart_during_an_episode_never_writes_a_second_alert_whatever_the_threshold(
    tmp_path_factory: pytest.TempPathFactory, threshold: Decimal, keep_checkpoint: bool
) -> None:
    """The rule is found again by its exact digits (12.3456789 is not 12.3457), with or without
    the checkpoint: the restored alert is not written a second time."""
    rule = AlertRule(float(threshold), window=10)
    per_second = math.floor(threshold) + 1  # above the threshold, every second
    base = tmp_path_factory.mktemp("restart")
    log, out = base / "access.log", base / "out"
    log.write_bytes(b"")

    def write(now: float) -> None:
        append(log, lines_at([int(now) - 1] * per_second))

    clock = FakeClock(T0, write)
    first = Monitor(settings(log, out, rule=rule), io.StringIO(), Clock(clock.now, clock.sleep))
    first.warm_start()
    run_until(first, clock, 20)
    first.finish()
    first.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]
    if not keep_checkpoint:
        (out / CHECKPOINT_NAME).unlink()
    clock.time += 20  # down for a while; the traffic goes on
    down = range(int(clock.time) - 20, int(clock.time))
    append(log, lines_at([second for second in down for _ in range(per_second)]))
    second = Monitor(settings(log, out, rule=rule), io.StringIO(), Clock(clock.now, clock.sleep))
    second.warm_start()
    run_until(second, clock, 15)
    second.outputs.close()
    assert [row["kind"] for row in rows(out / "alerts.csv")] == ["alert"]


def test_moving_stats_aside_after_a_clean_stop_counts_no_line_twice(tmp_path: Path) -> None:
    """The README's advice when upgrading: stop, move stats.csv aside, start. The restart must
    not read the last report's lines again (the checkpoint knows that report was written)."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")

    def write(now: float) -> None:
        append(log, lines_at([int(now) - 1] * 3))

    clock = FakeClock(T0, write)
    first = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    first.warm_start()
    run_until(first, clock, 12)
    first.finish()
    first.outputs.close()
    before = counted(out)
    os.rename(out / "stats.csv", tmp_path / "stats-old.csv")
    second = Monitor(settings(log, out), io.StringIO(), Clock(clock.now, clock.sleep))
    second.warm_start()
    run_until(second, clock, 6)
    second.finish()
    second.outputs.close()
    lines = len(log.read_bytes().splitlines())
    assert before + counted(out) == lines
