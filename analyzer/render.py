"""Reports as text. Pure: returns strings; only the monitor's output writes them.

Everything that came from a log line passes through `printable`, so a request full of escape
sequences cannot move the cursor, recolour or retitle the operator's terminal.
"""

from __future__ import annotations

import re

import pandas as pd

from analyzer.engine import Report
from analyzer.sinks import iso_utc
from analyzer.stats import STATUS_CLASSES, Summary

CLEAR_SCREEN = "\x1b[H\x1b[2J"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_FIELD = 60


def printable(text: object, width: int = MAX_FIELD) -> str:
    """Control characters as `\\xNN`, cut to `width` characters."""
    escaped = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))
    return escaped if len(escaped) <= width else escaped[: width - 1] + "…"


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        # Compare the value as printed, so 999,999 B is "1.0 MB", not "1,000.0 kB".
        if abs(round(count, 0 if unit == "B" else 1)) < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"  # pragma: no cover - the loop always returns


def summary_lines(label: str, summary: Summary) -> list[str]:
    sizes = summary.size_percentiles
    statuses = "  ".join(
        f"{name} {summary.status_counts[name]:,} ({summary.status_ratio(name):.1%})"
        for name in STATUS_CLASSES
    )
    return [
        f"{label}: {summary.requests:,} requests, {summary.rate:,.2f} req/s, "
        f"{human_bytes(summary.bytes)} served; size p50 {human_bytes(sizes[50])}, "
        f"p90 {human_bytes(sizes[90])}, p99 {human_bytes(sizes[99])}",
        f"  {statuses}  errors (5xx) {summary.error_rate:.1%}",
    ]


def sections_table(report: Report, top: int) -> list[str]:
    recent, window = report.interval, report.window
    recent_label, window_label = f"last {recent.seconds} s", f"last {window.seconds} s"
    lines = [f"  {'section':<40} {recent_label:>18} {window_label:>18}"]
    names = [name for name in window.sections.index if name != "(other)"][:top]
    names += [name for name in recent.sections.index if name not in names and name != "(other)"][
        : max(0, top - len(names))
    ]
    for name in names:
        lines.append(f"  {printable(name, 40):<40} {_share(recent, name):>18} {_share(window, name):>18}")
    return lines if names else [*lines, "  (no requests)"]


def _share(summary: Summary, name: str) -> str:
    hits = int(summary.sections.get(name, 0))
    return f"{hits:,} {hits / summary.requests:6.1%}" if summary.requests else "0"


def _counts(counts: pd.Series, top: int) -> str:
    return ", ".join(f"{printable(name, 40)} {int(hits):,}" for name, hits in counts.head(top).items()) or "-"


def render_report(report: Report, title: str, top: int = 10) -> str:
    """The dashboard: status line, traffic, sections, hosts, rejected lines and alert history."""
    rule = report.rule
    state = "ALERT ON" if report.alert_on else "ok"
    lines = [
        f"{title} | {iso_utc(report.time)} | {state}",
        f"alert when the {rule.window} s average exceeds {rule.threshold:g} req/s "
        f"(window hits > {rule.on_limit:,})",
        "",
        *summary_lines(f"last {report.interval.seconds} s", report.interval),
        *summary_lines(f"last {report.window.seconds} s", report.window),
        f"rejected {report.rejected:,}, late {report.late:,} in the last {report.interval.seconds} s"
        + (f", {report.warm:,} lines read back at start" if report.warm else "")
        + f"; since start {report.totals.get('requests', 0):,} requests, "
        f"{report.totals.get('rejected', 0):,} rejected, {report.totals.get('late', 0):,} late",
        "",
        "top sections:",
        *sections_table(report, top),
        "",
        f"top hosts ({report.window.seconds} s): {_counts(report.window.hosts, 5)}",
        f"methods ({report.window.seconds} s): {_counts(report.window.methods, 6)}",
    ]
    if report.reject_samples:
        lines += ["", "recent rejected lines:"]
        lines += [f"  {printable(sample, 100)}" for sample in report.reject_samples]
    lines += ["", "alerts:"]
    lines += [f"  {transition.message}" for transition in report.history] or ["  (none yet)"]
    return "\n".join(lines) + "\n"
