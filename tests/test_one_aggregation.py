"""One aggregation: the 10 s report of second T counts the requests of (T - 10, T], whoever
drives it. The live monitor (fake clock, lines arriving within the lateness), replay and backtest write
the same stats.csv and sections.csv rows for the same log: generated ones (hypothesis) and
every shared real log.

(Dask: tests/offline/test_cluster.py holds its CSVs equal to the in-process ones.) Compared:
every column but `alert_on` (a backtest tries several thresholds), `warm` and
`overruns` (the live monitor's own); the live monitor also writes the empty reports of a quiet
log (a row every interval says it was watching), which the others skip.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.live.monitor import Monitor
from analyzer.live.settings import Clock, Settings
from analyzer.offline.backtest import backtest
from tests.conftest import clf_line, shared_log
from tests.live.conftest import FakeClock, append
from tests.offline.test_replay import replayed

T0 = 1_764_300_000
LIVE_ONLY = ("alert_on", "warm", "overruns")
SHARED = (
    "apache_combined_elastic-examples_2015-05-17_2015-05-20.log",
    "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz",
    "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log",
    "nginx_combined_timing_dbadmins-ru_2019-08-14.log",
)


def report_rows(out: Path, name: str) -> list[dict[str, str]]:
    """The rows with lines in them, without the live monitor's own columns."""
    with open(out / name, newline="", encoding="utf-8") as handle:
        found = list(csv.DictReader(handle))
    if name == "stats.csv":
        found = [row for row in found if int(row["requests"]) or int(row["rejected"])]
    return [{key: value for key, value in row.items() if key not in LIVE_ONLY} for row in found]


def outputs(out: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return report_rows(out, "stats.csv"), report_rows(out, "sections.csv")


def live(arrivals: list[tuple[int, bytes]], rule: AlertRule, out: Path, lateness: int = 5) -> None:
    """The live monitor following a file whose lines are appended at their arrival seconds."""
    log = out.parent / f"{out.name}.log"
    log.write_bytes(b"")
    by_second: dict[int, bytes] = {}
    for second, line in arrivals:
        by_second[second] = by_second.get(second, b"") + line
    start, end = min(by_second) - 1, max(by_second) + lateness + 2

    def write(now: float) -> None:
        data = by_second.pop(int(now), b"")
        if data:
            append(log, data)

    clock = FakeClock(start, write)
    config = Settings(paths=[str(log)], rule=rule, interval=10, lateness=lateness, out=out, plain=True)
    Monitor(config, io.StringIO(), Clock(clock.now, clock.sleep, lambda: clock.time >= end)).run()


def generated(seconds: list[int], seed: int, late_by: int) -> tuple[bytes, list[tuple[int, bytes]]]:
    """A log of requests at `seconds`, written up to `late_by` seconds after their time (so
    out of order in the file by as much), with a rejected line now and then right after one
    (a rejected line has no time of its own: its report is the request's before it)."""
    rng = random.Random(seed)
    arrivals = []
    for second in seconds:
        path = f"/{rng.choice(['api', 'pages', 'img', 'blog'])}/{rng.randint(0, 30)}"
        line = clf_line(
            second, path=path, status=rng.choice([200, 200, 304, 404, 500]), size=rng.randint(0, 10**6)
        )
        arrival = second + rng.randint(0, late_by)
        arrivals.append((arrival, line))
        if rng.random() < 0.03:  # written right after a request: filed with it, in its report
            arrivals.append((arrival, b"not a log line\n"))
    arrivals.sort(key=lambda item: item[0])  # stable: the file's order is the arrival order
    return b"".join(line for _, line in arrivals), arrivals


# The window's rows (window_requests, window_rate) in 30 s, not 120: bursts as long, over
# 5 windows as before (gaps that empty it, bursts that overlap), in a quarter of the seconds
# the live monitor polls one by one.
WINDOW = 30


@settings(max_examples=12, deadline=None)
@given(
    bursts=st.lists(
        st.tuples(st.integers(0, 5 * WINDOW), st.integers(1, 40), st.integers(1, 8)), min_size=1, max_size=8
    ),
    seed=st.integers(0, 2**32 - 1),
    late_by=st.integers(0, 5),
)
def test_live_replay_and_backtest_write_the_same_reports(
    tmp_path_factory: pytest.TempPathFactory, bursts: list[tuple[int, int, int]], seed: int, late_by: int
) -> None:
    folder = tmp_path_factory.mktemp("one")
    seconds = sorted(
        T0 + start + i for start, length, rate in bursts for i in range(length) for _ in range(rate)
    )
    data, arrivals = generated(seconds, seed, late_by)
    log = folder / "access.log"
    log.write_bytes(data)
    rule = AlertRule(threshold=2, window=WINDOW)
    live(arrivals, rule, folder / "live")
    replayed([log], rule, folder / "replay")
    backtest([log], [rule.threshold], rule.window, out=folder / "backtest")
    expected = outputs(folder / "backtest")
    assert expected[0], "the log has reports"
    assert outputs(folder / "replay") == expected
    assert outputs(folder / "live") == expected


@pytest.mark.parametrize("name", SHARED)
def test_replay_and_backtest_write_the_same_reports_and_alerts_of_the_real_logs(
    name: str, tmp_path: Path
) -> None:
    """Half out of order (elastic), gzip with binary requests, a year of W3C with gaps, nginx
    timings: replay and backtest write the same rows and the same alerts. (Backtest on Dask
    writes the in-process CSVs byte for byte: tests/offline/test_cluster.py.)"""
    log = shared_log(name)
    # Heads, for the suite's time: a report costs replay milliseconds, and these span weeks.
    if name.startswith("iis"):  # its first 10 weeks (8,000 lines, 4,871 of them directives)
        head = b"\n".join(log.read_bytes().split(b"\n")[:8000]) + b"\n"
        log = tmp_path / name
        log.write_bytes(head)
    elif name.startswith("apache_combined_phpmyadmin"):  # 10,000 lines, 3,082 reports (of 14,580),
        # still gzip, with escaped binary requests, `OPTIONS *`, a `"-"` 408 and 500s among them
        head = b"\n".join(gzip.decompress(log.read_bytes()).split(b"\n")[:10_000]) + b"\n"
        log = tmp_path / name
        log.write_bytes(gzip.compress(head))
    rule = AlertRule(threshold=0.05 if name.startswith("nginx") else 0.5, window=120)
    alerts = replayed([log], rule, tmp_path / "replay")
    backtest([log], [rule.threshold], rule.window, out=tmp_path / "backtest")
    expected = outputs(tmp_path / "backtest")
    assert expected[0]
    assert outputs(tmp_path / "replay") == expected
    with open(tmp_path / "backtest" / "alerts.csv", newline="", encoding="utf-8") as handle:
        assert alerts == list(csv.DictReader(handle))
    assert alerts, "the threshold is low enough to fire"
