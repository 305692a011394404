"""Clocks that disagree: the host's stepping, the log's jumping or skewed, a checkpoint from the
future. Whatever they do, a burst alerts within lateness + 2 s of the second it crossed (in
the log's time) and recovers when it ends, and the screen names the clock problem."""

from __future__ import annotations

import glob
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from analyzer.core.alerts import AlertRule, Transition, check_seconds
from analyzer.core.clocks import LogClock, jumped_back, skew_words, span_words
from analyzer.core.times import iso_utc
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock
from tests.conftest import clf_line
from tests.live.conftest import append, rows, settings

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
RULE = AlertRule(threshold=10, window=20)  # on above 200 hits in 20 s
LATENESS = 5
BASE, BURST = 2, 30  # req/s: quiet, and 3x the threshold
HOUR = 3600


class World:
    """A host whose wall clock may step, a pacing clock that never does, and a web server that
    stamps its lines with a clock of its own (the host's, or one apart), one second at a time."""

    def __init__(self, log: Path, host: float = 0, writer: float = 0, same_host: bool = True) -> None:
        self.log = log
        self.tick = float(T0)  # the pacing (monotonic) clock
        self.host = host  # wall = tick + host
        self.writer = writer  # the server's clock = tick + writer (+ host when on this host)
        self.same_host = same_host
        self.rate: Callable[[int], int] = lambda second: BASE
        self.written: list[tuple[float, int]] = []  # (tick when written, stamped second) per second
        self.seconds: list[int] = []

    def wall(self) -> float:
        return self.tick + self.host

    def stamp(self, tick: float) -> int:
        return int(tick + self.writer + (self.host if self.same_host else 0))

    def sleep(self, seconds: float) -> None:
        before = int(self.tick)
        self.tick += seconds
        for second in range(before, int(self.tick)):  # each whole second just ended
            stamped = self.stamp(second)
            count = self.rate(second - T0)
            append(self.log, clf_line(stamped) * count)
            self.written.append((second + 1, stamped))
            self.seconds += [stamped] * count

    def written_at(self, stamped: int) -> float:
        return next(tick for tick, second in self.written if second == stamped)


def run(
    tmp_path: Path, world: World, ticks: int, event: Callable[[World, int], None] | None = None
) -> tuple[Monitor, list[tuple[float, Transition]], str]:
    stdout = io.StringIO()
    options = {"rule": RULE, "lateness": LATENESS, "interval": 10}
    done = lambda: int(world.tick) - T0 >= ticks  # noqa: E731
    clock = Clock(world.wall, world.sleep, done, monotonic=lambda: world.tick)
    monitor = Monitor(settings(world.log, tmp_path / "out", **options), stdout, clock)
    found: list[tuple[float, Transition]] = []
    write = monitor.outputs.transition

    def spy(transition: Transition) -> None:
        found.append((world.tick, transition))
        write(transition)

    monitor.outputs.transition = spy  # type: ignore[method-assign]
    if event is not None:
        sleep = world.sleep

        def sleep_and_act(seconds: float) -> None:
            sleep(seconds)
            event(world, int(world.tick) - T0)

        clock.sleep = sleep_and_act
    monitor.run()
    return monitor, found, stdout.getvalue()


def burst_from(start: int, length: int = 30) -> Callable[[int], int]:
    return lambda elapsed: BURST if start <= elapsed < start + length else BASE


def assert_on_time(world: World, found: list[tuple[float, Transition]], since: int | None = None) -> None:
    """The transitions are the contract's over the log's own seconds (from `since`, where the log's
    time restarted), each written within lateness + 2 s of its second's lines being written."""
    seconds = np.array([s for s in world.seconds if since is None or s >= since])
    start = int(seconds.min()) if since is None else since
    truth, _ = check_seconds(seconds, start, int(seconds.max()) - LATENESS, False, RULE)
    assert [(t.second, t.kind) for _, t in found] == [(t.second, t.kind) for t in truth]
    assert [t.kind for t in truth] == ["alert", "recovered"]
    for written, transition in found:
        assert written - world.written_at(transition.second) <= LATENESS + 2, iso_utc(transition.second)


