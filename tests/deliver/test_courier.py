"""The courier: transitions queued at once, delivered on threads, in order, at least once.

Receivers are real (an HTTP server on 127.0.0.1); the clocks that pace retries and the give-up
age are the test's own, moved by hand, so no test sleeps through a backoff.
"""

from __future__ import annotations

import time
from pathlib import Path

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.deliver.alertmanager import Alertmanager
from analyzer.deliver.courier import Courier
from analyzer.deliver.outbox import OUTBOX_NAME, Outbox
from analyzer.deliver.payload import delivery_id
from analyzer.deliver.receiver import Webhook
from analyzer.deliver.retry import GIVE_UP_AGE
from tests.deliver.receivers import free_port, receiver, wait_for

T = 1_795_835_405
RULE = AlertRule(10, 120)
TRANSITIONS = [
    Transition(T + 60 * n, ALERT if n % 2 == 0 else RECOVERED, 1300 - 200 * (n % 2), RULE) for n in range(4)
]


class Clocks:
    """A wall clock and a monotonic one that move only when the test says."""

    def __init__(self) -> None:
        self.wall_time = float(T + 300)
        self.mono_time = 1000.0

    def wall(self) -> float:
        return self.wall_time

    def mono(self) -> float:
        return self.mono_time

    def advance(self, seconds: float) -> None:
        self.wall_time += seconds
        self.mono_time += seconds


def courier(out: Path, clocks: Clocks, *targets: object) -> Courier:
    return Courier(Outbox(out / OUTBOX_NAME), list(targets), clocks.wall, clocks.mono, wake_every=0.01)  # type: ignore[arg-type]


def said_until(deliverer: Courier, text: str, seconds: float = 5) -> list[str]:
    said: list[str] = []
    wait_for(lambda: said.extend(deliverer.notices()) or any(text in line for line in said), seconds, text)
    return said


def test_down_then_failing_then_hanging_then_up_every_transition_arrives_once_in_order(
    tmp_path: Path,
) -> None:
    clocks = Clocks()
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/hook", timeout=0.3)
    deliverer = courier(tmp_path, clocks, hook)
    started = time.monotonic()
    for transition in TRANSITIONS[:2]:
        deliverer.transition(transition)
    assert time.monotonic() - started < 0.05  # the monitor's call never waits for a receiver
    said = said_until(deliverer, "retrying (1): connection refused")
    with receiver(port) as server:
        server.mode = "fail"
        clocks.advance(1)
        said += said_until(deliverer, "retrying (2): HTTP 500 Internal Server Error")
        server.mode = "hang"
        clocks.advance(2)
        said += said_until(deliverer, "retrying (3): timed out after 0.3 s")
        deliverer.transition(TRANSITIONS[2])  # while it hangs: queued behind, at once
        server.mode = "ok"
        clocks.advance(4)
        said += said_until(deliverer, "recovered at 2026-11-28T03:11:05Z delivered")
        deliverer.transition(TRANSITIONS[3])
        wait_for(lambda: len(server.bodies) == 4, 5, "all four")
        deliverer.close()
    ids = [body["id"] for body in server.bodies]
    assert ids == [delivery_id(t) for t in TRANSITIONS]  # each once, in order
    assert any("alert at 2026-11-28T03:10:05Z delivered after 4 tries (HTTP 200)" in line for line in said)
    assert all(line.startswith("analyzer: delivery: webhook http://127.0.0.1:") for line in said)
    assert "hook" not in "".join(said).replace("webhook", "")
    assert Outbox(tmp_path / OUTBOX_NAME).next_for(hook.key) is None


def test_a_receiver_down_for_a_day_is_given_up_and_said_once(tmp_path: Path) -> None:
    clocks = Clocks()
    hook = Webhook(f"http://127.0.0.1:{free_port()}/hook")
    deliverer = courier(tmp_path, clocks, hook)
    deliverer.transition(TRANSITIONS[0])
    said = said_until(deliverer, "retrying (1)")
    clocks.advance(GIVE_UP_AGE)
    said += said_until(deliverer, "gave up after 24h (2 tries): connection refused")
    deliverer.close()
    assert Outbox(tmp_path / OUTBOX_NAME).entries == {}  # not pending: not tried again at the next start
    assert len(said) == 2


def test_a_restart_resends_what_is_pending_with_the_same_id(tmp_path: Path) -> None:
    clocks = Clocks()
    port = free_port()
    first = courier(tmp_path, clocks, Webhook(f"http://127.0.0.1:{port}/"))
    first.transition(TRANSITIONS[0])
    said_until(first, "connection refused")
    first.close()
    with receiver(port) as server:
        second = courier(tmp_path, clocks, Webhook(f"http://127.0.0.1:{port}/"))
        wait_for(lambda: len(server.bodies) == 1, 5, "the pending one")
        second.close()
    assert server.bodies[0]["id"] == delivery_id(TRANSITIONS[0])


def test_a_hanging_receiver_holds_back_neither_the_monitor_nor_another_receiver(tmp_path: Path) -> None:
    clocks = Clocks()
    with receiver() as hanging, receiver() as working:
        hanging.mode = "hang"
        deliverer = courier(tmp_path, clocks, Webhook(hanging.url, timeout=5), Webhook(working.url, number=2))
        started = time.monotonic()
        deliverer.transition(TRANSITIONS[0])
        took = time.monotonic() - started
        wait_for(lambda: len(working.bodies) == 1, 3, "the working receiver")
        started = time.monotonic()
        deliverer.close()  # within its grace, whatever hangs
        closed = time.monotonic() - started
    assert took < 0.05 and closed < 2.5
    assert Outbox(tmp_path / OUTBOX_NAME).next_for(Webhook(hanging.url).key) is not None  # for next time


def test_an_alert_firing_at_a_restart_is_re_sent_to_alertmanager(tmp_path: Path) -> None:
    clocks = Clocks()
    with receiver() as server:
        first = courier(tmp_path, clocks, Alertmanager(server.url, "x.log", host="h"))
        first.transition(TRANSITIONS[0])
        wait_for(lambda: len(server.bodies) == 1, 5, "the alert")
        first.close()
        second = courier(tmp_path, clocks, Alertmanager(server.url, "x.log", host="h"))
        wait_for(lambda: len(server.bodies) == 2, 5, "the alert renewed at the start")
        clocks.advance(60)
        wait_for(lambda: len(server.bodies) == 3, 5, "the alert renewed a minute later")
        second.transition(TRANSITIONS[1])
        wait_for(lambda: len(server.bodies) == 4, 5, "the recovery")
        second.close()
    assert [alert["labels"]["alertname"] for body in server.bodies for alert in body] == ["HighTraffic"] * 4
    recovery = server.bodies[3][0]
    assert recovery["startsAt"] == "2026-11-28T03:10:05Z" and recovery["endsAt"] == "2026-11-28T03:11:05Z"


def test_the_listener_calls_that_carry_no_transition_do_nothing(tmp_path: Path) -> None:
    deliverer = courier(tmp_path, Clocks(), Webhook("http://127.0.0.1:1/"))
    deliverer.first(None)  # type: ignore[arg-type]
    deliverer.report(None)  # type: ignore[arg-type]
    deliverer.status(None)  # type: ignore[arg-type]
    assert deliverer.notices() == []
    deliverer.close()
