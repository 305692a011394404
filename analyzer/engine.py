"""The monitor's core: what it knows between ticks, with every time passed in explicitly.

No files, no clock, no printing: the shell (monitor.py) reads lines, calls `ingest`, then
`evaluate(now)` every poll and `report(now)` every interval. Tests drive it with any clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.alerts import AlertRule, Transition, check_seconds
from analyzer.parse import MAX_REJECT_SAMPLES, Parsed, empty_frame, seconds_of
from analyzer.stats import Summary, summarize
from analyzer.window import Window, concat_frames


MAX_CATCH_UP = 86_400  # seconds of history the first check may replay


@dataclass(frozen=True)
class Report:
    """Everything one dashboard refresh shows, as of second `time`."""

    time: int
    interval: Summary
    window: Summary
    rejected: int
    late: int
    warm: int
    reject_samples: list[str]
    history: list[Transition]
    alert_on: bool
    rule: AlertRule
    totals: dict[str, int] = field(default_factory=dict)


@dataclass
class Counters:
    """What arrived since the last report, beyond the requests themselves."""

    rejected: int = 0
    late: int = 0
    warm: int = 0
    frames: list[pd.DataFrame] = field(default_factory=list)


class Engine:
    """State of a live monitor: the window, the alert state and the report in progress."""

    def __init__(
        self,
        rule: AlertRule,
        lateness: int = 5,
        alert_on: bool = False,
        history: list[Transition] | None = None,
        top: int = 10,
        section_limit: int = 100,
    ) -> None:
        self.rule = rule
        self.lateness = lateness
        self.alert_on = alert_on
        self.history: list[Transition] = list(history or [])
        self.top = top
        self.section_limit = section_limit
        self.evaluated_to: int | None = None
        self.window = Window(empty_frame())
        self.pending = Counters()
        self.reject_samples: list[str] = []
        self.totals = {"requests": 0, "rejected": 0, "late": 0}

    def ingest(self, parsed: Parsed, warm: bool = False) -> None:
        """Take a parsed batch. Warm-start lines fill the window but belong to no report."""
        frame = parsed.frame
        self.window.add(frame)
        if warm:
            self.pending.warm += parsed.lines
            return
        late = 0
        if self.evaluated_to is not None and len(frame):
            late = int(np.count_nonzero(seconds_of(frame) <= self.evaluated_to))
        self.pending.frames.append(frame)
        self.pending.rejected += parsed.rejected
        self.pending.late += late
        self.totals["requests"] += len(frame)
        self.totals["rejected"] += parsed.rejected
        self.totals["late"] += late
        self.reject_samples = (self.reject_samples + parsed.reject_samples)[-MAX_REJECT_SAMPLES:]

    def horizon(self, now: float) -> int:
        """The last second whose lines are all in: wall clock minus the allowed lateness."""
        return math.floor(now) - self.lateness

    def evaluate(self, now: float) -> list[Transition]:
        """Check every second not yet checked up to the horizon; return the transitions."""
        horizon = self.horizon(now)
        seconds = self.window.seconds()
        if self.evaluated_to is None:
            # First check: start at the oldest request held (the warm start's lines), so an
            # episode that began or ended while the monitor was down gets its real time;
            # but a stale log from long ago is not replayed second by second.
            oldest = int(seconds.min()) if len(seconds) else horizon
            self.evaluated_to = max(oldest, horizon - MAX_CATCH_UP) - 1
        found, self.alert_on = check_seconds(
            seconds, self.evaluated_to + 1, horizon, self.alert_on, self.rule
        )
        self.evaluated_to = max(self.evaluated_to, horizon)
        self.history.extend(found)
        self.window.trim(keep_after=self.evaluated_to - self.rule.window)
        return found

    def report(self, now: float, interval: int) -> Report:
        """The report for the `interval` seconds ending at `now`; starts the next one."""
        second = math.floor(now)
        recent = concat_frames([empty_frame(), *self.pending.frames])
        window_frame = self.window.frame(after=second - self.rule.window)
        report = Report(
            time=second,
            interval=summarize(recent, interval, self.top, self.section_limit),
            window=summarize(window_frame, self.rule.window, self.top, self.section_limit),
            rejected=self.pending.rejected,
            late=self.pending.late,
            warm=self.pending.warm,
            reject_samples=list(self.reject_samples),
            history=list(self.history),
            alert_on=self.alert_on,
            rule=self.rule,
            totals=dict(self.totals),
        )
        self.pending = Counters()
        return report
