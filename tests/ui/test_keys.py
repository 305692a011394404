"""Keys: what a terminal sends, named; what each does to the view or asks of the monitor."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.ui.display import FASTER, PLAY_PAUSE, QUIT, SLOWER
from analyzer.ui.keys import parse_keys, press
from analyzer.ui.layout import PANELS, Frame, View

FRAME = Frame([], page=10, scroll=0, scroll_max=25)


def test_sequences_are_named() -> None:
    typed = b"q?\t\x1b[Z\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[H\x1b[F 3+-\x1b"
    named = ["q", "?", "tab", "backtab", "up", "down", "pgup", "pgdn", "home", "end", "space", "3", "+", "-"]
    assert parse_keys(typed) == [*named, "esc"]


def test_unknown_sequences_and_other_bytes_are_left_out() -> None:
    assert parse_keys(b"\x1b[200~\x1b[1;5A\x00\x07\xc3\xa9x") == ["x"]


@given(st.binary(max_size=64))
def test_any_bytes_parse(data: bytes) -> None:
    assert all(isinstance(key, str) and key for key in parse_keys(data))


def test_monitor_keys_are_actions_and_leave_the_view() -> None:
    view = View(panel=2, scroll=4)
    for key, action in (("q", QUIT), ("Q", QUIT), ("space", PLAY_PAUSE), ("+", FASTER), ("-", SLOWER)):
        assert press(view, key, FRAME) == (view, action)


def test_panels_switch_by_tab_and_number_and_start_at_the_top() -> None:
    view = View(panel=0, scroll=7)
    view, _ = press(view, "tab", FRAME)
    assert view == View(panel=1, scroll=0)
    assert press(view, "backtab", FRAME)[0].panel == 0
    assert press(View(panel=0), "backtab", FRAME)[0].panel == len(PANELS) - 1
    assert press(View(panel=len(PANELS) - 1), "tab", FRAME)[0].panel == 0
    assert press(View(help=True), "7", FRAME) == (View(panel=6), None)


def test_scrolling_by_line_and_page_stays_within_the_panel() -> None:
    view = View()
    view, _ = press(view, "down", FRAME)
    assert view.scroll == 1
    view, _ = press(view, "pgdn", FRAME)
    assert view.scroll == 11
    for _ in range(5):
        view, _ = press(view, "pgdn", FRAME)
    assert view.scroll == 25
    assert press(view, "home", FRAME)[0].scroll == 0
    assert press(View(), "up", FRAME)[0].scroll == 0
    assert press(View(), "end", FRAME)[0].scroll == 25
    assert press(View(scroll=25), "pgup", FRAME)[0].scroll == 15


def test_help_and_pause_toggle() -> None:
    view, _ = press(View(), "?", FRAME)
    assert view.help
    assert press(view, "down", FRAME)[0] == view  # no scrolling under the help
    assert not press(view, "?", FRAME)[0].help and not press(view, "esc", FRAME)[0].help
    paused, _ = press(View(), "p", FRAME)
    assert paused.paused and not press(paused, "p", FRAME)[0].paused
    assert press(View(), "x", FRAME) == (View(), None)


def test_h_opens_and_closes_the_help_as_question_mark_does() -> None:
    view, action = press(View(panel=3), "h", FRAME)
    assert view.help and action is None
    assert not press(view, "h", FRAME)[0].help and not press(view, "?", FRAME)[0].help
