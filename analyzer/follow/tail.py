"""Following a log file: complete lines only, exactly once, across rotation and truncation.

The follower keeps the file open and knows it by identity (device, inode), by a fingerprint
of its first bytes and by its offset. A new identity behind the path (rename + create, a
swapped symlink) opens the new file from its start while the old one, still open, is read
for `rotate_wait` seconds more: the server writes to it until it reopens its log. A file
that shrank below the offset or whose first bytes changed was truncated in place: its new
content is read from the start, after the rest found in a copytruncate copy beside it.
A missing file, or directory, or a permission error is a status to show, never an error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

from analyzer.follow.fileid import Fingerprint, Identity, Position
from analyzer.follow.rotation import find_by_identity, find_copy, newer_rotated, rotated_since
from analyzer.follow.source import Source, open_binary, read_back
from analyzer.lines import MAX_LINE_BYTES

CHUNK_BYTES = 8 << 20  # bounded reads: a burst of a million lines is handled in pieces
ROTATE_WAIT = 5.0  # seconds an old file is still read after it was rotated away or deleted
FOLLOWING = "following"

__all__ = ["CHUNK_BYTES", "ROTATE_WAIT", "Follower", "Identity", "Source", "read_back"]


class Follower:
    """Reads what is appended to one path, one complete line at a time (in bulk)."""

    def __init__(
        self,
        path: str,
        chunk_bytes: int = CHUNK_BYTES,
        max_line_bytes: int = MAX_LINE_BYTES,
        rotate_wait: float = ROTATE_WAIT,
        clock: Callable[[], float] = time.monotonic,
        opener: Callable[[str], BinaryIO] = open_binary,
    ) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.max_line_bytes = max_line_bytes
        self.rotate_wait = rotate_wait
        self.clock = clock
        self.opener = opener
        self.live: Source | None = None
        self.draining: list[Source] = []  # rotated away or deleted, still read until their deadline
        self.status = FOLLOWING
        self.notices: list[str] = []  # what happened, for the screen; the monitor takes them
        self.lines_read = 0
        self.restarts = 0  # rotations and truncations seen
        self.dropped = 0  # over-long lines not yet taken by `take_dropped`
        self.nul_bytes = 0
        self._seen = False

    # The live file's state, as tests and the warm start see it.
    @property
    def offset(self) -> int:
        return self.live.offset if self.live else 0

    @property
    def identity(self) -> Identity | None:
        return self.live.identity if self.live else None

    @property
    def partial(self) -> bytes:
        return self.live.splitter.partial if self.live else b""

    def open(self) -> Source | None:
        """The live file, opened now if it is not yet (None while it cannot be)."""
        if self.live is None:
            self._check_path()
        return self.live

    def start_at(self, offset: int) -> None:
        """Begin following from byte `offset` (after a warm start, the end of the read-back)."""
        source = self.open()
        if source is not None:
            source.offset = source.consumed = offset

    def read(self) -> Iterator[bytes]:
        """Complete lines appended since the last call: old files' rest first, then the live file."""
        if self.live is not None and self.live.changed():  # before a rename or delete hides it
            self._truncated(self.live)
        self._check_path()
        for source in list(self.draining):
            yield from self._lines(source)
            if source.deadline is not None and self.clock() >= source.deadline:
                self._close(source)
        if self.live is not None:
            yield from self._lines(self.live)

    def take_dropped(self) -> int:
        """Over-long lines dropped since the last call (the monitor counts them as rejected)."""
        dropped, self.dropped = self.dropped, 0
        return dropped

    def positions(self) -> list[Position]:
        """Where each open file stands, old ones first: what a checkpoint records.

        A deleted file is left out: no restart can find it, and once closed its inode number
        may be given to a new file that a restart would then take for it.
        """
        sources = [*self.draining, *([self.live] if self.live else [])]
        return [source.position(live=source is self.live) for source in sources if source.linked()]

    def describe(self) -> str:
        """The status for the report: following or waiting, and any old file still read."""
        if not self.draining:
            return self.status
        left = max(0.0, max(s.deadline or 0.0 for s in self.draining) - self.clock())
        return f"{self.status}; still reading {len(self.draining)} old file(s) for {left:.0f} s more"

    def resume(self, positions: list[Position], since_ns: int = 0) -> Source | None:
        """Go on from a checkpoint: each file's unread rest wherever it is now, then the new ones.

        `since_ns` is when the positions were taken (file-system time): if none of their
        files is found, rotated files written after it are new and read whole. Returns the
        file that was live at the checkpoint, for the warm start to read back from (None
        when it is gone).
        """
        try:
            current: Identity | None = Identity.of(os.stat(self.path))
        except OSError:
            current = None
        window = None
        for position in positions:
            source = self._find(position, current)
            if source is None:
                self._say(
                    f"lost: a file read before the restart is gone (its lines after {position.offset:,} B)"
                )
                continue
            source.deadline = self.clock() + self.rotate_wait
            self.draining.append(source)
            if position.live:
                window = source
        live = next((s for s in self.draining if s.identity == current and s.name == self.path), None)
        # A file that was (nearly) empty then has no telling fingerprint: a copy of it cannot
        # be recognised, so whatever was rotated since the checkpoint is new to this monitor.
        blind = any(not position.fingerprint.distinct for position in positions)
        skip = ({current} if current else set()) | self._open_identities()
        if live is not None:
            self.draining.remove(live)
            live.deadline = None
        if since_ns and (blind or (live is None and not self.draining)):
            self._read_whole(rotated_since(self.path, since_ns, skip))
        elif live is None and self.draining:  # rotated while down, maybe more than once
            self._read_whole(newer_rotated(self.path, self.draining[-1].name, skip))
        self.live, self._seen = live, True
        if live is None and current is not None:
            self._check_path()  # a new file: from its start
        return window

    def close(self) -> None:
        for source in [*self.draining, *([self.live] if self.live else [])]:
            source.close()
        self.draining, self.live = [], None

    def _find(self, position: Position, current: Identity | None) -> Source | None:
        """The file of `position`, checked: same identity and first bytes, long enough."""
        name = self.path if position.identity == current else find_by_identity(self.path, position.identity)
        source = self._source(name, position.offset) if name else None
        if source is not None and not (
            source.identity == position.identity
            and position.fingerprint.matches(source.head)
            and source.size() >= position.offset
        ):
            source.close()
            source = None
        if source is None:  # truncated in place (copytruncate): the copy starts the same
            copy = find_copy(self.path, position.fingerprint, position.offset, self._open_identities())
            source = self._source(copy, position.offset) if copy else None
        if source is not None:
            source.splitter.after_cr = position.after_cr
        return source

    def _lines(self, source: Source) -> Iterator[bytes]:
        for lines in source.read(self.chunk_bytes):
            self.lines_read += lines.count(b"\n")
            yield lines
        self.dropped += source.splitter.dropped
        self.nul_bytes += source.splitter.nul_bytes
        source.splitter.dropped = source.splitter.nul_bytes = 0

    def _check_path(self) -> None:
        """Notice what happened to the path: replaced, deleted, unreadable, or back."""
        try:
            identity = Identity.of(os.stat(self.path))
        except FileNotFoundError:
            self._gone()
            return
        except OSError as error:  # a directory we may not search, a symlink loop...
            self._set_status(f"cannot read: {error.strerror} (retrying)")
            return
        if self.live is not None and self.live.identity == identity:
            self._set_status(FOLLOWING)
            return
        back = next((s for s in self.draining if s.identity == identity), None)  # renamed back
        source = back or self._source(self.path, 0)
        if source is None:
            return
        if back is not None:
            self.draining.remove(back)
            back.deadline = None
        elif self._seen:
            self.restarts += 1
        if self.live is not None:
            self._retire(self.live, "replaced (rotated): reading the new file from its start")
            moved = find_by_identity(self.path, self.live.identity)
            if moved is not None:  # two rotations between two reads: the file between, whole
                self._read_whole(newer_rotated(self.path, moved, {identity} | self._open_identities()))
        self.live, self._seen = source, True
        self._set_status(FOLLOWING)

    def _open_identities(self) -> frozenset[Identity]:
        return frozenset(s.identity for s in [*self.draining, *([self.live] if self.live else [])])

    def _read_whole(self, names: list[str]) -> None:
        """Drain rotated files never opened before, each from its start."""
        for name in names:
            source = self._source(name, 0)
            if source is not None:
                source.deadline = self.clock() + self.rotate_wait
                self.draining.append(source)
                self._say(f"reading {name} whole: it was rotated in between")

    def _gone(self) -> None:
        if self.live is not None:
            self._retire(self.live, "deleted: reading what is left of it")
            self.live = None
        folder = os.path.dirname(os.path.abspath(self.path))
        missing = "no such file" if os.path.isdir(folder) else f"its directory {folder} does not exist"
        self._set_status(f"waiting: {missing}")

    def _truncated(self, live: Source) -> None:
        """Shrunk or rewritten in place: the new content is read from its start.

        With copytruncate the lines written since the last read are in the copy beside it:
        they are read there first, from the same offset, so only what was written between
        the copy and the truncation is lost (logrotate's own window).
        """
        name = find_copy(self.path, Fingerprint.of(live.head), live.offset, self._open_identities())
        copy = self._source(name, live.offset) if name else None
        if name is not None and copy is not None:
            copy.splitter, copy.deadline = live.splitter, self.clock()  # its unfinished line goes on there
            self.draining.append(copy)
            self._say(f"truncated in place: reading the rest from the copy {name}, then the new content")
            self._read_whole(newer_rotated(self.path, name, set(self._open_identities())))  # copied twice
        else:
            self._say("truncated: reading the new content from its start")
        self.restarts += 1
        live.restart()

    def _source(self, name: str, offset: int) -> Source | None:
        try:
            return Source(self.opener(name), name, offset, self.max_line_bytes)
        except OSError as error:
            self._set_status(f"cannot read: {error.strerror} (retrying)")
            return None

    def _retire(self, source: Source, why: str) -> None:
        source.deadline = self.clock() + self.rotate_wait
        self.draining.append(source)
        self._say(f"{why}; the old one for {self.rotate_wait:g} s more")

    def _close(self, source: Source) -> None:
        source.close()
        self.draining.remove(source)

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self._say(status)

    def _say(self, notice: str) -> None:
        self.notices.append(notice)
