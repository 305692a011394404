"""How the screen and the plain text say counts, times and rates: pure, no clock.

One way everywhere, so two places never say the same thing two ways: `1 request`, never
`1 requests`; a time is `HH:MM:SS` (UTC), with its date in front where the date is not the
screen's own day or in a replay (a replay of weeks is read by date); a rate has 2 decimals.
The alert messages keep their own fixed ISO format (a contract, design.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from analyzer.core.alerts import ALERT, RECOVERED
from analyzer.core.rules import ErrorRateRule, SectionRateRule
from analyzer.core.standing import Standing
from analyzer.ui.text import printable


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 request`, `2 requests`, `1,234 lines` (`many`: an irregular plural)."""
    word = noun if count == 1 else (many or noun + "s")
    return f"{count:,} {word}"


def rate_text(value: float) -> str:
    """A rate in req/s as every summary prints it: `1,234.50`."""
    return f"{value:,.2f}"


def clock(second: float, date: bool = False) -> str:
    """`12:05:41` (UTC), with the date in front when asked: `2015-05-17 12:05:41`."""
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


@dataclass(frozen=True)
class Stamp:
    """How one screen writes a second: `HH:MM:SS`, dated when its day is not the day of
    `reference` (the screen's now), and always in a replay (`dated`)."""

    reference: float
    dated: bool = False

    def __call__(self, second: float) -> str:
        day = time.gmtime(second)[:3]
        return clock(second, self.dated or day != time.gmtime(self.reference)[:3])


def stale_text(now: float, newest: int | None, window: int) -> str | None:
    """What to say when the newest line is older than the window (a screen of zeros otherwise
    looks like a quiet site); None when it is not."""
    if newest is None or now - newest <= window:
        return None
    return f"newest line {age(now - newest)} old: nothing in the window; replay or backtest look at the past"


def finished_text(second: float) -> str:
    """The end of a replay, with its date (a replay is read by date)."""
    return f"replay finished at {clock(second, True)} UTC"


def standing_text(standing: Standing) -> str:
    """A rule's window value against its limit, printed as its messages print it (never on
    the wrong side of the limit): `avg 17.10 > 10 req/s`, `5xx 6.20% > 5%`, `/api 0.50 ≤ 20
    req/s`; an error rate over fewer requests than it judges says how few."""
    rule = standing.rule
    sign = ">" if standing.above else "≤"
    shown = rule.shown(standing.value, standing.volume, ALERT if standing.above else RECOVERED)
    if isinstance(rule, ErrorRateRule):
        if standing.volume < rule.min_requests:
            return f"{rule.classes} {shown}%, {standing.volume:,} req < min {rule.min_requests:,}"
        return f"{rule.classes} {shown}% {sign} {rule.threshold_text}%"
    name = printable(rule.section, 40) if isinstance(rule, SectionRateRule) else "avg"
    return f"{name} {shown} {sign} {rule.threshold_text} req/s"


def since_text(standing: Standing, stamp: Stamp) -> str:
    """` since 14:10:08` (` since before ...` when a start could not read back to it); empty
    when the rule is off or its alert was restored without a record of when it began."""
    if standing.since is None:
        return ""
    return f" since {'before ' if standing.before else ''}{stamp(standing.since)}"
