"""Delivery from the command line: the options, a monitor whose receiver hangs, and a real
monitor process killed with SIGKILL while its receiver is down, then restarted."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from analyzer.cli.main import main
from analyzer.deliver.outbox import OUTBOX_NAME, Outbox
from tests.cli.conftest import T0, FakeTime, analyzer_process, assert_usage_error, environment, kinds
from tests.conftest import lines_at
from tests.deliver.receivers import ALERTMANAGER, active_alerts, alertmanager, free_port, receiver, wait_for

BURST = ["--threshold", "0.1", "--window", "10", "--interval", "5", "--lateness", "1", "--plain"]


def test_a_bad_url_is_one_line_that_does_not_repeat_it(log: Path, tmp_path: Path) -> None:
    err = assert_usage_error(
        [str(log), "--out", str(tmp_path / "o"), "--webhook", "ftp://user:s3cret@host/x"], "--webhook (#1)"
    )
    assert "s3cret" not in err and "not an http:// or https:// URL" in err
    assert_usage_error([str(log), "--out", str(tmp_path / "o"), "--notify-command", " "], "an empty command")


@pytest.mark.parametrize("command", [[], ["replay"]])
def test_the_options_are_in_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    env = environment()
    assert main([*command, "--help"], env) == 0
    text = capsys.readouterr().out + env.stdout.getvalue()
    for option in ("--notify-command CMD", "--webhook URL", "--alertmanager URL", "delivery of alerts"):
        assert option in text


def test_the_ticks_never_wait_for_a_hanging_receiver_and_a_restart_delivers(
    log: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    poll_times: list[float] = []
    last = [time.monotonic()]

    def timed(_: float) -> None:  # between two sleeps of the monitor: one poll, in real time
        now = time.monotonic()
        poll_times.append(now - last[0])
        last[0] = now

    port = free_port()
    with receiver(port) as hanging:
        hanging.mode = "hang"
        env = environment(clock=FakeTime(T0, 40, on_sleep=timed))
        assert main([str(log), "--out", str(out), *BURST, "--webhook", hanging.url + "/hook"], env) == 0
    assert kinds(out / "alerts.csv") == ["alert", "recovered"]
    slowest = max(poll_times[1:])  # the first includes the start
    assert slowest < 0.5, f"a poll took {slowest:.3f} s while the receiver hung"
    print(f"polls while the receiver hung: {len(poll_times) - 1}, slowest {slowest * 1000:.1f} ms")
    pending = Outbox(out / OUTBOX_NAME)
    ids = [entry.id for entry in pending.entries.values()]
    pending.close()
    assert len(ids) == 2
    # The next start, the receiver working: both delivered, the same ids; history not re-sent.
    with receiver(port) as working:
        env = environment(clock=FakeTime(T0 + 60, 3))
        assert main([str(log), "--out", str(out), *BURST, "--webhook", working.url + "/hook"], env) == 0
        assert [body["id"] for body in working.bodies] == ids
        assert working.bodies[0]["text"].startswith("High traffic")
        assert "delivered" in env.stdout.getvalue()
        env = environment(clock=FakeTime(T0 + 120, 3))
        assert main([str(log), "--out", str(out), *BURST, "--webhook", working.url + "/hook"], env) == 0
        assert len(working.bodies) == 2


def test_a_monitor_killed_while_its_receiver_is_down_delivers_after_a_restart(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    now = int(time.time())
    log.write_bytes(lines_at([second for second in range(now - 8, now) for _ in range(5)]))
    out, port = tmp_path / "out", free_port()
    record = tmp_path / "record.jsonl"
    args = [str(log), "--out", str(out), *BURST, "--webhook", f"http://127.0.0.1:{port}/hook",
            "--notify-command", f"cat >> {record}"]  # fmt: skip
    first = analyzer_process(args, tmp_path, tmp_path / "out1", tmp_path / "err1")
    try:
        wait_for(lambda: "retrying (1): connection refused" in _text(tmp_path / "out1"), 20, "a failed try")
        # The command's delivery on record (else a restart may rightly run it again: at least once).
        wait_for(lambda: b'"outcome":"delivered"' in _bytes(out / OUTBOX_NAME), 5, "the command done")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    alert = json.loads(record.read_text().splitlines()[0])
    assert alert["kind"] == "alert"
    with receiver(port) as server:
        second = analyzer_process(args, tmp_path, tmp_path / "out2", tmp_path / "err2")
        try:
            wait_for(lambda: len(server.bodies) >= 1, 20, "the delivery after the restart")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
    assert server.bodies[0]["id"] == alert["id"] and server.bodies[0]["kind"] == "alert"
    assert second.returncode == 0, _text(tmp_path / "err2")
    assert (tmp_path / "err1").read_text() == "" and "Traceback" not in _text(tmp_path / "err2")
    # The command had it already: not run again for the same transition (it was delivered).
    assert [json.loads(line)["id"] for line in record.read_text().splitlines()].count(alert["id"]) == 1
    assert oct(os.stat(out / OUTBOX_NAME).st_mode & 0o777) in ("0o600", "0o644")


def _bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.skipif(ALERTMANAGER is None, reason="prometheus-alertmanager is not installed")
def test_a_monitor_fires_and_resolves_an_alert_in_a_real_alertmanager(tmp_path: Path) -> None:
    # The log 30 s behind real time: a recovery's endsAt is then in the past for Alertmanager
    # (resolved at once), an alert's lease (the monitor's clock + 4 min) in its future.
    start = int(time.time()) - 30
    log = tmp_path / "access.log"
    log.write_bytes(lines_at(range(start - 5, start)))
    out = tmp_path / "out"
    seen: dict[str, float] = {}  # kind -> seconds from its row in alerts.csv to Alertmanager's answer
    firing: list[dict] = []

    with alertmanager(tmp_path) as url:

        def shown(kind: str) -> bool:
            alerts = active_alerts(url)
            if kind == "alert" and alerts:
                firing.extend(alerts)
            return len(alerts) == 1 if kind == "alert" else alerts == []

        def watch(_: float) -> None:  # the monitor waits while the test looks (not for delivery)
            written = kinds(out / "alerts.csv")
            for kind in ("alert", "recovered"):
                if kind in written and kind not in seen:
                    started = time.monotonic()
                    wait_for(lambda kind=kind: shown(kind), 3, f"the {kind} in Alertmanager")
                    seen[kind] = time.monotonic() - started

        env = environment(clock=FakeTime(start, 40, on_sleep=watch))
        assert main([str(log), "--out", str(out), *BURST, "--alertmanager", url], env) == 0
    assert seen["alert"] < 2 and seen["recovered"] < 2, seen
    alert = firing[0]
    assert alert["labels"]["alertname"] == "HighTraffic" and alert["labels"]["log"] == str(log)
    row_time = (out / "alerts.csv").read_text().splitlines()[1].split(",")[0]
    assert alert["startsAt"].startswith(row_time.removesuffix("Z"))
    print(f"delivery to Alertmanager: alert {seen['alert']:.3f} s, recovery {seen['recovered']:.3f} s")


def test_a_replay_delivers_its_transitions_with_the_ids_a_monitor_would_give(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    burst = [T0 + s for s in range(0, 60) for _ in range(3)]
    log.write_bytes(lines_at(burst + [T0 + 600 + s for s in range(0, 600, 5)]))
    out, record = tmp_path / "o", tmp_path / "record.jsonl"
    argv = ["replay", str(log), "--speed", "100000", "--threshold", "1", "--window", "30", "--out", str(out),
            "--notify-command", f"cat >> {record}"]  # fmt: skip
    # Fake time for the replay's pace (1,200 s of log at 100,000x: a few fake ms); with no sleep
    # allowed, a Ctrl-C at its first pause cut it short wherever its first poll had got to.
    assert main(argv, environment(clock=FakeTime(T0, 100))) == 0
    sent = [json.loads(line) for line in record.read_text().splitlines()]
    rows = (out / "alerts.csv").read_text().splitlines()[1:]
    assert [(body["kind"], body["time"]) for body in sent] == [tuple(row.split(",")[1::-1]) for row in rows]
    assert sent[0]["time"] == "2026-01-01T00:00:10Z" and sent[1]["kind"] == "recovered"
