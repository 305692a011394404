"""The drivers of a backtest's alerts: a second pass over the seconds around each crossing.

The first pass keeps no per-key counts (its sums are per second and per 10 s report); it
notes the first and last event second of each piece it sums (`Coverage`). Once the alerts
are known, this pass reads again only the pieces that can hold a second of some alert's two
windows (t - 2W, t], keeps only the requests of those seconds, and counts them in a
`core.window.Window` as the monitor does: exact until every piece that holds the second was
read, then cut to its top keys (`Window.seal`), each rule's population (its errors, its
section's requests) counted apart as the monitor's window does; the drivers are
`core.drivers.find_drivers`, the monitor's own. Memory: the exact counts of the needed
seconds not yet complete (for a log in time order, a few pieces' worth) and the top keys of
the sealed ones, whatever the log's size.

Standard input cannot be read twice: its alerts keep no drivers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from analyzer.core.alerts import ALERT, Driver, Transition
from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.drivers import find_drivers
from analyzer.core.rules import population, scoped, tracked_sections
from analyzer.core.window import Window
from analyzer.formats.parsers import ClfParser, LineParser, make_parser
from analyzer.formats.select import Selection
from analyzer.offline.reader import STDIN, Piece, check_log

# The text columns the drivers count (a path is needed for its section, and is a section
# rule's driver); the status, which an error rate's population needs, is always read.
WANTED = frozenset(("section", "host", "user_agent", "path"))


@dataclass
class Coverage:
    """The first and last event second of each piece of the first pass, in input order
    (the second pass cuts the same pieces: `reader.pieces`, on a cluster too)."""

    count: int = 0
    pieces: list[int] = field(default_factory=list)  # the ordinals of pieces with requests
    firsts: list[int] = field(default_factory=list)
    lasts: list[int] = field(default_factory=list)

    def add(self, seconds: np.ndarray) -> None:
        if len(seconds):
            self.pieces.append(self.count)
            self.firsts.append(int(seconds.min()))
            self.lasts.append(int(seconds.max()))
        self.count += 1

    def needs(self, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the sorted `needed` seconds: the ordinals of the pieces that may hold any of
        them, in input order, and for each needed second, in order, the last piece that may
        hold it or any needed second before it (-1: none)."""
        pieces, firsts, lasts = (np.array(v, np.int64) for v in (self.pieces, self.firsts, self.lasts))
        low, high = np.searchsorted(needed, firsts), np.searchsorted(needed, lasts, side="right")
        holding = high > low
        last = np.full(len(needed), -1, np.int64)
        for piece, first, stop in zip(
            pieces[holding].tolist(), low[holding].tolist(), high[holding].tolist(), strict=True
        ):
            last[first:stop] = piece  # pieces in input order: the last one that covers wins
        return pieces[holding], np.maximum.accumulate(last) if len(needed) else last


def needed_seconds(alerts: Iterable[Transition]) -> np.ndarray:
    """Every second of the two windows up to each alert, sorted, once each."""
    spans = [np.arange(t.second - 2 * t.rule.window + 1, t.second + 1) for t in alerts]
    return np.unique(np.concatenate(spans)) if spans else np.zeros(0, np.int64)


def with_drivers(
    found: list[Transition],
    work: Iterator[tuple[Piece, int]],
    names: list[str],
    fmt: str,
    log_format: str | None,
    coverage: Coverage,
    chosen: Selection | None = None,
) -> list[Transition]:
    """`found` with the drivers of each alert that crossed, from the pieces of `work` (the
    first pass's pieces again, each with the input's bytes consumed at its end)."""
    # One computation per second and population (several thresholds of one rule share it).
    alerts = sorted({key(t): t for t in found if t.kind == ALERT}.values(), key=lambda t: t.second)
    if not alerts or STDIN in names:
        return found
    formats = {name: check_log(name, "custom" if log_format else fmt, log_format) for name in names}
    needed = needed_seconds(alerts)
    holding, complete_after = coverage.needs(needed)
    wanted_pieces = set(holding.tolist())
    vocabularies = {name: Vocabulary() for name in TEXT}
    rules = [alert.rule for alert in alerts]
    window = Window(vocabularies, tracked_sections(rules), scoped(rules))
    parsers: dict[str, LineParser] = {}
    drivers: dict[tuple[int, int, str], tuple[Driver, ...]] = {}
    pending = list(alerts)
    for ordinal, (piece, _) in enumerate(work):
        if not pending:
            break
        parser = parsers.setdefault(piece.path, _parser(formats[piece.path], log_format, chosen))
        wanted = ordinal in wanted_pieces
        if wanted or parser.stateful:  # a W3C layout is read from every piece, in order
            rows = compact(parser.parse(piece.read_lines()[0]).frame, vocabularies)
            if wanted:
                window.add(rows.take(np.isin(rows.seconds, needed)))
        done = int(np.searchsorted(complete_after, ordinal, side="right"))  # needed seconds all read
        if done == 0:
            continue
        sealed = int(needed[done - 1])
        window.seal(sealed)
        while pending and pending[0].second <= sealed:
            alert = pending.pop(0)
            drivers[key(alert)] = find_drivers(
                window, alert.second, alert.rule.window, scope=population(alert.rule)
            )
        if pending:
            window.trim(keep_after=pending[0].second - 2 * pending[0].rule.window)
    return [
        replace(t, drivers=drivers[key(t)]) if t.kind == ALERT and key(t) in drivers else t for t in found
    ]


def key(alert: Transition) -> tuple[int, int, str]:
    """What an alert's drivers depend on: its second, window and population."""
    return alert.second, alert.rule.window, population(alert.rule)


def _parser(fmt: str, log_format: str | None, chosen: Selection | None) -> LineParser:
    parser = make_parser(fmt, log_format, chosen)
    if isinstance(parser, ClfParser):
        parser.only = WANTED
    return parser