@pytest.mark.parametrize("step", [-HOUR, HOUR])
@pytest.mark.parametrize("same_host", [True, False])
def test_a_step_of_the_host_clock_never_stops_the_alert_or_the_reports(
    tmp_path: Path, step: int, same_host: bool
) -> None:
    """NTP steps the host's clock 15 s into the run; the server stamps with it (same host) or
    not (logs shipped): the burst right after alerts on time, reports keep their pace."""
    world = World(tmp_path / "access.log", same_host=same_host)
    world.log.write_bytes(b"")
    world.rate = burst_from(20)

    def event(world: World, elapsed: int) -> None:
        if elapsed == 15:
            world.host += step

    monitor, found, text = run(tmp_path, world, 120, event)
    restart = world.stamp(T0 + 15) if same_host and step < 0 else None
    assert_on_time(world, found, restart)
    assert monitor.engine.totals["late"] == 0
    assert len(rows(tmp_path / "out" / "stats.csv")) >= 11, "a report every 10 s throughout"
    assert f"this host's clock stepped {'back' if step < 0 else 'forward'} 1 h 00 min" in text
    if same_host and step < 0:
        assert "the log's time jumped back 1 h 00 min" in text


def test_the_log_s_time_jumping_back_an_hour_restarts_the_window(tmp_path: Path) -> None:
    world = World(tmp_path / "access.log")
    world.log.write_bytes(b"")
    world.rate = burst_from(20)

    def event(world: World, elapsed: int) -> None:
        if elapsed == 15:
            world.writer -= HOUR  # the server's clock corrected

    monitor, found, text = run(tmp_path, world, 120, event)
    assert_on_time(world, found, since=world.stamp(T0 + 15))
    assert monitor.engine.totals["late"] == 0
    assert "the log's time jumped back 1 h 00 min" in text
    assert "log clock 1 h 00 min behind this host" in text


@pytest.mark.parametrize("skew", [60, 600, -60, -600])
def test_a_log_clock_ahead_or_behind_is_judged_on_its_own_time(tmp_path: Path, skew: int) -> None:
    world = World(tmp_path / "access.log", writer=skew)
    world.log.write_bytes(b"")
    world.rate = burst_from(30)
    monitor, found, text = run(tmp_path, world, 130)
    assert_on_time(world, found)
    assert monitor.engine.totals["late"] == 0
    assert skew_words(skew) in text
    status = monitor.status(world.wall())
    assert status.rate_now == BASE and status.recent_to - world.stamp(world.tick) in (-2, -1, 0)


def test_a_checkpoint_from_the_future_is_not_trusted(tmp_path: Path) -> None:
    """Saved while the host's clock (and the server's) was an hour ahead; now both are right."""
    ahead = World(tmp_path / "access.log", host=HOUR)
    ahead.log.write_bytes(b"")
    run(tmp_path, ahead, 30)
    world = World(tmp_path / "access.log")
    world.tick = ahead.tick + 5
    world.rate = burst_from(20)
    _, found, text = run(tmp_path, world, int(world.tick) - T0 + 80)
    assert "not trusted; judging goes on from the log" in text
    assert [t.kind for _, t in found] == ["alert", "recovered"]
    for written, transition in found:
        assert written - world.written_at(transition.second) <= LATENESS + 2


def test_a_restart_after_a_silence_is_not_taken_for_a_log_clock_behind(tmp_path: Path) -> None:
    """Down for a minute, the server silent for its last 10 s: the restart's first read ends at
    a line 10 s old, the age of the wait, not a skew. Nothing is said of the log's clock, and
    the burst after is judged on time."""
    world = World(tmp_path / "access.log")
    world.log.write_bytes(b"")
    run(tmp_path, world, 40)
    world.rate = lambda elapsed: 0 if 90 <= elapsed < 100 else burst_from(110)(elapsed)
    world.sleep(60)  # down: lines written, then none for 10 s
    monitor, found, text = run(tmp_path, world, 200)
    assert "this host" not in text and monitor.engine.log_clock.skew() == 0
    assert_on_time(world, found)


