"""The whole dashboard as lines for a terminal of a given size: pure, the core of the screen.

`layout(screen, view, width, height)` returns at most `height` lines of at most `width`
cells. Rows are handed out by priority (status line, message, panel, title, summary,
chart, key hints), so a small terminal loses the chart before the state; a table that does
not fit shows fewer rows and scrolls. Nothing is wrapped by the terminal: what must be read
whole (an alert message) is folded here, at word boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.core.engine import Report
from analyzer.ui.cells import Line, Piece, Span, clip, clip_line, fit, fold, line_width, pad_line, plain
from analyzer.ui.chart import chart
from analyzer.ui.display import Status
from analyzer.ui.header import status_line, summary_lines
from analyzer.ui.panels import (
    files_panel,
    history_panel,
    hosts_panel,
    methods_panel,
    rejected_panel,
    sections_panel,
    statuses_panel,
)
from analyzer.ui.text import printable

PANELS = ("sections", "status", "hosts", "methods", "rejected", "files", "alerts")
STICKY = {"sections", "hosts", "methods"}  # tables whose heading stays while scrolling
WIDE = 120  # from this width the alert history has a column of its own beside the panel
UNLIMITED = 1 << 16

HELP = (
    "keys",
    "  q               quit (the last lines are read and reported, as with Ctrl-C)",
    "  ?  Esc          this help, and back",
    "  p               pause the screen (the monitor keeps reading and counting)",
    "  Tab  1-7        switch panels (Shift-Tab: the one before)",
    "  ↑ ↓ PgUp PgDn   scroll the panel (Home, End)",
    "  Space  +  -     replay: pause or play, faster, slower",
    "",
    "colours (none with NO_COLOR set or --no-color)",
    "  OK green, ALERT red; status classes 2xx green, 3xx cyan, 4xx yellow, 5xx red;",
    "  chart bars over the threshold red, the threshold line yellow",
)


@dataclass(frozen=True)
class View:
    """What the person chose to look at."""

    panel: int = 0
    scroll: int = 0
    help: bool = False
    paused: bool = False  # the screen, not the reading


@dataclass(frozen=True)
class Screen:
    """What the monitor told the screen."""

    report: Report | None = None
    status: Status | None = None
    title: str = ""
    history: tuple[tuple[str, str], ...] = ()  # (kind, message) of every transition, oldest first
    notices: tuple[str, ...] = ()
    latest: tuple[str, str] | None = None  # (kind, text) of the newest message
    top: int = 10


@dataclass(frozen=True)
class Frame:
    lines: list[Line]
    page: int  # rows of the panel on screen (a PgDn)
    scroll: int  # the first panel row shown
    scroll_max: int


def layout(screen: Screen, view: View, width: int, height: int) -> Frame:
    """The dashboard in `height` rows of at most `width` cells."""
    width, height = max(0, width), max(0, height)
    message = _message_rows(screen, width)
    rows = _plan(height, len(message), bool(screen.report))
    lines: list[Line] = [status_line(screen.status, screen.report, view.paused, width)][: rows["status"]]
    title = printable(screen.title, UNLIMITED) or "analyzer"
    lines += [(Span(clip(title, width), "title"),)][: rows["title"]]
    lines += message[: rows["message"]]
    if screen.report is not None:
        lines += summary_lines(screen.report, width)[: rows["summary"]]
    if rows["chart"] and screen.report is not None:
        report = screen.report
        lines += chart(report.per_second, report.rule.threshold, width, rows["chart"], report.rule.window)
    body, page, scroll, scroll_max = _body(screen, view, width, rows["body"])
    where = f"rows {scroll + 1}-{scroll + page} of {scroll_max + page}" if scroll_max else ""
    tabs = _tabs(view, width, where)
    if rows["tabs"]:
        lines.append(tabs)
    lines += body
    if rows["keys"]:
        lines.append(_keys(screen.status, width, "" if where and where in plain(tabs) else where))
    return Frame([clip_line(line, width) for line in lines[:height]], page, scroll, scroll_max)


def _plan(height: int, message: int, report: bool) -> dict[str, int]:
    """Rows for each part, by priority; the panel takes what is left."""
    rows = dict.fromkeys(("status", "title", "message", "summary", "chart", "tabs", "body", "keys"), 0)
    left = height

    def give(part: str, count: int, whole: bool = False) -> None:
        nonlocal left
        count = min(count, left) if not whole or count <= left else 0
        rows[part] += count
        left -= count

    give("status", 1)
    give("message", 1)
    give("tabs", 1)
    give("body", 3)
    give("title", 1)
    give("summary", 2 if report else 0)
    give("chart", min(12, max(3, height // 4 - 1)) if report else 0, whole=True)
    give("keys", 1)
    give("message", min(2, message - 1))
    give("body", left)
    return rows


def _message_rows(screen: Screen, width: int) -> list[Line]:
    """The newest message whole (at most 3 rows), or else the alert rule."""
    if screen.latest is not None:
        kind, text = screen.latest
        rows = fold(printable(text, UNLIMITED), width)
        return [(Span(row, kind),) for row in rows[:3]]
    if screen.report is not None:
        rule = screen.report.rule
        text = (
            f"alert when the {rule.window} s average exceeds {rule.threshold:g} req/s; no alert since start"
        )
        return [(Span(clip(text, width), "dim"),)]
    return [(Span(clip("reading the files...", width), "dim"),)]


Panel = Callable[[Report, int], list[Line]]


def panel_lines(screen: Screen, name: str, width: int) -> list[Line]:
    """Every row of panel `name` at `width`."""
    if name == "alerts":
        return history_panel(screen.history, width)
    report = screen.report
    if report is None:
        return [(Span(clip("waiting for the first report", width), "dim"),)]
    top = screen.top
    makers: dict[str, Panel] = {
        "sections": lambda r, w: sections_panel(r, w, top),
        "status": lambda r, w: statuses_panel(r, w, top),
        "hosts": lambda r, w: hosts_panel(r, w, top),
        "methods": lambda r, w: methods_panel(r, w, top),
        "rejected": lambda r, w: rejected_panel(r, w, top),
        "files": lambda r, w: files_panel(r, w, screen.notices),
    }
    return makers[name](report, width)


def _body(screen: Screen, view: View, width: int, height: int) -> tuple[list[Line], int, int, int]:
    """The panel's rows on screen (beside the alert history when wide), the page, the scroll."""
    if height <= 0:
        return [], 0, 0, 0
    if view.help:
        content: list[Line] = [
            (Span(clip(line, width), "heading" if line and line[0] != " " else ""),) for line in HELP
        ]
        shown = content[:height]
        return shown + [()] * (height - len(shown)), height, 0, 0
    name = PANELS[view.panel % len(PANELS)]
    side = width >= WIDE
    side_width = min(60, width * 2 // 5) if side else 0
    main_width = width - side_width - (1 if side else 0)
    content = panel_lines(screen, name, main_width)
    sticky = content[:1] if name in STICKY and screen.report is not None else []
    rows = content[len(sticky) :]
    page = max(1, height - len(sticky))
    scroll_max = max(0, len(rows) - page)
    scroll = min(max(0, view.scroll), scroll_max)
    shown = (sticky + rows[scroll : scroll + page])[:height]
    shown += [()] * (height - len(shown))
    if side:
        other = (
            panel_lines(screen, "sections", side_width)
            if name == "alerts"
            else history_panel(screen.history, side_width, height)
        )
        heading: Line = (
            Span(clip("sections" if name == "alerts" else "alert history", side_width), "heading"),
        )
        column = [heading, *other][:height]
        column += [()] * (height - len(column))
        shown = [
            (*pad_line(left, main_width), Span("│", "dim"), *right)
            for left, right in zip(shown, column, strict=True)
        ]
    return shown, page, scroll, scroll_max


def _tabs(view: View, width: int, where: str) -> Line:
    """` 1 sections  2 status ...` with the chosen one marked, and where the scroll is if it fits."""
    chosen = -1 if view.help else view.panel % len(PANELS)

    def tabs(names: bool) -> Line:
        spans = []
        for number, name in enumerate(PANELS):
            if number == chosen:
                spans.append(Span(f"[{number + 1} {name}]", "tab"))
            else:
                spans.append(Span(f" {number + 1} {name} " if names else f" {number + 1} ", "dim"))
        return tuple(spans)

    full = (*tabs(True), Span(f"  {where}", "dim")) if where else tabs(True)
    return (
        full
        if line_width(full) <= width
        else fit([Piece((tabs(True), tabs(False)), 0, True)], width, Span(""))
    )


def _keys(status: Status | None, width: int, where: str) -> Line:
    """The keys to press (the replay's too, in a replay), and where the scroll is."""
    replay = status is not None and status.speed is not None
    texts = [
        "q quit  ? help  p pause screen  Tab/1-7 panels  ↑↓ PgUp PgDn scroll",
        "q quit  ? help  p pause  Tab/1-7 panels  ↑↓ PgUp PgDn",
        "q quit  ? help",
    ]
    if replay:
        texts = [f"{text}  Space play/pause  +/- speed" for text in texts[:2]] + texts
    pieces = [Piece(tuple((Span(text, "dim"),) for text in texts), 2, required=True)]
    if where:
        pieces.append(Piece(((Span(where, "dim"),),), 1))
    return fit(pieces, width, Span("  "))
