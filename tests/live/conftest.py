"""Helpers of the live monitor's tests: a fake clock, settings for a small window, CSV rows."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from analyzer.core.alerts import AlertRule
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Settings

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


class FakeClock:
    """Time that moves only when slept; `on_sleep` runs after each step (to append lines)."""

    def __init__(self, start: float, on_sleep: Callable[[float], None] | None = None) -> None:
        self.time = float(start)
        self.on_sleep = on_sleep
        self.sleeps = 0

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.time += seconds
        self.sleeps += 1
        if self.on_sleep is not None:
            self.on_sleep(self.time)


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def settings(log: Path, out: Path, **options: object) -> Settings:
    values: dict[str, object] = {
        "rule": AlertRule(threshold=2, window=10),
        "interval": 5,
        "lateness": 1,
        "plain": True,
    }
    values.update(options)
    return Settings(paths=[str(log)], out=out, **values)  # type: ignore[arg-type]


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def iso(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).isoformat()


def iso_z(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_message(hits: int, window: int, second: int) -> str:
    return f"High traffic generated an alert - hits = {hits / window:.2f}, triggered at {iso(second)}"


def recovered_message(hits: int, window: int, second: int) -> str:
    return f"High traffic alert recovered - hits = {hits / window:.2f}, recovered at {iso(second)}"


def run_until(monitor: Monitor, clock: FakeClock, ticks: int) -> None:
    """Poll once a (fake) second for `ticks` seconds."""
    for _ in range(ticks):
        monitor.poll()
        clock.sleep(1.0)


def counted(out: Path) -> int:
    return sum(int(row["requests"]) + int(row["rejected"]) for row in rows(out / "stats.csv"))
