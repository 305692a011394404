"""Summary statistics of a frame of requests: pure, vectorised, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
PERCENTILES = (50, 90, 99)
OTHER = "(other)"


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
    counts = values.value_counts(sort=False, dropna=True)
    counts = counts[counts > 0]
    counts.index = counts.index.astype(str)
    frame = counts.rename_axis("key").reset_index(name="hits")
    frame = frame.sort_values(["hits", "key"], ascending=[False, True], kind="stable")
    ordered = pd.Series(frame["hits"].to_numpy(np.int64), index=frame["key"].to_numpy(object))
    if limit is None or len(ordered) <= limit:
        return ordered
    rest = int(ordered.iloc[limit:].sum())
    return pd.concat([ordered.iloc[:limit], pd.Series([rest], index=[OTHER])])


def status_class_counts(status: np.ndarray) -> dict[str, int]:
    """Requests per status class 2xx..5xx (1xx and unknown statuses are in none of them)."""
    classes = np.bincount(np.clip(np.asarray(status, np.int64) // 100, 0, 9), minlength=10)
    return {name: int(classes[int(name[0])]) for name in STATUS_CLASSES}


def summarize(frame: pd.DataFrame, seconds: int, top: int = 10, section_limit: int = 100) -> Summary:
    """Summary of `frame`, whose requests span `seconds` seconds.

    Sections keep the `section_limit` busiest plus `(other)`, so a scan of random paths
    cannot grow a report without bound.
    """
    sizes = frame["bytes"].to_numpy()
    percentiles = (
        dict(zip(PERCENTILES, np.percentile(sizes, PERCENTILES).tolist(), strict=True))
        if len(sizes)
        else {p: 0.0 for p in PERCENTILES}
    )
    latency, section_latency = latency_percentiles(frame, top)
    return Summary(
        latency=latency,
        section_latency=section_latency,
        seconds=seconds,
        requests=len(frame),
        bytes=int(sizes.sum()),
        size_percentiles=percentiles,
        status_counts=status_class_counts(frame["status"].to_numpy()),
        sections=top_counts(_column(frame, "section"), section_limit),
        hosts=top_counts(frame["host"], top) if "host" in frame else pd.Series(dtype=np.int64),
        methods=top_counts(_column(frame, "method"), top),
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column, or an empty one where the format has no such field (W3C without a method)."""
    return frame[name] if name in frame else pd.Series(pd.Categorical([None] * len(frame)))


def latency_percentiles(frame: pd.DataFrame, top: int) -> tuple[dict[int, float] | None, pd.DataFrame | None]:
    """p50/p90/p99 of request durations overall and for the `top` busiest sections.

    None where the log has no durations (Common, Combined without timing fields).
    """
    if "duration" not in frame or not frame["duration"].notna().any():
        return None, None
    timed = frame[frame["duration"].notna()]
    overall = dict(zip(PERCENTILES, np.percentile(timed["duration"], PERCENTILES).tolist(), strict=True))
    sections = _column(timed, "section").astype(object)
    busiest = top_counts(_column(timed, "section"), None).index[:top]
    if len(busiest) == 0:
        return overall, None
    in_top = timed[sections.isin(list(busiest)).to_numpy()]
    per_section = (
        in_top.groupby(sections[sections.isin(list(busiest))].to_numpy())["duration"]
        .quantile(np.array([p / 100 for p in PERCENTILES]))
        .unstack()
        .reindex(list(busiest))
    )
    per_section.columns = [f"p{p}" for p in PERCENTILES]
    return overall, per_section
