"""Finding a followed file's earlier content beside it after a rotation: pure lookups on disk.

logrotate renames `access.log` to `access.log.1` (then `.2`, ...) or, with `dateext`, to
`access.log-20261128`; with `copytruncate` it copies the file there and truncates it in
place. Compressed generations (`.gz` and the like) are never read: their rest was read
before they were compressed, or it is lost and the monitor says so.
"""

from __future__ import annotations

import os
import re

from analyzer.follow.fileid import Fingerprint, Identity, head_of

COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".zip", ".br")


def rotated_siblings(path: str) -> list[str]:
    """Rotated generations of `path` in its directory (`path.1`, `path-20261128`), oldest first.

    Oldest by modification time; within the same tick of the file system clock, `.2` is
    older than `.1` as logrotate numbers them.
    """
    folder, base = os.path.split(os.path.abspath(path))
    pattern = re.compile(re.escape(base) + r"[.-](\d[\w.-]*)")
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = pattern.fullmatch(name)
        if not match or name.lower().endswith(COMPRESSED):
            continue
        try:
            stat = os.stat(os.path.join(folder, name))
        except OSError:
            continue
        suffix = match.group(1)
        rank = -int(suffix) if suffix.isdigit() else 0
        found.append((stat.st_mtime_ns, rank, suffix, os.path.join(folder, name)))
    return [entry[-1] for entry in sorted(found)]


def find_by_identity(path: str, identity: Identity) -> str | None:
    """The file beside `path` (any name) that is `identity`: where a rename moved it."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        try:
            if entry.is_file() and Identity.of(entry.stat()) == identity:
                return entry.path
        except OSError:
            continue
    return None


def names_by_identity(path: str) -> dict[Identity, str]:
    """Every regular file beside `path`, by identity: where renames moved the files read so far."""
    folder = os.path.dirname(os.path.abspath(path))
    found: dict[Identity, str] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        try:
            if entry.is_file():
                found.setdefault(Identity.of(entry.stat()), entry.path)
        except OSError:
            continue
    return found


def find_copy(
    path: str, fingerprint: Fingerprint, size: int, skip: frozenset[Identity] = frozenset()
) -> str | None:
    """A rotated copy of `path` (copytruncate) that starts like `fingerprint` and holds `size` bytes.

    `skip` holds the files already being read: a rotated file whose first line happens to
    equal the truncated file's is not its copy.
    """
    if not fingerprint.distinct:
        return None  # an empty file's fingerprint matches anything, a few bytes many files
    for candidate in reversed(rotated_siblings(path)):  # the newest copy is the likeliest
        try:
            stat = os.stat(candidate)
            if (
                stat.st_size >= size
                and Identity.of(stat) not in skip
                and fingerprint.matches(head_of(candidate))
            ):
                return candidate
        except OSError:
            continue
    return None


def rotated_since(path: str, since_ns: int, skip: set[Identity]) -> list[str]:
    """Rotated generations written after `since_ns` (file-system time), oldest first, but `skip`.

    For a restart that found none of its checkpoint's files (there was no file at the path
    then, or it was deleted): a file created and rotated while the monitor was down is new.
    """
    found = []
    for candidate in rotated_siblings(path):
        try:
            stat = os.stat(candidate)
        except OSError:
            continue
        if stat.st_mtime_ns > since_ns and Identity.of(stat) not in skip:
            found.append(candidate)
    return found


def newer_rotated(path: str, than: str, skip: set[Identity]) -> list[str]:
    """Rotated generations newer than the file `than` (oldest first), leaving out `skip`.

    After two rotations while the monitor was down, the checkpoint's file is `.2` and the
    one between, `.1`, was never seen: it is read whole, after `.2`'s rest.
    """
    siblings = rotated_siblings(path)
    than = os.path.abspath(than)
    if than not in siblings:
        return []
    newer = []
    for candidate in siblings[siblings.index(than) + 1 :]:
        try:
            if Identity.of(os.stat(candidate)) not in skip:
                newer.append(candidate)
        except OSError:
            continue
    return newer
