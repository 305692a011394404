"""A receiver of transitions, and the HTTP one: `--webhook URL`.

Every receiver sends one payload synchronously, bounded in time, and either returns what it
has to say (`HTTP 200`) or raises `DeliveryError` with a short reason (`connection refused`,
`HTTP 500 Internal Server Error`, `timed out after 10 s`): no URL in it, no traceback. The
courier runs each on a thread of its own.

HTTP goes through urllib: `http_proxy`/`https_proxy`/`no_proxy` are honoured, HTTPS checks
certificates, and a `user:password@` in the URL becomes a Basic `Authorization` header (it is
never printed: receivers are named by scheme, host and port only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import ssl
import urllib.error
import urllib.request
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from analyzer.deliver.payload import Payload, shown_url

HTTP_TIMEOUT = 10.0  # seconds a receiver has to answer, connection included
MAX_ANSWER = 64 << 10  # bytes of an answer read (and dropped) before closing


class DeliveryError(Exception):
    """A delivery failed: its reason, one short line without secrets."""


class Target(Protocol):
    key: str  # stable across runs (a hash of what was given): the outbox's name for it
    name: str  # safe to print

    def send(self, body: Payload) -> str:
        """Deliver `body`; what to say about it, or DeliveryError."""

    def abort(self) -> None:
        """Stop what is in flight (the monitor is stopping)."""


def target_key(kind: str, given: str) -> str:
    return f"{kind}:{hashlib.sha256(given.encode()).hexdigest()[:12]}"


def check_http_url(url: str) -> str | None:
    """Why `url` cannot be a receiver's (None: it can), in words that do not repeat it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "not an http:// or https:// URL"
    if not parts.hostname:
        return "a URL without a host"
    return None


# The short reasons of the usual failures, by the exception's type (most specific first).
REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host not found"),
    (ssl.SSLError, "TLS handshake failed"),
)


def _reason(error: BaseException, timeout: float) -> str:
    """The short reason of a failed request."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}".strip()
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, TimeoutError | socket.timeout):
        return f"timed out after {timeout:g} s"
    named = next((text for kind, text in REASONS if isinstance(cause, kind)), None)
    if named is None and isinstance(cause, OSError) and cause.strerror:
        named = cause.strerror.lower()
    return named or (cause[:80] if isinstance(cause, str) else type(cause).__name__)


def post_json(url: str, document: object, timeout: float = HTTP_TIMEOUT) -> int:
    """POST `document` as JSON; the status of a 2xx answer, else DeliveryError."""
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json", "User-Agent": "analyzer"}
    if parts.username is not None:  # urllib would take user:password@ for part of the host
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
        netloc = parts.hostname or ""
        netloc = f"[{netloc}]" if ":" in netloc else netloc
        parts = parts._replace(netloc=netloc + (f":{parts.port}" if parts.port else ""))
    data = json.dumps(document, separators=(",", ":")).encode()
    request = urllib.request.Request(urlunsplit(parts), data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(MAX_ANSWER)
            return int(answer.status)
    except (urllib.error.URLError, OSError, ValueError) as error:  # HTTPError is a URLError
        raise DeliveryError(_reason(error, timeout)) from None
    except Exception as error:  # http.client's own (a malformed answer): still one line
        raise DeliveryError(f"bad answer ({type(error).__name__})") from None


class Webhook:
    """`--webhook URL`: the payload as JSON, with `text` holding the message, as the incoming
    webhooks of Slack, Mattermost, Rocket.Chat (and Discord's `/slack` endpoint) show it."""

    def __init__(self, url: str, number: int = 1, timeout: float = HTTP_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self.key = target_key("webhook", url)
        self.name = f"webhook {shown_url(url)}" + (f" (#{number})" if number > 1 else "")

    def send(self, body: Payload) -> str:
        status = post_json(self.url, {"text": body.get("message", ""), **body}, self.timeout)
        return f"HTTP {status}"

    def abort(self) -> None:
        """Nothing to stop: a request in flight ends with the process, within its timeout."""
