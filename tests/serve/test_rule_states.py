from __future__ import annotations

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.serve.rule_states import RuleState, report_states, state_json, with_status, with_transition
from analyzer.ui.display import Status
from tests.serve.conftest import T0, make_report

ERRORS = ErrorRateRule(5, 20, min_requests=10)
OTHERS = (ERRORS, SectionRateRule(1, 20, section="/a"), SectionRateRule(100, 20, section="/b"))


def test_every_rule_stands_at_the_reports_second_with_its_own_value_and_alert() -> None:
    report = make_report(["/a/1", "/b/2"], others=OTHERS)  # 57 requests in the window, 19 of them 5xx
    states = report_states(report, (report.rule, *OTHERS))
    shown = [state_json(state) for state in states]
    assert [s["rule"] for s in shown] == [
        "high_traffic",
        "error_rate_5xx",
        "section_rate:/a",
        "section_rate:/b",
    ]
    assert [(s["unit"], s["value"], s["limit"]) for s in shown] == [
        ("req/s", 2.85, 2), ("%", 33.333, 5), ("req/s", 1.4, 1), ("req/s", 1.45, 100),
    ]  # fmt: skip
    assert [(s["on"], s["since"]) for s in shown] == [
        (True, T0 - 17), (True, T0 - 27), (True, T0 - 17), (False, None),
    ]  # fmt: skip
    assert (shown[1]["volume"], shown[1]["minimum"], shown[1]["classes"]) == (57, 10, "5xx")
    assert shown[2]["section"] == "/a" and "volume" not in shown[2]


def test_without_rules_given_the_report_tells_the_high_traffic_one() -> None:
    report = make_report(["/a/1"], others=OTHERS)
    (alone,) = report_states(report, ())
    assert alone.rule == report.rule and alone.on and alone.value == 57


def test_a_4xx_and_5xx_error_rate_counts_both_classes() -> None:
    both = ErrorRateRule(30, 20, min_requests=10, classes="4xx+5xx")
    report = make_report(["/a/1"], others=(both,))
    (_, state) = report_states(report, (report.rule, both))
    assert (state.value, state.volume, state_json(state)["value"]) == (38, 57, 66.667)


def test_a_poll_moves_the_high_traffic_rule_and_a_transition_its_own_rule_at_once() -> None:
    rule = AlertRule(2, 20)
    states = (RuleState(rule), RuleState(ERRORS, 1, 50))
    polled = with_status(states, Status(T0, T0 - 3, 2.5, 2, 20, 3.0, 1, T0, hits=50))
    assert (polled[0].on, polled[0].since, polled[0].level) == (True, T0 - 3, 2.5)
    assert polled[1] == states[1]
    on = with_transition(polled, Transition(T0, ALERT, 9, ERRORS, onset=BEFORE, volume=100))
    assert (on[1].on, on[1].since, on[1].before) == (True, T0, True) and on[0] == polled[0]
    off = with_transition(on, Transition(T0 + 5, RECOVERED, 1, ERRORS, volume=100))
    assert (off[1].on, off[1].since, off[1].before) == (False, None, False)


def test_an_alert_restored_without_a_record_stays_on_until_said_otherwise() -> None:
    restored = (RuleState(AlertRule(2, 20), 50, on=True),)  # a report's: on, since unknown
    quiet = Status(T0, None, 2.5, 2, 20, 3.0, 1, T0, hits=50)  # a status cannot say it
    assert with_status(restored, quiet)[0].on
    recovered = with_transition(restored, Transition(T0, RECOVERED, 10, AlertRule(2, 20)))
    assert not with_status(recovered, quiet)[0].on
