"""The live monitor's imperative shell: files, clock and screen around the pure engine.

Each poll (every second) reads what every file appended, checks the alert up to the horizon,
prints transitions and writes the reports whose second the horizon passed. `warm` fills the
window at start, `files` reads and parses one path, the engine (core) holds the state."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from analyzer.core.alerts import ALERT, Transition, rule_key
from analyzer.core.engine import Engine
from analyzer.core.focus import focus_on
from analyzer.core.ledger import REWIND_AFTER, report_start
from analyzer.follow.checkpoint import CHECKPOINT_NAME, Keeper, Positions, file_key, load
from analyzer.follow.tail import Follower
from analyzer.formats.clf import Parsed
from analyzer.live.files import Feed, LogFile
from analyzer.live.lookback import settle
from analyzer.live.settings import POLL_SECONDS, REPLAY_STEP, Clock, Settings
from analyzer.live.stdin import STDIN, StdinFeed
from analyzer.live.timekeeping import Timekeeper, distrust_future_checkpoint, status_of
from analyzer.live.warm import warm_start
from analyzer.outputs.sinks import OutputError, Outputs, RejectSink, read_histories, read_history
from analyzer.ui.dashboard import Dashboard
from analyzer.ui.display import QUIT, Display, Filter, Listener, Plain, Status


def restored_state(history: list[Transition]) -> bool:
    """Whether the last transition on record left the alert on."""
    return bool(history) and history[-1].kind == ALERT


class Monitor:
    """Follows files, feeds the engine, writes the CSVs and the screen."""

    def __init__(
        self,
        settings: Settings,
        stdout: TextIO,
        clock: Clock,
        display: Display | None = None,
        feeds: Sequence[Feed] | None = None,
        listeners: Sequence[Listener] = (),
    ) -> None:
        """`feeds`: where lines come from instead of following `settings.paths` (a replay, on
        its own clock: then there is no warm start and no checkpoint). `listeners` hear every
        transition, report and status beside the display (delivery, the web page)."""
        self.settings = settings
        self.listeners = list(listeners)
        self.display = display or (
            Plain(stdout, settings.top) if settings.plain else Dashboard(stdout, settings.top, settings.color)
        )
        self.clock = clock
        self.quit = False  # the person asked to stop (`q` on a dashboard)
        self.outputs = Outputs(settings.out)
        history = read_history(settings.out / "alerts.csv", settings.rule)
        self.engine = Engine(
            settings.rule,
            settings.lateness,
            restored_state(history),
            read_histories(settings.out / "alerts.csv", (settings.rule, *settings.others)),
            settings.top,
            settings.csv_top,
            settings.interval,
            settings.others,
        )
        self.rejects = RejectSink(settings.rejects) if settings.rejects else None
        self.files: list[Feed] = list(feeds) if feeds else [self._feed(path) for path in settings.paths]
        # Following files (not a replay's feeds, which hand each request over at its own
        # second): a checkpoint, and the log's clock measured against this host's.
        self.live = feeds is None
        self.keeper = Keeper(settings.out / CHECKPOINT_NAME, rule_key(settings.rule)) if self.live else None
        self.overruns = 0
        self.reported_overruns = 0
        self.time = Timekeeper(clock, settings.lateness)

    def _feed(self, path: str) -> Feed:
        if path == STDIN:
            return StdinFeed(self.settings, self.clock.now)
        return LogFile(path, self.settings, self.clock.now)

    @property
    def followers(self) -> list[Follower]:
        """Each file's follower (tests look at their state)."""
        return [file.follower for file in self.files if isinstance(file, LogFile)]

    def warm_start(self) -> None:
        """Read back over the end of each file to fill the window, then follow from there."""
        for torn in self.outputs.warnings():
            self.display.message(f"analyzer: warning: {torn}")
        if self.keeper is not None:
            saved, warning = load(self.keeper.path)
            if warning:
                self.display.message(f"analyzer: warning: {warning}")
            files = [file for file in self.files if isinstance(file, LogFile)]
            warm_start(files, self.engine, saved, self.outputs.stats_size(), self.keeper.rule)
        now = self.clock.now()
        ledger = self.engine.ledger
        if ledger.reported_to is None:  # no report on record: the reports start from now
            ledger.reported_to = report_start(self.engine.horizon(now), self.settings.interval)
        if self.keeper is not None:
            self.keeper.start(self._positions(), self.outputs.stats_size(), ledger.reported_to)
            self._save(idle=False)
        self._notices()
        first = self.engine.report(self.engine.horizon(now), close=False)
        self.display.first(first, self.settings.title or self._title())
        for listener in self.listeners:
            listener.first(first)
        self.display.status(self.status(now))

    def poll(self) -> None:
        """Read what was appended, check the alert up to the horizon, print transitions."""
        self._outputs_in_place()
        stepped = self.time.host_step(self.engine)
        if stepped:
            self.display.message(stepped)
        for file in self.files:
            read_at = self.clock.now() if self.live else None
            for parsed in file.read():
                self._ingest(file, parsed, self.time.measuring(read_at, file.behind, self.engine))
        now = self.clock.now()
        distrust_future_checkpoint(self.engine, self.engine.horizon(now), self.time.waited())
        self._notices()
        # A replay's clock is its log's: it judges from the first poll, however far a poll steps.
        judging = not self.live or self.time.judging(self.engine)
        judged = self._opening(now) + self.engine.evaluate(now) if judging else []
        for transition in judged:
            self.outputs.transition(transition)
            self.display.transition(transition)
            for listener in self.listeners:
                listener.transition(transition)
        self._save()
        status = self.status(now)
        self.display.status(status)
        for listener in self.listeners:
            listener.status(status)
            for notice in listener.notices():
                self.display.message(notice)
        for action in self.display.actions():
            if isinstance(action, Filter):  # the screen's filter or drill-down, from now on
                since = self.engine.horizon(now) + self.settings.lateness
                self.engine.focus = focus_on(action.terms, action.words, since)
            elif action == QUIT:
                self.quit = True
            else:
                self.clock.act(action)  # a replay's speed and pause

    def _opening(self, now: float) -> list[Transition]:
        """At the first check after a start with no record of the state, where it began."""
        files = [file for file in self.files if isinstance(file, LogFile)]
        if len(files) < len(self.files):
            files = []  # standard input cannot be read back: the read-back is all there is
        return settle(self.engine, files, self.engine.horizon(now), self.settings.look_back)

    def status(self, now: float) -> Status:  # the state as of `now` (`timekeeping.status_of`)
        return status_of(self.engine, now, self.settings.lateness, len(self.files), self.clock)

    def _ingest(self, file: Feed, parsed: Parsed, read_at: float | None = None) -> None:
        self.engine.ingest(parsed, read_at=read_at)
        file.count(parsed)
        if self.rejects and parsed.rejects:
            self.rejects.write(file.path, parsed.rejects)

    def _notices(self) -> None:
        """Say at once what happened to the files (rotated, truncated, missing, unreadable) and
        to the clocks (the log's time jumped, the log's clock far from this host's)."""
        for file in self.files:
            for notice in file.take_notices():
                self.display.message(f"{file.path}: {notice}")
        for notice in self.engine.take_notices():
            self.display.message(f"analyzer: warning: {notice}")
        said = self.time.skew_notice(self.engine)
        if said:
            self.display.message(said)

    def _outputs_in_place(self) -> None:
        """The output files deleted under the monitor (or their directory) are written anew."""
        try:
            if self.outputs.reopen_if_gone():
                self.display.message(
                    f"analyzer: warning: the CSVs in {self.settings.out} were deleted: writing them anew "
                    "(the rows written before went with them)"
                )
            if self.rejects is not None and not self.rejects.linked():
                self.rejects.close()
                self.rejects = RejectSink(self.rejects.path)
        except OSError as error:
            raise OutputError(
                f"{self.settings.out}: cannot write the outputs any more: {error.strerror}"
            ) from None

    def _save(self, idle: bool = True, force: bool = False) -> None:
        """Write the checkpoint; after a poll that read no line since the last report, with
        the positions of now: as good as a report's, and fresher (a file that was empty then
        has a fingerprint now)."""
        engine = self.engine
        pending = engine.pending
        if self.keeper is None:
            return
        if idle and not pending.rejected and not pending.requests:
            self.keeper.start(self._positions(), self.outputs.stats_size(), engine.ledger.reported_to)
        judged = engine.evaluated_to if engine.evaluated_to is not None else engine.resume_after
        try:
            self.keeper.save(judged, engine.alert_on, force, engine.states)
        except OSError as error:
            raise OutputError(f"{self.keeper.path}: cannot write the checkpoint: {error.strerror}") from None

    def _positions(self) -> Positions:
        return {file_key(file.path): file.positions() for file in self.files}

    def report(self, now: float, overran: bool = False) -> None:
        """Write the report of second `now` (`overran`: it was due an interval ago or more)."""
        second = math.floor(now)
        report = self.engine.report(second)
        self.overruns += overran
        if not self.live and not (report.interval.requests or report.rejected):
            return  # a replay writes only the reports with lines (a quiet stretch is skipped)
        files = tuple(file.status() for file in self.files)
        report = replace(report, files=files, overruns=self.overruns - self.reported_overruns)
        self.reported_overruns = self.overruns
        # The checkpoint first, with the positions this row counts up to (see checkpoint.py).
        if self.keeper is not None:
            self.keeper.before_report(self._positions(), self.outputs.stats_size(), second)
            self._save(idle=False)
        self.outputs.report(report)
        if self.keeper is not None:
            self.keeper.confirm(self.outputs.stats_size())
            self._save(idle=False)
        self.display.report(report, self.settings.title or self._title())
        for listener in self.listeners:
            listener.report(report)

    def reports(self, first_poll: bool = False) -> None:
        """Write every report whose second the horizon has passed. One that was due an
        interval before (a slow tick) is counted as an overrun, except right after a start
        (reports caught up after a stop are not late ticks)."""
        now = self.clock.now()
        horizon = self.engine.horizon(now)
        for second in self.engine.ledger.due(horizon, quiet=self.live):  # a replay writes no empty one
            late = self.live and not first_poll and horizon - second >= self.settings.interval
            self.report(second, overran=late)

    def _title(self) -> str:
        names = ", ".join(f"{file.path} ({file.format_name()})" for file in self.files)
        return f"analyzer: {names}"

    def run(self, close_display: bool = True) -> None:
        """Poll every second, writing each report the horizon passes, until told to stop."""
        self.warm_start()
        first_poll, poll_at = True, self.clock.tick()
        try:
            while not self.clock.stop() and not self.quit and not all(file.ended for file in self.files):
                self.poll()
                self.reports(first_poll)
                first_poll = False
                # A backlog (a file read up to its poll budget) is read on at once, not in a second.
                if any(file.behind for file in self.files):
                    continue
                speed = self.clock.speed()
                if speed is not None:  # a replay: up to an hour of its log a poll (see REPLAY_STEP)
                    self.clock.sleep(min(POLL_SECONDS * max(1.0, speed), REPLAY_STEP))
                    continue
                # Live polls keep a second's pace on the clock that never steps: the work of a
                # poll does not push the next one later (two reports would fall in one poll).
                poll_at = max(poll_at + POLL_SECONDS, self.clock.tick() - POLL_SECONDS)
                self.clock.sleep(max(0.0, poll_at - self.clock.tick()))
        except KeyboardInterrupt:
            self.finish()  # Ctrl-C is a clean stop too
            raise
        else:
            self.finish()
        finally:
            for listener in self.listeners:
                listener.close()
            if close_display:
                self.display.close()
            self.outputs.close()
            for file in self.files:
                file.close()
            if self.rejects:
                self.rejects.close()

    def finish(self) -> None:
        """On a clean stop, read the last lines and write the reports they are in, the last
        one before its time: every line read reaches stats.csv, up to REWIND_AFTER seconds
        ahead of now on the log's clock (a measure of it that lags a little included); lines
        further ahead stay for the next start, which reads them back (see core/ledger.py)."""
        self.poll()
        self.reports()
        ledger = self.engine.ledger
        if ledger.reported_to is not None:
            # Late lines wait at the second after the last report: that report is written too.
            now = self.engine.horizon(self.clock.now()) + self.settings.lateness
            for second in ledger.held_reports(at_most=max(now, ledger.reported_to + 1) + REWIND_AFTER):
                self.report(second)
        self._save(idle=False, force=True)  # the last second judged, exactly
