"""--only / --exclude: the terms, the rows they keep, and a backtest that equals the live
monitor on the same log with the crawlers left out."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analyzer.core.alerts import ALERT, AlertRule
from analyzer.core.drivers import drivers_text
from analyzer.formats.clf import parse
from analyzer.formats.parsers import make_parser
from analyzer.formats.select import SelectError, is_bot, selected, selection
from analyzer.offline.backtest import backtest
from tests.offline.test_drivers import T0, line, live_alerts

LINES = (
    b'1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET /api/x HTTP/1.1" 200 5 "-" "Googlebot/2.1"\n'
    b"garbage\n"
    b'10.1.2.3 - - [01/Jan/2025:00:00:01 +0000] "GET /pages/y HTTP/1.1" 503 5 "-" "Mozilla/5.0"\n'
    b'10.1.2.4 - - [01/Jan/2025:00:00:02 +0000] "GET /api/z HTTP/1.1" 404 5 "-" "curl/8.0"\n'
)


@pytest.mark.parametrize(
    ("only", "exclude", "paths"),
    [
        (None, ["agent:bot"], ["/pages/y"]),
        (["host:10.0.0.0/8"], None, ["/pages/y", "/api/z"]),
        (["host:1.2.3.4"], None, ["/api/x"]),
        (["5xx"], None, ["/pages/y"]),
        (["/api 4xx"], None, ["/api/z"]),
        (["/api", "5xx"], None, ["/api/x", "/pages/y", "/api/z"]),
        (["section:/api"], ["status:404"], ["/api/x"]),
        (None, ["agent:MOZ"], ["/api/x", "/api/z"]),
    ],
)
def test_terms_keep_the_matching_requests_and_every_rejected_line(
    only: list[str] | None, exclude: list[str] | None, paths: list[str]
) -> None:
    parsed = selected(parse(LINES), selection(only, exclude))
    assert parsed.frame["path"].astype(str).tolist() == paths
    assert parsed.rejected == 1
    assert parsed.lines == len(paths) + 1  # a skipped line is no line
    garbage = 1 - int(not {"/api/x"} & set(paths))  # moved up over a skipped first line
    assert parsed.rejected_at.tolist() == [garbage]


@pytest.mark.parametrize("text", ["", "host:", "nothing", "host:10.0.0.0/99", "status:abc", "section:api"])
def test_a_bad_expression_names_its_term(text: str) -> None:
    with pytest.raises(SelectError):
        selection([text], None)


def test_bots_and_the_words_of_a_selection() -> None:
    agents = np.array(["Mozilla/5.0", "Googlebot/2.1", "python-requests/2.31", "curl/8", "Safari"], object)
    assert is_bot(agents).tolist() == [False, True, True, True, False]
    assert (
        selection(["host:10.0.0.0/8 5xx"], ["agent:bot"]).words()
        == "only host:10.0.0.0/8 5xx, without agent:bot"
    )
    assert not selection(None, None)


def bot_and_human_log() -> list[tuple[float, bytes]]:
    """Humans at 2 req/s, a crawler at 8 req/s for 60 s, then humans at 8 req/s for 60 s."""
    found = []
    for offset in range(300):
        second = T0 + offset
        humans = 8 if 180 <= offset < 240 else 2
        for i in range(humans):
            found.append((second + 0.5, line(second, f"10.0.0.{i}", "/pages/a", "Mozilla/5.0")))
        if 60 <= offset < 120:
            for i in range(8):
                found.append((second + 0.7, line(second, "66.249.66.1", f"/p/{i}", "Googlebot/2.1")))
    return found


def test_a_backtest_without_crawlers_equals_the_live_monitor_without_them(tmp_path: Path) -> None:
    arrivals = bot_and_human_log()
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(text for _, text in arrivals))
    rule = AlertRule(threshold=4, window=20)
    chosen = selection(None, ["agent:bot"])
    everything = [t for t in backtest([log], [4], 20).alert_rows.itertuples() if t.kind == ALERT]
    offline = [t for t in backtest([log], [4], 20, chosen=chosen).alert_rows.itertuples() if t.kind == ALERT]
    assert len(everything) == 2 and len(offline) == 1  # the crawler's spike alerts no more
    parser = make_parser("combined", None, chosen)
    live = live_alerts(arrivals, rule, [1.0], parse_lines=parser.parse)
    assert [(t.message, drivers_text(t.drivers)) for t in live] == [(t.message, t.drivers) for t in offline]
    assert "Googlebot" not in str(offline[0].drivers)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "backtest", str(log), "--threshold", "4", "--window", "20",
         "--exclude", "agent:bot", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open(out / "stats.csv", newline="", encoding="utf-8") as handle:
        assert sum(int(row["requests"]) for row in csv.DictReader(handle)) == 300 * 2 + 60 * 6
    with open(out / "alerts.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == ALERT]
    assert [row["message"] for row in rows] == [t.message for t in live]
    bad = subprocess.run(
        [sys.executable, "-m", "analyzer", "backtest", str(log), "--only", "agent"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "agent" in bad.stderr and "Traceback" not in bad.stderr
