"""Old files: drained to their end, let go once idle, known by identity ever after."""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.follow.drain import OldFiles, ReadCounts, read_lines
from analyzer.follow.source import Source, open_binary
from tests.follow.test_tail import Ticker, append, drain, follower_of, numbered_lines, rotate


def test_rename_and_create_drains_the_old_file_until_it_stops_growing(tmp_path: Path) -> None:
    """After a rename the new file is read at once, and the old one for as long as it grows.

    It is let go only once read to its end and idle for rotate_wait; a server still writing
    it after that wait is named in the status.
    """
    log, old = tmp_path / "access.log", tmp_path / "access.log.1"
    log.write_bytes(b"a1\na2\n")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=5)
    assert drain(follower) == b"a1\na2\n"
    with open(log, "ab") as server:  # the server's handle: it keeps writing to the old file
        server.write(b"a3\n")
        os.rename(log, old)
        log.write_bytes(b"b1\n")
        server.write(b"a4\npart")
        server.flush()
        assert drain(follower) == b"a3\na4\nb1\n", "the old file's rest comes before the new file"
        assert follower.restarts == 1 and len(follower.draining) == 1
        assert follower.describe() == "following; still reading 1 old file(s) for 5 s more"
        clock.time += 4.9
        server.write(b"ial\n")
        server.flush()
        append(log, b"b2\n")
        assert drain(follower) == b"partial\nb2\n"
        clock.time += 0.2
        server.write(b"a5\n")
        server.flush()
        assert drain(follower) == b"a5\n", "past the wait but still growing: still read"
        clock.time += 1
        server.write(b"a6\n")
        server.flush()
        assert drain(follower) == b"a6\n"
        assert "still written after rotation: access.log.1" in follower.describe()
        assert any(n.startswith("still written after rotation: access.log.1") for n in follower.notices)
        clock.time += 4.9
        assert drain(follower) == b"" and len(follower.draining) == 1, "idle for less than the wait"
        clock.time += 0.2
        assert drain(follower) == b"" and follower.draining == [], "idle for the wait: let go"
        assert follower.describe() == "following"
    assert any("rotated" in notice for notice in follower.notices)


def test_a_lagging_reader_finishes_an_old_file_before_letting_it_go(tmp_path: Path) -> None:
    """Far behind in a rotated file (reads bounded by poll_bytes), it is read to its end however
    long that takes: the wait counts from the last read that found data, never from the rotation."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=2, poll_bytes=64)
    lines = numbered_lines(200)
    append(log, b"".join(lines))
    read = drain(follower)
    rotate(log, 1)
    while len(follower.draining) or follower.behind:
        clock.time += 10  # each poll comes far later than the wait
        read += drain(follower)
        assert clock.time < 1000 + 10 * 1000, "never caught up"
    assert read.splitlines(keepends=True) == lines


def test_an_old_file_still_written_through_two_rotations_is_read_to_its_end_once(tmp_path: Path) -> None:
    """A server that never reopens keeps writing the first file as it is renamed .1, then .2:
    every line is read once, and the empty files logrotate created are nothing to read."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=5)
    written, read = b"", b""
    with open(log, "ab") as server:
        for step in range(30):
            line = f"line {step}\n".encode()
            server.write(line)
            server.flush()
            written += line
            if step in (10, 20):
                rotate(log, 3)
            clock.time += 1
            read += drain(follower)
    assert read == written
    assert not any("whole" in notice for notice in follower.notices)
    assert "still written after rotation: access.log.2" in follower.describe()
    clock.time += 6
    assert drain(follower) == b"" and follower.draining == []


def test_a_released_file_renamed_again_is_not_read_again(tmp_path: Path) -> None:
    """Released after its wait, the old file is renamed .1 -> .2 at the next rotation: it is
    known by identity and not taken for a file rotated in between."""
    log = tmp_path / "access.log"
    log.write_bytes(b"first 1\nfirst 2\n")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1)
    assert drain(follower) == b"first 1\nfirst 2\n"
    rotate(log, 1)
    append(log, b"second 1\n")
    assert drain(follower) == b"second 1\n"
    clock.time += 2
    assert drain(follower) == b"" and follower.draining == []
    (released,) = [p for p in follower.positions() if p.released]
    append(log, b"second 2\n")
    rotate(log, 2)  # .1 (released) -> .2, access.log -> .1, a new access.log
    append(log, b"third 1\n")
    assert drain(follower) == b"second 2\nthird 1\n"
    assert not any("whole" in notice for notice in follower.notices)
    assert released.identity in {p.identity for p in follower.positions()}


