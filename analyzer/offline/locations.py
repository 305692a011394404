"""Where historical logs are: local paths or fsspec URLs (s3://, gs://, file://...), and globs.

fsspec is imported only when a URL is given, so the default engine needs nothing beyond the
package's own dependencies. The errors a command prints about a file are made here.
"""

from __future__ import annotations

import glob
import os
import re
import zlib
from typing import Any, BinaryIO

from analyzer.follow.source import open_binary

_MAGIC = re.compile(r"[*?[]")
NEEDS_FSSPEC = "reading URLs needs fsspec: pip install -e '.[dask]'"


# What reading a log can raise: the OS's errors, a gzip cut short, a gzip's corrupt data.
READ_ERRORS = (OSError, EOFError, zlib.error)


class InputError(Exception):
    """A file that cannot be read as a log: one line saying what and where."""


class NotALogError(InputError):
    """A readable file whose first lines match no known format."""


def is_url(path: str) -> bool:
    """Whether `path` names a file through fsspec (s3://, gs://, file://...), not a local path."""
    return "://" in path


def _filesystem(path: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL and the path within it; fsspec is imported only for URLs."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise InputError(f"{path}: {NEEDS_FSSPEC}") from None
    try:
        return url_to_fs(path)
    except (ImportError, ValueError) as error:  # an unknown protocol, its plugin not installed
        raise InputError(f"{path}: {error}") from None


def open_file(path: str) -> BinaryIO:
    """Open a local path or an fsspec URL for binary reading, as it is on disk."""
    if not is_url(path):
        return open_binary(path)  # a FIFO or a device is refused, never waited on
    fs, inner = _filesystem(path)
    return fs.open(inner, "rb")


def file_size(path: str) -> int:
    if not is_url(path):
        return os.path.getsize(path)
    fs, inner = _filesystem(path)
    return int(fs.size(inner))


def expand_paths(paths: list[str]) -> list[str]:
    """The inputs with glob patterns expanded (sorted, directories left out), in the order given.

    A pattern that matches nothing is an InputError. A path that exists as written is taken
    as it is, even with `*` in its name. URLs are listed by their own filesystem (fsspec).
    """
    found: list[str] = []
    for path in paths:
        if not _MAGIC.search(path) or exists(path):
            found.append(path)
            continue
        if is_url(path):
            fs, inner = _filesystem(path)
            matches = [fs.unstrip_protocol(name) for name in sorted(fs.glob(inner)) if not fs.isdir(name)]
        else:
            matches = sorted(name for name in glob.glob(path) if not os.path.isdir(name))
        if not matches:
            raise InputError(f"{path}: no file matches this pattern")
        found += matches
    return found


def exists(path: str) -> bool:
    if not is_url(path):
        return os.path.exists(path)
    fs, inner = _filesystem(path)
    return bool(fs.exists(inner))


def is_directory(path: str) -> bool:
    if not is_url(path):
        return os.path.isdir(path)
    fs, inner = _filesystem(path)
    return bool(fs.isdir(inner))


def read_error(path: str, error: Exception) -> InputError:
    """The one line for a file that failed mid-read, whichever process read it."""
    return InputError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}")
