"""Reading historical logs: plain or gzip files, in the order given, as one stream of chunks.

Each chunk holds complete lines only (the unfinished tail of a read is carried to the next),
so the parser never sees half a line, and memory is one chunk however large the input.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from analyzer.formats.kernel import holds_nul_or_cr
from analyzer.formats.parsers import detect, make_parser
from analyzer.lines import MAX_LINE_BYTES, LineSplitter
from analyzer.offline.locations import (
    READ_ERRORS,
    InputError,
    NotALogError,
    exists,
    expand_paths,
    file_size,
    is_directory,
    open_file,
    read_error,
)
from analyzer.offline.streams import GZIP_MAGIC, HEAD_BYTES, STDIN, standard_input

__all__ = [
    "CHUNK_BYTES", "GZIP_MAGIC", "STDIN", "Chunk", "InputError", "NotALogError", "Piece", "check_log",
    "expand_paths", "file_size", "open_log", "pieces", "read_chunks", "read_error", "total_size",
]  # fmt: skip

# 16 MB a piece: 8 MB cost the same CPU a byte, while a piece of 32 MB or more is over glibc's
# largest mmap threshold, so each read and each large array is mapped afresh and faulted in
# page by page (64 MB pieces took 2.5x the CPU of 16 MB ones, measured on the 20M-line log).
CHUNK_BYTES = 16 << 20


@dataclass(frozen=True)
class Chunk:
    """Complete lines from `name`; `consumed` is the compressed bytes read of all inputs so far."""

    data: bytes
    name: str
    consumed: int
    dropped: int = 0  # lines over the length limit, dropped as read: counted as rejected


def open_log(path: str) -> BinaryIO:
    """Open a plain or gzip log for binary reading (gzip told by its magic bytes)."""
    if path == STDIN:
        return standard_input().open()
    handle = open_file(path)
    if handle.read(2) == GZIP_MAGIC:
        handle.seek(0)
        packed = gzip.GzipFile(fileobj=handle)
        packed.myfileobj = handle  # type: ignore[assignment]  # closed with it (fsspec handles too)
        return packed  # type: ignore[return-value]
    handle.seek(0)
    return handle


def check_log(path: str, fmt: str = "auto", log_format: str | None = None) -> str:
    """The format of `path`, or InputError if it is missing, unreadable or not a log.

    A format the user gave is tried on the first lines: when it reads fewer than half of
    them, the file is another format, and nothing good would come of reading it all.
    """
    if path == STDIN:
        stream = standard_input()
        head, damage = _read_up_to(stream.open(head_only=True), HEAD_BYTES)
        if damage is not None and len(stream.head) < HEAD_BYTES:  # not a gzip cut at the head's end
            raise InputError(f"standard input: cannot read: {damage}") from None
        return _checked_head(path, head, fmt, log_format)
    try:
        if not exists(path):
            raise InputError(f"{path}: no such file")
        if is_directory(path):
            raise InputError(f"{path}: is a directory, not a log file")
        with open_log(path) as handle:
            head = handle.read(HEAD_BYTES)
    except READ_ERRORS as error:
        raise read_error(path, error) from None
    return _checked_head(path, head, fmt, log_format)


def _checked_head(path: str, head: bytes, fmt: str, log_format: str | None) -> str:
    if fmt == "custom" and not log_format:
        return fmt  # the caller checks the format string itself
    if fmt != "auto":
        lines = head[: head.rfind(b"\n") + 1] or head  # complete lines only, unless it is one line
        parsed = make_parser(fmt, log_format).parse(lines)
        read = parsed.lines - parsed.directives
        if read >= 2 and parsed.rejected * 2 > read:
            given = "--log-format" if log_format else f"--format {fmt}"
            raise NotALogError(
                f"{path}: {parsed.rejected:,} of the first {read:,} lines do not read as {given}: "
                "check the format (python -m analyzer check tells which one reads it)"
            )
        return fmt
    detected = detect(head)
    if detected is None:
        if not head.strip():
            return "combined"  # an empty log is a log with no lines
        raise NotALogError(
            f"{path}: not a Common or Combined (or W3C) access log: its first lines match none; "
            "for another format give --log-format"
        )
    return detected


def read_chunks(
    handle: BinaryIO, name: str, chunk_bytes: int = CHUNK_BYTES, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[Chunk]:
    """Chunks of complete lines from one open file; a last line without newline comes last.

    Lines are cut as the live follower cuts them (lines.LineSplitter: `\r` and `\r\n` end a
    line, NULs dropped), and a line over `max_line_bytes` is dropped as it is read and
    counted, so an endless line costs no more memory than a chunk.
    """
    splitter = LineSplitter(max_line_bytes, holds_nul_or_cr)
    raw = getattr(handle, "fileobj", None) or handle
    last_byte = b"\n"
    while True:
        data, damage = _read_up_to(handle, chunk_bytes)
        if damage is not None:  # a gzip cut short: the lines before the damage count, then the error
            before = splitter.dropped
            lines = splitter.feed(data)
            if lines or splitter.dropped > before:
                yield Chunk(lines, name, raw.tell(), splitter.dropped - before)
            raise damage
        if not data:
            break
        last_byte = data[-1:]
        before = splitter.dropped
        lines = splitter.feed(data)
        if lines or splitter.dropped > before:
            yield Chunk(lines, name, raw.tell(), splitter.dropped - before)
    if last_byte not in (b"\n", b"\r"):  # the file's last line has no newline: end it
        before = splitter.dropped
        yield Chunk(splitter.feed(b"\n"), name, raw.tell(), splitter.dropped - before)


def _read_up_to(handle: BinaryIO, size: int, block: int = 1 << 20) -> tuple[bytes, Exception | None]:
    """Up to `size` bytes, in blocks, so that damage found mid-way keeps what came before it."""
    if not isinstance(handle, gzip.GzipFile):
        return handle.read(size), None
    parts: list[bytes] = []
    left = size
    try:
        while left > 0:
            part = handle.read1(min(block, left))  # read() would drop what it got before failing
            if not part:
                break
            parts.append(part)
            left -= len(part)
    except READ_ERRORS as error:
        return b"".join(parts), error
    return b"".join(parts), None


@dataclass(frozen=True)
class Piece:
    """Where a chunk of complete lines is: already read (gzip), or a byte range of a plain file.

    A range is tiny to send to a worker process, which reads it itself: the parent never
    copies the bytes of a plain file.
    """

    path: str
    start: int
    end: int  # for progress: bytes of the file on disk consumed up to here
    data: bytes | None = None
    dropped: int = 0  # with `data`: over-long lines dropped while reading it

    def read(self) -> bytes:
        """The piece's complete lines (over-long ones left out: see read_lines)."""
        return self.read_lines()[0]

    def read_lines(self, block: int = 64 << 20) -> tuple[bytes, int]:
        """The piece's complete lines, and how many over-long lines were dropped on the way.

        A piece is read in one go (one pass of the splitter); only a piece stretched by an
        endless line is read in blocks, so memory stays a block however long the line.
        """
        if self.data is not None:
            return self.data, self.dropped
        splitter = LineSplitter(dirty=holds_nul_or_cr)  # one pass of the kernel, not two searches
        parts: list[bytes] = []
        last_byte = b"\n"
        try:
            with open_file(self.path) as handle:
                handle.seek(self.start)
                left = self.end - self.start
                while left > 0:
                    data = handle.read(min(block, left))
                    if not data:
                        break
                    left -= len(data)
                    last_byte = data[-1:]
                    if not parts and not left and _lines_fit(data, splitter.max_line_bytes):
                        # none can be too long: skip that check
                        splitter = LineSplitter(len(data) + 1, holds_nul_or_cr)
                    parts.append(splitter.feed(data))
        except OSError as error:
            raise read_error(self.path, error) from None
        if last_byte not in (b"\n", b"\r"):  # the file's last line, without its newline
            parts.append(splitter.feed(b"\n"))
        return b"".join(parts), splitter.dropped


