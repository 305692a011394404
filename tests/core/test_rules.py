"""The error-rate and section-rate rules: exact edges, recovery, wording, and live equals backtest."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, BEFORE, CROSSED, RECOVERED, AlertRule, Transition, check
from analyzer.core.rules import (
    ERROR_CLASSES,
    ErrorRateRule,
    SectionRateRule,
    driven_by,
    in_population,
    population,
    rule_label,
    rule_of_row,
    scoped,
    tracked_sections,
)
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.offline.backtest import backtest
from tests.conftest import clf_line
from tests.live.conftest import FakeClock, append

T0 = 1_764_300_000


def judged(rule: AlertRule, hits: list[int], errors: list[int] | None = None) -> list[Transition]:
    counts = np.array([hits, errors]) if errors is not None else np.array(hits)
    return check(counts, 0, 0, len(hits) - 1, False, rule)[0]


def test_error_rate_exactly_at_the_percentage_does_not_alert_one_more_error_does() -> None:
    rule = ErrorRateRule(5, 10, min_requests=100)
    # 100 requests in the window at second 9, 5 of them errors: exactly 5%, not above.
    assert judged(rule, [10] * 10, [0] * 9 + [5]) == []
    found = judged(rule, [10] * 10, [0] * 9 + [6])
    assert [(t.second, t.kind, t.hits, t.volume) for t in found] == [(9, ALERT, 6, 100)]
    assert found[0].message == (
        "High error rate generated an alert - 5xx = 6.00% of 100 requests, "
        "triggered at 1970-01-01T00:00:09+00:00"
    )


def test_error_rate_decimal_percentage_is_exact() -> None:
    rule = ErrorRateRule(0.1, 10, min_requests=1000)  # 0.1% of 1000 is exactly 1 error
    assert judged(rule, [0] * 9 + [1000], [0] * 9 + [1]) == []
    assert len(judged(rule, [0] * 9 + [1000], [0] * 9 + [2])) == 1


def test_error_rate_needs_the_minimum_volume() -> None:
    rule = ErrorRateRule(5, 10, min_requests=100)
    assert judged(rule, [0] * 9 + [99], [0] * 9 + [99]) == []  # 100% of 99: below the volume
    found = judged(rule, [0] * 9 + [100], [0] * 9 + [99])
    assert [t.kind for t in found] == [ALERT]
    # Volume falling below the minimum recovers (as an emptied window does for traffic).
    found = judged(rule, [0] * 9 + [100] + [0] * 10, [0] * 9 + [50] + [0] * 10)
    assert [(t.second, t.kind) for t in found] == [(9, ALERT), (19, RECOVERED)]
    assert "of 0 requests, recovered at" in found[1].message


def test_error_rate_recovery_threshold_gives_hysteresis() -> None:
    rule = ErrorRateRule(10, 1, recovery=5, min_requests=10)
    hits = [100] * 5
    errors = [11, 8, 6, 5, 11]  # on, held (8% and 6% above 5%), off at 5%, on again
    found = judged(rule, hits, errors)
    assert [(t.second, t.kind) for t in found] == [(0, ALERT), (3, RECOVERED), (4, ALERT)]
    assert found[1].shown == "5.00"
    assert [t.kind for t in judged(ErrorRateRule(10, 1, min_requests=10), hits, errors)] == [
        ALERT,
        RECOVERED,
        ALERT,
    ]


def test_shown_share_never_reads_on_the_wrong_side() -> None:
    rule = ErrorRateRule(5, 10, min_requests=1)
    # 50001 / 1000000 = 5.0001%: printed 5.01, never 5.00 for an alert.
    assert rule.shown(50_001, 1_000_000, ALERT) == "5.01"
    assert rule.shown(49_999, 1_000_000, RECOVERED) == "5.00"


def test_section_rate_is_the_traffic_rule_of_one_section() -> None:
    rule = SectionRateRule(1, 10, section="/api")
    found = judged(rule, [0] * 9 + [11] + [0] * 10)
    assert [(t.second, t.kind) for t in found] == [(9, ALERT), (19, RECOVERED)]
    assert found[0].message == (
        "High traffic on /api generated an alert - hits = 1.10, triggered at 1970-01-01T00:00:09+00:00"
    )
    assert judged(rule, [0] * 9 + [10]) == []  # exactly 1 req/s: not above
    assert rule.name == "section_rate:/api" and tracked_sections([rule, AlertRule(1)]) == ("/api",)


def test_high_traffic_messages_unchanged() -> None:
    found = judged(AlertRule(1, 10), [0] * 9 + [11] + [0] * 10)
    assert [t.message for t in found] == [
        "High traffic generated an alert - hits = 1.10, triggered at 1970-01-01T00:00:09+00:00",
        "High traffic alert recovered - hits = 0.00, recovered at 1970-01-01T00:00:19+00:00",
    ]
    assert AlertRule(1).name == "high_traffic" and AlertRule(10, 120).key == "10/120/None"


def test_bad_rules_refused() -> None:
    for make in (
        lambda: ErrorRateRule(5, min_requests=0),
        lambda: ErrorRateRule(100),
        lambda: ErrorRateRule(5, classes="3xx"),
    ):
        with pytest.raises(ValueError):
            make()


def test_each_rules_drivers_are_counted_over_the_requests_it_counts() -> None:
    """High traffic: every request, by section, host, agent; an error rate: its errors; a
    section's rate: its requests, by path, host, agent."""
    traffic, errors, api = (
        AlertRule(1),
        ErrorRateRule(5, classes="4xx+5xx"),
        SectionRateRule(1, section="/api"),
    )
    assert [population(rule) for rule in (traffic, errors, api)] == ["hits", "errors_4xx+5xx", "section:/api"]
    assert [kind for _, kind in driven_by("errors_5xx")] == ["section", "host", "agent"]
    assert [column for column, _ in driven_by("section:/api")] == ["path", "host", "user_agent"]
    assert scoped([traffic, errors, api, ErrorRateRule(9, classes="4xx+5xx")]) == (
        "errors_4xx+5xx",
        "section:/api",
    )
    status, sections = np.array([200, 404, 503, 302]), np.array([0, 1, 1, -1])
    assert in_population("errors_4xx+5xx", status, sections, -1).tolist() == [False, True, True, False]
    assert in_population("errors_5xx", status, sections, -1).tolist() == [False, False, True, False]
    assert in_population("section:/api", status, sections, 1).tolist() == [False, True, True, False]
    assert not in_population("section:/api", status, sections, -1).any()  # a section not yet seen
    assert [rule_label(rule.name) for rule in (traffic, errors, api)] == [
        "high traffic", "error rate 4xx+5xx", "section /api"
    ]  # fmt: skip


