"""The layout at many sizes: never wider or taller than the terminal, the status line first,
parts cut by priority, log text escaped, the alert message whole."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.core.engine import FileStatus
from analyzer.ui.cells import plain
from analyzer.ui.display import Status
from analyzer.ui.layout import HELP, PANELS, Frame, Screen, View, layout
from analyzer.ui.panels import NOTICE
from tests.ui.conftest import HOSTILE, RAW, T0, line_cells, log_text, make_report

RULE = AlertRule(threshold=2, window=20)
ALERT_MESSAGE = Transition(T0 - 3, ALERT, 120, RULE).message


def screen(paths: list[str] | None = None, alerting: bool = True, **changes: object) -> Screen:
    paths = paths or [f"/section{n}" for n in range(12)]
    files = (FileStatus(f"/var/log/{HOSTILE}/access.log", 90, 0, T0, "following"),)
    report = make_report(paths, seconds=30, per_second=3, files=files)
    status = Status(T0 + 0.5, T0 - 3 if alerting else None, 6.0, 2, 20, 3.0, 1, T0)
    history = tuple((t.kind, t.message) for t in report.history)
    fields: dict[str, object] = {
        "report": report,
        "status": status,
        "title": "analyzer: access.log (combined)",
        "history": history,
        "notices": ("access.log: rotated",),
        "latest": (ALERT, ALERT_MESSAGE) if alerting else None,
    }
    fields.update(changes)
    return Screen(**fields)  # type: ignore[arg-type]


def rows(frame: Frame) -> list[str]:
    return [plain(line) for line in frame.lines]


def test_at_80x24_every_part_is_there_and_the_alert_message_whole() -> None:
    frame = layout(screen(), View(), 80, 24)
    text = rows(frame)
    assert len(text) == 24 and all(line_cells(line) <= 80 for line in frame.lines)
    assert text[0].startswith("ALERT since 07:59:57 │ avg 6.00 > 2 req/s")
    assert text[1] == "analyzer: access.log (combined)"
    assert " ".join(" ".join(row.split()) for row in text[2:4]) == ALERT_MESSAGE  # folded, not cut
    assert text[4].startswith("last 10 s:") and text[5].startswith("last 20 s:")
    assert any("┤" in row for row in text) and any(row.endswith(" now") for row in text)
    tabs = next(row for row in text if "[1 sections]" in row)
    assert text[text.index(tabs) + 1].startswith("section")
    assert text[-1].startswith("q quit  ? help")
    assert frame.page == 24 - text.index(tabs) - 3  # the panel's rows below its heading, above the keys


def test_at_120x40_the_alert_history_has_its_own_column_and_the_chart_grows() -> None:
    small, large = layout(screen(), View(), 80, 24), layout(screen(), View(), 120, 40)
    assert len(large.lines) == 40 and all(line_cells(line) <= 120 for line in large.lines)
    text = rows(large)
    assert text[2] == ALERT_MESSAGE  # one row is enough
    assert sum("│" in row[:3] or "┤" in row[:4] for row in text) > sum(
        "┤" in row[:4] or "│" in row[:3] for row in rows(small)
    )
    heading = next(row for row in text if row.startswith("section"))
    assert "alert history" in heading
    assert large.page > small.page


def test_small_terminals_lose_the_chart_and_hints_before_the_state() -> None:
    for height in range(1, 24):
        frame = layout(screen(), View(), 80, height)
        text = rows(frame)
        assert len(text) == height and text[0].startswith("ALERT since")
        if height >= 5:
            assert any("[1 sections]" in row for row in text)
    assert not any("┤" in row for row in rows(layout(screen(), View(), 80, 11)))


def test_hostile_text_is_shown_as_text() -> None:
    hostile = screen(
        [f"/{HOSTILE}", "/b"], title=f"analyzer: {HOSTILE}", latest=(NOTICE, f"{HOSTILE}: rotated")
    )
    for panel in range(len(PANELS)):
        frame = layout(hostile, View(panel=panel), 120, 40)
        for line in frame.lines:
            assert not RAW.search(plain(line))
    text = "\n".join(rows(layout(hostile, View(panel=5), 120, 40)))
    assert "\\x1b[2J\\x1b]0;pwned\\x07[bold]\\u202e" in text


def test_scrolling_is_clamped_and_table_headings_stay() -> None:
    many = screen([f"/s{n:02}" for n in range(40)], top=40)
    top = layout(many, View(), 80, 24)
    assert top.scroll == 0 and top.scroll_max > 0
    end = layout(many, View(scroll=10_000), 80, 24)
    assert end.scroll == end.scroll_max
    text = rows(end)
    heading = next(n for n, row in enumerate(text) if row.startswith("section"))
    assert text[heading + 1] != rows(top)[heading + 1]  # scrolled
    assert text[-1].endswith(
        f"of {end.scroll_max + end.page}"
    )  # where the scroll is (no room beside the tabs)
    assert f"of {end.scroll_max + end.page}" in rows(layout(many, View(scroll=3), 120, 24))[-1 - 11 - 2]


def test_help_replaces_the_panel() -> None:
    text = rows(layout(screen(), View(help=True), 100, 30))
    assert HELP[1].strip() in "\n".join(row.strip() for row in text)
    assert not any(row.startswith("section") for row in text)


def test_the_alert_history_panel_and_a_recovery_message() -> None:
    history = ((ALERT, ALERT_MESSAGE), (RECOVERED, Transition(T0, RECOVERED, 10, RULE).message))
    frame = layout(screen(alerting=False, history=history, latest=history[-1]), View(panel=6), 80, 24)
    text = rows(frame)
    assert text[0].startswith("OK")
    assert text[2].startswith("High traffic alert recovered") and frame.lines[2][0].style == RECOVERED
    tabs = next(n for n, row in enumerate(text) if "[7 alerts]" in row)
    assert text[tabs + 1].startswith("High traffic alert recovered")  # newest first


def test_before_the_first_report() -> None:
    frame = layout(Screen(title="analyzer: a.log"), View(), 80, 24)
    text = rows(frame)
    assert text[0] == "OK" and text[1] == "analyzer: a.log" and "reading the files" in text[2]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 250),
    st.integers(1, 80),
    st.lists(log_text.map(lambda text: "/" + text), min_size=1, max_size=5),
    st.integers(0, 12),
    st.booleans(),
    st.integers(0, len(PANELS) - 1),
    st.integers(-5, 100),
    st.booleans(),
    log_text,
)
def test_any_size_and_content_fits_with_the_status_line_first(
    width: int,
    height: int,
    paths: list[str],
    seconds: int,
    alerting: bool,
    panel: int,
    scroll: int,
    help_shown: bool,
    title: str,
) -> None:
    base = screen(paths, alerting, title=title, latest=(NOTICE, title) if title else None)
    report = make_report(paths, seconds=max(1, seconds), per_second=2, rejects=paths[0].encode() + b"\n")
    shown = replace(base, report=replace(report, files=base.report.files if base.report else ()))
    frame = layout(shown, View(panel=panel, scroll=scroll, help=help_shown), width, height)
    assert len(frame.lines) <= height
    assert all(line_cells(line) <= width for line in frame.lines)
    assert all(not RAW.search(plain(line)) for line in frame.lines)
    state = "ALERT" if alerting else "OK"
    first = plain(frame.lines[0])
    assert first.startswith(state) if width >= len(state) else first[:1] in (state[0], "…")
    assert 0 <= frame.scroll <= frame.scroll_max
