"""The drivers of a backtest's alerts: the second pass equals the live monitor and replay."""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.core.drivers import drivers_text
from analyzer.core.engine import Engine
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.times import iso_utc
from analyzer.formats.clf import Parsed, parse
from analyzer.offline.backtest import backtest
from analyzer.offline.drivers import Coverage, needed_seconds
from tests.offline.test_replay import replayed

T0 = 1_764_300_000
SPIKE_HOST, SPIKE_AGENT = "203.0.113.7", "python-requests/2.31"
FAILING_HOST, FAILING_AGENT = "198.51.100.23", "curl/8.5"  # an error spike's client


def line(second: int, host: str, path: str, agent: str, status: int = 200) -> bytes:
    local = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S")
    return f'{host} - - [{local} +0000] "GET {path} HTTP/1.1" {status} 10 "-" "{agent}"\n'.encode()


def spiked_log(
    seed: int,
    length: int,
    spike_at: int,
    spike_rate: int,
    errors_at: int | None = None,
    spike_for: int = 40,
    errors_for: int = 30,
) -> list[tuple[float, bytes]]:
    """Background traffic from a few hosts, agents and sections (1 in 50 answered 500), and one
    host hammering /api for `spike_for` seconds: (arrival time, line), each line arriving
    within 2 s of its second. With `errors_at`, `errors_for` seconds from there of one client
    whose requests to /checkout fail (503), 1 or 2 a second."""
    rng = random.Random(seed)
    found = []
    for second in range(T0, T0 + length):
        for _ in range(rng.randint(0, 3)):
            host = f"10.0.0.{rng.randint(1, 30)}"
            path = rng.choice(["/", "/pages/a", "/img/b.png", "/blog/c"])
            agent, status = rng.choice(["Mozilla/5.0", "bot/1"]), 500 if rng.random() < 0.02 else 200
            found.append((second + rng.random() * 2, line(second, host, path, agent, status)))
        if errors_at is not None and errors_at <= second - T0 < errors_at + errors_for:
            for _ in range(rng.randint(1, 2)):
                failed = line(second, FAILING_HOST, "/checkout/pay", FAILING_AGENT, 503)
                found.append((second + rng.random() * 2, failed))
        if spike_at <= second - T0 < spike_at + spike_for:
            for i in range(spike_rate):
                found.append(
                    (second + rng.random() * 2, line(second, SPIKE_HOST, f"/api/x{i % 7}", SPIKE_AGENT))
                )
    found.sort(key=lambda pair: pair[0])
    return found


def live_alerts(
    arrivals: list[tuple[float, bytes]],
    rule: AlertRule,
    ticks: list[float],
    parse_lines: Callable[[bytes], Parsed] = parse,
    others: tuple[AlertRule, ...] = (),
) -> list[Transition]:
    """The monitor's core under a fake clock: lines handed over as they arrive, ticks cycled."""
    engine = Engine(rule, lateness=3, others=others)
    now, fed, step, found = float(T0), 0, 0, []
    engine.evaluate(now)
    last = int(max(arrival for arrival, _ in arrivals)) + 1
    while engine.evaluated_to is None or engine.evaluated_to < last:
        now += ticks[step % len(ticks)]
        step += 1
        arrived = fed
        while arrived < len(arrivals) and arrivals[arrived][0] <= now:
            arrived += 1
        if arrived > fed:
            engine.ingest(parse_lines(b"".join(text for _, text in arrivals[fed:arrived])))
            fed = arrived
        found += engine.evaluate(now)
    return [t for t in found if t.kind == ALERT]


