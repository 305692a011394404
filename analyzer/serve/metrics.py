"""/metrics: the monitor's counts and gauges in Prometheus's text exposition format.

Written with the official client (`prometheus-client`) on a registry of our own (never the
process-wide default one, so a test or an embedding program gets only these series). A custom
collector reads `LiveState` at scrape time: the monitor's thread never touches the registry.
Names follow the client's conventions: `analyzer_` prefix, `_total` counters, base units.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from analyzer.core.rules import ErrorRateRule
from analyzer.core.standing import Standing
from analyzer.serve.rule_states import level
from analyzer.serve.state import LiveState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MonitorCollector(Collector):
    def __init__(self, state: LiveState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        totals, gauges = self.state.snapshot()
        requests = CounterMetricFamily(
            "analyzer_requests", "Requests read from the logs, by status class", labels=["status_class"]
        )
        for name, value in totals.status.items():
            requests.add_metric([name], value)
        yield requests
        yield CounterMetricFamily("analyzer_response_bytes", "Bytes served, as logged", value=totals.bytes)
        rejected = CounterMetricFamily(
            "analyzer_rejected_lines", "Lines that could not be parsed, by reason", labels=["reason"]
        )
        for reason, value in sorted(totals.reasons.items()):
            rejected.add_metric([reason], value)
        yield rejected
        yield CounterMetricFamily(
            "analyzer_late_lines", "Requests read after their second was judged", value=totals.late
        )
        yield from rule_gauges(gauges.rules)
        sections = GaugeMetricFamily(
            "analyzer_window_section_requests",
            "Requests in the window per section: the top N and `(other)`, so cardinality stays bounded",
            labels=["section"],
        )
        for name, hits in gauges.sections:
            sections.add_metric([name], hits)
        yield sections


def rule_gauges(standings: tuple[Standing, ...]) -> Iterator[Metric]:
    """A series per rule judged, labelled with the rule's name as alerts.csv and delivery name
    it (`high_traffic`, `error_rate_5xx`, `section_rate:/api`): as many as the options ask for.
    Averages (the high-traffic rule, a section's) in req/s; an error rate as a ratio (0 to 1)."""
    labels = ["rule"]
    alert = GaugeMetricFamily("analyzer_alert_on", "1 while the rule's alert is on", labels=labels)
    window = GaugeMetricFamily("analyzer_window_seconds", "The window averaged", labels=labels)
    average = GaugeMetricFamily(
        "analyzer_window_average_requests_per_second", "Requests per second over the window", labels=labels
    )
    threshold = GaugeMetricFamily(
        "analyzer_threshold_requests_per_second", "The alert's threshold", labels=labels
    )
    ratio = GaugeMetricFamily(
        "analyzer_window_error_ratio", "Errors among the window's requests (0 to 1)", labels=labels
    )
    limit = GaugeMetricFamily(
        "analyzer_threshold_error_ratio", "The error-rate alert's threshold (0 to 1)", labels=labels
    )
    volume = GaugeMetricFamily(
        "analyzer_window_requests", "The window's requests the error rate is of", labels=labels
    )
    minimum = GaugeMetricFamily(
        "analyzer_minimum_requests",
        "The requests a window must hold for its error rate to be judged",
        labels=labels,
    )
    for state in standings:
        rule, name = state.rule, [state.rule.name]
        alert.add_metric(name, 1.0 if state.on else 0.0)
        window.add_metric(name, rule.window)
        if isinstance(rule, ErrorRateRule):
            ratio.add_metric(name, state.value / state.volume if state.volume else 0.0)
            limit.add_metric(name, rule.threshold / 100)
            volume.add_metric(name, state.volume)
            minimum.add_metric(name, rule.min_requests)
        else:
            average.add_metric(name, level(state))
            threshold.add_metric(name, rule.threshold)
    families = (average, threshold, window, alert, ratio, limit, volume, minimum)
    yield from (family for family in families if family.samples)  # without an error rate, not its four


def metrics_registry(state: LiveState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(state))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
