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

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.offline.backtest import backtest
from analyzer.ui.dashboard import Dashboard
from analyzer.ui.display import FASTER, PLAY_PAUSE, QUIT, SLOWER, Status
from analyzer.ui.terminal import ENTER, LEAVE
from tests.conftest import clf_line
from tests.offline.test_drivers import spiked_log
from tests.ui.conftest import HOSTILE, T0, PtyProcess, cells, make_report, rows_written

RULE = AlertRule(threshold=2, window=20)
STATUS = Status(T0 + 1, None, 1.0, 2, 20, 1.0, 1, T0)
# The alert of a monitor started on a hot log: found at start, or crossed while it runs.
ALERT_MESSAGE = (
    r"High traffic (generated an alert|alert already on when monitoring started) - hits = \d+\.\d\d, "
    r"(triggered at|on since before) \S+\+00:00"
)


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
    assert rows[0].startswith("OK") and rows[3].startswith("analyzer: warning: checkpoint.json is damaged")
    assert screen.out.getvalue().startswith(ENTER)


def test_reports_and_the_status_redraw_in_place() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    dashboard.first(make_report(["/a"]), "analyzer: a.log (combined)")
    dashboard.status(STATUS)
    before = len(screen.out.getvalue())
    dashboard.status(Status(T0 + 2, None, 1.5, 2, 20, 3.0, 1, T0))
    change = screen.out.getvalue()[before:]
    assert (
        change.startswith("\x1b[1;1H\x1b[2K") and change.count("\x1b[2K") == 2
    )  # the status and clock lines
    assert "last 5 s 3.0 req/s (to 08:00:01)" in screen.rows()[1]
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
    dashboard.transition(alert)
    dashboard.status(Status(T0 + 1, T0, 5.0, 2, 20, 5.0, 1, T0))
    rows = screen.rows()
    assert rows[0].startswith("ALERT since 08:00:00 │ paused │ avg 5.00 > 2 req/s")
    assert " ".join(" ".join(row.split()) for row in rows[2:] if row.startswith(("High", "  2027"))).endswith(
        alert.message
    )
    assert any(row.startswith("/old") for row in rows) and not any(row.startswith("/new") for row in rows)
    dashboard.keys(b"p")
    rows = screen.rows()
    assert any(row.startswith("/new") for row in rows) and "paused" not in rows[0]


def test_an_alert_shown_before_its_report_is_in_the_history_once() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    report = make_report(["/a"], seconds=20, per_second=5)  # its history has the alert
    dashboard.transition(report.history[-1])
    assert dashboard.screen().history == (report.history[-1],)
    dashboard.report(report, "t")
    assert dashboard.screen().history == tuple(report.history)


def test_a_notice_after_the_alert_never_takes_its_place() -> None:
    """A file rotated during an alert: the notice on its own line, the alert message whole."""
    screen = Screen()
    dashboard = screen.dashboard
    report = make_report(["/a"], seconds=20, per_second=5)
    dashboard.report(report, "t")
    dashboard.status(Status(T0 + 1, report.history[-1].second, 5.0, 2, 20, 5.0, 1, T0))
    dashboard.message("/var/log/access.log: replaced (rotated): reading the new file from its start")
    rows = screen.rows()
    assert " ".join(" ".join(row.split()) for row in rows[2:4]) == report.history[-1].message
    assert rows[4].startswith("driven by /a +")  # what drove the alert, under it
    notice = next(row for row in rows[5:] if not row.startswith(" "))
    assert notice.startswith("08:00:01 …/log/access.log: replaced (rotated)")  # the path cut first


def test_close_prints_the_runs_alerts_on_the_normal_screen_once() -> None:
    screen = Screen()
    dashboard = screen.dashboard
    report = make_report(["/a"], seconds=20, per_second=5)
    dashboard.report(report, "t")  # the history restored or recorded before: not this run's to print
    alert, recovered = Transition(T0, ALERT, 100, RULE), Transition(T0 + 30, RECOVERED, 10, RULE)
    dashboard.transition(alert)
    dashboard.transition(recovered)
    dashboard.close()
    dashboard.close()
    assert screen.out.getvalue().endswith(f"{LEAVE}{alert.message}\n{recovered.message}\n")


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


def write_traffic(log: Path, stop: threading.Event, rate: int = 5, behind: int = 0) -> None:
    """`rate` lines a second stamped with the current second (and as many `behind` seconds
    before it: lines that come late, as from a server that buffers), until told to stop."""
    while not stop.is_set():
        now = int(time.time())
        stamps = [now, now - behind] if behind else [now]
        with log.open("ab") as handle:
            handle.write(
                b"".join(clf_line(second, path=f"/s{n}/x") for second in stamps for n in range(rate))
            )
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


def monitor(log: Path, out: Path, interval: int = 1) -> list[str]:
    args = ["--window", "10", "--threshold", "2", "--interval", str(interval), "--lateness", "1"]
    args += ["--out", str(out)]
    return [sys.executable, "-m", "analyzer", str(log), *args]