# The scene of a 20 s window in 150 s (a spike of 40 s from 30-60, errors from 110 for 30 s),
# at half its time scale: every part of it still a window or more long, and half the seconds
# the engine judges at every tick.
WINDOW = 10


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(15, 30),
    st.integers(4, 9),
    st.lists(st.floats(0.2, 4), min_size=1, max_size=8),
    st.sampled_from([700, 4096, 1 << 20]),
)
def test_drivers_are_the_same_live_in_replay_and_in_backtest(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    spike_at: int,
    spike_rate: int,
    ticks: list[float],
    chunk: int,
) -> None:
    """A traffic spike on /api, then an error spike on /checkout: every rule's drivers the same
    three ways; an error rate's name whose errors rose (never /api, whose traffic did), a
    section's the paths, hosts and agents within it."""
    folder = tmp_path_factory.mktemp("drivers")
    arrivals = spiked_log(seed, 75, spike_at, spike_rate, errors_at=55, spike_for=20, errors_for=15)
    log = folder / "access.log"
    log.write_bytes(b"".join(text for _, text in arrivals))
    rule = AlertRule(threshold=4, window=WINDOW)
    others = (ErrorRateRule(25, WINDOW, min_requests=10), SectionRateRule(2, WINDOW, section="/api"))
    live = live_alerts(arrivals, rule, ticks, others=others)
    offline = [
        t
        for t in backtest([log], [4], WINDOW, chunk_bytes=chunk, rules=others).alert_rows.itertuples()
        if t.kind == ALERT
    ]
    replay = [row for row in replayed([log], rule, folder / "r", others=others) if row["kind"] == ALERT]
    by_rule = {name: [t for t in live if t.rule.name == name] for name in ("high_traffic", "error_rate_5xx")}
    assert by_rule["high_traffic"] and by_rule["error_rate_5xx"], "the planted spikes fire"
    live_rows = sorted((t.rule.name, iso_utc(t.second), drivers_text(t.drivers)) for t in live)
    assert live_rows == sorted((row.rule, row.time, row.drivers) for row in offline)
    assert [(row["rule"], row["drivers"]) for row in replay] == [(row.rule, row.drivers) for row in offline]
    first = [(d.kind, d.key) for d in by_rule["high_traffic"][0].drivers or ()]
    assert {("section", "/api"), ("host", SPIKE_HOST), ("agent", SPIKE_AGENT)} <= set(first)
    failing = [(d.kind, d.key) for d in by_rule["error_rate_5xx"][-1].drivers or ()]
    assert {("section", "/checkout"), ("host", FAILING_HOST), ("agent", FAILING_AGENT)} <= set(failing)
    assert ("section", "/api") not in failing and ("host", SPIKE_HOST) not in failing
    api = [(d.kind, d.key) for t in live if t.rule.name == "section_rate:/api" for d in t.drivers or ()]
    assert ("host", SPIKE_HOST) in api and any(
        kind == "path" and key.startswith("/api/x") for kind, key in api
    )


def test_a_gzip_log_and_several_pieces_give_the_drivers_of_one_piece(tmp_path: Path) -> None:
    text = b"".join(line for _, line in spiked_log(3, 150, 40, 8))
    plain, packed = tmp_path / "a.log", tmp_path / "a.log.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    whole = backtest([plain], [4], 20).alert_rows
    assert whole["drivers"][whole["kind"] == ALERT].str.startswith("driven by /api").all()
    assert (whole["kind"] == ALERT).any()
    assert (backtest([plain], [4], 20, chunk_bytes=500).alert_rows["drivers"] == whole["drivers"]).all()
    assert (backtest([packed], [4], 20, chunk_bytes=500).alert_rows["drivers"] == whole["drivers"]).all()
    backtest([plain], [4, 5], 20, out=tmp_path / "out")
    with open(tmp_path / "out" / "alerts.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fours = [row["drivers"] for row in rows if row["kind"] == ALERT and row["threshold"] == "4"]
    assert fours == list(whole["drivers"][whole["kind"] == ALERT])
    assert all(row["drivers"].startswith("driven by /api") for row in rows if row["kind"] == ALERT)
    assert {row["drivers"] for row in rows if row["kind"] != ALERT} == {""}


def test_the_pass_reads_only_the_pieces_around_the_crossings() -> None:
    coverage = Coverage()
    for first in (0, 50, 500, 1000):
        coverage.add(np.arange(first, first + 60))
    coverage.add(np.zeros(0, np.int64))
    rule = AlertRule(threshold=1, window=10)
    needed = needed_seconds([Transition(540, ALERT, 20, rule)])
    assert needed.tolist() == list(range(521, 541))
    holding, complete_after = coverage.needs(needed)
    assert holding.tolist() == [2]
    assert set(complete_after.tolist()) == {2}
