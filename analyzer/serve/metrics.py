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

from analyzer.serve.snapshot import RULE
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
        labels = ["rule"]
        average = GaugeMetricFamily(
            "analyzer_window_average_requests_per_second",
            "Requests per second over the window",
            labels=labels,
        )
        average.add_metric([RULE], gauges.average)
        yield average
        threshold = GaugeMetricFamily(
            "analyzer_threshold_requests_per_second", "The alert's threshold", labels=labels
        )
        threshold.add_metric([RULE], gauges.threshold)
        yield threshold
        window = GaugeMetricFamily("analyzer_window_seconds", "The window averaged", labels=labels)
        window.add_metric([RULE], gauges.window)
        yield window
        alert = GaugeMetricFamily("analyzer_alert_on", "1 while the rule's alert is on", labels=labels)
        alert.add_metric([RULE], 1.0 if gauges.alert_on else 0.0)
        yield alert
        sections = GaugeMetricFamily(
            "analyzer_window_section_requests",
            "Requests in the window per section: the top N and `(other)`, so cardinality stays bounded",
            labels=["section"],
        )
        for name, hits in gauges.sections:
            sections.add_metric([name], hits)
        yield sections


def metrics_registry(state: LiveState) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(state))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
