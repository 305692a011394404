"""A second, filtered window the screen asks for: the drill-down and the `/` filter.

The window counts per key per second, never jointly (the hosts of one section are not
known), so a drill-down or a filter is counted from the moment it is set, in a `Window` of
its own fed the requests it matches (`formats.select`, judged once per distinct value). The
screen says since when. Nothing is kept, and nothing costs, while no focus is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.drivers import window_rises
from analyzer.core.stats import Summary, summarize_counted
from analyzer.core.window import Window, forget_unused
from analyzer.formats.select import Selection, Term


@dataclass(frozen=True)
class Focused:
    """What a focus counted, as of second `last`: the screen's tables, chart and summary."""

    words: str  # the expression, as the screen asked for it
    since: int  # the second counting began
    last: int
    interval: Summary  # the last interval's seconds to `last`
    window: Summary  # the window's seconds to `last` (none before `since`)
    per_second: np.ndarray = field(repr=False)  # the window's seconds, zeros before `since`
    rises: dict[str, pd.Series] = field(default_factory=dict)  # from the window before (as `Report`'s)


class Focus:
    """The requests matching `chosen`, counted per second from second `since` on."""

    def __init__(self, chosen: Selection, words: str, since: int) -> None:
        self.chosen = chosen
        self.words = words
        self.since = since
        self.vocabularies = {name: Vocabulary() for name in TEXT}  # its own: it keeps them itself
        self.window = Window(self.vocabularies)

    def add(self, frame: pd.DataFrame) -> None:
        """Count the requests of a batch it matches."""
        if len(frame) == 0:
            return
        keep = self.chosen.mask(frame)
        if keep.any():
            self.window.add(compact(frame[keep] if not keep.all() else frame, self.vocabularies))

    def summary(self, last: int, window: int, interval: int, top: int, limit: int) -> Focused:
        """The interval and the window to second `last` (the window's seconds since `since`)."""
        self.keep(last - interval, last - 2 * window)
        first = last - window + 1
        seconds = max(1, min(window, last - self.since + 1))
        recent = max(1, min(interval, seconds))
        return Focused(
            words=self.words,
            since=self.since,
            last=last,
            interval=summarize_counted(
                self.window.counted(last - recent + 1, last), recent, self.vocabularies, top, limit
            ),
            window=summarize_counted(
                self.window.counted(first, last), seconds, self.vocabularies, top, limit
            ),
            per_second=self.window.per_second(first, last),
            rises=window_rises(self.window, last, window, top),
        )

    def keep(self, sealed: int, keep_after: int) -> None:
        """As the engine's window: seconds up to `sealed` keep their top keys, old ones go, and
        the values no second counts any more are forgotten."""
        self.window.seal(sealed)
        self.window.trim(keep_after)
        forget_unused(self.vocabularies, [self.window])


def focus_on(terms: tuple[Term, ...], words: str, since: int) -> Focus | None:
    """The focus counting the requests matching every term from `since` (no terms: none)."""
    return Focus(Selection(only=(terms,)), words, since) if terms else None
