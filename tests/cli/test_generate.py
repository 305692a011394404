"""generate and demo: bad arguments are one line, real runs write what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli.main import main
from analyzer.formats.clf import parse
from analyzer.outputs.rows import ALERT_FIELDS, STATS_FIELDS
from tests.cli.conftest import T0, FakeTime, assert_usage_error, csv_rows, environment
from tests.ui.conftest import rows_written


@pytest.mark.parametrize(
    "argv",
    [
        ["generate"],
        ["generate", "x.log", "--rate", "0"],
        ["generate", "x.log", "--burst", "30:60"],
        ["demo", "--duration", "-1"],
        ["demo", "--bogus"],
    ],
)
def test_bad_subcommand_arguments_are_usage_errors(argv: list[str]) -> None:
    """Bad arguments to generate and demo: exit 2, one line."""
    assert_usage_error(argv)


def test_generate_into_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    """generate to a path it cannot write: exit 2, one line naming it."""
    assert_usage_error(["generate", str(tmp_path), "--duration", "1"], str(tmp_path), "cannot write")


def test_generate_writes_about_rate_times_duration_lines(tmp_path: Path) -> None:
    """`generate FILE --rate 50 --duration 2` writes about 100 lines the parser accepts."""
    log = tmp_path / "gen.log"
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "generate", str(log), "--rate", "50", "--duration", "2"],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    parsed = parse(log.read_bytes(), "combined")
    assert parsed.rejected == 0
    assert 60 <= len(parsed.frame) <= 140  # Poisson(100): 4 standard deviations each side
    assert f"wrote {len(parsed.frame)} lines".encode() in result.stdout


def test_demo_runs_and_writes_stats(tmp_path: Path) -> None:
    """`demo --duration 4 --plain --out DIR` exits 0 and writes stats.csv with the traffic it saw."""
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "demo", "--duration", "4", "--plain", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"\x1b" not in result.stdout
    stats = csv_rows(out / "stats.csv", STATS_FIELDS)
    assert stats, "a stop after 4 s still reports the unfinished interval"
    assert sum(int(row[STATS_FIELDS.index("requests")]) for row in stats) > 0
    csv_rows(out / "alerts.csv", ALERT_FIELDS)


def test_on_a_terminal_the_demo_keeps_its_explanation_on_the_dashboard(tmp_path: Path) -> None:
    """The two lines printed before the monitor starts are hidden by the dashboard's alternate
    screen: its title line says what the demo does, within 80 columns."""
    env = environment(terminal=True, clock=FakeTime(T0, 2))
    assert main(["demo", "--duration", "0.5", "--out", str(tmp_path / "out")], env) == 0
    title = next(text for number, text in rows_written(env.stdout.getvalue().encode()) if number == 2)
    assert title == "demo: 4 req/s, a burst of 30 req/s at 20-60 s; alert above 10 req/s over 30 s"
    assert len(title) <= 80


def test_demo_stopped_by_sigterm_reports_exits_0_and_leaves_no_folder(tmp_path: Path) -> None:
    import re
    import signal
    import time

    from tests.cli.conftest import wait_until

    stdout = tmp_path / "stdout"
    with open(stdout, "wb") as handle:
        demo = subprocess.Popen(
            [sys.executable, "-m", "analyzer", "demo", "--plain"], stdout=handle, cwd=tmp_path
        )
    try:
        wait_until(lambda: b"top sections:" in stdout.read_bytes(), time.monotonic() + 30, "a first report")
        folder = re.search(rb"writing traffic to (\S+)/access\.log", stdout.read_bytes())
        assert folder is not None and Path(folder.group(1).decode()).exists()
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    assert stdout.read_bytes().count(b"top sections:") >= 2, "the unfinished interval is reported"
    assert not Path(folder.group(1).decode()).exists()
