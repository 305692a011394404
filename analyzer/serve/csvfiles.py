"""Reading what --out holds: alerts.csv and stats.csv, by header name.

Columns are found by their header names, so an older file with fewer columns (or one whose
columns a newer version appended to) reads the same; a row that cannot be read (torn, garbage,
bytes that are not UTF-8) is skipped, never an error: what the API answers is what is whole.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

# stats.csv's columns the API serves, with their types (the rest stay in the CSV).
STATS_COLUMNS: dict[str, type] = {
    "requests": int,
    "rejected": int,
    "late": int,
    "rate": float,
    "bytes": int,
    "2xx": int,
    "3xx": int,
    "4xx": int,
    "5xx": int,
    "error_rate": float,
    "window_rate": float,
    "alert_on": int,
}
ALERT_COLUMNS = ("time", "kind", "hits", "threshold", "window_s", "message", "recovery", "onset")
MAX_FIELD = 1 << 16  # a longer field is no field of ours


def epoch(text: str) -> int:
    """`2026-11-28T03:10:05Z` as seconds since the epoch (fromisoformat: 20x strptime's speed)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"no time zone: {text!r}")
    return int(moment.timestamp())


def read_lines(path: Path, start: int = 0) -> tuple[list[str], int]:
    """The whole lines of `path` from byte `start`, and the offset after the last one (a row
    being written, without its newline yet, is left for the next read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        handle.seek(start)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    text = data[:end].decode("utf-8", "replace").replace("\0", "")
    return text.splitlines(), start + end


def header_of(path: Path) -> list[str]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        first = handle.readline(MAX_FIELD).decode("utf-8", "replace")
    return next(csv.reader([first]), [])


def rows(lines: Iterable[str], header: list[str]) -> Iterator[dict[str, str]]:
    """Each line as a dict by header name; lines that are not one CSV row are skipped."""
    for line in lines:
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if cells != header:
            yield dict(zip(header, cells, strict=False))


def stats_record(row: dict[str, str]) -> tuple[object, ...] | None:
    """(time, *STATS_COLUMNS) of a stats.csv row: a missing or empty cell is None; None: damaged."""
    try:
        values: list[object] = [epoch(row["time"])]
        for name, kind in STATS_COLUMNS.items():
            cell = row.get(name)
            values.append(kind(cell) if cell else None)
    except (KeyError, ValueError, TypeError, OverflowError):
        return None
    return tuple(values)


def read_stats(path: Path, since: int, until: int) -> list[tuple[object, ...]]:
    """The reports in `[since, until]` straight from the CSV (the index's reference)."""
    try:
        lines, _ = read_lines(path)
    except OSError:
        return []
    if not lines:
        return []
    header = next(csv.reader([lines[0]]), [])
    found = []
    for row in rows(lines[1:], header):
        record = stats_record(row)
        if record is not None and since <= record[0] <= until:  # type: ignore[operator]
            found.append(record)
    return found


def read_alerts(path: Path) -> list[dict[str, object]]:
    """Every whole row of alerts.csv, oldest first (every rule's: the page shows each)."""
    try:
        lines, _ = read_lines(path)
    except OSError:
        return []
    if not lines:
        return []
    header = next(csv.reader([lines[0]]), [])
    alerts: list[dict[str, object]] = []
    for row in rows(lines[1:], header):
        try:
            second = epoch(row["time"])
            if row.get("kind") not in ("alert", "recovered") or max(map(len, row.values())) > MAX_FIELD:
                continue
            float(row["hits"]), float(row["threshold"]), int(row["window_s"])  # whole numbers, or damaged
        except (KeyError, ValueError, TypeError, OverflowError):
            continue
        alerts.append({"second": second, **{name: row.get(name, "") for name in ALERT_COLUMNS}})
    return alerts
