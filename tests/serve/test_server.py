"""The server in this process, on a free port of 127.0.0.1: routes, headers, the token."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.serve.api import Api
from analyzer.serve.events import Hub
from analyzer.serve.server import CSP, Server, start
from analyzer.serve.state import LiveState
from tests.serve.conftest import get, make_report

TOKEN = "s3cret-token-0123456789"


def serve(tmp_path: Path, token: str | None = None) -> Iterator[tuple[str, LiveState, Hub]]:
    state, hub = LiveState(), Hub(max_clients=3)
    server = Server(("127.0.0.1", 0), state, Api(tmp_path, state), hub, token, keep_alive=0.2)
    stop = start(server)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state, hub
    finally:
        stop()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, LiveState, Hub]]:
    yield from serve(tmp_path)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[str, LiveState, Hub]]:
    yield from serve(tmp_path, TOKEN)


def test_every_answer_has_the_security_headers(running: tuple[str, LiveState, Hub]) -> None:
    url, _, _ = running
    for path in ("/", "/app.js", "/api/report", "/metrics", "/nothing"):
        import urllib.request

        try:
            answer = urllib.request.urlopen(url + path, timeout=5)
        except urllib.error.HTTPError as error:
            answer = error
        assert answer.headers["Content-Security-Policy"] == CSP
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP


def test_the_page_loads_its_script_as_a_file(running: tuple[str, LiveState, Hub]) -> None:
    url, _, _ = running
    status, page = get(url + "/")
    assert status == 200 and b'<script src="app.js" defer></script>' in page
    assert b"<script>" not in page and b"style=" not in page


def test_api_errors_are_400_and_404_never_500(running: tuple[str, LiveState, Hub]) -> None:
    url, _, _ = running
    assert get(url + "/api/alerts?page=0")[0] == 400
    assert get(url + "/api/stats?since=yesterday")[0] == 400
    assert get(url + "/api/nothing")[0] == 404
    status, body = get(url + "/api/alerts?since=2027-01-15T08:00:00Z&per_page=5")
    assert status == 200 and json.loads(body)["total"] == 0


def test_healthz_tells_why_it_is_unhealthy(running: tuple[str, LiveState, Hub]) -> None:
    url, state, _ = running
    assert get(url + "/healthz") == (503, b"starting: no poll yet\n")
    report = make_report(["/a/1"])
    state.set_report({}, report, closed=True, top=10)
    assert get(url + "/healthz") == (200, b"ok\n")


def test_off_loopback_the_token_is_asked_on_every_endpoint_but_healthz(
    guarded: tuple[str, LiveState, Hub],
) -> None:
    url, _, _ = guarded
    for path in ("/", "/api/report", "/metrics", "/events"):
        assert get(url + path)[0] == 401
        assert get(url + path, {"Authorization": "Bearer wrong-token-0123456789"})[0] == 401
    assert get(url + "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    assert get(url + "/api/report", {"Cookie": f"analyzer_token={TOKEN}"})[0] == 200
    assert get(url + "/healthz")[0] == 503  # no token needed: a load balancer asks it


def read_events(sock: socket.socket, until: bytes, seconds: float = 5) -> bytes:
    sock.settimeout(seconds)
    data = b""
    while until not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def open_stream(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


def test_the_event_stream_says_retry_then_every_event(running: tuple[str, LiveState, Hub]) -> None:
    url, _, hub = running
    with open_stream(url) as sock:
        head = read_events(sock, b": connected\n\n")
        assert b"text/event-stream" in head and b"retry: 2000\n" in head
        deadline = time.monotonic() + 5
        while not len(hub) and time.monotonic() < deadline:
            time.sleep(0.01)
        hub.publish("transition", {"message": "</script>"})
        assert b'event: transition\ndata: {"message":"</script>"}' in read_events(sock, b"</script>")
        assert b": keep-alive" in read_events(sock, b": keep-alive")


def test_event_streams_are_bounded(running: tuple[str, LiveState, Hub]) -> None:
    url, _, _ = running
    streams = [open_stream(url) for _ in range(3)]
    try:
        for sock in streams:
            read_events(sock, b": connected")
        assert get(url + "/events")[0] == 503
    finally:
        for sock in streams:
            sock.close()
