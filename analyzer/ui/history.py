"""The alert history and the notices as the dashboard shows them: pure.

Every alert and recovery stays in view: the history area under the status lines shows the
newest ones, newest last, each message whole (folded at word boundaries, never cut), and
says how many earlier ones the alerts panel holds. The panel has them all, newest first.
Alerts and recoveries are styled by their kind, never told apart by their text. Notices
(a file rotated, reports late, a stale log, warnings) have a line of their own: they never
take an alert message's place.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.core.alerts import AlertRule, Transition
from analyzer.core.drivers import drivers_text
from analyzer.ui.cells import Line, Piece, Span, clip, clip_left, fit, fold, line_width
from analyzer.ui.cells import width as cells
from analyzer.ui.text import printable
from analyzer.ui.words import Stamp, plural

UNLIMITED = 1 << 16
SEPARATOR = Span(" │ ", "dim")
MIN_PATH = 16  # cells of a notice's path kept however long what happened is
Notice = tuple[float | None, str]  # when (the monitor's clock; None: before any status), what


def transition_rows(transition: Transition, width: int) -> list[Line]:
    """One message folded to the width, in the style of its kind (`alert`, `recovered`), and
    under it what drove an alert (`driven by /api +4,120 (62%), host ...`), folded too."""
    rows: list[Line] = [
        (Span(row, transition.kind),) for row in fold(printable(transition.message, UNLIMITED), width)
    ]
    driven = drivers_text(transition.drivers)
    if driven:
        rows += [(Span(row, "dim"),) for row in fold(printable(driven, UNLIMITED), width)]
    return rows


def history_area(history: Sequence[Transition], width: int, rows: int, rule: AlertRule | None) -> list[Line]:
    """At most `rows` rows: the newest transitions that fit whole, newest last, under a row
    saying how many earlier ones there are; the alert rule when there is none yet."""
    if rows <= 0:
        return []
    if not history:
        if rule is None:
            return [(Span(clip("reading the files...", width), "dim"),)]
        text = (
            f"alert when the {rule.window} s average exceeds {rule.threshold_text} req/s; "
            "no alert since start"
        )
        rule_rows: list[Line] = [(Span(row, "dim"),) for row in fold(text, width)]
        return rule_rows[:rows]
    shown: list[list[Line]] = []
    used = 0
    for transition in reversed(history):
        folded = transition_rows(transition, width)
        earlier = len(history) - len(shown) - 1
        if used + len(folded) + (1 if earlier else 0) > rows and shown:
            break
        shown.append(folded)
        used += len(folded)
    lines = [line for folded in reversed(shown) for line in folded]
    earlier = len(history) - len(shown)
    if earlier:
        marker = f"… {plural(earlier, 'earlier message')}: press 7 for them all"
        lines = [(Span(clip(marker, width), "dim"),), *lines]
    return lines[-rows:] if len(lines) > rows else lines


def area_rows(history: Sequence[Transition], width: int, count: int, marker: bool = True) -> int:
    """Rows the newest `count` transitions take whole (`marker`: with the row saying there are more)."""
    if not history:
        return 1
    newest = history[-count:] if count > 0 else history[-1:]
    rows = sum(len(transition_rows(t, width)) for t in newest)
    return rows + (1 if marker and len(history) > len(newest) else 0)


def history_panel(history: Sequence[Transition], width: int) -> list[Line]:
    """Every alert and recovery, newest first, each message whole (folded, never cut)."""
    if not history:
        return [(Span("(no alert yet)", "dim"),)]
    return [line for transition in reversed(history) for line in transition_rows(transition, width)]


def notice_line(
    notices: Sequence[Notice], stale: str | None, overruns: int, width: int, stamp: Stamp
) -> Line | None:
    """What is wrong now (a stale log, reports late), then the newest notice with its time (in
    what is left, at least half the row); None when there is nothing to say."""
    pieces: list[Piece] = []
    if stale:
        short = stale.split(":")[0]
        variants = (stale, f"{short}: nothing in the window", f"{short}: window empty", short)
        pieces.append(Piece(tuple((Span(text, "stale"),) for text in variants), 1))
    if overruns:
        late = f"slow ticks: {plural(overruns, 'report')} came a whole interval late"
        pieces.append(Piece(((Span(late, "warning"),), (Span("slow ticks", "warning"),)), 2))
    line = fit(pieces, width // 2 if notices else width, SEPARATOR) if pieces else ()
    if notices:
        second, text = notices[-1]
        when = f"{stamp(second)} " if second is not None else ""
        room = width - line_width(line) - (len(SEPARATOR.text) if line else 0)
        notice = Span(clip(when + _short(printable(text, UNLIMITED), room - len(when)), room), "notice")
        line = (*line, SEPARATOR, notice) if line else (notice,)
    return line or None


def _short(text: str, room: int) -> str:
    """A notice (`path: what happened`) in `room` cells: the path cut from its start first, so
    what happened and the file's name stay (the whole path is in the files panel)."""
    path, colon, what = text.partition(": ")
    if not colon or cells(text) <= room:
        return text
    return clip_left(path, max(MIN_PATH, room - cells(what) - 2)) + colon + what


def notice_rows(notices: Sequence[Notice], width: int, stamp: Stamp) -> list[Line]:
    """Every notice, newest first, whole, with its time: for the files panel."""
    lines: list[Line] = []
    for second, text in reversed(notices):
        when = f"{stamp(second)} " if second is not None else ""
        lines += [(Span(row, "notice"),) for row in fold(when + printable(text, UNLIMITED), width)]
    return lines
