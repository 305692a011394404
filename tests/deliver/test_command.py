"""--notify-command with real processes: one that records, one that fails, one that hangs."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.deliver.command import Command, exit_text, last_line
from analyzer.deliver.payload import payload
from analyzer.deliver.receiver import DeliveryError

BODY = payload(Transition(1_795_835_405, ALERT, 1300, AlertRule(10, 120)))


def test_the_command_gets_json_on_stdin_and_variables(tmp_path: Path) -> None:
    record = tmp_path / "record"
    command = Command(f"cat > {record}.json; env | grep ^ANALYZER_ > {record}.env; echo said >&2")
    assert command.send(BODY) == "exit 0: said"
    assert json.loads((tmp_path / "record.json").read_text()) == BODY
    variables = dict(line.split("=", 1) for line in (tmp_path / "record.env").read_text().splitlines())
    assert variables["ANALYZER_ID"] == BODY["id"] and variables["ANALYZER_KIND"] == "alert"
    assert variables["ANALYZER_HITS"] == "10.83" and variables["ANALYZER_RULE"] == "high_traffic"
    assert command.name == "notify-command"  # the command may hold a token: never printed


def test_a_failing_command_says_its_status_and_the_last_line_of_its_stderr() -> None:
    command = Command("echo first >&2; printf 'curl: (7) Failed to connect\\x1b[2J\\n\\n' >&2; exit 7")
    with pytest.raises(DeliveryError) as failed:
        command.send(BODY)
    assert str(failed.value) == "exit 7: curl: (7) Failed to connect\\x1b[2J"


def test_a_command_that_does_not_read_its_input_is_fine() -> None:
    assert Command("true").send(BODY) == "exit 0"


def test_a_hanging_command_is_killed_after_its_timeout_with_what_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child"
    command = Command(f"sleep 30 & echo $! > {pid_file}; wait", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"^killed after 0.5 s$"):
        command.send(BODY)
    assert time.monotonic() - started < 3
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(child), "the command's own child outlived it"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_abort_kills_a_command_in_flight() -> None:
    command = Command("sleep 30", timeout=20)
    errors: list[str] = []
    thread = threading.Thread(target=lambda: _send(command, errors))
    thread.start()
    deadline = time.monotonic() + 5
    while command.running is None and time.monotonic() < deadline:
        time.sleep(0.01)
    command.abort()
    thread.join(5)
    assert errors == ["killed by SIGKILL"]


def _send(command: Command, errors: list[str]) -> None:
    try:
        command.send(BODY)
    except DeliveryError as error:
        errors.append(str(error))


def test_texts() -> None:
    assert (
        exit_text(0) == "exit 0"
        and exit_text(-9) == "killed by SIGKILL"
        and exit_text(-99) == "killed by signal 99"
    )
    assert last_line(b"one\ntwo\n  \n") == "two" and last_line(b"") == ""
    assert len(last_line(b"x" * 500)) == 120
