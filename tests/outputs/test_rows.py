"""CSV rows: the exact cells of alerts.csv, stats.csv and sections.csv."""

from __future__ import annotations

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Driver, Transition
from analyzer.core.engine import Engine
from analyzer.formats.clf import parse
from analyzer.formats.w3c import W3cParser
from analyzer.outputs.rows import ALERT_FIELDS, STATS_FIELDS, alert_row, section_rows, stats_row
from tests.conftest import NO_BYTES_LOG, clf_line

T0 = 1_764_299_400  # 2025-11-28T03:10:00Z


def test_alert_rows_hold_the_message_and_the_rate_it_prints() -> None:
    rule = AlertRule(threshold=0.5, window=120)
    row = alert_row(Transition(T0 + 5, ALERT, 61, rule))
    assert dict(zip(ALERT_FIELDS, row, strict=True)) == {
        "time": "2025-11-28T03:10:05Z",
        "kind": "alert",
        "hits": "0.51",
        "threshold": "0.5",
        "window_s": 120,
        "message": "High traffic generated an alert - hits = 0.51, triggered at 2025-11-28T03:10:05+00:00",
        "recovery": "",
        "onset": "crossed",
        "drivers": "",
        "rule": "high_traffic",
    }
    assert alert_row(Transition(T0, RECOVERED, 60, rule))[2] == "0.50"
    hostile = (Driver("host", "203.0.113.7", 4120, 0.62), Driver("agent", '\x1b[2J,"x"', 3, 0.01))
    cells = alert_row(Transition(T0 + 5, ALERT, 61, rule, drivers=hostile))
    assert cells[-2] == r'driven by host 203.0.113.7 +4,120 (62%), agent "\x1b[2J,\"x\"" +3 (1%)'


def test_a_stats_row_has_every_column_and_empty_latency_without_durations() -> None:
    engine = Engine(AlertRule(threshold=100, window=10), lateness=0)
    lines = b"".join(
        clf_line(T0 + i % 3, path=f"/s{i % 2}/x", status=500 if i == 0 else 200) for i in range(6)
    )
    engine.ingest(parse(lines + b"junk\n"))
    report = engine.report(T0 + 10, 10)
    row = dict(zip(STATS_FIELDS, stats_row(report), strict=True))
    assert len(stats_row(report)) == len(STATS_FIELDS)
    assert (row["time"], row["requests"], row["rejected"], row["rate"]) == (
        "2025-11-28T03:10:10Z",
        6,
        1,
        "0.600",
    )
    assert (row["5xx"], row["2xx"], row["error_rate"]) == (1, 5, "0.1667")
    assert row["top_section"] == "/s0"
    assert (row["latency_p50"], row["latency_p90"], row["latency_p99"]) == ("", "", "")
    assert section_rows(report) == [("2025-11-28T03:10:10Z", "/s0", 3), ("2025-11-28T03:10:10Z", "/s1", 3)]


def test_a_log_without_sizes_leaves_the_size_cells_empty_not_zero() -> None:
    engine = Engine(AlertRule(threshold=100, window=10), lateness=0)
    engine.ingest(W3cParser().parse(NO_BYTES_LOG))
    row = dict(zip(STATS_FIELDS, stats_row(engine.report(T0 + 10, 10)), strict=True))
    assert row["requests"] == 2
    assert (row["bytes"], row["size_p50"], row["size_p90"], row["size_p99"]) == ("", "", "", "")
