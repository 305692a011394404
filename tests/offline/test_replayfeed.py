"""A replay's feed hands each request at its own second, in time order, and each rejected line
or directive at the second of the request before it in the file, as backtest files them."""

from __future__ import annotations

from pathlib import Path

from analyzer.formats.columns import seconds_of
from analyzer.offline.replayfeed import ReplayFeed
from tests.conftest import clf_line

T0 = 1_764_300_000
GARBAGE = b"not a log line\n"


def handed(path: Path, steps: list[int]) -> list[tuple[int, list[int], int]]:
    """At each clock second, what the feed hands: (second, request seconds, rejected lines)."""
    clock = [float(steps[0])]
    feed = ReplayFeed(str(path), "combined", None, lambda: clock[0])
    found = []
    for second in steps:
        clock[0] = float(second)
        for parsed in feed.read():
            found.append((second, seconds_of(parsed.frame).tolist(), parsed.rejected))
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
        (T0 + 10, [T0 + 2], 0),
        (T0 + 10, [], 1),
        (T0 + 10, [T0 + 5], 0),
        (T0 + 10, [], 1),
        (T0 + 40, [T0 + 30], 0),
        (T0 + 40, [], 2),
    ]


def test_a_file_of_rejected_lines_only_hands_them_at_once_when_read(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(GARBAGE * 3)
    assert handed(log, [T0]) == [(T0, [], 3)]