def _lines_fit(data: bytes, limit: int) -> bool:
    """Whether no line of `data` can be over `limit` bytes: every `limit // 2` bytes hold a `\\n`.

    One search per window, not per line, against the splitter's per-line length check (a pass
    over every byte); a line ended by `\\r` alone, or a last line without its end, fails it
    and is read the careful way.
    """
    step = max(limit // 2, 1)
    return all(data.find(b"\n", start, start + step) >= 0 for start in range(0, len(data), step))


def pieces(path: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Piece]:
    """The file cut into pieces of about chunk_bytes, each ending at a line's end."""
    try:
        with open_log(path) as handle:
            if isinstance(handle, gzip.GzipFile) or path == STDIN:
                for chunk in read_chunks(handle, path, chunk_bytes):
                    yield Piece(path, 0, chunk.consumed, chunk.data, chunk.dropped)
                return
            yield from _ranges(handle, path, chunk_bytes)
    except READ_ERRORS as error:  # a truncated or corrupt gzip, a vanished file
        raise read_error(path, error) from None


def _ranges(handle: BinaryIO, path: str, chunk_bytes: int) -> Iterator[Piece]:
    size = handle.seek(0, os.SEEK_END)
    start = 0
    while start < size:
        end = min(start + chunk_bytes, size)
        handle.seek(end)
        while end < size:  # move the cut to the end of the line it falls in
            block = handle.read(1 << 16)
            newline = block.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(block)
        yield Piece(path, start, end)
        start = end


def total_size(paths: list[str]) -> int:
    """Bytes on disk of all inputs, for progress."""
    return sum(file_size(path) for path in paths if path != STDIN)
