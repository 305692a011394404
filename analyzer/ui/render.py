"""Reports as append-only text (`--plain`). Pure: returns strings; only the display writes them.

A block is laid out for a width (80 columns unless the terminal says otherwise) and broken
between fields, never inside one, so `grep` finds every value whole on one line. The alerts
and recoveries are not in the blocks: each is printed once, as it happens (a block says only
how many there were so far and the state now). Everything that came from a log line passes
through `text.printable`, so a request full of escape sequences cannot move the cursor,
recolour or retitle the operator's terminal.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import pandas as pd

from analyzer.core.alerts import ALERT, BEFORE
from analyzer.core.engine import Report
from analyzer.core.rules import ErrorRateRule, SectionRateRule, alerts_on, since_of
from analyzer.core.standing import Standing
from analyzer.core.stats import OTHER, STATUS_CLASSES, Summary
from analyzer.core.times import iso_utc
from analyzer.ui.cells import clip, wrap
from analyzer.ui.text import printable
from analyzer.ui.words import plural, rate_text, standing_text

CLEAR_SCREEN = "\x1b[H\x1b[2J"
WIDTH = 80  # columns of a block when the terminal's are not known
LONG = 1 << 12  # escape whole texts; the layout decides where a row breaks


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        # Compare the value as printed, so 999,999 B is "1.0 MB", not "1,000.0 kB".
        if abs(round(count, 0 if unit == "B" else 1)) < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"  # pragma: no cover - the loop always returns


def read_in(report: Report) -> str:
    """How the interval's figures are told from the window's of as many seconds: the interval
    counts the lines read in its seconds, the window the requests stamped in its seconds, so
    with --window equal to --interval two figures of one span would differ unexplained."""
    return "read in " if report.interval.seconds == report.window.seconds else ""


def alerts_line(report: Report) -> str:
    """`alerts: none so far`, `alerts: 2 so far, ALERT on since ...`, `alerts: 3 so far, last
    recovered at ...`: the state of the alert in one line (the messages were printed as they came),
    as of the report's second: a poll judges up to its horizon, later than the reports it writes
    (a replay's poll reads up to an hour of its log), and a block must not tell of its future."""
    history = [transition for transition in report.history if transition.second <= report.time]
    count = sum(transition.kind == ALERT for transition in history)
    so_far = f"alerts: {count:,} so far" if count else "alerts: none so far"
    # Each rule's state (other rules' transitions are in the history too): the high-traffic
    # rule's restored without a record of it, then each alert still on, the other rules named.
    restored = report.alert_on and since_of(history, report.rule) is None
    states = ["ALERT on (restored at start)"] if restored else []
    states += [
        f"ALERT on since {'before ' if on.onset == BEFORE else ''}{iso_utc(on.second)}"
        + ("" if on.rule.key == report.rule.key else f" ({on.rule.name})")
        for on in alerts_on(history)
    ]
    if states or not history:
        return ", ".join([so_far, *states])
    last = history[-1]
    before = "before " if last.onset == BEFORE else ""
    return f"{so_far}, last recovered at {before}{iso_utc(last.second)}"


def rule_lines(report: Report, width: int = WIDTH) -> list[str]:
    """Each rule that runs at the report's second, one line each (wrapped between fields), its
    value against its limit and its state: `error rate: 5xx 6.20% > 5% (window 120 s, 566
    requests, judged from 100): ALERT ON since 2026-01-01T00:00:21Z`. The high-traffic rule
    alone keeps its one line, `alert when the 120 s average exceeds ...`."""
    rule = report.rule
    if not report.standings:
        return wrap(
            [f"alert when the {rule.window} s average exceeds {rule.threshold_text} req/s",
             f"(window hits > {rule.on_limit:,})"],
            width,
        )  # fmt: skip
    lines = []
    for standing in report.standings:
        rule = standing.rule
        kind, limit = "high traffic", f"alert at hits > {rule.on_limit:,}"
        if isinstance(rule, ErrorRateRule):
            kind, limit = "error rate", f"judged from {plural(rule.min_requests, 'request')}"
            if standing.volume >= rule.min_requests:  # else the value says how few
                limit = f"{plural(standing.volume, 'request')}, judged from {rule.min_requests:,}"
        elif isinstance(rule, SectionRateRule):
            kind = "section"
        fields = [f"{kind}:", standing_text(standing), f"(window {rule.window} s,", f"{limit}):"]
        lines += wrap([*fields, _state_text(standing)], width)
    return lines


def _state_text(standing: Standing) -> str:
    """`ok`, `ALERT ON`, `ALERT ON since 2026-01-01T00:00:21Z` (`since before`: a start
    found it on and could not read back to its crossing)."""
    if not standing.on:
        return "ok"
    if standing.since is None:
        return "ALERT ON"
    return f"ALERT ON since {'before ' if standing.before else ''}{iso_utc(standing.since)}"


def summary_lines(label: str, summary: Summary, width: int = WIDTH) -> list[str]:
    sizes = summary.size_percentiles
    served = (
        [
            f"{human_bytes(summary.bytes)} served;",
            f"size p50 {human_bytes(sizes[50])}, p90 {human_bytes(sizes[90])}, p99 {human_bytes(sizes[99])}",
        ]
        if summary.sized
        else ["bytes served n/a (the log has no sizes)"]
    )
    head = [f"{label}:", f"{plural(summary.requests, 'request')},", f"{rate_text(summary.rate)} req/s,"]
    counts, ratio = summary.status_counts, summary.status_ratio
    statuses = [f"{name} {counts[name]:,} ({ratio(name):.1%})" for name in STATUS_CLASSES]
    return [
        *wrap(head + served, width),
        *wrap([*statuses, f"errors (5xx) {summary.error_rate:.1%}"], width, "  ", "    ", "  "),
    ]


def sections_table(report: Report, top: int, width: int = WIDTH) -> list[str]:
    recent, window = report.interval, report.window
    recent_label, window_label = f"{read_in(report)}last {recent.seconds} s", f"last {window.seconds} s"
    name_width = max(12, min(40, width - 2 - 2 * 19))
    lines = [f"  {'section':<{name_width}} {recent_label:>18} {window_label:>18}"]
    names = [name for name in window.sections.index if name != "(other)"][:top]
    names += [name for name in recent.sections.index if name not in names and name != "(other)"][
        : max(0, top - len(names))
    ]
    recent_hits, window_hits = recent.sections.to_dict(), window.sections.to_dict()
    for name in names:
        lines.append(
            f"  {printable(name, name_width):<{name_width}} {_share(recent, recent_hits, name):>18} "
            f"{_share(window, window_hits, name):>18}"
        )
    return lines if names else [*lines, "  (no requests)"]


def _share(summary: Summary, hits_of: Mapping[Hashable, int], name: str) -> str:
    hits = int(hits_of.get(name, 0))
    return f"{hits:,} {hits / summary.requests:6.1%}" if summary.requests else "0"


def _counts(label: str, counts: pd.Series, top: int, others: str, width: int) -> list[str]:
    """The `top` busiest with their hits, then what the rest add up to, named as the rest."""
    pairs = list(zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True))
    named = [(name, hits) for name, hits in pairs if name != OTHER]
    rest = sum(hits for name, hits in pairs if name == OTHER) + sum(hits for _, hits in named[top:])
    fields = [f"{printable(name, 40)} {int(hits):,}" for name, hits in named[:top]] or ["-"]
    fields = [f"{field}," for field in fields[:-1]] + fields[-1:]
    if rest:
        fields[-1] += ";"
        fields.append(f"{int(rest):,} from {others}")
    return wrap([label, *fields], width)


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


