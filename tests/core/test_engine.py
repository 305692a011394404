"""The monitor's pure core under a simulated clock: horizon, lateness, warm start, reports."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition, check_seconds
from analyzer.core.engine import Engine
from analyzer.core.heavy import KEEP
from analyzer.core.window import TRIM_SLACK
from analyzer.formats.clf import parse
from tests.conftest import arriving_traffic, clf_line, lines_at, run_live

T0 = 1_764_300_000


def feed(engine: Engine, seconds: list[int] | range, now: float) -> list[Transition]:
    """Ingest one line per listed second, then evaluate at `now`."""
    engine.ingest(parse(lines_at(seconds)))
    return engine.evaluate(now)


def test_traffic_stopping_dead_recovers_on_time_with_no_new_line() -> None:
    """When lines stop, the clock alone moves the horizon and the alert recovers at t0 + W."""
    rule = AlertRule(threshold=1, window=10)
    engine = Engine(rule, lateness=2)
    engine.evaluate(T0)  # monitor starts at T0
    found = feed(engine, [T0 + 1] * 11, now=T0 + 3)
    assert [(t.second, t.kind) for t in found] == [(T0 + 1, ALERT)]
    assert engine.evaluate(T0 + 12) == []  # horizon T0 + 10: still 11 hits in (T0, T0 + 10]
    found = engine.evaluate(T0 + 13)  # horizon T0 + 11: the window is empty
    assert [(t.second, t.kind, t.hits) for t in found] == [(T0 + 11, RECOVERED, 0)]


def test_horizon_waits_for_the_allowed_lateness() -> None:
    """A second is not judged until lateness seconds after it has passed."""
    engine = Engine(AlertRule(threshold=1, window=10), lateness=5)
    engine.evaluate(T0)
    assert feed(engine, [T0 + 1] * 11, now=T0 + 5) == []
    assert engine.evaluated_to == T0
    assert [t.second for t in engine.evaluate(T0 + 6)] == [T0 + 1]


def test_late_lines_are_counted_and_never_rewrite_a_transition() -> None:
    """Lines for already-judged seconds count as late, enter the window, and change no past state."""
    rule = AlertRule(threshold=1, window=10)
    engine = Engine(rule, lateness=0)
    engine.evaluate(T0 + 20)
    found = feed(engine, [T0 + 15] * 11, now=T0 + 20)  # all late: T0 + 15 was judged already
    assert found == []
    report = engine.report(T0 + 20, 10)
    assert report.late == 11 and report.interval.requests == 11
    # They still count in later windows: second T0 + 21 sees them.
    assert [(t.second, t.kind) for t in engine.evaluate(T0 + 21)] == [(T0 + 21, ALERT)]


def test_first_check_starts_at_the_oldest_line_held() -> None:
    """At start the check covers the warm-start lines, so an alert in them is found at once."""
    rule = AlertRule(threshold=1, window=10)
    engine = Engine(rule, lateness=0)
    engine.ingest(parse(lines_at([T0 + 3] * 11)), warm=True)
    found = engine.evaluate(T0 + 8)
    assert [(t.second, t.kind) for t in found] == [(T0 + 3, ALERT)]
    assert engine.report(T0 + 8, 10).warm == 11


def test_restored_alert_is_not_reported_again() -> None:
    """An engine that starts with the alert on reports only its recovery."""
    rule = AlertRule(threshold=1, window=10)
    engine = Engine(rule, lateness=0, alert_on=True)
    engine.ingest(parse(lines_at([T0] * 11)), warm=True)
    found = engine.evaluate(T0 + 30)
    assert [(t.second, t.kind) for t in found] == [(T0 + 10, RECOVERED)]


def test_window_is_trimmed_to_what_later_seconds_need() -> None:
    """Requests older than the last judged second minus 2 W are forgotten (an alert's drivers
    compare the window that crossed with the one before it)."""
    rule = AlertRule(threshold=100, window=10)
    engine = Engine(rule, lateness=0)
    engine.evaluate(T0)
    feed(engine, range(T0 + 1, T0 + 41), now=T0 + 40)
    assert len(engine.window) == 20
    assert engine.window.seconds().min() == T0 + 21


def test_report_counts_the_interval_and_the_window() -> None:
    """A report holds the requests of its own seconds (a line of the next interval waits for
    the next one; a rejected line goes with the request before it in the file), and the
    window's last W seconds to its second."""
    engine = Engine(AlertRule(threshold=100, window=20), lateness=0)
    engine.evaluate(T0)
    feed(engine, range(T0 + 1, T0 + 11), now=T0 + 10)
    first = engine.report(T0 + 10, 10)
    feed(engine, range(T0 + 11, T0 + 16), now=T0 + 20)
    engine.ingest(parse(b"garbage\n" + clf_line(T0 + 21, path="/api/x")))
    second = engine.report(T0 + 20, 10)
    third = engine.report(T0 + 30, 10)
    assert (first.interval.requests, second.interval.requests, third.interval.requests) == (10, 5, 1)
    assert (second.rejected, third.rejected) == (1, 0) and second.reject_samples == ["garbage"]
    assert second.window.requests == 15
    assert second.interval.sections.to_dict() == {"/pages": 5}
    assert third.interval.sections.to_dict() == {"/api": 1}
    assert second.totals == {"requests": 16, "rejected": 1, "late": 0}


