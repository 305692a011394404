"""The replay command: refuses what it cannot play with one line, plays to the end, exits 0."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from analyzer.cli.main import main
from tests.cli.conftest import assert_usage_error, environment
from tests.conftest import REPO, lines_at

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
    assert "replayed to its end" in env.stdout.getvalue()


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
