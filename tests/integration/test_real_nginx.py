"""The monitor against a real nginx rotated by real logrotate, lagging behind: every line once.

What an operator runs: Debian's nginx on 127.0.0.1 writing one line per request, logrotate
forcing a rotation about every 2 s, a keep-alive client at a few hundred requests a second,
and a monitor that is behind at every rotation (stopped with SIGSTOP just before it and for
longer than --rotate-wait after it, as a busy or stalled monitor is). Afterwards the lines
the monitor counted must be the lines on disk in every generation.

The schedule is scaled down from the operator's (a 10 s interval, a 5 s rotate wait) by
the options that set it, not by a fake clock: the server, logrotate and the monitor are
real processes on the host's clock. What each pause must outlast is said beside it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from analyzer.outputs.rows import STATS_FIELDS
from tests.cli.conftest import analyzer_process, csv_rows, wait_until
from tests.integration.servers import LOGROTATE, NGINX, Client, Nginx

TICKS = os.sysconf("SC_CLK_TCK")
# A few hundred requests a second, 3 rotations: about 10 s a run. For a longer run at a
# production rate: NGINX_TEST_RATE=1000 NGINX_TEST_ROTATIONS=6 python -m pytest -s tests/integration
RATE = int(os.environ.get("NGINX_TEST_RATE", "500"))
ROTATIONS = int(os.environ.get("NGINX_TEST_ROTATIONS", "3"))
ROTATE_WAIT = 0.5  # the monitor's --rotate-wait (s)
# Running between two stops: more than one poll (1 s), so the monitor sees each new file
# before the next rotation (two rotations between two reads is another case, with its message).
RUNNING = 1.3
STOPPED_BEFORE = 0.2  # lines written to the file about to rotate that the monitor has not read
STOPPED_AFTER = ROTATE_WAIT + 0.3  # still stopped when --rotate-wait has passed since the rotation


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rotate_behind(server: Nginx, monitor: int) -> None:
    """ROTATIONS rotations under traffic, each while the monitor is stopped; then it runs again."""
    for _ in range(ROTATIONS):
        time.sleep(RUNNING)
        os.kill(monitor, signal.SIGSTOP)  # behind: it reads nothing while the log rotates
        time.sleep(STOPPED_BEFORE)
        server.rotate()
        time.sleep(STOPPED_AFTER)
        os.kill(monitor, signal.SIGCONT)
    time.sleep(RUNNING)


def stats_lines(out: Path) -> int:
    """Lines in stats.csv so far (counted, not parsed: the monitor may be writing one)."""
    return (out / "stats.csv").read_bytes().count(b"\n")


def column_sum(out: Path, *names: str) -> int:
    rows = csv_rows(out / "stats.csv", STATS_FIELDS)
    return sum(int(row[STATS_FIELDS.index(name)] or 0) for row in rows for name in names)


@pytest.mark.skipif(
    NGINX is None or LOGROTATE is None, reason="needs nginx and logrotate (.ci/run apt-gets them)"
)
@pytest.mark.parametrize(
    ("reopens", "copytruncate"),
    [(True, False), (False, False), (True, True)],
    ids=["nginx-reopens", "nginx-cannot-reopen", "copytruncate"],
)
def test_every_line_nginx_writes_is_counted_once_by_a_lagging_monitor(
    tmp_path: Path, reopens: bool, copytruncate: bool
) -> None:
    server = Nginx(reopens=reopens, copytruncate=copytruncate)
    out = tmp_path / "out"
    monitor = None
    try:
        server.start()
        args = [str(server.log), "--interval", "1", "--plain", "--out", str(out)]
        args += ["--rotate-wait", str(ROTATE_WAIT)]
        monitor = analyzer_process(args, tmp_path, tmp_path / "stdout", tmp_path / "stderr")
        wait_until((out / "checkpoint.json").exists, time.monotonic() + 20, "the monitor to start")
        cpu_before, started = cpu_seconds(monitor.pid), time.monotonic()
        client = Client(server.port, RATE, limit=RATE * 60)
        client.start()
        rotate_behind(server, monitor.pid)
        client.stop()
        traffic_seconds = time.monotonic() - started
        server.stop()  # graceful: every response served has its line written
        # The monitor reads the last lines in its own polls, not only in SIGTERM's last one:
        # two more rows at its pace of a report a poll, the second's poll begun after the stop.
        rows = stats_lines(out)
        wait_until(lambda: stats_lines(out) >= rows + 2, time.monotonic() + 30, "a poll after the last line")
        cpu = cpu_seconds(monitor.pid) - cpu_before
        elapsed = time.monotonic() - started
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(timeout=30) == 0
        assert (tmp_path / "stderr").read_text() == ""
        counted = column_sum(out, "requests", "rejected")
        on_disk = server.lines_on_disk()
        generations = sorted(path.name for path in server.logs.glob("access.log*"))
        print(
            f"\n{'reopens' if reopens else 'cannot reopen'}{' copytruncate' if copytruncate else ''}: "
            f"sent {client.sent}, on disk {on_disk} in {len(generations)} files, counted {counted}; "
            f"monitor CPU {100 * cpu / elapsed:.1f}% of a core, overruns {column_sum(out, 'overruns')}"
        )
        # A real load: well over half the requests due at RATE for as long as the client ran.
        assert client.failed == 0 and client.sent > 0.6 * RATE * traffic_seconds
        assert len(generations) == ROTATIONS + 1
        if copytruncate:
            # logrotate's own window: lines written between its copy and its truncation are
            # gone from the disk, and the monitor may have read them before they went.
            assert on_disk <= counted <= client.sent
        else:
            assert counted == on_disk == client.sent
        if not reopens:
            # The scenario really is a server that never reopened: every line is in the first file.
            sizes = sorted(path.read_bytes().count(b"\n") for path in server.logs.glob("access.log*"))
            assert sizes == [0] * ROTATIONS + [on_disk]
            stdout = (tmp_path / "stdout").read_text()
            assert "still written after rotation: access.log." in stdout
            assert "whole: it was rotated in between" not in stdout
    finally:
        if monitor is not None and monitor.poll() is None:
            os.kill(monitor.pid, signal.SIGCONT)
            monitor.kill()
            monitor.wait()
        server.remove()
