"""The complete per-second series of a backtest, and what the alert rules make of it.

A log can span a year with traffic in a few hours of it, so the series is kept compressed:
only the active stretches (from a request to W seconds after the last one near it), each
followed by W empty seconds so no window reaches across into the next stretch. Outside the
stretches every window is empty, so the alert is off there; nothing is lost by skipping them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from analyzer.core.alerts import ALERT, AlertRule, Transition, check, window_totals

SECONDS_PER_WEEK = 7 * 86_400
SHORT_EPISODE = 300  # an episode under 5 minutes is a sign of flapping
DISTRIBUTION = (50, 90, 99, 99.9)


def merge_counts(seconds: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Add up (second, hits) pairs from many chunks: sorted unique seconds and their hits
    (counts may have several rows, one per series: summed per row)."""
    rows = counts[0].shape[:-1] if counts else ()
    all_seconds = np.concatenate([np.zeros(0, np.int64), *seconds])
    all_counts = np.concatenate([np.zeros((*rows, 0), np.int64), *counts], axis=-1)
    if len(all_seconds) == 0:  # no chunk had a good line (an input of blank or rejected lines)
        return all_seconds, all_counts
    order = np.argsort(all_seconds, kind="stable")
    all_seconds, all_counts = all_seconds[order], all_counts[..., order]
    starts = np.flatnonzero(np.r_[True, np.diff(all_seconds) != 0])
    return all_seconds[starts], np.add.reduceat(all_counts, starts, axis=-1)


OUT_OF_RANGE_GAP = 30 * 86_400  # requests this far from the rest of the traffic ...
OUT_OF_RANGE_SHARE = 0.01  # ... and this few of them: a broken clock, not traffic


