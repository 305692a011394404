"""Process-level helpers of the monitor command: the files to follow, and stopping cleanly."""

from __future__ import annotations

import glob
import os
import re
import resource
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_MAGIC = re.compile(r"[*?[]")
SPARE_FILES = 64  # descriptors besides the logs: outputs, the checkpoint, rotated ones drained, imports


def open_file_room(files: int) -> str | None:
    """Raise the soft limit of open files to the hard one (the usual soft 1,024 would stop a
    monitor of 2,000 logs); None if `files` logs fit, else why not, in one line."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    except (ValueError, OSError):
        pass  # the soft limit as it is
    if files + SPARE_FILES <= soft:
        return None
    return (
        f"following {files:,} files needs about {files + SPARE_FILES:,} open files and this process "
        f"may have {soft:,} (ulimit -n; the hard limit is {hard:,}): follow fewer, or raise the limit"
    )


def expand_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files to follow (glob patterns expanded, sorted, each path once) and the patterns
    that matched nothing.

    A pattern the shell did not expand (quoted, or matching nothing then) is expanded here,
    once, at start: expanding it again later would pick up rotated generations
    (`access.log.1` for `access.log*`) and count their lines a second time.
    """
    found: list[str] = []
    unmatched = []
    for path in paths:
        if _MAGIC.search(path) and not os.path.exists(path):
            matches = sorted(name for name in glob.glob(path) if not os.path.isdir(name))
            if not matches:
                unmatched.append(path)
            found += matches
        else:
            found.append(path)
    unique = list(dict.fromkeys(os.path.normpath(path) for path in found))  # a file named twice counts once
    return unique, unmatched


class StopRequest:
    """Whether a clean stop was asked (call it), and by which signal (`signum`, 0: none yet)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum = 0

    def __call__(self) -> bool:
        return self.event.is_set()


@contextmanager
def stop_signals() -> Iterator[StopRequest]:
    """SIGTERM and Ctrl-C ask for a clean stop at the end of the current tick.

    Raising KeyboardInterrupt at once could cut a tick between reading a chunk and counting
    it, losing those lines; a flag lets the tick finish, then the monitor reads the last
    lines, writes its report and checkpoint, and exits 0. A second Ctrl-C stops at once.
    """
    requested = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield requested  # signals are only for the main thread (tests run it elsewhere)
        return

    def request(signum: int, frame: FrameType | None) -> None:
        if requested() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        requested.signum = requested.signum or signum
        requested.event.set()

    previous = {number: signal.signal(number, request) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
