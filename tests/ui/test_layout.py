"""The layout at many sizes: never wider or taller than the terminal, the status line first,
the alert history always in view (newest last, each message whole), notices on their own line,
parts cut by priority, log text escaped."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.core.drivers import drivers_text
from analyzer.core.engine import FileStatus
from analyzer.ui.cells import plain
from analyzer.ui.display import Status
from analyzer.ui.layout import HELP, PANELS, Frame, Screen, View, layout
from tests.ui.conftest import HOSTILE, RAW, T0, line_cells, log_text, make_report

RULE = AlertRule(threshold=2, window=20)
ALERTED = Transition(T0 - 3, ALERT, 120, RULE)


def episodes(count: int) -> tuple[Transition, ...]:
    """`count` transitions, alternating, the last one an alert."""
    kinds = [ALERT if (count - n) % 2 else RECOVERED for n in range(count)]
    return tuple(Transition(T0 - 3 - (count - n) * 60, kind, 50 + n, RULE) for n, kind in enumerate(kinds))


def screen(paths: list[str] | None = None, alerting: bool = True, **changes: object) -> Screen:
    paths = paths or [f"/section{n}" for n in range(12)]
    files = (FileStatus(f"/var/log/{HOSTILE}/access.log", 90, 0, T0, "following"),)
    report = make_report(paths, seconds=30, per_second=3, files=files)
    status = Status(T0 + 0.5, T0 - 3 if alerting else None, 6.0, 2, 20, 3.0, 1, T0, judged=T0 - 5)
    fields: dict[str, object] = {
        "report": report,
        "status": status,
        "title": "analyzer: access.log (combined)",
        "history": (*report.history, ALERTED) if alerting else tuple(report.history),
        "notices": ((T0 - 30.0, "access.log: rotated"),),
    }
    fields.update(changes)
    return Screen(**fields)  # type: ignore[arg-type]


def rows(frame: Frame) -> list[str]:
    return [plain(line) for line in frame.lines]


def whole(text: list[str]) -> str:
    """The rows as one text, folds undone."""
    return " ".join(" ".join(row.split()) for row in text)


def test_at_80x24_every_part_is_there_and_the_alert_message_whole() -> None:
    frame = layout(screen(), View(), 80, 24)
    text = rows(frame)
    assert len(text) == 24 and all(line_cells(line) <= 80 for line in frame.lines)
    assert text[0] == "ALERT since 07:59:57 │ avg 6.00 > 2 req/s (20 s to 07:59:55)"
    assert text[1] == "analyzer: access.log (combined) │ 08:00:00 UTC"  # the rate of the last 5 s: no room
    said = [(t.message, drivers_text(t.drivers)) for t in screen().history]
    assert said[0][1].startswith("driven by /section1 +5 (12%)")  # what drove it, under the message
    assert whole(text[2:8]) == " ".join(" ".join(filter(None, pair)) for pair in said)  # folded, not cut
    assert text[8] == "07:59:30 access.log: rotated"
    assert text[9].startswith("10 s to 08:00:00:") and text[10].startswith("20 s to 08:00:00:")
    assert any("┤" in row for row in text) and any("req/s, 20 s to 08:00:00" in row for row in text)
    tabs = next(row for row in text if "[1 sections]" in row)
    assert text[text.index(tabs) + 1].startswith("section")
    assert text[-1].startswith("q quit  ?/h help")
    assert frame.page == 24 - text.index(tabs) - 3  # the panel's rows below its heading, above the keys


def test_the_last_4_messages_stay_whole_on_every_panel_above_a_notice_of_their_own() -> None:
    """Six transitions and a rotation after the alert: at 80x24 the 4 newest whole, newest last,
    under a count of the others, whatever is on the panel; the notice on its own line."""
    history = episodes(6)
    shown = screen(history=history, notices=((T0 - 1.0, "access.log: rotated"),))
    for view in [View(panel=panel) for panel in range(len(PANELS))] + [View(help=True), View(paused=True)]:
        text = rows(layout(shown, view, 80, 24))
        assert len(text) == 24
        assert text[2] == "… 2 earlier messages: press 7 for them all"
        assert whole(text[3:11]) == " ".join(t.message for t in history[-4:])
        assert text[11] == "07:59:59 access.log: rotated"
    styles = [line[0].style for line in layout(shown, View(), 80, 24).lines[3:11]]
    assert styles == [RECOVERED, RECOVERED, ALERT, ALERT] * 2  # by kind, never by wording


def test_the_status_line_and_the_history_come_before_the_chart() -> None:
    history = episodes(6)
    text = rows(layout(screen(history=history), View(), 80, 20))
    assert whole(text[3:11]) == " ".join(t.message for t in history[-4:])
    assert not any("┤" in row for row in text)  # the chart went first
    tiny = rows(layout(screen(history=history), View(), 80, 4))
    assert tiny[0].startswith("ALERT since") and whole(tiny[1:3]) == history[-1].message


def test_a_taller_terminal_shows_more_of_the_history_and_a_larger_chart() -> None:
    history = episodes(20)
    small, large = (
        layout(screen(history=history), View(), 80, 24),
        layout(screen(history=history), View(), 120, 40),
    )
    assert len(large.lines) == 40 and all(line_cells(line) <= 120 for line in large.lines)
    text = rows(large)
    assert text[2] == "… 8 earlier messages: press 7 for them all"
    assert text[3:15] == [t.message for t in history[-12:]]  # one row each at 120 columns
    assert sum("┤" in row[:4] or "│" in row[:3] for row in text) > sum(
        "┤" in row[:4] or "│" in row[:3] for row in rows(small)
    )


def test_small_terminals_lose_the_chart_and_hints_before_the_state() -> None:
    for height in range(1, 24):
        frame = layout(screen(), View(), 80, height)
        text = rows(frame)
        assert len(text) == height and text[0].startswith("ALERT since")
        if height >= 7:
            assert any("[1 sections]" in row for row in text)
    assert not any("┤" in row for row in rows(layout(screen(), View(), 80, 13)))


def test_hostile_text_is_shown_as_text() -> None:
    hostile = screen(
        [f"/{HOSTILE}", "/b"], title=f"analyzer: {HOSTILE}", notices=((None, f"{HOSTILE}: rotated"),)
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
    wide = rows(layout(many, View(scroll=3), 140, 24))
    assert any(row.startswith("[1 sections]") and "rows 4-" in row for row in wide)


def test_help_replaces_the_panel() -> None:
    text = rows(layout(screen(), View(help=True), 100, 30))
    assert HELP[1].strip() in "\n".join(row.strip() for row in text)
    assert not any(row.startswith("section") for row in text)
    assert all(len(line) <= 80 for line in HELP)  # whole at 80 columns
    assert any(line.strip().startswith("?  h  Esc") for line in HELP)


def test_the_alert_history_panel_scrolls_every_message_and_a_recovery_is_styled_so() -> None:
    history = episodes(12)
    recovered = (*history, Transition(T0, RECOVERED, 10, RULE))
    base = screen(alerting=False, history=recovered)
    frame = layout(base, View(panel=6), 80, 24)
    text = rows(frame)
    assert text[0].startswith("OK")
    tabs = next(n for n, row in enumerate(text) if "[7 alerts]" in row)
    assert text[tabs + 1].startswith("High traffic alert recovered - hits = 0.50")  # the panel: newest first
    assert frame.lines[tabs + 1][0].style == RECOVERED
    end = layout(base, View(panel=6, scroll=10_000), 80, 24)
    assert end.scroll_max > 0 and whole(rows(end)[tabs + 1 : -1]).endswith(history[0].message)


def test_before_the_first_report() -> None:
    frame = layout(Screen(title="analyzer: a.log"), View(), 80, 24)
    text = rows(frame)
    assert text[0] == "OK" and text[1] == "analyzer: a.log" and "reading the files" in text[2]


def test_a_stale_log_is_said_on_the_notice_line() -> None:
    stale = screen(status=Status(T0, None, 0.0, 2, 20, 0.0, 1, T0 - 9 * 86_400), notices=())
    text = rows(layout(stale, View(), 80, 24))
    assert text[0].startswith("OK │ avg 0.00 ≤ 2 req/s")
    assert any(row.startswith("newest line 9 days old: nothing in the window") for row in text)


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
    base = screen(paths, alerting, title=title, notices=((float(T0), title),) if title else ())
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


def test_tables_use_the_rows_the_terminal_has() -> None:
    """At 120x40 the sections table names more than --top sections; at 80x24 what fits."""
    many = screen([f"/s{n:02}" for n in range(30)], alerting=False, history=())
    tall = rows(layout(many, View(), 120, 40))
    assert sum(1 for row in tall if row.startswith("/s")) > 10
    small = rows(layout(many, View(), 80, 24))
    assert len(small) == 24 and any(row.startswith("/s") for row in small)
    for panel in (7, 8, 9):  # agents, referrers, errors
        text = rows(layout(many, View(panel=panel), 80, 24))
        assert any(row.startswith(("user agent", "referrer", "path answered")) for row in text)
