"""A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 takes our alerts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.deliver.alertmanager import LEASE_RESENDS, RESEND_SECONDS, Alertmanager, alert_name
from analyzer.deliver.payload import payload
from analyzer.deliver.receiver import DeliveryError
from tests.deliver.receivers import ALERTMANAGER, active_alerts, alertmanager, free_port

needs_alertmanager = pytest.mark.skipif(
    ALERTMANAGER is None,
    reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
)
RULE = AlertRule(10, 120)


def test_names_follow_prometheus_convention() -> None:
    assert alert_name("high_traffic") == "HighTraffic"
    assert alert_name("error_rate") == "ErrorRate"
    assert alert_name("") == "Analyzer"


@needs_alertmanager
def test_an_alert_fires_is_re_sent_and_resolves(tmp_path: Path) -> None:
    with alertmanager(tmp_path) as url:
        now = time.time()
        trigger = int(now) - 30
        target = Alertmanager(url, "/var/log/nginx/access.log", host="web-1")
        target.now = lambda: now
        alert = payload(Transition(trigger, ALERT, 1300, RULE))
        assert target.send(alert) == "HTTP 200"
        [active] = active_alerts(url)
        assert active["labels"] == {
            "alertname": "HighTraffic",
            "rule": "high_traffic/10/120/None",
            "host": "web-1",
            "log": "/var/log/nginx/access.log",
        }
        assert active["startsAt"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(trigger)))
        assert active["status"]["state"] == "active"
        assert active["annotations"]["summary"] == alert["message"]
        assert active["annotations"]["id"] == alert["id"]
        lease = active["endsAt"]
        # A re-send a minute later renews the lease (4 re-send intervals from then).
        target.now = lambda: now + RESEND_SECONDS
        assert target.resend() == 1
        [renewed] = active_alerts(url)
        assert renewed["endsAt"] > lease and renewed["fingerprint"] == active["fingerprint"]
        expected_end = time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(int(now + RESEND_SECONDS * (1 + LEASE_RESENDS)))
        )
        assert renewed["endsAt"].startswith(expected_end)
        target.send(payload(Transition(trigger + 20, RECOVERED, 1100, RULE)))
        assert active_alerts(url) == []  # resolved: Alertmanager lists active alerts only
        assert target.resend() == 0  # nothing firing: nothing re-sent


def test_a_down_alertmanager_is_connection_refused() -> None:
    target = Alertmanager(f"http://127.0.0.1:{free_port()}/", "x.log", host="h")
    with pytest.raises(DeliveryError, match="connection refused"):
        target.send(payload(Transition(1_795_835_405, ALERT, 1300, RULE)))
    assert target.url.endswith("/api/v2/alerts") and "//api" not in target.url
    assert target.firing == {}  # not sent: not firing as far as Alertmanager knows
