"""The status line: the state first and always, the rest as the width allows; the summary rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.ui.cells import plain
from analyzer.ui.display import Status
from analyzer.ui.header import age, alert_on, clock, status_line, summary_lines
from tests.ui.conftest import T0, line_cells, make_report

OK = Status(
    now=T0 + 5.5, alert_since=None, average=1.25, threshold=10, window=120, rate_now=2.4, files=2, newest=T0
)
ALERTING = replace(OK, alert_since=T0 - 55, average=17.1)


def test_clock_and_age_read_as_a_person_says_them() -> None:
    assert clock(T0) == "08:00:00" and clock(T0, date=True) == "2027-01-15 08:00:00"
    assert [age(s) for s in (45, 720, 5 * 3600, 3 * 86400)] == ["45 s", "12 min", "5 hours", "3 days"]


def test_an_alert_shows_since_when_in_its_style() -> None:
    line = status_line(ALERTING, None, False, 120)
    assert plain(line).startswith("ALERT since 07:59:05 │ avg 17.10 > 10 req/s (120 s) │ now 2.4 req/s")
    assert (
        line[0].style == "state-alert"
        and "2027-01-15 08:00:05 UTC" in plain(line)
        and "2 files" in plain(line)
    )
    assert plain(status_line(OK, None, False, 120)).startswith("OK │ avg 1.25 ≤ 10 req/s")


def test_at_80_columns_the_time_stays_and_the_files_go() -> None:
    text = plain(status_line(ALERTING, None, False, 80))
    assert text.startswith("ALERT since 07:59:05") and "08:00:05" in text and "files" not in text
    assert len(text) <= 80


def test_a_stale_log_says_the_window_is_empty_and_where_to_look() -> None:
    stale = replace(OK, newest=T0 - 3 * 86400)
    wide = plain(status_line(stale, None, False, 160))
    assert "newest line 3 days old: nothing in the window; replay or backtest look at the past" in wide
    narrow = plain(status_line(stale, None, False, 80))
    assert narrow.startswith("OK │ newest line 3 days old: nothing in the window") and len(narrow) <= 80


def test_a_replay_shows_its_speed_and_pause_and_a_paused_screen_says_so() -> None:
    assert "replay 60x" in plain(status_line(replace(OK, speed=60.0), None, False, 120))
    assert "replay paused" in plain(status_line(replace(OK, speed=60.0, paused=True), None, False, 120))
    assert "screen paused (p resumes)" in plain(status_line(OK, None, True, 120))


def test_before_any_status_the_report_tells_the_state() -> None:
    report = make_report(["/a"], seconds=20, per_second=5)  # 5 req/s over a threshold of 2
    assert report.alert_on and report.history
    since = clock(report.history[-1].second)
    assert plain(status_line(None, report, False, 80)).startswith(
        f"ALERT since {since} │ {clock(report.time)}"
    )
    assert not alert_on(OK, report)  # the status, newer than the report, says it recovered
    restored = replace(report, history=[])  # alert on from the checkpoint, no transition on record
    assert alert_on(OK, restored) and plain(status_line(OK, restored, False, 80)).startswith("ALERT │")
    assert alert_on(ALERTING, None) and not alert_on(OK, None)


def test_the_summary_rows_show_both_spans_with_status_classes_styled() -> None:
    report = make_report(["/a"], seconds=20, per_second=4, rule=AlertRule(threshold=50, window=20))
    rows = summary_lines(report, 120)
    assert plain(rows[0]).startswith(f"last 10 s: {report.interval.requests:,} req │ ")
    assert plain(rows[1]).startswith(
        f"last 20 s: {report.window.requests:,} req │ {report.window.rate:,.2f} req/s"
    )
    assert {"2xx", "3xx", "4xx", "5xx"} <= {span.style for span in rows[0]}


@given(
    st.integers(1, 250),
    st.none() | st.integers(0, 10**6),
    st.floats(0, 1e6),
    st.none() | st.floats(1, 1000),
    st.booleans(),
    st.booleans(),
)
def test_the_status_line_fits_any_width_and_starts_with_the_state(
    width: int, stale: int | None, average: float, speed: float | None, alerting: bool, paused: bool
) -> None:
    status = replace(
        OK,
        alert_since=T0 - 30 if alerting else None,
        average=average,
        newest=None if stale is None else int(OK.now) - stale,
        speed=speed,
        paused=paused,
    )
    line = status_line(status, None, paused, width)
    assert line_cells(line) <= width
    text = plain(line)
    state = "ALERT" if alerting else "OK"
    assert text.startswith(state) if width >= len(state) else text[:1] in (state[0], "…")
    if alerting and width >= 20:
        assert text.startswith("ALERT since 07:59:30")


@pytest.mark.parametrize("width", [1, 10, 40, 80])
def test_the_summary_fits(width: int) -> None:
    for row in summary_lines(make_report(["/a"]), width):
        assert line_cells(row) <= width
