"""The rules beside the high-traffic one: the error rate and one section's rate.

Both are judged by the same fold (core.alerts `check`), over the same window, with the same
semantics: strict `>` between integers computed exactly from the decimal text given, an
optional recovery threshold, transitions per second. A rule names the per-second series its
window totals are made of (`series`): `hits`, `errors_5xx`, `errors_4xx+5xx`, or
`section:/api`; the live window and the backtest count exactly those.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from analyzer.core.alerts import ALERT, AlertRule, Transition, worded

ERROR_CLASSES = ("5xx", "4xx+5xx")
HITS = "hits"
SECTION = "section:"  # a section's series: `section:/api`


def error_series(classes: str) -> str:
    return f"errors_{classes}"


def error_statuses(classes: str) -> tuple[int, int]:
    """The status codes counted as errors, [low, high)."""
    return (500, 600) if classes == "5xx" else (400, 600)


@dataclass(frozen=True)
class ErrorRateRule(AlertRule):
    """On when the window holds at least `min_requests` requests and the share of errors
    (`classes`: 5xx, or 4xx+5xx) among them is strictly above `threshold` percent:
    errors * 100 * D > P * requests, P / D the percentage's exact fraction. With a recovery
    percentage R an alert that is on turns off when the share is at or below R, or when the
    window holds fewer than `min_requests` (so an empty window recovers, as traffic's does)."""

    min_requests: int = 100
    classes: str = "5xx"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.threshold >= 100:
            raise ValueError(f"error-rate percentage must be below 100, got {self.threshold}")
        if self.min_requests < 1:
            raise ValueError(f"minimum requests must be >= 1, got {self.min_requests}")
        if self.classes not in ERROR_CLASSES:
            raise ValueError(f"errors must be one of {', '.join(ERROR_CLASSES)}, not {self.classes!r}")

    @property
    def name(self) -> str:
        return f"error_rate_{self.classes}"

    @property
    def series(self) -> tuple[str, ...]:
        return (HITS, error_series(self.classes))

    @property
    def key(self) -> str:
        return f"{self.name}/{super().key}/{self.min_requests}"

    def decide(self, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        requests, errors = totals[0], totals[1]
        enough = requests >= self.min_requests
        return enough & _share_above(errors, requests, self.threshold_text), ~enough | ~_share_above(
            errors, requests, self.recovery_text or self.threshold_text
        )

    def shown(self, hits: int, volume: int, kind: str) -> str:
        """The share in percent, 2 decimals; an alert's never reads as not above the
        percentage, a recovery's (with the volume to judge) never as above it."""
        share = Fraction(100 * hits, volume) if volume else Fraction(0)
        text = f"{float(share):.2f}"
        threshold = Fraction(self.threshold_text)
        if kind == ALERT and Fraction(text) <= threshold:
            text = f"{math.ceil(share * 100) / 100:.2f}"
        elif kind != ALERT and volume >= self.min_requests and Fraction(text) > threshold:
            text = f"{math.floor(share * 100) / 100:.2f}"
        return text

    def wording(self, kind: str, onset: str, value: str, stamp: str, volume: int = 0) -> str:
        what = f"{self.classes} = {value}% of {volume:,} requests"
        return worded("High error rate", what, kind, onset, stamp)


def _share_above(errors: np.ndarray, requests: np.ndarray, percent: str) -> np.ndarray:
    """errors / requests > percent / 100, exactly: errors * 100 * D > P * requests."""
    ratio = Fraction(percent)
    left, right = 100 * ratio.denominator, ratio.numerator
    biggest = int(max(errors.max(initial=0), requests.max(initial=0)))
    if biggest * max(left, right) >= 2**62:  # beyond int64: Python integers
        errors, requests = errors.astype(object), requests.astype(object)
    return np.asarray(errors * left > requests * right, bool)


@dataclass(frozen=True)
class SectionRateRule(AlertRule):
    """On when one section's requests over the window average strictly above `threshold`
    req/s: section_hits(t) > threshold * W, as the high-traffic rule for all requests."""

    section: str = "/"

    @property
    def name(self) -> str:
        return f"section_rate:{self.section}"

    @property
    def series(self) -> tuple[str, ...]:
        return (SECTION + self.section,)

    @property
    def key(self) -> str:
        return f"{self.name}/{super().key}"

    def wording(self, kind: str, onset: str, value: str, stamp: str, volume: int = 0) -> str:
        return worded(f"High traffic on {self.section}", f"hits = {value}", kind, onset, stamp)


# Every rule words its messages with its own subject (core.alerts `worded`): the rule of a row
# from before alerts.csv had a `rule` column is in its message. Greedy: a section's own text may
# hold the words; what follows the subject never does.
_SECTION_SUBJECT = re.compile(
    r"High traffic on (.*) (?:generated an alert|alert (?:recovered|already on when monitoring started"
    r"|recovered before monitoring started)) - hits = [0-9.]+, [a-z ]+ [0-9T:Z+-]+",
    re.DOTALL,
)
_ERROR_SUBJECT = re.compile(r"High error rate [a-z ]+ - (\S+) = ")


def rule_of_row(rule: str | None, message: str) -> str:
    """An alerts.csv row's rule: its `rule` cell, or in a file older than that column, the rule
    its message names (high traffic's when it names no other)."""
    if rule:
        return rule
    if message.startswith("High error rate "):
        found = _ERROR_SUBJECT.match(message)
        if found and found[1] in ERROR_CLASSES:
            return f"error_rate_{found[1]}"
    elif message.startswith("High traffic on "):
        found = _SECTION_SUBJECT.fullmatch(message)
        if found:
            return f"section_rate:{found[1]}"
    return "high_traffic"


def rule_label(name: str) -> str:
    """A rule's name (`name`, alerts.csv's `rule`) as people read it: `high traffic`, `error
    rate 4xx+5xx`, `section /api`."""
    if name.startswith("error_rate_"):
        return "error rate " + name.removeprefix("error_rate_")
    if name.startswith("section_rate:"):
        return "section " + name.removeprefix("section_rate:")
    return name.replace("_", " ")


# The columns an alert's drivers name, per population: a section rule's are within the section.
DRIVEN_BY = (("section", "section"), ("host", "host"), ("user_agent", "agent"))  # (column, kind)
DRIVEN_IN_SECTION = (("path", "path"), ("host", "host"), ("user_agent", "agent"))


def population(rule: AlertRule) -> str:
    """The requests an alert's drivers are counted over: the series the rule's value counts
    (every request for high traffic, the errors for an error rate, one section's requests)."""
    return rule.series[-1]


def driven_by(series: str) -> tuple[tuple[str, str], ...]:
    """The (column, kind) pairs the drivers of a population name."""
    return DRIVEN_IN_SECTION if series.startswith(SECTION) else DRIVEN_BY


def scoped(rules: list[AlertRule]) -> tuple[str, ...]:
    """The populations other than all requests whose drivers some rule needs: their keys are
    counted apart (core.window)."""
    return tuple(dict.fromkeys(population(rule) for rule in rules if population(rule) != HITS))


def in_population(series: str, status: np.ndarray, sections: np.ndarray, code: int) -> np.ndarray:
    """Which requests (their status codes and section codes) belong to a population other than
    all requests; `code` is the population's section's (-1: not seen)."""
    if series.startswith(SECTION):
        return (sections == code) & (code >= 0)
    low, high = error_statuses(series.removeprefix("errors_"))
    return (status >= low) & (status < high)


def tracked_sections(rules: list[AlertRule]) -> tuple[str, ...]:
    """The sections whose per-second requests some rule needs."""
    return tuple(dict.fromkeys(rule.section for rule in rules if isinstance(rule, SectionRateRule)))


def rule_series(
    second_codes: np.ndarray,
    size: int,
    status: np.ndarray,
    section_codes: np.ndarray,
    section_labels: np.ndarray,
    sections: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """The rules' series per distinct second: the errors of each kind, the tracked sections' requests."""
    found = {}
    for classes in ERROR_CLASSES:
        low, high = error_statuses(classes)
        failed = (status >= low) & (status < high)
        found[error_series(classes)] = np.bincount(second_codes[failed], minlength=size).astype(np.int64)
    labels = list(section_labels)
    for section in sections:
        code = labels.index(section) if section in labels else -2
        mine = section_codes == code
        found[SECTION + section] = np.bincount(second_codes[mine], minlength=size).astype(np.int64)
    return found


def since_of(history: list[Transition], rule: AlertRule) -> int | None:
    """The second of `rule`'s newest transition in a history that holds every rule's."""
    return next((t.second for t in reversed(history) if t.rule.key == rule.key), None)


def alerts_on(history: list[Transition]) -> list[Transition]:
    """The alerts still on: each rule's newest transition where it is an alert, oldest first."""
    newest = {t.rule.key: t for t in history}
    return sorted((t for t in newest.values() if t.kind == ALERT), key=lambda t: t.second)
