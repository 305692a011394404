"""The monitor's watch on the clocks: steps said with their size, judging held until the log's
clock is known, the skew said once when it appears and once when it goes."""

from __future__ import annotations

import numpy as np

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.core.rules import SectionRateRule
from analyzer.formats.clf import parse
from analyzer.live.settings import Clock
from analyzer.live.timekeeping import Timekeeper, status_of
from tests.conftest import clf_line

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


def test_the_log_clock_is_not_measured_by_a_backlog() -> None:
    """A restart's first poll (the backlog of the time down) and a read cut at its budget end at
    old lines: they measure the monitor's lag, not the log's clock."""
    clocks, engine = Clocks(), Engine(AlertRule(10, 20), lateness=5)
    engine.resume(T0 - 1, False)  # from a checkpoint
    keeper = Timekeeper(clocks.clock(), 5)
    keeper.host_step(engine)  # the first poll
    assert keeper.measuring(T0 + 0.5, behind=False, engine=engine) is None
    keeper.host_step(engine)
    assert keeper.measuring(T0 + 1.5, behind=True, engine=engine) is None
    assert keeper.measuring(T0 + 1.5, behind=False, engine=engine) == T0 + 1.5
    assert keeper.measuring(None, behind=False, engine=engine) is None  # a replay: no host time to measure by
    fresh, started = Timekeeper(clocks.clock(), 5), Engine(AlertRule(10, 20), lateness=5)
    fresh.host_step(started)  # no checkpoint: its first lines came after its start
    assert fresh.measuring(T0 + 0.5, behind=False, engine=started) == T0 + 0.5


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


def test_the_status_says_since_when_the_high_traffic_alert_is_on_whatever_other_rules_did() -> None:
    """`alert_since` is the high-traffic rule's own crossing, not a later transition of a
    section's rule (its alert, or its recovery) that the history also holds."""
    traffic = AlertRule(1, 10)
    engine = Engine(traffic, lateness=0, others=(SectionRateRule(0.5, 10, section="/api"),))
    lines = [clf_line(T0 + s // 3, "/pages/a") for s in range(90)]  # 3 req/s for 30 s
    lines += [clf_line(T0 + 5 + s, "/api/x") for s in range(8)] * 2  # 2 req/s on /api, 5 .. 12
    engine.ingest(parse(b"".join(sorted(lines, key=lambda line: line.split(b"[")[1]))))
    engine.evaluate(T0 + 30)
    assert [(t.rule.name, t.kind, t.second - T0) for t in engine.history] == [
        ("high_traffic", "alert", 3),
        ("section_rate:/api", "alert", 7),
        ("section_rate:/api", "recovered", 20),
    ]
    status = status_of(engine, T0 + 31, 0, 1, Clocks().clock())
    assert status.alert_since == T0 + 3
