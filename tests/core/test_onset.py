"""Where a state found at start began: placed only where the counts prove it, for any past."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, BEFORE, CROSSED, RECOVERED, AlertRule, Transition, check
from analyzer.core.onset import OFF, ON, UNKNOWN, known_states, open_at, quiet_end
from analyzer.core.rules import ErrorRateRule

T0 = 1_764_300_000
RULE = AlertRule(threshold=2, window=10)  # on above 20 hits in 10 s


def truth(counts: np.ndarray, rule: AlertRule) -> tuple[list[Transition], bool]:
    """The contract over a whole series that truly began at its first second (zeros before)."""
    return check(counts, T0, T0, T0 + counts.shape[-1] - 1, False, rule)


def test_a_crossing_inside_what_was_read_is_placed_at_its_second() -> None:
    counts = np.array([1] * 30 + [6] * 30)
    opening = open_at(counts, T0, T0 + 59, RULE, believed=False)
    (crossing,), state = truth(counts, RULE)
    assert opening.settled and opening.state and state
    assert opening.transition == crossing
    assert opening.transition.onset == CROSSED and opening.transition.second == T0 + 32


def test_traffic_high_from_the_first_second_read_began_before_it() -> None:
    """Nothing proves the state before the first line: the alert is on since before, not triggered."""
    counts = np.array([6] * 40)
    opening = open_at(counts, T0, T0 + 39, RULE, believed=False)
    assert opening.state and not opening.settled
    transition = opening.transition
    assert transition is not None and transition.onset == BEFORE and transition.kind == ALERT
    # The earliest second the counts prove on: 4 seconds of 6 is 24 > 20.
    assert transition.second == T0 + 3
    assert transition.hits == 60  # the average when monitoring started (the judged second)
    assert transition.message == (
        "High traffic alert already on when monitoring started - hits = 6.00, "
        "on since before 2025-11-28T03:20:03+00:00"
    )


def test_an_alert_on_record_that_ended_is_placed_at_its_recovery() -> None:
    counts = np.array([6] * 30 + [0] * 40)
    opening = open_at(counts, T0, T0 + 69, RULE, believed=True)
    assert opening.settled and not opening.state
    assert opening.transition == Transition(T0 + 36, RECOVERED, 18, RULE)


def test_the_state_on_record_is_kept_when_the_counts_agree() -> None:
    counts = np.array([6] * 40)
    opening = open_at(counts, T0, T0 + 39, RULE, believed=True)
    assert opening.settled and opening.state and opening.transition is None


def test_nothing_is_placed_at_or_before_the_record_s_own_second() -> None:
    """The record says off at its second: an alert on since before it is said to be on since after."""
    counts = np.array([6] * 40)
    opening = open_at(counts, T0, T0 + 39, RULE, believed=False, floor=T0 + 20)
    transition = opening.transition
    assert opening.settled and transition is not None
    assert (transition.second, transition.onset) == (T0 + 21, BEFORE)


def test_a_partial_window_never_proves_the_alert_off() -> None:
    states = known_states(np.array([0] * 9 + [0, 0]), RULE)
    assert list(states) == [UNKNOWN] * 9 + [OFF, OFF]
    states = known_states(np.array([30, 0, 0]), AlertRule(threshold=2, window=10, recovery=1))
    assert list(states) == [ON, ON, ON]  # 30 > 20, and a partial 30 stays above the off limit 10


def test_a_quiet_second_judged_alone_is_unknown() -> None:
    opening = open_at(np.array([1]), T0, T0, RULE, believed=False)
    assert not opening.settled and not opening.state and opening.transition is None


@settings(max_examples=300, deadline=None)
@given(
    past=st.lists(st.integers(0, 8), max_size=40),
    read=st.lists(st.integers(0, 8), min_size=1, max_size=60),
    threshold=st.sampled_from([1, 1.5, 2, 3]),
    window=st.integers(1, 12),
    recovery=st.sampled_from([None, 0.5, 1]),
)
def test_what_is_placed_is_true_whatever_the_past_held(
    past: list[int], read: list[int], threshold: float, window: int, recovery: float | None
) -> None:
    """Counts read from some second on, with any past before it: a placed transition is the last
    true one, a known state is the true state, and a state said to have begun before is true."""
    if recovery is not None and recovery >= threshold:
        recovery = None
    rule = AlertRule(threshold, window, recovery)
    series = np.array(past + read, np.int64)
    true_transitions, _ = truth(series, rule)
    judged = T0 + len(series) - 1
    first = T0 + len(past)
    true_on = truth(series, rule)[1]
    opening = open_at(np.array(read), first, judged, rule, believed=False)
    states = known_states(np.array(read), rule)
    if states[-1] != UNKNOWN:
        assert opening.state == true_on
    transition = opening.transition
    if transition is None:
        return
    assert transition.kind == (ALERT if true_on else RECOVERED)
    last = true_transitions[-1]
    if transition.onset == CROSSED:
        assert (transition.second, transition.kind, transition.hits) == (last.second, last.kind, last.hits)
    else:  # on since before its second: the true change came at or before it
        assert last.second <= transition.second and last.kind == transition.kind


def test_an_error_rate_is_proved_by_whole_windows_only() -> None:
    """A share is not a count: the lines before what was read may all be answered 200, so a
    partial window over the percentage proves nothing; the first whole window does."""
    errors = ErrorRateRule(20, 10, min_requests=5)
    counts = np.array([[4] * 30, [2] * 30])  # requests, 5xx: 50% from the first second read
    assert list(known_states(counts, errors)) == [UNKNOWN] * 9 + [ON] * 21
    opening = open_at(counts, T0, T0 + 29, errors, believed=False)
    transition = opening.transition
    assert opening.state and not opening.settled and transition is not None
    assert (transition.second, transition.onset, transition.hits, transition.volume) == (
        T0 + 9,
        BEFORE,
        20,
        40,
    )
    assert transition.message == (
        "High error rate alert already on when monitoring started - 5xx = 50.00% of 40 requests, "
        "on since before 2025-11-28T03:20:09+00:00"
    )
    counts = np.array([[4] * 40, [0] * 20 + [2] * 20])  # the crossing read: placed at its second,
    # 10 errors in 40 requests 5 s into the errors (8 in 40 is 20%: not over)
    placed = open_at(counts, T0, T0 + 39, errors, believed=False).transition
    assert placed == truth(counts, errors)[0][0] and placed is not None and placed.second == T0 + 24


@settings(max_examples=200, deadline=None)
@given(
    past=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=30),
    read=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=50),
    percent=st.sampled_from([10, 25, 50]),
    window=st.integers(1, 10),
    least=st.integers(1, 20),
    recovery=st.sampled_from([None, 5]),
)
def test_what_is_placed_of_an_error_rate_is_true_whatever_the_past_held(
    past: list[tuple[int, int]],
    read: list[tuple[int, int]],
    percent: int,
    window: int,
    least: int,
    recovery: int | None,
) -> None:
    """The same property for a share (requests, errors a second; errors among requests)."""
    rule = ErrorRateRule(percent, window, recovery, min_requests=least)
    series = np.array([[r + e for r, e in past + read], [e for _, e in past + read]], np.int64)
    true_transitions, true_on = truth(series, rule)
    first, judged = T0 + len(past), T0 + series.shape[1] - 1
    opening = open_at(series[:, len(past) :], first, judged, rule, believed=False)
    if known_states(series[:, len(past) :], rule)[-1] != UNKNOWN:
        assert opening.state == true_on
    transition = opening.transition
    if transition is None:
        return
    last = true_transitions[-1]
    if transition.onset == CROSSED:
        assert (transition.second, transition.kind, transition.hits, transition.volume) == (
            last.second, last.kind, last.hits, last.volume
        )  # fmt: skip
    else:
        assert last.second <= transition.second and last.kind == transition.kind


@settings(max_examples=300, deadline=None)
@given(
    read=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40),
    quiet=st.integers(0, 60),
    window=st.integers(1, 12),
    longer=st.integers(0, 5),
    share=st.booleans(),
    believed=st.booleans(),
    recorded=st.one_of(st.none(), st.integers(0, 100)),
    before=st.one_of(st.none(), st.integers(1, 30)),
)
def test_counts_up_to_the_quiet_end_open_as_the_whole_stale_span(
    read: list[tuple[int, int]],
    quiet: int,
    window: int,
    longer: int,
    share: bool,
    believed: bool,
    recorded: int | None,
    before: int | None,
) -> None:
    """A start on a stale log: the counts cut a window (the longest rule's) after the newest hit
    give the opening of the whole span to the horizon, for a count and for a share; with no hit
    counted, the newest may be none or before the counts (a read-back that began after it)."""
    rule: AlertRule = ErrorRateRule(25, window, min_requests=3) if share else AlertRule(1.5, window)
    series = np.array([[r + e for r, e in read], [e for _, e in read]] if share else [[r for r, _ in read]])
    series = np.hstack([series, np.zeros((len(series), quiet), np.int64)])
    judged = T0 + series.shape[1] - 1
    hits = np.flatnonzero(series[0])
    newest = T0 + int(hits[-1]) if len(hits) else None if before is None else T0 - before
    end = quiet_end(T0, judged, newest, window + longer)
    assert T0 <= end <= judged
    floor = None if recorded is None else T0 + recorded
    whole = open_at(series, T0, judged, rule, believed, floor)
    assert open_at(series[:, : end - T0 + 1], T0, judged, rule, believed, floor) == whole
