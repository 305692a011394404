"""Where the state a start finds really began: a pure search over hits per second.

A monitor that starts with no record of the alert state (no checkpoint of this rule) reads
back over the end of the log and finds the alert on, or finds an alert on record already
over. The first second it can judge is not when that happened: the crossing lies somewhere
before. This module tells, from the hits of each second complete from some second `first`
on (nothing is known before it: the start of what was read back, or of the log), the state
at second `judged` and the second at which it really began, or that it began before what
the counts hold, so that the reader goes further back or says so in its own words.

What the counts prove, second by second: the window of a second t reaches back to
t - W + 1. While that lies before `first` the window total is only a lower bound (lines
before `first` may be missing): it proves the alert on when it is above the on limit, and
keeps an alert on while it stays above the off limit, but never proves it off. From
`first + W - 1` on the totals are exact and the rule decides as everywhere else.

Every rule is opened so (core.rules: an error rate, a section's rate): the counts are one row
per series of the rule. A rule whose value is one count (the traffic, a section's) grows
with the lines missing, so a lower bound proves it on as above; a share (errors among
requests) does not (the missing lines may be answered 200), so a partial window proves
nothing of it and only whole windows decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition, window_totals

UNKNOWN, OFF, ON = -1, 0, 1


@dataclass(frozen=True)
class Opening:
    """The state at `second`, and the transition that led to it if the record lacks it.

    `settled` False: the change lies before what the counts hold, so counts reaching further
    back could place it; `transition` is then the best that can be said now (onset BEFORE),
    or None while the state itself is unknown.
    """

    second: int
    state: bool
    transition: Transition | None
    settled: bool


def known_states(counts: np.ndarray, rule: AlertRule) -> np.ndarray:
    """ON, OFF or UNKNOWN at each second of `counts` (complete from its first second; one row
    per series of the rule, or one flat array)."""
    counts = np.atleast_2d(counts)
    above, below = rule.decide(window_totals(counts, rule.window))
    index = np.arange(counts.shape[1])
    exact = index >= rule.window - 1
    grows = len(rule.series) == 1  # a count, not a share: a lower bound over the limit proves on
    sets_on = above & (exact | grows)
    sets_off = exact & below
    # A partial window at or below the off limit proves nothing: the state is unknown again.
    # Between the limits the state carries (exact: hysteresis; partial: only an `on` can).
    forgets = ~exact & (below | ~grows)
    event = sets_on | sets_off | forgets
    value = np.where(sets_on, ON, np.where(sets_off, OFF, UNKNOWN))
    last = np.maximum.accumulate(np.where(event, index, -1))
    return np.where(last >= 0, value[np.maximum(last, 0)], UNKNOWN).astype(np.int8)


def quiet_end(first: int, judged: int, newest: int | None, window: int) -> int:
    """The last second whose counts `open_at` needs to judge `judged` (`newest`: the newest
    second with a hit, `window`: the longest rule's). From `newest + window` on every window is
    empty and whole, so every rule decides the same at each of those seconds as at the first:
    its state there holds to `judged`. A log a year stale made the counts of a start 31 million
    seconds long (2.1 GB and 10 s, measured here) for a state known after a window."""
    if newest is None:
        return judged
    return min(judged, max(newest + window, first + window - 1))


def open_at(
    counts: np.ndarray, first: int, judged: int, rule: AlertRule, believed: bool, floor: int | None = None
) -> Opening:
    """The state at `judged` from `counts` (hits of seconds first..judged, complete from `first`;
    one row per series of the rule, or one flat array; or only up to `quiet_end`'s second).

    `believed`: the state on record (the last transition of alerts.csv; off without one), true
    at `floor`, the second of that transition. When the counts show the other state, the
    transition is placed at the second it really happened, if they hold it.
    """
    counts = np.atleast_2d(np.asarray(counts, np.int64))[:, : judged - first + 1]
    if judged < first or counts.shape[1] == 0:
        return Opening(judged, believed, None, False)
    states = known_states(counts, rule)
    now = int(states[-1])
    if now == UNKNOWN:
        return Opening(judged, believed, None, False)
    state = now == ON
    if state == believed:
        return Opening(judged, state, None, True)
    totals = window_totals(counts, rule.window)
    value, volume = totals[-1], totals[0] if len(totals) > 1 else np.zeros_like(totals[0])  # a share's
    other = np.flatnonzero(states != now)
    start = int(other[-1]) + 1 if len(other) else 0  # the run of the state now begins here
    kind = ALERT if state else RECOVERED
    placed = len(other) > 0 and states[start - 1] != UNKNOWN
    second = first + start
    if floor is not None and floor >= judged:
        return Opening(judged, believed, None, True)  # nothing to judge after the record
    if floor is not None and second <= floor:  # the record says otherwise up to its own second
        second, placed = floor + 1, False
    if placed:
        found = Transition(second, kind, int(value[start]), rule, volume=int(volume[start]))
        return Opening(judged, state, found, True)
    # Not placed: said as found, with the average when monitoring started; settled only
    # where no earlier count can change it (the record's own second bounds the search).
    found = Transition(second, kind, int(value[-1]), rule, BEFORE, volume=int(volume[-1]))
    return Opening(judged, state, found, floor is not None and second == floor + 1)
