"""The dashboard: frames from what the monitor says, keys, pause; and the monitor itself run in
a pseudo-terminal at 80x24 and 120x40, seen through a terminal emulator as a person sees it."""

from __future__ import annotations

import csv
import io
import re
import signal
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.ui.dashboard import Dashboard
from analyzer.ui.display import FASTER, PLAY_PAUSE, QUIT, SLOWER, Status
from analyzer.ui.terminal import ENTER, LEAVE
from tests.conftest import clf_line
from tests.ui.conftest import HOSTILE, T0, PtyProcess, cells, make_report, rows_written

RULE = AlertRule(threshold=2, window=20)
STATUS = Status(T0 + 1, None, 1.0, 2, 20, 1.0, 1, T0)


class Screen:
    """A dashboard drawing into a string, read back through pyte."""

    def __init__(self, columns: int = 80, rows: int = 24) -> None:
        self.size = (columns, rows)
        self.out = io.StringIO()
        self.dashboard = Dashboard(self.out, size=lambda: self.size)

    def rows(self) -> list[str]:
        screen = pyte.Screen(*self.size)
        pyte.Stream(screen).feed(self.out.getvalue())
        return list(screen.display)


def test_a_message_before_any_report_is_on_screen_at_once() -> None:
    screen = Screen()
    screen.dashboard.message("analyzer: warning: checkpoint.json is damaged; starting afresh")
    rows = screen.rows()
    assert rows[0].startswith("OK") and rows[2].startswith("analyzer: warning: checkpoint.json is damaged")
    assert screen.out.getvalue().startswith(ENTER)


def test_reports_and_the_status_redraw_in_place() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    dashboard.first(make_report(["/a"]), "analyzer: a.log (combined)")
    dashboard.status(STATUS)
    before = len(screen.out.getvalue())
    dashboard.status(Status(T0 + 2, None, 1.5, 2, 20, 3.0, 1, T0))
    change = screen.out.getvalue()[before:]
    assert change.startswith("\x1b[1;1H\x1b[2K") and change.count("\x1b[2K") == 1  # only the status line
    assert "now 3.0 req/s" in screen.rows()[0]
    assert "\n" not in screen.out.getvalue()  # nothing scrolls


def test_keys_change_the_view_at_once_and_queue_the_monitors_actions() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    dashboard.report(make_report(["/a"]), "t")
    dashboard.keys(b"6")
    assert any("[6 files]" in row for row in screen.rows())
    dashboard.keys(b"q +-")
    assert dashboard.actions() == [QUIT, PLAY_PAUSE, FASTER, SLOWER]
    assert dashboard.actions() == []
    dashboard.keys(b"?")
    assert any(row.startswith("keys") for row in screen.rows())


def test_a_paused_screen_keeps_its_report_but_not_its_state() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    dashboard.report(make_report(["/old"]), "t")
    dashboard.keys(b"p")
    dashboard.report(make_report(["/new"]), "t")
    alert = Transition(T0, ALERT, 100, RULE)
    dashboard.message(alert.message)
    dashboard.status(Status(T0 + 1, T0, 5.0, 2, 20, 5.0, 1, T0))
    rows = screen.rows()
    assert rows[0].startswith("ALERT since 08:00:00 │ screen paused (p resumes)")
    assert rows[2].startswith("High traffic generated an alert")
    assert any(row.startswith("/old") for row in rows) and not any(row.startswith("/new") for row in rows)
    dashboard.keys(b"p")
    rows = screen.rows()
    assert any(row.startswith("/new") for row in rows) and "paused" not in rows[0]


def test_an_alert_shown_before_its_report_is_in_the_history_once() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    report = make_report(["/a"], seconds=20, per_second=5)  # its history has the alert
    message = report.history[-1].message
    dashboard.message(message)
    assert [text for _, text in dashboard.screen().history] == [message]
    dashboard.report(report, "t")
    assert [text for _, text in dashboard.screen().history] == [t.message for t in report.history]


