"""The plain display appends reports and messages; it has no keys and no status line."""

from __future__ import annotations

import io

from analyzer.core.alerts import AlertRule
from analyzer.core.engine import Engine
from analyzer.formats.clf import parse
from analyzer.ui.display import Plain, Status
from tests.conftest import clf_line

T0 = 1_800_000_000


def test_plain_appends_reports_and_messages_in_order() -> None:
    engine = Engine(AlertRule(threshold=1, window=10))
    engine.ingest(parse(clf_line(T0)))
    out = io.StringIO()
    display = Plain(out)
    display.message("High traffic generated an alert - hits = 1.10, triggered at ...")
    display.report(engine.report(T0 + 1, 10), "analyzer: access.log")
    display.status(Status(T0, None, 0.1, 1, 10, 0.0, 1, T0))
    display.report(engine.report(T0 + 2, 1), "analyzer: access.log")
    assert display.actions() == []
    text = out.getvalue()
    assert text.startswith("High traffic generated an alert") and "\x1b" not in text
    assert text.count("analyzer: access.log |") == 2 and text.endswith("\n\n")
