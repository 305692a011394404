"""The monitor's core: what it knows between ticks, with every time passed in explicitly.

No files, no clock, no printing: the shell (monitor.py) reads lines, calls `ingest`, then
`evaluate(now)` every poll and `report(now)` every interval. Tests drive it with any clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analyzer.core.alerts import AlertRule, Transition, check
from analyzer.core.compact import TEXT, Rows, Vocabulary, compact
from analyzer.core.onset import Opening
from analyzer.core.stats import Summary, summarize_counted, summarize_rows
from analyzer.core.window import Window
from analyzer.formats.clf import MAX_REJECT_SAMPLES, Parsed

MAX_CATCH_UP = 86_400  # seconds of history the first check may replay
NEWEST = 2**62  # a report's window reaches any second ahead of the clock (a skewed server)


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
    directives: int = 0  # W3C directive lines: neither requests nor rejected
    reasons: dict[str, int] = field(default_factory=dict)  # rejected lines per reason
    reject_examples: dict[str, str] = field(default_factory=dict)  # latest line per reason
    files: tuple[FileStatus, ...] = ()  # one per followed path, filled in by the monitor
    overruns: int = 0  # reports that came a whole interval late since the last one (slow ticks)
    # Requests in each of the window's seconds, oldest first, the last one at `time`.
    per_second: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    warm_rejected: int = 0  # of the lines read back at start
    reason_totals: dict[str, int] = field(default_factory=dict)  # rejected lines per reason since start


@dataclass(frozen=True)
class FileStatus:
    """One followed path, for the report: what was read from it and what it is doing."""

    path: str
    lines: int  # requests + rejected read since start
    rejected: int
    last_seen: int | None  # wall-clock second of the last line read (None: none yet)
    status: str  # following, waiting..., cannot read..., still reading an old file...
    warm: int = 0  # lines read back at start (in the window, not in `lines`)


@dataclass
class Counters:
    """What arrived since the last report, beyond the requests themselves."""

    rejected: int = 0
    late: int = 0
    warm: int = 0
    warm_rejected: int = 0  # of the warm lines: shown, as every rejected line is
    directives: int = 0
    rows: list[Rows] = field(default_factory=list)  # the requests, as compact columns
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(len(rows) for rows in self.rows)


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
        # The warm start read only the end of the log: seconds before this may be missing
        # lines, so no window reaching before it is judged. None: the whole log was read.
        self.known_from: int | None = None
        # A checkpoint's last judged second: the first check goes on right after it.
        self.resume_after: int | None = None
        # Lines were read back at start: the state before them is not known, and the first
        # check must find where the state it finds began (see `opening_span`).
        self.read_back = False
        self.vocabularies = {name: Vocabulary() for name in TEXT}
        self.window = Window(self.vocabularies)
        self.pending = Counters()
        self.reject_samples: list[str] = []
        self.reject_examples: dict[str, str] = {}
        self.totals = {"requests": 0, "rejected": 0, "late": 0}
        self.reason_totals: dict[str, int] = {}  # rejected lines per reason since start
        self.newest: int | None = None  # the newest event second seen (a stale log says so)

    def ingest(self, parsed: Parsed, warm: bool = False) -> None:
        """Take a parsed batch. Warm-start lines fill the window but belong to no report."""
        rows = compact(parsed.frame, self.vocabularies)
        self.window.add(rows)
        if len(rows):
            newest = int(rows.seconds.max())
            self.newest = newest if self.newest is None else max(self.newest, newest)
        if warm:
            self.read_back = self.read_back or len(rows) > 0
            self.pending.warm += parsed.lines
            self.pending.warm_rejected += parsed.rejected
            return
        late = 0
        judged = self.evaluated_to if self.evaluated_to is not None else self.resume_after
        if judged is not None and len(rows):
            late = int(np.count_nonzero(rows.seconds <= judged))
        if len(rows):
            self.pending.rows.append(rows)
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

    def resume(self, evaluated_to: int | None, alert_on: bool) -> None:
        """Go on from a checkpoint: judge from the second after `evaluated_to`, in its state.

        alerts.csv, when it has rows, wins over the checkpoint's state: a crash between an
        alert row and the next checkpoint must not write that alert a second time.
        """
        self.resume_after = evaluated_to
        if not self.history:
            self.alert_on = alert_on

    def opening_span(self, horizon: int) -> tuple[int, int] | None:
        """`(first, judged)` when the first check has no record of the state before it: a start
        without a checkpoint of this rule that read lines back. The hits held are complete
        from `first` (the oldest line read back: nothing is known before it, not even that the
        log had no lines then) and `judged` is the first second whose window they hold whole,
        or the horizon if none is yet. None: no opening is needed."""
        if not self.read_back or self.evaluated_to is not None or self.resume_after is not None:
            return None
        oldest = self.window.oldest()
        if oldest is None:
            return None
        first = self.known_from if self.known_from is not None else oldest
        judged = min(horizon, max(self._first_second(horizon), first + self.rule.window - 1))
        return (first, judged) if judged >= first else None

    def open(self, opening: Opening) -> list[Transition]:
        """Take the state an opening found at its second; the checks go on after it."""
        self.read_back = False
        self.evaluated_to = opening.second
        self.alert_on = opening.state
        found = [opening.transition] if opening.transition is not None else []
        self.history.extend(found)
        return found

    def horizon(self, now: float) -> int:
        """The last second whose lines are all in: wall clock minus the allowed lateness."""
        return math.floor(now) - self.lateness

    def evaluate(self, now: float) -> list[Transition]:
        """Check every second not yet checked up to the horizon; return the transitions."""
        horizon = self.horizon(now)
        start = self.evaluated_to + 1 if self.evaluated_to is not None else self._first_second(horizon)
        if start > horizon:
            return []
        first = start - self.rule.window + 1
        counts = self.window.per_second(first, horizon)
        found, self.alert_on = check(counts, first, start, horizon, self.alert_on, self.rule)
        self.evaluated_to = horizon
        self.history.extend(found)
        self.window.trim(keep_after=self.evaluated_to - self.rule.window)
        self._compact_vocabularies()
        return found

    def _compact_vocabularies(self) -> None:
        """Forget values no held second counts any more (the paths of a scan that left the
        window), so a flood of distinct values cannot grow memory."""
        for name, vocabulary in self.vocabularies.items():
            if len(vocabulary) < 4096:
                continue
            pending = [getattr(rows, name) for rows in self.pending.rows]
            used = np.union1d(
                self.window.codes_in_use(name), np.concatenate([np.zeros(0, np.int32), *pending])
            )
            used = used[used >= 0]
            if len(vocabulary) <= 2 * len(used):
                continue
            mapping = vocabulary.compact(used)
            self.window.remap(name, mapping)
            for rows in self.pending.rows:
                rows.remap(name, mapping)

    def _first_second(self, horizon: int) -> int:
        """Where the first check starts: the oldest second whose state can be known.

        That is the oldest line held (the warm start's), so an episode that began or ended
        while the monitor was down gets its real time; but not before the first window the
        read-back holds whole, nor at or before the last transition on record (the restored
        state holds from there), nor replaying a stale log from long ago second by second.
        After a checkpoint it is the second after the last one judged, lines or not: the
        seconds the monitor was down are judged as a backtest would judge them.
        """
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

    def report(self, now: float, interval: int, close: bool = True) -> Report:
        """The report for the `interval` seconds ending at `now`; starts the next one.

        With `close=False` nothing is reset: the state so far, as a screen shows it before
        the first report (the interval so far, the window the warm start filled).
        """
        second = math.floor(now)
        recent = Rows.concat(self.pending.rows)
        first = second - self.rule.window + 1
        counted = self.window.counted(first, NEWEST)
        vocabularies, top, limit = self.vocabularies, self.top, self.section_limit
        if close or self.pending.rows:
            recent_summary = summarize_rows(recent, interval, vocabularies, top, limit)
        else:  # a screen before the first report: the interval's seconds as the read-back holds them
            held = self.window.counted(second - interval + 1, NEWEST)
            recent_summary = summarize_counted(held, interval, vocabularies, top, limit)
        report = Report(
            time=second,
            interval=recent_summary,
            window=summarize_counted(counted, self.rule.window, vocabularies, top, limit),
            rejected=self.pending.rejected,
            late=self.pending.late,
            warm=self.pending.warm,
            warm_rejected=self.pending.warm_rejected,
            reject_samples=list(self.reject_samples),
            history=list(self.history),
            alert_on=self.alert_on,
            rule=self.rule,
            totals=dict(self.totals),
            directives=self.pending.directives,
            reasons=dict(self.pending.reasons),
            reject_examples=dict(self.reject_examples),
            per_second=self.window.per_second(first, second),
            reason_totals=dict(self.reason_totals),
        )
        if close:
            self.pending = Counters()
        return report
