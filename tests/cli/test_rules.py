"""The other rules' options (--error-rate, --errors, --error-rate-min, --error-recovery,
--section-rate): parsed, refused with one line, and real backtest and replay processes."""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli.rules import other_rules, section_rate
from analyzer.core.rules import ErrorRateRule, SectionRateRule, rule_label
from tests.cli.conftest import assert_usage_error
from tests.conftest import REPO, clf_line

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def error_log(tmp_path: Path) -> Path:
    """60 s of 2 req/s answered 200 on /pages, plus one 503 on /api a second over seconds 20-24
    and one 404 on /api a second over seconds 40-44. With a 10 s window, errors judged over
    at least 10 requests: the 5xx share is 1/21 at second 20 and 2/22 at 21; the 4xx+5xx
    share the same at 40 and 41."""
    lines = []
    for second in range(60):
        lines += [clf_line(T0 + second)] * 2
        if 20 <= second < 25:
            lines.append(clf_line(T0 + second, "/api/orders", status=503))
        if 40 <= second < 45:
            lines.append(clf_line(T0 + second, "/api/orders", status=404))
    path = tmp_path / "access.log"
    path.write_bytes(b"".join(lines))
    return path


def analyzer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def alert_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "alerts.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def at(second: int) -> str:
    return f"2026-01-01T00:00:{second:02d}Z"


def test_a_backtest_sweeps_the_error_rate_and_a_sections_rate(error_log: Path, tmp_path: Path) -> None:
    """`backtest LOG --error-rate 1 5 --errors 4xx+5xx --section-rate ...`: a row per rule and
    value in the table, and alerts.csv's rows name their rule."""
    out = tmp_path / "out"
    done = analyzer(
        "backtest", str(error_log), "--window", "10", "--out", str(out),
        "--error-rate", "1", "5", "--errors", "4xx+5xx", "--error-rate-min", "10",
        "--section-rate", "/pages=2", "--section-rate", "/pages/=1.5",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    table = done.stdout.splitlines()[2:8]
    assert table[0].split() == ["rule", "threshold", "alerts", "in", "alert", "longest", "share",
                                "short<5m", "on", "at", "end"]  # fmt: skip
    # 1%: on at 20 (1 error in 21) until the 503s leave the window (34), again from 40 to 54;
    # 5%: from 21 (2 in 22) to 33 (1 in 21), and 41 to 53. /pages: 16 > 15 hits from second 7.
    assert [line.split() for line in table[1:]] == [
        ["high", "traffic", "10", "0", "0m00s", "0m00s", "0.00%", "0", "no"],
        ["error", "rate", "4xx+5xx", "1%", "2", "0m28s", "0m14s", "46.67%", "2", "no"],
        ["error", "rate", "4xx+5xx", "5%", "2", "0m24s", "0m12s", "40.00%", "2", "no"],
        ["section", "/pages", "2", "0", "0m00s", "0m00s", "0.00%", "0", "no"],
        ["section", "/pages", "1.5", "1", "0m53s", "0m53s", "88.33%", "1", "yes"],
    ]
    rows = alert_rows(out)
    assert list(rows[0])[-1] == "rule"  # appended after every older column
    errors = [(r["time"], r["kind"], r["threshold"]) for r in rows if r["rule"] == "error_rate_4xx+5xx"]
    assert sorted(errors) == sorted(
        [(at(20), "alert", "1"), (at(34), "recovered", "1"), (at(40), "alert", "1"),
         (at(54), "recovered", "1"), (at(21), "alert", "5"), (at(33), "recovered", "5"),
         (at(41), "alert", "5"), (at(53), "recovered", "5")]
    )  # fmt: skip
    first = next(r for r in rows if r["rule"] == "error_rate_4xx+5xx")
    assert first["message"] == (
        "High error rate generated an alert - 4xx+5xx = 4.76% of 21 requests, "
        "triggered at 2026-01-01T00:00:20+00:00"
    )
    assert [(r["time"], r["rule"]) for r in rows if r["rule"].startswith("section")] == [
        (at(7), "section_rate:/pages")
    ]


def test_a_plain_replay_prints_the_error_rate_alert_once_and_writes_the_backtests_rows(
    error_log: Path, tmp_path: Path
) -> None:
    """The same rules through the live monitor on the log's clock: each transition printed
    once in --plain, and alerts.csv byte for byte the backtest's."""
    rules = ["--window", "10", "--error-rate", "5", "--error-rate-min", "10", "--section-rate", "/api=0.2"]
    replayed = analyzer("replay", str(error_log), "--speed", "1000", "--interval", "5", "--plain",
                        "--out", str(tmp_path / "r"), *rules)  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    text = replayed.stdout
    alert = (
        "High error rate generated an alert - 5xx = 9.09% of 22 requests, "
        "triggered at 2026-01-01T00:00:21+00:00"
    )
    assert text.count(alert) == 1
    assert text.count("High error rate alert recovered - 5xx = 4.76% of 21 requests, recovered at") == 1
    assert text.count("High traffic on /api generated an alert - hits = 0.30, triggered at") == 2
    assert "High traffic generated" not in text
    # Each block tells every rule: traffic is quiet, yet the block at 45 s says ALERT ON (/api's).
    flat = " ".join(text.split())
    assert "| 2026-01-01T00:00:45Z | ALERT ON alerts: " in flat
    assert "high traffic: avg 2.50 ≤ 10 req/s (window 10 s, alert at hits > 100): ok" in flat
    assert (
        "error rate: 5xx 20.00% > 5% (window 10 s, 25 requests, judged from 10): "
        "ALERT ON since 2026-01-01T00:00:21Z section: /api 0.50 > 0.2 req/s" in flat
    )
    backtested = analyzer("backtest", str(error_log), "--out", str(tmp_path / "b"), *rules)
    assert backtested.returncode == 0, backtested.stderr
    assert (tmp_path / "r" / "alerts.csv").read_text() == (tmp_path / "b" / "alerts.csv").read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--error-rate", "0"], "above 0 and below 100, got 0"),
        (["--error-rate", "100"], "below 100, got 100"),
        (["--error-rate", "nan"], "--error-rate"),
        (["--error-rate", "five"], "not a number: 'five'"),
        (["--errors", "4xx"], "invalid choice: '4xx'"),
        (["--errors", "4xx+5xx"], "--errors applies to an error-rate rule: give --error-rate PCT"),
        (["--error-rate-min", "50"], "--error-rate-min applies to an error-rate rule"),
        (["--error-rate", "5", "--error-rate-min", "0"], "--error-rate-min: must be >= 1, got 0"),
        (["--error-rate", "5", "--error-rate-min", "1.5"], "not a whole number"),
        (["--error-rate", "5", "--error-recovery", "5"], "below --error-rate (5), got 5"),
        (["--error-recovery", "1"], "--error-recovery applies to an error-rate rule"),
        (["--section-rate", "/api"], "expected SECTION=REQ_PER_S"),
        (["--section-rate", "api=3"], "'api' is not a section"),
        (["--section-rate", "/api/v1=3"], "/api/v1 is not a section: a section is what comes before"),
        (["--section-rate", "/api=0"], "req/s must be a finite number > 0, got 0"),
        (["--section-rate", "/api=inf"], "finite"),
        (["--section-rate", "/api=lots"], "not a number of req/s: 'lots'"),
    ],
)
def test_bad_values_are_one_line_and_exit_2_for_the_monitor(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(T0))
    assert_usage_error([str(log), "--out", str(tmp_path / "o"), *argv], expected)


