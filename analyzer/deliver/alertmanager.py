"""`--alertmanager URL`: Prometheus Alertmanager's API v2, `POST URL/api/v2/alerts`.

An alert is identified in Alertmanager by its labels: `alertname` (the rule's name in
CamelCase: `HighTraffic`), `rule` (the rule with its threshold, window and recovery, so two
monitors with different thresholds are two alerts), `host` (this machine) and `log` (the
files followed). The message is the `summary` and `description` annotations, with the
delivery `id` and `hits`.

A firing alert is sent with `startsAt` its trigger second and `endsAt` a lease of
4 x RESEND_SECONDS from now, and re-sent every RESEND_SECONDS while it fires, as Prometheus
does: Alertmanager resolves an alert its client stopped re-sending once the lease runs out,
so a monitor that dies does not leave an alert firing forever, and one that runs keeps it
alive. A recovery is sent with `endsAt` the recovery second (and the same `startsAt`).
"""

from __future__ import annotations

import socket
import threading

from analyzer.core.alerts import ALERT
from analyzer.core.times import iso_utc
from analyzer.deliver.payload import Payload, shown_url
from analyzer.deliver.receiver import HTTP_TIMEOUT, post_json, target_key

RESEND_SECONDS = 60.0
LEASE_RESENDS = 4  # an alert not re-sent for 4 intervals resolves by itself (as Prometheus)


def alert_name(rule: str) -> str:
    """`high_traffic` -> `HighTraffic`, Prometheus's convention for alert names."""
    return "".join(part[:1].upper() + part[1:] for part in rule.split("_") if part) or "Analyzer"


def alertmanager_alert(body: Payload, labels: dict[str, str], starts: int, ends: float) -> dict[str, object]:
    """One postable alert (the API's `postableAlert`) for a payload."""
    return {
        "labels": {
            "alertname": alert_name(str(body.get("rule", ""))),
            "rule": str(body.get("rule_key", body.get("rule", ""))),
            **labels,
        },
        "annotations": {
            "summary": str(body.get("message", "")),
            "description": str(body.get("message", "")),
            "id": str(body.get("id", "")),
            "hits": str(body.get("hits", "")),
        },
        "startsAt": iso_utc(starts),
        "endsAt": iso_utc(int(ends)),
    }


class Alertmanager:
    """A receiver that remembers, per rule, the alert firing, to give a recovery its
    `startsAt` and to re-send the alert while it fires."""

    def __init__(
        self, url: str, log: str, number: int = 1, timeout: float = HTTP_TIMEOUT, host: str | None = None
    ) -> None:
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.timeout = timeout
        self.key = target_key("alertmanager", url)
        self.name = f"alertmanager {shown_url(url)}" + (f" (#{number})" if number > 1 else "")
        self.labels = {"host": host if host is not None else socket.gethostname(), "log": log}
        self.firing: dict[str, Payload] = {}  # rule -> its alert payload, sent and not recovered
        self.lock = threading.Lock()
        self.now = lambda: 0.0  # the wall clock, set by the courier (the lease is counted on it)

    def fired(self, body: Payload) -> None:
        """An alert on record as firing (the outbox's, at a start): re-sent while it fires."""
        with self.lock:
            self.firing[str(body.get("rule_key", ""))] = body

    def send(self, body: Payload) -> str:
        rule = str(body.get("rule_key", ""))
        second = int(body["second"])
        if body.get("kind") == ALERT:
            alert = alertmanager_alert(body, self.labels, second, self._lease_end(second))
        else:
            with self.lock:
                fired = self.firing.get(rule)
            starts = min(int(fired["second"]), second) if fired is not None else second
            alert = alertmanager_alert(body, self.labels, starts, second)
        status = post_json(self.url, [alert], self.timeout)
        with self.lock:
            if body.get("kind") == ALERT:
                self.firing[rule] = body
            else:
                self.firing.pop(rule, None)
        return f"HTTP {status}"

    def resend(self) -> int:
        """Re-send every alert firing; how many (DeliveryError if one failed)."""
        with self.lock:
            alerts = [
                alertmanager_alert(
                    body, self.labels, int(body["second"]), self._lease_end(int(body["second"]))
                )
                for body in self.firing.values()
            ]
        if alerts:
            post_json(self.url, alerts, self.timeout)
        return len(alerts)

    def _lease_end(self, starts: int) -> float:
        # Never before the start: a replayed alert from last year is still a valid range.
        return max(self.now() + LEASE_RESENDS * RESEND_SECONDS, starts + 1)

    def abort(self) -> None:
        """Nothing to stop: a request in flight ends with the process, within its timeout."""
