"""--serve's options: the address, the token, and a port that cannot be had (exit 2 at once)."""

from __future__ import annotations

import argparse
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli.main import main
from analyzer.cli.options import Environment, UsageError
from analyzer.cli.serve import TOKEN_ENV, add_serve_options, is_loopback, parse_address, serve_listeners
from analyzer.core.alerts import AlertRule
from analyzer.live.settings import Settings
from analyzer.ui.display import Listener

REPOSITORY = Path(__file__).resolve().parents[2]


def options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_options(parser)
    return parser.parse_args(list(argv))


def listeners(tmp_path: Path, *argv: str) -> list[Listener]:
    settings = Settings(paths=[], rule=AlertRule(10), out=tmp_path)
    return serve_listeners(options(*argv), settings, Environment())


def test_addresses() -> None:
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert parse_address("[::1]:9464") == ("::1", 9464)
    for bad in ("http", "70000", ":80", "host:"):
        with pytest.raises(UsageError, match="expected \\[HOST:\\]PORT"):
            parse_address(bad)
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_no_serve_no_listener(tmp_path: Path) -> None:
    assert listeners(tmp_path) == []


def test_off_loopback_without_a_token_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(UsageError, match="off loopback a token is required"):
        listeners(tmp_path, "--serve", "0.0.0.0:1")


def test_a_token_is_checked_and_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "short secret")
    with pytest.raises(UsageError) as caught:
        listeners(tmp_path, "--serve", "0.0.0.0:1")
    assert "secret" not in str(caught.value) and TOKEN_ENV in str(caught.value)
    token = tmp_path / "token"
    token.write_text("a-token-of-enough-length-42\n")
    port = free_port()
    [listener] = listeners(tmp_path, "--serve", f"127.0.0.1:{port}", "--serve-token-file", str(token))
    listener.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_port_taken_is_one_line_before_the_monitor_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            UsageError, match=f"--serve 127.0.0.1:{port}: cannot listen there: Address already in use"
        ):
            listeners(tmp_path, "--serve", f"127.0.0.1:{port}")


def test_an_address_not_of_this_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot listen there"):
        listeners(tmp_path, "--serve", "192.0.2.1:9464", "--serve-token", "a-token-of-enough-length-42")


def test_the_monitor_exits_2_on_a_port_taken(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), is_terminal=lambda _: False)
        assert main([str(log), "--out", str(tmp_path / "out"), "--serve", str(port)], env) == 2
        assert env.stderr.getvalue().count("\n") == 1  # type: ignore[attr-defined]
        assert "cannot listen there" in env.stderr.getvalue()  # type: ignore[attr-defined]


def test_replay_serves_its_reports_while_it_plays(tmp_path: Path) -> None:
    from tests.conftest import clf_line
    from tests.serve.conftest import get, wait_for

    log = tmp_path / "old.log"
    start = 1_800_000_000
    log.write_bytes(
        b"".join(clf_line(start + second, "/pages/a", 200) for second in range(120) for _ in range(3))
    )
    port = free_port()
    argv = [sys.executable, "-m", "analyzer", "replay", str(log), "--plain", "--speed", "20"]
    argv += ["--out", str(tmp_path / "out"), "--serve", str(port)]
    url = f"http://127.0.0.1:{port}"
    with subprocess.Popen(argv, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as replay:
        try:
            report = wait_for(
                lambda: json.loads(get(url + "/api/report", timeout=1)[1])["report"], 20, "a report"
            )
            assert report and get(url + "/healthz")[0] == 200
            metrics = wait_for(
                lambda: b"analyzer_requests_total" in get(url + "/metrics")[1] and get(url + "/metrics")[1],
                10,
                "metrics",
            )
            assert b'analyzer_requests_total{status_class="2xx"}' in metrics
            with socket.create_connection(("127.0.0.1", port), timeout=10) as stream:
                stream.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
                heard = b""
                while b"event: report" not in heard:
                    chunk = stream.recv(1 << 16)
                    assert chunk, heard
                    heard += chunk
            assert replay.wait(timeout=30) == 0, replay.stderr.read() if replay.stderr else ""
        finally:
            if replay.poll() is None:
                replay.kill()
                replay.wait()
