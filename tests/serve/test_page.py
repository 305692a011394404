"""The live page (analyzer/serve/static) in a real headless Chromium, driven over WebDriver
(plain HTTP and JSON to chromedriver), served by a real monitor process."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.outputs.rows import ALERT_FIELDS
from tests.serve.conftest import Served, append_lines, free_port, wait_for

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver absent")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,800"]  # fmt: skip
ROGUE_FILE = "<img src=x onerror=document.title='pwned'>.log"
ROGUE_PATH = "/<img%20src=x%20onerror=document.title='pwned'>"
ROGUE_AGENT = "<img src=x onerror=document.title='agent'>"
ROGUE_REFERRER = "javascript:document.title='referrer'//<script>x</script>"
PILLS = "return [...document.querySelectorAll('#rules-on .pill')].map((pill) => pill.innerText)"


class Browser:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.driver = subprocess.Popen(
            [str(DRIVER), f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for(lambda: self.call("GET", "/status")["ready"], 10, "chromedriver")
        options = {"binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={tmp / 'chromium'}"]}
        capabilities = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}
        self.session = "/session/" + self.call("POST", "/session", capabilities)["sessionId"]
        self.viewport(1280, 800)

    def viewport(self, width: int, height: int) -> None:
        """The page's own area at `width` x `height` (--window-size counts the window's frame)."""
        sizes = self.run(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]"
        )
        frame_width, frame_height = sizes  # type: ignore[misc]
        rect = {"width": width + frame_width, "height": height + frame_height}
        self.call("POST", self.session + "/window/rect", rect)

    def call(self, method: str, path: str, body: object = None) -> dict:  # type: ignore[type-arg]
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data, {"Content-Type": "application/json"}, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)["value"]

    def run(self, script: str) -> object:
        return self.call("POST", self.session + "/execute/sync", {"script": script, "args": []})

    def text(self, element_id: str) -> str:
        return str(self.run(f"return document.getElementById('{element_id}').innerText"))

    def text_of(self, selector: str) -> str:
        """The text of the first element `selector` finds; empty when none."""
        return str(
            self.run(
                f"const found = document.querySelector('{selector}'); return found ? found.innerText : ''"
            )
        )

    def choose(self, select_id: str, value: str) -> None:
        """Pick `value` in a <select>, as a person would (the page hears a change)."""
        select = f"const s = document.getElementById('{select_id}'); s.value = '{value}'; "
        self.run(select + "s.dispatchEvent(new Event('change'))")

    def screenshot(self) -> bytes:
        return base64.b64decode(str(self.call("GET", self.session + "/screenshot")))

    def close(self) -> None:
        try:
            self.call("DELETE", self.session)
        finally:
            os.kill(self.driver.pid, signal.SIGTERM)
            self.driver.wait(10)


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    opened = Browser(tmp_path)
    yield opened  # type: ignore[misc]
    opened.close()


def earlier_alerts(now: int, pairs: int) -> str:
    """alerts.csv of earlier runs: `pairs` alerts and recoveries, 20 minutes apart, the last an hour ago."""
    rows = [",".join(ALERT_FIELDS)]
    for n in range(2 * pairs):
        second = now - 3600 - 1200 * (2 * pairs - 1 - n)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        kind, hits = ("alert", "6.00") if n % 2 == 0 else ("recovered", "1.00")
        words = "generated an alert" if kind == "alert" else "alert recovered"
        rows.append(
            f"{stamp},{kind},{hits},2,5,High traffic {words} - hits = {hits} earlier,,crossed,,high_traffic"
        )
    return "\n".join(rows) + "\n"


def test_the_page_shows_alerts_live_log_text_as_text_and_pages(
    tmp_path: Path, served: Callable[..., Served], browser: Browser
) -> None:
    options = ("--interval", "1", "--window", "5", "--threshold", "2", "--lateness", "0")
    options += ("--error-rate", "10", "--error-rate-min", "10")  # a second rule, its own badge
    monitor = served(*options, name=ROGUE_FILE, alerts=earlier_alerts(int(time.time()), 12))
    browser.call("POST", browser.session + "/url", {"url": monitor.url + "/"})
    wait_for(lambda: "live" in browser.text("link"), 10, "the event stream")
    wait_for(lambda: browser.text("state") == "OK", 10, "the state, fetched once connected")
    wait_for(lambda: "page 1 of 3 (24 transitions)" in browser.text("page"), 5, "the history, paged")
    browser.run("document.getElementById('next').click()")
    wait_for(lambda: "page 2 of 3" in browser.text("page"), 5, "the second page")
    assert browser.text("alerts").count("earlier") == 10
    browser.choose("period", "3600")
    wait_for(lambda: "page 1 of 1 (0 transitions)" in browser.text("page"), 5, "the last hour: none")

    now = int(time.time())  # 30 in 5 s: above 2 req/s; driven by a hostile path, agent and referrer
    append_lines(monitor.log, [now] * 30, route=ROGUE_PATH + "/x", agent=ROGUE_AGENT, referer=ROGUE_REFERRER)
    append_lines(monitor.log, [now] * 2, route="/robots.txt", status=404, agent="Googlebot/2.1")
    append_lines(monitor.log, [now] * 4, route="/api/x", status=503)  # 4 of 36: 11.11% > 10%
    appended = time.monotonic()
    wait_for(lambda: browser.text("state") == "ALERT", 10, "the alert on the page")
    latency = time.monotonic() - appended
    badge = wait_for(lambda: len(pills := browser.run(PILLS)) == 2 and pills, 5, "both rules' badges")  # type: ignore[arg-type]
    assert badge[0].startswith("high traffic since ") and badge[0].endswith(
        " > 2 req/s"
    )  # the terminal's words
    assert badge[1].startswith("error rate 5xx since ")
    wait_for(lambda: browser.run(PILLS)[1].endswith(" · 5xx 11.11% > 10%"), 5, "the error rate's value")  # type: ignore[index]
    wait_for(lambda: "High traffic generated an alert" in browser.text("alerts"), 5, "the alert row")
    wait_for(
        lambda: browser.text_of('#alerts tr[data-rule="error_rate_5xx"] td.rule') == "error rate 5xx",
        5,
        "its rule",
    )
    print(f"alert on the page {latency:.2f} s after the lines were appended (lateness 0, polls every 1 s)")
    wait_for(lambda: ROGUE_PATH in browser.text("sections"), 5, "the hostile section")
    drivers = wait_for(
        lambda: browser.text_of('#alerts tr[data-rule="high_traffic"] + tr.drivers td:last-child'),
        5,
        "the alert's drivers line",
    )
    assert drivers.startswith(f"driven by {ROGUE_PATH} +30") and f'agent "{ROGUE_AGENT}" +30' in drivers
    wait_for(lambda: ROGUE_AGENT in browser.text("agents"), 5, "the hostile agent, as text")
    assert browser.text_of("#agents tr:has(.tag) td").startswith("bot")  # one row marked: Googlebot's
    assert "Googlebot/2.1" in browser.text_of("#agents tr:has(.tag) td")
    assert ROGUE_REFERRER in browser.text("referrers")
    assert "/robots.txt" in browser.text("paths_4xx")
    assert "no request times" in browser.text("latency")  # a combined log has none
    assert ROGUE_FILE in browser.text("files")
    assert browser.run("return document.title") == "analyzer"  # nothing ran
    assert browser.run("return document.querySelectorAll('img, script:not([src])').length") == 0
    browser.choose("sections-period", "3600")  # the last hour, from sections.csv through the index
    wait_for(lambda: "sections," in browser.text("sections-page"), 5, "the sections of the last hour")
    wait_for(lambda: ROGUE_PATH in browser.text("sections"), 5, "the hostile section, from sections.csv")
    shots = Path(os.environ.get("ANALYZER_SCREENSHOT", tmp_path / "page.png"))
    assert browser.run("return [window.innerWidth, window.innerHeight]") == [1280, 800]
    shots.write_bytes(browser.screenshot())
    browser.run("document.getElementById('agents').scrollIntoView()")
    shots.with_name(shots.stem + "-panels.png").write_bytes(browser.screenshot())
    wait_for(lambda: browser.text("state") == "OK", 15, "the recovery on the page")
    wait_for(lambda: "High traffic alert recovered - hits" in browser.text("alerts"), 5, "the recovery row")
