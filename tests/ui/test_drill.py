"""The drill-down page and the filtered screen, at 80x24."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.core.focus import focus_on
from analyzer.formats.clf import parse
from analyzer.formats.select import parse_expression
from analyzer.ui.drill import under
from analyzer.ui.keys import press
from analyzer.ui.layout import Frame, Screen, View, layout
from analyzer.ui.lens import Lens
from tests.conftest import clf_line
from tests.ui.test_layout import T0, rows, screen


def test_a_sections_paths_are_those_under_it() -> None:
    paths = pd.Series({"/api/a": 5, "/apis": 4, "/api": 3, "/": 2, "/x": 1})
    assert under(paths, "/api").to_dict() == {"/api/a": 5, "/api": 3}
    assert under(paths, "/").to_dict() == {"/": 2}


def focused_screen(terms: str) -> Screen:
    engine = Engine(AlertRule(2, 20), lateness=1)
    engine.focus = focus_on(parse_expression(terms), terms, T0 - 10)
    lines = clf_line(T0 - 5, "/section1/a", host="203.0.113.7") * 4 + clf_line(T0 - 5, "/section2/b", 404)
    engine.ingest(parse(lines), read_at=T0 - 4)
    assert engine.focus is not None
    base = screen()
    assert base.status is not None
    return replace(base, status=replace(base.status, focus=engine.focus.summary(T0, 20, 10, 10, 100)))


def test_enter_on_a_section_opens_its_page_and_the_focus_fills_it() -> None:
    base = screen()
    frame = layout(base, View(), 80, 24)
    assert frame.choices[:1] and "/section" in str(frame.choices[0])
    view, asked = press(View(), "enter", frame)
    assert asked is not None and view.lens.drill is not None
    text = rows(layout(base, view, 80, 24))
    assert any(row.startswith(f"section {frame.choices[0]}: Esc back") for row in text), text
    assert any("counted from the next second" in row for row in text)
    lens = Lens(drill=("section", "/section1"))
    text = rows(layout(focused_screen("section:/section1"), View(lens=lens), 80, 40))
    assert any("counted since" in row for row in text)
    assert any(row.startswith("203.0.113.7") for row in text), "\n".join(text)


def test_a_filter_shows_only_its_traffic_and_says_so() -> None:
    lens = Lens(filter=parse_expression("host:203.0.113.7"))
    text = rows(layout(focused_screen("host:203.0.113.7"), View(panel=2, lens=lens), 80, 24))
    assert text[1].startswith("filter: host:203.0.113.7 · counted since")
    hosts = [row for row in text if row[:1].isdigit() and "." in row.split()[0]]
    assert [row.split()[0] for row in hosts] == ["203.0.113.7"], "\n".join(text)
    assert all(len(row) <= 80 for row in text) and isinstance(layout(screen(), View(), 80, 24), Frame)
