from __future__ import annotations

from dataclasses import replace

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.standing import Standing
from analyzer.serve.rule_states import level, quiet, report_states, state_json, status_states, with_transition
from analyzer.ui.display import Status
from tests.serve.conftest import T0, make_report

ERRORS = ErrorRateRule(5, 20, min_requests=10)
OTHERS = (ERRORS, SectionRateRule(1, 20, section="/a"), SectionRateRule(100, 20, section="/b"))


def test_every_rule_stands_at_the_reports_second_with_its_own_value_and_alert() -> None:
    report = make_report(["/a/1", "/b/2"], others=OTHERS)  # 57 requests in the window, 19 of them 5xx
    shown = [state_json(state) for state in report_states(report)]
    assert [s["rule"] for s in shown] == [
        "high_traffic",
        "error_rate_5xx",
        "section_rate:/a",
        "section_rate:/b",
    ]
    assert [s["label"] for s in shown] == ["high traffic", "error rate 5xx", "section /a", "section /b"]
    assert [(s["unit"], s["value"], s["limit"], s["above"]) for s in shown] == [
        ("req/s", 2.85, 2, True), ("%", 33.333, 5, True),
        ("req/s", 1.4, 1, True), ("req/s", 1.45, 100, False),
    ]  # fmt: skip
    assert [(s["on"], s["since"]) for s in shown] == [
        (True, T0 - 17), (True, T0 - 27), (True, T0 - 17), (False, None),
    ]  # fmt: skip
    assert [s["text"] for s in shown] == [  # the terminal's words (ui.words.standing_text)
        "avg 2.85 > 2 req/s", "5xx 33.33% > 5%", "/a 1.40 > 1 req/s", "/b 1.45 \u2264 100 req/s",
    ]  # fmt: skip
    assert (shown[1]["volume"], shown[1]["minimum"], shown[1]["classes"]) == (57, 10, "5xx")
    assert shown[2]["section"] == "/a" and "volume" not in shown[2]


def test_the_high_traffic_rule_alone_is_told_by_the_reports_own_fields() -> None:
    report = make_report(["/a/1"])
    assert report.standings == ()
    (alone,) = report_states(report)
    assert (alone.rule, alone.value, alone.on, alone.since, alone.above) == (
        report.rule,
        57,
        True,
        T0 - 17,
        True,
    )


def test_a_4xx_and_5xx_error_rate_counts_both_classes() -> None:
    both = ErrorRateRule(30, 20, min_requests=10, classes="4xx+5xx")
    (_, state) = report_states(make_report(["/a/1"], others=(both,)))
    assert (state.value, state.volume, state_json(state)["value"]) == (38, 57, 66.667)


def status(since: int | None, hits: int, standings: tuple[Standing, ...] = ()) -> Status:
    return Status(T0, since, hits / 20, 2, 20, 3.0, 1, T0, hits=hits, standings=standings)


def test_a_poll_tells_every_rule_or_the_high_traffic_one_alone() -> None:
    rule = AlertRule(2, 20)
    alone = status_states((quiet(rule),), status(T0 - 3, 50))
    assert [(s.on, s.since, s.above, level(s)) for s in alone] == [(True, T0 - 3, True, 2.5)]
    several = (quiet(rule), Standing(ERRORS, 9, 100, True, True, T0))
    assert status_states((quiet(rule), quiet(ERRORS)), status(None, 10, several)) == several
    assert status_states((), status(T0, 50)) == ()  # no rule known yet: nothing to move


def test_a_transition_moves_its_own_rule_at_once() -> None:
    before = (quiet(AlertRule(2, 20)), quiet(ERRORS))
    on = with_transition(before, Transition(T0, ALERT, 9, ERRORS, onset=BEFORE, volume=100))
    assert on[0] == before[0] and (on[1].on, on[1].since, on[1].before) == (True, T0, True)
    off = with_transition(on, Transition(T0 + 5, RECOVERED, 1, ERRORS, volume=100))
    assert (off[1].on, off[1].since, off[1].before) == (False, None, False)


def test_an_alert_restored_without_a_record_stays_on_until_its_recovery() -> None:
    rule = AlertRule(2, 20)
    restored = (replace(quiet(rule), on=True),)  # a report's: on, since unknown
    assert status_states(restored, status(None, 50))[0].on  # a status cannot say it
    recovered = with_transition(restored, Transition(T0, RECOVERED, 10, rule))
    assert not status_states(recovered, status(None, 10))[0].on
