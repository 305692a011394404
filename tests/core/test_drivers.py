"""What drove an alert: the keys that rose most from the window before, escaped when said."""

from __future__ import annotations

import json
from dataclasses import replace

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Driver, Transition
from analyzer.core.drivers import drivers_text, find_drivers, with_drivers
from analyzer.core.engine import Engine
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.deliver.payload import payload
from analyzer.formats.clf import parse

T0 = 1_764_300_000


def line(
    second: int, host: str = "10.0.0.1", path: str = "/pages/a", agent: str = "Mozilla/5.0", status: int = 200
) -> bytes:
    from datetime import UTC, datetime

    local = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S")
    return f'{host} - - [{local} +0000] "GET {path} HTTP/1.1" {status} 10 "-" "{agent}"\n'.encode()


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


def test_an_error_rates_drivers_are_whose_errors_rose_not_whose_traffic_did() -> None:
    """A crawler triples the traffic on /blog (answered 200) while one client's requests to
    /checkout start failing (503): the error-rate alert names /checkout and that client, with
    shares of the window's errors; the traffic alert names /blog and the crawler."""
    errors = ErrorRateRule(10, 10, min_requests=10)
    engine = Engine(AlertRule(threshold=4, window=10), lateness=0, others=(errors,))
    data = b"".join(line(T0 + s, status=500 if s % 10 == 0 else 200) for s in range(40))  # 1 in 10 fails
    data += b"".join(
        line(T0 + s, "192.0.2.8", f"/blog/{i}", "crawler/2") for s in range(20, 40) for i in range(4)
    )
    data += b"".join(line(T0 + s, "198.51.100.23", "/checkout/pay", "curl/8.5", 503) for s in range(20, 40))
    engine.ingest(parse(data), warm=True)
    alerts = {t.rule.name: t for t in engine.evaluate(T0 + 40) if t.kind == ALERT}
    # On at 20: 2 errors in 15 requests (its own 500 and the first 503), against 1 error (the
    # 500 at 10) in the window before: /checkout, its client and agent rose, /pages did not.
    assert alerts["error_rate_5xx"].second == T0 + 20
    assert [(d.kind, d.key, d.rise) for d in alerts["error_rate_5xx"].drivers or ()] == [
        ("section", "/checkout", 1),
        ("host", "198.51.100.23", 1),
        ("agent", "curl/8.5", 1),
    ]
    traffic = [(d.kind, d.key) for d in alerts["high_traffic"].drivers or ()]
    assert ("section", "/blog") in traffic and ("host", "192.0.2.8") in traffic


def test_a_sections_drivers_are_the_paths_hosts_and_agents_within_it() -> None:
    api = SectionRateRule(2, 10, section="/api")
    engine = Engine(AlertRule(threshold=100, window=10), lateness=0, others=(api,))
    data = b"".join(line(T0 + s, path="/api/list") for s in range(40))  # 1 req/s on /api all along
    data += b"".join(line(T0 + s, "192.0.2.8", "/pages/x") for s in range(20, 40) for _ in range(5))
    data += b"".join(line(T0 + s, "203.0.113.7", "/api/search") for s in range(20, 40) for _ in range(2))
    engine.ingest(parse(data), warm=True)
    alert = next(t for t in engine.evaluate(T0 + 40) if t.kind == ALERT)
    assert alert.rule == api and alert.second == T0 + 25  # 10 + 2 * 6 = 22 > 20 hits
    assert alert.drivers == (
        Driver("path", "/api/search", 12, 12 / 22),
        Driver("host", "203.0.113.7", 12, 12 / 22),
        Driver("agent", "Mozilla/5.0", 12, 1.0),
    )  # /pages's crowd, five times busier, is not within /api
    assert drivers_text(alert.drivers).startswith("driven by /api/search +12 (55%), host 203.0.113.7")


def test_drivers_are_not_part_of_a_transitions_equality() -> None:
    engine, found = spiked_engine()
    alert = next(t for t in found if t.kind == ALERT)
    assert alert == Transition(alert.second, ALERT, alert.hits, alert.rule)
    assert with_drivers([Transition(T0, RECOVERED, 1, alert.rule)], engine.window)[0].drivers is None
    assert find_drivers(engine.window, T0 + 40, 10) == ()  # no more traffic than 10 s before
    known = (Driver("host", "192.0.2.1", 5, 1.0),)  # read further back than the window holds
    assert with_drivers([replace(alert, drivers=known)], engine.window)[0].drivers == known


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
