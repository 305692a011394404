"""Standard input as a followed log: `tail -F access.log | python -m analyzer -`.

A pipe has no name, no rotation and no offset to resume from: what arrives is read as it
comes (without blocking the monitor's loop), cut into complete lines and parsed once a
poll. When the writer closes the pipe the monitor stops, after its last report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import BinaryIO

from analyzer.core.engine import FileStatus
from analyzer.follow.fileid import Position
from analyzer.follow.tail import POLL_BYTES
from analyzer.formats.clf import Parsed
from analyzer.lines import LineSplitter
from analyzer.live.files import Lines, too_long
from analyzer.live.settings import Settings

STDIN = "-"
READ_BYTES = 1 << 20


class StdinFeed(Lines):
    """What a pipe brings, a poll at a time; ended once the writer closed it."""

    def __init__(self, settings: Settings, now: Callable[[], float], stream: BinaryIO | None = None) -> None:
        super().__init__(STDIN, settings, now)
        self.stream = stream if stream is not None else sys.stdin.buffer
        self.fd = self.stream.fileno()
        os.set_blocking(self.fd, False)  # a poll takes what has arrived, never waits for more
        self.splitter = LineSplitter(settings.max_line_bytes)
        self.ended = False
        self._behind = False

    def read(self) -> list[Parsed]:
        chunks, size = [], 0
        while size < POLL_BYTES:
            try:
                data = os.read(self.fd, READ_BYTES)
            except BlockingIOError:
                break
            if not data:
                self.ended = True
                chunks.append(self.splitter.feed(b"\n") if self.splitter.partial else b"")
                break
            chunks.append(self.splitter.feed(data))
            size += len(data)
        self._behind = size >= POLL_BYTES
        lines = b"".join(chunks)
        batches = [self.parser_of(lines).parse(lines)] if lines else []
        if self.splitter.dropped:
            batches.append(too_long(self.splitter.dropped, self.settings.max_line_bytes))
            self.splitter.dropped = 0
        return batches

    def take_notices(self) -> list[str]:
        return []

    def status(self) -> FileStatus:
        doing = "standard input closed" if self.ended else "reading standard input"
        return FileStatus(self.path, self.counts.lines, self.counts.rejected, self.counts.last_seen, doing)

    def positions(self) -> list[Position]:
        return []  # nothing to go back to after a restart

    @property
    def behind(self) -> bool:
        return self._behind

    def close(self) -> None:
        return None  # standard input is the caller's