def rejected_lines(report: Report, width: int = WIDTH) -> list[str]:
    """Rejected lines by reason, in the interval and since start, each with its latest example
    (cut to the width, marked `…`); a warning past 1%. An interval with none says only the
    totals since start, in one line: the examples were printed when they came."""
    if not report.reject_examples:
        return []
    seconds = report.interval.seconds
    totals = report.reason_totals
    if not report.rejected:
        since = [f"{printable(reason, 40)} {totals.get(reason, 0):,}" for reason in report.reject_examples]
        since = [f"{field}," for field in since[:-1]] + since[-1:]
        return ["", *wrap([f"rejected lines: none in the last {seconds} s; since start:", *since], width)]
    lines_read = report.interval.requests + report.rejected
    share = report.rejected / lines_read if lines_read else 0.0
    head = [f"rejected lines: {report.rejected:,} in the last {seconds} s ({share:.1%})"]
    if share > 0.01:
        head.append("WARNING: over 1% of lines rejected (wrong --format?)")
    lines = ["", *wrap(head, width, "  ")]
    for reason, example in report.reject_examples.items():
        counts = [
            f"{printable(reason, 40)}:",
            f"{report.reasons.get(reason, 0):,} in the last {seconds} s,",
            f"{totals.get(reason, 0):,} since start",
        ]
        lines += wrap(counts, width, lead="  ", indent="    ")
        lines.append(clip(f"    e.g. {printable(example, LONG)}", max(width, 20)))
    return lines


