from __future__ import annotations

import json

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.serve.snapshot import json_bytes, report_json, transition_json
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
    assert data["rule"] == "high_traffic" and data["hits"] == "20.01"
    assert (
        data["message"]
        == "High traffic generated an alert - hits = 20.01, triggered at 2027-01-15T08:00:00+00:00"
    )
