"""Reports as text. Pure: returns strings; only the monitor's output writes them.

Everything that came from a log line passes through `text.printable`, so a request full of
escape sequences cannot move the cursor, recolour or retitle the operator's terminal.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import pandas as pd

from analyzer.core.engine import Report
from analyzer.core.stats import OTHER, STATUS_CLASSES, Summary
from analyzer.core.times import iso_utc
from analyzer.ui.text import printable

CLEAR_SCREEN = "\x1b[H\x1b[2J"


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
    served = (
        f"{human_bytes(summary.bytes)} served; size p50 {human_bytes(sizes[50])}, "
        f"p90 {human_bytes(sizes[90])}, p99 {human_bytes(sizes[99])}"
        if summary.sized
        else "bytes served n/a (the log has no sizes)"
    )
    return [
        f"{label}: {summary.requests:,} requests, {summary.rate:,.2f} req/s, {served}",
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
    recent_hits, window_hits = recent.sections.to_dict(), window.sections.to_dict()
    for name in names:
        lines.append(
            f"  {printable(name, 40):<40} {_share(recent, recent_hits, name):>18} "
            f"{_share(window, window_hits, name):>18}"
        )
    return lines if names else [*lines, "  (no requests)"]


def _share(summary: Summary, hits_of: Mapping[Hashable, int], name: str) -> str:
    hits = int(hits_of.get(name, 0))
    return f"{hits:,} {hits / summary.requests:6.1%}" if summary.requests else "0"


def _counts(counts: pd.Series, top: int, others: str) -> str:
    """The `top` busiest with their hits, then what the rest add up to, named as the rest."""
    pairs = list(zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True))
    named = [(name, hits) for name, hits in pairs if name != OTHER]
    rest = sum(hits for name, hits in pairs if name == OTHER) + sum(hits for _, hits in named[top:])
    text = ", ".join(f"{printable(name, 40)} {int(hits):,}" for name, hits in named[:top]) or "-"
    return text + (f"; {int(rest):,} from {others}" if rest else "")


def latency_lines(report: Report, top: int) -> list[str]:
    """Request-duration percentiles over the window, overall and per busiest section."""
    window = report.window
    if not window.latency:
        return []
    overall = ", ".join(f"p{p} {window.latency[p] * 1000:,.0f} ms" for p in (50, 90, 99))
    lines = ["", f"request time ({window.seconds} s): {overall}"]
    if window.section_latency is not None:
        for section, row in window.section_latency.head(top).iterrows():
            cells = ", ".join(f"{name} {value * 1000:,.0f} ms" for name, value in row.items())
            lines.append(f"  {printable(section, 40):<40} {cells}")
    return lines


def rejected_lines(report: Report) -> list[str]:
    """Rejected lines by reason, each with its latest example; a warning past 1%."""
    lines_read = report.interval.requests + report.rejected
    if not report.reject_examples:
        return []
    share = report.rejected / lines_read if lines_read else 0.0
    warning = "  WARNING: over 1% of lines rejected (wrong --format?)" if share > 0.01 else ""
    lines = [
        "",
        f"rejected lines: {report.rejected:,} in the last {report.interval.seconds} s ({share:.1%}){warning}",
    ]
    for reason, example in report.reject_examples.items():
        count = report.reasons.get(reason, 0)
        lines.append(f"  {reason:<15} {count:>6,}  e.g. {printable(example, 80)}")
    return lines


def file_lines(report: Report) -> list[str]:
    """One line per followed file (lines, rejected, last line seen, status) and slow ticks."""
    lines = ["", "files:"] if report.files else []
    for file in report.files:
        seen = iso_utc(file.last_seen) if file.last_seen is not None else "never"
        name = printable(file.path, 1 << 12)
        name = name if len(name) <= 80 else "…" + name[-79:]  # the end of a path tells files apart
        lines.append(
            f"  {name}: {file.lines:,} lines, {file.rejected:,} rejected, "
            f"last line read {seen}; {printable(file.status, 100)}"
        )
    if report.overruns:
        lines.append(f"  slow ticks: {report.overruns:,} report(s) came a whole interval late")
    return lines


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
        + (f" ({report.warm_rejected:,} of them rejected)" if report.warm_rejected else "")
        + f"; since start {report.totals.get('requests', 0):,} requests, "
        f"{report.totals.get('rejected', 0):,} rejected, {report.totals.get('late', 0):,} late",
        "",
        "top sections:",
        *sections_table(report, top),
        "",
        f"top hosts ({report.window.seconds} s): {_counts(report.window.hosts, top, 'other hosts')}",
        f"methods ({report.window.seconds} s): {_counts(report.window.methods, top, 'other methods')}",
    ]
    lines += latency_lines(report, top)
    lines += rejected_lines(report)
    lines += file_lines(report)
    lines += ["", "alerts:"]
    lines += [f"  {transition.message}" for transition in report.history] or ["  (none yet)"]
    return "\n".join(lines) + "\n"