def file_lines(report: Report, width: int = WIDTH) -> list[str]:
    """One line per followed file (lines since start, rejected, last line seen, status; the
    lines read back at start apart) and slow ticks."""
    lines = ["", "files: lines read since start"] if report.files else []
    for file in report.files:
        seen = iso_utc(file.last_seen) if file.last_seen is not None else "never"
        fields = [
            f"{printable(file.path, LONG)}:",
            f"{plural(file.lines, 'line')},",
            f"{file.rejected:,} rejected,",
            f"last line read {seen};",
            printable(file.status, 100),
        ]
        if file.warm:
            fields[-1] += ";"
            fields.append(f"{plural(file.warm, 'line')} read back at start")
        lines += wrap(fields, width, lead="  ", indent="    ")
    if report.overruns:
        late = plural(report.overruns, "report")
        lines.append(f"  slow ticks: {late} came a whole interval late")
    return lines


def render_report(
    report: Report, title: str, top: int = 10, width: int = WIDTH, start: bool = False, stale: str = ""
) -> str:
    """A block: the state and the alerts so far, traffic, sections, hosts, rejected lines and
    files. `start`: the state right after the warm start; `stale`: the log is old (say so)."""
    on = report.alert_on or any(standing.on for standing in report.standings)
    state = "ALERT ON" if on else "ok"
    header = [f"{printable(title, LONG)} |", f"{iso_utc(report.time)} |", state]
    if start:
        header[-1] += " |"
        read = f" ({plural(report.warm, 'line')} read back)" if report.warm else ""
        header.append(f"state at start{read}")
    totals = report.totals
    requests = plural(totals.get("requests", 0), "request")
    warm = f"; {plural(report.warm, 'line')} read back at start" if report.warm and not start else ""
    if report.warm_rejected and warm:
        warm += f" ({report.warm_rejected:,} of them rejected)"
    counts = [
        f"rejected {report.rejected:,}, late {report.late:,} in the last {report.interval.seconds} s{warm};",
        f"since start {requests}, {totals.get('rejected', 0):,} rejected, {totals.get('late', 0):,} late",
    ]
    lines = [
        *wrap(header, width),
        alerts_line(report),
        *rule_lines(report, width),
        *([stale] if stale else []),
        "",
        *summary_lines(f"{read_in(report)}last {report.interval.seconds} s", report.interval, width),
        *summary_lines(f"last {report.window.seconds} s", report.window, width),
        *wrap(counts, width),
        "",
        "top sections:",
        *sections_table(report, top, width),
        "",
        *_counts(f"top hosts ({report.window.seconds} s):", report.window.hosts, top, "other hosts", width),
        *_counts(f"methods ({report.window.seconds} s):", report.window.methods, top, "other methods", width),
    ]
    lines += latency_lines(report, top)
    lines += rejected_lines(report, width)
    lines += file_lines(report, width)
    return "\n".join(lines) + "\n"