def assert_restored(run: PtyProcess, out: Path | None = None) -> None:
    """The alternate screen entered first and left last, then only the run's alerts and
    recoveries printed, one a line (those of alerts.csv in `out`); the terminal's modes as they
    were, and nothing scrolled while drawing (the emulator's scrollback empty as it left the
    alternate screen: pyte has none, and the lines printed after leaving may scroll it)."""
    output = bytes(run.output)
    assert output.startswith(ENTER.encode()) and output.count(LEAVE.encode()) == 1
    after = output.split(LEAVE.encode())[-1].decode().splitlines()
    assert all(line.startswith("High traffic") for line in after), after
    if out is not None:
        with open(out / "alerts.csv", newline="") as handle:
            assert after == [row["message"] for row in csv.DictReader(handle)]
    assert termios.tcgetattr(run.slave) == run.modes
    assert run.scrolled_drawing == 0


def test_at_80x24_the_alert_is_on_top_a_resize_relays_and_q_quits(
    hostile_log: tuple[Path, threading.Event], tmp_path: Path
) -> None:
    log, stop = hostile_log
    out = tmp_path / "out"
    run = PtyProcess(monitor(log, out), 80, 24)
    try:
        rows = run.wait_for(lambda rows: rows[0].startswith("ALERT since"), "the alert on the status line")
        message = " ".join(" ".join(row.split()) for row in rows[2:4])
        assert re.fullmatch(ALERT_MESSAGE, message), message
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
            lambda rows: (
                rows[-1].startswith("q quit") and re.fullmatch(ALERT_MESSAGE, rows[2].strip()) is not None
            ),
            "the frame re-laid at 120x40, the message on one row",
        )
        assert rows[0].startswith("ALERT since")
        stop.set()
        time.sleep(1.2)  # the writer's last lines are on disk before q
        run.type(b"q")
        assert run.finish() == 0
        assert_restored(run, out)
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
        assert "2 req/s (10 s to " in rows[0] and rows[1].startswith("analyzer: /")  # the title, whole
        assert re.fullmatch(ALERT_MESSAGE, rows[2].strip()) and sum("┤" in row[:6] for row in rows) >= 2
        run.type(b"\x03")  # Ctrl-C, from the terminal
        assert run.finish() == 0
        assert_restored(run, tmp_path / "out")
    finally:
        run.close()
    drawn = bytes(run.output).split(LEAVE.encode())[0]  # leaving resets the attributes, as it must
    styles = {code for code in re.findall(rb"\x1b\[([0-9;]*)m", drawn)}
    assert styles and all(set(code.split(b";")) <= {b"0", b"1", b"2", b"7"} for code in styles)  # no colour
    assert b"\x1b[1;7mALERT since" in drawn  # the alert still stands out: bold, reverse video
    assert all(cells(text) <= 120 for _, text in rows_written(bytes(run.output)))


TIME = r"(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d"
FIGURES = (  # every way a rate is written on screen: (pattern, groups of span, end, value)
    (rf"avg ([\d,]+\.\d\d) [>≤] [\d.]+ req/s \((\d+) s to ({TIME})\)", (2, 3, 1)),
    (rf"(?:read in )?(\d+) s to ({TIME}): [\d,]+ req │ ([\d,]+\.\d\d) req/s", (1, 2, 3)),
    (rf"last (\d+) s ([\d,]+\.\d) req/s \(to ({TIME})\)", (1, 3, 2)),
)


def figures(rows: list[str]) -> dict[tuple[str, str], set[float]]:
    """Every req/s figure on screen by (span, end); each must be written with both."""
    found: dict[tuple[str, str], set[float]] = {}
    for row in rows:
        covered: list[tuple[int, int]] = []
        for pattern, (span, end, value) in FIGURES:
            for match in re.finditer(pattern, row):
                covered.append(match.span())
                key = (match.group(span), match.group(end))
                found.setdefault(key, set()).add(float(match.group(value).replace(",", "")))
        for figure in re.finditer(r"[\d.,]+ req/s", row):
            assert any(start <= figure.start() < stop for start, stop in covered), (
                f"a rate without its span and end second: {row!r}"
            )
    return found


