"""What the page and the API are told: reports, statuses and transitions as plain JSON data.

Pure functions, run on the monitor's thread (they must be quick: a report's top sections and
hosts are a dozen rows). Every log-derived string (a path, a host, a file name) stays a JSON
string, which the page only ever sets as text; `json_bytes` also escapes `<`, `>` and `&`, so
even a reader that pasted it into HTML could not be made to close a `<script>`.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from analyzer.core.alerts import Transition
from analyzer.core.drivers import drivers_text
from analyzer.core.report import Report
from analyzer.core.rules import rule_label
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.core.text import escaped
from analyzer.core.times import iso_utc
from analyzer.serve.rule_states import unit
from analyzer.ui.display import Status
from analyzer.ui.panels import bots_among, table_counts

HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
# Characters of a log string in a panel's row: the event goes to every page at every report,
# and a 64 kB user agent would make each one that big. The terminal cuts it to its width.
MAX_TEXT = 300
# The terminal's tables of the report the page shows too: (payload key, Summary field).
TABLES = (
    ("agents", "agents"),
    ("referrers", "referers"),
    ("paths_5xx", "paths_5xx"),
    ("paths_4xx", "paths_4xx"),
)


def json_bytes(data: object) -> bytes:
    """ASCII JSON with `<`, `>`, `&` escaped: safe in any context a browser might read it."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.translate(HTML_UNSAFE).encode("ascii")


def text(name: object) -> str:
    """A log string as the page shows it: escaped as on screen and in the CSVs (a bidirectional
    override must not make a path read backwards in the browser either), a long one cut."""
    shown = escaped(name)
    return shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 1] + "…"


def counts(series: pd.Series) -> list[list[object]]:
    """A top-N series (name -> hits) as `[[name, hits], ...]`, most first."""
    return [[text(name), int(hits)] for name, hits in series.items()]


def table_json(report: Report, field: str, top: int) -> list[dict[str, object]]:
    """A terminal table's rows (ui.panels.table_counts: the same names, order and `(other)`):
    `hits` in the window, `recent` in the last interval; user agents say which are bots."""
    rows = table_counts(report, field, top)
    bots = bots_among([name for name, _, _ in rows]) if field == "agents" else frozenset()
    return [
        {
            "name": text(name),
            "hits": window,
            "recent": recent,
            **({"bot": name in bots} if field == "agents" else {}),
        }
        for name, recent, window in rows
    ]


def latency_json(summary: Summary, top: int) -> dict[str, object] | None:
    """Request-time percentiles (seconds) of the busiest sections, as the terminal's sections
    panel shows them; None where the log has no durations."""
    table = summary.section_latency
    if table is None or not len(table):
        return None
    rows = [
        [text(section), *(round(float(v), 6) for v in values)]
        for section, values in table.head(top).iterrows()
    ]
    return {"columns": [str(column) for column in table.columns], "rows": rows}


def panels_json(report: Report, top: int) -> dict[str, object]:
    """The terminal's other panels: user agents, referrers, 5xx and 4xx paths, request times."""
    panels: dict[str, object] = {key: table_json(report, field, top) for key, field in TABLES}
    panels["section_latency"] = latency_json(report.window, top)
    return panels


def finite(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def summary_json(summary: Summary, top: int) -> dict[str, object]:
    return {
        "seconds": summary.seconds,
        "requests": summary.requests,
        "rate": finite(summary.rate),
        "bytes": summary.bytes if summary.sized else None,
        "status": {name: int(summary.status_counts[name]) for name in STATUS_CLASSES},
        "error_rate": finite(summary.error_rate),
        "sections": counts(summary.sections.iloc[:top]),
        "hosts": counts(summary.hosts.iloc[:top]),
        "methods": counts(summary.methods.iloc[:top]),
        "latency": {str(p): finite(v) for p, v in summary.latency.items()} if summary.latency else None,
    }


def transition_json(transition: Transition) -> dict[str, object]:
    return {
        "time": iso_utc(transition.second),
        "second": transition.second,
        "kind": transition.kind,
        "rule": transition.rule.name,  # as alerts.csv and delivery name it: high_traffic, error_rate_5xx...
        "label": rule_label(transition.rule.name),
        "unit": unit(transition.rule),  # of `hits` and `threshold`
        "hits": transition.shown,
        "threshold": transition.rule.threshold_text,
        "window_s": transition.rule.window,
        "message": transition.message,
        "onset": transition.onset,
        "drivers": drivers_text(transition.drivers),
    }


def report_json(report: Report, top: int = 10) -> dict[str, object]:
    rule = report.rule
    alert_since = report.history[-1].second if report.alert_on and report.history else None
    return {
        "time": iso_utc(report.time),
        "second": report.time,
        "rule": rule.name,  # the high-traffic rule's; every rule's state is in the event's `rules`
        "threshold": rule.threshold_text,
        "window_s": rule.window,
        "alert_on": report.alert_on,
        "alert_since": alert_since,
        "interval": summary_json(report.interval, top),
        "window": summary_json(report.window, top),
        "rejected": report.rejected,
        "late": report.late,
        "warm": report.warm,
        "totals": dict(report.totals),
        "reasons": dict(report.reason_totals),
        "files": [
            {"path": file.path, "lines": file.lines, "rejected": file.rejected, "status": file.status}
            for file in report.files
        ],
        # The window's requests per second, oldest first: the page's sparkline of the last minutes.
        "per_second": [int(hits) for hits in report.per_second.tolist()],
        "panels": panels_json(report, top),
    }


def status_json(status: Status) -> dict[str, object]:
    return {
        "now": finite(status.now),
        "alert_on": status.alert_since is not None,
        "alert_since": status.alert_since,
        "average": finite(status.average),
        "threshold": finite(status.threshold),
        "window_s": status.window,
        "hits": status.window_hits,
        "judged": status.average_to,
        "rate_now": finite(status.rate_now),
        "files": status.files,
        "newest": status.newest,
        "speed": status.speed,
        "paused": status.paused,
        "finished": status.finished,
        "stale": status.stale,
    }
