"""The whole dashboard as lines for a terminal of a given size: pure, the core of the screen.

`layout(screen, view, width, height)` returns at most `height` lines of at most `width`
cells, from the top: the status line, the clock line, the alert history, the notice line,
the traffic summary, the chart, the panel and the key hints. Rows are handed out by
priority (the status line, the newest alert message whole, the notice, the panel, the
summary, the last 4 alert messages, the chart, the hints, more history on a tall screen),
so a small terminal loses the chart before the state or an alert message; a table that
does not fit shows fewer rows and scrolls. Nothing is wrapped by the terminal: what must be
read whole (an alert message) is folded here, at word boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from analyzer.core.alerts import Transition
from analyzer.core.engine import Report
from analyzer.core.focus import Focused
from analyzer.core.stats import OTHER, STATUS_CLASSES
from analyzer.ui.cells import Line, Piece, Span, clip, clip_line, fit, line_width, plain
from analyzer.ui.chart import chart
from analyzer.ui.display import Status
from analyzer.ui.drill import drill_lines, focus_of, focused_report, lens_line
from analyzer.ui.header import clock_line, screen_stamp, status_line, summary_lines
from analyzer.ui.history import Notice, area_rows, history_area, history_panel, notice_line
from analyzer.ui.lens import CHOOSABLE, Lens, prompt
from analyzer.ui.panels import (
    agents_panel,
    errors_panel,
    files_panel,
    hosts_panel,
    methods_panel,
    referrers_panel,
    rejected_panel,
    sections_panel,
    statuses_panel,
    table_names,
)
from analyzer.ui.words import Stamp

PANELS = (
    "sections",
    "status",
    "hosts",
    "methods",
    "rejected",
    "files",
    "alerts",
    "agents",
    "referrers",
    "errors",
)
STICKY = {"sections", "hosts", "methods", "agents", "referrers"}  # tables whose heading stays while scrolling
SHOWN = 4  # alert messages kept on screen before the chart gets rows

HELP = (
    "keys",
    "  q               quit (the last lines are read and reported, as with Ctrl-C)",
    "  ?  h  Esc       this help, and back",
    "  p               pause the screen (the monitor keeps reading and counting)",
    "  Tab  1-9 0      switch panels (Shift-Tab: back); 7 alerts, 8 agents, 0 errors",
    "  ↑ ↓ PgUp PgDn   scroll the panel (Home, End); in 1-3, choose a row",
    "  Enter  Esc      open the row chosen (its paths, hosts, agents ...), and back",
    "  /  Esc          filter panels, chart and summary (as --only), and clear",
    "  s               sort: hits, last interval's share, rise on the window before",
    "  Space  +  -     replay: pause or play, faster, slower",
    "",
    "colours (NO_COLOR set or --no-color: none, bold and reverse video stay)",
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
    lens: Lens = field(default_factory=Lens)  # the filter, the drill-down, the sort (ui.lens)


@dataclass(frozen=True)
class Screen:
    """What the monitor told the screen."""

    report: Report | None = None
    status: Status | None = None
    title: str = ""
    history: tuple[Transition, ...] = ()  # every alert and recovery, oldest first
    notices: tuple[Notice, ...] = ()  # oldest first
    top: int = 10


@dataclass(frozen=True)
class Frame:
    lines: list[Line]
    page: int  # rows of the panel on screen (a PgDn)
    scroll: int  # the first panel row shown
    scroll_max: int
    choices: tuple[object, ...] = ()  # the rows Enter opens, in the order shown


def layout(screen: Screen, view: View, width: int, height: int) -> Frame:
    """The dashboard in `height` rows of at most `width` cells."""
    width, height = max(0, width), max(0, height)
    status, focused = screen.status, focus_of(screen.status, view.lens)
    stamp = screen_stamp(status, screen.report)
    screen = replace(screen, report=focused_report(screen.report, focused))
    report = screen.report
    stale = status.stale if status is not None else None
    notice = notice_line(screen.notices, stale, report.overruns if report else 0, width, stamp)
    said = prompt(view.lens)
    rows = _plan(screen, width, height, notice is not None, bool(said or view.lens.terms))
    lines: list[Line] = [status_line(status, report, view.paused, width, stamp)][: rows["status"]]
    lines += [lens_line(view.lens, focused, stamp, width, said)][: rows["lens"]]
    lines += [clock_line(status, report, screen.title, width, stamp)][: rows["clock"]]
    lines += history_area(screen.history, width, rows["history"], report.rule if report else None)
    lines += [notice][: rows["notice"]] if notice is not None else []
    if report is not None:
        lines += summary_lines(report, width, stamp, status)[: rows["summary"]]
        if rows["chart"]:
            rule, end = report.rule, stamp(report.time)
            lines += chart(report.per_second, rule.threshold, width, rows["chart"], rule.window, end)
    body, page, scroll, scroll_max, choices = _body(screen, view, width, rows["body"], stamp, focused)
    where = f"rows {scroll + 1}-{scroll + page} of {scroll_max + page}" if scroll_max else ""
    tabs = _tabs(view, width, where)
    if rows["tabs"]:
        lines.append(tabs)
    lines += body
    if rows["keys"]:
        lines.append(_keys(status, width, "" if where and where in plain(tabs) else where))
    return Frame([clip_line(line, width) for line in lines[:height]], page, scroll, scroll_max, choices)


def _plan(screen: Screen, width: int, height: int, notice: bool, lens: bool) -> dict[str, int]:
    """Rows for each part, by priority; the panel takes what is left."""
    parts = ("status", "lens", "clock", "history", "notice", "summary", "chart", "tabs", "body", "keys")
    rows = dict.fromkeys(parts, 0)
    left = height
    report = screen.report is not None
    rule = screen.report.rule if screen.report is not None else None

    def give(part: str, count: int, whole: bool = False) -> None:
        nonlocal left
        count = min(count, left) if not whole or count <= left else 0
        rows[part] += max(0, count)
        left -= max(0, count)

    def history(target: int) -> None:
        """Up to `target` rows, as many as the whole messages that fit take."""
        budget = min(target, rows["history"] + left)
        give("history", len(history_area(screen.history, width, budget, rule)) - rows["history"])

    give("status", 1)
    give("lens", 1 if lens else 0)
    history(area_rows(screen.history, width, 1, marker=False))  # the newest message, whole
    give("notice", 1 if notice else 0)
    give("tabs", 1)
    give("body", 3)
    give("clock", 1)
    give("summary", 2 if report else 0)
    history(area_rows(screen.history, width, SHOWN))
    give("chart", min(12, max(3, height // 4 - 1)) if report else 0, whole=True)
    give("keys", 1)
    history(max(area_rows(screen.history, width, SHOWN), height // 3))
    give("body", left)
    return rows


Panel = Callable[[Report, int], list[Line]]


def panel_lines(
    screen: Screen, name: str, width: int, stamp: Stamp, rows: int = 0, sort: str = "hits"
) -> list[Line]:
    """Every row of panel `name` at `width`; a table names as many keys as `rows` can show
    (at least `--top`)."""
    if name == "alerts":
        return history_panel(screen.history, width)
    report = screen.report
    if report is None:
        return [(Span(clip("waiting for the first report", width), "dim"),)]
    top = max(screen.top, rows - 3)
    makers: dict[str, Panel] = {
        "sections": lambda r, w: sections_panel(r, w, top, sort),
        "status": lambda r, w: statuses_panel(r, w, top),
        "hosts": lambda r, w: hosts_panel(r, w, top, sort),
        "methods": lambda r, w: methods_panel(r, w, top, sort),
        "rejected": lambda r, w: rejected_panel(r, w, top),
        "files": lambda r, w: files_panel(r, w, screen.notices, stamp),
        "agents": lambda r, w: agents_panel(r, w, top, sort),
        "referrers": lambda r, w: referrers_panel(r, w, top, sort),
        "errors": lambda r, w: errors_panel(r, w, top),
    }
    return makers[name](report, width)


def _body(
    screen: Screen, view: View, width: int, height: int, stamp: Stamp, focused: Focused | None
) -> tuple[list[Line], int, int, int, tuple[object, ...]]:
    """The panel's rows on screen, the page, the scroll, the rows Enter opens."""
    if height <= 0:
        return [], 0, 0, 0, ()
    if view.help:
        content: list[Line] = [
            (Span(clip(line, width), "heading" if line and line[0] != " " else ""),) for line in HELP
        ]
        shown = content[:height]
        return shown + [()] * (height - len(shown)), height, 0, 0, ()
    name, lens, report = PANELS[view.panel % len(PANELS)], view.lens, screen.report
    choices: tuple[object, ...] = ()
    if lens.drill is not None and report is not None:
        name, content = "drill", drill_lines(report, focused, lens, width, max(screen.top, 5), stamp)
    else:
        content = panel_lines(screen, name, width, stamp, height, lens.sort_name)
    sticky = content[:1] if (name in STICKY or name == "drill") and report is not None else []
    rows = content[len(sticky) :]
    page = max(1, height - len(sticky))
    scroll_max = max(0, len(rows) - page)
    scroll = min(max(0, view.scroll), scroll_max)
    if name in CHOOSABLE and report is not None:
        choices = _choices(report, name, max(screen.top, height - 3), lens.sort_name)
        at = min(lens.selected, len(choices) - 1) + (0 if sticky else 1)
        if choices:
            rows[at] = tuple(Span(span.text, "tab") for span in rows[at])
    shown = (sticky + rows[scroll : scroll + page])[:height]
    shown += [()] * (height - len(shown))
    return shown, page, scroll, scroll_max, choices


