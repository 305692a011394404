"""How a followed file is recognised: its identity on disk and a fingerprint of its first bytes."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

FINGERPRINT_BYTES = 256


@dataclass(frozen=True)
class Identity:
    """(device, inode): the same file whatever its name, until it is deleted."""

    device: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> Identity:
        return cls(stat.st_dev, stat.st_ino)


@dataclass(frozen=True)
class Fingerprint:
    """A hash of the first `length` bytes (at most FINGERPRINT_BYTES) of a file.

    The size alone misses a truncation that was refilled past the old offset between two
    reads, and an inode number reused by a new file; the first bytes of a log (its first
    timestamp) tell both apart.
    """

    length: int = 0
    digest: str = hashlib.sha256(b"").hexdigest()[:32]
    # The bytes hold a whole first line (its timestamp): enough to tell this file's copy
    # from another log. A few bytes of a first line (`10.0.0.1 - -`) start many files alike.
    distinct: bool = False

    @classmethod
    def of(cls, head: bytes) -> Fingerprint:
        head = head[:FINGERPRINT_BYTES]
        distinct = len(head) == FINGERPRINT_BYTES or b"\n" in head or b"\r" in head
        return cls(len(head), hashlib.sha256(head).hexdigest()[:32], distinct)

    def matches(self, head: bytes) -> bool:
        """Whether a file starting with `head` can be the file this fingerprint was taken of."""
        return len(head) >= self.length and Fingerprint.of(head[: self.length]) == self


def read_head(fd: int) -> bytes:
    """The first FINGERPRINT_BYTES of an open file, without moving its position."""
    return os.pread(fd, FINGERPRINT_BYTES, 0)


def head_of(path: str) -> bytes:
    """The first bytes of `path`; none if it is not a regular file (never blocks on a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.pread(fd, FINGERPRINT_BYTES, 0) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Position:
    """Where reading one file stopped: enough for a restarted monitor to go on exactly there."""

    identity: Identity
    offset: int  # just past the last complete line handed out (or dropped as too long)
    fingerprint: Fingerprint
    after_cr: bool = False  # that line ended with `\r`: a `\n` at `offset` is its pair
    live: bool = True  # the file at the path (False: an old one still being drained)
    # Read to its end and let go: never read from its start again, whatever its name now.
    released: bool = False