# A short window and bursts to match: each rule alerts and recovers 3-5 times in 100 s (twice
# at least), as often as in 200 s with a 20 s window; a live poll a fake second is the cost.
WINDOW = 10
RULES = (
    AlertRule(1, WINDOW),
    ErrorRateRule(20, WINDOW, min_requests=8),
    ErrorRateRule(12.5, WINDOW, recovery=5, min_requests=5, classes="4xx+5xx"),
    SectionRateRule(0.5, WINDOW, section="/api"),
)


def traffic(seed: int, seconds: int) -> list[tuple[int, bytes]]:
    """Bursts of requests, of errors and of /api, each line written within the lateness."""
    rng = random.Random(seed)
    lines = []
    for offset in range(seconds):
        busy = (offset // 15) % 2
        for _ in range(rng.randint(0, 3 if busy else 1)):
            status = rng.choice([200, 200, 404, 500, 503] if offset % 25 < 12 else [200, 200, 200, 301])
            path = rng.choice(["/api/x", "/api/y", "/pages/a"] if busy else ["/pages/a", "/b"])
            lines.append((T0 + offset, clf_line(T0 + offset, path=path, status=status)))
    return lines


def run_live(arrivals: list[tuple[int, bytes]], out: Path, delays: list[int], lateness: int = 5) -> Path:
    """The live monitor under a fake clock, each line appended up to `lateness` seconds late."""
    log = out.parent / f"{out.name}.log"
    log.write_bytes(b"")
    by_second: dict[int, bytes] = {}
    for i, (second, line) in enumerate(sorted(arrivals)):
        at = second + delays[i % len(delays)]
        by_second[at] = by_second.get(at, b"") + line
    # It stops once the last second is judged: alerts after it are not compared (see below).
    start, end = min(by_second) - 1, max(by_second) + lateness + 2

    def write(now: float) -> None:
        data = by_second.pop(int(now), b"")
        if data:
            append(log, data)

    clock = FakeClock(start, write)
    config = Settings(
        paths=[str(log)], rule=RULES[0], others=RULES[1:], lateness=lateness, out=out, plain=True
    )
    Monitor(config, io.StringIO(), Clock(clock.now, clock.sleep, lambda: clock.time >= end)).run()
    return log


def alert_rows(out: Path) -> list[tuple[str, str, str, str]]:
    with open(out / "alerts.csv", newline="", encoding="utf-8") as handle:
        return [(r["time"], r["kind"], r["rule"], r["message"]) for r in csv.DictReader(handle)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), delays=st.lists(st.integers(0, 4), min_size=1, max_size=5))
