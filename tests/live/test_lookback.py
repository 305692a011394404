"""A start with no record of the alert state writes when it really began, or says it cannot know."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.core.alerts import AlertRule, check_seconds
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.times import iso_utc
from analyzer.formats.columns import seconds_of
from analyzer.live import lookback
from analyzer.live.lookback import backward_frames, file_counts
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock
from analyzer.offline.backtest import backtest
from analyzer.outputs.rows import ALERT_FIELDS
from tests.conftest import clf_line
from tests.live.conftest import (
    T0,
    FakeClock,
    alert_message,
    iso,
    recovered_message,
    rows,
    run_until,
    settings,
)
from tests.ui.conftest import PtyProcess

RULE = AlertRule(threshold=10, window=120)


def traffic(stretches: list[tuple[int, int, int]]) -> tuple[bytes, list[int]]:
    """Lines for (start, seconds, per second) stretches, and the second of each line."""
    data, seconds = [], []
    for start, length, rate in stretches:
        for second in range(start, start + length):
            data.append(clf_line(second) * rate)
            seconds += [second] * rate
    return b"".join(data), seconds


def true_transitions(seconds: list[int], until: int) -> list[tuple[int, str, int]]:
    """The contract over the whole log, from its first line (the logs here begin quiet)."""
    found, _ = check_seconds(np.array(seconds), min(seconds), until, False, RULE)
    return [(t.second, t.kind, t.hits) for t in found]


def start(log: Path, out: Path, now: int, **options: object) -> tuple[Monitor, io.StringIO]:
    stdout = io.StringIO()
    clock = FakeClock(now)
    values: dict[str, object] = {"rule": RULE, "lateness": 5, "interval": 10}
    values.update(options)
    monitor = Monitor(settings(log, out, **values), stdout, Clock(clock.now, clock.sleep))
    monitor.warm_start()
    run_until(monitor, clock, 3)
    monitor.outputs.close()
    return monitor, stdout


def test_a_start_30_minutes_into_an_episode_writes_the_real_crossing(tmp_path: Path) -> None:
    """10 minutes at 2 req/s, then 30 at 60: the crossing is 30 minutes back, beyond the read-back."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    data, seconds = traffic([(begin, 600, 2), (begin + 600, 1800, 60)])
    log.write_bytes(data)
    ((second, kind, hits),) = true_transitions(seconds, T0 - 1)
    assert T0 - second > 1780  # 30 minutes before the start
    monitor, stdout = start(log, out, T0)
    (row,) = rows(out / "alerts.csv")
    assert (row["time"], row["kind"], row["onset"]) == (iso_utc(second), kind, "crossed")
    assert row["message"] == alert_message(hits, 120, second)
    assert row["message"] in stdout.getvalue()
    known_from = monitor.engine.known_from
    assert known_from is not None and known_from > second + RULE.window, "beyond the read-back"
    assert monitor.engine.alert_on
    backtest([log], [10], 120, out=out / "backtest")
    (backtested,) = rows(out / "backtest" / "alerts.csv")
    assert row["drivers"] == backtested["drivers"] and row["drivers"].startswith("driven by /pages +")


def test_the_drivers_read_back_look_up_only_the_pieces_of_the_crossing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crossing 30 minutes back, read in 64 KB pieces: the pieces of the half hour after it
    (a scan's hosts and paths, a flood's) are parsed to pass them, never looked up into the
    vocabularies of the drivers' count; only those holding the crossing's two windows are."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    data, _ = traffic([(begin, 600, 2), (begin + 600, 1800, 60)])
    log.write_bytes(data)
    monkeypatch.setattr(lookback, "PIECE_BYTES", 64 << 10)
    looked_up: list[np.ndarray] = []
    compact = lookback.compact
    monkeypatch.setattr(lookback, "compact", lambda frame, vocabularies: looked_up.append(
        seconds_of(frame)) or compact(frame, vocabularies))  # fmt: skip
    start(log, out, T0)
    (row,) = rows(out / "alerts.csv")
    crossing = int(pd.Timestamp(row["time"]).timestamp())
    assert row["drivers"].startswith("driven by /pages +") and looked_up
    low, high = crossing - 2 * RULE.window + 1, crossing
    assert all(seconds.max() >= low and seconds.min() <= high for seconds in looked_up)


def test_an_episode_that_began_before_the_log_s_first_line_is_said_to_be_on_since_before(
    tmp_path: Path,
) -> None:
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 1800
    data, _ = traffic([(begin, 1800, 60)])
    log.write_bytes(data)
    start(log, out, T0)
    (row,) = rows(out / "alerts.csv")
    # The earliest second the log proves on: 21 seconds of 60 is 1,260 > 1,200.
    assert (row["time"], row["kind"], row["onset"]) == (iso_utc(begin + 20), "alert", "before")
    assert row["message"] == (
        "High traffic alert already on when monitoring started - hits = 60.00, "
        f"on since before {iso(begin + 20)}"
    )


