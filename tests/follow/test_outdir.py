"""The output directory written safely: no write through a link, no planted temporary name,
modes bounded whatever the umask, root refusing a directory others can write, one writer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from analyzer.follow import outdir
from analyzer.follow.checkpoint import CHECKPOINT_NAME, Checkpoint, Keeper, load, save
from analyzer.follow.outdir import Lock, UnsafeOutput, check_owner, open_append, write_atomic


def test_an_output_planted_as_a_link_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("secret\n")
    victim.chmod(0o600)
    (tmp_path / "alerts.csv").symlink_to(victim)
    with pytest.raises(UnsafeOutput, match="a symbolic link"):
        open_append(tmp_path / "alerts.csv")
    assert victim.read_text() == "secret\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600


def test_a_fifo_planted_as_an_output_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "stats.csv")
    with pytest.raises(UnsafeOutput, match="not a regular file"):
        open_append(tmp_path / "stats.csv")


def test_the_checkpoint_never_writes_through_a_planted_temporary_name(tmp_path: Path) -> None:
    """The old fixed `checkpoint.json.tmp` planted as a link to a root-only file: untouched."""
    victim = tmp_path / "shadow"
    victim.write_text("root:x\n")
    victim.chmod(0o600)
    (tmp_path / (CHECKPOINT_NAME + ".tmp")).symlink_to(victim)
    keeper = Keeper(tmp_path / CHECKPOINT_NAME, "10/120/None")
    keeper.start({}, 0)
    keeper.save(100, False)
    save(tmp_path / CHECKPOINT_NAME, Checkpoint("r", 5, True, 0))
    assert victim.read_text() == "root:x\n"
    saved, warning = load(tmp_path / CHECKPOINT_NAME)
    assert warning is None and saved is not None and saved.evaluated_to == 5
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")], "no temporary left"


def test_a_checkpoint_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.json").write_text('{"version": 1}')
    (tmp_path / CHECKPOINT_NAME).symlink_to(tmp_path / "elsewhere.json")
    saved, warning = load(tmp_path / CHECKPOINT_NAME)
    assert saved is None and warning is not None and "cannot read the checkpoint" in warning


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_new_files_are_0644_at_most_and_raw_lines_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        os.close(open_append(tmp_path / "stats.csv"))
        os.close(open_append(tmp_path / "rejects.log", outdir.PRIVATE_MODE))
        write_atomic(tmp_path / CHECKPOINT_NAME, b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "stats.csv").stat().st_mode) == 0o644 & ~umask
    assert stat.S_IMODE((tmp_path / "rejects.log").stat().st_mode) == 0o600 & ~umask
    assert stat.S_IMODE((tmp_path / CHECKPOINT_NAME).stat().st_mode) == 0o600


def test_root_refuses_a_directory_another_user_can_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    shared = tmp_path / "shared"
    shared.mkdir()
    tmp_path.chmod(0o755)
    shared.chmod(0o777)
    with pytest.raises(UnsafeOutput, match=r"writable by another user .*mode 0777"):
        check_owner(shared)
    shared.chmod(0o755)
    if os.getuid() == 0:
        check_owner(shared)  # root's own, 0755: fine
        os.chown(shared, 65534, 65534)
        with pytest.raises(UnsafeOutput, match="owner uid 65534"):
            check_owner(shared)


def test_one_writer_per_directory_named_by_its_pid(tmp_path: Path) -> None:
    first = Lock(tmp_path)
    with pytest.raises(UnsafeOutput, match=rf"another analyzer \(pid {os.getpid()}\) writes there"):
        Lock(tmp_path)
    first.release()
    Lock(tmp_path).release()  # free again once released