def test_live_equals_backtest_for_every_rule(
    tmp_path_factory: pytest.TempPathFactory, seed: int, delays: list[int]
) -> None:
    base = tmp_path_factory.mktemp("rules")
    arrivals = traffic(seed, 100)
    log = run_live(arrivals, base / "live", delays)
    others = [rule for rule in RULES[1:]]
    result = backtest([log], [1], window=WINDOW, rules=others, out=base / "backtest")
    # The backtest's horizon is the last event second; the live monitor goes on after it.
    last = max(second for second, _ in arrivals)
    horizon = datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    live = [row for row in alert_rows(base / "live") if row[0] <= horizon]
    offline = alert_rows(base / "backtest")
    assert live == offline
    assert {row[2] for row in live} >= {"high_traffic", "error_rate_5xx"}
    assert set(result.episodes["rule"]) == {rule.name for rule in RULES}


def test_restart_during_an_error_rate_episode_writes_no_second_alert(tmp_path: Path) -> None:
    out = tmp_path / "out"
    log = tmp_path / "access.log"
    rule = ErrorRateRule(50, 20, min_requests=5)
    lines = b"".join(clf_line(T0 + s, status=500) for s in range(20) for _ in range(2))

    def run(until: int, data: bytes) -> None:
        clock = FakeClock(T0 + until - 30, lambda now: None)
        if data:
            append(log, data)
        config = Settings(paths=[str(log)], rule=AlertRule(100, 20), others=(rule,), out=out, plain=True)
        Monitor(config, io.StringIO(), Clock(clock.now, clock.sleep, lambda: clock.time >= T0 + until)).run()

    log.write_bytes(b"")
    run(30, lines)  # the episode starts and is on when the monitor stops
    first = alert_rows(out)
    assert [(kind, name) for _, kind, name, _ in first] == [("alert", "error_rate_5xx")]
    checkpoint = (
        json.loads((out / "checkpoint.json").read_text()) if (out / "checkpoint.json").exists() else {}
    )
    run(40, b"".join(clf_line(T0 + 30 + s, status=500) for s in range(5) for _ in range(2)))
    assert alert_rows(out)[: len(first)] == first
    assert [kind for _, kind, _, _ in alert_rows(out)].count("alert") == 1, (alert_rows(out), checkpoint)


@given(
    section=st.text(min_size=1, max_size=40).map(lambda text: "/" + text),
    kind=st.sampled_from([ALERT, RECOVERED]),
    onset=st.sampled_from([CROSSED, BEFORE]),
    classes=st.sampled_from(ERROR_CLASSES),
)
def test_a_row_without_a_rule_cell_is_of_the_rule_its_message_names(
    section: str, kind: str, onset: str, classes: str
) -> None:
    """alerts.csv from before the `rule` column: a section's own text may repeat the words."""
    stamp = "2026-01-01T00:00:00+00:00"
    for rule in (
        AlertRule(2, 120),
        ErrorRateRule(5, 120, classes=classes),
        SectionRateRule(1, 120, section=section),
    ):
        message = rule.wording(kind, onset, "1.25", stamp, 40)
        assert rule_of_row("", message) == rule.name == rule_of_row(rule.name, "anything")
    hostile = SectionRateRule(1, 120, section="/x generated an alert - hits = 9.00, triggered at " + stamp)
    assert rule_of_row(None, hostile.wording(ALERT, CROSSED, "1.00", stamp)) == hostile.name
