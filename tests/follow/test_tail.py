"""Following a file on disk: complete lines only, exactly once, across truncation and replacement."""

from __future__ import annotations

import errno
import os
import random
import shutil
from pathlib import Path
from typing import BinaryIO

from analyzer.follow.fileid import Position
from analyzer.follow.tail import Follower, read_back


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


# ----- rotation, truncation, missing files, restarts ------------------------------------------


class Ticker:
    """A clock for the rotate-wait that moves only when told."""

    def __init__(self) -> None:
        self.time = 1000.0

    def __call__(self) -> float:
        return self.time


def follower_of(log: Path, clock: Ticker | None = None, **options: object) -> Follower:
    return Follower(str(log), clock=clock or Ticker(), **options)  # type: ignore[arg-type]


def test_renamed_back_is_not_read_twice(tmp_path: Path) -> None:
    """A file moved away and back (same identity) goes on from its offset, not from its start."""
    log, away = tmp_path / "access.log", tmp_path / "elsewhere"
    log.write_bytes(b"one\n")
    follower = follower_of(log)
    assert drain(follower) == b"one\n"
    os.rename(log, away)
    log.write_bytes(b"other\n")
    assert drain(follower) == b"other\n"
    os.rename(log, tmp_path / "other.log")
    os.rename(away, log)
    append(log, b"two\n")
    assert drain(follower) == b"two\n"


def test_copytruncate_reads_the_unread_rest_from_the_copy(tmp_path: Path) -> None:
    """Lines written after the last read and copied before the truncation are read from the copy."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(20)))
    follower = follower_of(log)
    assert drain(follower).count(b"\n") == 20
    append(log, b"unread 1\nunread 2\nhalf")
    shutil.copyfile(log, tmp_path / "access.log.1")
    os.truncate(log, 0)
    append(log, b"new 1\n")
    assert drain(follower) == b"unread 1\nunread 2\nnew 1\n"
    assert follower.restarts == 1


def test_truncation_refilled_past_the_offset_is_caught_by_the_fingerprint(tmp_path: Path) -> None:
    """A file truncated and refilled beyond the old offset between two reads is read from its start."""
    log = tmp_path / "access.log"
    log.write_bytes(b"old 1\nold 2\n")
    follower = follower_of(log)
    assert drain(follower) == b"old 1\nold 2\n"
    refill = b"".join(numbered_lines(30, start=500))
    os.truncate(log, 0)
    append(log, refill)
    assert len(refill) > len(b"old 1\nold 2\n")
    assert drain(follower) == refill
    assert follower.restarts == 1


def test_a_stale_writers_sparse_hole_never_reaches_the_lines(tmp_path: Path) -> None:
    """After copytruncate a writer without O_APPEND leaves NULs up to its offset: they are dropped."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(40)))
    follower = follower_of(log)
    size = log.stat().st_size
    assert drain(follower).count(b"\n") == 40
    os.truncate(log, 0)
    with open(log, "r+b") as stale:
        stale.seek(size)
        stale.write(b"after the hole\n")
    out = drain(follower)
    assert out == b"after the hole\n"
    assert b"\0" not in out and follower.nul_bytes == size


def test_deleted_then_recreated_is_waited_for_and_read_from_its_start(tmp_path: Path) -> None:
    """A deleted file is drained, the follower says it waits, and a new file is read from its start."""
    log = tmp_path / "access.log"
    log.write_bytes(b"first\n")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1)
    assert drain(follower) == b"first\n"
    with open(log, "ab") as server:
        log.unlink()
        server.write(b"to the deleted file\n")
        server.flush()
        assert drain(follower) == b"to the deleted file\n"
    assert follower.status == "waiting: no such file"
    clock.time += 2
    assert drain(follower) == b""
    assert follower.draining == []
    log.write_bytes(b"again 1\nagain 2\n")
    assert drain(follower) == b"again 1\nagain 2\n"
    assert follower.status == "following"
    assert follower.restarts == 1
    assert "waiting: no such file" in follower.notices


