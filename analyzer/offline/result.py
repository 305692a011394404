"""What a backtest found, as the library gives it: typed frames in UTC time order.

The numbers are the backtest's; here they become DataFrames a notebook can plot at once:
transitions with UTC timestamps (alerts.csv keeps its text cells in `alert_rows`), reports
indexed by their UTC time as stats.csv writes them, per-second hits and the window average.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.core.alerts import Transition
from analyzer.core.drivers import drivers_text
from analyzer.offline.timeline import Timeline
from analyzer.outputs.rows import ALERT_FIELDS, alert_row


@dataclass
class BacktestResult:
    """What a backtest found; the DataFrames are what the notebooks explore."""

    lines: int  # every line: requests + rejected + directives
    requests: int
    rejected: int
    late: int
    window: int
    timeline: Timeline = field(repr=False)
    transitions: pd.DataFrame = field(repr=False)
    episodes: pd.DataFrame = field(repr=False)
    distribution: dict[str, float] = field(default_factory=dict)
    suggested_threshold: float = 0.0
    reports: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    directives: int = 0  # W3C `#` lines
    alert_rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # alerts.csv's cells
    # Requests stamped far from the rest of the traffic (a broken clock): counted, not judged.
    out_of_range: int = 0
    out_of_range_span: tuple[int, int] | None = None  # their first and last second

    @property
    def messages(self) -> list[str]:
        """The alert and recovery lines, oldest first, exactly as the monitor prints them."""
        return list(self.transitions["message"])

    @property
    def per_second(self) -> pd.Series:
        """Requests in each second that had any (index: UTC time)."""
        real = (self.timeline.axis >= 0) & (self.timeline.counts > 0)
        index = pd.to_datetime(self.timeline.axis[real], unit="s", utc=True)
        return pd.Series(self.timeline.counts[real], index=index, name="hits")

    @property
    def average(self) -> pd.Series:
        """The window's average req/s at every second of the active stretches (0 elsewhere)."""
        real = self.timeline.axis >= 0
        index = pd.to_datetime(self.timeline.axis[real], unit="s", utc=True)
        return pd.Series(self.timeline.totals()[real] / self.window, index=index, name="average")


def alert_cells(found: list[Transition]) -> pd.DataFrame:
    rows = [dict(zip(ALERT_FIELDS, alert_row(t), strict=True)) for t in found]
    return pd.DataFrame(rows, columns=list(ALERT_FIELDS))


def transition_frame(found: list[Transition]) -> pd.DataFrame:
    """The transitions with typed columns: UTC times, hits and thresholds as numbers."""
    return pd.DataFrame(
        {
            "time": pd.to_datetime(np.array([t.second for t in found], np.int64), unit="s", utc=True),
            "kind": pd.Series([t.kind for t in found], dtype=object),
            "hits": np.array([t.rate for t in found], np.float64),
            "threshold": np.array([t.rule.threshold for t in found], np.float64),
            "window_s": np.array([t.rule.window for t in found], np.int64),
            "message": pd.Series([t.message for t in found], dtype=object),
            "recovery": np.array(
                [np.nan if t.rule.recovery is None else t.rule.recovery for t in found], np.float64
            ),
            "onset": pd.Series([t.onset for t in found], dtype=object),
            "drivers": pd.Series([drivers_text(t.drivers) for t in found], dtype=object),
            "rule": pd.Series([t.rule.name for t in found], dtype=object),
        }
    )


def by_report_time(reports: pd.DataFrame) -> pd.DataFrame:
    """Reports indexed by their time in UTC, the end of their 10 s as in stats.csv."""
    times = pd.to_datetime(reports.index.to_numpy(), unit="s", utc=True)  # a report's own second
    return reports.set_axis(pd.DatetimeIndex(times, name="time"))
