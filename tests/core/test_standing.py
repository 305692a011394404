"""Where each rule stands at a second: its window's value, whether it is over its limit, and
its alert with since when, for every rule that runs (none when high traffic runs alone)."""

from __future__ import annotations

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.standing import Standing, standings
from analyzer.formats.clf import parse
from tests.conftest import clf_line

T0 = 1_767_225_600
TRAFFIC = AlertRule(10, 10)
ERRORS = ErrorRateRule(5, 10, min_requests=10)
API = SectionRateRule(0.2, 10, section="/api")


def error_spike() -> bytes:
    """2 req/s on /pages for 60 s, and a 503 on /api a second over seconds 20-24: the 5xx share
    is 1 in 21 at 20 (4.76%, not over 5%), 2 in 22 at 21 (on), 1 in 21 again at 33 (off);
    /api's hits are over 2 from 22 to 31."""
    lines = []
    for second in range(60):
        lines += [clf_line(T0 + second)] * 2
        if 20 <= second < 25:
            lines.append(clf_line(T0 + second, "/api/orders", status=503))
    return b"".join(lines)


def engine_at(second: int) -> Engine:
    engine = Engine(TRAFFIC, lateness=0, others=(ERRORS, API))
    engine.ingest(parse(error_spike()))
    engine.evaluate(T0 + second)
    return engine


def test_every_rule_stands_with_its_value_its_limit_and_since_when() -> None:
    engine = engine_at(30)
    traffic, errors, api = standings(engine.rules, engine.window, T0 + 30, engine.history, engine.states)
    assert traffic == Standing(TRAFFIC, 24, 0, above=False, on=False)
    assert errors == Standing(ERRORS, 4, 24, above=True, on=True, since=T0 + 21)
    assert api == Standing(API, 4, 0, above=True, on=True, since=T0 + 22)
    engine = engine_at(25)  # (the window keeps 2 windows back from the last second judged)
    quiet = standings(engine.rules, engine.window, T0 + 19, engine.history, engine.states, T0 + 25)
    assert [(s.value, s.volume, s.above, s.on, s.since) for s in quiet] == [
        (20, 0, False, False, None),
        (0, 20, False, False, None),
        (0, 0, False, False, None),
    ]


def test_a_report_written_after_later_seconds_were_judged_says_the_state_at_its_second() -> None:
    """A fast replay judges ahead of its reports: the report of second 30 says the error-rate
    alert on since 21 though it recovered at 33, and the one of second 40 says it off."""
    engine = Engine(TRAFFIC, lateness=0, others=(ERRORS, API))
    engine.ingest(parse(error_spike()))
    engine.report(T0 + 20)  # a report written: the window keeps what the next ones need
    engine.evaluate(T0 + 59)
    assert [(t.rule.name, t.kind, t.second - T0) for t in engine.history] == [
        ("error_rate_5xx", "alert", 21),
        ("section_rate:/api", "alert", 22),
        ("section_rate:/api", "recovered", 32),
        ("error_rate_5xx", "recovered", 33),
    ]
    during = engine.report(T0 + 30, close=False).standings
    assert [(s.on, s.since) for s in during] == [(False, None), (True, T0 + 21), (True, T0 + 22)]
    after = engine.report(T0 + 40, close=False).standings
    assert [(s.on, s.value) for s in after] == [(False, 20), (False, 0), (False, 0)]


def test_none_when_the_high_traffic_rule_runs_alone() -> None:
    engine = Engine(TRAFFIC, lateness=0)
    engine.ingest(parse(error_spike()))
    engine.evaluate(T0 + 30)
    assert standings(engine.rules, engine.window, T0 + 30, engine.history, engine.states) == ()
    assert engine.report(T0 + 30).standings == ()
