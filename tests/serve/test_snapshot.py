from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from analyzer.core.alerts import ALERT, AlertRule, Driver, Transition
from analyzer.core.engine import Engine
from analyzer.core.report import Report
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.text import escaped
from analyzer.formats.parsers import make_parser
from analyzer.serve.snapshot import MAX_TEXT, json_bytes, report_json, text, transition_json
from analyzer.ui.panels import table_names
from tests.serve.conftest import HOSTILE_PATH, T0, make_report


def test_a_report_as_json_keeps_log_text_as_strings() -> None:
    data = report_json(make_report(["/a/1", HOSTILE_PATH]), top=5)
    interval = data["interval"]
    assert isinstance(interval, dict)
    assert interval["sections"] == [[HOSTILE_PATH, 45], ["/a", 45]]
    assert interval["status"] == {"2xx": 30, "3xx": 0, "4xx": 30, "5xx": 30}
    assert data["second"] == T0 and data["threshold"] == "2"
    assert data["totals"] == {"requests": 90, "rejected": 1, "late": 0}
    assert data["files"] == [
        {"path": "/var/log/<b>x</b>.log", "lines": 91, "rejected": 1, "status": "following"}
    ]


def test_json_bytes_cannot_close_a_script_or_open_a_tag() -> None:
    body = json_bytes({"path": "</script><img src=x onerror=alert(1)>&amp;"})
    assert b"<" not in body and b">" not in body and b"&" not in body
    assert json.loads(body) == {"path": "</script><img src=x onerror=alert(1)>&amp;"}


def test_a_transition_says_its_rule_and_its_message() -> None:
    data = transition_json(Transition(T0, ALERT, 2401, AlertRule(20)))
    assert data["rule"] == "high_traffic" and data["hits"] == "20.01" and data["unit"] == "req/s"
    errors = transition_json(Transition(T0, ALERT, 53, ErrorRateRule(5, 120), volume=1000))
    assert (errors["rule"], errors["unit"], errors["hits"], errors["threshold"]) == (
        "error_rate_5xx",
        "%",
        "5.30",
        "5",
    )
    assert errors["message"].startswith("High error rate generated an alert - 5xx = 5.30% of 1,000 requests")  # type: ignore[attr-defined]
    section = transition_json(Transition(T0, ALERT, 121, SectionRateRule(1, 120, section="/api")))
    assert (section["rule"], section["unit"], section["hits"]) == ("section_rate:/api", "req/s", "1.01")
    assert (
        data["message"]
        == "High traffic generated an alert - hits = 20.01, triggered at 2027-01-15T08:00:00+00:00"
    )


NGINX = (
    '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" '
    "$request_time"
)
HOSTILE_AGENT = "<img src=x onerror=alert(2)>\u202e"
BOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"


def timed_report() -> Report:
    """A report of nginx lines with referrers, agents (a bot, a hostile one) and request times."""
    engine = Engine(AlertRule(threshold=100, window=20))
    stamp = datetime.fromtimestamp(T0 - 5, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    shapes = [
        ("/api/x", 200, "https://example.org/", HOSTILE_AGENT, 0.120),
        ("/api/y", 503, "-", BOT, 2.0),
        ("/shop/z", 404, "javascript:alert(3)", "curl/8.0", 0.010),
    ]
    lines = b"".join(
        f'10.0.0.{n % 3} - - [{stamp}] "GET {path} HTTP/1.1" {status} 10 "{ref}" "{agent}" {took}\n'.encode()
        for n, (path, status, ref, agent, took) in enumerate(shapes * 4)
    )
    engine.ingest(make_parser("auto", NGINX).parse(lines))
    engine.evaluate(T0 + 10)
    return engine.report(T0, 10)


def test_the_report_has_the_terminals_other_panels_from_its_own_functions() -> None:
    report = timed_report()
    panels = report_json(report, top=5)["panels"]
    assert isinstance(panels, dict)
    agents = {row["name"]: row for row in panels["agents"]}
    assert agents["<img src=x onerror=alert(2)>\\u202e"] == {  # escaped as on screen, else as logged
        "name": "<img src=x onerror=alert(2)>\\u202e", "hits": 4, "recent": 4, "bot": False,
    }  # fmt: skip
    assert agents[BOT]["bot"] is True
    assert [row["name"] for row in panels["agents"]] == [
        escaped(name) for name in table_names(report, "agents", 5)
    ]
    assert {row["name"]: row["hits"] for row in panels["referrers"]}["javascript:alert(3)"] == 4
    assert [(row["name"], row["hits"]) for row in panels["paths_5xx"]] == [("/api/y", 4)]
    assert [(row["name"], row["hits"]) for row in panels["paths_4xx"]] == [("/shop/z", 4)]
    latency = panels["section_latency"]
    assert latency["columns"] == ["p50", "p90", "p99"]
    by_section = {row[0]: row[1:] for row in latency["rows"]}
    assert by_section["/shop"] == pytest.approx([0.010] * 3, rel=0.02)  # binned: within 1.1%
    assert max(by_section["/api"]) == pytest.approx(2.0, rel=0.02)


def test_a_log_without_agents_or_durations_has_empty_panels() -> None:
    panels = report_json(make_report(["/a/1"]), top=5)["panels"]
    assert isinstance(panels, dict)
    assert panels["section_latency"] is None
    assert [row["name"] for row in panels["agents"]] == ["test-agent"]


def test_a_long_log_string_is_cut_in_the_payload() -> None:
    assert text("x" * 10_000) == "x" * (MAX_TEXT - 1) + "…"
    assert text("/\x1b[2J") == "/\\x1b[2J"


def test_an_alert_says_its_drivers() -> None:
    driver = Driver("agent", "<script>", 90, 0.9)
    data = transition_json(Transition(T0, ALERT, 2401, AlertRule(20), drivers=(driver,)))
    assert data["drivers"] == 'driven by agent "<script>" +90 (90%)'
    assert transition_json(Transition(T0, ALERT, 2401, AlertRule(20)))["drivers"] == ""
