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

from analyzer.serve.metrics import exposition, metrics_registry
from analyzer.serve.state import LiveState
from tests.serve.conftest import HOSTILE_PATH, Served, append_lines, free_port, get, make_report, wait_for


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
