"""Backtest reports into stats.csv and sections.csv, with the live monitor's columns."""

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
from analyzer.outputs.rows import SECTION_FIELDS, STATS_FIELDS
from analyzer.outputs.sinks import write_whole

# Section rows held before one write: a few MB, against ~20 ms of pandas per write whatever
# its rows (a backtest closes reports after nearly every piece: writing each was the parent's
# main cost, and the parent paced the workers).
FLUSH_ROWS = 50_000


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
            closed = Closed(totals, pd.concat([c.sections for c in held], ignore_index=True))
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


def append_text(path: Path, header: str, text: str) -> None:
    """Rows appended by one write() to a file opened safely (no link followed, 0644 at most);
    the header first into a new or empty file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = open_append(path)
    try:
        new = os.fstat(fd).st_size == 0
        write_whole(fd, ((header + "\r\n") if new else "").encode() + text.encode(), path)
    finally:
        os.close(fd)


def _append_frame(path: Path, frame: pd.DataFrame, fields: tuple[str, ...]) -> None:
    text = frame.loc[:, list(fields)].to_csv(None, header=False, index=False, lineterminator="\r\n")
    append_text(path, ",".join(fields), text)


def write_closed(
    directory: Path, closed: Closed, window_requests: np.ndarray | None = None, window_seconds: int = 120
) -> None:
    """Backtest reports into stats.csv and sections.csv, with the live monitor's columns and
    numbers written as it writes them (`outputs.rows.stats_row`).

    The alert column stays empty: a backtest's alerts are in alerts.csv, per threshold; and
    `warm` and `overruns` are the live monitor's own.
    """
    totals = closed.totals
    stamps = pd.to_datetime(totals.index.to_numpy(), unit="s", utc=True)
    requests = totals["requests"].to_numpy()
    unsized = (requests > 0) & totals["size_p50"].isna().to_numpy()
    first_sections = closed.sections.drop_duplicates("bucket").set_index("bucket")["section"]
    # Log text, escaped as on screen: once per distinct name, not once per report.
    first_sections = first_sections.map({name: escaped(name) for name in first_sections.dropna().unique()})
    stats = pd.DataFrame(
        {
            "time": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requests": requests,
            "rejected": totals["rejected"].to_numpy(),
            "late": totals["late"].to_numpy(),
            "warm": 0,
            "rate": _fixed(requests / BUCKET_SECONDS, 3),
            # a bucket with requests but no size (a log without sizes): empty cells, not 0 B
            "bytes": np.where(unsized, "", totals["bytes"].to_numpy().astype(str)),
            **{
                f"size_p{p}": np.where(
                    unsized,
                    "",
                    totals[f"size_p{p}"].fillna(0).round().astype(np.int64).to_numpy().astype(str),
                )
                for p in (50, 90, 99)
            },
            **{name: totals[name].to_numpy() for name in STATUS_CLASSES},
            "error_rate": _fixed(np.divide(totals["5xx"].to_numpy(), np.maximum(requests, 1)), 4),
            "window_requests": "" if window_requests is None else window_requests,
            "window_rate": "" if window_requests is None else _fixed(window_requests / window_seconds, 3),
            "top_section": first_sections.reindex(totals.index).fillna("").to_numpy(),
            "alert_on": "",
            "directives": totals["directives"].to_numpy() if "directives" in totals else 0,
            **{f"latency_p{p}": _latency(totals, p) for p in (50, 90, 99)},
            "overruns": "",
        }
    )
    _append_frame(directory / "stats.csv", stats, STATS_FIELDS)
    _append_sections(directory / "sections.csv", closed.sections)


def _fixed(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers as the live rows write them (`f"{value:.3f}"`): fixed decimals, rounded half even."""
    return np.char.mod(f"%.{decimals}f", np.asarray(values, np.float64))


def _latency(totals: pd.DataFrame, p: int) -> np.ndarray | str:
    """Request-duration percentiles in seconds; empty where the log has no durations."""
    column = totals.get(f"latency_p{p}")
    if column is None:
        return ""
    values = column.to_numpy(np.float64)
    return np.where(np.isnan(values), "", _fixed(np.nan_to_num(values), 4))


def _append_sections(path: Path, sections: pd.DataFrame) -> None:
    """sections.csv's rows as pandas's to_csv writes them, at the end of a backtest, where it
    waits for nothing else: 50,000 rows in 25 ms, against 60 ms by a format call a row and 3x
    that by to_csv. Times are formatted once per bucket and sections quoted once per distinct
    name, as the csv module quotes (a comma, a quote, a line break: in quotes, its quotes
    doubled); the rows are then joined by Arrow, column by column, into one buffer."""
    codes, buckets = pd.factorize(sections["bucket"].to_numpy())
    ends = pd.to_datetime(np.asarray(buckets), unit="s", utc=True)
    times = pa.array(ends.strftime("%Y-%m-%dT%H:%M:%SZ"), pa.large_string()).take(pa.array(codes))
    column = pa.array(sections["section"].array, pa.large_string())
    if isinstance(column, pa.ChunkedArray):  # pandas's Arrow-backed strings
        column = column.combine_chunks()
    names = pc.dictionary_encode(column.fill_null(""))  # as to_csv writes a missing value
    # Log text, escaped as on screen (`cat sections.csv` must not retitle a terminal).
    quoted = pa.array([_quoted(escaped(name)) for name in names.dictionary.to_pylist()], pa.large_string())
    hits = pc.cast(pa.array(sections["hits"].to_numpy(np.int64)), pa.large_string())
    rows = pc.binary_join_element_wise(
        times, quoted.take(names.indices), hits, pa.scalar(",", pa.large_string())
    )
    append_text(path, ",".join(SECTION_FIELDS), _lines(rows))


def _lines(rows: pa.Array) -> str:
    """Each string of `rows` ended by CRLF, as one string."""
    if len(rows) == 0:
        return ""
    crlf, nothing = pa.scalar("\r\n", pa.large_string()), pa.scalar("", pa.large_string())
    ended = pc.binary_join_element_wise(rows, crlf, nothing)
    _, offsets, data = ended.buffers()
    used = np.frombuffer(offsets, np.int64)[ended.offset : ended.offset + len(ended) + 1]
    return data.to_pybytes()[used[0] : used[-1]].decode("utf-8")


def _quoted(field: str) -> str:
    """A CSV field as the csv module's QUOTE_MINIMAL writes it (pandas's to_csv uses it)."""
    if any(special in field for special in ',"\r\n'):
        return '"' + field.replace('"', '""') + '"'
    return field
