"""One detection, everywhere: `check`, the monitor, replay and backtest choose a log's format
the same way and count its lines the same way (issue 24).

Run as a user runs them (`python -m analyzer ...`, real processes) on every shared real log and
the sample log. The shared logs lie beside the clone, in CI too (tests/conftest.SHARED_LOGS):
their absence is a failure here, not a skip, so a gap cannot hide.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from analyzer.live.files import choose_format, parser_for
from analyzer.offline.doctor import diagnose
from analyzer.offline.reader import check_log
from tests.conftest import REPO, SAMPLE_LOG, SHARED_LOGS

# name: format, requests, rejected (lines = requests + rejected + W3C directives)
EXPECTED = {
    "apache_combined_elastic-examples_2015-05-17_2015-05-20.log": ("combined", 10_000, 0),
    "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz": ("combined", 28_939, 0),
    "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log": ("w3c", 14_318, 0),
    # nginx timing fields after the agent: read by Combined (669 request times); the two lines cut
    # short in their agent are requests without one, by every command
    "nginx_combined_timing_dbadmins-ru_2019-08-14.log": ("combined", 671, 0),
    "access.log": ("combined", 13_490, 14),
}


def log_path(name: str) -> Path:
    path = SAMPLE_LOG if name == "access.log" else SHARED_LOGS / name
    assert path.exists(), f"{path} is missing: the shared logs lie beside the repository, in CI too"
    return path


def test_every_shared_log_is_covered() -> None:
    assert sorted(path.name for path in SHARED_LOGS.glob("*.log*")) == sorted(set(EXPECTED) - {"access.log"})


def analyzer(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, (argv, done.stderr[-2000:])
    return done.stdout


def counted(pattern: str, text: str) -> tuple[int, int]:
    found = re.search(pattern, text)
    assert found is not None, (pattern, text[-1500:])
    return int(found["requests"].replace(",", "")), int(found["rejected"].replace(",", ""))


def stats_sums(out: Path) -> tuple[int, int, int]:
    """Requests, rejected and rows with a latency percentile, summed over stats.csv."""
    with open(out / "stats.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (
        sum(int(row["requests"]) for row in rows),
        sum(int(row["rejected"]) for row in rows),
        sum(1 for row in rows if row["latency_p50"]),
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_backtest_and_replay_count_the_same(name: str, tmp_path: Path) -> None:
    fmt, requests, rejected = EXPECTED[name]
    path = str(log_path(name))
    checked = analyzer("check", path)
    assert re.search(rf"^  format:\s+{fmt}$", checked, re.MULTILINE), checked
    assert counted(
        r"lines:\s+[\d,]+: (?P<requests>[\d,]+) requests, (?P<rejected>[\d,]+) rejected", checked
    ) == (
        requests,
        rejected,
    )
    backtested = analyzer("backtest", path, "--out", str(tmp_path / "b"))
    assert counted(
        r"[\d,]+ lines: (?P<requests>[\d,]+) requests, (?P<rejected>[\d,]+) rejected", backtested
    ) == (
        requests,
        rejected,
    )
    assert stats_sums(tmp_path / "b")[:2] == (requests, rejected)
    # a report a day: the same lines, far fewer reports to write (the logs span days to a year)
    replay = ["replay", path, "--speed", "1e9", "--plain", "--interval", "86400", "--window", "86400"]
    analyzer(*replay, "--out", str(tmp_path / "r"))
    replayed = stats_sums(tmp_path / "r")
    assert replayed[:2] == (requests, rejected)
    if name.startswith("nginx"):  # rt= read as the request time: latency percentiles reported
        assert replayed[2] > 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_command_detects_the_same_format(name: str) -> None:
    """check (its doctor), backtest and replay (reader.check_log) and the monitor (files.choose_format,
    and its lean parser reading the whole file) agree on the format and the counts."""
    fmt, requests, rejected = EXPECTED[name]
    path = str(log_path(name))
    assert check_log(path) == fmt
    assert diagnose(path).fmt == fmt
    if path.endswith(".gz"):
        return  # the monitor follows plain files only
    assert choose_format(path, "auto") == fmt
    settings = cast(Any, SimpleNamespace(fmt="auto", log_format=None, chosen=None))
    parsed = parser_for(path, settings).parse(Path(path).read_bytes())
    assert (len(parsed.frame), parsed.rejected) == (requests, rejected)