def _choices(report: Report, name: str, top: int, sort: str) -> tuple[object, ...]:
    if name == "status":
        return STATUS_CLASSES
    names = table_names(report, "sections" if name == "sections" else "hosts", top, sort)
    return tuple(name for name in names if name != OTHER)


def _tabs(view: View, width: int, where: str) -> Line:
    """` 1 sections  2 status ...` with the chosen one marked, and where the scroll is if it fits."""
    chosen = -1 if view.help else view.panel % len(PANELS)

    def tabs(names: bool) -> Line:
        spans = []
        for number, name in enumerate(PANELS):
            if number == chosen:
                spans.append(Span(f"[{(number + 1) % 10} {name}]", "tab"))
            else:
                spans.append(
                    Span(f" {(number + 1) % 10} {name} " if names else f" {(number + 1) % 10} ", "dim")
                )
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
        "q quit  ?/h help  p pause screen  Tab/0-9 panels  ↑↓ PgUp PgDn scroll",
        "q quit  ?/h help  p pause  Tab/0-9 panels  ↑↓ PgUp PgDn",
        "q quit  ?/h help",
    ]
    if replay:
        texts = [f"{text}  Space play/pause  +/- speed" for text in texts[:2]] + texts
    pieces = [Piece(tuple((Span(text, "dim"),) for text in texts), 2, required=True)]
    if where:
        pieces.append(Piece(((Span(where, "dim"),),), 1))
    return fit(pieces, width, Span("  "))
