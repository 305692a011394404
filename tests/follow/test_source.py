"""One open file read from an offset, and reading back over the end of a file."""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.follow.source import Source, open_binary, read_back


def numbered_lines(count: int, start: int = 0) -> list[bytes]:
    return [f"line {i} {'x' * (i % 13)}\n".encode() for i in range(start, start + count)]


def test_read_back_leaves_out_the_unfinished_last_line(tmp_path: Path) -> None:
    """read_back returns the complete lines and the offset right after the last of them."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a\nbb\nccc\nunfinished")
    lines, offset = read_back(str(log), lambda _: False)
    assert lines == b"a\nbb\nccc\n"
    assert offset == len(b"a\nbb\nccc\n")


def test_read_back_on_an_empty_file(tmp_path: Path) -> None:
    """An empty file reads back as no lines at offset 0."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    assert read_back(str(log), lambda _: True) == (b"", 0)


def test_read_back_grows_its_block_until_covers_is_true(tmp_path: Path) -> None:
    """Blocks grow until `covers` accepts; the result is whole lines ending at the returned offset."""
    log = tmp_path / "access.log"
    all_lines = numbered_lines(2000)
    content = b"".join(all_lines) + b"half a li"
    log.write_bytes(content)
    seen: list[bytes] = []

    def covers(lines: bytes) -> bool:
        seen.append(lines)
        return lines.count(b"\n") >= 300

    lines, offset = read_back(str(log), covers, first_block=64)
    assert len(seen) > 2, "the first small block cannot cover 300 lines"
    assert [len(block) for block in seen] == sorted(len(block) for block in seen)
    assert lines == seen[-1]
    assert lines.count(b"\n") >= 300
    assert offset == len(content) - len(b"half a li")
    # Whole lines: the block is exactly the file's bytes just before the offset, starting at a line start.
    start = offset - len(lines)
    assert content[start:offset] == lines
    assert start == 0 or content[start - 1 : start] == b"\n"
    assert set(lines.splitlines(keepends=True)) <= set(all_lines)
    # It stopped growing once covered: far from the whole file.
    assert len(lines) < len(content) // 2


def test_read_back_reaches_the_file_start_when_never_covered(tmp_path: Path) -> None:
    """If `covers` never accepts, read_back returns every complete line from the start."""
    log = tmp_path / "access.log"
    all_lines = numbered_lines(500)
    log.write_bytes(b"".join(all_lines))
    lines, offset = read_back(str(log), lambda _: False, first_block=100)
    assert lines == b"".join(all_lines)
    assert offset == log.stat().st_size


def test_read_back_ends_at_a_given_offset(tmp_path: Path) -> None:
    """With `end` (a checkpoint's offset) read_back returns the lines before it only."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a\r\nb\nc\nd\n")
    with open(log, "rb") as handle:
        assert read_back(handle, lambda _: False, first_block=2, end=len(b"a\r\nb\nc\n")) == (
            b"a\r\nb\nc\n",
            len(b"a\r\nb\nc\n"),
        )
        lines, _ = read_back(handle, lambda _: True, first_block=4, end=len(b"a\r\nb\nc\n"))
        assert lines == b"c\n"


def test_a_source_reads_complete_lines_from_its_offset_and_remembers_where(tmp_path: Path) -> None:
    """Reads stop at the last complete line; `consumed` is where a restart would resume."""
    log = tmp_path / "access.log"
    log.write_bytes(b"skip\none\ntwo\nhal")
    source = Source(open_binary(str(log)), str(log), len(b"skip\n"), max_line_bytes=1 << 10)
    try:
        assert b"".join(source.read(4)) == b"one\ntwo\n"  # reads of 4 bytes still give whole lines
        assert source.offset == log.stat().st_size
        assert source.consumed == len(b"skip\none\ntwo\n")
        assert source.position(live=True).offset == source.consumed
    finally:
        source.close()


def test_changed_sees_a_truncation_and_a_rewrite_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"first line\nsecond line\n")
    source = Source(open_binary(str(log)), str(log), 0, max_line_bytes=1 << 10)
    try:
        list(source.read(1 << 10))
        assert not source.changed()
        with open(log, "r+b") as handle:  # rewritten in place past the offset: same size, new start
            handle.write(b"FIRST")
        assert source.changed()
        source.restart()
        assert (source.offset, source.consumed, source.head) == (0, 0, b"")
        with open(log, "wb"):
            pass
        log.write_bytes(b"x\n")
        list(source.read(1 << 10))
        os.truncate(log, 0)
        assert source.changed()  # shrank below what was read
    finally:
        source.close()


def test_linked_is_false_once_the_file_is_deleted(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"a\n")
    source = Source(open_binary(str(log)), str(log), 0, max_line_bytes=1 << 10)
    try:
        assert source.linked()
        log.unlink()
        assert not source.linked()
        assert b"".join(source.read(1 << 10)) == b"a\n"  # still readable while open
    finally:
        source.close()


def test_lines_a_writer_appends_while_a_read_runs_wait_for_the_next_read(tmp_path: Path) -> None:
    """A server writing one line per write() while the reader reads: one read is the one batch
    the file held when it started, so its cost follows the lines, not the writer's writes."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(100)))
    source = Source(open_binary(str(log)), str(log), 0, max_line_bytes=1 << 10)
    real_pread = os.pread
    appended = []

    def pread_while_writing(fd: int, size: int, offset: int) -> bytes:
        data = real_pread(fd, size, offset)
        with open(log, "ab") as writer:  # the writer is faster than the reader
            line = f"during {len(appended)}\n".encode()
            writer.write(line)
            appended.append(line)
        return data

    try:
        os.pread = pread_while_writing  # type: ignore[assignment]
        batches = list(source.read(16))  # reads of 16 bytes: many preads, each one racing a write
    finally:
        os.pread = real_pread
    assert b"".join(batches) == b"".join(numbered_lines(100))
    assert len(appended) >= 50  # the writer wrote all along ...
    assert b"".join(source.read(1 << 20)) == b"".join(appended)  # ... and its lines come next time
    source.close()
