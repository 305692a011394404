"""Following a log file: complete lines only, the unfinished last line kept for later.

The follower knows the file by identity (device, inode) and by its offset. Rotation (a new
inode behind the name) and truncation (the size falls below the offset) restart reading at
the new content's start; the rotation issue extends exactly these two hooks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

CHUNK_BYTES = 8 << 20  # bounded reads: a burst of a million lines is handled in pieces


@dataclass(frozen=True)
class Identity:
    device: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> Identity:
        return cls(stat.st_dev, stat.st_ino)


class Follower:
    """Reads what is appended to one file, one complete line at a time (in bulk)."""

    def __init__(self, path: str, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.offset = 0
        self.identity: Identity | None = None
        self.partial = b""
        self.lines_read = 0
        self.restarts = 0  # rotations and truncations seen

    def start_at(self, offset: int) -> None:
        """Begin following from byte `offset` (after a warm start, the end of the file)."""
        stat = os.stat(self.path)
        self.identity = Identity.of(stat)
        self.offset = offset
        self.partial = b""

    def read(self) -> Iterator[bytes]:
        """Complete lines appended since the last call, in chunks of at most chunk_bytes."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return
        if self.identity != Identity.of(stat) or stat.st_size < self.offset:
            self._restart(stat)
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            while True:
                data = handle.read(self.chunk_bytes)
                if not data:
                    return
                self.offset += len(data)
                lines = self._complete_lines(data)
                if lines:
                    self.lines_read += lines.count(b"\n")
                    yield lines

    def _complete_lines(self, data: bytes) -> bytes:
        """Join with the kept fragment; keep the new unfinished tail for next time."""
        data = self.partial + data
        end = data.rfind(b"\n") + 1
        self.partial = data[end:]
        return data[:end]

    def _restart(self, stat: os.stat_result) -> None:
        """The file was replaced or truncated: read its new content from the start."""
        if self.identity is not None:  # the first sight of a file is no restart
            self.restarts += 1
        self.identity = Identity.of(stat)
        self.offset = 0
        self.partial = b""


def read_back(path: str, covers: Callable[[bytes], bool], first_block: int = 1 << 16) -> tuple[bytes, int]:
    """The complete lines at the end of `path` that `covers` accepts, and the offset after them.

    Reads backwards in growing blocks until `covers(lines)` says the lines reach far enough
    back in time (or the file's start is reached). The unfinished last line is left out: the
    follower starts at the returned offset and reads it once it is complete.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        block = first_block
        while True:
            start = max(0, size - block)
            handle.seek(start)
            data = handle.read(size - start)
            end = data.rfind(b"\n") + 1
            lines = data[:end]
            if start > 0:
                lines = lines[lines.find(b"\n") + 1 :]  # the first line may be cut
            if start == 0 or covers(lines):
                return lines, start + end
            block *= 4
