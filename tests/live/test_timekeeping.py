"""The monitor's watch on the clocks: steps said with their size, judging held until the log's
clock is known, the skew said once when it appears and once when it goes."""

from __future__ import annotations

import numpy as np

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.live.settings import Clock
from analyzer.live.timekeeping import Timekeeper

T0 = 1_767_225_600


class Clocks:
    def __init__(self) -> None:
        self.tick, self.host = float(T0), 0.0

    def clock(self) -> Clock:
        return Clock(lambda: self.tick + self.host, lambda s: None, monotonic=lambda: self.tick)


def test_a_step_of_more_than_a_second_is_said_with_its_size_and_told_to_the_log_clock() -> None:
    clocks, engine = Clocks(), Engine(AlertRule(10, 20), lateness=5)
    keeper = Timekeeper(clocks.clock(), 5)
    engine.log_clock.observe(np.array([T0 - 1]), T0)
    assert keeper.host_step(engine) is None
    clocks.tick += 1
    clocks.host += 0.9  # a slew, not a step
    assert keeper.host_step(engine) is None
    clocks.host -= 3600.9
    said = keeper.host_step(engine)
    assert said is not None and "stepped back 1 h 00 min" in said
    assert round(keeper.step, 3) == -3600.9 and engine.log_clock.skew() == 3601


def test_judging_waits_for_the_log_s_clock_or_a_lateness() -> None:
    clocks, engine = Clocks(), Engine(AlertRule(10, 20), lateness=5)
    keeper = Timekeeper(clocks.clock(), 5)
    assert not keeper.judging(engine)
    clocks.tick += 5
    assert keeper.judging(engine) and keeper.waited()
    other = Engine(AlertRule(10, 20), lateness=5)
    other.log_clock.observe(np.array([T0 - 60]), T0)
    assert Timekeeper(clocks.clock(), 5).judging(other)


def test_the_skew_is_said_once_when_it_appears_and_once_when_it_goes() -> None:
    clocks, engine = Clocks(), Engine(AlertRule(10, 20), lateness=5)
    keeper = Timekeeper(clocks.clock(), 5)
    assert keeper.skew_notice(engine) is None
    for read in range(T0, T0 + 9):
        engine.log_clock.observe(np.array([read + 59]), read)
    assert keeper.skew_notice(engine) == (
        "analyzer: warning: log clock 60 s ahead of this host: the alert is judged on the log's time"
    )
    assert keeper.skew_notice(engine) is None
    for read in range(T0, T0 + 9):
        engine.log_clock.observe(np.array([read - 1]), read)
    assert keeper.skew_notice(engine) == "analyzer: the log's clock agrees with this host's again"
