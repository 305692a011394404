"""Rendering: sizes are human, the dashboard shows what happened and never emits raw controls."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition
from analyzer.core.engine import Engine, FileStatus, Report
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.formats.clf import parse
from analyzer.formats.w3c import W3cParser
from analyzer.ui.render import alerts_line, human_bytes, render_report
from tests.conftest import NO_BYTES_LOG, clf_line

T0 = 1_800_000_000  # 2027-01-15T08:00:00Z
EVIL_PATH = "/\x1b]0;pwned\x07"
EVIL_REJECT = b"garbage \x1b[2J\x1b[31m line\x9b\n"
# Any control character except the report's own newlines.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1499, "1.5 kB"),
        (123_456, "123.5 kB"),
        (999_949, "999.9 kB"),
        (999_999, "1.0 MB"),
        (1_000_000, "1.0 MB"),
        (2_500_000_000, "2.5 GB"),
        (5_000_000_000_000, "5,000.0 GB"),
        (-1500, "-1.5 kB"),
    ],
)
def test_human_bytes(count: float, text: str) -> None:
    """human_bytes uses decimal units B..GB, one decimal above bytes, never 1,000.0 of a unit below GB."""
    assert human_bytes(count) == text


def engine_report() -> Report:
    """A report from an Engine that saw an alert fire and recover, an ESC-laden path and rejected lines."""
    paths = ["/pages/a", "/blog/x", "/pages/b"]
    burst = b"".join(clf_line(T0 + i // 3, path=paths[i % 3]) for i in range(90))  # 3 req/s for 30 s
    tail = b"".join(clf_line(T0 + s, path="/late/x", host="10.9.9.9") for s in (38, 39, 40))
    tail += clf_line(T0 + 39, path=EVIL_PATH, host="10.6.6.6")
    engine = Engine(AlertRule(threshold=1, window=10), lateness=5)
    engine.ingest(parse(burst + EVIL_REJECT + tail + b"\n"))
    found = engine.evaluate(T0 + 45)  # horizon T0 + 40
    assert [(t.second - T0, t.kind) for t in found] == [(3, "alert"), (36, "recovered")]
    return engine.report(T0 + 45, interval=10)


def test_render_report_shows_sections_the_alerts_so_far_and_rejects() -> None:
    """render_report lists the sections, hosts and the rejected samples, and says in one line
    how many alerts there were and the state now (the messages were printed as they came)."""
    report = engine_report()
    out = render_report(report, "analyzer test")
    lines = out.splitlines()
    assert lines[0] == "analyzer test | 2027-01-15T08:00:45Z | ok"
    assert lines[1] == "alerts: 1 so far, last recovered at 2027-01-15T08:00:36Z"
    assert "window hits > 10" in lines[2]
    # Window and interval of 10 s: the lines read in the interval told from those stamped in it.
    assert "read in last 10 s: 94 requests, 9.40 req/s" in out and "\nlast 10 s: 4 requests" in out
    assert "rejected 2, late 0 in the last 10 s; since start 94 requests, 2 rejected, 0 late" in out
    assert "High traffic" not in out and all(len(line) <= 80 for line in lines)
    table = lines[lines.index("top sections:") + 2 :]
    assert [row.split()[0] for row in table[:3]] == ["/late", "/\\x1b]0;pwned\\x07", "/pages"]
    assert any(row.split()[0] == "/blog" for row in table[:10])
    assert "10.9.9.9 3" in out and "10.6.6.6 1" in out
    heading = next(i for i, line in enumerate(lines) if line.startswith("rejected lines: 2 in the last 10 s"))
    assert "WARNING: over 1% of lines rejected" in lines[heading + 1]
    assert lines[heading + 2 :] == [
        "  binary garbage: 1 in the last 10 s, 1 since start",
        "    e.g. garbage \\x1b[2J\\x1b[31m line\\x9b",
        "  missing fields: 1 in the last 10 s, 1 since start",
        "    e.g. ",
    ]
    assert out.endswith("\n")


def test_render_report_never_emits_raw_control_characters() -> None:
    """An ESC-laden request path or rejected line never reaches the rendered text raw."""
    out = render_report(engine_report(), "t\x1b[2Jitle")
    assert "\x1b" not in out.replace("t\x1b[2Jitle", "")
    body = out.split("\n", 1)[1]
    assert RAW_CONTROL.search(body) is None
    assert EVIL_PATH not in out
    assert "/\\x1b]0;pwned\\x07" in out


def test_render_report_alert_on_and_empty_engine() -> None:
    """An engine with no traffic renders `(no requests)` and `(none yet)`; a firing alert shows ALERT ON."""
    quiet = Engine(AlertRule(threshold=10, window=120))
    quiet.evaluate(T0)
    out = render_report(quiet.report(T0, interval=10), "quiet")
    assert "| ok" in out.splitlines()[0]
    assert "  (no requests)" in out and "alerts: none so far" in out
    assert "rejected lines" not in out

    busy = Engine(AlertRule(threshold=1, window=10), lateness=0)
    busy.ingest(parse(b"".join(clf_line(T0 + 1) for _ in range(11))))
    busy.evaluate(T0 + 2)
    out = render_report(busy.report(T0 + 2, interval=10), "busy")
    assert out.splitlines()[:2] == [
        "busy | 2027-01-15T08:00:02Z | ALERT ON",
        "alerts: 1 so far, ALERT on since 2027-01-15T08:00:01Z",
    ]


def test_top_sets_the_hosts_shown_and_the_rest_is_not_a_host() -> None:
    """`--top 2`: two hosts by name, and what the others sent said as such, not as `(other)`."""
    engine = Engine(AlertRule(threshold=100, window=60), top=2)
    lines = b"".join(clf_line(T0, host=f"10.0.0.{i}") * (10 - i) for i in range(5))
    engine.ingest(parse(lines))
    text = render_report(engine.report(T0 + 1, 10), "t", top=2)
    hosts = next(line for line in text.splitlines() if line.startswith("top hosts"))
    assert hosts == "top hosts (60 s): 10.0.0.0 10, 10.0.0.1 9; 21 from other hosts"
    assert "(other)" not in hosts


def test_a_log_without_sizes_shows_n_a_not_0_b() -> None:
    engine = Engine(AlertRule(threshold=100, window=10), lateness=0)
    engine.ingest(W3cParser().parse(NO_BYTES_LOG))
    text = render_report(engine.report(1_764_299_410, 10), "t")
    assert "bytes served n/a" in text and "0 B served" not in text
    sized = Engine(AlertRule(threshold=100, window=10), lateness=0)
    sized.ingest(parse(clf_line(1_764_299_401)))
    assert "n/a" not in render_report(sized.report(1_764_299_410, 10), "t")


def test_a_block_is_laid_out_for_its_width_and_breaks_only_between_fields() -> None:
    """Every value whole on one line (grep finds it), no line over the width unless one value
    alone is wider; a narrower width gives more lines, never cut values."""
    report = replace(
        engine_report(), files=(FileStatus("/var/log/" + "d" * 90 + "/access.log", 1, 0, T0, "following", 3),)
    )
    for width in (60, 80, 120):
        lines = render_report(report, "analyzer: a long title of the monitor", 10, width).splitlines()
        assert all(len(line) <= width or " " not in line.strip() for line in lines), width
    narrow = render_report(report, "t", 10, 60)
    assert "  /var/log/" + "d" * 90 + "/access.log:" in narrow  # the path whole, on a line of its own
    assert "1 line," in narrow and "3 lines read back at start" in narrow  # one line, not `1 lines`
    for value in ("94 requests,", "9.40 req/s,", "10.9.9.9 3,", "2xx 94 (100.0%)"):
        assert value in narrow and value in render_report(report, "t", 10, 120)


def test_the_state_at_start_and_a_stale_log_are_said() -> None:
    out = render_report(
        engine_report(), "t", start=True, stale="newest line 9 days old: nothing in the window"
    )
    lines = out.splitlines()
    assert lines[0].endswith("| ok | state at start")
    warm = render_report(replace(engine_report(), warm=1), "t", start=True).splitlines()[0]
    assert warm.endswith("| ok | state at start (1 line read back)")
    assert "newest line 9 days old: nothing in the window" in lines


def test_the_alerts_line_says_the_count_and_the_state() -> None:
    report = engine_report()
    alert, recovered = report.history
    assert alerts_line(replace(report, history=[])) == "alerts: none so far"
    assert (
        alerts_line(replace(report, history=[], alert_on=True))
        == "alerts: none so far, ALERT on (restored at start)"
    )
    assert alerts_line(replace(report, history=[alert], alert_on=True)).endswith(
        "ALERT on since 2027-01-15T08:00:03Z"
    )
    before = replace(alert, onset=BEFORE)
    assert alerts_line(replace(report, history=[alert, recovered, before])) == (
        "alerts: 2 so far, ALERT on since before 2027-01-15T08:00:03Z"
    )

    # A poll judges ahead of the reports it writes: a block tells no transition after its second.
    early = replace(report, time=alert.second - 1)
    assert alerts_line(early) == "alerts: none so far"
    assert alerts_line(replace(report, time=recovered.second - 1)).endswith(
        "1 so far, ALERT on since 2027-01-15T08:00:03Z"
    )


def test_the_alerts_line_tells_each_rules_state_the_other_rules_named() -> None:
    """Another rule's transitions do not hide the high-traffic rule's state, nor it theirs."""
    report = engine_report()
    report = replace(report, time=T0 + 60)  # after every transition below
    alert, recovered = report.history
    errors = ErrorRateRule(5, 10, min_requests=10)
    error_alert = Transition(T0 + 20, ALERT, 3, errors, volume=30)
    error_recovered = replace(error_alert, second=T0 + 50, kind=RECOVERED)
    assert alerts_line(replace(report, history=[alert, error_alert], alert_on=True)) == (
        "alerts: 2 so far, ALERT on since 2027-01-15T08:00:03Z, "
        "ALERT on since 2027-01-15T08:00:20Z (error_rate_5xx)"
    )
    assert alerts_line(replace(report, history=[alert, error_alert, recovered])) == (
        "alerts: 2 so far, ALERT on since 2027-01-15T08:00:20Z (error_rate_5xx)"
    )
    assert alerts_line(replace(report, history=[error_alert, error_recovered], alert_on=True)) == (
        "alerts: 1 so far, ALERT on (restored at start)"
    )
    assert alerts_line(replace(report, history=[alert, error_alert, recovered, error_recovered])) == (
        "alerts: 2 so far, last recovered at 2027-01-15T08:00:50Z"
    )


def test_with_other_rules_the_block_header_tells_each_rule_its_value_and_state() -> None:
    """An error-rate alert on while traffic is quiet: the block says ALERT ON, and one line per
    rule its value against its limit and its state; too few requests to judge are said."""
    errors, api = ErrorRateRule(5, 10, min_requests=10), SectionRateRule(0.2, 10, section="/api")
    engine = Engine(AlertRule(threshold=10, window=10), lateness=0, others=(errors, api))
    lines = b"".join(clf_line(T0 + s // 2) for s in range(60))  # 2 req/s for 30 s
    lines += b"".join(clf_line(T0 + 25 + s, "/api/orders", status=503) for s in range(3))
    engine.ingest(parse(lines))
    engine.evaluate(T0 + 28)
    out = render_report(engine.report(T0 + 28, interval=10), "rules", width=80).splitlines()
    assert out[0] == "rules | 2027-01-15T08:00:28Z | ALERT ON"
    assert out[2:7] == [
        "high traffic: avg 2.30 ≤ 10 req/s (window 10 s, alert at hits > 100): ok",
        "error rate: 5xx 13.04% > 5% (window 10 s, 23 requests, judged from 10):",
        "  ALERT ON since 2027-01-15T08:00:26Z",  # 1 in 21 at 25 is not over 5%
        "section: /api 0.30 > 0.2 req/s (window 10 s, alert at hits > 2):",
        "  ALERT ON since 2027-01-15T08:00:27Z",
    ]
    engine.evaluate(T0 + 60)  # both recovered: the window emptied
    quiet = render_report(engine.report(T0 + 60, interval=10), "rules", width=200).splitlines()
    assert quiet[0] == "rules | 2027-01-15T08:01:00Z | ok"
    assert quiet[3] == "error rate: 5xx 0.00%, 0 req < min 10 (window 10 s, judged from 10 requests): ok"
