"""The drill-down page and the filtered screen, at 80x24."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

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
from tests.ui.conftest import PtyProcess
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


def write_two_hosts(log: Path, stop: threading.Event) -> None:
    """Every second: 6 requests on /api from one host, 2 on /pages from another, until told."""
    while not stop.is_set():
        now = int(time.time())
        lines = [clf_line(now, "/api/orders", host="203.0.113.7") for _ in range(6)]
        lines += [clf_line(now, "/pages/home", host="10.9.9.9") for _ in range(2)]
        with log.open("ab") as handle:
            handle.write(b"".join(lines))
        stop.wait(1.0)


def test_in_a_real_pty_enter_opens_api_a_host_filter_leaves_its_traffic_and_esc_restores(
    tmp_path: Path,
) -> None:
    """A live monitor at 80x24: Enter on /api (the busiest section, selected first) shows its
    top path; `/` with a host shows that host alone in the hosts table; Esc restores; `s` sorts."""
    log, out = tmp_path / "access.log", tmp_path / "out"
    log.write_bytes(b"")
    stop = threading.Event()
    writer = threading.Thread(target=write_two_hosts, args=(log, stop), daemon=True)
    writer.start()
    command = [sys.executable, "-m", "analyzer", str(log), "--interval", "1", "--lateness", "1"]
    run = PtyProcess([*command, "--threshold", "100", "--out", str(out)], 80, 24)
    try:
        run.wait_for(lambda rows: any(row.startswith("/api ") for row in rows), "/api in the sections")
        run.type(b"\r")
        run.wait_for(
            lambda rows: (
                any("section /api" in row for row in rows)
                and any(row.startswith("/api/orders") for row in rows)
            ),
            "the section's page with its top path",
        )
        run.type(b"\x1b")
        run.wait_for(lambda rows: not any("Esc back" in row for row in rows), "the main view again")
        run.type(b"3/host:203.0.113.7\r")
        run.wait_for(
            lambda rows: (
                any("filter: host:203.0.113.7" in row for row in rows)
                and any(row.startswith("203.0.113.7") for row in rows)
                and not any(row.startswith("10.9.9.9") for row in rows)
            ),
            "the filter on and that host alone in the hosts table (once its counts arrive)",
        )
        run.type(b"\x1b")
        run.wait_for(lambda rows: any(row.startswith("10.9.9.9") for row in rows), "both hosts again")
        run.type(b"s")
        run.wait_for(lambda rows: any("(by share)" in row for row in rows), "the sort named")
        run.type(b"q")
        assert run.finish() == 0
    finally:
        stop.set()
        writer.join(timeout=5)
        run.close()
