"""The library's frames of a backtest: transitions typed in UTC, alerts.csv's cells, reports by UTC time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.offline.result import alert_cells, by_report_time, transition_frame
from analyzer.outputs.rows import ALERT_FIELDS, alert_row

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
RULE = AlertRule(2.5, 120)
FOUND = [Transition(T0 + 5, ALERT, 400, RULE), Transition(T0 + 65, RECOVERED, 290, RULE)]


def test_transitions_have_utc_times_and_numbers_and_say_what_the_monitor_prints() -> None:
    frame = transition_frame(FOUND)
    assert list(frame.columns) == list(ALERT_FIELDS)
    assert frame["time"].tolist() == [
        pd.Timestamp(T0 + 5, unit="s", tz="UTC"),
        pd.Timestamp(T0 + 65, unit="s", tz="UTC"),
    ]
    assert frame["hits"].tolist() == [400 / 120, 290 / 120] and frame["threshold"].tolist() == [2.5, 2.5]
    assert frame["window_s"].dtype == np.int64 and frame["kind"].tolist() == [ALERT, RECOVERED]
    assert frame["message"].tolist() == [t.message for t in FOUND]
    assert transition_frame([]).empty and list(transition_frame([]).columns) == list(ALERT_FIELDS)


def test_alert_cells_are_the_rows_alerts_csv_gets() -> None:
    cells = alert_cells(FOUND)
    assert [tuple(row) for row in cells.itertuples(index=False)] == [alert_row(t) for t in FOUND]


def test_reports_are_indexed_by_their_own_second_the_end_of_their_ten_seconds_in_utc() -> None:
    reports = pd.DataFrame({"requests": [3, 4]}, index=pd.Index([T0 + 10, T0 + 20], name="bucket"))
    indexed = by_report_time(reports)
    assert indexed.index.name == "time" and str(indexed.index.tz) == "UTC"
    assert indexed.index.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [
        "2026-01-01T00:00:10Z",
        "2026-01-01T00:00:20Z",
    ]
    assert indexed["requests"].tolist() == [3, 4]