def test_a_missing_directory_is_waited_for(tmp_path: Path) -> None:
    """A log whose directory does not exist yet is waited for, saying so, then read from its start."""
    log = tmp_path / "later" / "access.log"
    follower = follower_of(log)
    assert drain(follower) == b""
    assert follower.status == f"waiting: its directory {tmp_path / 'later'} does not exist"
    log.parent.mkdir()
    assert drain(follower) == b""
    assert follower.status == "waiting: no such file"
    log.write_bytes(b"hello\n")
    assert drain(follower) == b"hello\n"


def test_permission_errors_are_reported_and_retried(tmp_path: Path) -> None:
    """An open refused with EACCES is a status, retried at every read until it works."""
    log = tmp_path / "access.log"
    log.write_bytes(b"secret\n")
    refuse = {"on": True}

    def opener(path: str) -> BinaryIO:
        if refuse["on"]:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return open(path, "rb")  # the follower closes it

    follower = follower_of(log, opener=opener)
    for _ in range(3):
        assert drain(follower) == b""
        assert follower.status == "cannot read: Permission denied (retrying)"
    refuse["on"] = False
    assert drain(follower) == b"secret\n"
    assert follower.status == "following"


def test_a_swapped_symlink_target_is_read_from_its_start(tmp_path: Path) -> None:
    """A symlinked log whose target is swapped: the old target is drained, the new one read whole."""
    first, second, link = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "access.log"
    first.write_bytes(b"a1\n")
    second.write_bytes(b"b1\nb2\n")
    link.symlink_to(first)
    follower = follower_of(link)
    assert drain(follower) == b"a1\n"
    append(first, b"a2\n")
    swap = tmp_path / "swap"
    swap.symlink_to(second)
    os.replace(swap, link)
    assert drain(follower) == b"a2\nb1\nb2\n"


def test_a_megabyte_line_is_dropped_with_bounded_memory(tmp_path: Path) -> None:
    """A 1 MB line between normal lines is dropped and counted once; the partial stays under the limit."""
    log = tmp_path / "access.log"
    log.write_bytes(b"before\n")
    follower = follower_of(log, max_line_bytes=4096, chunk_bytes=64 << 10)
    assert drain(follower) == b"before\n"
    for _ in range(16):
        append(log, b"x" * (64 << 10))
        assert drain(follower) == b""
        assert len(follower.partial) <= 4096
    append(log, b"\nafter\n")
    assert drain(follower) == b"after\n"
    assert follower.take_dropped() == 1
    assert follower.take_dropped() == 0


def test_crlf_and_cr_files_are_followed_line_by_line(tmp_path: Path) -> None:
    """A CRLF log and a CR-only log give the same lines as an LF log."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a\r\nb\r")
    follower = follower_of(log)
    assert drain(follower) == b"a\nb\n"
    append(log, b"\nc\rd\r\n")
    assert drain(follower) == b"c\nd\n"


def test_a_burst_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    """A million lines appended at once come out in chunks of at most chunk_bytes (plus one line)."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    follower = follower_of(log, chunk_bytes=1 << 20)
    append(log, b"0123456789abcdefghi\n" * 1_000_000)
    sizes = [len(chunk) for chunk in follower.read()]
    assert sum(sizes) == 20_000_000 and len(sizes) >= 19
    assert max(sizes) <= (1 << 20) + 20


def test_positions_point_at_the_start_of_the_unfinished_line(tmp_path: Path) -> None:
    """A checkpoint position is just past the last complete line, so a restart rereads the fragment."""
    log = tmp_path / "access.log"
    log.write_bytes(b"one\ntwo\nthr")
    follower = follower_of(log)
    drain(follower)
    positions: list[Position] = follower.positions()
    (position,) = positions
    assert position.offset == len(b"one\ntwo\n") and position.live
    resumed = follower_of(log)
    assert resumed.resume([position]) is not None
    append(log, b"ee\n")
    assert drain(resumed) == b"three\n"


