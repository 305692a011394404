"""The warm start: read back over the end of each file so the window is right at once.

Without a checkpoint the read-back covers 2 windows + lateness and the follower starts
where it ends. With one, each file goes on where the last report left it (even if it was
rotated or truncated since): the read-back ends there, as those lines were counted before,
and the lines after it are read and counted as new.
"""

from __future__ import annotations

from analyzer.core.engine import Engine
from analyzer.follow.checkpoint import Checkpoint, file_key
from analyzer.follow.fileid import Position
from analyzer.follow.tail import read_back
from analyzer.formats.clf import Parsed
from analyzer.formats.columns import seconds_of
from analyzer.formats.w3c import prime_layout
from analyzer.lines import clean
from analyzer.live.files import LogFile, parser_for


def read_back_file(
    file: LogFile, positions: list[Position] | None, since: int, reach: int
) -> tuple[Parsed, bool] | None:
    """The lines of the last `reach` seconds before where `file` is followed from, parsed, and
    whether that is only the end of what the file holds there.

    `positions` are the checkpoint's for this path (None: no checkpoint): the follower
    resumes from them, else it starts at the end of the read-back.
    """
    follower = file.follower
    source = follower.resume(positions, since) if positions is not None else follower.open()
    if source is None:  # missing, unreadable or gone: nothing to read back
        return None
    end = source.offset if positions is not None else source.size()
    settings = file.settings

    def covers(lines: bytes) -> bool:
        probe = parser_for(source.name, settings)  # a probe must not move a W3C layout
        prime_layout(probe, source.name, end - len(lines))
        seconds = seconds_of(probe.parse(lines).frame)
        return len(seconds) > 0 and seconds.min() <= seconds.max() - reach

    lines, offset = read_back(source.handle, covers, end=end)
    parser = file.parser_of(lines)
    prime_layout(parser, source.name, offset - len(lines))
    parsed = parser.parse(clean(lines, settings.max_line_bytes))
    if positions is None:
        follower.start_at(offset)
    return parsed, len(lines) < offset


def warm_start(
    files: list[LogFile], engine: Engine, saved: Checkpoint | None, stats_size: int, rule: str
) -> None:
    """Fill the engine's window from the end of every file and restore the checkpoint's state."""
    resumed, since = saved.positions(stats_size) if saved else ({}, 0)
    reach = 2 * engine.rule.window + engine.lateness
    for file in files:
        found = read_back_file(file, resumed.get(file_key(file.path)), since, reach)
        if found is None:
            continue
        parsed, only_the_end = found
        engine.ingest(parsed, warm=True)
        seconds = seconds_of(parsed.frame)
        if only_the_end and len(seconds):
            # Only the end of the file was read: seconds before its oldest line may miss lines.
            oldest = int(seconds.min())
            known = engine.known_from
            engine.known_from = oldest if known is None else max(known, oldest)
    if saved is not None and saved.rule == rule:
        engine.resume(saved.evaluated_to, saved.alert_on)
