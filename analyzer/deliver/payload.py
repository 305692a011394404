"""What a receiver is sent about a transition: pure, no I/O.

The payload carries the fields of the design's delivery contract: `id` (the same for every
retry and after a restart, so a receiver can drop duplicates), `kind`, `rule`, `time`, `hits`
(the value the message prints), `threshold`, `window_s`, `message`, `onset`, `recovery`, and
`drivers` once a transition has them. Numbers are written as the CSVs write them: `hits` and
`threshold` are JSON numbers with exactly the printed digits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.core.alerts import AlertRule, Transition, rule_key
from analyzer.core.times import iso_utc

Payload = dict[str, Any]
HIGH_TRAFFIC = "high_traffic"  # the name of the default rule (others bring their own `name`)


def rule_name(transition: Transition) -> str:
    """The rule's name: the high-traffic rule's, unless the rule has a `name` of its own."""
    return str(getattr(transition.rule, "name", None) or HIGH_TRAFFIC)


def rule_identity(transition: Transition) -> str:
    """The rule as exact text, name included: ids differ between rules, never between runs."""
    rule = transition.rule
    key = rule_key(rule) if isinstance(rule, AlertRule) else repr(rule)
    return f"{rule_name(transition)}/{key}"


def delivery_id(transition: Transition) -> str:
    """A stable id: from the rule, the kind and the second, so a retry or a restart that sends
    the same transition again sends the same id (a hash: opaque, fixed length)."""
    text = f"{rule_identity(transition)}|{transition.kind}|{transition.second}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _number(text: str) -> int | float:
    """A decimal text as a JSON number with the same digits (`10`, `10.13`, `0.00001`)."""
    value = json.loads(text)
    return value if isinstance(value, int | float) else float(text)


def drivers_of(transition: Transition) -> Any:
    """The transition's drivers (what drove the alert), where the rule computes them."""
    drivers = getattr(transition, "drivers", None)
    if drivers is None:
        return None
    if isinstance(drivers, tuple | list):  # dataclasses (core.alerts.Driver) as JSON objects
        drivers = [asdict(d) if is_dataclass(d) and not isinstance(d, type) else d for d in drivers]
    try:
        return json.loads(json.dumps(drivers))  # as a receiver reads it: tuples are lists
    except (TypeError, ValueError, RecursionError):
        return [str(driver) for driver in drivers] if isinstance(drivers, list | tuple) else str(drivers)


def payload(transition: Transition) -> Payload:
    rule = transition.rule
    body: Payload = {
        "id": delivery_id(transition),
        "kind": transition.kind,
        "rule": rule_name(transition),
        "time": iso_utc(transition.second),
        "second": transition.second,
        "hits": _number(transition.shown),
        "threshold": _number(rule.threshold_text),
        "recovery": _number(rule.recovery_text) if rule.recovery_text else None,
        "window_s": rule.window,
        "message": transition.message,
        "onset": transition.onset,
        "rule_key": rule_identity(transition),
    }
    drivers = drivers_of(transition)
    if drivers is not None:
        body["drivers"] = drivers
    return body


def environment_variables(body: Payload) -> dict[str, str]:
    """The payload as `ANALYZER_<FIELD>` variables for a command (`drivers` as JSON)."""
    variables = {}
    for name, value in body.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        variables[f"ANALYZER_{name.upper()}"] = text
    return variables


def shown_url(url: str) -> str:
    """A receiver's URL as it may be printed: scheme, host and port only. The rest is often the
    secret itself (a Slack or Discord webhook's path, a token in the query, user:password@)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}"