def in_range(seconds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Which of the sorted event `seconds` hold the traffic: not a few requests stamped more
    than 30 days away from the rest (1970, 2099: a server's broken clock), which would make a
    span of decades, an average of nothing and a suggestion of 0.01 req/s."""
    keep = np.ones(len(seconds), bool)
    if len(seconds) < 2:
        return keep
    starts = np.r_[0, np.flatnonzero(np.diff(seconds) > OUT_OF_RANGE_GAP) + 1]
    if len(starts) == 1:
        return keep
    hits = np.add.reduceat(counts, starts)
    ends = np.r_[starts[1:], len(seconds)]
    main = int(np.argmax(hits))
    for island, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        if island != main and hits[island] < OUT_OF_RANGE_SHARE * counts.sum():
            keep[start:end] = False
    return keep


@dataclass(frozen=True)
class Timeline:
    """Hits per second over the active stretches; `axis` maps positions to UTC seconds (-1: gap)."""

    axis: np.ndarray
    counts: np.ndarray
    window: int
    first: int
    last: int
    series: dict[str, np.ndarray] | None = None  # per position, what the other rules judge

    @property
    def span(self) -> int:
        """Seconds from the first to the last event second, inclusive."""
        return self.last - self.first + 1 if len(self.axis) else 0

    def totals(self) -> np.ndarray:
        """Window hits at every position (positions in gaps are 0)."""
        return window_totals(self.counts, self.window)


def build_timeline(
    seconds: np.ndarray, counts: np.ndarray, window: int, series: dict[str, np.ndarray] | None = None
) -> Timeline:
    """Timeline of sorted unique event `seconds` with their hits (and per second the `series`
    other rules judge); the horizon is the last one."""
    if len(seconds) == 0:
        return Timeline(np.zeros(0, np.int64), np.zeros(0, np.int64), window, 0, -1)
    horizon = int(seconds[-1])
    breaks = np.flatnonzero(np.diff(seconds) > window)
    starts = seconds[np.r_[0, breaks + 1]]
    ends = np.minimum(seconds[np.r_[breaks, len(seconds) - 1]] + window, horizon)
    lengths = ends - starts + 1
    offsets = np.r_[0, np.cumsum(lengths + window)[:-1]]
    size = int((lengths + window).sum()) - window  # no gap after the last stretch: it ends at the horizon
    positions = np.arange(size)
    stretch = np.searchsorted(offsets, positions, side="right") - 1
    within = positions - offsets[stretch]
    axis = np.where(within < lengths[stretch], starts[stretch] + within, -1)
    dense = np.zeros(size, np.int64)
    event_stretch = np.searchsorted(starts, seconds, side="right") - 1
    at = offsets[event_stretch] + seconds - starts[event_stretch]
    dense[at] = counts
    spread = {}
    for name, values in (series or {}).items():
        spread[name] = np.zeros(size, np.int64)
        spread[name][at] = values
    return Timeline(axis, dense, window, int(seconds[0]), horizon, spread)


def transitions(timeline: Timeline, rule: AlertRule) -> tuple[list[Transition], bool]:
    """Every transition of `rule` over the timeline, and whether the alert is on at the end."""
    if len(timeline.axis) == 0:
        return [], False
    named = {"hits": timeline.counts, **(timeline.series or {})}
    counts = np.vstack([named[name] for name in rule.series])
    found, on = check(counts, 0, 0, len(timeline.counts) - 1, False, rule)
    return [replace(t, second=int(timeline.axis[t.second])) for t in found], on


def span_of(seconds: np.ndarray) -> tuple[int, int] | None:
    return (int(seconds.min()), int(seconds.max())) if len(seconds) else None


def judge_all(
    seconds: np.ndarray, counts: np.ndarray, names: list[str], rules: list[AlertRule], window: int
) -> tuple[Timeline, list[tuple[list[Transition], bool]], list[Transition], np.ndarray, np.ndarray]:
    """Every rule over the in-range seconds: the timeline (with the series `names`, rows 1.. of
    `counts`), each rule's transitions and state at the end, all transitions in order (at one
    second: high traffic by threshold, then the other rules as given), the hits, what was kept."""
    hits = counts[0] if counts.ndim > 1 else counts
    kept = in_range(seconds, hits)
    named = {name: counts[1 + i][kept] for i, name in enumerate(names)}
    timeline = build_timeline(seconds[kept], hits[kept], window, named)
    found_by_rule = [transitions(timeline, rule) for rule in rules]
    order = {rule.key: i if type(rule) is not AlertRule else 0 for i, rule in enumerate(rules)}
    in_order = sorted(
        (t for found, _ in found_by_rule for t in found),
        key=lambda t: (t.second, order[t.rule.key], t.rule.threshold),
    )
    return timeline, found_by_rule, in_order, hits, kept


@dataclass(frozen=True)
class Episodes:
    """How a rule would have behaved over the input."""

    threshold: float
    alerts: int
    seconds_in_alert: int
    longest: int
    short: int
    on_at_end: bool
    share: float
    rule: str = "high_traffic"


def episodes(found: list[Transition], on_at_end: bool, timeline: Timeline, rule: AlertRule) -> Episodes:
    """Alerts fired, time in alert, longest and short episodes; an open one ends at the horizon."""
    starts = [t.second for t in found if t.kind == ALERT]
    ends = [t.second for t in found if t.kind != ALERT] + ([timeline.last + 1] if on_at_end else [])
    lengths = np.array(ends, np.int64) - np.array(starts, np.int64)
    total = int(lengths.sum())
    return Episodes(
        threshold=rule.threshold,
        alerts=len(starts),
        seconds_in_alert=total,
        longest=int(lengths.max()) if len(lengths) else 0,
        short=int((lengths < SHORT_EPISODE).sum()),
        on_at_end=on_at_end,
        share=total / timeline.span if timeline.span else 0.0,
        rule=rule.name,
    )


def average_distribution(timeline: Timeline) -> dict[str, float]:
    """Percentiles of the W-second average (req/s) over every second of the input."""
    real = timeline.axis >= 0
    totals = np.sort(timeline.totals()[real])
    zeros = timeline.span - len(totals)  # seconds outside the stretches: empty windows
    result = {f"p{q:g}": _percentile_with_zeros(totals, zeros, q) / timeline.window for q in DISTRIBUTION}
    result["max"] = float(totals[-1]) / timeline.window if len(totals) else 0.0
    return result


def _percentile_with_zeros(sorted_values: np.ndarray, zeros: int, q: float) -> float:
    """numpy's linear percentile of `sorted_values` plus `zeros` zeros, without building them."""
    n = len(sorted_values) + zeros
    if n == 0:
        return 0.0
    rank = q / 100 * (n - 1)
    low, high = math.floor(rank), math.ceil(rank)

    def at(i: int) -> float:
        return 0.0 if i < zeros else float(sorted_values[i - zeros])

    return at(low) + (at(high) - at(low)) * (rank - low)


MAX_ON_SHARE = 0.01  # a threshold worth paging on is crossed at most 1% of the time


def suggest_threshold(timeline: Timeline, max_per_week: float) -> float:
    """The lowest threshold (req/s, rounded up to 0.01) worth paging on: it fires at most
    `max_per_week` a week, the average is above it at most 1% of the time, and it is not
    below the median average (an alert on ordinary traffic is noise, however rarely it fires).

    An alert fires once per up-crossing of the limit L: a second with hits > L whose
    previous second had hits <= L. Counting those for every candidate L at once is two
    sorted searches, so the answer comes from the data, not a scan of guesses; the seconds
    above L are one more. The count only changes at the candidates, so the lowest threshold
    is the rounded-up threshold of a candidate; rounding up to 0.01 can raise the rule's
    whole-number limit (floor(threshold * W)) past the candidate when W > 100, so the counts
    are taken there. The last candidate (the maximum) fires never: it always qualifies.
    """
    totals = timeline.totals()
    previous = np.r_[0, totals[:-1]]
    real = timeline.axis >= 0
    rising = real & (totals > previous)
    low, high = np.sort(previous[rising]), np.sort(totals[rising])
    ranked = np.sort(totals[real])  # the window hits of every real second, in order
    candidates = np.unique(np.r_[0, low, high, ranked])  # the seconds above change at every total
    hundredths = np.maximum(-(-candidates * 100 // timeline.window), 1)  # ceil(L / W) in 0.01 steps
    limits = hundredths * timeline.window // 100  # the on limit of that threshold
    fired = np.searchsorted(low, limits, side="right") - np.searchsorted(high, limits, side="right")
    allowed = max_per_week * timeline.span / SECONDS_PER_WEEK
    above = len(ranked) - np.searchsorted(ranked, limits, side="right")  # seconds with hits > L
    median = _percentile_with_zeros(ranked, timeline.span - len(ranked), 50) / timeline.window
    worth = (fired <= allowed) & (above <= MAX_ON_SHARE * timeline.span) & (hundredths >= median * 100)
    return int(hundredths[np.argmax(worth)]) / 100
