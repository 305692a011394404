"""Backtest reports: each chunk summed into 10-second buckets of event time, then merged.

Everything kept per bucket adds up exactly across chunks (counts, bytes, sections, size and
duration histograms), so lines out of order land in their own bucket whichever chunk they
come in. Buckets more than `hold` seconds behind the newest line are written out and
forgotten: memory follows the hold. A line older than that is counted in the newest report
as `late`, so every line is still counted exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.core.ledger import report_ends
from analyzer.core.rules import rule_series
from analyzer.core.stats import STATUS_CLASSES
from analyzer.core.tally import BINS_PER_OCTAVE, bin_values, duration_values, size_bins
from analyzer.core.window import DURATION_WIDTH
from analyzer.formats.clf import Parsed, Requests, seconds_of
from analyzer.offline.reports import (
    NO_COUNTS,
    duration_codes,
    lines_per_bucket,
    pair_sums,
    percentiles,
    rebucket,
    split_at_index,
    split_parts,
    top_sections,
)

BUCKET_SECONDS = 10
HOLD_SECONDS = 3600
CLOSE_EVERY = 8
SIZE_BINS = np.arange(64 * BINS_PER_OCTAVE)  # the live window's bins (core.tally): one method
DURATION_BINS = np.arange(DURATION_WIDTH)
TOTAL_COLUMNS = ("requests", "rejected", "directives", "late", "bytes", *STATUS_CLASSES)


@dataclass
class ChunkBuckets:
    """One chunk summed per bucket: the report second T (UTC epoch) of the seconds (T - 10, T],
    as the live monitor's reports (`core.ledger.report_ends`)."""

    seconds: np.ndarray  # distinct event seconds ...
    hits: np.ndarray  # ... and the requests in each
    totals: pd.DataFrame  # index bucket; TOTAL_COLUMNS
    sections: pd.Series  # index (bucket, section) -> hits
    sizes: pd.Series  # index (bucket, size bin) -> requests
    durations: pd.Series  # index (bucket, duration bin) -> requests with a duration
    leading_rejected: int  # rejected lines before the chunk's first good line
    leading_directives: int
    last_bucket: int | None  # bucket of the chunk's last good line, in file order
    first_bucket: int | None = None  # bucket of the chunk's first good line, in file order
    directives: int = 0  # W3C directive lines: lines, but neither requests nor rejected
    series: dict[str, np.ndarray] | None = None  # per second (as `hits`): what the rules judge


def chunk_buckets(parsed: Parsed, sections: tuple[str, ...] = ()) -> ChunkBuckets:
    """Sum one parsed chunk per 10 s bucket; hash-based, no sort over the rows."""
    frame = parsed.frame
    # A W3C layout without cs-uri-stem has no sections: its requests count, in no section.
    section = (
        frame["section"].array
        if "section" in frame
        else pd.Categorical.from_codes(np.full(len(frame), -1), pd.Index([], dtype=object))
    )
    return _summed(
        seconds_of(frame),
        frame["status"].to_numpy(),
        frame["bytes"].to_numpy(),
        section.codes,
        np.asarray(section.categories, object),
        parsed.rejected_at,
        parsed.request_at if parsed.rejected or parsed.directives else None,
        frame["duration"].to_numpy(np.float64, na_value=np.nan) if "duration" in frame else None,
        parsed.directive_at,
        sections=sections,
    )


def request_buckets(requests: Requests, sections: tuple[str, ...] = ()) -> ChunkBuckets:
    """The same sums from a batch read without its frame (clf.requests): equal to
    chunk_buckets(parse(data, fmt, core=True)) for the same lines."""
    labels = np.asarray(requests.section.values.to_pylist(), object)
    lines = requests.lines
    return _summed(
        requests.seconds,
        requests.status,
        requests.size,
        requests.section.codes,
        labels,
        requests.rejected_at,
        (lambda: np.delete(np.arange(lines), requests.rejected_at)) if len(requests.rejected_at) else None,
        getattr(requests, "duration", None),
        sections=sections,
    )


