"""Replay: the live monitor on the log's own clock gives exactly the backtest's transitions."""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import MAX_CATCH_UP
from analyzer.core.report import Report
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.offline.backtest import backtest
from analyzer.offline.reader import check_log
from analyzer.offline.replay import Replay, ReplayClock, joined, next_time
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
    polls: list[float] | None = None,
) -> list[dict[str, str]]:
    """Run `replay` in process with no real sleeping; the rows of its alerts.csv. `polls`
    gets the replay's time at each poll's end."""
    names = [str(path) for path in paths]
    formats = {name: check_log(name) for name in names}
    slept: list[float] = []
    wall = [0.0]

    def sleep(seconds: float) -> None:  # a wall clock of its own: the test sleeps for real never
        slept.append(seconds)
        wall[0] += seconds

    replay = Replay(names, formats, None, speed, interval, lateness, sleep, lambda: wall[0])
    clock = replay.clock

    def poll_sleep(seconds: float) -> None:
        if polls is not None:
            polls.append(clock.now())
        clock.sleep(seconds)

    monitor_clock = Clock(clock.now, poll_sleep, replay.finished, clock.speed, clock.paused, clock.act)
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


HOUR = 3600
GARBAGE = b"garbage\n"


def test_a_speed_over_the_keys_top_is_played_as_asked_and_plus_never_slows_it() -> None:
    slept: list[float] = []
    clock = ReplayClock(T0, 1e9, 10, lambda: None, slept.append, lambda: 100.0)
    assert clock.speed() == 1e9
    clock.sleep(HOUR)
    assert clock.now() == T0 + HOUR and slept == [], "3.6 microseconds: not waited"
    clock.act(FASTER)
    assert clock.speed() == 1e9
    clock.act(SLOWER)
    assert clock.speed() == 5e8
    keys = ReplayClock(T0, 6e5, 10, lambda: None, slept.append, lambda: 100.0)
    keys.act(FASTER)
    keys.act(FASTER)
    assert keys.speed() == 1e6, "the keys' top"


@given(
    start=st.integers(0, 40_000),
    step=st.sampled_from([1.0, 7.0, 60.0, 3600.0]),
    ahead=st.none() | st.integers(-5, 100_000),
    end=st.none() | st.integers(0, 100_000),
    read=st.none() | st.integers(0, 100_000),
    first_check=st.none() | st.integers(-10, 100_000),
)
def test_a_fast_jump_hands_the_next_line_and_under_a_step_of_log_and_stays_where_it_is_known(
    start: int, step: float, ahead: int | None, end: int | None, read: int | None, first_check: int | None
) -> None:
    """Jumping equals stepping less the polls that hand nothing: the poll it lands on hands
    the next line and lines of under a step (what a step's bound protects), never past the
    log's end, what is read of it, or the engine's first check's reach. Quarter seconds: a
    slow spell before."""
    time = T0 + start / 4
    upcoming = None if ahead is None else math.floor(time) + ahead
    last = None if end is None else float(math.floor(time) + end)
    read_to = math.inf if read is None else max(upcoming or 0, math.floor(time) + read)
    check = -math.inf if first_check is None else math.floor(time) + first_check
    landing, jumped = next_time(time, step, upcoming, last, 10, True, check, read_to)
    target = time + step if last is None else min(time + step, last)
    if upcoming is None or upcoming <= target:  # lines due in the step (or none known): a step
        assert (landing, jumped) == (target, False)
        return
    bounds = [read_to, math.inf if last is None else last]
    if time < check:
        bounds.append(check + MAX_CATCH_UP)
    assert landing == min(upcoming - 1 + step, *bounds) and jumped == (landing > target)
    assert landing >= upcoming or landing == min(bounds), "the line is handed unless a bound holds"
    assert landing - step < upcoming, "under a step of log in one poll"


@given(
    start=st.integers(0, 40_000),
    step=st.sampled_from([0.5, 1.0, 6.0, 60.0, 3600.0]),
    ahead=st.none() | st.integers(-5, 10_000),
    end=st.none() | st.integers(0, 10_000),
    gap=st.sampled_from([1, 10, 3600]),
)
def test_a_watched_replay_steps_and_skips_quiet_stretches_longer_than_a_report_as_before(
    start: int, step: float, ahead: int | None, end: int | None, gap: int
) -> None:
    """Under FAST_SPEED: a step, or a quiet stretch over `gap` skipped to just before its line."""
    time = T0 + start / 4
    upcoming = None if ahead is None else math.floor(time) + ahead
    last = None if end is None else float(math.floor(time) + end)
    target = time + step if last is None else min(time + step, last)
    if upcoming is not None and upcoming - target > gap:
        expected = upcoming - 1 if last is None else min(upcoming - 1, last)
    else:
        expected = target
    assert next_time(time, step, upcoming, last, gap) == (expected, expected > target)


