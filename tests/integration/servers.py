"""A real nginx on 127.0.0.1, rotated by real logrotate, and a keep-alive client: for the tests
that watch the monitor the way an operator runs it. Every process here is started by the test
and stopped by its pid; traffic goes to loopback only."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
LOGROTATE = shutil.which("logrotate") or (
    "/usr/sbin/logrotate" if os.path.exists("/usr/sbin/logrotate") else None
)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


NGINX_CONF = """
worker_processes 1;
{user}
pid {root}/nginx.pid;
error_log {root}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log {logs}/access.log combined;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""

ROTATE_CONF = """
{logs}/access.log {{
    rotate 50
    nocompress
    missingok
    ifempty
{how}
}}
"""
CREATE = """    create 0644
    postrotate
        kill -USR1 $(cat {root}/nginx.pid)
    endscript"""


@dataclass
class Nginx:
    """An nginx of the test's own, its log in `logs`; `reopens`: whether it can reopen its log.

    To keep it from reopening after a rotation as servers really fail to (its worker may not
    open the new file), the log directory is left searchable by root only: the master opens
    the first log and hands it to the worker at start, but the worker, running as nobody,
    cannot open the new one on USR1 and keeps writing the renamed file. Not running as root,
    the same happens by a rotation without the `postrotate` that sends USR1.
    """

    reopens: bool = True
    copytruncate: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="analyzer-nginx-")))
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log(self) -> Path:
        return self.logs / "access.log"

    def start(self) -> None:
        assert NGINX is not None
        self.logs.mkdir()
        (self.root / "tmp").mkdir()
        os.chmod(self.root, 0o755)
        os.chmod(self.logs, 0o755 if self.reopens or not IS_ROOT else 0o700)
        self.port = free_port()
        user = "user nobody nogroup;" if IS_ROOT else ""
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, root=self.root, logs=self.logs, port=self.port))
        how = "    copytruncate" if self.copytruncate else CREATE.format(root=self.root)
        if not self.copytruncate and not self.reopens and not IS_ROOT:
            how = "    create 0644"  # no postrotate: nothing tells the server to reopen
        rotate_conf = self.root / "logrotate.conf"
        rotate_conf.write_text(ROTATE_CONF.format(logs=self.logs, how=how))
        os.chmod(rotate_conf, 0o644)  # logrotate refuses a config others may write
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.root), "-c", str(conf), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "nginx.stderr").open("wb"),
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    why = (self.root / "nginx.stderr").read_text()
                    raise RuntimeError(f"nginx did not start: {why}") from None
                time.sleep(0.05)

    def rotate(self) -> None:
        """One forced run of real logrotate over the log."""
        assert LOGROTATE is not None
        state = self.root / "logrotate.state"
        subprocess.run(
            [LOGROTATE, "-f", "-s", str(state), str(self.root / "logrotate.conf")],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def lines_on_disk(self) -> int:
        """Complete lines in the log and every rotated generation."""
        return sum(path.read_bytes().count(b"\n") for path in self.logs.glob("access.log*"))

    def stop(self) -> None:
        """Stop nginx gracefully (its workers finish and write their last lines); files stay."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Client(threading.Thread):
    """Keep-alive requests to 127.0.0.1 at `rate` a second, spread evenly, until stopped."""

    def __init__(self, port: int, rate: float, limit: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.rate = rate
        self.limit = limit  # at most this many requests, whatever happens
        self.sent = 0
        self.failed = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        start = time.monotonic()
        while not self.stopped.is_set() and self.sent < self.limit:
            due = start + self.sent / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                connection.request("GET", f"/s{self.sent % 5}/page?n={self.sent}")
                connection.getresponse().read()
                self.sent += 1
            except (OSError, http.client.HTTPException):
                self.failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                if self.failed > 100:
                    return
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
