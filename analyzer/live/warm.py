"""The warm start: read back over the end of each file so the window is right at once.

Without a checkpoint the read-back covers 2 windows + lateness and the follower starts
where it ends. With one, each file goes on where the last report left it (even if it was
rotated or truncated since): the read-back ends there, as those lines were counted before,
and the lines after it are read and counted as new.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

from analyzer.core.engine import Engine
from analyzer.follow.checkpoint import Checkpoint, file_key
from analyzer.follow.fileid import Identity, Position
from analyzer.follow.rotation import rotated_siblings
from analyzer.follow.source import open_binary
from analyzer.follow.tail import read_back
from analyzer.formats.clf import Parsed
from analyzer.formats.columns import seconds_of
from analyzer.formats.w3c import prime_layout
from analyzer.lines import clean
from analyzer.live.files import LogFile, parser_for
from analyzer.live.settings import Settings


def read_back_file(
    file: LogFile, positions: list[Position] | None, since: int, reach: int
) -> tuple[list[Parsed], bool] | None:
    """The lines of the last `reach` seconds before where `file` is followed from, parsed, and
    whether that is only the end of what the files hold there.

    `positions` are the checkpoint's for this path (None: no checkpoint): the follower
    resumes from them, else it starts at the end of the read-back. A file rotated less than
    `reach` seconds ago holds only part of the window: the generations before it are read
    back too, each up to where it was counted (an old file still drained goes on from there).
    """
    follower = file.follower
    source = follower.resume(positions, since) if positions is not None else follower.open()
    if source is None:  # missing, unreadable or gone: nothing to read back
        return None
    end = source.offset if positions is not None else source.size()
    lines, offset = _read_back(source.handle, source.name, end, reach, None, file.settings)
    parser = file.parser_of(lines)
    prime_layout(parser, source.name, offset - len(lines))
    batches = [parser.parse(clean(lines, file.settings.max_line_bytes))]
    if positions is None:
        follower.start_at(offset)
    whole = len(lines) == offset
    drained = {old.identity: old.offset for old in follower.draining}
    newest = _newest(batches)
    for name in older_generations(file.path, source.identity) if whole else []:
        if newest is not None and _oldest(batches) <= newest - reach:
            break
        try:
            with open_binary(name) as handle:
                identity = Identity.of(os.fstat(handle.fileno()))
                stop = drained.get(identity, os.fstat(handle.fileno()).st_size)
                lines, offset = _read_back(handle, name, stop, reach, newest, file.settings)
        except OSError:
            break  # rotated away or deleted meanwhile: the window starts here
        older = parser_for(name, file.settings)
        prime_layout(older, name, offset - len(lines))
        batches.append(older.parse(clean(lines, file.settings.max_line_bytes)))
        newest = newest if newest is not None else _newest(batches)
        whole = len(lines) == offset
    return batches, not whole


def _read_back(
    handle: BinaryIO, name: str, end: int, reach: int, newest: int | None, settings: Settings
) -> tuple[bytes, int]:
    """read_back of one file, far enough to hold `reach` seconds before `newest` (default: its own)."""

    def covers(lines: bytes) -> bool:
        probe = parser_for(name, settings)  # a probe must not move a W3C layout
        prime_layout(probe, name, end - len(lines))
        seconds = seconds_of(probe.parse(lines).frame)
        last = newest if newest is not None else (int(seconds.max()) if len(seconds) else None)
        return len(seconds) > 0 and last is not None and seconds.min() <= last - reach

    return read_back(handle, covers, end=end)


def older_generations(path: str, than: Identity) -> list[str]:
    """Rotated generations of `path` older than the file `than`, newest first."""
    names = rotated_siblings(path)
    for position, name in enumerate(names):
        try:
            if Identity.of(os.stat(name)) == than:
                return names[:position][::-1]
        except OSError:
            continue
    return names[::-1]  # `than` is the file at the path: every rotated one is older


def _newest(batches: list[Parsed]) -> int | None:
    seconds = [seconds_of(parsed.frame) for parsed in batches]
    found = [int(s.max()) for s in seconds if len(s)]
    return max(found) if found else None


def _oldest(batches: list[Parsed]) -> int:
    found = [int(s.min()) for s in (seconds_of(parsed.frame) for parsed in batches) if len(s)]
    return min(found) if found else 2**62


def warm_start(
    files: list[LogFile], engine: Engine, saved: Checkpoint | None, stats_size: int, rule: str
) -> None:
    """Fill the engine's window from the end of every file and restore the checkpoint's state."""
    resumed, since = saved.positions(stats_size) if saved else ({}, 0)
    # Lines read back and stamped after the last report written are filed for the next ones.
    engine.ledger.reported_to = saved.reported(stats_size) if saved else None
    reach = 2 * engine.rule.window + engine.lateness
    for file in files:
        found = read_back_file(file, resumed.get(file_key(file.path)), since, reach)
        if found is None:
            continue
        batches, only_the_end = found
        for parsed in batches:
            engine.ingest(parsed, warm=True)
            file.counts.warm += parsed.lines
        seconds = np.concatenate([seconds_of(parsed.frame) for parsed in batches])
        if only_the_end and len(seconds):
            # Only the end of the file was read: seconds before its oldest line may miss lines.
            oldest = int(seconds.min())
            known = engine.known_from
            engine.known_from = oldest if known is None else max(known, oldest)
    if saved is not None and saved.rule == rule:
        engine.resume(saved.evaluated_to, saved.alert_on, saved.others)
