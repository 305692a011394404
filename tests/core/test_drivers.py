"""What drove an alert: the keys that rose most from the window before, escaped when said."""

from __future__ import annotations

import json

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Driver, Transition
from analyzer.core.drivers import drivers_text, find_drivers, with_drivers
from analyzer.core.engine import Engine
from analyzer.deliver.payload import payload
from analyzer.formats.clf import parse

T0 = 1_764_300_000


def line(second: int, host: str = "10.0.0.1", path: str = "/pages/a", agent: str = "Mozilla/5.0") -> bytes:
    from datetime import UTC, datetime

    local = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S")
    return f'{host} - - [{local} +0000] "GET {path} HTTP/1.1" 200 10 "-" "{agent}"\n'.encode()


def spiked_engine(agent: str = "python-requests/2.31") -> tuple[Engine, list[Transition]]:
    """10 s windows: 1 req/s of ordinary traffic, then a host hammering /api at 5 req/s."""
    engine = Engine(AlertRule(threshold=3, window=10), lateness=0)
    data = b"".join(line(T0 + s) for s in range(40))
    data += b"".join(line(T0 + s, "203.0.113.7", f"/api/{i}", agent) for s in range(20, 40) for i in range(5))
    engine.ingest(parse(data), warm=True)
    return engine, engine.evaluate(T0 + 40)


def test_the_section_host_and_agent_that_rose_are_named_with_their_rise_and_share() -> None:
    _, found = spiked_engine()
    alert = next(t for t in found if t.kind == ALERT)
    assert alert.second == T0 + 24
    assert alert.drivers == (
        Driver("section", "/api", 25, 25 / 35),
        Driver("host", "203.0.113.7", 25, 25 / 35),
        Driver("agent", "python-requests/2.31", 25, 25 / 35),
    )  # 5 s of the spike in the window that crossed, against none before; 35 hits in all
    assert drivers_text(alert.drivers) == (
        'driven by /api +25 (71%), host 203.0.113.7 +25 (71%), agent "python-requests/2.31" +25 (71%)'
    )
    assert all(t.drivers is None for t in found if t.kind == RECOVERED)


def test_drivers_are_not_part_of_a_transitions_equality() -> None:
    engine, found = spiked_engine()
    alert = next(t for t in found if t.kind == ALERT)
    assert alert == Transition(alert.second, ALERT, alert.hits, alert.rule)
    assert with_drivers([Transition(T0, RECOVERED, 1, alert.rule)], engine.window)[0].drivers is None
    assert find_drivers(engine.window, T0 + 40, 10) == ()  # no more traffic than 10 s before


def test_a_hostile_agent_is_escaped_and_cut_in_the_text_and_whole_in_the_payload() -> None:
    agent = "\x1b]0;owned\x07" + "A" * 100
    _, found = spiked_engine(agent)
    alert = next(t for t in found if t.kind == ALERT)
    text = drivers_text(alert.drivers)
    assert "\x1b" not in text and "\\x1b]0;owned\\x07" in text and "…" in text
    body = json.loads(json.dumps(payload(alert)))
    assert body["drivers"][2] == {"kind": "agent", "key": agent, "rise": 25, "share": 25 / 35}
    assert drivers_text((Driver("agent", 'say "hi"', 3, 0.5),)) == 'driven by agent "say \\"hi\\"" +3 (50%)'


def test_ties_are_broken_by_text_and_small_rises_are_not_named() -> None:
    engine = Engine(AlertRule(threshold=1, window=10), lateness=0)
    data = b"".join(
        line(T0 + 10 + s, host) for s in range(10) for host in ("10.0.0.9", "10.0.0.2", "10.0.0.5")
    )
    data += line(T0 + 5, "10.0.0.7")
    engine.ingest(parse(data), warm=True)
    alert = next(t for t in engine.evaluate(T0 + 30) if t.kind == ALERT)
    hosts = [d.key for d in alert.drivers or () if d.kind == "host"]
    assert hosts == ["10.0.0.2", "10.0.0.5"]  # three rose by as much: the first two by text


def test_nothing_is_said_when_nothing_is_known() -> None:
    assert drivers_text(None) == "" and drivers_text(()) == ""
    rule = AlertRule(threshold=1, window=10)
    assert "drivers" not in payload(Transition(T0, RECOVERED, 3, rule))
