"""The payload: the contract's fields, a stable id, variables for a command, URLs without secrets."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition
from analyzer.deliver.payload import delivery_id, environment_variables, payload, shown_url

T = 1_795_835_405  # 2026-11-28T03:10:05Z
RULE = AlertRule(10, 120)


@dataclass(frozen=True)
class WithDrivers(Transition):
    """A transition as the rules to come make them: with what drove it."""

    drivers: tuple[str, ...] = ()


def test_an_alert_carries_every_field_of_the_contract() -> None:
    transition = Transition(T, ALERT, 1300, RULE)
    body = payload(transition)
    assert body["kind"] == "alert" and body["rule"] == "high_traffic"
    assert body["time"] == "2026-11-28T03:10:05Z" and body["second"] == T
    assert body["hits"] == 10.83 and body["threshold"] == 10 and body["window_s"] == 120
    assert (
        body["message"]
        == transition.message
        == ("High traffic generated an alert - hits = 10.83, triggered at 2026-11-28T03:10:05+00:00")
    )
    assert body["onset"] == "crossed" and body["recovery"] is None
    assert "drivers" not in body
    # JSON numbers with the printed digits: 10.83, 10, not 10.833333 or 10.0
    assert '"hits":10.83' in json.dumps(body, separators=(",", ":"))
    assert '"threshold":10,' in json.dumps(body, separators=(",", ":"))


def test_a_recovery_prints_its_value_as_the_message_does() -> None:
    body = payload(Transition(T, RECOVERED, 1200, AlertRule(10, 120, 9.5), BEFORE))
    assert body["hits"] == 10 and body["recovery"] == 9.5 and body["onset"] == "before"
    assert body["message"].startswith("High traffic alert recovered before monitoring started")


def test_the_id_is_the_same_for_the_same_transition_and_differs_otherwise() -> None:
    one = delivery_id(Transition(T, ALERT, 1300, RULE))
    assert one == delivery_id(Transition(T, ALERT, 1400, RULE))  # same rule, kind, second
    others = {
        delivery_id(Transition(T + 1, ALERT, 1300, RULE)),
        delivery_id(Transition(T, RECOVERED, 1300, RULE)),
        delivery_id(Transition(T, ALERT, 1300, AlertRule(20, 120))),
        delivery_id(Transition(T, ALERT, 1300, AlertRule(10, 60))),
    }
    assert one not in others and len(others) == 4
    assert one == "a28e3e76641d827cfa33"  # fixed across versions: a receiver drops duplicates by it


def test_drivers_appear_when_the_transition_has_them() -> None:
    body = payload(WithDrivers(T, ALERT, 1300, RULE, drivers=("/api", "/pages")))
    assert body["drivers"] == ["/api", "/pages"]
    assert environment_variables(body)["ANALYZER_DRIVERS"] == '["/api","/pages"]'


def test_a_command_gets_the_payload_as_variables() -> None:
    variables = environment_variables(payload(Transition(T, ALERT, 1300, RULE)))
    assert variables["ANALYZER_KIND"] == "alert"
    assert variables["ANALYZER_HITS"] == "10.83"
    assert variables["ANALYZER_SECOND"] == str(T)
    assert variables["ANALYZER_TIME"] == "2026-11-28T03:10:05Z"
    assert variables["ANALYZER_MESSAGE"].startswith("High traffic generated an alert")
    assert "ANALYZER_RECOVERY" not in variables  # None: not set at all


secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=30)


@given(secrets, secrets, secrets)
def test_a_url_is_shown_without_userinfo_path_or_query(user: str, token: str, query: str) -> None:
    url = f"https://{user}:{token}@hooks.example.com:8443/services/{token}?key={query}#x"
    shown = shown_url(url)
    assert shown == "https://hooks.example.com:8443"
    assert user not in shown and token not in shown and query not in shown


def test_unusual_urls_are_shown_safely() -> None:
    assert shown_url("http://[::1]:9093/x") == "http://[::1]:9093"
    assert shown_url("http://host:notaport/secret") == "(an unreadable URL)"
