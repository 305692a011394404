"""One open file read from an offset, and reading back over the end of a file: raw file I/O.

The follower (tail.py) decides which files to read; this module reads them.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from typing import BinaryIO

from analyzer.follow.fileid import FINGERPRINT_BYTES, Fingerprint, Identity, Position, read_head
from analyzer.lines import LineSplitter, last_line_end

NOT_REGULAR = "not a regular file (a FIFO, a device or a socket): logs are read from files"


def open_binary(path: str) -> BinaryIO:
    """`path` opened for reading if it is a regular file (a link to one included), kept open
    across reads so a rotated file stays readable. Opened without blocking: a FIFO with no
    writer would hang the opener, and `/dev/zero` never ends; both are refused (OSError)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, NOT_REGULAR, path)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class Source:
    """One open file: the live one behind the path, or an old one drained until it is released.

    An old file (rotated away, deleted, or a copytruncate copy) is released once it was read
    to its end and has not grown for `wait` seconds; `retired_at` and `last_data` (times of
    the follower's clock) say when it became old and when a read last found data in it.
    """

    def __init__(self, handle: BinaryIO, name: str, offset: int, max_line_bytes: int) -> None:
        self.handle = handle
        self.name = name
        self.identity = Identity.of(os.fstat(handle.fileno()))
        self.head = read_head(handle.fileno())  # the first bytes, for the fingerprint
        self.offset = offset  # the next byte to read
        self.consumed = offset  # just past the last line terminator read: where a restart resumes
        self.splitter = LineSplitter(max_line_bytes)
        self.retired_at: float | None = None  # None: the live file
        self.last_data = 0.0
        self.wait = 0.0
        self.at_end = False  # the last read reached the end of the file
        self.read_at: float | None = None  # when the follower last read it (its clock)
        self.still_written = False  # grew after its rotation, once the server should have reopened

    def retire(self, now: float, wait: float) -> None:
        """The file is old from `now` on: drained, then released after `wait` idle seconds."""
        self.retired_at = self.last_data = now
        self.wait = wait

    def size(self) -> int:
        return os.fstat(self.handle.fileno()).st_size

    def linked(self) -> bool:
        """Whether the file still has a name (it was not deleted)."""
        return os.fstat(self.handle.fileno()).st_nlink > 0

    def changed(self) -> bool:
        """Truncated below what was read, or rewritten from its start (a refill past the offset)."""
        head = read_head(self.handle.fileno())
        return self.size() < self.offset or not Fingerprint.of(self.head).matches(head)

    def is_file_of(self, position: Position) -> bool:
        """Whether this is the file `position` was taken of: same first bytes, long enough."""
        return position.fingerprint.matches(self.head) and self.size() >= position.offset

    def restart(self) -> None:
        """Read the new content from its start; the old unfinished line is dropped."""
        self.offset = self.consumed = 0
        self.head = b""
        self.splitter = LineSplitter(self.splitter.max_line_bytes)

    def read(self, chunk_bytes: int, budget: int | None = None) -> Iterator[bytes]:
        """Complete lines from `offset` to the end the file has now, in reads of at most chunk_bytes.

        The end is taken once, when the read starts: bytes a writer appends meanwhile wait for
        the next read, so one read is one batch however the writer splits its writes, and a
        writer faster than the reader cannot keep it reading forever. `budget` bounds the
        bytes read (a backlog is caught up over several reads).
        """
        size = self.size()
        target = size if budget is None else min(size, self.offset + budget)
        while self.offset < target:
            data = os.pread(self.handle.fileno(), min(chunk_bytes, target - self.offset), self.offset)
            if not data:
                break
            if self.offset <= len(self.head) < FINGERPRINT_BYTES:  # the fingerprint grows with the file
                self.head = (self.head[: self.offset] + data)[:FINGERPRINT_BYTES]
            end = last_line_end(data)
            if end:
                self.consumed = self.offset + end
            self.offset += len(data)
            lines = self.splitter.feed(data)
            if lines:
                yield lines
        self.at_end = self.offset >= size

    def position(self, live: bool, released: bool = False) -> Position:
        fingerprint = Fingerprint.of(self.head)
        return Position(self.identity, self.consumed, fingerprint, self.splitter.after_cr, live, released)

    def close(self) -> None:
        self.handle.close()


def read_back(
    source: str | BinaryIO,
    covers: Callable[[bytes], bool],
    first_block: int = 1 << 16,
    end: int | None = None,
) -> tuple[bytes, int]:
    """The complete lines before `end` (default: the file's end) that `covers` accepts, and
    the offset after them.

    Reads backwards in growing blocks until `covers(lines)` says the lines reach far enough
    back in time (or the file's start is reached). The unfinished last line is left out: the
    follower starts at the returned offset and reads it once it is complete. A restart from
    a checkpoint passes `end`, the checkpoint's offset, so lines read before are not read again.
    """
    if isinstance(source, str):
        with open(source, "rb") as handle:
            return read_back(handle, covers, first_block, end)
    fd = source.fileno()
    size = os.fstat(fd).st_size if end is None else end
    block = first_block
    while True:
        start = max(0, size - block)
        data = os.pread(fd, size - start, start)
        stop = last_line_end(data)
        lines = data[:stop]
        if start > 0:
            lines = _after_first_line(lines)
        if start == 0 or covers(lines):
            return lines, start + stop
        block *= 4


def _after_first_line(data: bytes) -> bytes:
    """`data` without its first line, which a block starting mid-file may have cut."""
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    if not ends:
        return b""
    first = min(ends) + 1
    return data[first + 1 :] if data[first - 1 : first + 1] == b"\r\n" else data[first:]
