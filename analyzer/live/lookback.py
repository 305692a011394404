"""The look-back at start: read further into the past to find when the state found began.

A start without a record of the alert state reads back only 2 windows (`warm`). When the
state it finds there differs from the record (an alert on, and none on record; an alert on
record, over), the real transition lies earlier. This reads each followed file backwards
from its end, then its rotated generations, in pieces, keeping only the hits of each second
(no frame is kept: a day of a busy log is gigabytes), first 16 windows back, then four times
as far each time, up to `--look-back` seconds of the log's time (default a day). The core
(`core.onset`) says when the counts place the transition, or that it began before them.

Every rule is opened so, each from its own record: with an error rate or a section's rate
the pieces also count, per second, the errors or the section's requests (`core.rules`
series), so an error-rate episode a start finds on is written at the second it crossed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

import numpy as np
import pandas as pd

from analyzer.core.alerts import ALERT, CROSSED, AlertRule, Transition
from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.drivers import find_drivers
from analyzer.core.engine import Engine
from analyzer.core.onset import Opening, open_at, quiet_end
from analyzer.core.rules import HITS, SECTION, in_population, population, scoped, tracked_sections
from analyzer.core.window import Window
from analyzer.follow.fileid import Identity
from analyzer.follow.source import open_binary
from analyzer.formats.columns import seconds_of
from analyzer.formats.w3c import prime_layout
from analyzer.lines import clean
from analyzer.live.files import LogFile, parser_for
from analyzer.live.settings import Settings
from analyzer.live.warm import older_generations

PIECE_BYTES = 8 << 20  # read backwards this much at a time
FIRST_REACH = 16  # windows read back at first; then four times as far each time


def backward_frames(
    handle: BinaryIO, name: str, settings: Settings, core: bool = True
) -> Iterator[pd.DataFrame]:
    """The requests of a file's complete lines (times, statuses, sections: the core columns;
    every column the monitor counts with `core=False`), piece by piece from its end to its start."""
    end = os.fstat(handle.fileno()).st_size
    parser = parser_for(name, settings)  # one for the file; a W3C one anew per piece (its layout)
    carry = b""  # the start of a line that began in the piece before (earlier in the file)
    newest_piece = True
    while end > 0:
        start = max(0, end - PIECE_BYTES)
        handle.seek(start)
        block = handle.read(end - start) + carry
        end = start
        if newest_piece:  # a line still being written is not read
            block = block[: block.rfind(b"\n") + 1]
            newest_piece = False
        cut = block.find(b"\n") + 1 if start > 0 else 0
        if start > 0:
            carry, block = block[:cut] if cut else block, block[cut:] if cut else b""
            if len(carry) > settings.max_line_bytes:
                carry = b""  # an over-long line is dropped, as everywhere
        else:
            carry = b""
        if not block:
            continue
        if parser.stateful:
            parser = parser_for(name, settings)
            prime_layout(parser, name, start + cut)
        yield parser.parse(clean(block, settings.max_line_bytes), core=core).frame


def series_counts(
    frame: pd.DataFrame, seconds: np.ndarray, names: tuple[str, ...], since: int, until: int
) -> np.ndarray:
    """Per second since..until, one row per series (`core.rules`: hits, errors, a section's)."""
    inside = (seconds >= since) & (seconds <= until)
    found = np.zeros((len(names), until - since + 1), np.int64)
    for row, name in enumerate(names):
        mine = inside
        if name != HITS:
            sections = frame["section"].astype("category").cat
            code = int(sections.categories.get_indexer(pd.Index([name.removeprefix(SECTION)]))[0])
            status, codes = frame["status"].to_numpy(), sections.codes.to_numpy()
            mine = inside & in_population(name, status, codes, code)
        found[row] = np.bincount(seconds[mine] - since, minlength=until - since + 1)
    return found


def file_counts(
    path: str, settings: Settings, since: int, until: int, series: tuple[str, ...] = (HITS,)
) -> tuple[int, np.ndarray]:
    """Each series' requests per second of since..until (a row each) in `path` and then its
    older generations, read backwards, and the second they are complete from: `since`, or the
    oldest line if the files end first."""
    counts = np.zeros((len(series), until - since + 1), np.int64)
    oldest: int | None = None
    for frame, seconds in frames_back(path, settings):
        counts += series_counts(frame, seconds, series, since, until)
        low = int(seconds.min())
        oldest = low if oldest is None else min(oldest, low)
        if oldest < since:
            return since, counts
    return (oldest if oldest is not None else until + 1), counts


def frames_back(
    path: str, settings: Settings, core: bool = True
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The requests of `path` and then its older generations, read backwards piece by piece,
    with their event seconds (pieces without requests left out); the caller stops when far enough."""
    try:
        current = Identity.of(os.stat(path))
        names = [path, *older_generations(path, current)]
    except OSError:
        names = []
    for name in names:
        try:
            with open_binary(name) as handle:
                for frame in backward_frames(handle, name, settings, core):
                    seconds = seconds_of(frame)
                    if len(seconds):
                        yield frame, seconds
        except OSError:
            return  # rotated away or deleted meanwhile: what was read is all there is


def past_counts(
    files: list[LogFile], since: int, until: int, names: tuple[str, ...]
) -> tuple[int, np.ndarray]:
    """Every file's series per second of since..until, and the second all are complete from."""
    total = np.zeros((len(names), until - since + 1), np.int64)
    complete = since
    for file in files:
        first, counts = file_counts(file.path, file.settings, since, until, names)
        total += counts
        complete = max(complete, first)
    return complete, total[:, complete - since :]


def settle(engine: Engine, files: list[LogFile], horizon: int, look_back: int) -> list[Transition]:
    """The first check of a start with no record of the state (of every rule, or after a
    checkpoint of the rules added since): each one's state at the first second it can judge,
    and where it began (engine.open). Returns the transitions to write."""
    span = engine.opening_span(horizon)
    if span is None:
        return []
    first, judged = span
    held_from = first  # the engine's window holds the hits from here

    def opened(rule: AlertRule, counts: np.ndarray, since: int) -> Opening:
        """From the rule's own record: its state, true from its last transition's second."""
        floor = next((t.second for t in reversed(engine.history) if t.rule.key == rule.key), None)
        return open_at(counts, since, judged, rule, engine.states[rule.key], floor)

    rules = [rule for rule in engine.rules if engine.resume_after is None or rule.key in engine.unopened]
    longest = max((rule.window for rule in rules), default=engine.rule.window)
    counted_to = quiet_end(first, judged, engine.newest, longest)
    openings = {
        rule.key: opened(rule, engine.window.series(rule.series, first, counted_to), first) for rule in rules
    }
    names = tuple(dict.fromkeys(name for rule in rules for name in rule.series))
    reach = FIRST_REACH * engine.rule.window
    bound = judged - look_back
    while files and first > bound and not all(opening.settled for opening in openings.values()):
        since = max(bound, judged - reach)
        earlier, counts = past_counts(files, since, judged, names)
        if earlier < first:  # more of the past than the read-back held
            first = earlier
            for rule in rules:
                if not openings[rule.key].settled:
                    rows = counts[[names.index(name) for name in rule.series]]
                    openings[rule.key] = opened(rule, rows, earlier)
        if earlier > since or since == bound:  # the files hold nothing older, or the bound is reached
            break
        reach *= 4
    return engine.open(with_past_drivers(openings, files, held_from))


def with_past_drivers(
    openings: dict[str, Opening], files: list[LogFile], held_from: int
) -> dict[str, Opening]:
    """The openings, each alert that crossed before the window's two windows of it are held
    (found by reading further back) with its drivers, from the files read back once more with
    every column over those seconds only; the others are left to the engine's window."""
    far = {
        key: o.transition
        for key, o in openings.items()
        if o.transition and o.transition.kind == ALERT and o.transition.onset == CROSSED
        and o.transition.second - 2 * o.transition.rule.window + 1 < held_from
    }  # fmt: skip
    if not far or not files:
        return openings
    low = min(t.second - 2 * t.rule.window + 1 for t in far.values())
    high = max(t.second for t in far.values())
    rules = [t.rule for t in far.values()]
    window = Window({name: Vocabulary() for name in TEXT}, tracked_sections(rules), scoped(rules))
    for file in files:
        for frame, seconds in frames_back(file.path, file.settings, core=False):
            # Only pieces holding those seconds are looked up: the hours of hosts and paths
            # after the crossing (a scan's, a flood's) never reach the vocabularies.
            if int(seconds.max()) >= low and int(seconds.min()) <= high:
                inside = (seconds >= low) & (seconds <= high)
                window.add(compact(frame, window.vocabularies).take(inside))
            if int(seconds.min()) < low:
                break
    window.seal(high)
    found = {
        key: replace(t, drivers=find_drivers(window, t.second, t.rule.window, scope=population(t.rule)))
        for key, t in far.items()
    }
    return {key: replace(o, transition=found.get(key, o.transition)) for key, o in openings.items()}
