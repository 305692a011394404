"""The output directory, written safely in any directory and by any user, root included.

Files under `--out` are opened without following a symbolic link (`O_NOFOLLOW`) and only if
they are regular files, so whoever can write the directory cannot point the monitor's
writes at another file; temporary files get unpredictable names, created exclusively, then
renamed over the target (a rename replaces a link, never writes through it). New files are
0644 at most (0600 for raw log lines), whatever the umask. A root process refuses a
directory another user can write, as ssh refuses a key file others can write. One process
writes a directory at a time: a lock (`flock`) held for the run names its holder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from pathlib import Path

LOCK_NAME = "analyzer.lock"
THROUGH_LINK = "a symbolic link: the outputs are never written through one"
NOT_REGULAR = "not a regular file: the outputs are written to regular files only"
FILE_MODE = 0o644
PRIVATE_MODE = 0o600  # raw log lines (--rejects): the log's readers only


class OutputError(Exception):
    """The outputs cannot be written (any more): one line on stderr, exit status 2."""


class UnsafeOutput(OutputError):
    """The outputs cannot be written safely there."""


def open_append(path: Path, mode: int = FILE_MODE) -> int:
    """A descriptor appending to the regular file `path` (created with `mode` at most), never
    through a symbolic link, never blocking on a FIFO planted there."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeOutput(f"{path}: {THROUGH_LINK}") from None
        if error.errno == errno.ENXIO:  # a FIFO with no reader
            raise UnsafeOutput(f"{path}: {NOT_REGULAR}") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafeOutput(f"{path}: {NOT_REGULAR}")
    os.set_blocking(fd, True)
    if info.st_size == 0 and info.st_mode & 0o7777 & ~mode:  # an empty file of someone else's mode
        with contextlib.suppress(OSError):
            os.fchmod(fd, info.st_mode & 0o7777 & mode)
    return fd


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` whole: a crash leaves the old content or the new, and the
    temporary file has a name no one could have planted."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)  # mode 0600, as mkstemp made it
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself must survive a crash of the machine
        finally:
            os.close(folder)


def file_system_now(directory: Path) -> int:
    """Now on the file system's own clock (ns), from a file created in `directory` just now."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".clock.", suffix=".tmp")
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        os.unlink(name)


def check_owner(directory: Path) -> None:
    """A process running as root writes only a directory no other user can write (nor rename
    away: its parents are the same or sticky, as /tmp is)."""
    if os.geteuid() != 0:
        return
    folder = directory.resolve()
    for place in (folder, *folder.parents):
        info = os.stat(place)
        writable = info.st_mode & 0o022
        sticky = info.st_mode & stat.S_ISVTX
        if place == folder and (info.st_uid != 0 or writable):
            raise UnsafeOutput(
                f"{directory}: writable by another user (owner uid {info.st_uid}, mode "
                f"{info.st_mode & 0o7777:04o}): running as root, analyzer writes only a directory "
                "root alone can write"
            )
        if place != folder and (info.st_uid != 0 or (writable and not sticky)):
            raise UnsafeOutput(
                f"{directory}: its parent {place} can be changed by another user (owner uid "
                f"{info.st_uid}, mode {info.st_mode & 0o7777:04o}): running as root, analyzer "
                "writes only where root alone decides"
            )


class Lock:
    """One analyzer per output directory: an exclusive `flock` on `analyzer.lock`, held until
    `release` (or the process's end: the kernel lets it go even after a SIGKILL)."""

    def __init__(self, directory: Path) -> None:
        path = directory / LOCK_NAME
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            self.fd = os.open(path, flags, FILE_MODE)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnsafeOutput(f"{path}: {THROUGH_LINK}") from None
            raise
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(self.fd)
            raise UnsafeOutput(
                f"{directory}: another analyzer (pid {holder}) writes there: one per --out"
            ) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor lets the lock go
            self.fd = -1
