"""Cutting a byte stream into complete lines: pure, no files, one instance per file read.

What reaches the parser is always whole lines ending in `\\n`:

- A line without its terminator is held back (however long it waits), never parsed early.
- `\\r\\n`, `\\r` and `\\n` all end a line; a `\\r\\n` split across two reads is one ending.
- NUL bytes are dropped: a writer that kept its old offset after a copytruncate leaves a
  sparse hole of NULs before its next line, and that line is real traffic worth keeping.
- A line longer than `max_line_bytes` is dropped as its bytes arrive (memory stays bounded)
  and counted once, when its end is seen, so the monitor counts it as rejected.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_LINE_BYTES = 64 << 10


def nul_or_cr(data: bytes) -> bool:
    """Whether `data` holds a NUL or a `\\r`: the bytes that need cleaning before lines are cut."""
    return b"\0" in data or b"\r" in data


class LineSplitter:
    """Turns appended bytes into complete lines, carrying the unfinished one to the next call.

    `dirty` tells whether a read holds a NUL or a `\\r` (nul_or_cr; a reader of large pieces
    injects the parser kernel's one-pass check); a read with neither is passed on as it is.
    """

    def __init__(
        self, max_line_bytes: int = MAX_LINE_BYTES, dirty: Callable[[bytes], bool] = nul_or_cr
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.dirty = dirty
        self.partial = b""
        self.dropping = False  # inside a line already known to be too long
        self.after_cr = False  # the last byte seen ended a line with `\r`: a `\n` next is its pair
        self.dropped = 0  # over-long lines ended so far
        self.nul_bytes = 0  # NUL bytes removed so far

    def reset(self) -> None:
        """Forget the unfinished line: the file it came from was replaced or truncated."""
        self.partial = b""
        self.dropping = False
        self.after_cr = False

    def feed(self, data: bytes) -> bytes:
        """The complete lines that `data` finishes, each ending in `\\n` (maybe b"")."""
        data = self._normalise(data)
        if self.dropping:
            end = data.find(b"\n")
            if end < 0:
                return b""
            data = data[end + 1 :]
            self.dropping = False
            self.dropped += 1
        data = self.partial + data
        end = data.rfind(b"\n") + 1
        self.partial = data[end:]
        if len(self.partial) > self.max_line_bytes:  # too long already: stop holding it
            self.partial = b""
            self.dropping = True
        return self._without_long_lines(data[:end])

    def _normalise(self, data: bytes) -> bytes:
        if data and not self.dirty(data):  # the usual read: nothing to clean
            if self.after_cr and data[:1] == b"\n":
                data = data[1:]  # the second half of a `\r\n` that the last read ended inside
            self.after_cr = False
            return data
        if b"\0" in data:
            before = len(data)
            data = data.replace(b"\0", b"")
            self.nul_bytes += before - len(data)
        if not data:
            return data
        if self.after_cr and data[:1] == b"\n":
            data = data[1:]  # the second half of a `\r\n` that the last read ended inside
        self.after_cr = data[-1:] == b"\r"  # empty now: the pair was completed
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return data

    def _without_long_lines(self, lines: bytes) -> bytes:
        """Drop every complete line longer than the limit (a vectorised length check)."""
        if len(lines) <= self.max_line_bytes:
            return lines
        ends = np.flatnonzero(np.frombuffer(lines, np.uint8) == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        long = np.flatnonzero(ends - starts > self.max_line_bytes)
        if not len(long):
            return lines
        self.dropped += len(long)
        kept, position = [], 0
        for index in long:
            kept.append(lines[position : starts[index]])
            position = int(ends[index]) + 1
        kept.append(lines[position:])
        return b"".join(kept)


def last_line_end(data: bytes) -> int:
    """Index just past the last line terminator (`\\n` or `\\r`) in `data`, 0 if none."""
    return max(data.rfind(b"\n"), data.rfind(b"\r")) + 1


def clean(data: bytes, max_line_bytes: int = MAX_LINE_BYTES) -> bytes:
    """Whole lines as the splitter gives them (no NUL, `\\n` endings, none over-long)."""
    return LineSplitter(max_line_bytes).feed(data)  # an unfinished last line is left out
