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
    DIRECTIVES,
    LATE,
    NO_COUNTS,
    REJECTED,
    REQUESTS,
    TOTAL_COLUMNS,
    Pairs,
    Ranked,
    Totals,
    distinct_codes,
    duration_codes,
    lines_per_bucket,
    pair_counts,
    pair_sums,
    percentiles,
    rebucket,
    section_sums,
    split_parts,
    summed_rows,
    top_sections,
)

BUCKET_SECONDS = 10
HOLD_SECONDS = 3600
CLOSE_EVERY = 8
SIZE_BINS = np.arange(64 * BINS_PER_OCTAVE)  # the live window's bins (core.tally): one method
DURATION_BINS = np.arange(DURATION_WIDTH)


@dataclass
class ChunkBuckets:
    """One chunk summed per bucket: the report second T (UTC epoch) of the seconds (T - 10, T],
    as the live monitor's reports (`core.ledger.report_ends`). Arrays only: a worker's result
    is pickled as their bytes, and the parent merges them without an index."""

    seconds: np.ndarray  # distinct event seconds ...
    hits: np.ndarray  # ... and the requests in each
    totals: Totals
    sections: Pairs  # (bucket, section) -> hits
    sizes: Pairs  # (bucket, size bin) -> requests
    durations: Pairs  # (bucket, duration bin) -> requests with a duration
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
    second_codes, distinct = distinct_codes(np.asarray(seconds, np.int64))
    hits = np.bincount(second_codes, minlength=len(distinct))
    ends = report_ends(distinct, BUCKET_SECONDS)  # ascending, as `distinct`
    new_bucket = np.r_[True, ends[1:] != ends[:-1]] if len(ends) else np.zeros(0, bool)
    buckets = ends[new_bucket]
    row_bucket = (np.cumsum(new_bucket) - 1)[second_codes]
    n = len(buckets)
    classes = np.clip(status.astype(np.int64) // 100, 0, 9)
    by_class = np.bincount(row_bucket * 10 + classes, minlength=n * 10).reshape(n, 10)
    rejected, leading = lines_per_bucket(rejected_at, request_at, row_bucket, n)
    directive_at = np.zeros(0, np.int64) if directive_at is None else directive_at
    directives, leading_directives = lines_per_bucket(directive_at, request_at, row_bucket, n)
    values = np.zeros((n, len(TOTAL_COLUMNS)), np.int64)
    values[:, REQUESTS] = np.bincount(row_bucket, minlength=n)
    values[:, REJECTED], values[:, DIRECTIVES] = rejected, directives
    values[:, TOTAL_COLUMNS.index("bytes")] = np.bincount(row_bucket, np.maximum(sizes, 0), minlength=n)
    for name in STATUS_CLASSES:
        values[:, TOTAL_COLUMNS.index(name)] = by_class[:, int(name[0])]
    # no size (NO_SIZE) is code -1: out of the histogram, so its percentiles are n/a, not 0 B
    size_codes = np.where(sizes >= 0, size_bins(np.maximum(sizes, 0)), -1)
    return ChunkBuckets(
        seconds=distinct,
        hits=hits,
        totals=Totals(buckets, values),
        sections=pair_counts(buckets, row_bucket, section_codes, section_labels),
        sizes=pair_counts(buckets, row_bucket, size_codes, SIZE_BINS),
        durations=pair_counts(
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


@dataclass(frozen=True)
class Closed:
    """Finished reports of a backtest, oldest first, one row per bucket."""

    totals: pd.DataFrame  # index bucket; TOTAL_COLUMNS and size_p50/p90/p99
    sections: Ranked  # per bucket its top sections, then (other)


class BucketMerger:
    """Merges chunks' buckets and hands out reports once they can no longer change."""

    def __init__(
        self, hold: int = HOLD_SECONDS, section_limit: int = 100, close_every: int = CLOSE_EVERY
    ) -> None:
        self.hold = hold
        self.close_every = close_every
        self.section_limit = section_limit
        self.totals: list[Totals] = []
        self.sections: list[Pairs] = []
        self.sizes: list[Pairs] = []
        self.durations: list[Pairs] = []
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
            self.newest = max(self.newest or 0, int(totals.buckets.max()))
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
        extra = np.zeros((1, len(TOTAL_COLUMNS)), np.int64)
        extra[0, REJECTED], extra[0, DIRECTIVES] = rejected, directives
        self.totals.append(Totals(np.array([target], np.int64), extra))

    def _late_to_newest(
        self, totals: Totals, sections: Pairs, sizes: Pairs, durations: Pairs
    ) -> tuple[Totals, Pairs, Pairs, Pairs]:
        """Lines for reports already written go to the newest report, counted as late."""
        closed, newest = self.closed_before, self.newest
        assert closed is not None and newest is not None
        late = totals.buckets < closed
        if not late.any():
            return totals, sections, sizes, durations
        moved = totals.values[late].sum(axis=0, keepdims=True)
        moved[0, LATE] = moved[0, REQUESTS]
        kept = totals.take(~late)
        totals = Totals(np.r_[kept.buckets, newest], np.concatenate([kept.values, moved]))
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
            totals, self.totals = split_parts(self.totals, before)
            sections, self.sections = split_parts(self.sections, before)
            sizes, self.sizes = split_parts(self.sizes, before)
            durations, self.durations = split_parts(self.durations, before)
        if not totals:
            return None
        buckets, values = summed_rows(totals)
        columns = dict(zip(TOTAL_COLUMNS, values.T, strict=True))
        columns |= percentiles(*pair_sums(sizes), bin_values, "size", buckets)
        columns |= percentiles(*pair_sums(durations), duration_values, "latency", buckets)
        done = pd.DataFrame(columns, pd.Index(buckets, name="bucket"))
        return Closed(done, top_sections(*section_sums(sections), self.section_limit))
