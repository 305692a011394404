"""The alert fold at its edges: exact limits, first seconds, recovery, hysteresis, messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import (
    ALERT,
    RECOVERED,
    AlertRule,
    Transition,
    alert_states,
    check,
    check_seconds,
    counts_per_second,
    stretches,
    window_totals,
)

T0 = 1_764_300_000  # 2025-11-28T03:20:00Z


def naive_states(counts: list[int], rule: AlertRule, was_on: bool = False) -> list[bool]:
    """The contract, one second at a time, in plain Python."""
    states, on = [], was_on
    for i in range(len(counts)):
        hits = sum(counts[max(0, i - rule.window + 1) : i + 1])
        if hits > rule.on_limit:
            on = True
        elif hits <= rule.off_limit:
            on = False
        states.append(on)
    return states


def test_exactly_threshold_times_window_is_off_and_one_more_is_on() -> None:
    """threshold * W hits in the window is not an alert; one more hit is, at that second."""
    rule = AlertRule(threshold=2, window=10)
    seconds = np.array([T0] * 20)  # 20 hits = 2 req/s * 10 s exactly
    found, on = check_seconds(seconds, T0, T0 + 5, False, rule)
    assert (found, on) == ([], False)
    seconds = np.append(seconds, T0 + 3)
    found, on = check_seconds(seconds, T0, T0 + 5, False, rule)
    assert [(t.second, t.kind, t.hits) for t in found] == [(T0 + 3, ALERT, 21)]
    assert on


def test_recovers_at_the_exact_second_the_window_falls_back() -> None:
    """With all hits in one second, the alert ends W seconds later, not a second sooner."""
    rule = AlertRule(threshold=1, window=120)
    seconds = np.full(121, T0)
    found, on = check_seconds(seconds, T0, T0 + 300, False, rule)
    assert [(t.second, t.kind) for t in found] == [(T0, ALERT), (T0 + 120, RECOVERED)]
    assert found[1].hits == 0 and not on


def test_first_and_120th_second_of_a_window() -> None:
    """Hits in the first second count until second 119 of the window and drop at 120."""
    rule = AlertRule(threshold=1, window=120)
    counts = np.zeros(400, np.int64)
    counts[0] = 60
    counts[119] = 61  # window at second 119 holds 121 hits: on
    found, _ = check(counts, T0, T0, T0 + 399, False, rule)
    assert [(t.second - T0, t.kind, t.hits) for t in found] == [(119, ALERT, 121), (120, RECOVERED, 61)]


def test_seconds_before_the_counts_count_as_zero() -> None:
    """At the very start there is no history: missing earlier seconds hold no hits."""
    rule = AlertRule(threshold=1, window=5)
    counts = np.array([6, 0, 0, 0, 0, 0])
    found, on = check(counts, T0, T0, T0 + 5, False, rule)
    assert [(t.second - T0, t.kind) for t in found] == [(0, ALERT), (5, RECOVERED)]
    assert not on


def test_several_episodes_are_each_reported() -> None:
    """Two bursts far apart give alert, recovered, alert, recovered in order."""
    rule = AlertRule(threshold=1, window=10)
    counts = np.zeros(100, np.int64)
    counts[10], counts[60] = 11, 12
    found, _ = check(counts, T0, T0, T0 + 99, False, rule)
    assert [(t.second - T0, t.kind) for t in found] == [
        (10, ALERT),
        (20, RECOVERED),
        (60, ALERT),
        (70, RECOVERED),
    ]


def test_recovery_threshold_gives_hysteresis() -> None:
    """With R < threshold the alert stays on between the two limits and ends at or below R*W."""
    rule = AlertRule(threshold=2, window=10, recovery=1)
    totals = np.array([0, 21, 15, 11, 10, 15, 21, 20])
    assert alert_states(totals, rule, False).tolist() == [False, True, True, True, False, False, True, True]
    plain = AlertRule(threshold=2, window=10)
    assert alert_states(totals, plain, False).tolist() == [
        False,
        True,
        False,
        False,
        False,
        False,
        True,
        False,
    ]


def test_state_carried_in_is_kept_until_decided() -> None:
    """An alert that was on stays on through seconds between the limits."""
    rule = AlertRule(threshold=2, window=10, recovery=1)
    assert alert_states(np.array([15, 15, 5]), rule, True).tolist() == [True, True, False]
    assert alert_states(np.array([15, 15]), rule, False).tolist() == [False, False]


def test_decimal_thresholds_compare_exactly() -> None:
    """0.1 req/s over 120 s is exactly 12 hits: 12 is off, 13 is on (no float doubt)."""
    rule = AlertRule(threshold=0.1, window=120)
    assert rule.on_limit == 12
    assert AlertRule(threshold=0.3, window=10).on_limit == 3
    assert AlertRule(threshold=2.5, window=3).on_limit == 7


def test_messages_are_exact() -> None:
    """Both messages follow the contract's text, 2 decimals, ISO 8601 time with offset."""
    rule = AlertRule(threshold=10, window=120)
    up = Transition(T0, ALERT, 1234, rule)
    down = Transition(T0 + 200, RECOVERED, 1199, rule)
    assert (
        up.message == "High traffic generated an alert - hits = 10.28, triggered at 2025-11-28T03:20:00+00:00"
    )
    assert (
        down.message == "High traffic alert recovered - hits = 9.99, recovered at 2025-11-28T03:23:20+00:00"
    )


