from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from analyzer.core.alerts import RECOVERED, Transition
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.serve.metrics import exposition, metrics_registry
from analyzer.serve.state import LiveState
from tests.serve.conftest import HOSTILE_PATH, T0, Served, append_lines, free_port, get, make_report, wait_for


def samples(state: LiveState) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = exposition(metrics_registry(state)).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_exposition_parses_back_with_bounded_section_labels() -> None:
    state = LiveState()
    report = make_report([f"/s{n}/x" for n in range(30)] + [HOSTILE_PATH, '/"quoted\\'])
    state.set_report({}, report, closed=True, top=5)
    found = samples(state)
    by_class = [v for (n, _), v in found.items() if n == "analyzer_requests_total"]
    assert len(by_class) == 5 and sum(by_class) == report.interval.requests
    assert found[("analyzer_alert_on", (("rule", "high_traffic"),))] in (0, 1)
    sections = [labels for name, labels in found if name == "analyzer_window_section_requests"]
    assert len(sections) == 6 and (("section", "(other)"),) in sections
    assert (
        sum(v for (n, _), v in found.items() if n == "analyzer_window_section_requests")
        == report.window.requests
    )


def test_each_rule_has_its_own_series_the_high_traffic_ones_unchanged() -> None:
    others = (ErrorRateRule(5, 20, min_requests=10), SectionRateRule(1, 20, section="/a"))
    report = make_report(["/a/1", "/b/2"], others=others)  # 57 in the window, 19 of them 5xx, 28 /a
    state = LiveState(rules=(report.rule, *others))
    before = samples(state)  # before any report: each rule's threshold, no alert
    assert before[("analyzer_threshold_error_ratio", (("rule", "error_rate_5xx"),))] == 0.05
    assert before[("analyzer_alert_on", (("rule", "section_rate:/a"),))] == 0
    state.set_report({}, report, closed=True, top=5)
    found = samples(state)
    rules = {labels[0][1] for name, labels in found if name == "analyzer_alert_on"}
    assert rules == {"high_traffic", "error_rate_5xx", "section_rate:/a"}
    high = (("rule", "high_traffic"),)
    assert found[("analyzer_window_average_requests_per_second", high)] == 57 / 20
    assert found[("analyzer_threshold_requests_per_second", high)] == 2
    assert found[("analyzer_window_seconds", high)] == 20 and found[("analyzer_alert_on", high)] == 1
    section = (("rule", "section_rate:/a"),)
    assert found[("analyzer_window_average_requests_per_second", section)] == 28 / 20
    assert found[("analyzer_threshold_requests_per_second", section)] == 1
    errors = (("rule", "error_rate_5xx"),)
    assert found[("analyzer_window_error_ratio", errors)] == 19 / 57
    assert found[("analyzer_window_requests", errors)] == 57
    assert found[("analyzer_minimum_requests", errors)] == 10
    assert found[("analyzer_alert_on", errors)] == 1
    assert ("analyzer_window_average_requests_per_second", errors) not in found  # a ratio is no req/s
    state.set_transition(Transition(T0 + 1, RECOVERED, 0, others[0], volume=57))
    assert samples(state)[("analyzer_alert_on", errors)] == 0  # at once, not at the next report
    size = len(exposition(metrics_registry(state)))
    print(f"/metrics with 3 rules: {size} bytes")
    assert size < 6000


def test_without_an_error_rate_its_families_are_not_exposed() -> None:
    state = LiveState()
    report = make_report(["/a/1"])
    state.set_report({}, report, closed=True, top=5)
    text = exposition(metrics_registry(state)).decode()
    assert "error_ratio" not in text and "analyzer_minimum_requests" not in text
    assert 'analyzer_alert_on{rule="high_traffic"} 1.0' in text


PROMETHEUS = shutil.which("prometheus")


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus (Debian's package) absent")
def test_a_real_prometheus_scrapes_the_monitor(tmp_path: Path, served: Callable[..., Served]) -> None:
    monitor = served("--interval", "1", "--window", "5", "--threshold", "2", "--lateness", "0")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: analyzer\n    static_configs: [{{targets: ['127.0.0.1:{monitor.port}']}}]\n"
    )
    prometheus = subprocess.Popen(
        [str(PROMETHEUS), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("wb"),
    )  # fmt: skip
    try:

        def query(expr: str) -> list[dict[str, object]]:
            status, body = get(
                f"http://127.0.0.1:{port}/api/v1/query?query=" + urllib.parse.quote(expr), timeout=2
            )
            return json.loads(body)["data"]["result"] if status == 200 else []

        wait_for(lambda: query('up{job="analyzer"} == 1'), 20, "Prometheus scraping the monitor")
        now = int(time.time())
        append_lines(monitor.log, [now] * 40)  # 40 requests in 5 s: above 2 req/s
        burst = wait_for(lambda: query("analyzer_alert_on == 1"), 15, "the alert gauge at 1")
        total = wait_for(lambda: query("sum(analyzer_requests_total) == 40"), 15, "the counter at 40")
        print("Prometheus:", json.dumps(burst), json.dumps(total))
        size = len(get(monitor.url + "/metrics")[1])
        print(f"/metrics: {size} bytes")
        assert size < 5000
    finally:
        os.kill(prometheus.pid, signal.SIGTERM)
        prometheus.wait(10)
