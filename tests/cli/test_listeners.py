"""The listener options are on the monitor and on replay, and make exactly what they ask for:
none by default, a delivery courier for a webhook, a server for --serve (its port bound at once)."""

from __future__ import annotations

import socket
from pathlib import Path

from analyzer.cli.listeners import make_listeners
from analyzer.cli.monitor import monitor_parser, monitor_settings
from analyzer.cli.options import Environment
from analyzer.cli.replay import replay_parser


def listeners_for(argv: list[str]) -> list[object]:
    args = monitor_parser().parse_args(argv)
    env = Environment()
    return list(make_listeners(args, monitor_settings(args, env), env))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_no_option_no_listener(tmp_path: Path) -> None:
    assert listeners_for(["access.log", "--out", str(tmp_path)]) == []


def test_each_option_makes_its_listener_and_replay_takes_them_too(tmp_path: Path) -> None:
    port = free_port()
    argv = [
        "access.log",
        "--out",
        str(tmp_path),
        "--webhook",
        "http://127.0.0.1:9/hook",
        "--serve",
        str(port),
    ]
    made = listeners_for(argv)
    try:
        assert len(made) == 2
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the page's port is bound before the monitor starts
    finally:
        for listener in made:
            listener.close()  # type: ignore[attr-defined]
    replay = replay_parser().parse_args(["old.log", "--webhook", "http://127.0.0.1:9/hook", "--serve", "0"])
    assert replay.webhook and replay.serve
