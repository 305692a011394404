"""Following a file on disk: complete lines only, exactly once, across truncation and replacement."""

from __future__ import annotations

import os
import random
from pathlib import Path

from analyzer.tail import Follower, read_back


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def drain(follower: Follower) -> bytes:
    """Everything one `read` call yields, checked to be whole lines."""
    chunks = list(follower.read())
    for chunk in chunks:
        assert chunk, "an empty chunk was yielded"
        assert chunk.endswith(b"\n"), f"chunk ends mid-line: {chunk[-20:]!r}"
    return b"".join(chunks)


def numbered_lines(count: int, start: int = 0) -> list[bytes]:
    return [f"line {i} {'x' * (i % 13)}\n".encode() for i in range(start, start + count)]


def test_only_complete_lines_are_returned(tmp_path: Path) -> None:
    """A read returns the complete lines and holds back the unfinished last one."""
    log = tmp_path / "access.log"
    log.write_bytes(b"one\ntwo\nthr")
    follower = Follower(str(log))
    assert drain(follower) == b"one\ntwo\n"
    assert follower.partial == b"thr"
    assert follower.lines_read == 2


def test_fragment_is_kept_until_its_newline_arrives(tmp_path: Path) -> None:
    """A line written in many small pieces is returned once, whole, only after its newline."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    follower = Follower(str(log))
    line = b'10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /a/b HTTP/1.1" 200 5 "-" "x"\n'
    rng = random.Random(3)
    for _ in range(3):
        position = 0
        while position < len(line) - 1:
            step = rng.randint(1, 9)
            piece = line[position : min(position + step, len(line) - 1)]
            position += len(piece)
            append(log, piece)
            assert drain(follower) == b"", "a fragment was returned before its newline"
        append(log, b"\n")
        assert drain(follower) == line
    assert follower.lines_read == 3
    assert drain(follower) == b""


def test_random_partial_appends_give_every_line_exactly_once(tmp_path: Path) -> None:
    """Whatever the split of the appended bytes, the lines read are exactly the lines written."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    follower = Follower(str(log))
    content = b"".join(numbered_lines(400))
    rng = random.Random(11)
    got = []
    position = 0
    while position < len(content):
        step = rng.randint(1, 200)
        append(log, content[position : position + step])
        position += step
        got.append(drain(follower))
    assert b"".join(got) == content
    assert follower.lines_read == 400


def test_small_chunks_still_give_every_line_once(tmp_path: Path) -> None:
    """With chunk_bytes smaller than a line, every line still comes out once and whole."""
    log = tmp_path / "access.log"
    lines = numbered_lines(300)
    log.write_bytes(b"".join(lines[:150]))
    follower = Follower(str(log), chunk_bytes=7)
    chunks = list(follower.read())
    assert len(chunks) > 1, "a bounded read should yield in several pieces"
    append(log, b"".join(lines[150:]))
    chunks += list(follower.read())
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    out = b"".join(chunks).splitlines(keepends=True)
    assert out == lines
    assert follower.offset == log.stat().st_size


def test_truncation_restarts_from_the_new_start(tmp_path: Path) -> None:
    """When the file shrinks below the offset, reading restarts at byte 0 of the new content."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(50)))
    follower = Follower(str(log))
    assert drain(follower).count(b"\n") == 50
    assert follower.restarts == 0, "the first read of a file is not a restart"
    inode = log.stat().st_ino
    os.truncate(log, 0)
    append(log, b"fresh 1\nfresh 2\npart")
    assert log.stat().st_ino == inode  # same file, truncated in place (copytruncate)
    assert drain(follower) == b"fresh 1\nfresh 2\n"
    assert follower.restarts == 1
    append(log, b"ial\n")
    assert drain(follower) == b"partial\n"


def test_fragment_before_truncation_is_not_glued_to_new_content(tmp_path: Path) -> None:
    """An unfinished line of the old content never joins a line of the new content."""
    log = tmp_path / "access.log"
    log.write_bytes(b"old 1\nold 2\nold-unfinished-fragment")
    follower = Follower(str(log))
    assert drain(follower) == b"old 1\nold 2\n"
    os.truncate(log, 0)
    append(log, b"new\n")
    assert drain(follower) == b"new\n"


def test_replacement_by_a_new_inode_restarts_from_its_start(tmp_path: Path) -> None:
    """A new file renamed over the path is read from its start, even when it is larger."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(5)))
    follower = Follower(str(log))
    assert drain(follower).count(b"\n") == 5
    replacement = tmp_path / "access.log.new"
    new_lines = numbered_lines(40, start=1000)
    replacement.write_bytes(b"".join(new_lines))
    old_inode = log.stat().st_ino
    os.replace(replacement, log)
    assert log.stat().st_ino != old_inode
    assert drain(follower).splitlines(keepends=True) == new_lines
    assert follower.restarts == 1
    assert drain(follower) == b""


def test_missing_file_yields_nothing(tmp_path: Path) -> None:
    """A path that does not exist gives no lines and raises nothing, then is read once created."""
    log = tmp_path / "absent.log"
    follower = Follower(str(log))
    assert list(follower.read()) == []
    assert list(follower.read()) == []
    log.write_bytes(b"now here\n")
    assert drain(follower) == b"now here\n"
    log.unlink()
    assert list(follower.read()) == []


def test_start_at_skips_what_came_before(tmp_path: Path) -> None:
    """After start_at(offset) only bytes from that offset on are read."""
    log = tmp_path / "access.log"
    log.write_bytes(b"before 1\nbefore 2\n")
    follower = Follower(str(log))
    follower.start_at(log.stat().st_size)
    assert drain(follower) == b""
    append(log, b"after\n")
    assert drain(follower) == b"after\n"
    assert follower.restarts == 0


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


def test_follower_after_read_back_reads_each_line_once(tmp_path: Path) -> None:
    """A warm start (read_back, then start_at) reads the unfinished line once, after it completes."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(100)) + b"unfini")
    lines, offset = read_back(str(log), lambda block: block.count(b"\n") >= 10, first_block=128)
    follower = Follower(str(log))
    follower.start_at(offset)
    assert drain(follower) == b""
    append(log, b"shed\nnext\n")
    assert drain(follower) == b"unfinished\nnext\n"
    assert lines.endswith(numbered_lines(1, start=99)[0])
