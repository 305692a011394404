from __future__ import annotations

from dataclasses import replace

from analyzer.core.report import FileStatus
from analyzer.serve.snapshot import report_json
from analyzer.serve.state import KEPT_DRIVERS, LiveState
from analyzer.ui.display import Status
from tests.serve.conftest import HOSTILE_PATH, make_report


class FakeClock:
    def __init__(self) -> None:
        self.time = 100.0

    def __call__(self) -> float:
        return self.time


def test_counts_add_up_over_closed_reports_only() -> None:
    state = LiveState(FakeClock())
    report = make_report(["/a/1", "/b/1"])
    state.set_report(report_json(report), report, closed=False, top=10)  # the warm start's
    assert state.snapshot()[0].bytes == 0
    state.set_report(report_json(report), report, closed=True, top=10)
    state.set_report(report_json(report), report, closed=True, top=10)
    totals, _ = state.snapshot()
    assert totals.status == {"2xx": 60, "3xx": 0, "4xx": 60, "5xx": 60, "other": 0}
    assert totals.bytes == 180 * 123
    assert totals.requests == 90  # the engine's own total since start, not summed again
    assert sum(totals.reasons.values()) == 1


def test_the_top_sections_are_bounded_with_the_rest_as_other() -> None:
    state = LiveState(FakeClock())
    report = make_report([f"/s{n}/x" for n in range(7)] + [HOSTILE_PATH])
    state.set_report(report_json(report), report, closed=True, top=3)
    sections = state.snapshot()[1].sections
    assert len(sections) == 4 and sections[-1][0] == "(other)"
    assert sum(hits for _, hits in sections) == report.window.requests


def test_health_follows_the_polls_and_the_files() -> None:
    clock = FakeClock()
    state = LiveState(clock, stale_after=10)
    assert state.health() == "starting: no poll yet"
    report = make_report(["/a/1"])
    state.set_report(report_json(report), report, closed=True, top=10)
    assert state.health() is None
    clock.time += 11
    assert state.health() == "no poll for 11 s (the monitor is stuck or paused)"
    state.set_status({}, Status(clock.time, None, 1.0, 2.0, 20, 1.0, 1, None))
    assert state.health() is None
    gone = replace(report, files=(FileStatus("/l", 0, 0, None, "waiting: no such file"),))
    state.set_report(report_json(gone), gone, closed=True, top=10)
    assert state.health() == "no file can be read: /l: waiting: no such file"
    state.stop()
    assert state.health() == "the monitor has stopped"


def test_the_runs_drivers_are_kept_the_latest_only() -> None:
    state = LiveState()
    for second in range(KEPT_DRIVERS + 5):
        state.keep_drivers(second, f"alert {second}", f"driven by /s{second} +1 (100%)")
    state.keep_drivers(10**6, "a recovery", "")  # nothing to say: nothing kept
    assert len(state.drivers) == KEPT_DRIVERS
    assert min(state.drivers) == (5, "alert 5") and (10**6, "a recovery") not in state.drivers