def test_at_80x24_during_an_alert_every_rate_names_its_span_and_end_and_none_contradict(
    hostile_log: tuple[Path, threading.Event], tmp_path: Path
) -> None:
    """Frames read during an alert: each req/s figure with its span and end second, two of the
    same span and end equal; the alert in view; after the traffic stops, the recovery beside it,
    and a rotation on the notice line, never in an alert message's place. Half the lines come a
    second late: the window's row, counted at a report, and the status's average, counted a poll
    later with those lines, cover the same 10 s to the same second for a second of each report
    (reports every 2 s): read until that is seen at two reports. 4 req/s, twice the threshold:
    the recovery comes 5 s after the traffic stops (6 req/s took 7), the window not yet empty."""
    log, first_writer = hostile_log
    first_writer.set()
    stop = threading.Event()
    writer = threading.Thread(target=write_traffic, args=(log, stop, 2, 1), daemon=True)
    writer.start()
    out = tmp_path / "out"
    run = PtyProcess(monitor(log, out, interval=2), 80, 24)
    try:
        run.wait_for(lambda rows: rows[0].startswith("ALERT since"), "the alert on the status line")
        seen: dict[tuple[str, str], set[float]] = {}
        met: set[str] = set()  # the ends at which the status's average and the window's row met
        for _ in range(12):  # frames a poll apart, bounded: two reports come within 8
            run.read(0.6)
            rows = run.rows()
            assert rows[0].startswith("ALERT since")
            for key, values in figures(rows).items():
                assert len(values) == 1, f"{key}: {values} on one screen:\n" + "\n".join(rows)
                seen.setdefault(key, set()).update(values)
            assert re.fullmatch(ALERT_MESSAGE, " ".join(" ".join(row.split()) for row in rows[2:4]))
            status = figures(rows[:1])
            met |= {end for span, end in status if span == "10" and (span, end) in figures(rows[1:])}
            if len(met) >= 2:
                break
        assert len(met) >= 2, f"the status's average and the window's row met at {met} only"
        assert {"2", "10"} <= {span for span, _ in seen}  # the interval's, the window's (and the last 5 s')
        stop.set()
        rows = run.wait_for(lambda rows: rows[0].startswith("OK"), "the recovery", timeout=30)
        log.rename(log.with_name("access.log.1"))
        log.write_bytes(b"")
        rows = run.wait_for(
            lambda rows: any("replaced (rotated)" in row for row in rows), "the rotation notice"
        )
        history = " ".join(" ".join(row.split()) for row in rows[2:6])
        assert re.match(ALERT_MESSAGE[:-1], history) and "High traffic alert recovered - hits = " in history
        notice = next(row for row in rows if "replaced (rotated)" in row)
        assert rows.index(notice) == 6 and re.match(rf"{TIME} .*access\.log: replaced \(rotated\)", notice)
        run.type(b"q")
        assert run.finish() == 0
        assert_restored(run, out)
    finally:
        stop.set()
        run.close()
    assert all(cells(text) <= 80 for _, text in rows_written(bytes(run.output)))


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


def test_at_80x24_a_spike_from_one_host_on_api_names_them_under_the_alert(tmp_path: Path) -> None:
    """A replay in a real pty (its clock the log's, no waiting): the alert fires and the history
    names /api and the host under it; alerts.csv holds the same drivers as a backtest's."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"".join(text for _, text in spiked_log(5, 150, 40, 8)))
    command = [sys.executable, "-m", "analyzer", "replay", str(log), "--speed", "300", "--window", "20"]
    run = PtyProcess([*command, "--threshold", "4", "--lateness", "1", "--out", str(out)], 80, 24)
    try:
        rows = run.wait_for(
            lambda rows: (
                "replay finished" in rows[0] and any(row.startswith("driven by /api") for row in rows)
            ),
            "the drivers under the alert, the replay played",
        )
        driven = next(i for i, row in enumerate(rows) if row.startswith("driven by /api"))
        said = " ".join(" ".join(row.split()) for row in rows[driven : driven + 2])
        assert "host 203.0.113.7" in said and 'agent "python-requests/2.31"' in said
        assert rows[driven - 2].startswith("High traffic generated an alert")
        assert all(cells(row.rstrip()) <= 80 for row in rows)
        run.type(b"q")
        assert run.finish() == 0
    finally:
        run.close()
    with open(out / "alerts.csv", newline="") as handle:
        live = [row["drivers"] for row in csv.DictReader(handle) if row["kind"] == "alert"]
    offline = backtest([log], [4], 20).alert_rows
    assert live == list(offline["drivers"][offline["kind"] == "alert"]) and live[0].startswith(
        "driven by /api"
    )


def test_at_80x24_an_error_rate_alert_while_traffic_is_quiet_is_an_alert_on_the_status_line(
    tmp_path: Path,
) -> None:
    """A replay in a real pty of a log that ends during an error-rate alert (503s from 50 s,
    2 req/s throughout, far under the traffic threshold): the status line says ALERT with the
    error rate against its limit, never OK; every row fits."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    lines = [clf_line(T0 + second) for second in range(60) for _ in range(2)]
    lines += [clf_line(T0 + second, "/api/orders", status=503) for second in range(50, 60)]
    log.write_bytes(b"".join(sorted(lines, key=lambda line: line.split(b"[")[1])))
    command = [sys.executable, "-m", "analyzer", "replay", str(log), "--speed", "300", "--window", "20"]
    rules = ["--error-rate", "5", "--error-rate-min", "10", "--lateness", "1", "--out", str(out)]
    run = PtyProcess([*command, *rules], 80, 24)
    try:
        rows = run.wait_for(lambda rows: "replay finished" in rows[0], "the replay played")
        # 10 errors in 50 requests at 59 s; on since 52 (3 in 43), dated in a replay.
        assert rows[0].rstrip() == "ALERT │ replay finished at 2027-01-15 08:01:00 UTC │ 5xx 20.00% > 5%"
        assert any(row.startswith("High error rate generated an alert - 5xx = 6.98% of 43") for row in rows)
        assert all(cells(row.rstrip()) <= 80 for row in rows)
        run.type(b"q")
        assert run.finish() == 0
    finally:
        run.close()
