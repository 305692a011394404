"""The compressed per-second timeline of a backtest: stretches, gaps, transitions, percentiles, suggestion."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule
from analyzer.offline.timeline import (
    DISTRIBUTION,
    SECONDS_PER_WEEK,
    _percentile_with_zeros,
    average_distribution,
    build_timeline,
    in_range,
    merge_counts,
    suggest_threshold,
    transitions,
)

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def dense_totals(seconds: np.ndarray, counts: np.ndarray, window: int) -> tuple[int, np.ndarray]:
    """Window hits at every second first..last, by a plain convolution over the dense series."""
    first, last = int(seconds[0]), int(seconds[-1])
    dense = np.zeros(last - first + 1, np.int64)
    np.add.at(dense, seconds - first, counts)
    return first, np.convolve(dense, np.ones(window, np.int64))[: len(dense)]


def dense_transitions(totals: np.ndarray, first: int, limit: int) -> list[tuple[int, str, int]]:
    """(second, kind, hits) wherever `totals > limit` changes, starting from off."""
    on = totals > limit
    changed = np.flatnonzero(on != np.r_[False, on[:-1]])
    return [(first + int(i), ALERT if on[i] else RECOVERED, int(totals[i])) for i in changed]


@st.composite
def sparse_traffic(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """Sorted unique event seconds in bursts separated by short and long gaps, hits per second, W."""
    window = draw(st.integers(1, 12))
    t, seconds, counts = T0, [], []
    for _ in range(draw(st.integers(1, 6))):
        t += draw(st.integers(1, 40))
        for _ in range(draw(st.integers(1, 10))):
            seconds.append(t)
            counts.append(draw(st.integers(1, 9)))
            t += draw(st.integers(1, 3))
    return np.array(seconds, np.int64), np.array(counts, np.int64), window


def test_merge_counts_adds_up_pairs_from_many_chunks() -> None:
    """Seconds seen in several chunks, in any order, are summed into one sorted entry each."""
    seconds = [np.array([5, 1, 9]), np.array([1, 7]), np.array([], np.int64), np.array([9, 5, 5])]
    counts = [np.array([2, 1, 4]), np.array([10, 3]), np.array([], np.int64), np.array([1, 1, 1])]
    merged_seconds, merged_counts = merge_counts(seconds, counts)
    # 1: 1 + 10; 5: 2 + 1 + 1; 7: 3; 9: 4 + 1
    assert merged_seconds.tolist() == [1, 5, 7, 9]
    assert merged_counts.tolist() == [11, 4, 3, 5]


def test_merge_counts_of_nothing_is_empty() -> None:
    """No chunks (or only empty ones) give empty arrays, not an error."""
    for seconds, counts in [([], []), ([np.zeros(0, np.int64)], [np.zeros(0, np.int64)])]:
        merged_seconds, merged_counts = merge_counts(seconds, counts)
        assert len(merged_seconds) == 0 and len(merged_counts) == 0


def test_build_timeline_keeps_stretches_and_a_window_of_gap_between_them() -> None:
    """Stretches run from a burst to W seconds after it; each is followed by W gap positions."""
    seconds = np.array([100, 101, 105, 200, 300, 302]) + T0
    counts = np.array([1, 2, 3, 4, 5, 6])
    timeline = build_timeline(seconds, counts, window=5)
    # 101 -> 105 is 4 <= W apart: one stretch 100..110 (105 + W); 200..205; 300..302 ends at the horizon.
    gap = [-1] * 5
    expected_axis = (
        [T0 + s for s in range(100, 111)]
        + gap
        + [T0 + s for s in range(200, 206)]
        + gap
        + [T0 + 300, T0 + 301, T0 + 302]
    )
    assert timeline.axis.tolist() == expected_axis
    dense = dict(zip(timeline.axis.tolist(), timeline.counts.tolist(), strict=True))
    assert {s - T0: c for s, c in dense.items() if c} == {100: 1, 101: 2, 105: 3, 200: 4, 300: 5, 302: 6}
    assert (timeline.first, timeline.last, timeline.span) == (T0 + 100, T0 + 302, 203)
    # The gap positions hold nothing, so no window reaches across into the next stretch.
    assert timeline.counts[timeline.axis < 0].sum() == 0
    totals = timeline.totals()
    assert totals[timeline.axis == T0 + 200].item() == 4  # not 4 + anything of the first stretch
    assert totals[timeline.axis == T0 + 110].item() == 0  # 105 left the window (105, 110]


def test_empty_timeline() -> None:
    """No events: an empty timeline with span 0, no transitions, all-zero distribution."""
    timeline = build_timeline(np.zeros(0, np.int64), np.zeros(0, np.int64), 10)
    assert timeline.span == 0 and len(timeline.axis) == 0
    assert transitions(timeline, AlertRule(1, 10)) == ([], False)
    assert set(average_distribution(timeline).values()) == {0.0}


def test_transitions_at_stretch_ends_and_at_the_horizon() -> None:
    """A burst recovers exactly W after its last second (the stretch end); one at the horizon stays on."""
    seconds = np.array([T0, T0 + 200, T0 + 500])
    counts = np.array([3, 3, 3])
    timeline = build_timeline(seconds, counts, window=5)
    found, on = transitions(timeline, AlertRule(0.5, 5))  # on when window hits > 2
    assert [(t.second, t.kind, t.hits) for t in found] == [
        (T0, ALERT, 3),
        (T0 + 5, RECOVERED, 0),  # the last position of the first stretch
        (T0 + 200, ALERT, 3),
        (T0 + 205, RECOVERED, 0),
        (T0 + 500, ALERT, 3),  # the horizon: the last event second
    ]
    assert on


@settings(max_examples=80, deadline=None)
@given(data=sparse_traffic(), threshold=st.sampled_from([0.25, 0.5, 1, 2, 3.5]))
def test_timeline_equals_the_dense_series(data: tuple[np.ndarray, np.ndarray, int], threshold: float) -> None:
    """Window totals and transitions over the compressed timeline equal those over every second."""
    seconds, counts, window = data
    timeline = build_timeline(seconds, counts, window)
    first, dense = dense_totals(seconds, counts, window)
    real = timeline.axis >= 0
    assert np.all(np.diff(timeline.axis[real]) > 0)
    assert np.array_equal(timeline.totals()[real], dense[timeline.axis[real] - first])
    skipped = np.setdiff1d(np.arange(first, int(seconds[-1]) + 1), timeline.axis[real])
    assert not dense[skipped - first].any()  # only seconds whose window is empty are left out
    assert timeline.counts.sum() == counts.sum()
    rule = AlertRule(threshold, window)
    found, on = transitions(timeline, rule)
    assert [(t.second, t.kind, t.hits) for t in found] == dense_transitions(dense, first, rule.on_limit)
    assert on == bool(dense[-1] > rule.on_limit)
    distribution = average_distribution(timeline)
    for q in DISTRIBUTION:
        assert distribution[f"p{q:g}"] == pytest.approx(
            np.percentile(dense, q) / window, rel=1e-12, abs=1e-12
        )
    assert distribution["max"] == dense.max() / window


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 1000), max_size=30),
    zeros=st.integers(0, 30),
    q=st.sampled_from([0, 1, 25, 50, 90, 99, 99.9, 100]),
)
def test_percentile_with_zeros_equals_numpy_on_the_explicit_array(
    values: list[int], zeros: int, q: float
) -> None:
    """Percentile of sorted values plus implied zeros equals np.percentile with the zeros written out."""
    explicit = np.array([0] * zeros + values, np.float64)
    got = _percentile_with_zeros(np.sort(np.array(values, np.int64)), zeros, q)
    if len(explicit) == 0:
        assert got == 0.0
    else:
        assert got == pytest.approx(float(np.percentile(explicit, q)), rel=1e-12, abs=1e-12)


def up_crossings(dense: np.ndarray, limit: int) -> int:
    """Alerts a limit would fire: seconds above it whose previous second (0 before the start) was not."""
    above = dense > limit
    return int((above & ~np.r_[False, above[:-1]]).sum())


def brute_force_suggestion(dense: np.ndarray, window: int, max_per_week: float) -> float:
    """The lowest threshold in 0.01 req/s steps whose alert fires at most max_per_week a week,
    is above the average at most 1% of the seconds, and is not below the median average."""
    allowed = max_per_week * len(dense) / SECONDS_PER_WEEK
    median = float(np.percentile(dense, 50)) / window
    hundredths = 1

    def worth(hundredths: int) -> bool:
        limit = math.floor(Fraction(hundredths, 100) * window)
        on = int((dense > limit).sum())
        rare = up_crossings(dense, limit) <= allowed and on <= 0.01 * len(dense)
        return rare and hundredths >= median * 100

    while not worth(hundredths):
        hundredths += 1
    return hundredths / 100


@settings(max_examples=200, deadline=None)
@given(
    data=sparse_traffic(),
    window=st.sampled_from([3, 7, 10, 60, 101, 120, 150, 250]),
    allowed=st.sampled_from([0.5, 1.5, 2.5, 3.5, 8.5]),
)
@example(  # W > 100: rounding the limit up to 0.01 req/s can raise the whole-number limit past it
    data=(T0 + np.array([0, 172, 195, 391, 587, 812]), np.array([5, 6, 7, 2, 7, 6]), 1),
    window=250,
    allowed=1.5,
)
def test_suggest_threshold_equals_a_brute_force_scan(
    data: tuple[np.ndarray, np.ndarray, int], window: int, allowed: float
) -> None:
    """The suggestion is the lowest 0.01-step threshold firing at most max_per_week times a week."""
    seconds, counts, _ = data
    timeline = build_timeline(seconds, counts, window)
    _, dense = dense_totals(seconds, counts, window)
    per_week = allowed * SECONDS_PER_WEEK / timeline.span  # so that `allowed` alerts fit the input
    suggested = suggest_threshold(timeline, per_week)
    assert suggested == brute_force_suggestion(dense, window, per_week)
    # And run for real, that threshold fires no more than allowed.
    found, _ = transitions(timeline, AlertRule(suggested, window))
    assert sum(t.kind == ALERT for t in found) <= per_week * timeline.span / SECONDS_PER_WEEK


def test_suggest_threshold_by_hand() -> None:
    """Hand case: the lowest limit with at most one up-crossing, and zero up-crossings."""
    # W = 4; hits at seconds 0..7: 3 2 0 0 5 4 1 1, then 6 at second 20.
    seconds = T0 + np.array([0, 1, 4, 5, 6, 7, 20])
    counts = np.array([3, 2, 5, 4, 1, 1, 6])
    timeline = build_timeline(seconds, counts, 4)
    # Window totals at 0..20: 3 5 5 5 7 9 10 11 6 2 1 0*9 6; span 21 s.
    # Up-crossings (previous, this): (0,3) (3,5) (5,7) (7,9) (9,10) (10,11) and (0,6) at second 20.
    # A limit L fires once per pair with previous <= L < this.
    # 1 per week over 21 s allows 21/604800 alerts: none; the lowest L with none is 11 -> 11/4 = 2.75.
    assert suggest_threshold(timeline, 1.0) == 2.75
    # 28800 a week over 21 s allows exactly 1: L = 6 fires once ((5,7)), but the average is above
    # it 4 of 21 seconds (19%), not at most 1%: only L = 11, never above, is worth paging on.
    assert suggest_threshold(timeline, 28_800) == 2.75


def test_three_weeks_with_ordinary_bursts_suggest_a_threshold_worth_paging_on() -> None:
    """A steady 5 req/s with a daily 10-minute rush at 8 req/s and two real incidents at 40:
    not 0.01 req/s ("fires once": an alert on nearly all the time), but a threshold above the
    rushes, crossed only by the incidents, on at most 1% of the time."""
    rng = np.random.default_rng(7)
    days = 21
    seconds = T0 + np.arange(days * 86_400)
    counts = rng.poisson(5, len(seconds))
    for day in range(days):
        rush = day * 86_400 + 9 * 3600
        counts[rush : rush + 600] = rng.poisson(8, 600)
    for incident in (5 * 86_400 + 14 * 3600, 16 * 86_400 + 3 * 3600):
        counts[incident : incident + 900] = rng.poisson(40, 900)
    timeline = build_timeline(seconds, counts, 120)
    suggested = suggest_threshold(timeline, 1.0)
    median = average_distribution(timeline)["p50"]
    assert 8 < suggested < 40 and suggested >= median
    found, _ = transitions(timeline, AlertRule(suggested, 120))
    alerts = [t for t in found if t.kind == ALERT]
    assert 1 <= len(alerts) <= days / 7
    totals = timeline.totals()
    assert (totals > AlertRule(suggested, 120).on_limit).sum() <= 0.01 * timeline.span


def test_a_few_requests_stamped_decades_away_are_out_of_range() -> None:
    """1970 and 2099 among a day of traffic: left out of the span; a second busy month is not."""
    day = T0 + np.arange(0, 86_400, 10)
    seconds = np.r_[5, day, 4_070_908_800]
    counts = np.r_[3, np.full(len(day), 2), 2]
    kept = in_range(seconds, counts)
    assert not kept[0] and not kept[-1] and kept[1:-1].all()
    later = T0 + 90 * 86_400 + np.arange(0, 86_400, 10)
    both = np.r_[day, later]
    assert in_range(both, np.ones(len(both), np.int64)).all(), "two busy stretches are both traffic"
