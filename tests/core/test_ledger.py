"""The ledger files each line under the report of its own second, whatever the batches: the
reports equal one groupby of all the lines by report second; late, far-future and rejected
lines go in the next report written; a restart re-files exactly what was not yet reported."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.ledger import FUTURE, SECTIONS_KEPT, Ledger, report_ends, report_start
from analyzer.core.stats import OTHER, summarize_counted
from analyzer.formats.clf import parse
from tests.conftest import clf_line

T0 = 1_764_300_000
GARBAGE_LINE = b"not a log line\n"


def ledger() -> tuple[Ledger, dict[str, Vocabulary]]:
    vocabularies = {name: Vocabulary() for name in TEXT}
    return Ledger(vocabularies, 10), vocabularies


def file_lines(
    book: Ledger,
    vocabularies: dict[str, Vocabulary],
    data: bytes,
    warm: bool = False,
    horizon: int | None = None,
) -> None:
    parsed = parse(data)
    request_at = parsed.request_at() if parsed.rejected else np.zeros(0, np.int64)
    rows = compact(parsed.frame, vocabularies)
    book.file(rows, parsed.rejected_at, request_at, warm, parsed.rejected, horizon)


def lines(seconds: list[int]) -> bytes:
    return b"".join(clf_line(second) for second in seconds)


def test_a_report_counts_the_seconds_after_the_one_before_up_to_its_own() -> None:
    assert report_ends(np.array([T0 - 9, T0 - 1, T0, T0 + 1]), 10).tolist() == [T0, T0, T0, T0 + 10]
    assert report_start(T0 + 9, 10) == T0
    book, vocabularies = ledger()
    book.reported_to = T0
    file_lines(book, vocabularies, lines([T0 + 1, T0 + 10, T0 + 11, T0 + 25]))
    assert book.due(T0 + 9) == []
    assert book.due(T0 + 24) == [T0 + 10, T0 + 20]
    counted, rejected, _ = book.close(T0 + 10)
    assert (counted.requests, rejected) == (2, 0)
    assert book.close(T0 + 20)[0].requests == 1
    assert book.unreported() == 1


@given(
    offsets=st.lists(st.integers(0, 95), min_size=1, max_size=80),
    cuts=st.lists(st.integers(1, 20), max_size=10),
    late_by=st.integers(0, 5),
)
def test_reports_equal_one_groupby_of_every_line_whatever_the_batches(
    offsets: list[int], cuts: list[int], late_by: int
) -> None:
    """Lines arriving up to `late_by` seconds out of order, read in any batches, with each
    report closed once the horizon (the newest line minus `late_by`) passed it."""
    seconds = sorted(T0 + offset for offset in offsets)
    rng = np.random.default_rng(len(offsets) + late_by)
    order = np.argsort(np.array(seconds) + rng.integers(0, late_by + 1, len(seconds)), kind="stable")
    arrival = [seconds[i] for i in order]
    book, vocabularies = ledger()
    book.reported_to = report_start(T0 - 1, 10)
    rows: dict[int, int] = {}
    start = 0
    for cut in [*cuts, len(arrival)]:
        batch = arrival[start : start + cut]
        start += len(batch)
        if batch:
            file_lines(book, vocabularies, lines(batch))
        newest = max(arrival[:start], default=T0)
        for second in book.due(newest - late_by - 1):
            rows[second] = book.close(second)[0].requests
        if start >= len(arrival):
            break
    for second in book.due(max(arrival) + 10):
        rows[second] = book.close(second)[0].requests
    expected = dict(zip(*np.unique(report_ends(np.array(seconds), 10), return_counts=True), strict=True))
    assert {k: v for k, v in rows.items() if v} == {int(k): int(v) for k, v in expected.items()}


def test_a_replay_asks_for_no_empty_report_and_its_reports_count_the_same() -> None:
    """The live monitor writes the empty report the horizon passed (a quiet log was watched); a
    replay writes only those with lines and does not ask for the others: the same counts."""
    counts: list[dict[int, int]] = []
    for quiet in (True, False):
        book, vocabularies = ledger()
        book.reported_to = T0
        file_lines(book, vocabularies, lines([T0 + 1, T0 + 2]) + GARBAGE_LINE + lines([T0 + 35]))
        reports: dict[int, int] = {}
        for horizon in (T0 + 24, T0 + 31, T0 + 44, T0 + 59):
            for second in book.due(horizon, quiet):
                counted, rejected, _ = book.close(second)
                reports[second] = counted.requests + rejected
        counts.append(reports)
    assert counts[0] == {T0 + 10: 3, T0 + 20: 0, T0 + 30: 0, T0 + 40: 1, T0 + 50: 0}
    assert counts[1] == {T0 + 10: 3, T0 + 40: 1}


def test_a_late_line_and_one_far_ahead_go_in_the_next_report() -> None:
    book, vocabularies = ledger()
    book.reported_to = T0 + 20
    file_lines(book, vocabularies, lines([T0 + 3, T0 + 20 + FUTURE + 1, T0 + 25]), horizon=T0 + 20)
    counted, _, _ = book.close(T0 + 30)
    assert counted.requests == 3
    replayed, vocabularies = ledger()  # a replay hands each line at its own second: no horizon
    replayed.reported_to = T0 + 20
    file_lines(replayed, vocabularies, lines([T0 + 25, T0 + 20 + FUTURE + 1]))
    assert replayed.close(T0 + 30)[0].requests == 1


def test_a_rejected_line_goes_with_the_request_before_it() -> None:
    book, vocabularies = ledger()
    book.reported_to = T0
    file_lines(book, vocabularies, b"junk first\n" + lines([T0 + 5]) + b"junk\n" + lines([T0 + 15]))
    file_lines(book, vocabularies, b"junk after\n")
    assert book.close(T0 + 10)[1] == 2  # the one before any request goes with the first one
    assert book.close(T0 + 20)[1] == 1  # in the next batch: with the last request read, at +15


def test_a_restart_refiles_what_the_last_report_did_not_count() -> None:
    """Read back at start: lines stamped after the last report are filed again, the others
    were counted before; without a report on record nothing read back is counted."""
    data = lines([T0 + 1, T0 + 9, T0 + 12, T0 + 19]) + b"junk\n"
    fresh, vocabularies = ledger()
    file_lines(fresh, vocabularies, data, warm=True)
    assert fresh.unreported() == 0
    book, vocabularies = ledger()
    book.reported_to = T0 + 10
    file_lines(book, vocabularies, data, warm=True)
    counted, rejected, _ = book.close(T0 + 20)
    assert (counted.requests, rejected) == (2, 1)


def test_the_reports_go_back_only_with_a_clock_set_back_a_long_way() -> None:
    book, vocabularies = ledger()
    book.reported_to = T0 + 1000
    file_lines(book, vocabularies, lines([T0 + 1005]))
    assert book.due(T0 + 900) == []  # wavering: the reports wait
    assert book.due(T0 + 100) == []  # set back: they go on from the new time ...
    assert book.due(T0 + 110) == [T0 + 110]  # ... and what was held goes in the next report
    assert book.close(T0 + 110)[0].requests == 1


def test_a_rejected_line_read_back_with_no_request_before_it_was_counted_before() -> None:
    """The run before filed it with a request this read-back does not hold: never twice."""
    book, vocabularies = ledger()
    book.reported_to = T0 + 10
    file_lines(book, vocabularies, GARBAGE_LINE + lines([T0 + 12]) + GARBAGE_LINE, warm=True)
    assert book.close(T0 + 20)[1] == 1  # only the one after the request at +12


def test_a_stop_writes_the_reports_of_what_is_held_each_its_own() -> None:
    book, vocabularies = ledger()
    book.reported_to = T0
    file_lines(book, vocabularies, lines([T0 + 3, T0 + 14, T0 + 15, T0 + 500]))
    assert book.held_reports(at_most=T0 + 20) == [T0 + 10, T0 + 20]  # +500: left for the next start


def test_judged_seconds_keep_their_top_keys_and_the_sections_more_of_them() -> None:
    """Sealed with the window: a host seen once of 1,500 is dropped (its hit counted under no
    key), a section kept while a second holds at most SECTIONS_KEPT; the report's sections and
    their `(other)` still sum to its requests."""
    book, vocabularies = ledger()
    book.reported_to = T0
    scan = [clf_line(T0 + 1, path=f"/s{i % 900}/x", host=f"10.1.{i >> 8}.{i & 255}") for i in range(1500)]
    file_lines(book, vocabularies, b"".join(scan) + clf_line(T0 + 1, path="/api/x") * 40)
    book.seal(T0 + 1)
    counted, _, _ = book.close(T0 + 10)
    assert counted.requests == 1540 and counted.dropped["host"] == 1500
    assert counted.host.sum() == 40 and counted.errors["host"] == 1  # the 101st host's count
    assert counted.section.sum() == 1540 and counted.dropped["section"] == 0  # 901 sections
    crowded, vocabularies = ledger()
    crowded.reported_to = T0
    scan = [clf_line(T0 + 1, path=f"/s{i}/x") for i in range(SECTIONS_KEPT + 1)]
    file_lines(crowded, vocabularies, b"".join(scan) + clf_line(T0 + 1, path="/api/x") * 2)
    crowded.seal(T0 + 1)
    counted, _, _ = crowded.close(T0 + 10)
    summary = summarize_counted(counted, 10, vocabularies, section_limit=100)
    assert summary.sections.index.tolist() == ["/api", OTHER]
    assert summary.sections.tolist() == [2, SECTIONS_KEPT + 1]
