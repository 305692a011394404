"""Real receivers on 127.0.0.1 for the delivery tests: an HTTP server of the tests' own (that
answers, fails, or hangs as told) and Debian's Alertmanager, each started by the test and
stopped by it (the Alertmanager by its pid)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ALERTMANAGER = shutil.which("prometheus-alertmanager") or (
    "/usr/bin/prometheus-alertmanager" if os.path.exists("/usr/bin/prometheus-alertmanager") else None
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Receiver(ThreadingHTTPServer):
    """Records every POST body; `mode`: `ok` (200), `fail` (500) or `hang` (answers nothing
    until `release` is set)."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.mode = "ok"
        self.bodies: list[Any] = []
        self.headers_seen: list[dict[str, str]] = []
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.server.mode == "hang":
            self.server.release.wait(30)
            return
        if self.server.mode == "fail":
            self.send_response(500)
            self.end_headers()
            return
        self.server.bodies.append(json.loads(data))
        self.server.headers_seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    server = Receiver(port)
    try:
        yield server
    finally:
        server.stop()


CONFIG = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'


@contextmanager
def alertmanager(root: Path) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 (no cluster), its URL; stopped by its pid."""
    assert ALERTMANAGER is not None
    port = free_port()
    (root / "am.yml").write_text(CONFIG)
    log = (root / "am.log").open("wb")
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={root / 'am.yml'}",
            f"--storage.path={root / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, (root / "am.log").read_text()
            assert time.monotonic() < deadline, "Alertmanager did not get ready"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def active_alerts(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as answer:
        return list(json.load(answer))


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
