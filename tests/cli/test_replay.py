"""The replay command: refuses what it cannot play with one line, plays to the end, exits 0."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.cli.main import main
from tests.cli.conftest import FakeTime, assert_usage_error, environment, stopped_midway
from tests.conftest import LIVE_T0, REPO, clf_line, lines_at

SAMPLE = REPO / "data" / "sample_logs" / "access.log"
T0 = 1_767_225_600


def test_a_missing_file_or_a_monitors_directory_is_refused_with_one_line(tmp_path: Path) -> None:
    assert_usage_error(["replay", str(tmp_path / "nope.log")], "nope.log", "no such file")
    (tmp_path / "monitor").mkdir()
    (tmp_path / "monitor" / "checkpoint.json").write_text("{}")
    log = tmp_path / "access.log"
    log.write_bytes(lines_at(range(T0, T0 + 3)))
    assert_usage_error(["replay", str(log), "--out", str(tmp_path / "monitor")], "checkpoint", "--out")
    assert_usage_error(["replay", str(log), "--speed", "0"], "--speed")


def test_a_replay_in_process_counts_every_line_and_ends_by_itself(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(lines_at([T0 + s for s in range(0, 300, 2)]) + b"not a line of a log\n")
    env = environment()
    out = tmp_path / "out"
    assert main(["replay", str(log), "--speed", "100000", "--out", str(out)], env) == 0
    with open(out / "stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(row["requests"]) + int(row["rejected"]) for row in rows) == 151
    assert not (out / "checkpoint.json").exists(), "a replay leaves no checkpoint for a monitor to take"
    text = env.stdout.getvalue()
    assert "replayed to its end" in text
    # The end said once, last, with the log's date (its last line + the lateness of 5 s).
    assert (
        text.endswith("\nreplay finished at 2026-01-01 00:05:03 UTC\n") and text.count("replay finished") == 1
    )


def test_a_plain_replay_prints_each_transition_once_and_a_line_of_the_alerts_a_block(tmp_path: Path) -> None:
    """Never the whole history in every block (a 671-line log once gave 7,320 lines of it)."""
    log = tmp_path / "access.log"
    burst = [T0 + s for s in range(0, 60) for _ in range(3)]  # 3 req/s for a minute over 1 req/s
    log.write_bytes(lines_at(burst + [T0 + 600 + s for s in range(0, 600, 5)]))
    env = environment(clock=FakeTime(T0, 100))  # the pace of 1,200 s at 100,000x: a few fake ms
    argv = [
        "replay",
        str(log),
        "--speed",
        "100000",
        "--threshold",
        "1",
        "--window",
        "30",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv, env) == 0
    text = env.stdout.getvalue()
    assert (
        text.count("High traffic generated an alert") == 1 and text.count("High traffic alert recovered") == 1
    )
    blocks = text.count("alert when the 30 s average exceeds 1 req/s")
    assert blocks > 2 and text.count("\nalerts: ") == blocks
    assert text.rsplit("\nalerts: ", 1)[1].startswith("1 so far, last recovered at 2026-01-01T00:01:19Z")
    # Wrapped at 80 columns between fields: only a value wider alone (the title, a message) is over.
    long = [line for line in text.splitlines() if len(line) > 80]
    alone = ("High traffic", "analyzer: /", "  driven by", f"  {tmp_path}")  # a long folder's name alone
    assert long and all(line.startswith(alone) for line in long)


def test_replay_of_the_sample_log_as_a_process_gives_the_backtests_alerts(tmp_path: Path) -> None:
    """The README's example: the hour of the sample log at 3600x, as a real process."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "replay",
            str(SAMPLE),
            "--speed",
            "3600",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr == b""
    subprocess.run(
        [sys.executable, "-m", "analyzer", "backtest", str(SAMPLE), "--out", str(tmp_path / "b")],
        capture_output=True,
        timeout=120,
        check=True,
    )
    replayed = (tmp_path / "r" / "alerts.csv").read_text()
    assert replayed == (tmp_path / "b" / "alerts.csv").read_text()
    assert replayed.count("\n") == 3  # the header, the alert and its recovery
    assert b"High traffic generated an alert" in run.stdout


def test_replay_on_a_terminal_keeps_its_last_frame_until_q_and_takes_its_keys(tmp_path: Path) -> None:
    """At 80x24: the status line says it is a replay and its speed, `+` doubles it, Space
    pauses it; at the end of the log the frame stays until `q`, which exits 0."""
    from tests.ui.conftest import PtyProcess

    out = tmp_path / "r"
    run = PtyProcess(
        [sys.executable, "-m", "analyzer", "replay", str(SAMPLE), "--speed", "600", "--out", str(out)], 80, 24
    )
    try:
        run.wait_for(lambda rows: "replay 600x" in rows[0], "the replay's speed on the status line")
        run.type(b"+")
        run.wait_for(lambda rows: "replay 1200x" in rows[0], "twice the speed")
        run.type(b" ")
        run.wait_for(lambda rows: "replay paused" in rows[0], "paused")
        assert run.rows()[1].startswith("2026-11-28 02:")  # the log's date and time
        assert "(120 s to 2026-11-28 02:" in run.rows()[0]
        run.type(b" +++")
        rows = run.wait_for(
            lambda rows: "replay finished at 2026-11-28 03:00:04 UTC" in rows[0],
            "the end of the log",
            timeout=60,
        )
        time.sleep(1.5)
        run.read(0.2)
        assert run.process.poll() is None, "the last frame stays until q"
        assert run.rows()[0] == rows[0] and rows[0].startswith("OK │ replay finished")
        run.type(b"q")
        assert run.finish() == 0
    finally:
        run.close()
    assert (out / "alerts.csv").read_text().count("\n") == 3


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_replay_stopped_before_its_end_is_not_done(tmp_path: Path, signum: int, status: int) -> None:
    """Stopped mid-way: its outputs are written as far as it got, 128 + the signal, one line."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"".join(clf_line(LIVE_T0 + second) for second in range(3600)))
    argv = ["replay", str(log), "--plain", "--speed", "10", "--out", str(out)]
    returncode, err = stopped_midway(argv, out / "stats.csv", signum)
    assert returncode == status, err
    assert err.count("\n") == 1 and f"the outputs in {out} are partial" in err
