"""The plain display appends: a block per report (the first at start), each transition once as
it happens, notices escaped, the end of a replay once; no keys, nothing redrawn."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.formats.clf import parse
from analyzer.ui.display import Plain, Status, plain_width
from tests.conftest import clf_line

T0 = 1_800_000_000
STATUS = Status(T0, None, 0.1, 1, 10, 0.0, 1, T0)


def test_plain_appends_reports_and_prints_each_transition_once_when_it_happens() -> None:
    engine = Engine(AlertRule(threshold=1, window=10), lateness=0)
    out = io.StringIO()
    display = Plain(out, width=80)
    display.first(engine.report(T0, 10, close=False), "analyzer: access.log")
    display.status(STATUS)
    engine.ingest(parse(b"".join(clf_line(T0 + 1) for _ in range(11))))
    for transition in engine.evaluate(T0 + 2):
        display.transition(transition)
    display.report(engine.report(T0 + 2, 10), "analyzer: access.log")
    display.report(engine.report(T0 + 3, 1), "analyzer: access.log")
    assert display.actions() == []
    text = out.getvalue()
    blocks = text.split("analyzer: access.log |")[1:]
    assert len(blocks) == 3 and "state at start" in blocks[0] and "state at start" not in blocks[1]
    assert text.count("High traffic generated an alert") == 1  # once, between the first two blocks
    assert text.index("High traffic") < text.index("ALERT on since 2027-01-15T08:00:01Z")
    assert "\x1b" not in text and text.endswith("\n\n")


def test_the_first_block_waits_for_the_status_to_say_a_log_is_stale() -> None:
    engine = Engine(AlertRule(threshold=1, window=10))
    out = io.StringIO()
    display = Plain(out, width=80)
    display.first(engine.report(T0, 10, close=False), "t")
    assert out.getvalue() == ""
    display.status(replace(STATUS, newest=T0 - 9 * 86_400))
    assert "newest line 9 days old: nothing in the window" in out.getvalue()
    display.status(STATUS)
    display.close()
    assert out.getvalue().count("state at start") == 1


def test_notices_are_escaped_and_the_end_of_a_replay_said_once() -> None:
    out = io.StringIO()
    display = Plain(out)
    display.message("\x1b[2Jaccess.log: rotated")
    finished = replace(STATUS, speed=600.0, finished=True)
    display.status(finished)
    display.status(finished)
    assert out.getvalue() == "\\x1b[2Jaccess.log: rotated\nreplay finished at 2027-01-15 08:00:00 UTC\n"


def test_the_width_is_columns_else_the_terminals_else_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert plain_width(io.StringIO()) == 80 and Plain(io.StringIO()).width == 80
    monkeypatch.setenv("COLUMNS", "132")
    assert plain_width(io.StringIO()) == 132 and Plain(io.StringIO(), width=60).width == 60
    monkeypatch.setenv("COLUMNS", "wide")
    assert plain_width(io.StringIO()) == 80
