"""Replay: the live monitor on the log's own clock gives exactly the backtest's transitions."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.core.report import Report
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.offline.backtest import backtest
from analyzer.offline.reader import check_log
from analyzer.offline.replay import Replay, ReplayClock
from analyzer.ui.display import FASTER, PLAY_PAUSE, SLOWER, Plain
from tests.conftest import clf_line

T0 = 1_764_300_000


class Unseen(Plain):
    """A display that draws no report: a year of log is thousands of blocks, and these tests
    read the CSVs (drawing is tested in tests/ui)."""

    def report(self, report: Report, title: str) -> None:
        pass


def replayed(
    paths: list[Path],
    rule: AlertRule,
    out: Path,
    speed: float = 1e6,
    lateness: int = 5,
    interval: int = 10,
    others: tuple[AlertRule, ...] = (),
) -> list[dict[str, str]]:
    """Run `replay` in process with no real sleeping; the rows of its alerts.csv."""
    names = [str(path) for path in paths]
    formats = {name: check_log(name) for name in names}
    slept: list[float] = []
    wall = [0.0]

    def sleep(seconds: float) -> None:  # a wall clock of its own: the test sleeps for real never
        slept.append(seconds)
        wall[0] += seconds

    replay = Replay(names, formats, None, speed, interval, lateness, sleep, lambda: wall[0])
    clock = replay.clock
    monitor_clock = Clock(clock.now, clock.sleep, replay.finished, clock.speed, clock.paused, clock.act)
    config = Settings(names, rule, others, interval, lateness, out=out, plain=True)
    Monitor(config, io.StringIO(), monitor_clock, Unseen(io.StringIO()), feeds=replay.feeds).run()
    assert sum(slept) < 60, "a replay at this speed sleeps little"
    with open(out / "alerts.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def backtested(paths: list[Path], rule: AlertRule, out: Path) -> list[dict[str, str]]:
    backtest(paths, [rule.threshold], rule.window, out=out)
    with open(out / "alerts.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def stats_lines(out: Path) -> int:
    with open(out / "stats.csv", newline="") as handle:
        return sum(
            int(row["requests"]) + int(row["rejected"]) + int(row["directives"] or 0)
            for row in csv.DictReader(handle)
        )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(1, 6)), min_size=1, max_size=60),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.5, 1, 2]),
)
def test_replay_equals_backtest_on_lines_out_of_order(
    tmp_path_factory: pytest.TempPathFactory, bursts: list[tuple[int, int]], seed: int, threshold: float
) -> None:
    """Bursts of traffic, the lines shuffled within minutes: replay and backtest agree."""
    folder = tmp_path_factory.mktemp("replay")
    seconds = [T0 + start + i for start, length in bursts for i in range(length * 3) for _ in range(2)]
    shuffle = random.Random(seed)
    seconds.sort(key=lambda second: second + shuffle.randint(-300, 300))  # out of order by minutes
    log = folder / "access.log"
    log.write_bytes(b"".join(clf_line(second) for second in seconds) + b"garbage\n")
    rule = AlertRule(threshold=threshold, window=20)
    assert replayed([log], rule, folder / "r") == backtested([log], rule, folder / "b")
    assert stats_lines(folder / "r") == len(seconds) + 1


def test_the_clock_runs_at_its_speed_pauses_and_stops_at_the_end() -> None:
    slept: list[float] = []
    wall = [100.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    events = [T0 + 10]
    clock = ReplayClock(
        T0, speed=60, gap=30, next_event=lambda: events[0], wall_sleep=sleep, wall_now=lambda: wall[0]
    )
    clock.sleep(6)
    assert clock.now() == T0 + 6 and slept == [pytest.approx(0.1)]
    wall[0] += 0.05  # the work of a step: the next sleep is shorter by as much
    clock.sleep(6)
    assert clock.now() == T0 + 12 and abs(slept[-1] - 0.05) < 1e-9
    clock.act(FASTER)
    clock.sleep(12)
    assert clock.speed() == 120 and abs(slept[-1] - 0.1) < 1e-9
    clock.sleep(0.3)  # 2.5 ms of wall time: left for the next step
    assert len(slept) == 3 and clock.now() == T0 + 24.3
    clock.act(SLOWER)
    clock.act(SLOWER)
    assert clock.speed() == 30
    clock.act(PLAY_PAUSE)
    before = clock.now()
    clock.sleep(5)
    assert clock.paused() and clock.now() == before, "paused: the log's time stands still"
    clock.act(PLAY_PAUSE)
    events[0] = T0 + 10_000  # a quiet stretch longer than the gap: skipped at once
    clock.sleep(1)
    assert clock.now() == T0 + 10_000 - 1
    clock.end = float(T0 + 10_005)
    clock.sleep(60)
    assert clock.now() == T0 + 10_005 and clock.done()
