"""Standard input: what a pipe brings is read without waiting, and its end ends the monitor."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from analyzer.core.alerts import AlertRule
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.live.stdin import StdinFeed
from tests.conftest import clf_line, lines_at
from tests.live.conftest import T0, FakeClock, rows


def test_a_pipe_is_read_as_it_comes_and_its_end_is_seen() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb", buffering=0) as stream:
        feed = StdinFeed(Settings(paths=["-"], rule=AlertRule(10)), lambda: float(T0), stream)  # type: ignore[arg-type]
        assert feed.read() == [] and not feed.ended  # nothing yet: no waiting either
        os.write(write_end, lines_at([T0, T0]) + clf_line(T0)[:30])
        (batch,) = feed.read()
        assert len(batch.frame) == 2 and feed.format_name() == "combined"
        os.write(write_end, clf_line(T0)[30:] + b"half a line")
        os.close(write_end)
        batches = feed.read()
        assert feed.ended
        assert sum(len(b.frame) for b in batches) == 1 and sum(b.rejected for b in batches) == 1
        assert feed.status().status == "standard input closed" and feed.positions() == []


def test_a_monitor_of_standard_input_stops_when_it_closes(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, lines_at([T0] * 4))
    os.close(write_end)
    clock = FakeClock(T0 + 0.5)
    out = tmp_path / "out"
    with os.fdopen(read_end, "rb", buffering=0) as stream:
        settings = Settings(paths=["-"], rule=AlertRule(10, 10), out=out, plain=True, interval=5)
        feed = StdinFeed(settings, clock.now, stream)  # type: ignore[arg-type]
        Monitor(settings, io.StringIO(), Clock(clock.now, clock.sleep), feeds=[feed]).run()  # ends by itself
    assert sum(int(row["requests"]) for row in rows(out / "stats.csv")) == 4


def test_the_command_follows_a_pipe(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "analyzer", "-", "--plain", "--interval", "1", "--out", str(tmp_path / "o")],
        input=lines_at([T0, T0 + 1]) + b"garbage\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0 and run.stderr == b""
    counted = [(row["requests"], row["rejected"]) for row in rows(tmp_path / "o" / "stats.csv")]
    assert sum(int(r) for r, _ in counted) == 2 and sum(int(j) for _, j in counted) == 1
