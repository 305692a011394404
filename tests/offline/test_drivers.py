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
from analyzer.formats.clf import Parsed, parse
from analyzer.offline.backtest import backtest
from analyzer.offline.drivers import Coverage, needed_seconds
from tests.offline.test_replay import replayed

T0 = 1_764_300_000
SPIKE_HOST, SPIKE_AGENT = "203.0.113.7", "python-requests/2.31"


def line(second: int, host: str, path: str, agent: str) -> bytes:
    local = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S")
    return f'{host} - - [{local} +0000] "GET {path} HTTP/1.1" 200 10 "-" "{agent}"\n'.encode()


def spiked_log(seed: int, length: int, spike_at: int, spike_rate: int) -> list[tuple[float, bytes]]:
    """Background traffic from a few hosts, agents and sections, and one host hammering /api:
    (arrival time, line), each line arriving within 2 s of its second."""
    rng = random.Random(seed)
    found = []
    for second in range(T0, T0 + length):
        for _ in range(rng.randint(0, 3)):
            host = f"10.0.0.{rng.randint(1, 30)}"
            path = rng.choice(["/", "/pages/a", "/img/b.png", "/blog/c"])
            found.append(
                (second + rng.random() * 2, line(second, host, path, rng.choice(["Mozilla/5.0", "bot/1"])))
            )
        if spike_at <= second - T0 < spike_at + 40:
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
) -> list[Transition]:
    """The monitor's core under a fake clock: lines handed over as they arrive, ticks cycled."""
    engine = Engine(rule, lateness=3)
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


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(30, 60),
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
    folder = tmp_path_factory.mktemp("drivers")
    arrivals = spiked_log(seed, 150, spike_at, spike_rate)
    log = folder / "access.log"
    log.write_bytes(b"".join(text for _, text in arrivals))
    rule = AlertRule(threshold=4, window=20)
    live = live_alerts(arrivals, rule, ticks)
    offline = [
        t for t in backtest([log], [4], 20, chunk_bytes=chunk).alert_rows.itertuples() if t.kind == ALERT
    ]
    replay = [row for row in replayed([log], rule, folder / "r") if row["kind"] == ALERT]
    assert live, "the planted spike fires"
    assert [drivers_text(t.drivers) for t in live] == [row.drivers for row in offline]
    assert [row["drivers"] for row in replay] == [row.drivers for row in offline]
    first = live[0].drivers or ()
    assert ("section", "/api") in [(d.kind, d.key) for d in first]
    assert ("host", SPIKE_HOST) in [(d.kind, d.key) for d in first]
    assert ("agent", SPIKE_AGENT) in [(d.kind, d.key) for d in first]


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