def test_a_resize_without_the_thread_is_seen_at_the_next_poll_and_close_leaves() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    dashboard.report(make_report(["/a"]), "t")
    screen.size = (120, 40)
    dashboard.actions()
    assert len(screen.rows()) == 40 and screen.rows()[-1].startswith("q quit")
    dashboard.close()
    assert screen.out.getvalue().endswith(LEAVE)
    dashboard.status(STATUS)  # after close nothing is drawn
    assert screen.out.getvalue().endswith(LEAVE)


# ----- the monitor in a pseudo-terminal ---------------------------------------------------------


def write_traffic(log: Path, stop: threading.Event, rate: int = 5) -> None:
    """`rate` lines a second stamped with the current second, until told to stop."""
    while not stop.is_set():
        with log.open("ab") as handle:
            handle.write(b"".join(clf_line(int(time.time()), path=f"/s{n}/x") for n in range(rate)))
        stop.wait(1.0)


@pytest.fixture
def hostile_log(tmp_path: Path) -> Iterator[tuple[Path, threading.Event]]:
    """A log under a directory named with escape sequences and markup, 8 s of traffic at
    5 req/s already in it, and a writer going on at 5 req/s (a threshold of 2 alerts)."""
    folder = tmp_path / HOSTILE
    folder.mkdir()
    log = folder / "access.log"
    now = int(time.time())
    log.write_bytes(
        b"".join(clf_line(second, path="/warm/x") for second in range(now - 8, now) for _ in range(5))
    )
    stop = threading.Event()
    writer = threading.Thread(target=write_traffic, args=(log, stop), daemon=True)
    writer.start()
    yield log, stop
    stop.set()
    writer.join(timeout=5)


def monitor(log: Path, out: Path) -> list[str]:
    args = ["--window", "10", "--threshold", "2", "--interval", "1", "--lateness", "1", "--out", str(out)]
    return [sys.executable, "-m", "analyzer", str(log), *args]


def assert_restored(run: PtyProcess) -> None:
    """The alternate screen entered first and left last, the terminal's modes as they were, and
    nothing scrolled (the emulator's scrollback is empty)."""
    output = bytes(run.output)
    assert output.startswith(ENTER.encode()) and output.rstrip().endswith(LEAVE.encode())
    assert termios.tcgetattr(run.slave) == run.modes
    assert len(run.screen.history.top) == 0


def test_at_80x24_the_alert_is_on_top_a_resize_relays_and_q_quits(
    hostile_log: tuple[Path, threading.Event], tmp_path: Path
) -> None:
    log, stop = hostile_log
    out = tmp_path / "out"
    run = PtyProcess(monitor(log, out), 80, 24)
    try:
        rows = run.wait_for(lambda rows: rows[0].startswith("ALERT since"), "the alert on the status line")
        message = " ".join(" ".join(row.split()) for row in rows[2:4])
        assert re.fullmatch(
            r"High traffic generated an alert - hits = \d+\.\d\d, triggered at \S+\+00:00", message
        )
        run.type(b"zz")  # not keys: never echoed
        run.type(b"6")
        escaped = "\\x1b[2J\\x1b]0;pwned\\x07[bold]\\u202e/access.log"  # the path, as text
        rows = run.wait_for(
            lambda rows: any(row.rstrip().endswith(escaped) for row in rows), "the files panel"
        )
        assert any("[6 files]" in row for row in rows) and "zz" not in "\n".join(rows)
        assert b"\x1b]" not in run.output and run.screen.title == ""  # no OSC reached the terminal
        resized_at = run.resize(120, 40)
        rows = run.wait_for(
            lambda rows: rows[-1].startswith("q quit") and any("│alert history" in row for row in rows),
            "the frame re-laid at 120x40",
        )
        assert rows[0].startswith("ALERT since")
        stop.set()
        time.sleep(1.2)  # the writer's last lines are on disk before q
        run.type(b"q")
        assert run.finish() == 0
        assert_restored(run)
    finally:
        run.close()
    for number, text in rows_written(bytes(run.output[:resized_at])):
        assert cells(text) <= 80, f"row {number} is {cells(text)} cells wide: {text!r}"
    assert all(cells(text) <= 120 for _, text in rows_written(bytes(run.output[resized_at:])))
    with open(out / "stats.csv", newline="") as handle:
        stats = list(csv.DictReader(handle))
    counted = sum(int(row["requests"]) + int(row["rejected"]) + int(row["warm"]) for row in stats)
    assert counted == log.read_bytes().count(b"\n")
    assert "alert" in (out / "alerts.csv").read_text()