def test_the_look_back_is_bounded_and_says_so(tmp_path: Path) -> None:
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    data, _ = traffic([(begin, 600, 2), (begin + 600, 1800, 60)])
    log.write_bytes(data)
    monitor, _ = start(log, out, T0, look_back=600)
    (row,) = rows(out / "alerts.csv")
    assert (row["kind"], row["onset"]) == ("alert", "before")
    assert "already on when monitoring started" in row["message"]
    # The first second judged is the first whose window the read-back holds whole; 600 s of
    # log before it are read, and the earliest second they prove on is 21 seconds into them.
    known_from = monitor.engine.known_from
    assert known_from is not None
    judged = known_from + RULE.window - 1
    assert row["time"] == iso_utc(judged - 600 + 20)


def test_the_crossing_is_found_in_a_rotated_generation(tmp_path: Path) -> None:
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    older, seconds = traffic([(begin, 600, 2), (begin + 600, 600, 60)])
    newer, later = traffic([(begin + 1200, 1200, 60)])
    (tmp_path / "access.log.1").write_bytes(older)
    os.utime(tmp_path / "access.log.1", (T0 - 1200, T0 - 1200))
    log.write_bytes(newer)
    ((second, _, _),) = true_transitions(seconds + later, T0 - 1)
    start(log, out, T0)
    (row,) = rows(out / "alerts.csv")
    assert (row["time"], row["onset"]) == (iso_utc(second), "crossed")


def test_an_alert_on_record_that_ended_while_down_recovers_at_its_real_second(tmp_path: Path) -> None:
    """alerts.csv says on (no checkpoint); the log shows the episode ended 10 minutes ago."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    data, seconds = traffic([(begin, 600, 2), (begin + 600, 1200, 60), (begin + 1800, 600, 2)])
    log.write_bytes(data)
    alert, recovery = true_transitions(seconds, T0 - 1)
    out.mkdir()
    alert_row = [iso_utc(alert[0]), "alert", f"{alert[2] / 120:.2f}", "10", "120", "(earlier run)"]
    (out / "alerts.csv").write_text(",".join(ALERT_FIELDS[:6]) + "\n" + ",".join(alert_row) + "\n")
    start(log, out, T0)
    restored, row = rows(out / "alerts.csv")
    assert restored["kind"] == "alert"
    assert (row["time"], row["kind"]) == (iso_utc(recovery[0]), "recovered")
    assert row["message"] == recovered_message(recovery[2], 120, recovery[0])
    assert list(row) == list(ALERT_FIELDS[:6]), "an older file keeps the columns it has"


def test_a_start_30_minutes_into_an_error_rate_episode_writes_its_real_crossing(tmp_path: Path) -> None:
    """10 minutes of 2 req/s answered 200, then 30 more with a 503 on /api every second: a start
    finds the error-rate and the /api alerts on, and reads back to the seconds they crossed
    (beyond the read-back), as a backtest of the whole log places them; traffic stays quiet."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400
    failing = [
        clf_line(second, "/api/orders", 503) if second >= begin + 600 else b"" for second in range(begin, T0)
    ]
    log.write_bytes(b"".join(clf_line(second) * 2 + failing[second - begin] for second in range(begin, T0)))
    others = (ErrorRateRule(5, 120, min_requests=100), SectionRateRule(0.5, 120, section="/api"))
    monitor, stdout = start(log, out, T0, others=others)
    found = rows(out / "alerts.csv")
    # 5xx: 13 errors in 253 requests, 12 s into the episode; /api: 61 > 60 hits, 60 s in.
    assert [(row["time"], row["rule"], row["onset"]) for row in found] == [
        (iso_utc(begin + 612), "error_rate_5xx", "crossed"),
        (iso_utc(begin + 660), "section_rate:/api", "crossed"),
    ]
    assert found[0]["message"] == (
        f"High error rate generated an alert - 5xx = 5.14% of 253 requests, triggered at {iso(begin + 612)}"
    )
    assert all(row["message"] in stdout.getvalue() for row in found)
    known_from = monitor.engine.known_from
    assert known_from is not None and known_from > begin + 660 + 120, "beyond the read-back"
    backtest([log], [10], 120, out=out / "backtest", rules=others)
    columns = ("time", "rule", "message", "drivers")  # drivers read from beyond the read-back too
    assert [tuple(row[c] for c in columns) for row in rows(out / "backtest" / "alerts.csv")] == [
        tuple(row[c] for c in columns) for row in found
    ]
    assert found[0]["drivers"].startswith("driven by /api +")


