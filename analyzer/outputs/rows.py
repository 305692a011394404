"""The rows of the output CSVs: pure functions from transitions and reports to cells.

Numbers are formatted here, once, so the monitor and the backtest write the same text.
"""

from __future__ import annotations

from analyzer.core.alerts import Transition
from analyzer.core.drivers import drivers_text
from analyzer.core.engine import Report
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.core.times import iso_utc

# `recovery` (the recovery threshold, empty without hysteresis), `onset` (`crossed`, or
# `before`: found at start, the real crossing lies before `time`) and `drivers` (what drove
# an alert, escaped text; empty for a recovery) came after the first six: columns are only
# ever appended, and an older file keeps the columns its header has.
# `rule` (the rule's name: high_traffic, error_rate_5xx, section_rate:/api) came after those.
ALERT_FIELDS = (
    "time",
    "kind",
    "hits",
    "threshold",
    "window_s",
    "message",
    "recovery",
    "onset",
    "drivers",
    "rule",
)
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


def alert_row(transition: Transition) -> tuple[object, ...]:
    rule = transition.rule
    return (
        iso_utc(transition.second),
        transition.kind,
        transition.shown,
        rule.threshold_text,
        rule.window,
        transition.message,
        rule.recovery_text,
        transition.onset,
        drivers_text(transition.drivers),
        rule.name,
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
        *_size_cells(interval),
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


def _size_cells(interval: Summary) -> tuple[object, ...]:
    """Bytes served and size percentiles; empty where the log's lines carry no size."""
    if not interval.sized:
        return ("", "", "", "")
    return (interval.bytes, *(f"{interval.size_percentiles[p]:.0f}" for p in (50, 90, 99)))


def _latency_cells(latency: dict[int, float] | None) -> tuple[str, ...]:
    """Request-duration percentiles in seconds; empty where the log has no durations."""
    return tuple(f"{latency[p]:.4f}" for p in (50, 90, 99)) if latency else ("", "", "")


def section_rows(report: Report) -> list[tuple[object, ...]]:
    """The interval's sections: the top ones plus one `(other)` row (bounded by the engine)."""
    stamp = iso_utc(report.time)
    return [(stamp, section, int(hits)) for section, hits in report.interval.sections.items()]
