"""The server in this process, on a free port of 127.0.0.1: routes, headers, the token, slow
clients; and 60 event streams on a real monitor process, whose ticks stay on time."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.serve import events
from analyzer.serve.api import Api
from analyzer.serve.events import Hub
from analyzer.serve.server import CSP, Server, start
from analyzer.serve.state import LiveState
from tests.serve.conftest import T0, Served, append_lines, get, make_report, wait_for

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


def test_metrics_and_the_report_answer_tell_every_rule_over_http(tmp_path: Path) -> None:
    others = (ErrorRateRule(5, 20, min_requests=10), SectionRateRule(1, 20, section="/a"))
    report = make_report(["/a/1", "/b/2"], others=others)
    state = LiveState(rules=(report.rule, *others))
    stop = start(server := Server(("127.0.0.1", 0), state, Api(tmp_path, state), Hub(), None))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        state.set_report({"second": T0}, report, closed=True, top=5)
        status, body = get(url + "/metrics")
        families = {family.name: family for family in text_string_to_metric_families(body.decode())}
        on = {sample.labels["rule"]: sample.value for sample in families["analyzer_alert_on"].samples}
        assert status == 200 and on == {"high_traffic": 1, "error_rate_5xx": 1, "section_rate:/a": 1}
        (ratio,) = families["analyzer_window_error_ratio"].samples
        assert ratio.labels == {"rule": "error_rate_5xx"} and ratio.value == 19 / 57
        answer = json.loads(get(url + "/api/report")[1])
        assert [(rule["rule"], rule["value"], rule["since"]) for rule in answer["rules"]] == [
            ("high_traffic", 2.85, T0 - 17),
            ("error_rate_5xx", 33.333, T0 - 27),
            ("section_rate:/a", 1.4, T0 - 17),
        ]
    finally:
        stop()


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


def test_forty_pages_connecting_at_once_are_all_taken_at_once(running: tuple[str, LiveState, Hub]) -> None:
    """Pages that reconnect together (a monitor restarted) wait for no SYN resent: one dropped
    costs a second, and the standard library's backlog of 5 dropped most of forty."""
    url, _, _ = running
    port = int(url.rpartition(":")[2])
    started = time.monotonic()
    connected = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
    took = time.monotonic() - started
    for sock in connected:
        sock.close()
    assert took < 1, f"40 connections took {took:.2f} s"


def test_a_client_that_stops_reading_is_dropped_and_publish_never_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 4)
    served = contextlib.contextmanager(serve)(tmp_path)
    with served as (url, _, hub), open_stream(url) as stuck, open_stream(url) as reader:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        read_events(reader, b": connected")
        wait_for(lambda: len(hub) == 2, 5, "two streams")
        frame = {"pad": "x" * 200_000}  # the socket buffers fill at once
        started = time.monotonic()
        for _ in range(40):
            hub.publish("report", frame)
            if len(hub) < 2:
                break
        assert time.monotonic() - started < 2  # never waited for a socket
        wait_for(lambda: len(hub) <= 1, 5, "the stuck client dropped")


def stream_readers(sockets: list[socket.socket], stop: threading.Event, reports: list[int]) -> None:
    """Read every socket as it has data, counting `event: report` frames per socket."""
    with selectors.DefaultSelector() as chosen:
        for number, sock in enumerate(sockets):
            sock.setblocking(False)
            chosen.register(sock, selectors.EVENT_READ, number)
        tails = [b""] * len(sockets)
        while not stop.is_set():
            for key, _ in chosen.select(0.2):
                try:
                    data = key.fileobj.recv(1 << 16)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                seen = tails[key.data] + data
                reports[key.data] += seen.count(b"event: report\n")
                tails[key.data] = seen[-16:].rpartition(b"\n")[2]


def test_sixty_event_streams_some_never_reading_do_not_slow_the_ticks(
    tmp_path: Path, served: Callable[..., Served]
) -> None:
    # --interval 2: the monitor polls a second after the last poll's work, so at --interval 1
    # its drift alone makes an overrun now and then, clients or none; at 2 one is a tick that
    # came over a second late.
    monitor = served("--interval", "2", "--window", "6", "--lateness", "0")
    # The first lines a monitor reads cost it a slow tick (its parser warms up), clients or
    # none: read some before the clients come.
    append_lines(monitor.log, [int(time.time())] * 5)
    wait_for(lambda: counted(monitor.out / "stats.csv") == 5, 10, "the first lines counted")
    time.sleep(1)
    readers = [open_stream(monitor.url) for _ in range(40)]
    stuck = []
    for _ in range(20):  # never read a byte, with a small buffer: the server's writes block
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", monitor.port))
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        stuck.append(sock)
    for sock in readers:
        read_events(sock, b": connected")
    stop, reports = threading.Event(), [0] * len(readers)
    reading = threading.Thread(target=stream_readers, args=(readers, stop, reports), daemon=True)
    reading.start()
    try:
        began = int(time.time()) + 1
        deadline = time.monotonic() + 7
        while time.monotonic() < deadline:  # a request every 20 ms, as they come
            append_lines(monitor.log, [int(time.time())] * 5)
            time.sleep(0.02)
        ended = int(time.time()) - 1
        assert get(monitor.url + "/healthz")[0] == 200
    finally:
        stop.set()
        reading.join(5)
        for sock in readers + stuck:
            sock.close()
    with (monitor.out / "stats.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if began <= epoch_of(row["time"]) <= ended]
    seconds = [epoch_of(row["time"]) for row in rows]
    assert len(rows) >= 3 and {b - a for a, b in itertools.pairwise(seconds)} == {2}  # every interval
    assert [row["overruns"] for row in rows] == ["0"] * len(rows)
    assert min(reports) >= len(rows) - 2  # every reading page heard (nearly) every report


def counted(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(int(row["requests"]) for row in csv.DictReader(handle))


def epoch_of(text: str) -> int:
    from analyzer.serve.csvfiles import epoch

    return epoch(text.replace("Z", "+00:00"))