def test_rules_reject_nonsense() -> None:
    """A threshold <= 0, a window < 1 or a recovery >= threshold is refused."""
    for bad in (
        {"threshold": 0},
        {"threshold": -1},
        {"threshold": 1, "window": 0},
        {"threshold": 1, "recovery": 1},
    ):
        with pytest.raises(ValueError):
            AlertRule(**bad)  # type: ignore[arg-type]


def test_counts_ignore_seconds_outside_the_range() -> None:
    """Per-second counts cover exactly first..last; other seconds are left out."""
    counts = counts_per_second(np.array([T0 - 1, T0, T0, T0 + 2, T0 + 3]), T0, T0 + 2)
    assert counts.tolist() == [2, 0, 1]


def test_empty_range_checks_nothing() -> None:
    """Asking for no seconds returns no transitions and the state unchanged."""
    assert check(np.zeros(3, np.int64), T0, T0 + 2, T0 + 1, True, AlertRule(1, 2)) == ([], True)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 8), min_size=1, max_size=80),
    window=st.integers(1, 12),
    threshold=st.sampled_from([0.5, 1, 1.5, 2, 3]),
    hysteresis=st.booleans(),
    was_on=st.booleans(),
)
def test_vectorised_fold_equals_the_naive_contract(
    counts: list[int], window: int, threshold: float, hysteresis: bool, was_on: bool
) -> None:
    """The numpy fold gives the same state every second as the plain definition."""
    rule = AlertRule(threshold, window, threshold / 2 if hysteresis else None)
    totals = window_totals(np.array(counts), window)
    assert alert_states(totals, rule, was_on).tolist() == naive_states(counts, rule, was_on)


@settings(max_examples=100, deadline=None)
@given(counts=st.lists(st.integers(0, 6), min_size=2, max_size=60), cut=st.integers(1, 59))
def test_checking_in_two_parts_equals_checking_at_once(counts: list[int], cut: int) -> None:
    """Carrying the state across a split gives the transitions of one check."""
    rule = AlertRule(1, 4)
    cut = min(cut, len(counts) - 1)
    array = np.array(counts)
    whole, _ = check(array, T0, T0, T0 + len(counts) - 1, False, rule)
    first, on = check(array, T0, T0, T0 + cut - 1, False, rule)
    second, _ = check(array, T0, T0 + cut, T0 + len(counts) - 1, on, rule)
    assert first + second == whole


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.integers(0, 200_000), min_size=1, max_size=12),
    rates=st.lists(st.integers(0, 9), min_size=12, max_size=12),
    window=st.integers(1, 30),
    recovery=st.sampled_from([None, 0.5]),
    was_on=st.booleans(),
)
def test_judging_only_the_stretches_with_requests_equals_judging_every_second(
    gaps: list[int], rates: list[int], window: int, recovery: float | None, was_on: bool
) -> None:
    """Bursts separated by gaps of up to 2 days: the transitions and the end state are those of
    the dense fold over every second, found without an array over the gaps."""
    rule = AlertRule(threshold=1, window=window, recovery=recovery)
    seconds: list[int] = []
    at = T0
    for gap, rate in zip(gaps, rates, strict=False):
        at += gap
        seconds += [second for second in range(at, at + 20) for _ in range(rate)]
        at += 20
    start, end = T0, at + 2 * window
    dense, dense_on = check_seconds(np.array(seconds, np.int64), start, end, was_on, rule)
    array = np.array(seconds, np.int64)
    found, on = [], was_on
    for low, high in stretches(np.unique(array[array >= start - window + 1]), start, end, window):
        more, on = check_seconds(array, low, high, on, rule)
        found += more
    assert (found, on) == (dense, dense_on)
    assert len(stretches(np.unique(array), start, end, window)) <= len(gaps) + 1