def test_bad_values_are_one_line_and_exit_2_in_real_backtest_and_replay_processes(
    error_log: Path, tmp_path: Path
) -> None:
    for command, argv in [
        ("backtest", ["--error-rate", "1", "150"]),
        ("backtest", ["--errors", "4xx+5xx"]),
        ("replay", ["--section-rate", "/api/v1=3"]),
    ]:
        done = analyzer(command, str(error_log), "--out", str(tmp_path / command), *argv)
        assert done.returncode == 2
        assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("analyzer: error: ")
    assert not (tmp_path / "backtest").exists()


def test_the_rules_of_the_options() -> None:
    """One value live, several swept (a value given twice is one rule); a section's trailing
    slash is the section's; the defaults: 5xx over at least 100 requests."""
    args = argparse.Namespace(error_rate=[1.0, 5.0, 1.0], errors=None, error_rate_min=None,
                              section_rate=[("/api", 20.0), ("/api", 20.0), ("/", 5.0)])  # fmt: skip
    assert other_rules(args, 60) == (
        ErrorRateRule(1.0, 60, None, min_requests=100, classes="5xx"),
        ErrorRateRule(5.0, 60, None, min_requests=100, classes="5xx"),
        SectionRateRule(20.0, 60, section="/api"),
        SectionRateRule(5.0, 60, section="/"),
    )
    live = argparse.Namespace(error_rate=2.5, errors="4xx+5xx", error_rate_min=10, error_recovery=1.0,
                              section_rate=None)  # fmt: skip
    assert other_rules(live, 120) == (ErrorRateRule(2.5, 120, 1.0, min_requests=10, classes="4xx+5xx"),)
    none = argparse.Namespace(error_rate=None, errors=None, error_rate_min=None, section_rate=None)
    assert other_rules(none, 120) == ()
    assert section_rate("/api/=2.5") == ("/api", 2.5)
    assert section_rate("http://my.site.com/pages=1") == ("http://my.site.com/pages", 1.0)
    assert section_rate("/a=b=3") == ("/a=b", 3.0)
    assert [rule_label(rule.name) for rule in other_rules(args, 60)] == [
        "error rate 5xx", "error rate 5xx", "section /api", "section /"
    ]  # fmt: skip
    assert rule_label("high_traffic") == "high traffic"


def test_help_shows_the_rules_with_their_syntax() -> None:
    for command in (["--help"], ["replay", "--help"], ["backtest", "--help"]):
        done = analyzer(*command)
        assert done.returncode == 0
        for text in ("--error-rate PCT", "--errors {5xx,4xx+5xx}", "--error-rate-min N", "SECTION=REQ_PER_S"):
            assert text in done.stdout, (command, text)
