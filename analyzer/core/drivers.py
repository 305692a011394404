"""What drove an alert: pure, one computation for the monitor, a replay and a backtest.

When the alert turns on at second t, the window that crossed is (t - W, t] and the one before
it (t - 2W, t - W]. The drivers are the sections, client hosts and user agents whose hits
rose most from the one to the other: per kind, the `PER_KIND` largest rises, each with its
share of the crossing window's hits. They are counted over the requests the rule counts
(`core.rules.population`): every request for high traffic, the errors for an error rate
(whose errors rose), one section's requests for a section's rate (paths, hosts and agents
within it). Counts come from the window's heavy hitters
(`core.heavy`), so a key's count is at most the column's error bound under the true one; a
rise not above the bound of the window before (where the key may have been dropped) is not
named, so every key named really rose; nor is one under a tenth of the whole traffic's rise.
Ties are broken by the key's text, never by a dictionary code, so every run names the same keys.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from analyzer.core.alerts import ALERT, CROSSED, Driver, Transition
from analyzer.core.rules import HITS, driven_by, population
from analyzer.core.stats import PANEL_ROWS, top_of
from analyzer.core.text import escaped
from analyzer.core.window import Window, scoped_name

PER_KIND = 2
# A key is named when its rise is at least this part of the whole traffic's rise: the spike,
# not the noise of ordinary traffic (a page read 7 times more than two minutes before).
LEAST_PART = 0.1
SHOWN_KEY = 60  # characters of a key in the text (the payload has it whole)


def rises(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Hits per code in the crossing window minus those in the window before."""
    size = max(len(now), len(before))
    return np.pad(now, (0, size - len(now))).astype(np.int64) - np.pad(before, (0, size - len(before)))


# The tables a screen sorts by rise: the Report's field, the window's column.
RISING = {
    "sections": "section",
    "hosts": "host",
    "methods": "method",
    "agents": "user_agent",
    "referers": "referer",
}


def window_rises(window: Window, second: int, span: int, top: int) -> dict[str, pd.Series]:
    """Per table, the keys (as many as a panel lists) whose hits rose most from the `span`
    seconds before the window of `span` seconds to `second` to that window, largest rise first
    (ties by name): what the screen's `rise` sort shows first. Drivers' arithmetic, for every
    table; a key that did not rise is not listed."""
    first, rows = second - span + 1, max(top, PANEL_ROWS)
    now, before = window.counted(first, second), window.counted(first - span, first - 1)
    found = {}
    for table, column in RISING.items():
        rise = np.maximum(rises(getattr(now, column), getattr(before, column)), 0)
        found[table] = top_of(rise, window.vocabularies[column].values, rows).iloc[:rows]  # no `(other)`
    return found


def top_rises(rise: np.ndarray, values: pd.Index, least: int, count: int) -> list[tuple[int, str]]:
    """The `count` codes of largest rise over `least`, ties by text: (code, text) pairs."""
    candidates = np.flatnonzero(rise > least)
    if len(candidates) == 0:
        return []
    if len(candidates) > count:  # only the largest and those tied with them need their texts
        kth = np.partition(rise[candidates], len(candidates) - count)[len(candidates) - count]
        candidates = candidates[rise[candidates] >= kth]
    texts = [str(text) for text in values.to_numpy()[candidates]]
    ordered = sorted(zip((-rise[candidates]).tolist(), texts, candidates.tolist(), strict=True))
    return [(code, text) for _, text, code in ordered[:count]]


def find_drivers(
    window: Window, second: int, span: int, per_kind: int = PER_KIND, scope: str = HITS
) -> tuple[Driver, ...]:
    """The drivers of an alert at `second` for a window of `span` seconds among the requests
    of `scope` (a population, `core.rules`), from what the window holds (it must hold the
    2 * span seconds up to `second`, sealed, and count `scope`'s keys apart)."""
    now_first, before_first = second - span + 1, second - 2 * span + 1
    counts = window.series((scope,), before_first, second)[0]
    total = int(counts[span:].sum())
    rise_all = total - int(counts[:span].sum())
    least_part = math.ceil(LEAST_PART * max(rise_all, 0))
    found: list[Driver] = []
    for column, kind in driven_by(scope):
        heavy = window.heavy[column if scope == HITS else scoped_name(scope, column)]
        values = window.vocabularies[column].values
        size = len(values)
        now = heavy.by_key(now_first, second, size)
        rise = rises(now, heavy.by_key(before_first, now_first - 1, size))
        least = max(0, heavy.error(before_first, now_first - 1), least_part - 1)
        for code, text in top_rises(rise, values, least, per_kind):
            found.append(Driver(kind, text, int(rise[code]), float(now[code] / total) if total else 0.0))
    return tuple(found)


def with_drivers(found: list[Transition], window: Window) -> list[Transition]:
    """Each alert that crossed with its drivers; recoveries, alerts found on at start and
    alerts whose drivers are known already (read further back than the window) as they are."""
    return [
        replace(t, drivers=find_drivers(window, t.second, t.rule.window, scope=population(t.rule)))
        if t.kind == ALERT and t.onset == CROSSED and t.drivers is None
        else t
        for t in found
    ]


def driver_text(driver: Driver) -> str:
    """One driver as said on screen and in alerts.csv: escaped, a long key cut."""
    key = escaped(driver.key)
    key = key if len(key) <= SHOWN_KEY else key[: SHOWN_KEY - 1] + "…"
    name = {
        "section": key,
        "path": key,
        "host": f"host {key}",
        "agent": 'agent "{}"'.format(key.replace('"', '\\"')),
    }
    return f"{name.get(driver.kind, f'{driver.kind} {key}')} +{driver.rise:,} ({driver.share:.0%})"


def drivers_text(drivers: tuple[Driver, ...] | None) -> str:
    """`driven by /api +4,120 (62%), host 203.0.113.7 +3,900 (58%), ...`; empty when none
    is known or nothing rose."""
    if not drivers:
        return ""
    return "driven by " + ", ".join(driver_text(driver) for driver in drivers)
