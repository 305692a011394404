"""Finding a followed file's earlier content beside it: rotated names, identity and copies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analyzer.follow.fileid import Fingerprint, Identity, head_of
from analyzer.follow.rotation import find_by_identity, find_copy, newer_rotated, rotated_siblings


def set_mtime(path: Path, second: int) -> None:
    os.utime(path, ns=(second * 10**9, second * 10**9))


def test_rotated_siblings_are_oldest_first_and_never_compressed(tmp_path: Path) -> None:
    """`.N` and `-DATE` generations, oldest first; `.gz` and unrelated names are left out."""
    log = tmp_path / "access.log"
    log.write_bytes(b"now\n")
    for name, second in [("access.log.2", 100), ("access.log.1", 200), ("access.log-20261128", 150)]:
        (tmp_path / name).write_bytes(b"x\n")
        set_mtime(tmp_path / name, second)
    ignored = ("access.log.3.gz", "access.log-20261127.bz2", "access.logx", "access.log.bak", "other.log.1")
    for name in ignored:
        (tmp_path / name).write_bytes(b"x\n")
    names = [os.path.basename(path) for path in rotated_siblings(str(log))]
    assert names == ["access.log.2", "access.log-20261128", "access.log.1"]


def test_same_mtime_orders_by_logrotate_number(tmp_path: Path) -> None:
    """Within one tick of the file system clock `.2` is older than `.1`."""
    log = tmp_path / "access.log"
    for name in ("access.log.1", "access.log.2", "access.log.10"):
        (tmp_path / name).write_bytes(b"x\n")
        set_mtime(tmp_path / name, 100)
    names = [os.path.basename(path) for path in rotated_siblings(str(log))]
    assert names == ["access.log.10", "access.log.2", "access.log.1"]


def test_find_by_identity_follows_a_rename(tmp_path: Path) -> None:
    """The renamed file is found by (device, inode), whatever its new name."""
    log = tmp_path / "access.log"
    log.write_bytes(b"a\n")
    identity = Identity.of(log.stat())
    os.rename(log, tmp_path / "access.log-20261128")
    log.write_bytes(b"b\n")
    assert find_by_identity(str(log), identity) == str(tmp_path / "access.log-20261128")
    assert find_by_identity(str(tmp_path / "gone" / "x.log"), identity) is None


def test_find_copy_needs_the_same_start_and_enough_bytes(tmp_path: Path) -> None:
    """A copytruncate copy is found by its first bytes, only if it reaches the offset."""
    log = tmp_path / "access.log"
    log.write_bytes(b"first line\nsecond\n")
    fingerprint = Fingerprint.of(head_of(str(log)))
    shutil.copyfile(log, tmp_path / "access.log.1")
    (tmp_path / "access.log.2").write_bytes(b"another file entirely\n")
    os.truncate(log, 0)
    assert find_copy(str(log), fingerprint, 18) == str(tmp_path / "access.log.1")
    assert find_copy(str(log), fingerprint, 19) is None
    assert find_copy(str(log), Fingerprint.of(b""), 0) is None, "an empty fingerprint matches anything"


def test_newer_rotated_lists_the_generations_after_a_file(tmp_path: Path) -> None:
    """After two rotations the file between the checkpoint's and the current one is listed."""
    log = tmp_path / "access.log"
    for name, second in [("access.log.3", 100), ("access.log.2", 200), ("access.log.1", 300)]:
        (tmp_path / name).write_bytes(name.encode() + b"\n")
        set_mtime(tmp_path / name, second)
    skip = {Identity.of((tmp_path / "access.log.1").stat())}
    assert newer_rotated(str(log), str(tmp_path / "access.log.3"), set()) == [
        str(tmp_path / "access.log.2"),
        str(tmp_path / "access.log.1"),
    ]
    assert newer_rotated(str(log), str(tmp_path / "access.log.3"), skip) == [str(tmp_path / "access.log.2")]
    assert newer_rotated(str(log), str(tmp_path / "elsewhere.log"), set()) == []