def test_a_released_file_that_grows_again_is_read_from_where_it_was_left(tmp_path: Path) -> None:
    """A quiet server writes the rotated file again after it was let go: its new lines are read
    at the next poll, from the offset it was left at, also after it was renamed again."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a1\n")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1)
    with open(log, "ab") as server:
        assert drain(follower) == b"a1\n"
        rotate(log, 1)
        clock.time += 2
        drain(follower)
        clock.time += 2
        assert drain(follower) == b"" and follower.draining == []
        server.write(b"a2 late\n")
        server.flush()
        assert drain(follower) == b"a2 late\n"
        assert any("it was written after it was let go" in notice for notice in follower.notices)
        clock.time += 2
        assert drain(follower) == b"" and follower.draining == []
        rotate(log, 2)
        server.write(b"a3 later\n")
        server.flush()
        assert drain(follower) == b"a3 later\n"


def test_a_released_file_renamed_by_a_copytruncate_and_written_again_is_read(tmp_path: Path) -> None:
    """The server kept the rotated file; a copytruncate of the live file then shifts it .1 -> .2
    (the live file is not replaced, so no rotation is seen). Written again after it was let go,
    it is found under its new name and read from where it was left."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a1\n")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1)
    with open(log, "ab") as server:
        assert drain(follower) == b"a1\n"
        rotate(log, 1)  # access.log -> .1 (the server's file), a new empty access.log
        assert drain(follower) == b""
        os.rename(tmp_path / "access.log.1", tmp_path / "access.log.2")  # copytruncate's shift
        (tmp_path / "access.log.1").write_bytes(log.read_bytes())  # its copy of the live file
        os.truncate(log, 0)
        clock.time += 2
        assert drain(follower) == b"" and follower.draining == []
        server.write(b"a2 late\n")
        server.flush()
        assert drain(follower) == b"a2 late\n"
        assert follower.draining[0].name == str(tmp_path / "access.log.2")
        clock.time += 2
        assert drain(follower) == b"" and follower.draining == []
        (tmp_path / "access.log.2").unlink()  # logrotate's `rotate N` deletes it: forgotten
        assert drain(follower) == b""
        assert not [p for p in follower.positions() if p.released]


def test_an_old_file_written_past_rotate_max_is_let_go_saying_so(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1, rotate_max=10)
    with open(log, "ab") as server:
        drain(follower)
        rotate(log, 1)
        for second in range(12):
            server.write(f"a{second}\n".encode())
            server.flush()
            clock.time += 1
            drain(follower)
    assert follower.draining == []
    assert any(n.startswith("stopped reading access.log.1: still written 10 s") for n in follower.notices)


def test_read_lines_counts_and_says_whether_it_found_bytes(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"one\ntwo\nthr")
    source = Source(open_binary(str(log)), str(log), 0, max_line_bytes=1 << 10)
    counts = ReadCounts()
    try:
        reader = read_lines(source, 1 << 10, 5, counts)
        assert b"".join(reader) == b"one\n" and counts.behind  # stopped at its budget of 5 bytes
        counts.behind = False  # the follower starts each poll afresh; a poll's reads add up
        reader = read_lines(source, 1 << 10, 1 << 10, counts)
        assert b"".join(reader) == b"two\n" and not counts.behind
        assert counts.lines == 2
        found = read_lines(source, 1 << 10, 1 << 10, counts)
        assert list(found) == []
    finally:
        source.close()


def test_old_files_describe_their_wait_and_forget_deleted_releases(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    (tmp_path / "access.log.1").write_bytes(b"x\n")
    said: list[str] = []

    def open_at(name: str, offset: int) -> Source | None:
        return Source(open_binary(name), name, offset, 1 << 10)

    old = OldFiles(str(log), rotate_wait=3, rotate_max=60, say=said.append, open_at=open_at)
    source = open_at(str(tmp_path / "access.log.1"), 0)
    assert source is not None
    old.add(source, now=100.0)
    assert old.describe(101.0) == "still reading 1 old file(s) for 2 s more"
    counts = ReadCounts()
    assert b"".join(old.read(101.0, 1 << 10, 1 << 10, counts)) == b"x\n"
    assert b"".join(old.read(104.0, 1 << 10, 1 << 10, counts)) == b""
    assert old.draining == [] and old.describe(104.0) == ""
    assert [p.released for p in old.positions()] == [True]
    os.unlink(tmp_path / "access.log.1")
    old.refresh(frozenset(), 105.0)
    assert old.positions() == [] and said == []


def test_a_released_file_newer_than_the_one_rotated_twice_is_not_read_whole(tmp_path: Path) -> None:
    """The double count seen under load: the server kept writing the first file after its
    rotation, so it is newer than the file logrotate created; when two rotations pass between
    two reads, the files "rotated in between" are those newer than the last live one, and the
    first file is among them. Released already, it is known and not read again."""
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    clock = Ticker()
    follower = follower_of(log, clock, rotate_wait=1)
    with open(log, "ab") as server:
        server.write(b"a1\n")
        server.flush()
        assert drain(follower) == b"a1\n"
        rotate(log, 1)  # A -> .1, B created; the server stays on A
        assert drain(follower) == b""
        server.write(b"a2\n")  # A is now newer than B
        server.flush()
        clock.time += 1
        assert drain(follower) == b"a2\n"
        clock.time += 2
        assert drain(follower) == b"" and follower.draining == []  # A let go
    os.utime(log, (1, 1))  # B: older than A, as logrotate's `create` made it before A's last line
    rotate(log, 2)
    append(log, b"c1\n")
    rotate(log, 3)
    append(log, b"d1\n")
    assert drain(follower) == b"c1\nd1\n"
    assert [n for n in follower.notices if "whole" in n] == [
        f"reading {tmp_path}/access.log.1 whole: it was rotated in between"
    ]
