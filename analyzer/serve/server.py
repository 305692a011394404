"""The HTTP server: the standard library's threading server, one thread per connection.

Why not aiohttp or Starlette: the monitor is a synchronous loop, the traffic is a handful of
pages and a scraper, and the standard library adds no dependency to an air-gapped install;
one thread per event stream is bounded by the hub's client limit. Read-only: GET and HEAD.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import parse_qs, urlsplit

from analyzer.serve.api import Api, BadRequest
from analyzer.serve.events import CLOSED, RETRY_MS, Hub
from analyzer.serve.metrics import CONTENT_TYPE, exposition, metrics_registry
from analyzer.serve.snapshot import json_bytes
from analyzer.serve.state import LiveState

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
# No inline script or style, nothing from elsewhere: log text that got into the page as HTML
# still could not run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COOKIE = "analyzer_token"
TEXT = "text/plain; charset=utf-8"
KEEP_ALIVE = 15.0  # seconds between comments on a quiet event stream (proxies close idle ones)


def static_file(name: str) -> bytes:
    return files("analyzer.serve").joinpath("static", name).read_bytes()


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck connection never holds up the monitor's exit
    block_on_close = False
    # The standard library's 5 drops the connections that come together past the fifth (the
    # pages that reconnect at once when a monitor restarts): each waits a second's SYN resend,
    # measured here 40 streams in 6 s; the system's own bound takes them at once.
    request_queue_size = socket.SOMAXCONN

    def __init__(
        self,
        address: tuple[str, int],
        state: LiveState,
        api: Api,
        hub: Hub,
        token: str | None,
        keep_alive: float = KEEP_ALIVE,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state, self.api, self.hub, self.token = state, api, hub, token
        self.keep_alive = keep_alive
        self.registry = metrics_registry(state)
        self.pages = {path: (static_file(name), kind) for path, (name, kind) in STATIC.items()}
        self.stopping = threading.Event()
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that sends nothing (or reads nothing) for this long is let go
    server_version = "analyzer"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: stderr belongs to the monitor's screen."""

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/healthz":
            reason = self.server.state.health()
            status = HTTPStatus.OK if reason is None else HTTPStatus.SERVICE_UNAVAILABLE
            self.send(status, (reason or "ok").encode() + b"\n", TEXT)
        elif not self.authorized(parts.query):
            self.send(HTTPStatus.UNAUTHORIZED, b"a token is required\n", TEXT)
        elif path in self.server.pages:
            body, kind = self.server.pages[path]
            self.send(HTTPStatus.OK, body, kind, self.token_cookie(parts.query))
        elif path == "/metrics":
            self.send(HTTPStatus.OK, exposition(self.server.registry), CONTENT_TYPE)
        elif path == "/events":
            self.events()
        elif path.startswith("/api/"):
            self.api(path.removeprefix("/api/"), parts.query)
        else:
            self.send(HTTPStatus.NOT_FOUND, b"not found\n", TEXT)

    def authorized(self, query: str) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = []
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given.append(header.removeprefix("Bearer "))
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie", ""))
        except Exception:  # a malformed cookie header is no token
            cookie = SimpleCookie()
        if COOKIE in cookie:
            given.append(cookie[COOKIE].value)
        given.extend(parse_qs(query).get("token", []))
        expected = token.encode()
        # compare_digest on every candidate: the time taken says nothing about the token
        return any([hmac.compare_digest(text.encode(), expected) for text in given])

    def token_cookie(self, query: str) -> list[tuple[str, str]]:
        """A page opened with `?token=` keeps it in a cookie for its fetches and event stream."""
        if self.server.token is None or "token" not in parse_qs(query):
            return []
        return [("Set-Cookie", f"{COOKIE}={self.server.token}; HttpOnly; SameSite=Strict; Path=/")]

    def api(self, route: str, query: str) -> None:
        try:
            body = json_bytes(self.server.api.answer(route, query))
        except KeyError:
            return self.send(
                HTTPStatus.NOT_FOUND, json_bytes({"error": f"no such API: {route[:40]}"}), "application/json"
            )
        except BadRequest as error:
            return self.send(HTTPStatus.BAD_REQUEST, json_bytes({"error": str(error)}), "application/json")
        self.send(HTTPStatus.OK, body, "application/json")

    def headers_common(self, kind: str) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")

    def send(self, status: HTTPStatus, body: bytes, kind: str, extra: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.headers_common(kind)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def events(self) -> None:
        """The event stream: `retry:` first, then every event the monitor publishes."""
        client = self.server.hub.join()
        if client is None:
            return self.send(HTTPStatus.SERVICE_UNAVAILABLE, b"too many event streams\n", TEXT)
        try:
            self.send_response(HTTPStatus.OK)
            self.headers_common("text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(f"retry: {RETRY_MS}\n: connected\n\n".encode())
            self.wfile.flush()
            while not self.server.stopping.is_set():
                frame = client.next(self.server.keep_alive)
                if frame == CLOSED or client.dropped:
                    break
                self.wfile.write(frame if frame is not None else b": keep-alive\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the page went away
        finally:
            self.server.hub.leave(client)


def start(server: Server, name: str = "analyzer-serve") -> Callable[[], None]:
    """Serve on a thread of its own; returns what stops it."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True
    )
    thread.start()

    def stop() -> None:
        server.stopping.set()
        server.hub.close()
        server.shutdown()
        server.server_close()
        thread.join(2)

    return stop