def test_resume_finds_a_file_rotated_twice_while_down(tmp_path: Path) -> None:
    """Rotated twice while down: the old file's rest (now .2), then .1 whole, then the new file."""
    log = tmp_path / "access.log"
    log.write_bytes(b"read 1\nread 2\n")
    first = follower_of(log)
    drain(first)
    positions = first.positions()
    first.close()
    append(log, b"unread 1\n")
    os.rename(log, tmp_path / "access.log.1")
    (tmp_path / "access.log.1").touch()
    log.write_bytes(b"middle 1\nmiddle 2\n")
    os.rename(tmp_path / "access.log.1", tmp_path / "access.log.2")
    os.rename(log, tmp_path / "access.log.1")
    log.write_bytes(b"newest\n")
    (tmp_path / "access.log.3.gz").write_bytes(b"never read")
    resumed = follower_of(log)
    window = resumed.resume(positions)
    assert window is not None and window.name.endswith("access.log.2")
    assert drain(resumed) == b"unread 1\nmiddle 1\nmiddle 2\nnewest\n"


def test_resume_after_copytruncate_while_down(tmp_path: Path) -> None:
    """Truncated while down: the rest comes from the copy beside it, then the new content once."""
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(numbered_lines(10)))
    first = follower_of(log)
    drain(first)
    positions = first.positions()
    first.close()
    append(log, b"unread\n")
    shutil.copyfile(log, tmp_path / "access.log-20261128")
    os.truncate(log, 0)
    append(log, b"".join(numbered_lines(30, start=100)))  # refilled past the old offset
    resumed = follower_of(log)
    resumed.resume(positions)
    assert drain(resumed) == b"unread\n" + b"".join(numbered_lines(30, start=100))


def test_resume_when_the_file_is_gone_says_what_was_lost(tmp_path: Path) -> None:
    """A checkpoint file that is nowhere to be found: a notice, and the new file read from its start."""
    log = tmp_path / "access.log"
    log.write_bytes(b"old\n")
    first = follower_of(log)
    drain(first)
    positions = first.positions()
    first.close()
    log.unlink()
    log.write_bytes(b"brand new\n")
    resumed = follower_of(log)
    assert resumed.resume(positions) is None
    assert drain(resumed) == b"brand new\n"
    assert any(notice.startswith("lost:") for notice in resumed.notices)


def test_two_rotations_between_two_reads_lose_nothing(tmp_path: Path) -> None:
    """Rotated twice between reads: the old file's rest, the file in between whole, then the new one."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a1\n")
    follower = follower_of(log)
    assert drain(follower) == b"a1\n"
    append(log, b"a2\n")
    os.rename(log, tmp_path / "access.log.1")
    log.write_bytes(b"b1\n")
    os.rename(tmp_path / "access.log.1", tmp_path / "access.log.2")
    os.rename(log, tmp_path / "access.log.1")
    log.write_bytes(b"c1\n")
    assert drain(follower) == b"a2\nb1\nc1\n"


# ----- a server that does not reopen its log, a reader that lags (rotation under load) -------------


def rotate(log: Path, generations: int) -> None:
    """logrotate with `create`: access.log.N -> N+1, ..., access.log -> .1, a new empty access.log."""
    folder = log.parent
    for number in range(generations, 0, -1):
        older = folder / f"access.log.{number}"
        if older.exists():
            os.rename(older, folder / f"access.log.{number + 1}")
    os.rename(log, folder / "access.log.1")
    log.write_bytes(b"")


def test_released_files_in_a_checkpoint_are_known_after_a_restart(tmp_path: Path) -> None:
    """The checkpoint keeps released files: rotated again while down, they are not read whole."""
    log = tmp_path / "access.log"
    log.write_bytes(b"old 1\n")
    clock = Ticker()
    first = follower_of(log, clock, rotate_wait=1)
    drain(first)
    rotate(log, 1)
    append(log, b"new 1\n")
    drain(first)
    clock.time += 2
    drain(first)
    positions = first.positions()
    assert [p.released for p in positions] == [True, False]
    first.close()
    rotate(log, 2)  # while down: old (released) -> .2, new -> .1
    append(log, b"newest\n")
    resumed = follower_of(log, clock, rotate_wait=1)
    resumed.resume(positions)
    assert drain(resumed) == b"newest\n"
    assert not any("whole" in notice for notice in resumed.notices)
