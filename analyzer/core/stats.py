"""Summary statistics of requests: pure, vectorised, no I/O.

Every summary (a report's interval, its window, a frame's) comes from counts per key and per
log-scale bin: counts exact, percentiles nearest-rank from the bins, within
`tally.PERCENTILE_ERROR` (1.1%) of the exact value; one method everywhere, backtest included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.tally import bin_values, duration_values, percentile_bins
from analyzer.core.window import DURATION_WIDTH, Counted, Window

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
PERCENTILES = (50, 90, 99)
OTHER = "(other)"
PANEL_ROWS = 60  # keys a summary names per heavy column: a tall terminal's table fills with them


@dataclass(frozen=True)
class Summary:
    """Traffic over `seconds` seconds."""

    seconds: int
    requests: int
    bytes: int
    size_percentiles: dict[int, float]
    status_counts: dict[str, int]
    sections: pd.Series = field(repr=False)
    hosts: pd.Series = field(repr=False)
    methods: pd.Series = field(repr=False)
    # Request durations (seconds), where the log has them: overall and per top section.
    latency: dict[int, float] | None = None
    section_latency: pd.DataFrame | None = field(default=None, repr=False)
    statuses: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)  # by code
    sized: bool = True  # False: requests, but none with a size (IIS without sc-bytes): sizes are n/a
    # The busiest user agents, referrers, and paths answered 4xx and 5xx (heavy hitters).
    agents: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)
    referers: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)
    paths_4xx: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)
    paths_5xx: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)
    paths: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64), repr=False)  # the busiest

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def status_ratio(self, status_class: str) -> float:
        return self.status_counts[status_class] / self.requests if self.requests else 0.0

    @property
    def error_rate(self) -> float:
        """Share of requests answered 5xx: the server's own failures."""
        return self.status_ratio("5xx")