@settings(max_examples=60, deadline=None)
@given(
    data=arriving_traffic(rate_max=6), window=st.integers(3, 15), threshold=st.sampled_from([0.5, 1, 2, 3])
)
def test_any_split_into_ticks_gives_the_transitions_of_one_check(
    data: tuple[list[int], list[float], list[float]], window: int, threshold: float
) -> None:
    """Live under a fake clock, ticked at any times, equals one check over the whole series."""
    seconds, arrivals, gaps = data
    rule = AlertRule(threshold, window)
    live, engine = run_live(seconds, arrivals, gaps, rule)
    last = max(seconds)
    assert engine.totals["late"] == 0
    batch, _ = check_seconds(np.array(seconds), min(seconds), last, False, rule)
    assert [t for t in live if t.second <= last] == batch


def test_a_scan_of_random_paths_does_not_grow_memory() -> None:
    """Sections that left the window leave the vocabulary too: it follows the window, not the run."""
    engine = Engine(AlertRule(threshold=1e9, window=10), lateness=0)
    for offset in range(200):
        lines = b"".join(clf_line(T0 + offset, path=f"/scan{offset}-{i}/x") for i in range(50))
        engine.ingest(parse(lines))
        engine.evaluate(T0 + offset)
        if offset % 5 == 0:
            engine.report(T0 + offset, 5)
    assert len(engine.vocabularies["section"]) < 200 * 50, "compacted on the way"
    held = len(engine.window.codes_in_use("section"))
    assert len(engine.vocabularies["section"]) <= max(4096, 2 * held)
    assert len(engine.window) <= (2 * 10 + 10 + 1) * 50  # two windows, the trim slack, this second
    report = engine.report(T0 + 200, 5)  # the window: seconds 191..200, with lines up to 199
    assert report.window.requests == 9 * 50
    assert len(report.window.sections) == 101 and report.window.sections.iloc[-1] == 9 * 50 - 100


def flood_second(second: int, distinct: int, heavy: int) -> bytes:
    """`distinct` requests of `second`, each from a new host, for a new path, with a new agent,
    and `heavy` more from one host, for one path, with one agent."""
    stamp = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    new = (
        f'2001:db8:{second % 65536:x}::{i:x} - - [{stamp}] "GET /s{i % 50}/{second}-{i} HTTP/1.1" 200 5 '
        f'"-" "agent-{second}-{i}"\n'
        for i in range(distinct)
    )
    spike = f'203.0.113.7 - - [{stamp}] "GET /api/x HTTP/1.1" 200 5 "-" "python-requests/2.31"\n' * heavy
    return ("".join(new) + spike).encode()


def held_keys(engine: Engine) -> dict[str, int]:
    """Per heavy column: the (second, key) counts the window and the ledger hold, and the values."""
    return {
        name: len(engine.window.heavy[name])
        + len(engine.ledger.held.heavy[name])
        + len(engine.vocabularies[name])
        for name in ("host", "path", "user_agent")
    }


def test_a_flood_of_new_values_every_second_keeps_memory_flat_and_the_heavy_hitter_counted() -> None:
    """6,000 new hosts, paths and agents a second (past OPEN * KEEP keys: cut as they come) and
    one host, path and agent 300 times a second: what is held stops growing after the first
    seconds, however many follow; totals stay exact and the heavy hitter is counted within the
    bound (never over)."""
    rule = AlertRule(threshold=1e9, window=5)
    engine = Engine(rule, lateness=2, interval=5)
    engine.ledger.reported_to = T0
    held = []
    for offset in range(1, 37):
        engine.ingest(parse(flood_second(T0 + offset, 5100, 300)), read_at=T0 + offset + 1)
        engine.evaluate(T0 + offset + 1)
        for second in engine.ledger.due(engine.horizon(T0 + offset + 1)):
            engine.report(second)
        held.append(held_keys(engine))
    # Held per second: the key kept (the spike's), a floor and the hits dropped, in the window
    # (2 windows, the trim's slack, the open seconds) and in the ledger (a report, the slack,
    # the open seconds): a bound in seconds, not in values (without the cuts: 5,100 a second).
    seconds_held = (2 * 5 + TRIM_SLACK + 2 + 2) + (5 + TRIM_SLACK + 2 + 2)
    for name in ("host", "path", "user_agent"):
        assert max(h[name] for h in held) <= 3 * seconds_held + 2, (name, held)
    report = engine.report(T0 + 34, 5)
    assert report.window.requests == 5 * 5400  # totals exact
    window = engine.window.counted(T0 + 30, T0 + 34)
    for hosts in (report.window.hosts, report.interval.hosts):
        assert hosts.index[0] == "203.0.113.7"
    spiked = report.window.hosts["203.0.113.7"]
    assert 5 * 300 - window.errors["host"] <= spiked <= 5 * 300
    assert window.errors["host"] <= 5 * 5400 // (KEEP + 1)
    assert window.host.sum() + window.dropped["host"] == 5 * 5400  # conserved: in a key or dropped


def test_rejected_lines_read_back_at_start_are_counted_apart() -> None:
    """Warm lines fill the window and no interval; their rejected ones are counted, not dropped."""
    engine = Engine(AlertRule(threshold=10, window=10))
    engine.ingest(parse(lines_at([T0, T0 + 1]) + b"garbage\n" * 3), warm=True)
    report = engine.report(T0 + 2, 10)
    assert (report.warm, report.warm_rejected, report.rejected, report.interval.requests) == (5, 3, 0, 0)
    assert report.window.requests == 2