def test_at_120x40_with_no_color_and_ctrl_c(
    hostile_log: tuple[Path, threading.Event], tmp_path: Path
) -> None:
    log, _ = hostile_log
    run = PtyProcess(monitor(log, tmp_path / "out"), 120, 40, env={"NO_COLOR": "1"})
    try:
        rows = run.wait_for(lambda rows: rows[0].startswith("ALERT since"), "the alert on the status line")
        assert "2 req/s (10 s)" in rows[0] and rows[0].rstrip().endswith("1 file")
        assert any("│alert history" in row for row in rows) and sum("┤" in row[:6] for row in rows) >= 2
        run.type(b"\x03")  # Ctrl-C, from the terminal
        assert run.finish() == 0
        assert_restored(run)
    finally:
        run.close()
    drawn = bytes(run.output).replace(LEAVE.encode(), b"")  # leaving resets the attributes, as it must
    assert not re.search(rb"\x1b\[[0-9;]*m", drawn)  # no colour: no SGR at all
    assert all(cells(text) <= 120 for _, text in rows_written(bytes(run.output)))


def test_sigterm_gives_the_terminal_back(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    run = PtyProcess(monitor(log, tmp_path / "out"), 80, 24)
    try:
        run.wait_for(lambda rows: rows[0].startswith("OK"), "the first frame")
        run.process.send_signal(signal.SIGTERM)
        assert run.finish() == 0
        assert_restored(run)
    finally:
        run.close()


def test_an_error_gives_the_terminal_back_before_the_traceback(tmp_path: Path) -> None:
    """An uncaught error after the dashboard took the terminal: modes restored, the traceback
    on the normal screen (after the alternate screen was left)."""
    script = (
        "import sys; from analyzer.ui.dashboard import Dashboard; from analyzer.ui.display import Status; "
        "d = Dashboard(sys.stdout); d.status(Status(0, None, 0, 1, 10, 0, 1, None)); "
        "raise RuntimeError('boom')"
    )
    run = PtyProcess([sys.executable, "-c", script], 80, 24)
    try:
        assert run.finish() == 1
        output = bytes(run.output)
        assert output.index(LEAVE.encode()) < output.index(b"RuntimeError: boom")
        assert termios.tcgetattr(run.slave) == run.modes
    finally:
        run.close()


def test_keys_come_from_the_terminal_only_in_the_foreground() -> None:
    """A monitor run in the background (`&`) must not read the terminal or change its modes
    (the kernel would stop it): no keys there; the foreground job gets them."""
    script = (
        "import os, sys; from analyzer.ui.dashboard import keyboard\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setpgid(0, 0)\n"  # a job of its own: the background
        "    print('background', keyboard(sys.stdout) is None, flush=True); os._exit(0)\n"
        "os.waitpid(pid, 0); print('foreground', keyboard(sys.stdout) is sys.stdin, flush=True)\n"
    )
    run = PtyProcess([sys.executable, "-c", script], 80, 24)
    try:
        assert run.finish() == 0
        text = "\n".join(run.rows())
        assert "background True" in text and "foreground True" in text
    finally:
        run.close()
