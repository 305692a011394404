"""The alert history in view: newest last, each message whole, styled by its kind; notices on a
line of their own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, BEFORE, RECOVERED, AlertRule, Transition
from analyzer.ui.cells import plain
from analyzer.ui.history import area_rows, history_area, history_panel, notice_line, notice_rows
from analyzer.ui.words import Stamp
from tests.ui.conftest import HOSTILE, RAW, T0, line_cells, log_text

RULE = AlertRule(threshold=2, window=20)
STAMP = Stamp(T0)


def episodes(count: int) -> list[Transition]:
    return [Transition(T0 + n * 100, ALERT if n % 2 == 0 else RECOVERED, 50 + n, RULE) for n in range(count)]


def joined(lines: list) -> str:
    return " ".join(" ".join(plain(line).split()) for line in lines)


def test_the_area_shows_the_newest_whole_newest_last_and_says_how_many_are_earlier() -> None:
    history = episodes(7)
    lines = history_area(history, 80, 9, RULE)
    assert len(lines) == 9 and all(line_cells(line) <= 80 for line in lines)
    assert plain(lines[0]) == "… 3 earlier messages: press 7 for them all"
    text = joined(lines[1:])
    assert text == " ".join(t.message for t in history[-4:])  # 4 whole messages, oldest first
    assert [line[0].style for line in lines[1:]] == [RECOVERED, RECOVERED, ALERT, ALERT] * 2
    assert area_rows(history, 80, 4) == 9 and area_rows(history, 200, 4) == 5


def test_the_area_never_cuts_a_message_to_fill_its_rows() -> None:
    history = episodes(3)
    lines = history_area(history, 80, 4, RULE)  # room for one whole message and the marker
    assert [plain(line) for line in lines[:1]] == ["… 2 earlier messages: press 7 for them all"]
    assert joined(lines[1:]) == history[-1].message


def test_before_any_alert_the_area_says_the_rule() -> None:
    lines = history_area([], 80, 3, AlertRule(threshold=12.3456789, window=120))
    assert plain(lines[0]) == "alert when the 120 s average exceeds 12.3456789 req/s; no alert since start"
    assert plain(history_area([], 80, 3, None)[0]) == "reading the files..."


def test_the_panel_has_every_message_newest_first_styled_by_kind_not_by_text() -> None:
    history = episodes(30)
    lines = history_panel(history, 50)
    assert all(line_cells(line) <= 50 for line in lines)
    text = joined(lines)
    assert text == " ".join(t.message for t in reversed(history))
    # An alert already on at start reads unlike the usual wording: its kind still styles it.
    before = Transition(T0, ALERT, 50, RULE, onset=BEFORE)
    assert {line[0].style for line in history_panel([before], 50)} == {ALERT}


def test_a_notice_has_its_own_line_with_its_time_after_what_is_wrong_now() -> None:
    notices = [(T0 - 60.0, "first"), (T0 - 5.0, "access.log: rotated")]
    line = notice_line(notices, None, 0, 80, STAMP)
    assert line is not None and plain(line) == "07:59:55 access.log: rotated"
    stale = "newest line 9 days old: nothing in the window; replay or backtest look at the past"
    both = notice_line(notices, stale, 2, 80, STAMP)
    assert both is not None and line_cells(both) <= 80
    assert plain(both).startswith("newest line 9 days old") and plain(both).endswith("access.log: rotated")
    alone = notice_line([], stale, 1, 200, STAMP)
    assert alone is not None and plain(alone) == f"{stale} │ slow ticks: 1 report came a whole interval late"
    assert notice_line([], None, 0, 80, STAMP) is None
    rows = [plain(line) for line in notice_rows(notices, 80, STAMP)]
    assert rows == ["07:59:55 access.log: rotated", "07:59:00 first"]  # newest first


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 160), st.integers(0, 30), st.lists(log_text, max_size=3))
def test_everything_fits_and_escapes_log_text(width: int, rows: int, notices: list[str]) -> None:
    history = episodes(5)
    for line in history_area(history, width, rows, RULE) + history_panel(history, width):
        assert line_cells(line) <= width
    assert len(history_area(history, width, rows, RULE)) <= rows
    texts = [(float(T0), text + HOSTILE) for text in notices]
    shown = notice_line(texts, None, 3, width, STAMP)
    for line in [*([shown] if shown else []), *notice_rows(texts, width, STAMP)]:
        assert line_cells(line) <= width and not RAW.search(plain(line))
