from __future__ import annotations

import json

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Driver, Transition
from analyzer.core.rules import ErrorRateRule, SectionRateRule
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
    assert state.snapshot()[1].rules[0].on and state.snapshot()[0].requests == 90
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


def test_every_event_tells_each_rules_state_and_a_transition_its_rule() -> None:
    others = (ErrorRateRule(5, 20, min_requests=10), SectionRateRule(1, 20, section="/a"))
    report = make_report(["/a/1"], others=others)  # every rule's alert on, the error rate's since T0 - 27
    state, hub = LiveState(rules=(report.rule, *others)), Hub()
    listener = WebListener(state, hub, lambda: None)
    client = hub.join()
    assert client
    listener.report(report)
    listener.transition(Transition(T0 + 1, RECOVERED, 0, others[0], volume=57))
    listener.status(Status(T0 + 1, T0 - 17, 2.85, 2, 20, 3.0, 1, T0, hits=57))
    frames = [client.next(0) for _ in range(3)]
    told = [json.loads(frame.split(b"\ndata: ")[1]) for frame in frames if frame]
    on = {rule["rule"]: (rule["on"], rule["since"]) for rule in told[0]["rules"]}
    assert on == {
        "high_traffic": (True, T0 - 17),
        "error_rate_5xx": (True, T0 - 27),
        "section_rate:/a": (True, T0 - 24),  # every request is /a's: over 1 req/s sooner
    }
    assert (told[1]["rule"], told[1]["unit"], told[1]["kind"]) == ("error_rate_5xx", "%", "recovered")
    assert [rule["on"] for rule in told[2]["rules"]] == [True, False, True]  # the recovery, before a report
    assert state.rules_json() == told[2]["rules"]
