"""The status line: the state first and always, then the average with its span and end; the
clock line; the summary rows, each labelled with its span and the second it ends at."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.standing import Standing
from analyzer.ui.cells import plain
from analyzer.ui.display import Status
from analyzer.ui.header import alert_on, clock_line, screen_stamp, status_line, summary_lines
from analyzer.ui.words import Stamp, clock
from tests.ui.conftest import T0, line_cells, make_report

OK = Status(
    now=T0 + 5.5, alert_since=None, average=1.25, threshold=10, window=120, rate_now=2.4, files=2, newest=T0
)
ALERTING = replace(OK, alert_since=T0 - 55, average=17.1, judged=T0, recent_to=T0 + 4)
STAMP = Stamp(T0)


def test_an_alert_shows_since_when_and_the_average_names_its_span_and_end() -> None:
    line = status_line(ALERTING, None, False, 120)
    assert plain(line) == "ALERT since 07:59:05 │ avg 17.10 > 10 req/s (120 s to 08:00:00)"
    assert line[0].style == "state-alert"
    assert plain(status_line(OK, None, False, 120)).startswith("OK │ avg 1.25 ≤ 10 req/s (120 s to 08:00:05)")


def test_the_average_is_printed_as_the_alert_messages_print_it() -> None:
    """3001 hits in 300 s over 10 req/s is 10.0033: never `10.00 > 10` (it reads as not above)."""
    just_over = replace(OK, average=3001 / 300, hits=3001, threshold=10, window=300, judged=T0)
    assert "avg 10.01 > 10 req/s (300 s to 08:00:00)" in plain(status_line(just_over, None, False, 120))
    at = replace(just_over, average=10.0, hits=3000)
    assert "avg 10.00 ≤ 10 req/s" in plain(status_line(at, None, False, 120))


def test_the_clock_line_says_the_time_the_rate_of_the_last_seconds_and_the_title() -> None:
    line = plain(clock_line(ALERTING, None, "analyzer: a.log (combined)", 120, STAMP))
    assert line == "analyzer: a.log (combined) │ 08:00:05 UTC │ last 5 s 2.4 req/s (to 08:00:04) │ 2 files"
    narrow = plain(clock_line(ALERTING, None, "analyzer: a.log (combined)", 60, STAMP))
    assert narrow == "analyzer: a.log (combined) │ 08:00:05 UTC"  # the rest as fits
    long = "demo: 4 req/s, a burst of 30 req/s at 20-60 s; alert above 10 req/s over 30 s"
    assert plain(clock_line(ALERTING, None, long, 80, STAMP)) == long  # the title whole first


def test_a_replay_shows_the_logs_date_its_speed_its_pause_and_its_end() -> None:
    replay = replace(ALERTING, speed=60.0)
    stamp = screen_stamp(replay, None)
    assert stamp.dated
    text = plain(status_line(replay, None, False, 160))
    assert "ALERT since 2027-01-15 07:59:05" in text and "replay 60x" in text
    assert "(120 s to 2027-01-15 08:00:00)" in text
    narrow = plain(status_line(replay, None, False, 80))  # since when goes first, never the average
    assert narrow == "ALERT │ replay 60x │ avg 17.10 > 10 req/s (120 s to 2027-01-15 08:00:00)"
    assert plain(clock_line(replay, None, "t", 120, stamp)) == (
        "2027-01-15 08:00:05 UTC │ last 5 s 2.4 req/s (to 2027-01-15 08:00:04) │ 2 files │ t"
    )
    line = plain(clock_line(replay, None, "analyzer: " + "d" * 100, 100, stamp))  # the time first, whole
    assert line.startswith("2027-01-15 08:00:05 UTC │ last 5 s") and line.endswith("│ analyzer: ddddddd…")
    assert "replay paused" in plain(status_line(replace(replay, paused=True), None, False, 160))
    finished = plain(status_line(replace(OK, speed=60.0, finished=True), None, False, 80))
    assert finished.startswith("OK │ replay finished at 2027-01-15 08:00:05 UTC")
    assert "screen paused (p resumes)" in plain(status_line(OK, None, True, 120))


def test_before_any_status_the_report_tells_the_state() -> None:
    report = make_report(["/a"], seconds=20, per_second=5)  # 5 req/s over a threshold of 2
    assert report.alert_on and report.history
    since = clock(report.history[-1].second)
    assert plain(status_line(None, report, False, 80)) == f"ALERT since {since}"
    assert (
        plain(clock_line(None, report, "t", 80, screen_stamp(None, report)))
        == f"t │ {clock(report.time)} UTC"
    )
    assert not alert_on(OK, report)  # the status, newer than the report, says it recovered
    restored = replace(report, history=[])  # alert on from the checkpoint, no transition on record
    assert alert_on(OK, restored) and plain(status_line(OK, restored, False, 80)).startswith("ALERT │")
    assert alert_on(ALERTING, None) and not alert_on(OK, None)


def test_the_summary_rows_say_their_span_and_the_second_they_end_at() -> None:
    report = make_report(["/a"], seconds=20, per_second=4, rule=AlertRule(threshold=50, window=20))
    rows = summary_lines(report, 120, STAMP)
    assert plain(rows[0]).startswith(f"10 s to 08:00:00: {report.interval.requests:,} req │ ")
    assert plain(rows[1]).startswith(
        f"20 s to 08:00:00: {report.window.requests:,} req │ {report.window.rate:,.2f} req/s"
    )
    assert {"2xx", "3xx", "4xx", "5xx"} <= {span.style for span in rows[0]}


def test_where_the_status_ends_at_the_reports_second_both_say_one_figure() -> None:
    """Late lines counted after the report: the status's average and the window's row cover the
    same 20 s to the same second, so the row shows the status's count, never a second figure."""
    report = make_report(["/a"], seconds=20, per_second=4, rule=AlertRule(threshold=50, window=20))
    late = replace(OK, threshold=50, window=20, judged=report.time, hits=report.window.requests + 7)
    late = replace(late, average=late.window_hits / 20)
    row = plain(summary_lines(report, 120, STAMP, late)[1])
    assert row.startswith(f"20 s to 08:00:00: {late.window_hits:,} req │ {late.average:,.2f} req/s")
    assert f"avg {late.average:.2f}" in plain(status_line(late, report, False, 120))
    earlier = replace(late, judged=report.time - 1)  # another second: each its own figure
    assert plain(summary_lines(report, 120, STAMP, earlier)[1]).startswith(
        f"20 s to 08:00:00: {report.window.requests:,} req"
    )
    # The last 10 s to the report's second is the interval's row's figure: not said twice.
    same = replace(OK, recent=10, recent_to=report.time)
    assert "last 10 s" not in plain(clock_line(same, report, "t", 200, STAMP))


