from __future__ import annotations

from analyzer.core.alerts import ALERT, AlertRule, Driver, Transition
from analyzer.serve.events import Hub
from analyzer.serve.listener import WebListener
from analyzer.serve.state import LiveState
from analyzer.ui.display import Status
from tests.serve.conftest import T0, make_report


def test_each_call_stores_the_state_and_publishes_an_event() -> None:
    state, hub, stopped = LiveState(), Hub(), []
    listener = WebListener(state, hub, lambda: stopped.append(True))
    client = hub.join()
    assert client
    listener.first(make_report(["/a/1"]))
    driven = Transition(T0, ALERT, 241, AlertRule(2, 120), drivers=(Driver("section", "/a", 200, 0.83),))
    listener.transition(driven)
    listener.status(
        Status(now=T0, alert_since=T0, average=2.01, threshold=2, window=120, rate_now=3, files=1, newest=T0)
    )
    listener.report(make_report(["/a/1"]))
    kinds = [client.next(0).split(b"\n")[0] for _ in range(4)]  # type: ignore[union-attr]
    assert kinds == [b"event: report", b"event: transition", b"event: status", b"event: report"]
    assert state.snapshot()[1].alert_on and state.snapshot()[0].requests == 90
    assert state.drivers == {(T0, driven.message): "driven by /a +200 (83%)"}  # for the history
    listener.close()
    assert stopped and state.health() == "the monitor has stopped"


def test_a_failure_is_a_notice_once_never_an_exception() -> None:
    listener = WebListener(LiveState(), Hub(), lambda: None)
    broken = object()
    listener.report(broken)  # type: ignore[arg-type]
    listener.report(broken)  # type: ignore[arg-type]
    notices = listener.notices()
    assert len(notices) == 1 and notices[0].startswith(
        "analyzer: warning: the web page could not take a report"
    )
    assert listener.notices() == []
