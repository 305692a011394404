"""Where each rule the monitor judges stands, as the page, the API and /metrics tell it.

The monitor judges the high-traffic rule and, with `--error-rate` or `--section-rate`, others
beside it (core.rules), each named as alerts.csv and delivery name it (`high_traffic`,
`error_rate_5xx`, `section_rate:/api`). Reports and statuses carry every rule's standing
(core.standing) when others run; the high-traffic rule alone is told by their own fields.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from analyzer.core.alerts import ALERT, BEFORE, AlertRule, Transition
from analyzer.core.report import Report
from analyzer.core.rules import ErrorRateRule, SectionRateRule, rule_label
from analyzer.core.standing import Standing
from analyzer.ui.display import Status
from analyzer.ui.words import standing_text

HIGH_TRAFFIC = "high_traffic"  # the default rule's name (core.alerts.AlertRule.name)


def is_share(rule: AlertRule) -> bool:
    """A share of the window's requests (the error rate: requests and errors), not an average."""
    return len(rule.series) > 1


def unit(rule: AlertRule) -> str:
    """What a rule's values and threshold are in."""
    return "%" if is_share(rule) else "req/s"


def level(standing: Standing) -> float:
    """The value against the rule's limit: req/s over the window, or percent of its requests."""
    if is_share(standing.rule):
        return 100 * standing.value / standing.volume if standing.volume else 0.0
    return standing.value / standing.rule.window


def quiet(rule: AlertRule) -> Standing:
    """A rule before the first report: nothing counted, no alert."""
    return Standing(rule, 0, 0, False, False)


def traffic(rule: AlertRule, hits: int, on: bool, since: int | None, before: bool = False) -> Standing:
    """The high-traffic rule alone, from a report's or a status's own fields."""
    above = bool(rule.decide(np.array([[hits]]))[0][0])
    return Standing(rule, hits, 0, above, on, since if on else None, on and before)


def report_states(report: Report) -> tuple[Standing, ...]:
    """Every rule at the report's second (the high-traffic one first)."""
    if report.standings:
        return report.standings
    newest = next((t for t in reversed(report.history) if t.rule.key == report.rule.key), None)
    since, before = (newest.second, newest.onset == BEFORE) if newest is not None else (None, False)
    return (traffic(report.rule, report.window.requests, report.alert_on, since, before),)


def status_states(previous: tuple[Standing, ...], status: Status) -> tuple[Standing, ...]:
    """Every rule at the second a poll judged to. The high-traffic rule alone: a status has no
    since for an alert restored at start without a record, so such an alert stays on until its
    recovery's transition or a report says otherwise."""
    if status.standings:
        return status.standings
    if len(previous) != 1:
        return previous  # no rule known yet (no report), or several and a status without them
    (old,) = previous
    since = status.alert_since
    on = since is not None or (old.on and old.since is None)  # an alert restored without a record
    return (traffic(old.rule, status.window_hits, on, since, old.before and old.since == since),)


def with_transition(previous: tuple[Standing, ...], transition: Transition) -> tuple[Standing, ...]:
    """A rule turned on or off: at once (a status then says as much, but not of an alert
    restored without a record: its recovery is told by this)."""
    on = transition.kind == ALERT
    since, before = (transition.second, transition.onset == BEFORE) if on else (None, False)
    return tuple(
        replace(standing, on=on, since=since, before=before)
        if standing.rule.key == transition.rule.key
        else standing
        for standing in previous
    )


def number(text: str) -> float:
    """A limit's exact decimal text as the JSON number it is."""
    return float(Fraction(text))


def state_json(standing: Standing) -> dict[str, object]:
    """A rule as the page shows it: `value` against `limit` in `unit` (req/s, or % of `volume`
    requests, judged from `minimum` of them; `above` it now), its alert `on` since `since`
    (epoch seconds); `label` and `text` in the terminal's words (`error rate 5xx`, `5xx 6.20% > 5%`)."""
    rule = standing.rule
    data: dict[str, object] = {
        "rule": rule.name,
        "label": rule_label(rule.name),
        "unit": unit(rule),
        "value": round(level(standing), 3),
        "limit": number(rule.threshold_text),
        "recovery": number(rule.recovery_text) if rule.recovery_text else None,
        "window_s": rule.window,
        "above": standing.above,
        "on": standing.on,
        "since": standing.since,
        "before": standing.before,
        "text": standing_text(standing),
    }
    if isinstance(rule, ErrorRateRule):
        data.update(volume=standing.volume, minimum=rule.min_requests, classes=rule.classes)
    if isinstance(rule, SectionRateRule):
        data["section"] = rule.section
    return data


def states_json(standings: tuple[Standing, ...]) -> list[dict[str, object]]:
    return [state_json(standing) for standing in standings]
