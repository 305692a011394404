"""One followed path as the monitor sees it: its follower, its parser and what it gave so far."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from analyzer.core.compact import TEXT
from analyzer.core.engine import FileStatus
from analyzer.follow import tail
from analyzer.follow.fileid import Position
from analyzer.follow.source import open_binary
from analyzer.follow.tail import Follower
from analyzer.formats.clf import Parsed, empty_frame
from analyzer.formats.errorlog import error_log_of
from analyzer.formats.parsers import ClfParser, LineParser, describe, detect, make_parser
from analyzer.formats.rejects import TOO_LONG
from analyzer.formats.w3c import is_w3c
from analyzer.lines import clean
from analyzer.live.settings import Settings


def choose_format(path: str, fmt: str) -> str:
    """The format to parse `path` with: given, or detected from its first lines."""
    if fmt != "auto":
        return fmt
    with open_binary(path) as handle:
        head = handle.read(64 << 10)
    return detect(head) or "combined"


def parser_for(path: str, settings: Settings) -> LineParser:
    """A parser of its own for each followed file (a W3C layout is per file).

    Common and Combined lines give only the text columns the window counts: the referer,
    agent, user, path and protocol of every small batch were built and thrown away.
    """
    parser = make_parser(choose_format(path, settings.fmt), settings.log_format, settings.chosen)
    if isinstance(parser, ClfParser):
        parser.only = frozenset(TEXT)
    return parser


COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
PROBE_BYTES = 64 << 10


def refusal(path: str, settings: Settings) -> str | None:
    """Why the monitor cannot follow `path` as a log (None: it can, or cannot tell yet).

    A compressed file is not written line by line; a file more than half of whose last lines
    are rejected is another format or not a log at all (a binary, an error log). A missing or
    empty file can only be judged once it has lines.
    """
    try:
        with open_binary(path) as handle:
            head = handle.read(8)
            size = os.fstat(handle.fileno()).st_size
            start = max(0, size - PROBE_BYTES)
            handle.seek(start)
            tail = handle.read(PROBE_BYTES)
    except OSError:
        return None  # the follower says what is wrong, and retries
    kind = next((name for magic, name in COMPRESSED.items() if head.startswith(magic)), None)
    if kind is not None:
        return (
            f"{path}: a {kind}-compressed file, not a log being written: replay or backtest it "
            f"(python -m analyzer replay {path})"
        )
    lines = tail.split(b"\n", 1)[1] if start > 0 and b"\n" in tail else tail
    parsed = parser_for(path, settings).parse(clean(lines, settings.max_line_bytes))
    read = parsed.lines - parsed.directives
    if read < 2 or parsed.rejected * 2 <= read:
        return None
    server = error_log_of([line.encode() for _, line in parsed.rejects[:200]])
    if server is not None:
        return f"{path}: an {server} error log, not an access log: follow the access log (e.g. access.log)"
    reason = max(parsed.reasons.items(), key=lambda item: item[1])[0]
    return (
        f"{path}: not an access log the monitor can read: {parsed.rejected:,} of its last {read:,} lines "
        f"rejected (mostly {reason}); `python -m analyzer check {path}` says why, "
        "--format or --log-format read another format"
    )


def has_format(path: str, fmt: str) -> bool:
    """Whether the format of `path` can be told now: given, or the file has lines to detect it from."""
    try:
        return fmt != "auto" or os.path.getsize(path) > 0
    except OSError:
        return False


def too_long(count: int, limit: int) -> Parsed:
    """Lines the follower dropped for being over --max-line-bytes, as rejected lines."""
    text = f"(a line over {limit:,} bytes, dropped)"
    at = np.arange(count, dtype=np.int64)
    return Parsed(empty_frame(), count, count, [text], rejected_at=at, rejects=[(TOO_LONG, text)] * count)


class Feed(Protocol):
    """Where the monitor's lines come from: a followed file, or a replay of a historical one."""

    path: str
    ended: bool  # nothing more can come (a pipe closed): a monitor of such feeds only stops

    def read(self) -> list[Parsed]:
        """What arrived since the last call, parsed (one batch per file read, or per replayed step)."""

    def count(self, parsed: Parsed) -> None: ...

    def take_notices(self) -> list[str]: ...

    def status(self) -> FileStatus: ...

    def format_name(self) -> str: ...

    def positions(self) -> list[Position]:
        """What a checkpoint records of it (nothing for a replay)."""

    @property
    def behind(self) -> bool:
        """Whether there is more to read at once, without waiting for the next poll."""

    def close(self) -> None: ...


@dataclass
class FileCounts:
    """What one followed path gave since start, for its line in the report."""

    lines: int = 0
    rejected: int = 0
    last_seen: int | None = None
    warm: int = 0  # lines read back at start: in the window, not in `lines`


class Lines:
    """Lines of one source parsed with its format's parser, and what they gave, counted."""

    ended = False  # nothing more can come: only a closed pipe ends

    def __init__(self, path: str, settings: Settings, now: Callable[[], float]) -> None:
        self.path = path
        self.settings = settings
        self.now = now
        self.parser: LineParser | None = None  # told from the first lines
        self.counts = FileCounts()

    def parser_of(self, sample: bytes) -> LineParser:
        """The source's parser; one with no lines at start gets it from its first lines.

        With `--format auto`, a W3C header appearing in a file read as another format (an
        IIS log that replaced it) makes the format be detected again.
        """
        settings = self.settings
        auto = settings.fmt == "auto" and not settings.log_format
        if self.parser is not None and auto and self.parser.name != "w3c" and is_w3c(sample[:4096]):
            self.parser = None
        if self.parser is None:
            fmt = settings.fmt if settings.fmt != "auto" else detect(sample) or "combined"
            self.parser = make_parser(fmt, settings.log_format, settings.chosen)
        return self.parser

    def count(self, parsed: Parsed) -> None:
        self.counts.lines += len(parsed.frame) + parsed.rejected
        self.counts.rejected += parsed.rejected
        self.counts.last_seen = math.floor(self.now())

    def format_name(self) -> str:
        return describe(self.parser) if self.parser is not None else "format not known yet"


class LogFile(Lines):
    """A followed path: reads its complete lines and parses them with the parser of its format."""

    def __init__(self, path: str, settings: Settings, now: Callable[[], float]) -> None:
        super().__init__(path, settings, now)
        self.follower = Follower(
            path,
            tail.CHUNK_BYTES,
            settings.max_line_bytes,
            settings.rotate_wait,
            now,
            rotate_max=settings.rotate_max,
        )
        # A file that is missing or empty at start gets its parser from its first lines.
        self.parser = parser_for(path, settings) if has_format(path, settings.fmt) else None

    def read(self) -> list[Parsed]:
        """Parse what was appended since the last read; over-long lines come as rejected."""
        batches = [self.parser_of(chunk).parse(chunk) for chunk in self.follower.read()]
        dropped = self.follower.take_dropped()
        if dropped:
            batches.append(too_long(dropped, self.settings.max_line_bytes))
        return batches

    def take_notices(self) -> list[str]:
        """What happened to the file since the last call: rotated, truncated, missing, unreadable."""
        notices = list(self.follower.notices)
        self.follower.notices.clear()
        return notices

    def status(self) -> FileStatus:
        counts = self.counts
        return FileStatus(
            self.path, counts.lines, counts.rejected, counts.last_seen, self.follower.describe(), counts.warm
        )

    def positions(self) -> list[Position]:
        return self.follower.positions()

    @property
    def behind(self) -> bool:
        return self.follower.behind

    def close(self) -> None:
        self.follower.close()
