"""What arrived since the last report is counted from the rows it holds; a file's line keeps
the lines read back at start apart from those read since."""

from __future__ import annotations

from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.report import Counters, FileStatus
from analyzer.formats.clf import parse
from tests.conftest import lines_at

T0 = 1_764_300_000


def test_the_requests_pending_are_the_rows_of_every_batch() -> None:
    vocabularies = {name: Vocabulary() for name in TEXT}
    counters = Counters()
    assert counters.requests == 0
    counters.rows.append(compact(parse(lines_at(range(T0, T0 + 3))).frame, vocabularies))
    counters.rows.append(compact(parse(lines_at([T0] * 4)).frame, vocabularies))
    assert counters.requests == 7


def test_a_file_s_status_counts_read_back_lines_apart() -> None:
    status = FileStatus("access.log", 482, 0, T0, "following", warm=6629)
    assert (status.lines, status.warm) == (482, 6629)
    assert FileStatus("access.log", 1, 0, None, "waiting").warm == 0
