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
from analyzer.core.report import Report
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.core.times import iso_utc
from analyzer.ui.display import Status

RULE = "high_traffic"  # the one rule the monitor checks; the label every per-rule metric has
HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_bytes(data: object) -> bytes:
    """ASCII JSON with `<`, `>`, `&` escaped: safe in any context a browser might read it."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.translate(HTML_UNSAFE).encode("ascii")


def counts(series: pd.Series) -> list[list[object]]:
    """A top-N series (name -> hits) as `[[name, hits], ...]`, most first."""
    return [[str(name), int(hits)] for name, hits in series.items()]


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
        "rule": RULE,
        "hits": transition.shown,
        "threshold": transition.rule.threshold_text,
        "window_s": transition.rule.window,
        "message": transition.message,
        "onset": transition.onset,
    }


def report_json(report: Report, top: int = 10) -> dict[str, object]:
    rule = report.rule
    alert_since = report.history[-1].second if report.alert_on and report.history else None
    return {
        "time": iso_utc(report.time),
        "second": report.time,
        "rule": RULE,
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
