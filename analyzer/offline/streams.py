"""A log read from a stream (standard input) that can be read only once, in order.

`zcat a.gz | python -m analyzer backtest -`: the head is read ahead to tell the format and
then given back in front of the rest, so no byte is read twice or lost.
"""

from __future__ import annotations

import functools
import gzip
import io
import select
import sys
from typing import BinaryIO

from analyzer.offline.locations import InputError

GZIP_MAGIC = b"\x1f\x8b"
STDIN = "-"  # the path that means standard input: read once, in order, never split
HEAD_BYTES = 64 << 10


class StreamLog:
    """A log arriving on a stream (`zcat a.gz | backtest -`): its head is read ahead to tell
    the format, then given back in front of the rest, so no byte is read twice or lost."""

    def __init__(self, stream: BinaryIO) -> None:
        parts, size = [], 0
        while size < HEAD_BYTES:  # a pipe hands over what the writer wrote so far: read to 64 KiB
            part = _read(stream, HEAD_BYTES - size)
            if not part:
                break
            parts.append(part)
            size += len(part)
        self.head = b"".join(parts)
        self.stream = stream
        self.taken = False  # the whole stream handed out once: a second reading would be its head alone

    def open(self, head_only: bool = False) -> BinaryIO:
        """The whole stream, its head included (or the head alone: to look, taking nothing from
        the rest); gzip-decompressed when it starts like gzip."""
        if not head_only:
            if self.taken:
                raise InputError("-: standard input was read already: it can be read only once")
            self.taken = True
        whole: BinaryIO = (
            io.BytesIO(self.head) if head_only else io.BufferedReader(_Chained(self.head, self.stream))  # type: ignore[type-var]
        )
        if self.head[:2] == GZIP_MAGIC:
            return gzip.GzipFile(fileobj=whole)  # type: ignore[return-value]
        return whole


class _Chained(io.RawIOBase):
    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest, self.position = head, rest, 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:  # bytes handed out so far: the progress of a stream that cannot seek
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.head[: len(buffer)] if self.head else _read(self.rest, len(buffer))
        self.head = self.head[len(data) :] if self.head else b""
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _read(stream: BinaryIO, size: int) -> bytes:
    """stream.read(size), waiting where the descriptor is non-blocking (so set by whoever shares
    it: a parent, a monitor that read it before) and nothing came yet: read() gives None there
    (a traceback, before). The wait is a select, which a signal interrupts at once."""
    while True:
        data = stream.read(size)
        if data is not None:
            return data
        select.select([stream], [], [], 1.0)


@functools.cache
def standard_input() -> StreamLog:
    """Standard input as a log: one per process, since it can be read only once."""
    if sys.stdin is None:  # started with its standard input closed
        raise InputError("-: standard input is closed")
    return StreamLog(sys.stdin.buffer)
