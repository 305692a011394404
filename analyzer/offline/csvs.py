"""Backtest reports into stats.csv and sections.csv, with the live monitor's columns.

The rows are joined by Arrow, column by column, into one buffer per write: numbers cast to
text in C, the fixed-decimal ones exactly as Python's `f"{value:.3f}"` writes them, times
formatted once per report and section names quoted once per distinct name. pandas's to_csv
took 4 ms a report batch and numpy's `%` formatting 5 ms a column (the parent's serial work).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.core.stats import STATUS_CLASSES
from analyzer.core.text import escaped
from analyzer.follow.outdir import open_append
from analyzer.offline.buckets import BUCKET_SECONDS, Closed
from analyzer.offline.reports import Ranked
from analyzer.outputs.rows import SECTION_FIELDS, STATS_FIELDS
from analyzer.outputs.sinks import write_whole

# Rows held before one write: a few MB, against ~2 ms of fixed cost per write whatever its rows.
FLUSH_ROWS = 50_000
TEXT = pa.large_string()
EXACT_BELOW = 2.0**30  # |value * 10**decimals| under this: its float product is within 1e-6 of exact


class ClosedWriter:
    """Closed reports written to stats.csv and sections.csv in batches, in order.

    With a `window` that is a whole number of reports, each row has the window's requests to
    its second too, as the live monitor's rows (the reports before it are kept for that)."""

    def __init__(self, directory: Path, window: int | None = None) -> None:
        self.directory = directory
        self.window = window if window is not None and window % BUCKET_SECONDS == 0 else None
        self.recent = pd.Series(dtype=np.int64)  # requests of the reports a window back
        self.held: list[Closed] = []
        self.rows = 0

    def add(self, closed: Closed) -> None:
        self.held.append(closed)
        self.rows += len(closed.totals) + len(closed.sections)
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what is held (the backtest flushes at its end, or when stopped)."""
        if not self.held:
            return
        held, self.held, self.rows = self.held, [], 0
        if len(held) == 1:
            closed = held[0]
        else:
            totals = pd.concat([closed.totals for closed in held])
            closed = Closed(totals, Ranked.joined([c.sections for c in held]))
        write_closed(self.directory, closed, self._window_requests(closed.totals), self.window or 0)

    def _window_requests(self, totals: pd.DataFrame) -> np.ndarray | None:
        """The requests of the `window` seconds to each report's second (None: no window)."""
        if self.window is None or len(totals) == 0:
            return None
        requests = pd.concat([self.recent, totals["requests"]])
        ends = requests.index.to_numpy(np.int64)
        cumulative = np.r_[0, np.cumsum(requests.to_numpy(np.int64))]
        mine = ends[len(self.recent) :]
        start = np.searchsorted(ends, mine - self.window, side="right")
        found = cumulative[len(self.recent) + 1 :] - cumulative[start]
        self.recent = requests[ends > ends[-1] - self.window]
        return found


