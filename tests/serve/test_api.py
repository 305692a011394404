from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.outputs.sinks import Outputs
from analyzer.serve.api import Api, BadRequest
from analyzer.serve.state import LiveState
from tests.serve.conftest import HOSTILE_PATH, T0, make_report


@pytest.fixture
def api(tmp_path: Path) -> Api:
    outputs = Outputs(tmp_path)  # the monitor's own writer: the API reads what it writes
    rule = AlertRule(2, 120)
    for n in range(25):
        outputs.transition(
            Transition(T0 + 600 * n, ALERT if n % 2 == 0 else RECOVERED, 241 if n % 2 == 0 else 100, rule)
        )
    outputs.report(make_report(["/a/1", HOSTILE_PATH]))
    outputs.close()
    return Api(tmp_path, LiveState(), wall=lambda: T0 + 5)


def test_alerts_are_paged_newest_first_within_the_period(api: Api) -> None:
    page = api.answer("alerts", "per_page=10&page=3")
    assert (page["total"], page["pages"], page["page"]) == (25, 3, 3)
    assert [row["second"] for row in page["alerts"]] == [T0 + 600 * n for n in (4, 3, 2, 1, 0)]  # type: ignore[attr-defined]
    period = api.answer("alerts", f"since={T0 + 600 * 20}&until=2027-01-15T11:30:00Z")
    assert [row["second"] for row in period["alerts"]] == [T0 + 600 * n for n in (21, 20)]  # type: ignore[attr-defined]


def test_stats_of_a_period_default_to_the_last_hour(api: Api) -> None:
    answer = api.answer("stats", "")
    assert answer["until"] == T0 + 5 and answer["since"] == T0 + 5 - 3600
    columns = answer["columns"]
    assert isinstance(columns, list)
    rows = answer["rows"]
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert row[columns.index("time")] == T0 and row[columns.index("requests")] == 90


def test_sections_of_a_period_are_paged_most_first_with_their_share(api: Api) -> None:
    first = api.answer("sections", "per_page=1")  # the last hour: the report at T0
    assert (first["total"], first["pages"], first["hits"]) == (2, 2, 90)
    assert first["sections"] == [{"section": HOSTILE_PATH, "hits": 45, "share": 0.5}]  # a tie: by name
    second = api.answer("sections", "per_page=1&page=2")
    assert second["sections"] == [{"section": "/a", "hits": 45, "share": 0.5}]
    later = api.answer("sections", f"since={T0 + 1}")
    assert (later["total"], later["hits"], later["sections"]) == (0, 0, [])


@pytest.mark.parametrize("query", ["since=10&until=5", "per_page=0", "page=x", "until=tomorrow"])
def test_bad_sections_parameters_are_said(api: Api, query: str) -> None:
    with pytest.raises(BadRequest):
        api.answer("sections", query)


def test_an_older_alerts_file_is_told_this_runs_drivers(tmp_path: Path) -> None:
    """A monitor appends to alerts.csv in its header's columns: an older header has no drivers
    column, so the page hears them from what the run remembers."""
    message = "High traffic generated an alert - hits = 2.01, triggered at 2027-01-15T08:00:00+00:00"
    (tmp_path / "alerts.csv").write_text(
        f'time,kind,hits,threshold,window_s,message\n2027-01-15T08:00:00Z,alert,2.01,2,120,"{message}"\n'
    )
    state = LiveState()
    state.keep_drivers(T0, message, "driven by /a +200 (83%)")
    (row,) = Api(tmp_path, state).answer("alerts", "")["alerts"]  # type: ignore[misc]
    assert row["drivers"] == "driven by /a +200 (83%)"
    assert Api(tmp_path, LiveState()).answer("alerts", "")["alerts"][0]["drivers"] == ""  # type: ignore[index]


@pytest.mark.parametrize(
    "query", ["page=-1", "per_page=501", "since=noon", "since=10&until=5", "max_points=0"]
)
def test_bad_parameters_are_said(api: Api, query: str) -> None:
    with pytest.raises(BadRequest):
        api.answer("alerts" if "page" in query else "stats", query)


def test_each_alert_names_its_rule_an_older_file_by_its_message(tmp_path: Path) -> None:
    old = "High traffic generated an alert - hits = 2.01, triggered at 2027-01-15T08:00:00+00:00"
    (tmp_path / "alerts.csv").write_text(
        f'time,kind,hits,threshold,window_s,message\n2027-01-15T08:00:00Z,alert,2.01,2,120,"{old}"\n'
    )
    outputs = Outputs(tmp_path)  # appends in the file's own columns: no rule column
    outputs.transition(Transition(T0 + 60, ALERT, 9, ErrorRateRule(5, 120), volume=100))
    outputs.close()
    (tmp_path / "new").mkdir()
    outputs = Outputs(tmp_path / "new")  # today's header, with the rule column
    errors, section = ErrorRateRule(5, 120), SectionRateRule(1, 120, section="/api")
    outputs.transition(Transition(T0, ALERT, 9, errors, volume=100))
    outputs.transition(Transition(T0 + 1, ALERT, 121, section))
    outputs.transition(Transition(T0 + 2, RECOVERED, 100, AlertRule(2, 120)))
    outputs.close()
    rules = [row["rule"] for row in Api(tmp_path, LiveState()).answer("alerts", "")["alerts"]]  # type: ignore[attr-defined]
    assert rules == ["error_rate_5xx", "high_traffic"]  # newest first; no rule column: each message names it
    newer = Api(tmp_path / "new", LiveState()).answer("alerts", "")["alerts"]
    assert [row["label"] for row in newer] == ["high traffic", "section /api", "error rate 5xx"]  # type: ignore[attr-defined]
    assert [(row["rule"], row["hits"], row["threshold"]) for row in newer] == [  # type: ignore[attr-defined]
        ("high_traffic", "0.83", "2"), ("section_rate:/api", "1.01", "1"), ("error_rate_5xx", "9.00", "5"),
    ]  # fmt: skip


def test_the_report_answer_has_every_rules_state(tmp_path: Path) -> None:
    others = (ErrorRateRule(5, 20, min_requests=10),)
    report = make_report(["/a/1"], others=others)
    state = LiveState(rules=(report.rule, *others))
    assert [rule["on"] for rule in Api(tmp_path, state).answer("report", "")["rules"]] == [False, False]  # type: ignore[attr-defined]
    state.set_report({"second": T0}, report, closed=True, top=5)
    answer = Api(tmp_path, state).answer("report", "")
    assert answer["report"] == {"second": T0}
    assert [(rule["rule"], rule["on"], rule["value"]) for rule in answer["rules"]] == [  # type: ignore[attr-defined]
        ("high_traffic", True, 2.85), ("error_rate_5xx", True, 33.333),
    ]  # fmt: skip
