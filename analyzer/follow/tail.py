"""Following a log file: complete lines only, exactly once, across rotation and truncation.

The follower keeps the file open and knows it by identity (device, inode), by a fingerprint
of its first bytes and by its offset. A new identity behind the path (rename + create, a
swapped symlink) opens the new file from its start while the old one, still open, is
drained: read to its end, and released only once it has not grown for `rotate_wait`
seconds (a server writes to it until it reopens its log, a lagging reader is still behind
in it), or after `rotate_max` seconds of a server that never stops writing it. A file that
shrank below the offset or whose first bytes changed was truncated in place: its new content
is read from the start, after the rest found in a copytruncate copy beside it.

Every file read is remembered by identity with the offset read to, as long as it lies beside
the log: whatever it is renamed to, it is never taken for a generation rotated in between and
read from its start again. A missing file, or directory, or a permission error is a status to
show, never an error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

from analyzer.follow.drain import OldFiles, ReadCounts, read_lines
from analyzer.follow.fileid import Fingerprint, Identity, Position
from analyzer.follow.rotation import find_by_identity, find_copy, newer_rotated, rotated_since
from analyzer.follow.source import Source, open_binary, read_back
from analyzer.lines import MAX_LINE_BYTES

CHUNK_BYTES = 8 << 20  # bounded reads: a burst of a million lines is handled in pieces
POLL_BYTES = 64 << 20  # at most this much of one file in one poll: a backlog takes several
ROTATE_WAIT = 5.0  # idle seconds after which a drained old file is let go
ROTATE_MAX = 600.0  # seconds an old file that keeps growing is still read after its rotation
FOLLOWING = "following"

__all__ = ["CHUNK_BYTES", "ROTATE_MAX", "ROTATE_WAIT", "Follower", "Identity", "Source", "read_back"]


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
        rotate_max: float = ROTATE_MAX,
        poll_bytes: int = POLL_BYTES,
    ) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.max_line_bytes = max_line_bytes
        self.poll_bytes = poll_bytes
        self.clock = clock
        self.opener = opener
        self.live: Source | None = None
        self.old = OldFiles(path, rotate_wait, rotate_max, self._say, self._source)
        self.status = FOLLOWING
        self.notices: list[str] = []  # what happened, for the screen; the monitor takes them
        self.counts = ReadCounts()
        self.restarts = 0  # rotations and truncations seen
        self._seen = False

    @property
    def offset(self) -> int:
        return self.live.offset if self.live else 0

    @property
    def identity(self) -> Identity | None:
        return self.live.identity if self.live else None

    @property
    def partial(self) -> bytes:
        return self.live.splitter.partial if self.live else b""

    @property
    def draining(self) -> list[Source]:
        return self.old.draining

    @property
    def lines_read(self) -> int:
        return self.counts.lines

    @property
    def nul_bytes(self) -> int:
        return self.counts.nul_bytes

    @property
    def behind(self) -> bool:
        """The last read stopped at `poll_bytes` with more to read: read again without waiting."""
        return self.counts.behind

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
        """Complete lines appended since the last call: old files' rest first, then the live file.

        What each file holds when its read starts, at most `poll_bytes` of it: one batch per
        file whatever the writer's write sizes (in pieces of at most `chunk_bytes`).
        """
        if self.live is not None and self.live.changed():  # before a rename or delete hides it
            self._truncated(self.live)
        self._check_path()
        self.counts.behind = False
        yield from self.old.read(self.clock(), self.chunk_bytes, self.poll_bytes, self.counts)
        if self.live is not None:
            yield from read_lines(self.live, self.chunk_bytes, self.poll_bytes, self.counts)

    def take_dropped(self) -> int:
        """Over-long lines dropped since the last call (the monitor counts them as rejected)."""
        dropped, self.counts.dropped = self.counts.dropped, 0
        return dropped

    def positions(self) -> list[Position]:
        """Where each file stands, released and old ones first: what a checkpoint records.

        A deleted file is left out: no restart can find it, and once closed its inode number
        may be given to a new file that a restart would then take for it.
        """
        live = [self.live.position(live=True)] if self.live is not None and self.live.linked() else []
        return [*self.old.positions(), *live]

    def describe(self) -> str:
        """The status for the report: following or waiting, and what the old files are doing."""
        old = self.old.describe(self.clock())
        return f"{self.status}; {old}" if old else self.status

    def resume(self, positions: list[Position], since_ns: int = 0) -> Source | None:
        """Go on from a checkpoint: each file's unread rest wherever it is now, then the new ones.

        `since_ns` is when the positions were taken (file-system time): if none of their
        files is found, rotated files written after it are new and read whole. Returns the
        file that was live at the checkpoint, for the warm start to read back from (None
        when it is gone). Files released before the restart are known again, never reread.
        """
        try:
            current: Identity | None = Identity.of(os.stat(self.path))
        except OSError:
            current = None
        window = None
        opened = [position for position in positions if not position.released]
        for position in positions:
            if position.released:
                self.old.remember(position)
        for position in opened:
            source = self._find(position, current)
            if source is None:
                self._say(
                    f"lost: a file read before the restart is gone (its lines after {position.offset:,} B)"
                )
                continue
            self.old.add(source, self.clock())
            if position.live:
                window = source
        live = next((s for s in self.draining if s.identity == current and s.name == self.path), None)
        # A file that was (nearly) empty then has no telling fingerprint: a copy of it cannot
        # be recognised, so whatever was rotated since the checkpoint is new to this monitor.
        blind = any(not position.fingerprint.distinct for position in opened)
        skip = ({current} if current else set()) | self._seen_identities()
        if live is not None:
            self.old.take(live.identity)
        if since_ns and (blind or (live is None and not self.draining)):
            self._read_whole(rotated_since(self.path, since_ns, skip))
        elif live is None and self.draining:  # rotated while down, maybe more than once
            self._read_whole(newer_rotated(self.path, self.draining[-1].name, skip))
        self.live, self._seen = live, True
        if live is None and current is not None:
            self._check_path()  # a new file: from its start
        self.old.refresh(self._seen_identities(), self.clock())
        return window

    def close(self) -> None:
        self.old.close()
        if self.live is not None:
            self.live.close()
        self.live = None

    def _find(self, position: Position, current: Identity | None) -> Source | None:
        """The file of `position`, checked: same identity and first bytes, long enough."""
        name = self.path if position.identity == current else find_by_identity(self.path, position.identity)
        source = self._source(name, position.offset) if name else None
        if source is not None and not (source.identity == position.identity and source.is_file_of(position)):
            source.close()
            source = None
        if source is None:  # truncated in place (copytruncate): the copy starts the same
            copy = find_copy(self.path, position.fingerprint, position.offset, self._seen_identities())
            source = self._source(copy, position.offset) if copy else None
        if source is not None:
            source.splitter.after_cr = position.after_cr
        return source

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
        back = self.old.take(identity)  # renamed back
        known = self.old.known.pop(identity, None)  # released, and back at the path: from its offset
        source = back or self._source(self.path, 0)
        if source is None:
            return
        if back is None and known is not None and source.is_file_of(known):
            source.offset = source.consumed = known.offset
            source.splitter.after_cr = known.after_cr
        elif back is None and self._seen:
            self.restarts += 1
        if self.live is not None:
            self._retire(self.live, "replaced (rotated): reading the new file from its start")
            self.old.refresh(self._seen_identities() | {identity}, self.clock())
            moved = self.old.names.get(self.live.identity)
            if moved is not None:  # two rotations between two reads: the file between, whole
                self._read_whole(newer_rotated(self.path, moved, {identity} | self._seen_identities()))
        self.live, self._seen = source, True
        self._set_status(FOLLOWING)

    def _seen_identities(self) -> frozenset[Identity]:
        """Files read in this life: open, being drained, or released but still beside the log."""
        return self.old.identities() | ({self.live.identity} if self.live else set())

    def _read_whole(self, names: list[str]) -> None:
        """Drain rotated files never read before, each from its start."""
        for name in names:
            source = self._source(name, 0)
            if source is None:
                continue
            if source.identity in self._seen_identities():  # a file already read, renamed
                source.close()
                continue
            self.old.add(source, self.clock())
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
        name = find_copy(self.path, Fingerprint.of(live.head), live.offset, self._seen_identities())
        copy = self._source(name, live.offset) if name else None
        if name is not None and copy is not None:
            copy.splitter = live.splitter  # its unfinished line goes on there
            self.old.add(copy, self.clock(), wait=0.0)  # a copy is complete: let go once read
            self._say(f"truncated in place: reading the rest from the copy {name}, then the new content")
            self._read_whole(newer_rotated(self.path, name, set(self._seen_identities())))  # copied twice
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
        self.old.add(source, self.clock())
        source.at_end = False  # what the server wrote after the last read is still to come
        self._say(f"{why}; the old one until it stops growing")

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self._say(status)

    def _say(self, notice: str) -> None:
        self.notices.append(notice)