def append_rows(path: Path, header: str, rows: bytes) -> None:
    """Rows appended by one write() to a file opened safely (no link followed, 0644 at most);
    the header first into a new or empty file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = open_append(path)
    try:
        new = os.fstat(fd).st_size == 0
        write_whole(fd, ((header + "\r\n").encode() if new else b"") + rows, path)
    finally:
        os.close(fd)


def write_closed(
    directory: Path, closed: Closed, window_requests: np.ndarray | None = None, window_seconds: int = 120
) -> None:
    """Backtest reports into stats.csv and sections.csv, with the live monitor's columns and
    numbers written as it writes them (`outputs.rows.stats_row`).

    The alert column stays empty: a backtest's alerts are in alerts.csv, per threshold; and
    `warm` and `overruns` are the live monitor's own.
    """
    totals = closed.totals
    buckets = totals.index.to_numpy(np.int64)
    requests = totals["requests"].to_numpy(np.int64)
    unsized = (requests > 0) & np.isnan(totals["size_p50"].to_numpy(np.float64))
    empty = pa.scalar("", TEXT)

    def whole(values: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(np.asarray(values, np.int64)), TEXT)

    def sized(values: np.ndarray) -> pa.Array:  # a bucket with requests but no size: empty, not 0 B
        return pc.if_else(pa.array(unsized), empty, whole(values))

    nothing = pa.nulls(len(totals), TEXT).fill_null("")
    columns = {
        "time": _times(buckets),
        "requests": whole(requests),
        "rejected": whole(totals["rejected"].to_numpy()),
        "late": whole(totals["late"].to_numpy()),
        "warm": pc.cast(pa.array(np.zeros(len(totals), np.int64)), TEXT),
        "rate": fixed(requests / BUCKET_SECONDS, 3),
        "bytes": sized(totals["bytes"].to_numpy()),
        **{
            f"size_p{p}": sized(np.rint(np.nan_to_num(totals[f"size_p{p}"].to_numpy()))) for p in (50, 90, 99)
        },
        **{name: whole(totals[name].to_numpy()) for name in STATUS_CLASSES},
        "error_rate": fixed(np.divide(totals["5xx"].to_numpy(), np.maximum(requests, 1)), 4),
        "window_requests": nothing if window_requests is None else whole(window_requests),
        "window_rate": nothing if window_requests is None else fixed(window_requests / window_seconds, 3),
        "top_section": _top_sections(buckets, closed.sections),
        "alert_on": nothing,
        "directives": whole(
            totals["directives"].to_numpy() if "directives" in totals else np.zeros(len(totals))
        ),
        **{f"latency_p{p}": _latency(totals, p, nothing) for p in (50, 90, 99)},
        "overruns": nothing,
    }
    append_rows(directory / "stats.csv", ",".join(STATS_FIELDS), _lines([columns[f] for f in STATS_FIELDS]))
    append_sections(directory / "sections.csv", closed.sections)


def fixed(values: np.ndarray, decimals: int) -> pa.Array:
    """Numbers as the live rows write them (`f"{value:.3f}"`: the exact binary value rounded
    half to even), as text. Scaled and rounded in bulk where the float product cannot be on
    the wrong side of a half; the rest (near a half, huge, negative, not finite) one by one."""
    values = np.asarray(values, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf, nan: doubtful, formatted one by one
        scaled = values * 10.0**decimals
        floor = np.floor(scaled)
        fraction = scaled - floor
        doubtful = ~(np.abs(fraction - 0.5) > 1e-6) | ~(scaled < EXACT_BELOW) | np.signbit(values)
        units = np.where(doubtful, 0, floor + (fraction > 0.5)).astype(np.int64)
    digits = pc.utf8_lpad(pc.cast(pa.array(units % 10**decimals), TEXT), decimals, "0")
    text = pc.binary_join_element_wise(
        pc.cast(pa.array(units // 10**decimals), TEXT), digits, pa.scalar(".", TEXT)
    )
    if doubtful.any():
        exact = pa.array([f"{value:.{decimals}f}" for value in values[doubtful].tolist()], TEXT)
        text = pc.replace_with_mask(text, pa.array(doubtful), exact)
    return text


def _latency(totals: pd.DataFrame, p: int, nothing: pa.Array) -> pa.Array:
    """Request-duration percentiles in seconds; empty where the log has no durations."""
    column = totals.get(f"latency_p{p}")
    if column is None:
        return nothing
    values = column.to_numpy(np.float64)
    missing = np.isnan(values)
    return pc.if_else(pa.array(missing), pa.scalar("", TEXT), fixed(np.where(missing, 0.0, values), 4))


def _times(buckets: np.ndarray) -> pa.Array:
    """Each second as the live rows write it, `2026-11-28T00:00:10Z` (numpy's ISO text: 6x pandas's
    strftime, the same strings from 1970 to year 10000)."""
    text = pa.array(
        np.datetime_as_string(np.asarray(buckets, np.int64).astype("datetime64[s]"), unit="s"), TEXT
    )
    return pc.binary_join_element_wise(text, pa.scalar("Z", TEXT), pa.scalar("", TEXT))


def _top_sections(buckets: np.ndarray, sections: Ranked) -> pa.Array:
    """Each report's first section (its busiest), quoted and escaped as on screen; empty if none."""
    if not len(sections):
        return pa.nulls(len(buckets), TEXT).fill_null("")
    first = np.flatnonzero(np.r_[True, sections.buckets[1:] != sections.buckets[:-1]])
    named = sections.buckets[first]  # ascending, as `buckets`
    at = np.minimum(np.searchsorted(named, buckets), len(first) - 1)
    found = _quoted_names(sections.names).take(pa.array(sections.codes[first][at], pa.int64()))
    return pc.if_else(pa.array(named[at] == buckets), found, pa.scalar("", TEXT))


def append_sections(path: Path, sections: Ranked) -> None:
    """sections.csv's rows as pandas's to_csv writes them (the csv module's minimal quoting):
    times formatted once per report, names escaped and quoted once per distinct name."""
    codes, buckets = pd.factorize(sections.buckets)
    times = _times(np.asarray(buckets, np.int64)).take(pa.array(codes))
    names = _quoted_names(sections.names).take(pa.array(sections.codes, pa.int64()))
    hits = pc.cast(pa.array(sections.hits.astype(np.int64)), TEXT)
    append_rows(path, ",".join(SECTION_FIELDS), _lines([times, names, hits]))


def _quoted_names(names: np.ndarray) -> pa.Array:
    """Log text, escaped as on screen (`cat sections.csv` must not retitle a terminal), then
    quoted as a CSV field; a missing name is an empty field."""
    return pa.array([_quoted(escaped(name)) if name is not None else "" for name in names.tolist()], TEXT)


def _lines(columns: list[pa.Array]) -> bytes:
    """The columns' cells joined by commas, each row ended by CRLF, as one buffer."""
    if not columns or len(columns[0]) == 0:
        return b""
    rows = pc.binary_join_element_wise(*columns, pa.scalar(",", TEXT))
    ended = pc.binary_join_element_wise(rows, pa.scalar("\r\n", TEXT), pa.scalar("", TEXT))
    _, offsets, data = ended.buffers()
    used = np.frombuffer(offsets, np.int64)[ended.offset : ended.offset + len(ended) + 1]
    return data[int(used[0]) : int(used[-1])].to_pybytes()


def _quoted(field: str) -> str:
    """A CSV field as the csv module's QUOTE_MINIMAL writes it (pandas's to_csv uses it)."""
    if any(special in field for special in ',"\r\n'):
        return '"' + field.replace('"', '""') + '"'
    return field
