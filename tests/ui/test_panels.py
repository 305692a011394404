"""Panels: every row within the width, the numbers of the report, log text shown as text."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine, FileStatus
from analyzer.formats.clf import parse
from analyzer.ui.cells import plain
from analyzer.ui.panels import (
    agents_panel,
    errors_panel,
    files_panel,
    hosts_panel,
    methods_panel,
    referrers_panel,
    rejected_panel,
    sections_panel,
    status_style,
    statuses_panel,
    table_names,
)
from analyzer.ui.words import Stamp
from tests.conftest import clf_line
from tests.ui.conftest import HOSTILE, RAW, T0, line_cells, log_text, make_report

STAMP = Stamp(T0 + 60)


def texts(lines: list) -> list[str]:
    return [plain(line) for line in lines]


def test_sections_show_hits_and_share_for_the_interval_and_the_window() -> None:
    report = make_report(["/api/a", "/pages/b", "/api/c"], seconds=30, per_second=3)
    rows = texts(sections_panel(report, 80, 10))
    assert rows[0].startswith("section") and "last 10 s" in rows[0] and "last 20 s" in rows[0]
    api = next(row for row in rows if row.startswith("/api "))
    window_hits = int(report.window.sections["/api"])
    assert f"{window_hits:,} {window_hits / report.window.requests:6.1%}" in api
    assert all(len(row) <= 80 for row in rows)
    narrow = texts(sections_panel(report, 30, 10))  # one column only: the window's
    assert "last 10 s" not in narrow[0] and "last 20 s" in narrow[0]


def test_top_limits_the_rows_and_the_rest_is_other() -> None:
    report = make_report([f"/s{n}" for n in range(30)], seconds=30, per_second=5)
    rows = texts(sections_panel(report, 100, 5))
    assert len(rows) <= 1 + 5 + 1 and rows[-1].startswith("(other)")


def test_the_rise_sort_puts_first_what_rose_most_from_the_window_before() -> None:
    """/burst had nothing in the window before and 30 hits early in this one (none in the last
    interval), /steady 100 then 120, /gone 40 then 5: by rise /burst (+30), /steady (+20), then
    /gone (fell); by hits /steady first."""
    engine = Engine(AlertRule(threshold=1e9, window=20))
    lines = [clf_line(T0 - 39 + n % 20, path="/steady/x") for n in range(100)]
    lines += [clf_line(T0 - 39 + n % 20, path="/gone/x") for n in range(40)]
    lines += [clf_line(T0 - 19 + n % 20, path="/steady/x") for n in range(120)]
    lines += [clf_line(T0 - 19 + n % 10, path="/burst/x") for n in range(30)]
    lines += [clf_line(T0 - 19 + n, path="/gone/x") for n in range(5)]
    engine.ingest(parse(b"".join(sorted(lines, key=lambda line: line[17:37]))))
    engine.evaluate(T0 + 10)
    report = engine.report(T0, 10)
    assert report.rises["sections"].to_dict() == {"/burst": 30, "/steady": 20}
    assert table_names(report, "sections", 10, "rise") == ["/burst", "/steady", "/gone"]
    assert table_names(report, "sections", 10) == ["/steady", "/burst", "/gone"]
    assert texts(sections_panel(report, 80, 10, "rise"))[1].startswith("/burst")


def test_status_codes_are_styled_by_class() -> None:
    report = make_report(["/a"], seconds=8, per_second=4)
    lines = statuses_panel(report, 80, 10)
    styles = {span.text.split()[0]: span.style for line in lines for span in line[:1] if span.text.strip()}
    assert (
        styles["2xx"] == "2xx"
        and styles["503"] == "5xx"
        and styles["404"] == "4xx"
        and styles["301"] == "3xx"
    )
    assert status_style("(other)") == "" and status_style(200) == "2xx"


def test_hosts_and_methods() -> None:
    report = make_report(["/a"], seconds=5, per_second=2)
    assert any(row.startswith("10.0.0.1") for row in texts(hosts_panel(report, 80, 10)))
    assert any(row.startswith("GET") for row in texts(methods_panel(report, 80, 10)))


def test_agents_mark_bots_referrers_and_the_paths_of_errors() -> None:
    report = make_report(["/a/1", "/b/2"], seconds=8, per_second=4)
    agents = texts(agents_panel(report, 80, 10))
    assert agents[0].startswith("user agent")
    assert all(not row.startswith("[bot]") or "bot" in row.lower() for row in agents)
    assert any(row.strip() for row in texts(referrers_panel(report, 80, 10))[1:])
    errors = texts(errors_panel(report, 80, 10))
    fives, fours = (
        errors.index(next(r for r in errors if r.startswith("path answered 5xx"))),
        errors.index(next(r for r in errors if r.startswith("path answered 4xx"))),
    )
    assert fives < fours and any(row.startswith(("/a/1", "/b/2")) for row in errors)
    bots = replace(
        report, window=replace(report.window, agents=pd.Series([5, 3], index=["curl/8.0", "Mozilla/5.0"]))
    )
    rows = texts(agents_panel(bots, 80, 10))
    assert any(row.startswith("[bot] curl/8.0") for row in rows)
    assert any(row.startswith("Mozilla/5.0") for row in rows)


def test_rejected_lines_show_their_reason_and_an_escaped_example() -> None:
    report = make_report(["/a"], seconds=5, rejects=f"junk {HOSTILE} line\n".encode())
    rows = texts(rejected_panel(report, 100, 10))
    example = next(row for row in rows if "junk" in row)
    assert "\\x1b[2J\\x1b]0;pwned\\x07[bold]\\u202e" in example and not RAW.search(example)
    assert rows[0].startswith("rejected: 1 of")


def test_rejected_counts_per_reason_are_labelled_by_their_span() -> None:
    """An interval with no rejected line beside a reason seen before: the interval's 0 under
    `last 10 s`, the reason's count since start under `since start` (not a 0 beside a total)."""
    report = make_report(["/a"], seconds=5, rejects=b"junk\njunk\n")
    quiet = replace(report, rejected=0, reasons={})
    rows = texts(rejected_panel(quiet, 100, 10))
    heading = next(row for row in rows if row.startswith("reason"))
    assert "last 10 s" in heading and "since start" in heading
    reason = next(iter(report.reason_totals))
    row = next(row for row in rows if row.startswith(reason))
    assert row.split()[-3:] == ["0", "2", "junk"]  # the interval's, since start, the latest example
    assert rows[1] == "since start: 15 requests, 2 rejected, 0 late"


