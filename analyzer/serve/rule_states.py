"""Where each rule the monitor judges stands, as the page, the API and /metrics tell it.

The monitor judges the high-traffic rule and, with `--error-rate` or `--section-rate`, others
beside it (core.rules), each named as alerts.csv and delivery name it (`high_traffic`,
`error_rate_5xx`, `section_rate:/api`). Pure functions: a report gives every rule's window
totals and alerts, a status (every poll) the high-traffic rule's, a transition one rule's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from analyzer.core.alerts import ALERT, BEFORE, AlertRule, Transition
from analyzer.core.report import Report
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.stats import Summary
from analyzer.ui.display import Status

HIGH_TRAFFIC = "high_traffic"  # the default rule's name (core.alerts.AlertRule.name)


@dataclass(frozen=True)
class RuleState:
    """One rule: `value` its window's total (hits, a section's hits, errors), `volume` the
    window's requests for a share's rule (else 0), its alert `on` since `since` (None: off, or
    on since before a start that has no record of it; `before`: found on at start)."""

    rule: AlertRule
    value: int = 0
    volume: int = 0
    on: bool = False
    since: int | None = None
    before: bool = False

    @property
    def share(self) -> bool:
        return is_share(self.rule)

    @property
    def level(self) -> float:
        """The value against the rule's limit: req/s over the window, or percent of its requests."""
        if self.share:
            return 100 * self.value / self.volume if self.volume else 0.0
        return self.value / self.rule.window


def is_share(rule: AlertRule) -> bool:
    """A share of the window's requests (the error rate: requests and errors), not an average."""
    return len(rule.series) > 1


def unit(rule: AlertRule) -> str:
    """What a rule's values and threshold are in."""
    return "%" if is_share(rule) else "req/s"


def window_total(summary: Summary, rule: AlertRule) -> tuple[int, int]:
    """(value, volume) of `rule` over a report's window: what its series sum to there."""
    if isinstance(rule, ErrorRateRule):
        classes = rule.classes.split("+")  # `5xx`, `4xx+5xx`: status classes the summary counts
        return sum(int(summary.status_counts[name]) for name in classes), summary.requests
    if isinstance(rule, SectionRateRule):
        return int(summary.sections.get(rule.section, 0)), 0
    return summary.requests, 0


def newest_alert(history: list[Transition], rule: AlertRule, second: int) -> Transition | None:
    """`rule`'s newest transition at or before `second`, if it is an alert (the one still on)."""
    mine = (t for t in reversed(history) if t.rule.key == rule.key and t.second <= second)
    newest = next(mine, None)
    return newest if newest is not None and newest.kind == ALERT else None


def report_states(report: Report, rules: tuple[AlertRule, ...]) -> tuple[RuleState, ...]:
    """Every rule at the report's second, in the rules' order (the high-traffic one first:
    its state is the report's own, which knows an alert restored at start without a record)."""
    found = []
    for rule in rules or (report.rule,):
        value, volume = window_total(report.window, rule)
        alert = newest_alert(report.history, rule, report.time)
        on = report.alert_on if rule.key == report.rule.key else alert is not None
        since = alert.second if on and alert is not None else None
        before = on and alert is not None and alert.onset == BEFORE
        found.append(RuleState(rule, value, volume, on, since, before))
    return tuple(found)


def with_status(states: tuple[RuleState, ...], status: Status) -> tuple[RuleState, ...]:
    """The high-traffic rule as a poll's status has it (to the second last judged)."""
    return tuple(polled(state, status) if state.rule.name == HIGH_TRAFFIC else state for state in states)


def polled(state: RuleState, status: Status) -> RuleState:
    """A status has no since for an alert restored at start without a record: such an alert
    stays on until its recovery's transition or a report says otherwise."""
    since = status.alert_since
    if since is None:
        return replace(state, value=status.window_hits, on=state.on and state.since is None)
    before = state.before and state.since == since
    return replace(state, value=status.window_hits, on=True, since=since, before=before)


def with_transition(states: tuple[RuleState, ...], transition: Transition) -> tuple[RuleState, ...]:
    """One rule turned on or off: its state at once, before the next report."""
    on = transition.kind == ALERT
    since, before = (transition.second, transition.onset == BEFORE) if on else (None, False)
    return tuple(
        replace(state, on=on, since=since, before=before) if state.rule.key == transition.rule.key else state
        for state in states
    )


def number(text: str) -> float:
    """A limit's exact decimal text as the JSON number it is."""
    return float(Fraction(text))


def state_json(state: RuleState) -> dict[str, object]:
    """A rule as the page shows it: `value` against `limit` in `unit` (req/s, or % of `volume`
    requests, judged from `minimum` of them), its alert `on` since `since` (epoch seconds)."""
    rule = state.rule
    data: dict[str, object] = {
        "rule": rule.name,
        "unit": unit(rule),
        "value": round(state.level, 3),
        "limit": number(rule.threshold_text),
        "recovery": number(rule.recovery_text) if rule.recovery_text else None,
        "window_s": rule.window,
        "on": state.on,
        "since": state.since,
        "before": state.before,
    }
    if isinstance(rule, ErrorRateRule):
        data.update(volume=state.volume, minimum=rule.min_requests, classes=rule.classes)
    if isinstance(rule, SectionRateRule):
        data["section"] = rule.section
    return data


def states_json(states: tuple[RuleState, ...]) -> list[dict[str, object]]:
    return [state_json(state) for state in states]