@given(
    st.integers(1, 250),
    st.floats(0, 1e6),
    st.none() | st.floats(1, 1000),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
@example(2, 0.0, None, False, True, False)  # paused at 2 cells: the state, not `O…`
@example(20, 0.0, None, True, True, False)  # paused and alerting at 20 cells
def test_the_status_line_fits_any_width_and_starts_with_the_state(
    width: int, average: float, speed: float | None, alerting: bool, paused: bool, finished: bool
) -> None:
    status = replace(
        OK,
        alert_since=T0 - 30 if alerting else None,
        average=average,
        speed=speed,
        paused=paused,
        finished=finished,
    )
    line = status_line(status, None, paused, width)
    assert line_cells(line) <= width
    text = plain(line)
    state = "ALERT" if alerting else "OK"
    assert text.startswith(state) if width >= len(state) else text[:1] in (state[0], "…")
    # Since when, unless it would push the average out; a paused screen's `│ paused` (9 cells)
    # is never left out, so it needs those cells more.
    if alerting and width >= 20 + (9 if paused else 0) and speed is None:
        assert text.startswith("ALERT since 07:59:30") or (text.startswith("ALERT │") and "avg " in text)
    assert line_cells(clock_line(status, None, "analyzer: a.log", width, screen_stamp(status, None))) <= width


TRAFFIC, ERRORS, API = AlertRule(10, 120), ErrorRateRule(5, 120), SectionRateRule(20, 120, section="/api")
QUIET = (
    Standing(TRAFFIC, 150, 0, above=False, on=False),
    Standing(ERRORS, 12, 1000, above=False, on=False),
    Standing(API, 60, 0, above=False, on=False),
)


def test_with_other_rules_an_error_rate_alert_is_an_alert_with_its_own_since_and_value() -> None:
    """High traffic quiet, the error rate on: never `OK`; the alerting rule first with its
    value against its limit and since when, then the others as fit, then the window's span."""
    errors_on = (QUIET[0], Standing(ERRORS, 62, 1000, above=True, on=True, since=T0 - 40), QUIET[2])
    status = replace(OK, judged=T0, standings=errors_on)
    assert plain(status_line(status, None, False, 120)) == (
        "ALERT │ 5xx 6.20% > 5% since 07:59:20 │ avg 1.25 ≤ 10 req/s │ /api 0.50 ≤ 20 req/s │ "
        "120 s to 08:00:00"
    )
    line = status_line(status, None, False, 80)
    assert plain(line) == "ALERT │ 5xx 6.20% > 5% since 07:59:20 │ avg 1.25 ≤ 10 req/s │ 120 s to 08:00:00"
    assert line[0].style == "state-alert" and line_cells(line) <= 80
    assert plain(status_line(replace(status, standings=QUIET), None, False, 80)) == (
        "OK │ avg 1.25 ≤ 10 req/s │ 5xx 1.20% ≤ 5% │ 120 s to 08:00:00"  # the last rule off: left out
    )


def test_with_other_rules_every_alerting_rule_is_told_and_never_left_out_at_80_columns() -> None:
    """Three alerts on: at 80 columns each rule's value stays; the since go first, then the
    replay's speed (the screen's pause stays, shortened). `since before`: a start that could
    not read back to the crossing."""
    all_on = (
        Standing(TRAFFIC, 2052, 0, above=True, on=True, since=T0 - 55),
        Standing(ERRORS, 62, 1000, above=True, on=True, since=T0 - 40, before=True),
        Standing(API, 2460, 0, above=True, on=True, since=T0 - 30),
    )
    status = replace(ALERTING, standings=all_on)
    assert plain(status_line(status, None, False, 200)) == (
        "ALERT │ avg 17.10 > 10 req/s since 07:59:05 │ 5xx 6.20% > 5% since before 07:59:20 │ "
        "/api 20.50 > 20 req/s since 07:59:30 │ 120 s to 08:00:00"
    )
    replay = plain(status_line(replace(status, speed=60.0), None, True, 80))
    assert replay == "ALERT │ paused │ avg 17.10 > 10 req/s │ 5xx 6.20% > 5% │ /api 20.50 > 20 req/s"
    few = Standing(ERRORS, 1, 2, above=False, on=False)  # 1 error in 2 requests is not judged
    assert "5xx 50.00%, 2 req < min 100" in plain(
        status_line(replace(OK, standings=(QUIET[0], few)), None, False, 120)
    )


def test_with_other_rules_before_any_status_the_report_tells_them() -> None:
    report = replace(make_report(["/a"]), standings=(QUIET[0], Standing(API, 2460, 0, True, True, T0 - 30)))
    assert plain(status_line(None, report, False, 80)) == (
        "ALERT │ /api 20.50 > 20 req/s since 07:59:30 │ 120 s to 08:00:00"
    )


@given(st.integers(1, 250), st.lists(st.booleans(), min_size=3, max_size=3), st.booleans())
def test_with_other_rules_the_status_line_fits_any_width_and_starts_with_the_state(
    width: int, on: list[bool], dated: bool
) -> None:
    standings = tuple(
        replace(s, on=o, above=o, since=T0 - 9 if o else None) for s, o in zip(QUIET, on, strict=True)
    )
    status = replace(OK, standings=standings, speed=60.0 if dated else None)
    text = plain(line := status_line(status, None, False, width))
    assert line_cells(line) <= width
    state = "ALERT" if any(on) else "OK"
    assert text.startswith(state) if width >= len(state) else text[:1] in (state[0], "…")
    shown = {"avg": on[0], "5xx": on[1], "/api": on[2]}
    if width >= 80:  # every alerting rule's value
        assert all(f"│ {name} " in text for name, alerting in shown.items() if alerting), text


@pytest.mark.parametrize("width", [1, 10, 40, 80])
def test_the_summary_fits(width: int) -> None:
    for row in summary_lines(make_report(["/a"]), width):
        assert line_cells(row) <= width