def test_files_show_lines_since_start_apart_from_those_read_back_and_the_notices_with_times() -> None:
    path = "/very/long/" + "d" * 100 + f"/{HOSTILE}/access.log"
    files = (FileStatus(path, 12, 1, T0, "following", warm=7111), FileStatus("/b.log", 1, 0, None, "waiting"))
    report = make_report(["/a"], files=files)
    rows = texts(files_panel(report, 100, [(T0 - 10.0, "first notice"), (T0 + 30.0, "second notice")], STAMP))
    assert (
        rows[0].startswith("…") and rows[0].endswith("[bold]\\u202e/access.log") and not RAW.search(rows[0])
    )
    assert rows[1] == (
        "  12 lines since start (+7,111 read back at start), 1 rejected, last line read 08:00:00; following"
    )
    assert rows[3] == "  1 line since start, 0 rejected, last line read never; waiting"
    assert rows.index("08:00:30 second notice") < rows.index("07:59:50 first notice")
    yesterday = texts(files_panel(report, 100, [], Stamp(T0 + 86_400)))
    assert "last line read 2027-01-15 08:00:00;" in yesterday[1]  # another day: dated


@settings(max_examples=40, deadline=None)
@given(st.lists(log_text.map(lambda text: "/" + text), min_size=1, max_size=6), st.integers(1, 160))
def test_every_panel_fits_and_escapes_log_text(paths: list[str], width: int) -> None:
    files = tuple(FileStatus(path, 3, 1, None, "waiting") for path in paths)
    report = make_report(paths, seconds=6, per_second=2, rejects=paths[0].encode() + b"\n", files=files)
    for make in (sections_panel, hosts_panel, methods_panel, statuses_panel, rejected_panel):
        for line in make(report, width, 10):
            assert line_cells(line) <= width and not RAW.search(plain(line))
    for line in files_panel(report, width, [(float(T0), path) for path in paths], STAMP):
        assert line_cells(line) <= width and not RAW.search(plain(line))


@pytest.mark.parametrize("width", [1, 5, 20])
def test_tiny_widths_still_fit(width: int) -> None:
    report = make_report(["/a/" + "日本" * 20])
    for line in sections_panel(report, width, 10) + statuses_panel(report, width, 10):
        assert line_cells(line) <= width
