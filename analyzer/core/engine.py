"""The monitor's core: what it knows between ticks, with every time passed in explicitly.

No files, no clock, no printing: the shell (monitor.py) reads lines, calls `ingest`, then
`evaluate(now)` every poll and `report(now)` every interval. Tests drive it with any clock.
"""

from __future__ import annotations

import math

import numpy as np

from analyzer.core.alerts import ALERT, AlertRule, Transition, check, state_at, stretches
from analyzer.core.clocks import LogClock, jumped_back, span_words
from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.drivers import window_rises, with_drivers
from analyzer.core.focus import Focus
from analyzer.core.ledger import Ledger
from analyzer.core.onset import Opening
from analyzer.core.report import Counters, FileStatus, Report
from analyzer.core.rules import scoped, tracked_sections
from analyzer.core.standing import standings
from analyzer.core.stats import summarize_counted
from analyzer.core.times import iso_utc
from analyzer.core.window import Window, forget_unused
from analyzer.formats.clf import MAX_REJECT_SAMPLES, Parsed

__all__ = ["MAX_CATCH_UP", "NEWEST", "Counters", "Engine", "FileStatus", "Report"]

MAX_CATCH_UP = 86_400  # seconds of history the first check may replay
NEWEST = 2**62  # a report's window reaches any second ahead of the clock (a skewed server)


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
        interval: int = 10,
        others: tuple[AlertRule, ...] = (),
    ) -> None:
        self.rule = rule
        self.rules = (rule, *others)  # judged over one window, high traffic first (others: core.rules)
        self.states = {
            o.key: [t.kind for t in history or [] if t.rule.key == o.key][-1:] == [ALERT] for o in others
        }
        self.interval = interval
        self.lateness = lateness
        self.alert_on = alert_on
        self.history: list[Transition] = list(history or [])
        self.top = top
        self.section_limit = section_limit
        self.evaluated_to: int | None = None
        # The warm start read only the end of the log: seconds before this may be missing
        # lines, so no window reaching before it is judged. None: the whole log was read.
        self.known_from: int | None = None
        # A checkpoint's last judged second: the first check goes on right after it. Rules
        # with no state in it (added at this start) are opened as a start without one is.
        self.resume_after: int | None = None
        self.unopened: set[str] = set()
        # Lines were read back at start: the state before them is not known, and the first
        # check must find where the state it finds began (see `opening_span`).
        self.read_back = False
        self.vocabularies = {name: Vocabulary() for name in TEXT}
        self.window = Window(self.vocabularies, tracked_sections(list(self.rules)), scoped(list(self.rules)))
        self.ledger = Ledger(self.vocabularies, interval)  # what the next reports count
        self.pending = Counters()
        self.reject_samples: list[str] = []
        self.reject_examples: dict[str, str] = {}
        self.totals = {"requests": 0, "rejected": 0, "late": 0}
        self.reason_totals: dict[str, int] = {}  # rejected lines per reason since start
        self.newest: int | None = None  # the newest event second seen (a stale log says so)
        self.log_clock = LogClock()
        self.newest_live: int | None = None  # the newest event second read since start
        # After the log's time jumped back: windows before this second are partial (they may
        # turn the alert on, not off). None: every window is whole.
        self.partial_until: int | None = None
        self.notices: list[str] = []  # what the shell is to say (a jump of the log's time, ...)
        self.focus: Focus | None = None  # the screen's drill-down or filter (core.focus)

    def ingest(self, parsed: Parsed, warm: bool = False, read_at: float | None = None) -> None:
        """Take a batch read at host time `read_at`; warm-start lines fill the window, in no report."""
        rows = compact(parsed.frame, self.vocabularies)
        if (
            not warm
            and self.evaluated_to is not None
            and jumped_back(rows.seconds, self.newest, self.rule.window)
        ):
            self._restart_window(int(rows.seconds.min()))
        if read_at is not None and not warm:
            self.log_clock.observe(rows.seconds, read_at)
        self.window.add(rows)
        if self.focus is not None and not warm:
            self.focus.add(parsed.frame)
        others = parsed.rejected or parsed.directives
        request_at = parsed.request_at() if others else np.zeros(0, np.int64)
        horizon = self.horizon(read_at) if read_at is not None else None
        self.ledger.file(
            rows, parsed.rejected_at, request_at, warm, parsed.rejected, horizon, parsed.directive_at
        )
        if len(rows):
            newest = int(rows.seconds.max())
            self.newest = newest if self.newest is None else max(self.newest, newest)
            if not warm:
                self.newest_live = newest if self.newest_live is None else max(self.newest_live, newest)
        if warm:
            self.read_back = self.read_back or len(rows) > 0
            self.pending.warm += parsed.lines
            self.pending.warm_rejected += parsed.rejected
            return
        late = 0
        judged = self.evaluated_to if self.evaluated_to is not None else self.resume_after
        if judged is not None and len(rows):
            late = int(np.count_nonzero(rows.seconds <= judged))
        self.pending.requests += len(rows)
        self.pending.directives += parsed.directives
        for reason, line in parsed.rejects:
            self.pending.reasons[reason] = self.pending.reasons.get(reason, 0) + 1
            self.reason_totals[reason] = self.reason_totals.get(reason, 0) + 1
            self.reject_examples[reason] = line  # the latest of each reason, for the screen
        self.pending.rejected += parsed.rejected
        self.pending.late += late
        self.totals["requests"] += len(rows)
        self.totals["rejected"] += parsed.rejected
        self.totals["late"] += late
        self.reject_samples = (self.reject_samples + parsed.reject_samples)[-MAX_REJECT_SAMPLES:]

    def _restart_window(self, first: int) -> None:
        """The log's time fell back over a window: it restarts at `first`, judged from there in its state."""
        assert self.newest is not None and self.evaluated_to is not None
        self.notices.append(
            f"the log's time jumped back {span_words(self.newest - first)} (from {iso_utc(self.newest)} "
            f"to {iso_utc(first)}): the window restarts there"
        )
        self.window = Window(self.vocabularies, tracked_sections(list(self.rules)), scoped(list(self.rules)))
        self.evaluated_to = first - 1
        self.partial_until = first + self.rule.window - 2
        self.newest = None
        self.log_clock.forget()

    def take_notices(self) -> list[str]:
        found, self.notices = self.notices, []
        return found

    @property
    def alert_on(self) -> bool:
        """The high-traffic rule's state (the header's, the stats' `alert_on`)."""
        return self.states[self.rule.key]

    @alert_on.setter
    def alert_on(self, on: bool) -> None:
        self.states[self.rule.key] = on

    def resume(self, evaluated_to: int | None, alert_on: bool, others: dict[str, bool] | None = None) -> None:
        """Go on from a checkpoint: judge from the second after `evaluated_to`, in its state.
        alerts.csv, when it has rows, wins over the checkpoint's state: a crash between an
        alert row and the next checkpoint must not write that alert a second time."""
        self.resume_after = evaluated_to
        saved = {**(others or {}), self.rule.key: alert_on}
        self.unopened = {rule.key for rule in self.rules if rule.key not in saved}
        for rule in self.rules:
            if rule.key in saved and not any(t.rule.key == rule.key for t in self.history):
                self.states[rule.key] = saved[rule.key]

    def opening_span(self, horizon: int) -> tuple[int, int] | None:
        """`(first, judged)` when the first check has no record of the state before it: a start
        without a checkpoint of this rule that read lines back. The hits held are complete
        from `first` (the oldest line read back: nothing is known before it, not even that the
        log had no lines then) and `judged` is the first second whose window they hold whole,
        or the horizon if none is yet; after a checkpoint, the rules it has no state of are
        opened at its last judged second. None: no opening is needed."""
        unopened = self.resume_after is None or bool(self.unopened)  # every rule, or those added
        opening = self.read_back and self.evaluated_to is None and unopened
        oldest = self.window.oldest()
        if not opening or oldest is None:
            return None
        first = self.known_from if self.known_from is not None else oldest
        judged = min(horizon, max(self._first_second(horizon), first + self.rule.window - 1))
        judged = judged if self.resume_after is None else self.resume_after
        return (first, judged) if judged >= first else None

    def open(self, openings: dict[str, Opening]) -> list[Transition]:
        """Take the state each rule's opening (by rule key) found at their second; the checks go on after."""
        self.read_back, self.unopened = False, set()
        self.evaluated_to = second = next(iter(openings.values())).second
        self.states.update({key: opening.state for key, opening in openings.items()})
        found = sorted((o.transition for o in openings.values() if o.transition), key=lambda t: t.second)
        self.window.seal(second)
        found = with_drivers(found, self.window)
        self.history.extend(found)
        return found

    def horizon(self, now: float) -> int:
        """The last second whose lines are all in: wall clock minus the allowed lateness, on
        the log's clock (the host's plus the skew measured) when the two disagree by more."""
        skew = self.log_clock.skew()
        return math.floor(now) + (skew if abs(skew) > self.lateness else 0) - self.lateness

    def evaluate(self, now: float) -> list[Transition]:
        """Check every second not yet checked up to the horizon; return the transitions."""
        horizon = self.horizon(now)
        start = self.evaluated_to + 1 if self.evaluated_to is not None else self._first_second(horizon)
        if start > horizon:
            return []
        window = self.rule.window
        partial = self.partial_until
        off_from = partial + 1 if partial is not None else None
        found: list[Transition] = []
        self.window.seal(horizon)  # judged seconds keep their top keys only (core.heavy)
        self.ledger.seal(horizon)
        for low, high in stretches(self.window.active(start - window + 1, horizon), start, horizon, window):
            first = low - window + 1
            for rule in self.rules:  # one fold, every rule
                counts = self.window.series(rule.series, first, high)
                more, self.states[rule.key] = check(
                    counts, first, low, high, self.states[rule.key], rule, off_from
                )
                found += more
        found.sort(key=lambda t: t.second)  # stable: at one second, the rules in order
        if partial is not None and horizon > partial:
            self.partial_until = None
        self.evaluated_to = horizon
        found = with_drivers(found, self.window)
        self.history.extend(found)
        # Kept: two windows (an alert's drivers compare them) and what unwritten reports need.
        reported = self.ledger.reported_to
        judged = self.evaluated_to if reported is None else min(self.evaluated_to, reported + self.interval)
        self.window.trim(keep_after=judged - 2 * self.rule.window)
        forget_unused(self.vocabularies, [self.window, self.ledger.held])
        return found

    def _first_second(self, horizon: int) -> int:
        """Where the first check starts: the oldest second whose state can be known. That is
        the oldest line held (the warm start's), so an episode that began or ended
        while the monitor was down gets its real time; but not before the first window the
        read-back holds whole, nor at or before the last transition on record (the restored
        state holds from there), nor replaying a stale log from long ago second by second.
        After a checkpoint it is the second after the last one judged, lines or not: the
        seconds the monitor was down are judged as a backtest would judge them."""
        if self.resume_after is not None:
            candidates = [horizon - MAX_CATCH_UP, self.resume_after + 1]
        else:
            oldest = self.window.oldest()
            candidates = [horizon - MAX_CATCH_UP, oldest if oldest is not None else horizon]
        if self.known_from is not None:
            candidates.append(self.known_from + self.rule.window - 1)
        if self.history:
            candidates.append(self.history[-1].second + 1)
        return max(candidates)

    def report(self, now: float, interval: int | None = None, close: bool = True) -> Report:
        """The report of second `now`: the requests filed up to it since the last report, the
        requests of `(now - interval, now]` when `now` is a report's second (see `ledger`),
        over `interval` seconds (default the engine's); starts the next one.

        With `close=False` nothing is reset: the state so far, as a screen shows it before
        the first report (the interval's seconds as the read-back holds them)."""
        second = math.floor(now)
        interval = interval or self.interval
        vocabularies, top, limit = self.vocabularies, self.top, self.section_limit
        if close:
            if self.ledger.reported_to is not None:  # never back: what waits after it is in this one
                second = max(second, self.ledger.reported_to + 1)
            counted, rejected, directives = self.ledger.close(second)
        else:
            counted = self.window.counted(second - interval + 1, second)
            rejected, directives = self.pending.rejected, self.pending.directives
        first = second - self.rule.window + 1
        window = self.window.counted(first, second)
        history, judged, rule = self.history, self.evaluated_to, self.rule
        report = Report(
            time=second,
            interval=summarize_counted(counted, interval, vocabularies, top, limit),
            window=summarize_counted(window, self.rule.window, vocabularies, top, limit),
            rejected=rejected,
            late=self.pending.late,
            warm=self.pending.warm,
            warm_rejected=self.pending.warm_rejected,
            reject_samples=list(self.reject_samples),
            history=list(self.history),
            alert_on=state_at([t for t in history if t.rule.key == rule.key], second, self.alert_on, judged),
            rule=self.rule,
            totals=dict(self.totals),
            directives=directives,
            reasons=dict(self.pending.reasons),
            reject_examples=dict(self.reject_examples),
            per_second=self.window.per_second(first, second),
            reason_totals=dict(self.reason_totals),
            standings=standings(self.rules, self.window, second, history, self.states, judged),
            rises=window_rises(self.window, second, rule.window, top),
        )
        if close:
            self.pending = Counters()
        return report