def test_the_skew_is_the_median_of_the_last_reads() -> None:
    clock = LogClock()
    assert clock.skew() == 0
    for read_at in range(T0, T0 + 5):
        clock.observe(np.array([read_at + 58, read_at + 59]), read_at + 0.5)  # the second just ended
    clock.observe(np.array([T0 + 10**8]), T0 + 6)  # one odd line moves nothing
    assert clock.skew() == 60


def test_after_a_host_step_the_next_read_tells_whose_clock_stepped() -> None:
    shipped, local = LogClock(), LogClock()
    for clock in (shipped, local):
        for read_at in range(T0, T0 + 5):
            clock.observe(np.array([read_at - 1]), read_at)
        clock.host_stepped(-HOUR)
        assert clock.skew() == HOUR  # as if the log kept its own time
    shipped.observe(np.array([T0 + 5]), T0 + 6 - HOUR)
    local.observe(np.array([T0 + 5 - HOUR]), T0 + 6 - HOUR)
    assert (shipped.skew(), local.skew()) == (HOUR, 0)


def test_a_jump_is_most_of_a_batch_more_than_a_window_back() -> None:
    assert jumped_back(np.array([T0 - 100] * 3), T0, 20)
    assert not jumped_back(np.array([T0 - 100, T0, T0]), T0, 20)  # stragglers are late, not a jump
    assert not jumped_back(np.array([T0 - 100]), None, 20)
    assert (span_words(45), span_words(-720), span_words(3900), span_words(3 * 86400)) == (
        "45 s",
        "12 min",
        "1 h 05 min",
        "3 days",
    )


FAKETIME = next(iter(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")), None)  # Debian's faketime


@pytest.mark.skipif(FAKETIME is None, reason="faketime is not installed: .ci/run installs it")
def test_a_real_monitor_whose_host_clock_is_a_minute_behind_the_server_s(tmp_path: Path) -> None:
    """A real process under faketime, its clock 60 s behind the writer's (this process's): the
    burst alerts within lateness + 2 s of its crossing and the output names the skew. A 4 s
    window: the burst is over and recovered in 8 s of traffic, and 12 s of it are enough."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    options = ["--plain", "--window", "4", "--threshold", "4", "--lateness", "2", "--interval", "2"]
    command = [sys.executable, "-m", "analyzer", str(log), "--out", str(out), *options]
    faked = {**os.environ, "LD_PRELOAD": str(FAKETIME), "FAKETIME": "-60s"}
    with open(tmp_path / "stdout", "wb") as stdout:
        monitor = subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT, env=faked)
    seconds: list[int] = []
    alert_seen: float | None = None
    try:
        # Following (its first checkpoint written) before the traffic: its start, slow on a
        # loaded machine, is not what the alert's delay measures.
        deadline = time.monotonic() + 60
        while monitor.poll() is None and not (out / "checkpoint.json").exists():
            assert time.monotonic() < deadline, "the monitor did not start in 60 s"
            time.sleep(0.05)
        second = int(time.time()) + 1
        for elapsed in range(12):  # bounded: 12 s of traffic
            time.sleep(max(0.0, second + 1 - time.time()))  # the second just ended
            count = 20 if 3 <= elapsed < 5 else 1  # on above 16 hits in 4 s: from the burst's first
            append(log, clf_line(second) * count)
            seconds += [second] * count
            second += 1
            alerts = out / "alerts.csv"
            if alert_seen is None and alerts.exists() and "alert," in alerts.read_text():
                alert_seen = time.time()
    finally:
        monitor.send_signal(signal.SIGINT)
        assert monitor.wait(timeout=20) == 0
    rule = AlertRule(threshold=4, window=4)
    truth, _ = check_seconds(np.array(seconds), min(seconds), max(seconds) - 3, False, rule)
    assert [t.kind for t in truth] == ["alert", "recovered"]  # the run is long enough for both
    found = rows(out / "alerts.csv")
    assert [(row["time"], row["kind"]) for row in found] == [(iso_utc(t.second), t.kind) for t in truth]
    assert alert_seen is not None and alert_seen - (truth[0].second + 1) <= 2 + 2 + 1  # a poll's slack
    text = (tmp_path / "stdout").read_text()
    assert "log clock 60 s ahead of this host" in text
