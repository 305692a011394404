"""The alert check: a pure fold over hits per second, shared by the monitor and backtest.

`window_hits(t)` = requests with timestamp in (t - W, t]. The alert is on at second t when
`window_hits(t) > threshold * W`; with a recovery threshold R it turns off only when
`window_hits(t) <= R * W`. Limits are whole numbers computed exactly from the decimal text of
the thresholds, so the comparison is between integers and `0.1 * 120` is exactly 12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

import numpy as np

ALERT = "alert"
RECOVERED = "recovered"
# How a transition's second is known: the state really changed at it (`crossed`), or a start
# found the state already changed and could not read back to when (`before`: the change lies
# before the second, beyond the look-back or before the log's first line).
CROSSED = "crossed"
BEFORE = "before"


def decimal_text(value: float) -> str:
    """A threshold as exact decimal text: the shortest that reads back as the same float, never
    in exponent form (`12.3456789`, `10`, `0.00001`). The rule's limits are computed from it."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def worded(subject: str, what: str, kind: str, onset: str, stamp: str) -> str:
    """A transition's message, every rule's in the high-traffic rule's words (`subject` and
    `what` its own): `{subject} generated an alert - {what}, triggered at {stamp}`, ..."""
    if onset == BEFORE:
        if kind == ALERT:
            return f"{subject} alert already on when monitoring started - {what}, on since before {stamp}"
        return f"{subject} alert recovered before monitoring started - {what}, off since before {stamp}"
    if kind == ALERT:
        return f"{subject} generated an alert - {what}, triggered at {stamp}"
    return f"{subject} alert recovered - {what}, recovered at {stamp}"


@dataclass(frozen=True)
class AlertRule:
    """When the alert turns on and off: average req/s over `window` seconds."""

    threshold: float
    window: int = 120
    recovery: float | None = None

    def __post_init__(self) -> None:
        if not self.threshold > 0:
            raise ValueError(f"threshold must be > 0, got {self.threshold}")
        if self.window < 1:
            raise ValueError(f"window must be >= 1 second, got {self.window}")
        if self.recovery is not None and not 0 <= self.recovery < self.threshold:
            raise ValueError(f"recovery threshold must be in [0, {self.threshold}), got {self.recovery}")

    @property
    def threshold_text(self) -> str:
        return decimal_text(self.threshold)

    @property
    def recovery_text(self) -> str:
        """The recovery threshold as exact decimal text; empty without hysteresis."""
        return "" if self.recovery is None else decimal_text(self.recovery)

    @property
    def on_limit(self) -> int:
        """The alert is on when window hits are strictly above this."""
        return math.floor(Fraction(self.threshold_text) * self.window)

    @property
    def off_limit(self) -> int:
        """An alert that is on turns off when window hits are at or below this."""
        if self.recovery is None:
            return self.on_limit
        return math.floor(Fraction(self.recovery_text) * self.window)

    # What other rules (core.rules) change: the name, the per-second series the fold sums over
    # the window, the decision on those window totals, and the wording of a transition.
    @property
    def name(self) -> str:
        return "high_traffic"

    @property
    def series(self) -> tuple[str, ...]:
        """The per-second series the rule's window totals are made of, in order."""
        return ("hits",)

    @property
    def key(self) -> str:
        return f"{self.threshold_text}/{self.window}/{self.recovery_text or None}"

    def decide(self, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(above: turns on, below: turns off) at each second, from window totals (one row per series)."""
        return totals[0] > self.on_limit, totals[0] <= self.off_limit

    def shown(self, hits: int, volume: int, kind: str) -> str:
        return shown_rate(hits, self, kind)

    def wording(self, kind: str, onset: str, value: str, stamp: str, volume: int = 0) -> str:
        return worded("High traffic", f"hits = {value}", kind, onset, stamp)


def rule_key(rule: AlertRule) -> str:
    """The alert state only carries over to the same threshold, window and recovery (exact text:
    a threshold of 12.3456789 is not 12.3457); another rule's key starts with its name."""
    return rule.key


def shown_rate(hits: int, rule: AlertRule, kind: str) -> str:
    """The window average as a message prints it: 2 decimals, except that an alert's never
    reads as not above the threshold (3001 hits in 300 s is 10.01, not 10.00) and a
    recovery's never reads as above it: rounded up, or down, where plain rounding would."""
    rate = Fraction(hits, rule.window)
    text = f"{float(rate):.2f}"
    threshold = Fraction(rule.threshold_text)
    if kind == ALERT and Fraction(text) <= threshold:
        text = f"{math.ceil(rate * 100) / 100:.2f}"
    elif kind != ALERT and Fraction(text) > threshold:
        text = f"{math.floor(rate * 100) / 100:.2f}"
    return text


@dataclass(frozen=True)
class Driver:
    """What drove an alert: a section, client host or user agent (`kind`: `section`, `host`,
    `agent`) whose hits rose by `rise` from the window before the one that crossed, holding
    `share` (0..1) of the crossing window's hits. `key` is the logged text, not escaped."""

    kind: str
    key: str
    rise: int
    share: float


@dataclass(frozen=True)
class Transition:
    """The alert turned on (`alert`) or off (`recovered`) at `second` (UTC epoch).

    `onset` BEFORE: a start found the alert in this state at `second` and could not read back
    to when it changed; `hits` is the window's at `second`.
    """

    second: int
    kind: str
    hits: int
    rule: AlertRule
    onset: str = CROSSED
    # What drove an alert (core.drivers), most first; None: not known (a recovery, a row
    # restored from alerts.csv, a start that found the alert already on). Not compared: the
    # transition is the same whatever could be said of its cause.
    drivers: tuple[Driver, ...] | None = field(default=None, compare=False)
    # The requests in the window, for a rule that is a share of them (error rate); else 0.
    volume: int = 0
    # The message as recorded (a row restored from alerts.csv of a rule whose value is not
    # hits alone); None: worded from the fields.
    text: str | None = field(default=None, compare=False)

    @property
    def rate(self) -> float:
        """The average over the window, in requests per second (a share's rule: its percentage)."""
        if len(self.rule.series) > 1:
            return 100 * self.hits / self.volume if self.volume else 0.0
        return self.hits / self.rule.window

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.second, UTC)

    @property
    def shown(self) -> str:
        """The value as the message prints it (the high-traffic rule's: the average)."""
        return self.rule.shown(self.hits, self.volume, self.kind)

    @cached_property
    def message(self) -> str:
        if self.text is not None:
            return self.text
        return self.rule.wording(self.kind, self.onset, self.shown, self.time.isoformat(), self.volume)


