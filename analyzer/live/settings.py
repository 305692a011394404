"""What a live monitor is told: its options, and where its time comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.core.alerts import AlertRule
from analyzer.follow.tail import ROTATE_MAX, ROTATE_WAIT
from analyzer.formats.select import Selection
from analyzer.lines import MAX_LINE_BYTES

POLL_SECONDS = 1.0  # lines are read and alerts checked every second; reports every interval
REPLAY_STEP = 3600.0  # the most of its log's time a replay plays in one poll
# How far back in the log (seconds of its time) a start reads to find when a state it finds
# began: an alert on with no record of it is placed at its real crossing within this.
LOOK_BACK = 86_400


@dataclass
class Settings:
    """The monitor's options, as the CLI gives them."""

    paths: list[str]
    rule: AlertRule
    # The rules judged beside the high-traffic one (core.rules: error rate, a section's rate).
    others: tuple[AlertRule, ...] = ()
    interval: int = 10
    lateness: int = 5
    fmt: str = "auto"
    log_format: str | None = None
    rejects: Path | None = None
    out: Path = Path("analyzer-monitor")
    plain: bool = False
    color: bool = True  # the dashboard's colours (off: --no-color, or NO_COLOR set)
    top: int = 10
    csv_top: int = 100
    title: str = ""
    rotate_wait: float = ROTATE_WAIT
    rotate_max: float = ROTATE_MAX
    max_line_bytes: int = MAX_LINE_BYTES
    look_back: int = LOOK_BACK
    chosen: Selection | None = None  # --only / --exclude: the requests counted (None: all)


@dataclass
class Clock:
    """Where time comes from; tests pass a fake one, a replay the log's own."""

    now: Callable[[], float]
    sleep: Callable[[float], None]
    stop: Callable[[], bool] = field(default=lambda: False)
    # A replay's clock also has a speed, can be paused, and takes the keys that change them.
    speed: Callable[[], float | None] = field(default=lambda: None)
    paused: Callable[[], bool] = field(default=lambda: False)
    act: Callable[[str], None] = field(default=lambda action: None)
    # What paces the polls and reports: a clock that never steps (None: `now`, as a replay's
    # or a test's, which do not step). The wall clock (`now`) is only compared with the log's.
    monotonic: Callable[[], float] | None = None

    def tick(self) -> float:
        """The pacing clock's reading."""
        return (self.monotonic or self.now)()
