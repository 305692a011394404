"""How a file is recognised: identity by inode, fingerprint by its first bytes."""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.follow.fileid import FINGERPRINT_BYTES, Fingerprint, Identity, head_of, read_head


def test_identity_survives_a_rename_and_differs_for_a_new_file(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"a\n")
    before = Identity.of(os.stat(log))
    log.rename(tmp_path / "access.log.1")
    assert Identity.of(os.stat(tmp_path / "access.log.1")) == before
    log.write_bytes(b"a\n")
    assert Identity.of(os.stat(log)) != before


def test_a_fingerprint_matches_the_same_start_and_any_longer_file() -> None:
    head = b'10.0.0.1 - - [28/Nov/2026:03:10:05 +0000] "GET / HTTP/1.1" 200 5\n'
    printed = Fingerprint.of(head)
    assert printed.distinct  # a whole first line: its timestamp tells logs apart
    assert printed.matches(head + b"more lines\n")
    assert not printed.matches(head[:-5])  # shorter than what was seen
    assert not printed.matches(head.replace(b"03:10", b"03:11"))


def test_a_few_bytes_of_a_first_line_are_not_distinct() -> None:
    """`10.0.0.1 - -` starts many logs alike: no copy can be recognised by it."""
    assert not Fingerprint.of(b"10.0.0.1 - -").distinct
    assert not Fingerprint().distinct and Fingerprint().matches(b"anything")
    assert Fingerprint.of(b"x" * 1000).length == FINGERPRINT_BYTES
    assert Fingerprint.of(b"x" * 1000).distinct


def test_heads_are_read_without_moving_the_file_position(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"y" * (FINGERPRINT_BYTES + 10))
    with open(log, "rb") as handle:
        handle.seek(7)
        assert read_head(handle.fileno()) == b"y" * FINGERPRINT_BYTES
        assert handle.tell() == 7
    assert head_of(str(log)) == b"y" * FINGERPRINT_BYTES
