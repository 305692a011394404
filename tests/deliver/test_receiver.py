"""The webhook receiver against a real HTTP server on 127.0.0.1: answers, failures, timeouts."""

from __future__ import annotations

import base64
import time

import pytest

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.deliver.payload import payload
from analyzer.deliver.receiver import DeliveryError, Webhook, check_http_url, post_json
from tests.deliver.receivers import free_port, receiver

BODY = payload(Transition(1_795_835_405, ALERT, 1300, AlertRule(10, 120)))


def test_the_message_is_in_text_beside_every_field() -> None:
    with receiver() as server:
        assert Webhook(server.url + "/hook?token=s3cret").send(BODY) == "HTTP 200"
    [got] = server.bodies
    assert got["text"] == BODY["message"] and got["id"] == BODY["id"] and got["hits"] == 10.83
    assert server.headers_seen[0]["Content-Type"] == "application/json"


def test_userinfo_is_sent_as_basic_auth_and_never_shown() -> None:
    with receiver() as server:
        url = server.url.replace("http://", "http://alice:pa%3Ass@") + "/hook"
        hook = Webhook(url, number=2)
        hook.send(BODY)
    assert server.headers_seen[0]["Authorization"] == "Basic " + base64.b64encode(b"alice:pa:ss").decode()
    assert hook.name == f"webhook {server.url} (#2)"
    assert "alice" not in hook.name and "hook" not in hook.name.removeprefix("webhook")


def test_failures_are_short_reasons_without_the_url() -> None:
    with receiver() as server:
        server.mode = "fail"
        with pytest.raises(DeliveryError, match=r"^HTTP 500 Internal Server Error$"):
            post_json(server.url + "/secret", BODY)
        server.mode = "hang"
        started = time.monotonic()
        with pytest.raises(DeliveryError, match=r"^timed out after 0.3 s$"):
            post_json(server.url + "/secret", BODY, timeout=0.3)
        assert time.monotonic() - started < 2
    with pytest.raises(DeliveryError, match=r"^connection refused$"):
        post_json(f"http://127.0.0.1:{free_port()}/secret", BODY)


def test_urls_are_checked_in_words_that_do_not_repeat_them() -> None:
    assert check_http_url("https://hooks.slack.com/services/T/B/X") is None
    assert check_http_url("ftp://host/x") == "not an http:// or https:// URL"
    assert check_http_url("http:///path") == "a URL without a host"
    assert check_http_url("http://host:99999999/") == "not a URL"
