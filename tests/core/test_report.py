"""A file's line keeps the lines read back at start apart from those read since."""

from __future__ import annotations

from analyzer.core.report import FileStatus

T0 = 1_764_300_000


def test_a_file_s_status_counts_read_back_lines_apart() -> None:
    status = FileStatus("access.log", 482, 0, T0, "following", warm=6629)
    assert (status.lines, status.warm) == (482, 6629)
    assert FileStatus("access.log", 1, 0, None, "waiting").warm == 0
