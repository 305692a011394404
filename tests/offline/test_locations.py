"""Where logs are: local paths, globs and fsspec URLs; one line for each thing that is wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from analyzer.offline.locations import InputError, expand_paths, read_error
from analyzer.offline.reader import check_log
from tests.conftest import lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
LOG = lines_at(range(T0, T0 + 20))


def test_globs_expand_sorted_in_the_order_given_and_an_empty_one_is_an_error(tmp_path: Path) -> None:
    """Each pattern's files sorted, directories left out; a path that exists is taken as written."""
    for name in ("b.log", "a.log", "c.log.gz", "star*.log"):
        (tmp_path / name).write_bytes(LOG)
    (tmp_path / "d.log").mkdir()
    given = [str(tmp_path / "c.log*"), str(tmp_path / "?.log"), str(tmp_path / "star*.log")]
    assert expand_paths(given) == [
        str(tmp_path / name) for name in ("c.log.gz", "a.log", "b.log", "star*.log")
    ]
    with pytest.raises(InputError, match=r"x\*\.log: no file matches this pattern$"):
        expand_paths([str(tmp_path / "a.log"), str(tmp_path / "x*.log")])


def test_a_url_without_its_filesystem_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown protocol, or no fsspec at all: one line naming the URL (and the extra)."""
    with pytest.raises(InputError, match=r"^nope://bucket/a\.log: .*nope"):
        check_log("nope://bucket/a.log")
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(InputError, match=r"^s3://bucket/\*\.log: reading URLs needs fsspec: pip install"):
        expand_paths(["s3://bucket/*.log"])


def test_a_read_error_is_one_line_naming_the_file() -> None:
    assert (
        str(read_error("a.log", PermissionError(13, "Permission denied")))
        == "a.log: cannot read: Permission denied"
    )
    assert (
        str(read_error("b.gz", EOFError("Compressed file ended")))
        == "b.gz: cannot read: Compressed file ended"
    )
