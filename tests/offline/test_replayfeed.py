"""A replay's feed hands each request at its own second, in time order, and each rejected line
or directive at the second of the request before it in the file, as backtest files them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from analyzer.formats.clf import parse
from analyzer.formats.columns import seconds_of
from analyzer.offline.replayfeed import ReplayFeed, interleaved
from tests.conftest import clf_line

T0 = 1_764_300_000
GARBAGE = b"not a log line\n"


REJECTED = "rejected"


def handed(path: Path, steps: list[int]) -> list[tuple[int, list[int | str]]]:
    """At each clock second, what the feed hands: its lines in batch order, a request as its
    second, a rejected line as REJECTED (where the ledger reads it: after the request before)."""
    clock = [float(steps[0])]
    feed = ReplayFeed(str(path), "combined", None, lambda: clock[0])
    found: list[tuple[int, list[int | str]]] = []
    for second in steps:
        clock[0] = float(second)
        for parsed in feed.read():
            lines: list[int | str] = [REJECTED] * parsed.lines
            for at, request in zip(parsed.request_at(), seconds_of(parsed.frame).tolist(), strict=True):
                lines[at] = request
            assert sorted(parsed.rejected_at.tolist()) == [i for i, x in enumerate(lines) if x == REJECTED]
            found.append((second, lines))
    assert feed.exhausted
    return found


def test_requests_come_in_time_order_and_rejected_lines_after_the_request_before_them(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(
        GARBAGE  # before any request: with the first one (T0 + 5)
        + clf_line(T0 + 5)
        + clf_line(T0 + 2)  # out of order: handed before T0 + 5
        + GARBAGE  # after the line at T0 + 2: handed at T0 + 2
        + clf_line(T0 + 30)
        + GARBAGE * 2  # after the line at T0 + 30
    )
    assert handed(log, [T0, T0 + 10, T0 + 40]) == [
        (T0 + 10, [T0 + 2, REJECTED, T0 + 5, REJECTED]),  # one batch a read
        (T0 + 40, [T0 + 30, REJECTED, REJECTED]),
    ]


def test_a_file_of_rejected_lines_only_hands_them_at_once_when_read(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(GARBAGE * 3)
    assert handed(log, [T0]) == [(T0, [REJECTED] * 3)]


@given(
    st.lists(st.integers(0, 20), max_size=12).map(sorted),
    st.lists(st.tuples(st.integers(-1, 21), st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=8),
)
def test_one_batch_a_read_files_every_other_line_after_the_requests_up_to_its_second(
    requests: list[int], others: list[tuple[int, int, int]]
) -> None:
    """The requests of a read (in time order) and the batches of rejected lines and directives
    due in it (ascending by second, in file order within one) as one batch: each batch's
    lines right after the requests up to its second, in order, every line once."""
    frame = parse(b"".join(clf_line(T0 + second) for second in requests)).frame
    placed = []
    for second, rejected, directives in sorted(others, key=lambda other: other[0]):
        empty = parse(GARBAGE * rejected)
        empty.directive_at = np.arange(rejected, rejected + directives)
        empty.lines += directives
        placed.append((T0 + second, empty))
    batch = interleaved(frame, seconds_of(frame), placed)
    layout: list[object] = [None] * batch.lines
    for at, second in zip(batch.request_at(), seconds_of(frame).tolist(), strict=True):
        layout[at] = second
    expected: list[object] = []
    waiting = [T0 + second for second in requests]
    for second, empty in placed:
        while waiting and waiting[0] <= second:
            expected.append(waiting.pop(0))
        expected += [REJECTED] * empty.rejected + ["directive"] * empty.directives
    expected += waiting
    for at in batch.rejected_at.tolist():
        layout[at] = REJECTED
    for at in batch.directive_at.tolist():
        layout[at] = "directive"
    assert layout == expected
    assert batch.rejects == [reject for _, empty in placed for reject in empty.rejects]