@given(
    st.lists(st.integers(0, 30 * HOUR), max_size=40).map(sorted),
    st.integers(0, 30 * HOUR),
    st.integers(0, 40 * HOUR),
    st.integers(0, 30),
    st.integers(1, 40),
)
def test_a_fast_poll_joins_the_polls_of_the_next_hours_with_lines_while_its_bounds_hold(
    seconds: list[int], landing: int, limit: int, most: int, lines: int
) -> None:
    """A poll that joins the next hours with lines lands where the polls of its own each would
    have landed in turn (just before an hour's first line, plus the step), as many as it may:
    the next one would go past `limit`, hand over `lines` lines, or be one more than `most`."""
    waiting = np.array(seconds[: lines + 1], np.int64)
    polls = [landing]  # where the polls it joins would land, one after the other
    while any(second > polls[-1] for second in seconds):
        polls.append(min(second for second in seconds if second > polls[-1]) - 1 + HOUR)
    found, hours = joined(landing, HOUR, waiting, limit, most, lines)
    assert found == polls[hours]
    assert sum(second <= found for second in seconds) <= lines or hours == 0
    following = polls[hours + 1] if hours + 1 < len(polls) else None
    assert (
        hours == most
        or following is None
        or following > limit
        or sum(second <= following for second in seconds) > lines
    ), "it stops only where a bound holds"


def test_no_jump_passes_the_first_check_by_more_than_it_reaches_back() -> None:
    """The engine's first check reaches back MAX_CATCH_UP: a jump past it would leave seconds
    unjudged; once the first check is made, a jump goes as far as the next line."""
    first_check = T0 + 5
    for fast in (True, False):
        assert next_time(T0, HOUR, T0 + 30 * 86_400, None, 10, fast, first_check) == (
            first_check + MAX_CATCH_UP,
            True,
        )
    assert next_time(T0 + 10, HOUR, T0 + 30 * 86_400, None, 10, True, first_check) == (
        T0 + 30 * 86_400 - 1 + HOUR,
        True,
    )


@pytest.mark.parametrize("speed", [60, 1e6])
def test_a_burst_then_days_of_silence_from_the_first_line_alerts_and_recovers(
    tmp_path: Path, speed: float
) -> None:
    """The first check reaches back to the log's first second however long the silence after
    it: a replay skipped over it once, judging from a day before the next line, and missed
    the alert and its recovery."""
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(T0) * 30 + clf_line(T0 + 3 * 86_400))
    rule = AlertRule(threshold=1, window=20)
    alerts = replayed([log], rule, tmp_path / "r", speed=speed)
    assert [row["kind"] for row in alerts] == ["alert", "recovered"]
    assert alerts == backtested([log], rule, tmp_path / "b")


def test_a_fast_replay_of_a_sparse_year_polls_once_an_hour_with_lines_and_writes_a_slow_ones_csvs(
    tmp_path: Path,
) -> None:
    """Lines in 23 hours of a year, 16 days apart (rejected lines among them): a poll per hour
    with lines (no poll joins hours more than a day apart), not one per hour of the year, and
    a watched replay's CSVs byte for byte."""
    hours = [day * 86_400 + hour * HOUR for day in range(0, 365, 16) for hour in (3,)]
    seconds = [T0 + at + offset for at in hours for offset in (0, 1, 1, 300)]
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(clf_line(second) + (GARBAGE if second % 7 == 0 else b"") for second in seconds))
    rule = AlertRule(threshold=0.02, window=120)
    polls: list[float] = []
    fast = replayed([log], rule, tmp_path / "fast", speed=1e6, polls=polls)
    assert len(polls) <= len(hours) + 2, "a poll an hour with lines, the first and the last"
    slow = replayed([log], rule, tmp_path / "slow", speed=600)
    assert fast == slow == backtested([log], rule, tmp_path / "b")
    assert fast, "the threshold is low enough to fire"
    for name in ("stats.csv", "sections.csv", "alerts.csv"):
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes()


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40 * 24), st.integers(0, HOUR - 1), st.integers(1, 4), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([10, 60]),
)
@example([(0, 0, 1, False), (1, 1, 2, False)], 10)  # the log ends after a jump's line, not yet known
def test_a_fast_replay_writes_the_csvs_of_a_slow_one_whatever_the_quiet_stretches(
    tmp_path_factory: pytest.TempPathFactory, clusters: list[tuple[int, int, int, bool]], interval: int
) -> None:
    """Lines in clusters hours to weeks apart, each maybe followed by a rejected line: jumped
    at 1,000,000x (a poll for the hours with lines of up to a day) or stepped at 600x, the
    same bytes."""
    folder = tmp_path_factory.mktemp("jumps")
    log = folder / "access.log"
    log.write_bytes(
        b"".join(
            clf_line(T0 + hour * HOUR + second) * count + (GARBAGE if rejected else b"")
            for hour, second, count, rejected in clusters
        )
    )
    rule = AlertRule(threshold=0.01, window=120)
    fast = replayed([log], rule, folder / "fast", speed=1e6, interval=interval)
    assert fast == replayed([log], rule, folder / "slow", speed=600, interval=interval)
    for name in ("stats.csv", "sections.csv", "alerts.csv"):
        assert (folder / "fast" / name).read_bytes() == (folder / "slow" / name).read_bytes()
