"""The dashboard's top lines: the status line, the clock line and the traffic summary; pure.

The status line is the one row that is always drawn: the state first (it is never left out),
then a replay's state and the average against the threshold. The line under it names what is
monitored and, as the width allows, when the screen is (the log's own time, with its date, in
a replay) and the rate of the last seconds. Every rate names its span and the second it ends
at, and two figures of the same span ending at the same second are one figure: where the
status's window ends at the report's second, the summary row shows the status's count (read
later, so with the lines that came late), never a second, older one.
"""

from __future__ import annotations

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, shown_rate
from analyzer.core.engine import Report
from analyzer.core.rules import since_of
from analyzer.core.standing import Standing
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.ui.cells import Line, Piece, Span, clip, fit, line_width, plain
from analyzer.ui.display import Status
from analyzer.ui.panels import summary_sizes
from analyzer.ui.render import human_bytes, read_in
from analyzer.ui.text import printable
from analyzer.ui.words import Stamp, finished_text, plural, rate_text, since_text, standing_text

SEPARATOR = Span(" │ ", "dim")
LONG = 1 << 12
MIN_TITLE = 12  # cells under which a replay's title is left out of its clock line
PAUSED = Piece(((Span("screen paused (p resumes)", "warning"),), (Span("paused", "warning"),)), 3, True)


def screen_stamp(status: Status | None, report: Report | None) -> Stamp:
    """The screen's way of writing times: its now is the status's (else the report's); a
    replay (a status with a speed) writes every time with its date."""
    if status is not None:
        return Stamp(status.now, status.speed is not None)
    return Stamp(report.time if report is not None else 0)


def alert_on(status: Status | None, report: Report | None) -> bool:
    """The state now: the status's; the report's before any status, or when the status cannot
    tell (an alert restored from the checkpoint, with no transition on record)."""
    if status is None:
        return report is not None and report.alert_on
    return status.alert_since is not None or (
        report is not None and report.alert_on and since_of(report.history, report.rule) is None
    )


def _since(status: Status | None, report: Report | None) -> int | None:
    if status is not None:
        return status.alert_since
    return since_of(report.history, report.rule) if report is not None else None


def average_text(status: Status) -> tuple[str, bool]:
    """The window's average as the alert messages print it (never reads as on the wrong side
    of the threshold), and whether it is above the threshold."""
    try:
        rule = AlertRule(status.threshold, status.window)
    except ValueError:  # no rule can be made of it: plain rounding
        return rate_text(status.average), status.average > status.threshold
    hits = status.window_hits
    above = hits > rule.on_limit
    return rate_text(float(shown_rate(hits, rule, ALERT if above else RECOVERED))), above


def threshold_text(threshold: float) -> str:
    try:
        return AlertRule(threshold).threshold_text
    except ValueError:
        return f"{threshold:g}"


def status_line(
    status: Status | None, report: Report | None, screen_paused: bool, width: int, stamp: Stamp | None = None
) -> Line:
    """The top line: state, then what fits of the rest. The average matters more than since
    when the alert is on (the history under it says when): where both do not fit, `ALERT`
    alone, so a replay's dated `since` never pushes the average out."""
    stamp = stamp or screen_stamp(status, report)
    standings = status.standings if status is not None else report.standings if report is not None else ()
    if standings:
        return _rules_line(standings, status, report, screen_paused, width, stamp)
    since = _since(status, report)
    alert = (Span("ALERT", "state-alert"),)
    if not alert_on(status, report):
        states: list[Line] = [(Span("OK", "state-ok"),)]
    elif since is not None:
        states = [(Span(f"ALERT since {stamp(since)}", "state-alert"),), alert]
    else:
        states = [alert]
    rest = _status_pieces(status, stamp) if status is not None else []
    if screen_paused:
        rest.insert(0, PAUSED)  # shortened before anything else is left out, never left out itself
    average = plain(rest[-1].variants[0]) if status is not None else ""
    line = fit([Piece(tuple(states), 0, required=True), *rest], width, SEPARATOR)
    if len(states) > 1 and average not in plain(line):
        shorter = fit([Piece(tuple(states[1:]), 0, required=True), *rest], width, SEPARATOR)
        line = shorter if average in plain(shorter) else line
    return line


def _rules_line(
    standings: tuple[Standing, ...],
    status: Status | None,
    report: Report | None,
    screen_paused: bool,
    width: int,
    stamp: Stamp,
) -> Line:
    """The status line when other rules run beside the high-traffic one: `ALERT` when any
    rule's alert is on (`OK` only when none is), each alerting rule with its value against its
    limit and since when, first and never left out; then the rules that are not on, then the
    window's span, as fits: `ALERT │ 5xx 6.20% > 5% since 14:10:08 │ avg 1.25 ≤ 10 req/s │ ...`."""
    on = [standing for standing in standings if standing.on]
    state = Span("ALERT", "state-alert") if on else Span("OK", "state-ok")
    pieces = [Piece(((state,),), 0, required=True), *([PAUSED] if screen_paused else [])]
    pieces += _replay_pieces(status, 1) if status is not None else []  # before any since
    for standing in on:
        text = standing_text(standing)
        since = since_text(standing, stamp)
        variants = ((Span(text + since, "alert-text"),),) if since else ()
        pieces.append(Piece((*variants, (Span(text, "alert-text"),)), 2, required=True))
    for rank, standing in enumerate(standing for standing in standings if not standing.on):
        style = "alert-text" if standing.above else ""  # over its limit, not yet on (lateness)
        pieces.append(Piece(((Span(standing_text(standing), style),),), 5 + rank))
    end = status.average_to if status is not None else report.time if report is not None else None
    if end is not None:  # every rule's value is over the same window, to the same second
        pieces.append(Piece(((Span(f"{standings[0].rule.window} s to {stamp(end)}"),),), 4))
    return fit(pieces, width, SEPARATOR)


