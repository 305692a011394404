"""Old files of a followed path: rotated away, deleted or copied, read to their end, then let go.

An old file is released only once it was read to its end and has not grown for its wait
(`rotate_wait`, measured from the last read that found data, so a reader that lags behind
finishes it first), or once it was still written `rotate_max` seconds after its rotation.
A released file is remembered by identity with the offset it was read to, for as long as it
lies beside the log: renamed again (`.1` -> `.2`), it is never read from its start again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass

from analyzer.follow.fileid import Identity, Position, head_of
from analyzer.follow.rotation import find_by_identity, names_by_identity
from analyzer.follow.source import Source


@dataclass
class ReadCounts:
    """What the reads of one follower saw, for its tests and the monitor."""

    lines: int = 0
    dropped: int = 0  # over-long lines not yet taken by the monitor
    nul_bytes: int = 0
    behind: bool = False  # a read stopped at its budget with more to read


def read_lines(
    source: Source, chunk_bytes: int, budget: int, counts: ReadCounts
) -> Generator[bytes, None, bool]:
    """The complete lines one source holds now (at most `budget` bytes); returns whether it gave bytes."""
    before = source.offset
    for lines in source.read(chunk_bytes, budget):
        counts.lines += lines.count(b"\n")
        yield lines
    counts.behind = counts.behind or not source.at_end
    counts.dropped += source.splitter.dropped
    counts.nul_bytes += source.splitter.nul_bytes
    source.splitter.dropped = source.splitter.nul_bytes = 0
    return source.offset > before


class OldFiles:
    """The old files of one path being drained, and the released ones still beside it."""

    def __init__(
        self,
        path: str,
        rotate_wait: float,
        rotate_max: float,
        say: Callable[[str], None],
        open_at: Callable[[str, int], Source | None],
    ) -> None:
        self.path = path
        self.open_at = open_at  # a file opened at an offset (None if it cannot be)
        self.rotate_wait = rotate_wait
        self.rotate_max = max(rotate_max, rotate_wait)
        self.say = say
        self.draining: list[Source] = []
        self.known: dict[Identity, Position] = {}  # released, still beside the log
        self.names: dict[Identity, str] = {}  # where renames moved them, for the report
        self.abandoned: set[Identity] = set()  # let go at rotate_max: their growth is not followed

    def add(self, source: Source, now: float, wait: float | None = None) -> None:
        """Drain `source` from now on; it is let go after `wait` idle seconds (default rotate_wait)."""
        source.retire(now, self.rotate_wait if wait is None else wait)
        self.draining.append(source)

    def take(self, identity: Identity) -> Source | None:
        """The old file of `identity`, no longer old (renamed back to the path)."""
        source = next((s for s in self.draining if s.identity == identity), None)
        if source is not None:
            self.draining.remove(source)
            source.retired_at = None
        return source

    def identities(self) -> frozenset[Identity]:
        """Files drained or released: none of them is new to the follower."""
        return frozenset(s.identity for s in self.draining) | frozenset(self.known)

    def read(
        self, now: float, chunk_bytes: int, budget: int, counts: ReadCounts
    ) -> Generator[bytes, None, None]:
        """Each old file's rest, oldest first; those read to their end and done are let go."""
        self._wake(now)
        for source in list(self.draining):
            caught_up_at = source.read_at if source.at_end else None  # that read took all there was
            source.read_at = now
            found = yield from read_lines(source, chunk_bytes, budget, counts)
            if found:
                self._data_found(source, now, caught_up_at)
            if source.at_end and self._done(source, now):
                self._release(source)

    def remember(self, position: Position) -> None:
        """A file released before a restart: known again if it is still beside the log, same start."""
        name = find_by_identity(self.path, position.identity)
        try:
            if name is not None and position.fingerprint.matches(head_of(name)):
                self.known[position.identity] = position
                self.names[position.identity] = name
        except OSError:
            return

    def refresh(self, seen: frozenset[Identity], now: float) -> None:
        """Where the files read so far are now; forget released ones no longer beside the log."""
        here = names_by_identity(self.path)
        self.names = {identity: here[identity] for identity in seen | self.identities() if identity in here}
        self.known = {identity: p for identity, p in self.known.items() if identity in here}
        self._wake(now)

    def _wake(self, now: float) -> None:
        """Drain again, from where it was left, a released file that grew since.

        A server that went quiet for longer than the wait, then wrote to the rotated file
        again: its lines are neither read twice nor lost. One stat per released file a poll;
        a name gone stale (renamed by a rotation the live file took no part in, such as a
        copytruncate shifting `.1` to `.2`) costs one look at the folder.
        """
        rescanned = False
        for identity, position in list(self.known.items()):
            if identity not in self.known or identity in self.abandoned:
                continue
            stat = self._stat(identity)
            if stat is None and not rescanned:
                self._rescan()
                rescanned = True
                stat = self._stat(identity) if identity in self.known else None
            if stat is None or stat.st_size <= position.offset:
                continue
            source = self._grown(self.names[identity], position)
            if source is not None:
                del self.known[identity]
                self.add(source, now)
                self.say(f"reading the rest of {self.name(source)}: it was written after it was let go")

    def _stat(self, identity: Identity) -> os.stat_result | None:
        """The released file's state at its last known name (None: not there any more)."""
        name = self.names.get(identity)
        try:
            stat = os.stat(name) if name is not None else None
        except OSError:
            return None
        return stat if stat is not None and Identity.of(stat) == identity else None

    def _rescan(self) -> None:
        """Find the released files where they are now; forget those no longer beside the log."""
        here = names_by_identity(self.path)
        self.names.update({identity: here[identity] for identity in self.known if identity in here})
        self.known = {identity: p for identity, p in self.known.items() if identity in here}

    def _grown(self, name: str, position: Position) -> Source | None:
        """The released file at `name` opened at its offset, if it is the same file and grew since."""
        source = self.open_at(name, position.offset)
        if source is None:
            return None
        if (
            source.identity == position.identity
            and source.is_file_of(position)
            and source.size() > position.offset
        ):
            source.splitter.after_cr = position.after_cr
            return source
        source.close()
        return None

    def positions(self) -> list[Position]:
        """Released files first, then the old files still read (deleted ones left out)."""
        return [*self.known.values(), *(s.position(live=False) for s in self.draining if s.linked())]

    def describe(self, now: float) -> str:
        """What the old files are doing, for the report ("" when there are none)."""
        parts = []
        written = [self.name(s) for s in self.draining if s.still_written]
        if written:
            parts.append(
                f"still written after rotation: {', '.join(written)} (make the server reopen its log)"
            )
        others = [s for s in self.draining if not s.still_written]
        if others:
            left = max(max(0.0, s.wait - (now - s.last_data)) for s in others)
            parts.append(f"still reading {len(others)} old file(s) for {left:.0f} s more")
        return "; ".join(parts)

    def name(self, source: Source) -> str:
        return os.path.basename(self.names.get(source.identity, source.name))

    def close(self) -> None:
        for source in self.draining:
            source.close()
        self.draining = []

    def _data_found(self, source: Source, now: float, caught_up_at: float | None) -> None:
        """An old file gave data: its idle time starts again; growing past its wait is news.

        Data found after a read that took all there was, itself `wait` seconds after the
        rotation, was written that late: the server still writes the old file. (A reader that
        lags finds old data late, which says nothing of the server.)
        """
        source.last_data = now
        retired = source.retired_at if source.retired_at is not None else now
        if caught_up_at is not None and caught_up_at - retired >= source.wait and not source.still_written:
            source.still_written = True
            self.say(f"still written after rotation: {self.name(source)} (make the server reopen its log)")

    def _done(self, source: Source, now: float) -> bool:
        """Whether an old file read to its end can be let go: idle for its wait, or kept too long."""
        retired = source.retired_at if source.retired_at is not None else now
        if now - source.last_data >= source.wait:
            return True
        if now - retired >= self.rotate_max:
            self.abandoned.add(source.identity)
            self.say(
                f"stopped reading {self.name(source)}: still written {self.rotate_max:g} s after its "
                "rotation (--rotate-max); its later lines are not counted"
            )
            return True
        return False

    def _release(self, source: Source) -> None:
        """Close an old file; remember how far it was read while it still lies beside the log."""
        if source.linked():
            self.known[source.identity] = source.position(live=False, released=True)
            self.names.setdefault(source.identity, source.name)
        source.close()
        self.draining.remove(source)
