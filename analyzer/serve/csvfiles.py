"""Reading what --out holds: alerts.csv and stats.csv, by header name.

Columns are found by their header names, so an older file with fewer columns (or one whose
columns a newer version appended to) reads the same; a row that cannot be read (torn, garbage,
bytes that are not UTF-8) is skipped, never an error: what the API answers is what is whole.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.core.rules import rule_label, rule_of_row

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
ALERT_COLUMNS = (
    "time", "kind", "hits", "threshold", "window_s", "message", "recovery", "onset", "drivers", "rule",
)  # fmt: skip
MAX_FIELD = 1 << 16  # a longer field is no field of ours


def epoch(text: str) -> int:
    """`2026-11-28T03:10:05Z` as seconds since the epoch (fromisoformat: 20x strptime's speed)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"no time zone: {text!r}")
    return int(moment.timestamp())


def read_chunk(path: Path, start: int = 0, size: int = -1) -> tuple[bytes, int]:
    """The whole lines of `path` from byte `start` (at most `size` bytes; -1: all), and the
    offset after the last one. A row being written, without its newline yet, is left for the
    next read; a line longer than `size` is no row of ours and is stepped over."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        handle.seek(start)
        data = handle.read(size)
    end = data.rfind(b"\n") + 1
    if end == 0 and len(data) == size:
        return b"", start + size
    return data[:end], start + end


def read_lines(path: Path, start: int = 0) -> tuple[list[str], int]:
    """`read_chunk` of all that follows `start`, as text lines."""
    data, end = read_chunk(path, start)
    return text_lines(data), end


def text_lines(data: bytes) -> list[str]:
    """The lines of `data`, split at newlines only: `str.splitlines` would also split a row at a
    U+2028 a logged path put in it (the CSVs escape control characters, not that one)."""
    return data.decode("utf-8", "replace").replace("\0", "").split("\n")


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
    """Every whole row of alerts.csv, oldest first (every rule's: the page shows each, `rule`
    naming it)."""
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
        alert: dict[str, object] = {"second": second, **{name: row.get(name, "") for name in ALERT_COLUMNS}}
        # a file older than the `rule` column: the rule its message names
        alert["rule"] = rule = rule_of_row(row.get("rule"), row.get("message") or "")
        alert["label"] = rule_label(rule)
        alerts.append(alert)
    return alerts


SECTION_COLUMNS = ("time", "section", "hits")


def section_rows(data: bytes, header: list[str]) -> pd.DataFrame:
    """sections.csv's whole rows in `data` (lines under `header`) as `time` (epoch seconds),
    `section`, `hits`; damaged rows are left out. Vectorised: 30 days are 2.6 million rows.

    A line with a quote (a section holding a comma or a quote, which the writer quoted, or a
    torn row) is read alone by the csv module, so that an unclosed quote cannot swallow the
    lines after it; no other line holds a quoted field, so pandas' C parser reads them all at
    once with quoting off.
    """
    if any(name not in header for name in SECTION_COLUMNS):
        return section_frame(pd.DataFrame(columns=list(SECTION_COLUMNS)))
    raw = np.frombuffer(data.replace(b"\0", b""), np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    quoted = np.unique(np.searchsorted(ends, np.flatnonzero(raw == ord('"'))))
    quoted = quoted[quoted < len(ends)]
    starts = np.concatenate(([0], ends[:-1] + 1))
    odd = [
        dict(zip(header, cells, strict=False))
        for at in quoted.tolist()
        for cells in csv.reader([raw[starts[at] : ends[at]].tobytes().decode("utf-8", "replace")])
    ]
    keep = np.ones(len(ends), bool)
    keep[quoted] = False
    plain = raw[np.repeat(keep, ends - starts + 1)].tobytes() if len(quoted) else raw.tobytes()
    parts = [pd.DataFrame(odd, columns=header)[list(SECTION_COLUMNS)]] if odd else []
    if plain.strip():
        # No usecols: with it, a row of too many cells is not skipped. Hits are left to the C
        # parser's numbers (a damaged cell makes the column text, which section_frame reads);
        # the rest are Python strings, quicker to convert than Arrow's.
        texts = {name: object for name in header if name != "hits"}
        read = pd.read_csv(
            io.BytesIO(plain),
            header=None,
            names=header,
            dtype=texts,
            index_col=False,
            quoting=csv.QUOTE_NONE,
            on_bad_lines="skip",
            keep_default_na=False,
            encoding_errors="replace",
        )
        parts.insert(0, read[list(SECTION_COLUMNS)])
    return section_frame(
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(SECTION_COLUMNS))
    )


def section_frame(found: pd.DataFrame) -> pd.DataFrame:
    """Text cells as typed columns, rows that are not whole left out."""
    times = pd.to_datetime(found["time"], format="ISO8601", utc=True, errors="coerce")
    hits = pd.to_numeric(found["hits"], errors="coerce")
    sections = found["section"].fillna("").astype(object)
    whole = times.notna() & (hits >= 0) & (hits < 2**53) & (hits % 1 == 0) & found["section"].notna()
    whole &= sections.str.len() <= MAX_FIELD
    return pd.DataFrame(
        {
            "time": times[whole].dt.as_unit("s").astype(np.int64).to_numpy(),
            "section": sections[whole].to_numpy(),
            "hits": hits[whole].astype(np.int64).to_numpy(),
        }
    )