def _summed(
    seconds: np.ndarray,
    status: np.ndarray,
    sizes: np.ndarray,
    section_codes: np.ndarray,
    section_labels: np.ndarray,
    rejected_at: np.ndarray,
    request_at: Callable[[], np.ndarray] | None,
    durations: np.ndarray | None = None,
    directive_at: np.ndarray | None = None,
    sections: tuple[str, ...] = (),  # those an alert rule names: their requests per second
) -> ChunkBuckets:
    """Per-bucket sums of the requests (in line order); `request_at` their line numbers where
    lines were rejected (else None); `durations` in seconds (NaN/None: none)."""
    second_codes, distinct = pd.factorize(seconds)
    hits = np.bincount(second_codes, minlength=len(distinct))
    bucket_codes, buckets = pd.factorize(report_ends(np.asarray(distinct), BUCKET_SECONDS))
    row_bucket = bucket_codes[second_codes]
    n = len(buckets)
    classes = np.clip(status.astype(np.int64) // 100, 0, 9)
    by_class = np.bincount(row_bucket * 10 + classes, minlength=n * 10).reshape(n, 10)
    rejected, leading = lines_per_bucket(rejected_at, request_at, row_bucket, n)
    directive_at = np.zeros(0, np.int64) if directive_at is None else directive_at
    directives, leading_directives = lines_per_bucket(directive_at, request_at, row_bucket, n)
    totals = pd.DataFrame(
        {
            "requests": np.bincount(row_bucket, minlength=n),
            "rejected": rejected,
            "directives": directives,
            "late": np.zeros(n, np.int64),
            "bytes": np.bincount(row_bucket, weights=np.maximum(sizes, 0), minlength=n).astype(np.int64),
            **{name: by_class[:, int(name[0])] for name in STATUS_CLASSES},
        },
        index=pd.Index(np.asarray(buckets, np.int64), name="bucket"),
    )
    buckets = np.asarray(buckets, np.int64)
    # no size (NO_SIZE) is code -1: out of the histogram, so its percentiles are n/a, not 0 B
    size_codes = np.where(sizes >= 0, size_bins(np.maximum(sizes, 0)), -1)
    return ChunkBuckets(
        seconds=np.asarray(distinct, np.int64),
        hits=hits,
        totals=totals,
        sections=_pair_counts(buckets, row_bucket, section_codes, section_labels),
        sizes=_pair_counts(buckets, row_bucket, size_codes, SIZE_BINS),
        durations=_pair_counts(
            buckets, row_bucket, duration_codes(durations, len(seconds), len(DURATION_BINS)), DURATION_BINS
        )
        if durations is not None
        else NO_COUNTS,
        leading_rejected=leading,
        leading_directives=leading_directives,
        last_bucket=int(buckets[row_bucket[-1]]) if len(seconds) else None,
        first_bucket=int(buckets[row_bucket[0]]) if len(seconds) else None,
        series=rule_series(second_codes, len(distinct), status, section_codes, section_labels, sections),
    )


def _pair_counts(
    buckets: np.ndarray, row_bucket: np.ndarray, codes: np.ndarray, labels: np.ndarray
) -> pd.Series:
    """Requests per (bucket, label), counted on one int64 key per row (code -1: left out)."""
    width = len(labels) + 1
    keys = row_bucket.astype(np.int64) * width + (codes.astype(np.int64) + 1)
    if len(buckets) * width <= 4 * len(keys) + 4096:  # few possible keys: count them all
        tally = np.bincount(keys, minlength=len(buckets) * width)
        found = np.flatnonzero(tally)
        counts = pd.Series(tally[found], index=found)
    else:
        counts = pd.Series(keys).value_counts(sort=False)
    bucket_of, code_of = np.divmod(counts.index.to_numpy(), width)
    kept = code_of > 0
    index = pd.MultiIndex.from_arrays(
        [buckets[bucket_of[kept]], labels[code_of[kept] - 1]], names=["bucket", "key"]
    )
    return pd.Series(counts.to_numpy()[kept], index=index, name="hits")


@dataclass(frozen=True)
class Closed:
    """Finished reports of a backtest, oldest first, one row per bucket."""

    totals: pd.DataFrame  # index bucket; TOTAL_COLUMNS and size_p50/p90/p99
    sections: pd.DataFrame  # bucket, section, hits: top sections then (other), per bucket


class BucketMerger:
    """Merges chunks' buckets and hands out reports once they can no longer change."""

    def __init__(
        self, hold: int = HOLD_SECONDS, section_limit: int = 100, close_every: int = CLOSE_EVERY
    ) -> None:
        self.hold = hold
        self.close_every = close_every
        self.section_limit = section_limit
        self.totals: list[pd.DataFrame] = []
        self.sections: list[pd.Series] = []
        self.sizes: list[pd.Series] = []
        self.durations: list[pd.Series] = []
        self.closed_before: int | None = None  # buckets before this were written out
        self.newest: int | None = None
        self.last_bucket: int | None = None  # of the last good line so far, in file order
        self.orphans = 0  # rejected lines with no good line before them, waiting for the first one
        self.orphan_directives = 0
        self.unclosed = 0  # chunks added since the last close

    def add(self, chunk: ChunkBuckets) -> Closed | None:
        """Take a chunk; return the reports that are now final (None if none are)."""
        totals, sections, sizes, durations = chunk.totals, chunk.sections, chunk.sizes, chunk.durations
        if len(totals):
            self.newest = max(self.newest or 0, int(totals.index.max()))
        if self.closed_before is not None and self.newest is not None:
            totals, sections, sizes, durations = self._late_to_newest(totals, sections, sizes, durations)
        self._place_leading(chunk)
        if chunk.last_bucket is not None:
            self.last_bucket = chunk.last_bucket
        self.totals.append(totals)
        self.sections.append(sections)
        self.sizes.append(sizes)
        self.durations.append(durations)
        if self.newest is None:
            return None
        # Lines before `closed_before` are late from now on; what is final is summed every
        # `close_every` chunks (~10 ms a close, whatever it holds), to the same sums.
        before = self.newest - self.hold
        self.closed_before = max(self.closed_before or before, before)
        self.unclosed += 1
        return self._close(self.closed_before) if self.unclosed >= self.close_every else None

    def finish(self) -> Closed | None:
        """All remaining reports, at the end of the input."""
        return self._close(None)

    def _place_leading(self, chunk: ChunkBuckets) -> None:
        """Rejected lines at a chunk's start belong to the previous chunk's last good line.

        Those before any good line of the input wait for the first one and go to its report.
        """
        rejected = chunk.leading_rejected + self.orphans
        directives = chunk.leading_directives + self.orphan_directives
        if not rejected and not directives:
            return
        target = self.last_bucket if self.last_bucket is not None else chunk.first_bucket
        if target is None:
            self.orphans, self.orphan_directives = rejected, directives
            return
        self.orphans = self.orphan_directives = 0
        if self.closed_before is not None and target < self.closed_before:
            target = self.newest or target
        extra = pd.DataFrame({c: [0] for c in TOTAL_COLUMNS}, index=pd.Index([target], name="bucket"))
        extra["rejected"], extra["directives"] = rejected, directives
        self.totals.append(extra)

    def _late_to_newest(
        self, totals: pd.DataFrame, sections: pd.Series, sizes: pd.Series, durations: pd.Series
    ) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
        """Lines for reports already written go to the newest report, counted as late."""
        closed, newest = self.closed_before, self.newest
        assert closed is not None and newest is not None
        late = totals.index < closed
        if not late.any():
            return totals, sections, sizes, durations
        moved = totals[late].sum()
        moved["late"] = moved["requests"]
        totals = pd.concat([totals[~late], moved.to_frame(newest).T.rename_axis("bucket")])
        return (
            totals,
            *(rebucket(counts, closed, newest) for counts in (sections, sizes, durations)),
        )  # type: ignore[return-value]

    def _close(self, before: int | None) -> Closed | None:
        """Sum what is final (every bucket before `before`; all at the end) into reports.

        Pieces are split, not merged: what is held is summed only when it is final, so each
        row of every chunk is summed once, however long it was held.
        """
        self.unclosed = 0
        if not self.totals:
            return None
        if before is None:
            totals, sections, sizes, durations = self.totals, self.sections, self.sizes, self.durations
            self.totals, self.sections, self.sizes, self.durations = [], [], [], []
        else:
            totals, self.totals = split_at_index(self.totals, before)
            sections, self.sections = split_parts(self.sections, before)
            sizes, self.sizes = split_parts(self.sizes, before)
            durations, self.durations = split_parts(self.durations, before)
        if not totals:
            return None
        done = pd.concat(totals).groupby(level=0).sum().sort_index()
        for found in (
            percentiles(*pair_sums(sizes), bin_values, "size"),
            percentiles(*pair_sums(durations), duration_values, "latency"),
        ):
            for name, column in found.items():  # a join, without its index work
                done[name] = column.reindex(done.index).to_numpy()
        return Closed(done, top_sections(*pair_sums(sections), self.section_limit))
