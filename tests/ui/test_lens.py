"""The filter, drill-down and sort state: pure, changed by keys; never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.select import Term
from analyzer.ui.display import Filter
from analyzer.ui.keys import press
from analyzer.ui.layout import Frame, View
from analyzer.ui.lens import Lens, back, choose, prompt, typing

FRAME = Frame([], 5, 0, 0, ("/api", "/pages", "/"))
KEYS = ["/", "s", "esc", "enter", "up", "down", "j", "k", "pgdn", "home", "end", "tab", "3", "2", "1"]
KEYS += ["h", "?", "p", "a", "g", ":", "x", "space", "backspace", "4", "5", "0"]


def test_enter_on_a_row_opens_it_and_asks_for_its_focus_and_esc_goes_back() -> None:
    view, asked = press(View(), "down", FRAME)
    assert view.lens.selected == 1 and asked is None
    view, asked = press(view, "enter", FRAME)
    assert view.lens.drill == ("section", "/pages")
    assert asked == Filter((Term("section", "/pages"),), "section:/pages")
    view, asked = press(view, "esc", FRAME)
    assert view.lens.drill is None and asked == Filter((), "")


def test_slash_types_a_filter_every_key_is_text_and_a_bad_one_is_one_line() -> None:
    view = View()
    for key in ["/", "h", "o", "s", "t", ":", "1", ".", "2", "space", "q"]:
        view, asked = press(view, key, FRAME)
        assert asked is None
    assert view.lens.typed == "host:1.2 q" and prompt(view.lens).startswith("filter: host:1.2 q_")
    view, asked = press(view, "enter", FRAME)
    assert view.lens.filter == () and asked is None and "'q'" in prompt(view.lens)
    view, _ = press(view, "esc", FRAME)
    assert view.lens.quiet
    lens = typing(typing(Lens(typed="host:1.2.3.4 4xx"), "backspace"), "enter")
    assert lens.filter == (Term("host", "1.2.3.4"), Term("class", "4x")) or lens.error
    lens = typing(Lens(typed="host:1.2.3.4 4xx"), "enter")
    assert lens.filter == (Term("host", "1.2.3.4"), Term("class", "4xx")) and back(lens).filter == ()


def test_s_cycles_the_sort_and_moves_stay_within_the_rows() -> None:
    view = View()
    names = []
    for _ in range(4):
        names.append(view.lens.sort_name)
        view, _ = press(view, "s", FRAME)
    assert names == ["hits", "share", "rise", "hits"]
    assert choose(Lens(), "end", 3, 5) == Lens(selected=2)
    assert choose(Lens(selected=2), "pgdn", 3, 5) == Lens(selected=2)
    assert choose(Lens(), "x", 3, 5) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(KEYS), max_size=40))
def test_any_keys_never_raise_and_esc_always_returns_to_the_main_view(keys: list[str]) -> None:
    view = View()
    for key in keys:
        view, _ = press(view, key, FRAME)
        assert 0 <= view.lens.selected < 3
    for _ in range(3):
        view, _ = press(view, "esc", FRAME)
    assert view.lens.quiet and not view.help
