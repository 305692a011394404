"""The screen's focus: a second window counting only what a filter matches, from when it is set."""

from __future__ import annotations

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.core.focus import focus_on
from analyzer.formats.clf import parse
from analyzer.formats.select import parse_expression
from tests.conftest import clf_line

T0 = 1_800_000_000


def traffic(second: int) -> bytes:
    return clf_line(second, "/api/users", host="203.0.113.7") * 3 + clf_line(second, "/pages/x", 404)


def test_no_focus_costs_nothing_and_one_counts_only_its_requests_from_when_it_was_set() -> None:
    engine = Engine(AlertRule(10, 20), lateness=1)
    engine.ingest(parse(b"".join(traffic(T0 + s) for s in range(5))), read_at=T0 + 5)
    assert engine.focus is None
    terms = parse_expression("host:203.0.113.7")
    engine.focus = focus_on(terms, "host:203.0.113.7", T0 + 6)
    assert engine.focus is not None and engine.focus.since == T0 + 6
    engine.ingest(parse(b"".join(traffic(T0 + s) for s in range(6, 9))), read_at=T0 + 9)
    engine.evaluate(T0 + 10)
    focused = engine.focus.summary(T0 + 9, 20, 10, 10, 100)
    assert focused.window.requests == 9 and focused.window.hosts.to_dict() == {"203.0.113.7": 9}
    assert focused.window.paths.to_dict() == {"/api/users": 9}
    assert focused.window.seconds == 4 and int(focused.per_second.sum()) == 9
    assert focused.rises["hosts"].to_dict() == {"203.0.113.7": 9}  # nothing in the window before
    assert focus_on((), "", T0 + 10) is None


def test_a_status_class_and_a_section_focus() -> None:
    engine = Engine(AlertRule(10, 20), lateness=1)
    engine.focus = focus_on(parse_expression("4xx section:/pages"), "4xx", T0)
    engine.ingest(parse(b"".join(traffic(T0 + s) for s in range(3))), read_at=T0 + 3)
    assert engine.focus is not None
    focused = engine.focus.summary(T0 + 2, 20, 10, 10, 100)
    assert focused.window.requests == 3 and focused.window.status_counts["4xx"] == 3
