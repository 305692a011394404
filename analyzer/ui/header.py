"""The dashboard's top lines: the status line and the traffic summary; pure.

The status line is the one row that is always drawn: the state first (it is never left out),
then, as the width allows, the average against the threshold, the rate now, the time and the
files. A log whose newest line is older than the window says so there, since a screen of
zeros otherwise looks like a quiet site.
"""

from __future__ import annotations

import time

from analyzer.core.engine import Report
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.ui.cells import Line, Piece, Span, fit
from analyzer.ui.display import Status
from analyzer.ui.panels import summary_sizes
from analyzer.ui.render import human_bytes

SEPARATOR = Span(" │ ", "dim")


def clock(second: float, date: bool = False) -> str:
    """`12:05:41` (UTC), with the date in front when asked."""
    return time.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S", time.gmtime(second))


def age(seconds: float) -> str:
    """An age as a person says it: 45 s, 12 min, 5 hours, 3 days."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def alert_on(status: Status | None, report: Report | None) -> bool:
    """The state now: the status's; the report's before any status, or when the status cannot
    tell (an alert restored from the checkpoint, with no transition on record)."""
    if status is None:
        return report is not None and report.alert_on
    return status.alert_since is not None or (report is not None and report.alert_on and not report.history)


def _since(status: Status | None, report: Report | None) -> int | None:
    if status is not None:
        return status.alert_since
    return report.history[-1].second if report is not None and report.history else None


def status_line(status: Status | None, report: Report | None, screen_paused: bool, width: int) -> Line:
    """The top line: state, then what fits of the rest."""
    since = _since(status, report)
    if alert_on(status, report):
        state = Piece(
            ((Span(f"ALERT since {clock(since)}", "state-alert"),), (Span("ALERT", "state-alert"),))
            if since is not None
            else ((Span("ALERT", "state-alert"),),),
            0,
            required=True,
        )
    else:
        state = Piece(((Span("OK", "state-ok"),),), 0, required=True)
    pieces = [state]
    if status is not None:
        pieces += _status_pieces(status)
    elif report is not None:
        pieces.append(Piece(((Span(clock(report.time)),),), 4))
    if screen_paused:
        pieces.insert(
            1, Piece(((Span("screen paused (p resumes)", "warning"),), (Span("paused", "warning"),)), 1)
        )
    return fit(pieces, width, SEPARATOR)


def _status_pieces(status: Status) -> list[Piece]:
    pieces = []
    if status.newest is not None and status.now - status.newest > status.window:
        old = f"newest line {age(status.now - status.newest)} old"
        pieces.append(
            Piece(
                tuple(
                    (Span(text, "stale"),)
                    for text in (
                        f"{old}: nothing in the window; replay or backtest look at the past",
                        f"{old}: nothing in the window (try replay, backtest)",
                        f"{old}: window empty",
                        old,
                    )
                ),
                1,
            )
        )
    if status.speed is not None:
        replay = "replay paused" if status.paused else f"replay {status.speed:g}x"
        pieces.append(Piece(((Span(replay, "warning"),),), 1))
    above = status.average > status.threshold
    sign = ">" if above else "≤"
    average = f"avg {status.average:.2f} {sign} {status.threshold:g} req/s"
    style = "alert-text" if above else ""
    pieces.append(Piece(((Span(f"{average} ({status.window} s)", style),), (Span(average, style),)), 2))
    pieces.append(
        Piece(((Span(f"now {status.rate_now:.1f} req/s"),), (Span(f"now {status.rate_now:.1f}"),)), 3)
    )
    pieces.append(
        Piece(
            tuple(
                (Span(text),)
                for text in (f"{clock(status.now, True)} UTC", f"{clock(status.now)} UTC", clock(status.now))
            ),
            4,
        )
    )
    pieces.append(Piece(((Span(f"{status.files} file{'s' if status.files != 1 else ''}"),),), 5))
    return pieces


def _classes(summary: Summary, digits: int) -> Line:
    spans: list[Span] = []
    for name in STATUS_CLASSES:
        if spans:
            spans.append(Span(" "))
        spans.append(Span(f"{name} {summary.status_ratio(name):.{digits}%}", name))
    return tuple(spans)


def summary_line(summary: Summary, extra: list[Piece], width: int) -> Line:
    """`last 10 s: 1,234 req │ 123.40 req/s │ 2xx 95.0% ... │ sizes`, cut to the width."""
    pieces = [
        Piece(
            ((Span(f"last {summary.seconds} s:", "heading"), Span(f" {summary.requests:,} req")),), 0, True
        ),
        Piece(((Span(f"{summary.rate:,.2f} req/s"),),), 1),
        Piece((_classes(summary, 1), _classes(summary, 0)), 2),
        Piece(
            (
                (Span(summary_sizes(summary)),),
                (Span(human_bytes(summary.bytes) if summary.sized else "n/a"),),
            ),
            4,
        ),
        *extra,
    ]
    return fit(pieces, width, SEPARATOR)


def summary_lines(report: Report, width: int) -> list[Line]:
    """The interval's traffic, then the window's (with what was rejected, late, read back)."""
    recent = [Piece(((Span(f"rejected {report.rejected:,}, late {report.late:,}"),),), 3)]
    window: list[Piece] = []
    latency = report.window.latency
    if latency:
        times = ", ".join(f"p{p} {latency[p] * 1000:,.0f} ms" for p in (50, 99))
        window.append(Piece(((Span(f"request time {times}"),),), 5))
    if report.warm:
        window.append(Piece(((Span(f"{report.warm:,} lines read back at start"),),), 6))
    return [summary_line(report.interval, recent, width), summary_line(report.window, window, width)]
