"""What the monitor's engine hands out and gathers: a report, a followed file's line in it,
and what arrived since the last report."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.core.alerts import AlertRule, Transition
from analyzer.core.standing import Standing
from analyzer.core.stats import Summary


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
    # Every rule at `time` when others run beside the high-traffic one (core.standing); else none.
    standings: tuple[Standing, ...] = ()
    # Per table (sections, hosts, ...), the keys that rose most from the window before to the
    # window (`core.drivers.window_rises`): the screen's `rise` sort.
    rises: dict[str, pd.Series] = field(default_factory=dict)


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
    requests: int = 0  # read since the last report (the reports count them by their seconds)
    reasons: dict[str, int] = field(default_factory=dict)