def _replay_pieces(status: Status, keep: int) -> list[Piece]:
    """A replay's state: its speed, paused, or finished."""
    if status.finished:
        return [Piece(((Span(finished_text(status.now), "finished"),),), keep)]
    if status.speed is not None:
        replay = "replay paused" if status.paused else f"replay {status.speed:g}x"
        return [Piece(((Span(replay, "warning"),),), keep)]
    return []


def _status_pieces(status: Status, stamp: Stamp) -> list[Piece]:
    pieces = _replay_pieces(status, 1)
    shown, above = average_text(status)
    sign = ">" if above else "≤"
    average = (
        f"avg {shown} {sign} {threshold_text(status.threshold)} req/s "
        f"({status.window} s to {stamp(status.average_to)})"
    )
    pieces.append(Piece(((Span(average, "alert-text" if above else ""),),), 2))
    return pieces


def clock_line(status: Status | None, report: Report | None, title: str, width: int, stamp: Stamp) -> Line:
    """`title │ 11:03:28 UTC │ last 5 s 199.8 req/s (to 11:03:27) │ 1 file`, as fits: the
    title whole first (the demo explains itself there), then the time, the rate of the last
    seconds and the files. In a replay the time comes first: the log's own, with its date, is
    what a replay is read by."""
    name = Span(printable(title, LONG) or "analyzer", "title")
    now = status.now if status is not None else report.time if report is not None else None
    pieces: list[Piece] = []
    if now is not None:
        pieces.append(Piece(((Span(f"{stamp(now)} UTC"),), (Span(stamp(now)),)), 1))
    if status is not None:
        recent = (status.recent, status.rate_to)
        # The interval's row ends at the same second over as many seconds: one figure, its.
        if report is None or recent != (report.interval.seconds, report.time):
            rate = f"last {status.recent} s {status.rate_now:,.1f} req/s (to {stamp(status.rate_to)})"
            pieces.append(Piece(((Span(rate),),), 2))
        pieces.append(Piece(((Span(plural(status.files, "file")),),), 3))
    if not stamp.dated or not pieces:
        return fit([Piece(((name,),), 0, required=True), *pieces], width, SEPARATOR)
    pieces[0] = Piece(pieces[0].variants, 0, required=True)
    line = fit(pieces, width, SEPARATOR)
    room = width - line_width(line) - len(SEPARATOR.text)
    fits = room >= min(MIN_TITLE, len(name.text))
    return (*line, SEPARATOR, Span(clip(name.text, room), "title")) if fits else line


def _classes(summary: Summary, digits: int) -> Line:
    spans: list[Span] = []
    for name in STATUS_CLASSES:
        if spans:
            spans.append(Span(" "))
        spans.append(Span(f"{name} {summary.status_ratio(name):.{digits}%}", name))
    return tuple(spans)


def summary_line(
    summary: Summary, label: str, extra: list[Piece], width: int, figures: tuple[int, str] | None = None
) -> Line:
    """`10 s to 11:03:20: 1,234 req │ 123.40 req/s │ 2xx 95.0% ... │ sizes`, cut to the width.
    `figures`: the requests and the rate to show instead of the summary's own."""
    requests, rate = figures or (summary.requests, rate_text(summary.rate))
    pieces = [
        Piece(((Span(label, "heading"), Span(f" {requests:,} req")),), 0, True),
        Piece(((Span(f"{rate} req/s"),),), 1),
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


def summary_lines(
    report: Report, width: int, stamp: Stamp | None = None, status: Status | None = None
) -> list[Line]:
    """The interval's traffic, then the window's (with what was rejected, late, read back),
    each labelled with its span and the second it ends at."""
    stamp = stamp or screen_stamp(status, report)
    end = stamp(report.time)
    recent = [Piece(((Span(f"rejected {report.rejected:,}, late {report.late:,}"),),), 3)]
    window: list[Piece] = []
    latency = report.window.latency
    if latency:
        times = ", ".join(f"p{p} {latency[p] * 1000:,.0f} ms" for p in (50, 99))
        window.append(Piece(((Span(f"request time {times}"),),), 5))
    if report.warm:
        window.append(Piece(((Span(f"{plural(report.warm, 'line')} read back at start"),),), 6))
    figures = None
    if status is not None and (status.window, status.average_to) == (report.window.seconds, report.time):
        figures = (status.window_hits, average_text(status)[0])
    return [
        summary_line(
            report.interval, f"{read_in(report)}{report.interval.seconds} s to {end}:", recent, width
        ),
        summary_line(report.window, f"{report.window.seconds} s to {end}:", window, width, figures),
    ]
