"""The live monitor's imperative shell: files, clock and screen around the pure engine."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from analyzer.alerts import ALERT, AlertRule, Transition
from analyzer.engine import Engine
from analyzer.formats import LineParser, describe, detect, make_parser
from analyzer.parse import seconds_of
from analyzer.render import CLEAR_SCREEN, render_report
from analyzer.sinks import Outputs, RejectSink, read_history
from analyzer.tail import Follower, read_back
from analyzer.w3c import prime_layout

POLL_SECONDS = 1.0  # lines are read and alerts checked every second; reports every interval


@dataclass
class Settings:
    """The monitor's options, as the CLI gives them."""

    paths: list[str]
    rule: AlertRule
    interval: int = 10
    lateness: int = 5
    fmt: str = "auto"
    log_format: str | None = None
    rejects: Path | None = None
    out: Path = Path("analyzer-out")
    plain: bool = False
    top: int = 10
    csv_top: int = 100
    title: str = ""


@dataclass
class Clock:
    """Where time comes from; tests pass a fake one."""

    now: Callable[[], float]
    sleep: Callable[[float], None]
    stop: Callable[[], bool] = field(default=lambda: False)


def choose_format(path: str, fmt: str) -> str:
    """The format to parse `path` with: given, or detected from its first lines."""
    if fmt != "auto":
        return fmt
    with open(path, "rb") as handle:
        head = handle.read(64 << 10)
    return detect(head) or "combined"


def parser_for(path: str, settings: Settings) -> LineParser:
    """A parser of its own for each followed file (a W3C layout is per file)."""
    return make_parser(choose_format(path, settings.fmt), settings.log_format)


def restored_state(history: list[Transition]) -> bool:
    """Whether the last transition on record left the alert on."""
    return bool(history) and history[-1].kind == ALERT


class Monitor:
    """Follows files, feeds the engine, writes the CSVs and the screen."""

    def __init__(self, settings: Settings, stdout: TextIO, clock: Clock) -> None:
        self.settings = settings
        self.stdout = stdout
        self.clock = clock
        self.outputs = Outputs(settings.out)
        history = read_history(settings.out / "alerts.csv", settings.rule)
        self.engine = Engine(
            settings.rule,
            settings.lateness,
            restored_state(history),
            history,
            settings.top,
            settings.csv_top,
        )
        self.parsers = {path: parser_for(path, settings) for path in settings.paths}
        self.rejects = RejectSink(settings.rejects) if settings.rejects else None
        self.followers = [Follower(path) for path in settings.paths]
        self.overruns = 0

    def warm_start(self) -> None:
        """Read back over the end of each file to fill the window, then follow from there."""
        reach = 2 * self.settings.rule.window + self.settings.lateness
        for follower in self.followers:
            parser = self.parsers[follower.path]

            def covers(lines: bytes, path: str = follower.path) -> bool:
                probe = parser_for(path, self.settings)  # a probe must not move a W3C layout
                prime_layout(probe, path, os.path.getsize(path) - len(lines))
                seconds = seconds_of(probe.parse(lines).frame)
                return len(seconds) > 0 and seconds.min() <= seconds.max() - reach

            lines, offset = read_back(follower.path, covers)
            prime_layout(parser, follower.path, offset - len(lines))
            parsed = parser.parse(lines)
            self.engine.ingest(parsed, warm=True)
            follower.start_at(offset)
            seconds = seconds_of(parsed.frame)
            if len(lines) < offset and len(seconds):  # only the end of the file was read
                oldest = int(seconds.min())
                known = self.engine.known_from
                self.engine.known_from = oldest if known is None else max(known, oldest)

    def poll(self) -> None:
        """Read what was appended, check the alert up to the horizon, print transitions."""
        for follower in self.followers:
            for chunk in follower.read():
                parsed = self.parsers[follower.path].parse(chunk)
                self.engine.ingest(parsed)
                if self.rejects and parsed.rejects:
                    self.rejects.write(follower.path, parsed.rejects)
        for transition in self.engine.evaluate(self.clock.now()):
            self.outputs.transition(transition)
            self.stdout.write(transition.message + "\n")
            self.stdout.flush()

    def report(self, now: float, seconds: int | None = None) -> None:
        """Write the report of the last `seconds` (default: one interval) ending at `now`."""
        report = self.engine.report(now, seconds or self.settings.interval)
        self.outputs.report(report)
        text = render_report(report, self.settings.title or self._title(), self.settings.top)
        if self.settings.plain:
            self.stdout.write(text + "\n")
        else:
            self.stdout.write(CLEAR_SCREEN + text)
        self.stdout.flush()

    def _title(self) -> str:
        names = ", ".join(f"{path} ({describe(parser)})" for path, parser in self.parsers.items())
        return f"analyzer: {names}"

    def run(self) -> None:
        """Poll every second and report every interval until told to stop."""
        self.warm_start()
        interval = self.settings.interval
        next_report = math.floor(self.clock.now()) + interval
        try:
            while not self.clock.stop():
                self.poll()
                now = self.clock.now()
                if now >= next_report:
                    self.report(now)
                    # A report that is due again already (a slow tick) is counted, not queued.
                    missed = max(0, math.floor((now - next_report) / interval))
                    self.overruns += missed
                    next_report += (missed + 1) * interval
                self.clock.sleep(float(np.clip(next_report - self.clock.now(), 0, POLL_SECONDS)))
        except KeyboardInterrupt:
            self.finish(next_report - interval)  # Ctrl-C is a clean stop too
            raise
        else:
            self.finish(next_report - interval)
        finally:
            self.outputs.close()
            if self.rejects:
                self.rejects.close()

    def finish(self, interval_start: float) -> None:
        """On a clean stop, read the last lines and report the unfinished interval.

        So every line read reaches stats.csv, however the interval was cut short.
        """
        self.poll()
        pending = self.engine.pending
        if pending.frames or pending.rejected or pending.warm:
            now = self.clock.now()
            self.report(now, max(1, math.ceil(now - interval_start)))
