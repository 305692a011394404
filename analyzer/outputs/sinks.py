"""The output files under --out: append-only CSVs, one header line, each row flushed."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.core.engine import Report
from analyzer.core.stats import STATUS_CLASSES
from analyzer.offline.buckets import BUCKET_SECONDS, Closed

ALERT_FIELDS = ("time", "kind", "hits", "threshold", "window_s", "message")
SECTION_FIELDS = ("time", "section", "hits")
STATS_FIELDS = (
    "time",
    "requests",
    "rejected",
    "late",
    "warm",
    "rate",
    "bytes",
    "size_p50",
    "size_p90",
    "size_p99",
    *STATUS_CLASSES,
    "error_rate",
    "window_requests",
    "window_rate",
    "top_section",
    "alert_on",
    "directives",
    "latency_p50",
    "latency_p90",
    "latency_p99",
    "overruns",  # live: reports that came a whole interval late (slow ticks); empty in backtest
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
        iso_utc(transition.second),
        transition.kind,
        f"{transition.rate:.2f}",
        _number(rule.threshold),
        rule.window,
        transition.message,
    )


def stats_row(report: Report) -> tuple[object, ...]:
    interval, window = report.interval, report.window
    top_section = interval.sections.index[0] if len(interval.sections) else ""
    return (
        iso_utc(report.time),
        interval.requests,
        report.rejected,
        report.late,
        report.warm,
        f"{interval.rate:.3f}",
        interval.bytes,
        *(f"{interval.size_percentiles[p]:.0f}" for p in (50, 90, 99)),
        *(interval.status_counts[name] for name in STATUS_CLASSES),
        f"{interval.error_rate:.4f}",
        window.requests,
        f"{window.rate:.3f}",
        top_section,
        int(report.alert_on),
        report.directives,
        *_latency_cells(interval.latency),
        report.overruns,
    )


def _latency_cells(latency: dict[int, float] | None) -> tuple[str, ...]:
    """Request-duration percentiles in seconds; empty where the log has no durations."""
    return tuple(f"{latency[p]:.4f}" for p in (50, 90, 99)) if latency else ("", "", "")


class RejectSink:
    """`--rejects FILE`: every rejected line appended verbatim, after its reason and file.

    Lines are tab-separated (`reason<TAB>file<TAB>line`) and kept byte for byte as read
    (bytes that were not UTF-8 appear as `\\xNN`), so nothing the monitor could not read is lost.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115

    def write(self, source: str, rejects: list[tuple[str, str]]) -> None:
        self._handle.writelines(f"{reason}\t{source}\t{line}\n" for reason, line in rejects)
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


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

    def stats_size(self) -> int:
        """stats.csv's size in bytes (rows are flushed as written): the checkpoint's witness.

        Of the open file, so a stats.csv deleted under the monitor is no crash.
        """
        return os.fstat(self.stats._handle.fileno()).st_size

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


def _append_frame(path: Path, frame: pd.DataFrame, fields: tuple[str, ...]) -> None:
    """Append rows in one write (then closed, so flushed); the header only into a new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    frame.loc[:, list(fields)].to_csv(path, mode="a", header=new, index=False, lineterminator="\r\n")


def write_closed(directory: Path, closed: Closed) -> None:
    """Backtest reports into stats.csv and sections.csv, with the live monitor's columns.

    The window and alert columns stay empty: a backtest's alerts are in alerts.csv, per threshold.
    """
    totals = closed.totals
    stamps = pd.to_datetime(totals.index.to_numpy() + BUCKET_SECONDS, unit="s", utc=True)
    requests = totals["requests"].to_numpy()
    first_sections = closed.sections.drop_duplicates("bucket").set_index("bucket")["section"]
    stats = pd.DataFrame(
        {
            "time": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requests": requests,
            "rejected": totals["rejected"].to_numpy(),
            "late": totals["late"].to_numpy(),
            "warm": 0,
            "rate": np.round(requests / BUCKET_SECONDS, 3),
            "bytes": totals["bytes"].to_numpy(),
            **{
                f"size_p{p}": totals[f"size_p{p}"].fillna(0).round().astype(np.int64).to_numpy()
                for p in (50, 90, 99)
            },
            **{name: totals[name].to_numpy() for name in STATUS_CLASSES},
            "error_rate": np.round(np.divide(totals["5xx"].to_numpy(), np.maximum(requests, 1)), 4),
            "window_requests": "",
            "window_rate": "",
            "top_section": first_sections.reindex(totals.index).fillna("").to_numpy(),
            "alert_on": "",
            "directives": totals["directives"].to_numpy() if "directives" in totals else 0,
            "latency_p50": "",
            "latency_p90": "",
            "latency_p99": "",
            "overruns": "",
        }
    )
    _append_frame(directory / "stats.csv", stats, STATS_FIELDS)
    sections = closed.sections.assign(
        time=pd.to_datetime(closed.sections["bucket"] + BUCKET_SECONDS, unit="s", utc=True).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    )
    _append_frame(directory / "sections.csv", sections, SECTION_FIELDS)
