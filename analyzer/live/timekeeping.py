"""The monitor's side of the clocks: steps of this host's clock, when judging may begin, and
what to say when the log's clock and the host's disagree (the measuring is core.clocks)."""

from __future__ import annotations

from analyzer.core.clocks import skew_words, span_words
from analyzer.core.engine import Engine
from analyzer.core.rules import since_of
from analyzer.core.standing import standings
from analyzer.core.times import iso_utc
from analyzer.live.settings import Clock
from analyzer.ui.display import Status


class Timekeeper:
    """Watches the wall clock against the pacing clock, poll by poll."""

    def __init__(self, clock: Clock, lateness: int) -> None:
        self.clock = clock
        self.lateness = lateness
        self.started = clock.tick()
        self.offset: float | None = None  # wall minus pacing clock at the last look
        self.step = 0.0  # the last step of this host's clock seen (0: none)
        self.apart = False  # the log's clock is more than the lateness from this host's
        self.polls = 0  # polls begun (each begins with host_step)

    def host_step(self, engine: Engine) -> str | None:
        """A step of the host's wall clock (NTP, a person) since the last look, said with its
        size; the reports keep their pace (the pacing clock) and the alert its place in the
        log's time (the engine's log clock is told)."""
        self.polls += 1
        offset = self.clock.now() - self.clock.tick()
        step = offset - self.offset if self.offset is not None else 0.0
        self.offset = offset
        if abs(step) <= 1:
            return None
        self.step = step
        engine.log_clock.host_stepped(step)
        return (
            f"analyzer: warning: this host's clock stepped {'back' if step < 0 else 'forward'} "
            f"{span_words(step)}: reports keep their pace, the alert is judged on the log's time"
        )

    def measuring(self, read_at: float | None, behind: bool, engine: Engine) -> float | None:
        """The host time to measure the log's clock by a read begun at `read_at`, or None when
        its newest line is old for another reason than skew: after a restart from a checkpoint
        the first poll reads what was written while the monitor was down or starting, and a
        read cut at its budget ends inside a backlog. Measured on them, a restart or a starved
        monitor would take its own lag for a log clock behind this host's, warn, and judge
        that much later."""
        resumed = engine.resume_after is not None  # from a checkpoint
        return None if behind or (resumed and self.polls <= 1) else read_at

    def waited(self) -> bool:
        """A lateness has passed since start."""
        return self.clock.tick() - self.started >= self.lateness

    def judging(self, engine: Engine) -> bool:
        """Whether to judge yet: not before the log's clock is known (lines read since start,
        or read back at it) or a lateness of silence has passed. A server whose clock is
        behind would otherwise find the seconds of its first lines judged already, empty."""
        if engine.evaluated_to is not None or engine.read_back or engine.log_clock.samples:
            return True
        return self.waited()

    def skew_notice(self, engine: Engine) -> str | None:
        """Said once when the log's clock moves away from this host's (or back)."""
        if engine.log_clock.unshifted is not None:
            return None  # a host step just now: the next read tells whether the log stepped too
        skew = engine.log_clock.skew()
        apart = abs(skew) > self.lateness
        if apart == self.apart:
            return None
        self.apart = apart
        if apart:
            return f"analyzer: warning: {skew_words(skew)}: the alert is judged on the log's time"
        return "analyzer: the log's clock agrees with this host's again"


def status_of(engine: Engine, now: float, lateness: int, files: int, clock: Clock) -> Status:
    """The state as of `now`, for a screen's top lines: each rate with the seconds it covers,
    the average to the last second judged, the rate now on the log's clock."""
    rule = engine.rule
    judged = engine.evaluated_to if engine.evaluated_to is not None else engine.horizon(now)
    hits = int(engine.window.per_second(judged - rule.window + 1, judged).sum())
    last = engine.horizon(now) + lateness - 1  # now, on the log's clock
    recent = 5  # seconds: "now" as an operator reads it, steadier than one second
    return Status(
        now=now,
        alert_since=since_of(engine.history, rule) if engine.alert_on else None,
        average=hits / rule.window,
        threshold=rule.threshold,
        window=rule.window,
        rate_now=int(engine.window.per_second(last - recent + 1, last).sum()) / recent,
        files=files,
        newest=engine.newest,
        speed=clock.speed(),
        paused=clock.paused(),
        judged=judged,
        hits=hits,
        recent=recent,
        recent_to=last,
        focus=engine.focus.summary(last, rule.window, engine.interval, engine.top, engine.section_limit)
        if engine.focus is not None
        else None,  # what the screen's filter or drill-down counted
        standings=standings(engine.rules, engine.window, judged, engine.history, engine.states),
    )


def distrust_future_checkpoint(engine: Engine, horizon: int, waited: bool) -> None:
    """A checkpoint whose last judged second is later than both the clock and the log's new
    lines (saved while the host's clock was ahead) would stop every judgement until the
    clock catches up: judging resumes from the log instead, saying so. Told by the first
    lines read, or, if none come, once the monitor has `waited` a lateness."""
    if engine.resume_after is None or engine.evaluated_to is not None or engine.resume_after <= horizon:
        return
    if engine.newest_live is None and not waited:
        return
    if engine.newest_live is not None and engine.newest_live >= engine.resume_after:
        return
    engine.notices.append(
        f"the checkpoint's last judged second ({iso_utc(engine.resume_after)}) is later than this "
        "host's clock and the log: not trusted; judging goes on from the log"
    )
    engine.resume_after = None
