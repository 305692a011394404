"""The dashboard's panels as styled lines at a given width: pure, every log text escaped.

Each panel is a function of the report (and what the screen was told) returning all its
rows, each at most `width` cells; the layout shows as many as fit and scrolls the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analyzer.core.engine import Report
from analyzer.core.stats import OTHER, STATUS_CLASSES, Summary
from analyzer.formats.select import is_bot
from analyzer.ui.cells import Line, Span, clip, clip_left, clip_line, fold, pad
from analyzer.ui.history import Notice, notice_rows
from analyzer.ui.render import human_bytes, read_in
from analyzer.ui.text import printable
from analyzer.ui.words import Stamp, plural

COLUMN = 15  # "12,345 100.0%" and a margin
NOTICE = "notice"
UNLIMITED = 1 << 16  # escape whole texts; the cells functions cut them to the room there is


def status_style(code: object) -> str:
    """The style of a status code or class (200, "2xx") is its class: 2xx .. 5xx; others none."""
    text = str(code)
    return f"{text[0]}xx" if len(text) == 3 and text[0] in "2345" else ""


def _share(summary: Summary, hits: int) -> str:
    return f"{hits:,} {hits / summary.requests:6.1%}" if summary.requests else f"{hits:,}"


Counts = dict[object, int]


def _counts(series: pd.Series) -> Counts:
    """Hits per name, each name once (two values can print alike: numpy's str drops trailing NULs)."""
    counts: Counts = {}
    for name, hits in zip(series.index.tolist(), series.to_numpy().tolist(), strict=True):
        counts[name] = counts.get(name, 0) + int(hits)
    return counts


def _table(
    report: Report,
    width: int,
    heading: str,
    names: Sequence[object],
    counts: tuple[Counts, Counts],
    statuses: bool = False,
    marked: frozenset[object] = frozenset(),
) -> list[Line]:
    """Rows of `name | last interval | window`; only the window's column when narrow."""
    recent, window = counts
    both = width >= 12 + 2 * COLUMN
    name_width = max(1, min(48, width - (2 if both else 1) * COLUMN))
    labels = [
        f"{read_in(report).strip() or 'last'} {report.interval.seconds} s",
        f"last {report.window.seconds} s",
    ]
    columns = [(report.interval, recent), (report.window, window)] if both else [(report.window, window)]
    titles = labels if both else labels[1:]
    lines: list[Line] = [
        (Span(pad(heading, name_width) + "".join(pad(t, COLUMN, right=True) for t in titles), "heading"),)
    ]
    for name in names:
        cells = "".join(
            pad(_share(summary, _hits(hits, name, names)), COLUMN, right=True) for summary, hits in columns
        )
        style = status_style(name) if statuses else ""
        label = printable(name, UNLIMITED)
        if name in marked:  # a crawler or a script: the mark first, where the cut cannot take it
            label, style = f"[bot] {label}", "dim"
        lines.append((Span(pad(label, name_width), style), Span(cells)))
    if not names:
        lines.append((Span("(no requests)", "dim"),))
    return [clip_line(line, width) for line in lines]


def _hits(counts: Counts, name: object, names: Sequence[object]) -> int:
    """Hits of `name`; for `(other)`, of everything not named."""
    if name != OTHER:
        return counts.get(name, 0)
    return sum(counts.values()) - sum(counts.get(shown, 0) for shown in names if shown != OTHER)


def _names(
    recent: Counts, window: Counts, top: int, sort: str = "hits", risen: Sequence[object] = ()
) -> list[object]:
    """By `sort`: `hits`, the window's busiest, then the interval's not among them (at most
    `top`); `share`, the last interval's busiest; `rise`, those whose hits rose most from the
    window before to the window (`risen`, largest first), then the window's busiest. Then
    `(other)` when something is left."""
    if sort == "share":
        keys = [name for name in dict.fromkeys([*window, *recent]) if name != OTHER]
        names = sorted(keys, key=lambda name: -recent.get(name, 0))[:top]
    else:
        first = [name for name in risen if name != OTHER and name in window] if sort == "rise" else []
        names = [*first, *(name for name in window if name != OTHER and name not in first)][:top]
        room = max(0, top - len(names))
        names += [name for name in recent if name not in names and name != OTHER][:room]
    if any(_hits(counts, OTHER, names) for counts in (recent, window)):
        names.append(OTHER)
    return names


def table_names(report: Report, field: str, top: int, sort: str = "hits") -> list[object]:
    """The keys a table of `field` names, in its order."""
    recent, window = _counts(getattr(report.interval, field)), _counts(getattr(report.window, field))
    risen = report.rises[field].index.tolist() if field in report.rises else []
    return _names(recent, window, top, sort, risen)


def table_counts(report: Report, field: str, top: int, sort: str = "hits") -> list[tuple[object, int, int]]:
    """The rows a table of `field` shows, in its order: (name, hits in the last interval, hits
    in the window); the web page's tables are these."""
    recent, window = _counts(getattr(report.interval, field)), _counts(getattr(report.window, field))
    names = table_names(report, field, top, sort)
    return [(name, _hits(recent, name, names), _hits(window, name, names)) for name in names]


def bots_among(names: Sequence[object]) -> frozenset[object]:
    """The names that are crawlers or scripts (the list `--exclude agent:bot` uses)."""
    bots = is_bot(np.array([str(name) for name in names], object))
    return frozenset(name for name, bot in zip(names, bots.tolist(), strict=True) if bot and name != OTHER)


def _counts_panel(
    report: Report, width: int, top: int, heading: str, field: str, sort: str = "hits"
) -> list[Line]:
    recent, window = _counts(getattr(report.interval, field)), _counts(getattr(report.window, field))
    heading += "" if sort == "hits" else f" (by {sort})"
    return _table(report, width, heading, table_names(report, field, top, sort), (recent, window))


def sections_panel(report: Report, width: int, top: int, sort: str = "hits") -> list[Line]:
    """Sections, then their request times where the log has durations."""
    lines = _counts_panel(report, width, top, "section", "sections", sort)
    latency = report.window.section_latency
    if latency is None or not len(latency):
        return lines
    name_width = max(1, min(48, width - 3 * 9))
    heading = pad(f"request time, last {report.window.seconds} s", name_width)
    lines += [(), (Span(heading + "".join(pad(c, 9, right=True) for c in latency.columns), "heading"),)]
    for section, row in latency.head(top).iterrows():
        cells = "".join(pad(f"{value * 1000:,.0f} ms", 9, right=True) for value in row.tolist())
        lines.append((Span(pad(printable(section, UNLIMITED), name_width)), Span(cells)))
    return [clip_line(line, width) for line in lines]


def agents_panel(report: Report, width: int, top: int, sort: str = "hits") -> list[Line]:
    """User agents, crawlers and scripts marked `[bot]` (the list `--exclude agent:bot` uses)."""
    recent, window = _counts(report.interval.agents), _counts(report.window.agents)
    names = table_names(report, "agents", top, sort)
    return _table(report, width, "user agent", names, (recent, window), marked=bots_among(names))


def referrers_panel(report: Report, width: int, top: int, sort: str = "hits") -> list[Line]:
    return _counts_panel(report, width, top, "referrer", "referers", sort)


def errors_panel(report: Report, width: int, top: int) -> list[Line]:
    """Paths answered 4xx, then paths answered 5xx."""
    half = max(3, top // 2)
    fours = _counts_panel(report, width, half, "path answered 4xx", "paths_4xx")
    fives = _counts_panel(report, width, half, "path answered 5xx", "paths_5xx")
    return [*fives, (), *fours]


def hosts_panel(report: Report, width: int, top: int, sort: str = "hits") -> list[Line]:
    return _counts_panel(report, width, top, "client host", "hosts", sort)


def methods_panel(report: Report, width: int, top: int, sort: str = "hits") -> list[Line]:
    return _counts_panel(report, width, top, "method", "methods", sort)


def _classes(summary: Summary) -> Counts:
    return {name: summary.status_counts[name] for name in STATUS_CLASSES}


def statuses_panel(report: Report, width: int, top: int) -> list[Line]:
    """Status classes, then every status code seen in the window or the interval."""
    recent, window = report.interval, report.window
    classes = (_classes(recent), _classes(window))
    lines = _table(report, width, "status class", list(STATUS_CLASSES), classes, True)
    codes = (_counts(recent.statuses), _counts(window.statuses))
    table = _table(report, width, "status code", list(dict.fromkeys([*codes[1], *codes[0]])), codes, True)
    errors = (
        f"errors (5xx): {recent.error_rate:.1%} in the last {recent.seconds} s, "
        f"{window.error_rate:.1%} in the last {window.seconds} s"
    )
    return [*lines, (), *table, (), (Span(clip(errors, width), "5xx" if recent.error_rate else ""),)]


def rejected_panel(report: Report, width: int, top: int) -> list[Line]:
    """Rejected lines by reason, in the interval and since start, each with its latest example."""
    read = report.interval.requests + report.rejected
    share = report.rejected / read if read else 0.0
    totals = report.totals
    seconds = report.interval.seconds
    recent = f"rejected: {report.rejected:,} of {plural(read, 'line')} in the last {seconds} s ({share:.1%})"
    requests = plural(totals.get("requests", 0), "request")
    since = f"since start: {requests}, {totals.get('rejected', 0):,} rejected, {totals.get('late', 0):,} late"
    lines: list[Line] = [(Span(clip(recent, width)),), (Span(clip(since, width)),)]
    if share > 0.01:
        lines.append((Span(clip("WARNING: over 1% of lines rejected (wrong --format?)", width), "warning"),))
    if not report.reject_examples:
        return [*lines, (), (Span("(no rejected line yet)", "dim"),)]
    last = f"last {seconds} s"
    heading = pad("reason", 16) + pad(last, 11, right=True) + pad("since start", 13, right=True)
    lines += [(), (Span(heading + "  latest example", "heading"),)]
    for reason, example in report.reject_examples.items():
        counts = pad(f"{report.reasons.get(reason, 0):,}", 11, right=True)
        counts += pad(f"{report.reason_totals.get(reason, 0):,}", 13, right=True)
        head = pad(printable(reason, UNLIMITED), 16) + counts + "  "
        room = max(0, width - len(head))
        lines.append((Span(head), Span(clip(printable(example, UNLIMITED), room), "dim")))
    return [clip_line(line, width) for line in lines]


def files_panel(report: Report, width: int, notices: Sequence[Notice], stamp: Stamp) -> list[Line]:
    """One pair of rows per followed file (what was read since start, and what was read back at
    start apart), then the latest notices, each with its time."""
    lines: list[Line] = []
    for file in report.files:
        seen = stamp(file.last_seen) if file.last_seen is not None else "never"
        lines.append((Span(clip_left(printable(file.path, UNLIMITED), width), "heading"),))
        status = printable(file.status, UNLIMITED)
        read = f"{plural(file.lines, 'line')} since start"
        read += f" (+{file.warm:,} read back at start)" if file.warm else ""
        detail = f"{read}, {file.rejected:,} rejected, last line read {seen}; {status}"
        lines += [(Span(f"  {row}"),) for row in fold(detail, width - 2)]
    if not report.files:
        lines.append((Span("(the files are listed from the first report on)", "dim"),))
    if report.overruns:
        slow = f"slow ticks: {plural(report.overruns, 'report')} came a whole interval late"
        lines.append((Span(clip(slow, width), "warning"),))
    if notices:
        lines += [(), (Span("notices (newest first):", "heading"),), *notice_rows(notices, width, stamp)]
    return [clip_line(line, width) for line in lines]


def summary_sizes(summary: Summary) -> str:
    """Bytes served and the size percentiles, short."""
    sizes = summary.size_percentiles
    if not summary.sized:
        return "n/a served (no sizes in the log)"
    return f"{human_bytes(summary.bytes)} served, p50 {human_bytes(sizes[50])}, p99 {human_bytes(sizes[99])}"
