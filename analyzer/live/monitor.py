"""The live monitor's imperative shell: files, clock and screen around the pure engine."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from analyzer.core.alerts import ALERT, AlertRule, Transition
from analyzer.core.engine import Engine, FileStatus
from analyzer.follow import tail
from analyzer.follow.checkpoint import CHECKPOINT_NAME, Keeper, Positions, file_key, load
from analyzer.follow.tail import ROTATE_WAIT, Follower, read_back
from analyzer.formats.clf import Parsed, empty_frame, seconds_of
from analyzer.formats.parsers import LineParser, describe, detect, make_parser
from analyzer.formats.rejects import TOO_LONG
from analyzer.formats.w3c import is_w3c, prime_layout
from analyzer.lines import MAX_LINE_BYTES, clean
from analyzer.outputs.sinks import Outputs, RejectSink, read_history
from analyzer.ui.render import CLEAR_SCREEN, render_report

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
    rotate_wait: float = ROTATE_WAIT
    max_line_bytes: int = MAX_LINE_BYTES


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


def has_format(path: str, fmt: str) -> bool:
    """Whether the format of `path` can be told now: given, or the file has lines to detect it from."""
    try:
        return fmt != "auto" or os.path.getsize(path) > 0
    except OSError:
        return False


def too_long(count: int, limit: int) -> Parsed:
    """Lines the follower dropped for being over --max-line-bytes, as rejected lines."""
    text = f"(a line over {limit:,} bytes, dropped)"
    return Parsed(empty_frame(), count, count, [text], rejects=[(TOO_LONG, text)] * count)


@dataclass
class FileCounts:
    """What one followed path gave since start, for its line in the report."""

    lines: int = 0
    rejected: int = 0
    last_seen: int | None = None


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
        # A file that is missing or empty at start gets its parser from its first lines.
        self.parsers = {
            path: parser_for(path, settings) for path in settings.paths if has_format(path, settings.fmt)
        }
        self.rejects = RejectSink(settings.rejects) if settings.rejects else None
        self.followers = [
            Follower(path, tail.CHUNK_BYTES, settings.max_line_bytes, settings.rotate_wait, clock.now)
            for path in settings.paths
        ]
        self.counts = {path: FileCounts() for path in settings.paths}
        self.keeper = Keeper(settings.out / CHECKPOINT_NAME, settings.rule)
        self.overruns = 0
        self.reported_overruns = 0

    def warm_start(self) -> None:
        """Read back over the end of each file to fill the window, then follow from there.

        With a checkpoint, each file goes on where the last report left it (even if it was
        rotated or truncated since): the read-back ends there, as those lines were counted
        before, and the lines after it are read and counted as new.
        """
        saved, warning = load(self.keeper.path)
        if warning:
            self.stdout.write(f"analyzer: warning: {warning}\n")
        resumed, since = saved.positions(self.outputs.stats_size()) if saved else ({}, 0)
        reach = 2 * self.settings.rule.window + self.settings.lateness
        for follower in self.followers:
            positions = resumed.get(file_key(follower.path))
            source = follower.resume(positions, since) if positions is not None else follower.open()
            if source is None:  # missing, unreadable or gone: nothing to read back
                continue
            end = source.offset if positions is not None else source.size()

            def covers(lines: bytes, name: str = source.name, end: int = end) -> bool:
                probe = parser_for(name, self.settings)  # a probe must not move a W3C layout
                prime_layout(probe, name, end - len(lines))
                seconds = seconds_of(probe.parse(lines).frame)
                return len(seconds) > 0 and seconds.min() <= seconds.max() - reach

            lines, offset = read_back(source.handle, covers, end=end)
            parser = self._parser(follower.path, lines)
            prime_layout(parser, source.name, offset - len(lines))
            parsed = parser.parse(clean(lines, self.settings.max_line_bytes))
            self.engine.ingest(parsed, warm=True)
            if positions is None:
                follower.start_at(offset)
            seconds = seconds_of(parsed.frame)
            if len(lines) < offset and len(seconds):  # only the end of the file was read
                oldest = int(seconds.min())
                known = self.engine.known_from
                self.engine.known_from = oldest if known is None else max(known, oldest)
        if saved is not None and saved.rule == self.keeper.rule:
            self.engine.resume(saved.evaluated_to, saved.alert_on)
        self.keeper.start(self._positions(), self.outputs.stats_size())
        self._save(idle=False)
        self._notices()

    def poll(self) -> None:
        """Read what was appended, check the alert up to the horizon, print transitions."""
        for follower in self.followers:
            for chunk in follower.read():
                self._ingest(follower.path, self._parser(follower.path, chunk).parse(chunk))
            dropped = follower.take_dropped()
            if dropped:
                self._ingest(follower.path, too_long(dropped, self.settings.max_line_bytes))
        self._notices()
        for transition in self.engine.evaluate(self.clock.now()):
            self.outputs.transition(transition)
            self.stdout.write(transition.message + "\n")
            self.stdout.flush()
        self._save()

    def _parser(self, path: str, sample: bytes) -> LineParser:
        """The file's parser; one missing or empty at start gets it from its first lines.

        With `--format auto`, a W3C header appearing in a file read as another format (an
        IIS log that replaced it) makes the format be detected again.
        """
        auto = self.settings.fmt == "auto" and not self.settings.log_format
        current = self.parsers.get(path)
        if current is not None and auto and current.name != "w3c" and is_w3c(sample[:4096]):
            del self.parsers[path]
        if path not in self.parsers:
            fmt = self.settings.fmt if self.settings.fmt != "auto" else detect(sample) or "combined"
            self.parsers[path] = make_parser(fmt, self.settings.log_format)
        return self.parsers[path]

    def _ingest(self, path: str, parsed: Parsed) -> None:
        self.engine.ingest(parsed)
        counts = self.counts[path]
        counts.lines += len(parsed.frame) + parsed.rejected
        counts.rejected += parsed.rejected
        counts.last_seen = math.floor(self.clock.now())
        if self.rejects and parsed.rejects:
            self.rejects.write(path, parsed.rejects)

    def _notices(self) -> None:
        """Say at once what happened to the files: rotated, truncated, missing, unreadable."""
        for follower in self.followers:
            for notice in follower.notices:
                self.stdout.write(f"{follower.path}: {notice}\n")
            follower.notices.clear()
        self.stdout.flush()

    def _save(self, idle: bool = True) -> None:
        """Write the checkpoint; after a poll that read no line since the last report, with
        the positions of now: as good as a report's, and fresher (a file that was empty then
        has a fingerprint now)."""
        engine = self.engine
        pending = engine.pending
        if idle and not pending.rejected and not any(len(frame) for frame in pending.frames):
            self.keeper.start(self._positions(), self.outputs.stats_size())
        judged = engine.evaluated_to if engine.evaluated_to is not None else engine.resume_after
        self.keeper.save(judged, engine.alert_on)

    def _positions(self) -> Positions:
        return {file_key(follower.path): follower.positions() for follower in self.followers}

    def report(self, now: float, seconds: int | None = None) -> None:
        """Write the report of the last `seconds` (default: one interval) ending at `now`."""
        report = self.engine.report(now, seconds or self.settings.interval)
        files = tuple(
            FileStatus(f.path, c.lines, c.rejected, c.last_seen, f.describe())
            for f, c in zip(self.followers, self.counts.values(), strict=True)
        )
        report = replace(report, files=files, overruns=self.overruns - self.reported_overruns)
        self.reported_overruns = self.overruns
        # The checkpoint first, with the positions this row counts up to (see checkpoint.py).
        self.keeper.before_report(self._positions(), self.outputs.stats_size())
        self._save(idle=False)
        self.outputs.report(report)
        text = render_report(report, self.settings.title or self._title(), self.settings.top)
        if self.settings.plain:
            self.stdout.write(text + "\n")
        else:
            self.stdout.write(CLEAR_SCREEN + text)
        self.stdout.flush()

    def _title(self) -> str:
        names = ", ".join(
            f"{path} ({describe(self.parsers[path]) if path in self.parsers else 'format not known yet'})"
            for path in self.settings.paths
        )
        return f"analyzer: {names}"

    def run(self) -> None:
        """Poll every second and report every interval until told to stop."""
        self.warm_start()
        interval = self.settings.interval
        last_report = math.floor(self.clock.now())
        next_report = last_report + interval
        try:
            while not self.clock.stop():
                self.poll()
                now = self.clock.now()
                if now >= next_report:
                    # A report that is due again already (a slow tick) is counted, not queued,
                    # and covers all the seconds since the last one, so its rates stay true.
                    missed = max(0, math.floor((now - next_report) / interval))
                    self.overruns += missed
                    self.report(now, max(interval, math.floor(now) - last_report))
                    last_report = math.floor(now)
                    next_report += (missed + 1) * interval
                self.clock.sleep(float(np.clip(next_report - self.clock.now(), 0, POLL_SECONDS)))
        except KeyboardInterrupt:
            self.finish(next_report - interval)  # Ctrl-C is a clean stop too
            raise
        else:
            self.finish(next_report - interval)
        finally:
            self.outputs.close()
            for follower in self.followers:
                follower.close()
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
