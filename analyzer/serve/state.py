"""The monitor's latest state as the server threads read it, and whether it is healthy.

Written on the monitor's thread (by `listener.WebListener`), read on the server's: every field
is replaced whole under one lock, never mutated in place, so a reader holds a consistent copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from analyzer.core.alerts import AlertRule, Transition
from analyzer.core.report import Report
from analyzer.core.standing import Standing
from analyzer.core.stats import OTHER, STATUS_CLASSES
from analyzer.serve.rule_states import quiet, report_states, states_json, status_states, with_transition
from analyzer.ui.display import Status

STALE_AFTER = 10.0  # seconds without a poll before /healthz says the monitor is not reading
NOT_READING = ("waiting", "cannot read")  # a follower's status of a file it cannot follow
KEPT_DRIVERS = 64  # the run's latest alerts whose drivers the page is told from memory


@dataclass
class Totals:
    """Since the monitor started: what /metrics counts (Prometheus takes the rates)."""

    requests: int = 0
    rejected: int = 0
    late: int = 0
    bytes: int = 0
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*STATUS_CLASSES, "other"), 0))
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Gauges:
    rules: tuple[Standing, ...] = ()  # every rule judged, the high-traffic one first
    sections: tuple[tuple[str, int], ...] = ()  # the window's top sections and `(other)`


class LiveState:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        stale_after: float = STALE_AFTER,
        rules: tuple[AlertRule, ...] = (),
    ) -> None:
        """`rules`: every rule the monitor judges, the high-traffic one first, told before the
        first report (none given: the reports say them)."""
        self.clock = clock
        self.stale_after = stale_after
        self.lock = threading.Lock()
        self.report: dict[str, object] | None = None  # report_json of the latest report
        self.status: dict[str, object] | None = None
        self.totals = Totals()
        self.gauges = Gauges(tuple(quiet(rule) for rule in rules))
        self.files: tuple[tuple[str, str], ...] = ()  # (path, follower status) at the last report
        self.last_poll: float | None = None
        self.stopped = False
        # (second, message) -> drivers text of this run's alerts: an alerts.csv whose header
        # is older than the drivers column is appended to without them.
        self.drivers: dict[tuple[int, str], str] = {}

    def set_report(self, data: dict[str, object], report: Report, closed: bool, top: int) -> None:
        """A report's JSON, and (`closed`: an interval, not the warm start) its counts."""
        with self.lock:
            self.report = data
            self.files = tuple((file.path, file.status) for file in report.files) or self.files
            if closed:
                self._count(report)
            sections = report.window.sections
            named = [(str(name), int(hits)) for name, hits in sections.items() if name != OTHER][:top]
            rest = int(sections.sum()) - sum(hits for _, hits in named)
            head = [*named, (OTHER, rest)] if rest else named
            self.gauges = Gauges(report_states(report), tuple(head))
            self.last_poll = self.clock()

    def _count(self, report: Report) -> None:
        old = self.totals
        interval = report.interval
        status = dict(old.status)
        for name in STATUS_CLASSES:
            status[name] += int(interval.status_counts[name])
        status["other"] += interval.requests - sum(int(interval.status_counts[n]) for n in STATUS_CLASSES)
        self.totals = Totals(
            requests=int(report.totals.get("requests", old.requests)),
            rejected=int(report.totals.get("rejected", old.rejected)),
            late=int(report.totals.get("late", old.late)),
            bytes=old.bytes + (int(interval.bytes) if interval.sized else 0),
            status=status,
            reasons=dict(report.reason_totals),
        )

    def set_status(self, data: dict[str, object], status: Status) -> None:
        with self.lock:
            self.status = data
            self.gauges = replace(self.gauges, rules=status_states(self.gauges.rules, status))
            self.last_poll = self.clock()

    def set_transition(self, transition: Transition) -> None:
        with self.lock:
            self.gauges = replace(self.gauges, rules=with_transition(self.gauges.rules, transition))

    def rules_json(self) -> list[dict[str, object]]:
        """Every rule's state, as the page and /api/report tell it."""
        with self.lock:
            states = self.gauges.rules
        return states_json(states)

    def keep_drivers(self, second: int, message: str, drivers: str) -> None:
        if not drivers:
            return
        with self.lock:
            kept = {**self.drivers, (second, message): drivers}
            self.drivers = dict(list(kept.items())[-KEPT_DRIVERS:])

    def stop(self) -> None:
        with self.lock:
            self.stopped = True

    def health(self) -> str | None:
        """None while the monitor is reading; else why not, in a line."""
        with self.lock:
            last, files, stopped = self.last_poll, self.files, self.stopped
        if stopped:
            return "the monitor has stopped"
        if last is None:
            return "starting: no poll yet"
        idle = self.clock() - last
        if idle > self.stale_after:
            return f"no poll for {idle:.0f} s (the monitor is stuck or paused)"
        if files and all(status.startswith(NOT_READING) for _, status in files):
            return "no file can be read: " + "; ".join(f"{path}: {status}" for path, status in files)
        return None

    def snapshot(self) -> tuple[Totals, Gauges]:
        with self.lock:
            return self.totals, self.gauges
