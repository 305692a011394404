"""Where each rule stands at a second: its window's value against its limit, and its alert.

The screen's status line and `--plain`'s block tell every rule that runs (not the high-traffic
rule alone): an error-rate alert on while traffic is quiet is an alert, never `OK`. Pure: the
window and the history are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzer.core.alerts import ALERT, BEFORE, AlertRule, Transition, state_at
from analyzer.core.window import Window


@dataclass(frozen=True)
class Standing:
    """One rule at one second: `value` its window's total (hits, a section's hits, errors),
    `volume` the window's requests for a share's rule (else 0), `above` whether they are over
    the rule's limit, `on` whether its alert is on, since `since` (None: off, or restored at
    start without a record of when it began), `before` when a start found it on and could not
    read back to its crossing."""

    rule: AlertRule
    value: int
    volume: int
    above: bool
    on: bool
    since: int | None = None
    before: bool = False


def standing_of(
    rule: AlertRule,
    window: Window,
    second: int,
    history: list[Transition],
    current: bool,
    judged_to: int | None,
) -> Standing:
    """`rule` at `second`: its state there told by its transitions when later seconds were
    judged already (`judged_to`; a fast replay's report), else `current`."""
    totals = window.series(rule.series, second - rule.window + 1, second).sum(axis=1)
    above = bool(rule.decide(totals[:, np.newaxis])[0][0])
    mine = [t for t in history if t.rule.key == rule.key]
    on = state_at(mine, second, current, judged_to)
    newest = next((t for t in reversed(mine) if t.second <= second), None)
    alert = newest if on and newest is not None and newest.kind == ALERT else None
    return Standing(
        rule,
        int(totals[-1]),
        int(totals[0]) if len(totals) > 1 else 0,
        above,
        on,
        alert.second if alert is not None else None,
        alert is not None and alert.onset == BEFORE,
    )


def standings(
    rules: tuple[AlertRule, ...],
    window: Window,
    second: int,
    history: list[Transition],
    states: dict[str, bool],
    judged_to: int | None = None,
) -> tuple[Standing, ...]:
    """Every rule at `second`, in the rules' order (the high-traffic rule first); none when the
    high-traffic rule runs alone (its own fields say it all, in words tests pin)."""
    if len(rules) < 2:
        return ()
    return tuple(standing_of(r, window, second, history, states[r.key], judged_to) for r in rules)