def top_counts(values: pd.Series, limit: int | None = None) -> pd.Series:
    """Hits per distinct value, most first (ties by name, so output is stable).

    Missing values are left out; with `limit`, the rest is one `(other)` entry.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    known = codes >= 0
    counts = np.bincount(codes[known], minlength=len(uniques))
    return top_of(counts, pd.Index(uniques, dtype=object), limit)


def top_of(counts: np.ndarray, values: pd.Index, limit: int | None = None, unplaced: int = 0) -> pd.Series:
    """`top_counts` from hits per code (`counts[i]` for `values[i]`); with `limit`, `unplaced`
    hits (counted under no key: a heavy hitter's dropped keys) go in `(other)` too."""
    at = np.flatnonzero(counts[: len(values)] > 0)
    hits = counts[at].astype(np.int64)
    rest = unplaced if limit is not None else 0
    if limit is not None and len(at) > limit:  # only the busiest and their ties need their names
        kth = np.partition(hits, len(hits) - limit)[len(hits) - limit]
        rest_at = hits < kth
        rest += int(hits[rest_at].sum())
        at, hits = at[~rest_at], hits[~rest_at]
    names = np.asarray(values.to_numpy()[at], dtype=str) if len(at) else np.zeros(0, str)
    order = np.lexsort((names, -hits))
    hits, names = hits[order], names[order]
    if limit is not None and (len(hits) > limit or rest):  # one Series built: a concat costs 0.2 ms
        rest += int(hits[limit:].sum())
        hits, names = np.append(hits[:limit], rest), np.append(names[:limit].astype(object), OTHER)
    return pd.Series(hits, index=pd.Index(names, dtype=object), copy=False)


def status_class_counts(status: np.ndarray) -> dict[str, int]:
    """Requests per status class 2xx..5xx (1xx and unknown statuses are in none of them)."""
    classes = np.bincount(np.clip(np.asarray(status, np.int64) // 100, 0, 9), minlength=10)
    return {name: int(classes[int(name[0])]) for name in STATUS_CLASSES}


def summarize(frame: pd.DataFrame, seconds: int, top: int = 10, section_limit: int = 100) -> Summary:
    """Summary of `frame`, whose requests span `seconds` seconds, counted as a report counts
    them (the percentiles from bins, as every report's: see `tally.percentile_bins`)."""
    vocabularies = {name: Vocabulary() for name in TEXT}
    window = Window(vocabularies)
    window.add(compact(frame, vocabularies))
    return summarize_counted(window.counted(-(2**62), 2**62), seconds, vocabularies, top, section_limit)


def summarize_counted(
    counted: Counted,
    seconds: int,
    vocabularies: dict[str, Vocabulary],
    top: int = 10,
    section_limit: int = 100,
) -> Summary:
    """Summary of the window's counts over a range of seconds (percentiles from bins)."""
    size_percentiles = _binned_percentiles(counted.sizes, bin_values) or {p: 0.0 for p in PERCENTILES}
    latency = _binned_percentiles(counted.durations, duration_values)
    rows = max(top, PANEL_ROWS)
    section_latency = None
    keys, counts = counted.section_durations
    if latency is not None and len(keys):
        sections, bins = np.divmod(keys, DURATION_WIDTH)
        timed = np.bincount(sections, counts, minlength=len(vocabularies["section"])).astype(np.int64)
        busiest = top_of(timed, vocabularies["section"].values).index[:top]
        table = {}
        codes = vocabularies["section"].values.get_indexer(busiest)
        for name, code in zip(busiest, codes, strict=True):  # a handful of sections, small histograms
            per_bin = np.bincount(bins[sections == code], counts[sections == code], minlength=DURATION_WIDTH)
            found = _binned_percentiles(per_bin.astype(np.int64), duration_values) or {}
            table[name] = [found[p] for p in PERCENTILES]
        section_latency = _latency_table(table)
    return Summary(
        seconds=seconds,
        requests=counted.requests,
        bytes=counted.bytes,
        size_percentiles=size_percentiles,
        status_counts=_classes(counted.status),
        sections=top_of(
            counted.section, vocabularies["section"].values, section_limit, counted.dropped.get("section", 0)
        ),
        hosts=top_of(counted.host, vocabularies["host"].values, rows),
        methods=top_of(counted.method, vocabularies["method"].values, top),
        latency=latency,
        section_latency=section_latency if section_latency is not None and len(section_latency) else None,
        statuses=_statuses(counted.status),
        sized=bool(counted.sizes.sum() > 0) or counted.requests == 0,
        agents=top_of(counted.user_agent, vocabularies["user_agent"].values, rows),
        referers=top_of(counted.referer, vocabularies["referer"].values, rows),
        paths_4xx=top_of(counted.error_path[0::2], vocabularies["path"].values, rows),
        paths_5xx=top_of(counted.error_path[1::2], vocabularies["path"].values, rows),
        paths=top_of(counted.path, vocabularies["path"].values, rows),
    )


def _classes(by_code: np.ndarray) -> dict[str, int]:
    """`status_class_counts` from requests per status code."""
    classes = np.bincount(np.arange(len(by_code)) // 100, by_code, minlength=10)
    return {name: int(classes[int(name[0])]) for name in STATUS_CLASSES}


def _by_code(codes: np.ndarray, vocabulary: Vocabulary) -> np.ndarray:
    known = codes >= 0
    return np.bincount(codes[known], minlength=len(vocabulary))


def _statuses(by_code: np.ndarray) -> pd.Series:
    at = np.flatnonzero(by_code)
    order = np.lexsort((at, -by_code[at]))
    return pd.Series(by_code[at][order].astype(np.int64), index=pd.Index(at[order]), copy=False)


def _binned_percentiles(per_bin: np.ndarray, value_of: object) -> dict[int, float] | None:
    """Nearest-rank percentiles from counts per bin, each the middle of its bin; None if empty."""
    bins = np.flatnonzero(per_bin)
    if len(bins) == 0:
        return None
    _, found = percentile_bins(np.zeros(len(bins), np.int64), bins, per_bin[bins], PERCENTILES)
    values = {p: float(value_of(found[p])[0]) for p in PERCENTILES}  # type: ignore[operator]
    return values


def _latency_table(rows: dict[str, list[float]]) -> pd.DataFrame:
    """Percentiles per section: one row per section, columns p50, p90, p99."""
    values = np.array(list(rows.values()), np.float64).reshape(len(rows), len(PERCENTILES))
    return pd.DataFrame(
        values, index=pd.Index(list(rows), dtype=object), columns=[f"p{p}" for p in PERCENTILES]
    )