def counts_per_second(seconds: np.ndarray, first: int, last: int) -> np.ndarray:
    """Hits in each second first..last (inclusive) from event seconds; others ignored."""
    inside = seconds[(seconds >= first) & (seconds <= last)] - first
    return np.bincount(inside.astype(np.int64), minlength=last - first + 1)


def window_totals(counts: np.ndarray, window: int) -> np.ndarray:
    """totals[i] = sum of counts[i - window + 1 .. i]; seconds before the array count 0.
    With several series (one row each), per row."""
    running = np.cumsum(counts, axis=-1, dtype=np.int64)
    totals = running.copy()
    totals[..., window:] -= running[..., :-window]
    return totals


def alert_states(totals: np.ndarray, rule: AlertRule, was_on: bool, off_from: int = 0) -> np.ndarray:
    """Whether the alert is on at each second, given its state the second before.

    Before index `off_from` the totals are only lower bounds (the window restarted after a
    jump of the log's time): they can turn the alert on, never off.
    """
    above, below = rule.decide(np.atleast_2d(totals))
    if rule.recovery is None and off_from <= 0 and type(rule) is AlertRule:
        return above
    if off_from > 0:
        below &= np.arange(len(above)) >= off_from
    # Hysteresis: only a second above the on limit or at/below the off limit decides;
    # the seconds in between carry the last decided state forward.
    decided = above | below
    last_decided = np.maximum.accumulate(np.where(decided, np.arange(len(above)), -1))
    return np.where(last_decided >= 0, above[np.maximum(last_decided, 0)], was_on)


def check(
    counts: np.ndarray,
    first: int,
    start: int,
    end: int,
    was_on: bool,
    rule: AlertRule,
    off_from: int | None = None,
) -> tuple[list[Transition], bool]:
    """Evaluate seconds start..end; counts[i] holds the hits of second first + i.

    counts must cover start - window + 1 .. end (earlier seconds may be absent: they count 0):
    one row per series of `rule.series` (a single series may be one flat array).
    Seconds before `off_from` may turn the alert on but not off (their windows are partial).
    Returns the transitions found, oldest first, and the state at `end`.
    """
    if end < start:
        return [], was_on
    counts = np.atleast_2d(counts)
    totals = window_totals(counts[:, : end - first + 1], rule.window)[:, start - first :]
    states = alert_states(totals, rule, was_on, 0 if off_from is None else off_from - start)
    before = np.concatenate(([was_on], states[:-1]))
    changed = np.flatnonzero(states != before)
    value, volume = totals[-1], totals[0]  # a share's (errors, requests); else hits, hits
    found = [
        Transition(
            start + int(i),
            ALERT if states[i] else RECOVERED,
            int(value[i]),
            rule,
            volume=int(volume[i]) if len(totals) > 1 else 0,
        )
        for i in changed
    ]
    return found, bool(states[-1])


GAP_JUDGED = 1 << 16  # seconds of an empty stretch judged anyway (cheaper than another call)


def stretches(active: np.ndarray, start: int, end: int, window: int) -> list[tuple[int, int]]:
    """The ranges of seconds start..end that must be judged, given the sorted seconds that hold
    requests (from start - window + 1 on). Elsewhere every window is empty, so the alert is
    off there already and nothing changes: a few lines stamped 1970 among today's cost no
    array over 56 years. The first second is always judged (an alert on record ends there
    when the window is empty)."""
    if len(active) == 0:
        return [(start, start)]
    breaks = np.flatnonzero(np.diff(active) > window + GAP_JUDGED)
    firsts = np.concatenate(([active[0]], active[breaks + 1]))
    lasts = np.concatenate((active[breaks], [active[-1]]))
    ranges = []
    for busy, last in zip(firsts.tolist(), lasts.tolist(), strict=True):  # one per long gap
        low, high = max(start, busy), min(end, last + window)  # empty again `window` after its last
        if low <= high:
            ranges.append((low, high))
    if not ranges or ranges[0][0] > start:
        ranges.insert(0, (start, start))
    return ranges


def check_seconds(
    seconds: np.ndarray, start: int, end: int, was_on: bool, rule: AlertRule
) -> tuple[list[Transition], bool]:
    """`check` over raw event seconds (one per request) instead of per-second counts."""
    first = start - rule.window + 1
    return check(counts_per_second(seconds, first, end), first, start, end, was_on, rule)


def state_at(history: list[Transition], second: int, current: bool, judged_to: int | None) -> bool:
    """Whether the alert was on at `second`, from the transitions (`current`: the state now,
    after judging up to `judged_to`): a report written after later seconds were judged, as a
    fast replay's, says the state at its own second."""
    if judged_to is None or second >= judged_to:
        return current
    for transition in reversed(history):
        if transition.second <= second:
            return transition.kind == ALERT
    return bool(history) and history[0].kind != ALERT