def test_a_rule_added_at_a_restart_mid_episode_writes_its_real_crossing(tmp_path: Path) -> None:
    """A monitor of high traffic alone leaves a checkpoint 25 minutes into an error episode; it
    restarts with the error-rate and /api rules added. They have no record: each reads back to
    the second it crossed, as a backtest places it, never the restart's."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    begin = T0 - 2400

    def lines(since: int, until: int) -> bytes:
        api = lambda second: clf_line(second, "/api/orders", 503) if second >= begin + 600 else b""  # noqa: E731
        return b"".join(clf_line(second) * 2 + api(second) for second in range(since, until))

    log.write_bytes(lines(begin, T0 - 300))
    start(log, out, T0 - 300)
    assert rows(out / "alerts.csv") == [] and (out / "checkpoint.json").exists()
    with open(log, "ab") as handle:
        handle.write(lines(T0 - 300, T0))
    others = (ErrorRateRule(5, 120, min_requests=100), SectionRateRule(0.5, 120, section="/api"))
    start(log, out, T0, others=others)
    found = [(row["time"], row["rule"], row["onset"]) for row in rows(out / "alerts.csv")]
    assert found == [
        (iso_utc(begin + 612), "error_rate_5xx", "crossed"),
        (iso_utc(begin + 660), "section_rate:/api", "crossed"),
    ]
    backtest([log], [10], 120, out=out / "backtest", rules=others)
    backtested = rows(out / "backtest" / "alerts.csv")
    assert [(row["time"], row["rule"], row["drivers"]) for row in backtested] == [
        (row["time"], row["rule"], row["drivers"]) for row in rows(out / "alerts.csv")
    ]
    assert [(row["time"], row["rule"]) for row in backtested] == [(time, rule) for time, rule, _ in found]


def test_a_quiet_log_needs_no_look_back(tmp_path: Path) -> None:
    log, out = tmp_path / "access.log", tmp_path / "out"
    data, _ = traffic([(T0 - 2400, 2400, 2)])
    log.write_bytes(data)
    monitor, _ = start(log, out, T0)
    assert rows(out / "alerts.csv") == [] and not monitor.engine.alert_on


def test_reading_backwards_yields_every_complete_line_once(tmp_path: Path) -> None:
    """Pieces of any size: each complete line once, a line still being written never."""
    log = tmp_path / "access.log"
    data, seconds = traffic([(T0, 300, 3)])
    log.write_bytes(data + clf_line(T0 + 400)[:30])
    settings_ = settings(log, tmp_path)

    for piece in (100, 997, 1 << 20):
        lookback.PIECE_BYTES, saved = piece, lookback.PIECE_BYTES
        try:
            with open(log, "rb") as handle:
                found = np.concatenate([seconds_of(f) for f in backward_frames(handle, str(log), settings_)])
        finally:
            lookback.PIECE_BYTES = saved
        assert sorted(found.tolist()) == seconds
    first, counts = file_counts(str(log), settings_, T0 + 100, T0 + 199)
    assert first == T0 + 100 and counts.tolist() == [[3] * 100]
    first, counts = file_counts(str(log), settings_, T0 - 100, T0 + 199)
    assert first == T0, "complete only from the log's first line"


@pytest.mark.parametrize(("columns", "lines"), [(80, 24), (120, 40)])
def test_a_real_monitor_in_a_terminal_writes_the_real_crossing_and_the_already_on_wording(
    tmp_path: Path, columns: int, lines: int
) -> None:
    """A real process in a pty: started 30 minutes into an episode it shows and writes the second
    the average crossed; over a log hot from its first line it says it was already on."""
    now = int(time.time())
    for name, stretches, wording in (
        ("midway", [(now - 2400, 600, 2), (now - 1800, 1800, 60)], "triggered at"),
        ("hot", [(now - 1800, 1800, 60)], "already on when monitoring started"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        data, seconds = traffic(stretches)
        (folder / "access.log").write_bytes(data)
        if name == "midway":
            ((expected, _, _),) = true_transitions(seconds, now - 1)
        else:
            expected = now - 1800 + 20
        stamp = iso(expected)
        terminal = PtyProcess(
            [sys.executable, "-m", "analyzer", str(folder / "access.log"), "--out", str(folder / "out")],
            columns,
            lines,
        )
        try:
            screen = terminal.wait_for(
                lambda rows, stamp=stamp: any(stamp in row for row in rows), f"{stamp} on screen"
            )
            text = " ".join(" ".join(row.split()) for row in screen)
            assert all(word in text for word in wording.split()), "\n".join(screen)
            terminal.type(b"q")
            assert terminal.finish() == 0
        finally:
            terminal.close()
        (row,) = rows(folder / "out" / "alerts.csv")
        assert (row["time"], row["onset"]) == (iso_utc(expected), "crossed" if name == "midway" else "before")
        assert wording in row["message"]
