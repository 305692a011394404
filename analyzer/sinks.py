"""The output files under --out: append-only CSVs, one header line, each row flushed."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from analyzer.alerts import ALERT, AlertRule, Transition
from analyzer.engine import Report
from analyzer.stats import STATUS_CLASSES

ALERT_FIELDS = ("time", "kind", "hits", "threshold", "window_s", "message")
SECTION_FIELDS = ("time", "section", "hits")
STATS_FIELDS = (
    "time", "requests", "rejected", "late", "warm", "rate", "bytes",
    "size_p50", "size_p90", "size_p99", *STATUS_CLASSES, "error_rate",
    "window_requests", "window_rate", "top_section", "alert_on",
)


def iso_utc(second: int) -> str:
    """`2026-11-28T03:10:05Z`: the CSVs' time format."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


class CsvSink:
    """Appends rows to one CSV; writes the header only when the file is new or empty."""

    def __init__(self, path: Path, fields: tuple[str, ...]) -> None:
        self.path = path
        self.fields = fields
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._handle)
        if self._handle.tell() == 0:
            self.write(fields)

    def write(self, row: tuple[object, ...] | list[object]) -> None:
        self._writer.writerow(row)
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def alert_row(transition: Transition) -> tuple[object, ...]:
    rule = transition.rule
    return (
        iso_utc(transition.second), transition.kind, f"{transition.rate:.2f}",
        _number(rule.threshold), rule.window, transition.message,
    )


def stats_row(report: Report) -> tuple[object, ...]:
    interval, window = report.interval, report.window
    top_section = interval.sections.index[0] if len(interval.sections) else ""
    return (
        iso_utc(report.time), interval.requests, report.rejected, report.late, report.warm,
        f"{interval.rate:.3f}", interval.bytes,
        *(f"{interval.size_percentiles[p]:.0f}" for p in (50, 90, 99)),
        *(interval.status_counts[name] for name in STATUS_CLASSES),
        f"{interval.error_rate:.4f}", window.requests, f"{window.rate:.3f}",
        top_section, int(report.alert_on),
    )


def section_rows(report: Report) -> list[tuple[object, ...]]:
    """The interval's sections: the top ones plus one `(other)` row (bounded by the engine)."""
    stamp = iso_utc(report.time)
    return [(stamp, section, int(hits)) for section, hits in report.interval.sections.items()]


class Outputs:
    """alerts.csv, stats.csv and sections.csv under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.alerts = CsvSink(directory / "alerts.csv", ALERT_FIELDS)
        self.stats = CsvSink(directory / "stats.csv", STATS_FIELDS)
        self.sections = CsvSink(directory / "sections.csv", SECTION_FIELDS)

    def transition(self, transition: Transition) -> None:
        self.alerts.write(alert_row(transition))

    def report(self, report: Report) -> None:
        self.stats.write(stats_row(report))
        for row in section_rows(report):
            self.sections.write(row)

    def close(self) -> None:
        for sink in (self.alerts, self.stats, self.sections):
            sink.close()


def read_history(path: Path, rule: AlertRule) -> list[Transition]:
    """Earlier transitions of this threshold and window from alerts.csv (none if absent)."""
    if not os.path.exists(path):
        return []
    history = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                same_rule = float(row["threshold"]) == rule.threshold and int(row["window_s"]) == rule.window
                if same_rule and row["kind"] in (ALERT, "recovered"):
                    hits = round(float(row["hits"]) * rule.window)
                    history.append(Transition(parse_iso_utc(row["time"]), row["kind"], hits, rule))
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row must not stop the monitor from starting
    return history


def _number(value: float) -> str:
    return f"{value:g}"
