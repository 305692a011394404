"""Backtest reports: chunks summed per 10 s bucket, merged exactly whatever the chunking, memory bounded."""

from __future__ import annotations

import gzip
import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.core.stats import OTHER
from analyzer.core.tally import bin_values, size_bins
from analyzer.formats.clf import parse, requests
from analyzer.offline.buckets import BucketMerger, ChunkBuckets, Closed, chunk_buckets, request_buckets
from tests.conftest import SHARED_LOGS, clf_line
from tests.formats.test_fast import batches

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a multiple of 10
GARBAGE = b"this is not a log line\n"


def no_request(second: int) -> bytes:
    """A line with a time but request `"-"` (a 408): a hit with no path, hence no section."""
    return clf_line(second, status=408, size="-").replace(b'"GET /pages/create HTTP/1.1"', b'"-"')


def buckets_of(data: bytes) -> ChunkBuckets:
    return chunk_buckets(parse(data, "common"))


def merge(
    chunks: list[bytes], hold: int = 3600, section_limit: int = 100, close_every: int = 8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every report the merger hands out for these chunks, in order: totals and sections."""
    merger = BucketMerger(hold=hold, section_limit=section_limit, close_every=close_every)
    closed = [merger.add(buckets_of(chunk)) for chunk in chunks] + [merger.finish()]
    done = [c for c in closed if c is not None]
    totals = pd.concat([c.totals for c in done]) if done else pd.DataFrame()
    sections = pd.concat([c.sections.frame() for c in done], ignore_index=True) if done else pd.DataFrame()
    return totals, sections


def test_chunk_buckets_by_hand() -> None:
    """Per-second hits, per-bucket totals and sections of one chunk, and where its rejected lines go."""
    data = (
        GARBAGE  # before any good line: leading
        + clf_line(T0 + 1, path="/a/1", status=200, size=100)
        + clf_line(T0 + 1, path="/b", status=404, size=50)
        + GARBAGE  # after the T0 + 1 line: bucket T0
        + clf_line(T0 + 12, path="/a/2", status=500, size="-")
        + no_request(T0 + 13)
    )
    chunk = buckets_of(data)
    assert dict(zip(chunk.seconds.tolist(), chunk.hits.tolist(), strict=True)) == {
        T0 + 1: 2,
        T0 + 12: 1,
        T0 + 13: 1,
    }
    totals = chunk.totals.frame().sort_index()
    assert totals.index.tolist() == [T0 + 10, T0 + 20]  # a report's second ends its 10 s
    assert totals["requests"].tolist() == [2, 2]
    assert totals["rejected"].tolist() == [1, 0]
    assert totals["bytes"].tolist() == [150, 0]  # `-` bytes count 0
    assert totals[["2xx", "3xx", "4xx", "5xx"]].to_numpy().tolist() == [[1, 0, 1, 0], [0, 0, 1, 1]]
    assert chunk.sections.as_dict() == {(T0 + 10, "/a"): 1, (T0 + 10, "/b"): 1, (T0 + 20, "/a"): 1}
    assert chunk.leading_rejected == 1
    assert chunk.last_bucket == T0 + 20


def test_size_percentiles_are_within_the_bin_resolution() -> None:
    """A report's size percentiles come from the live window's log-scale bins: within 1.1%."""
    sizes = [1000] * 50 + [20_000] * 45 + [1_000_000] * 5
    data = b"".join(clf_line(T0 + 1 + i % 10, size=size) for i, size in enumerate(sizes))
    totals, _ = merge([data])
    row = totals.loc[T0 + 10]
    # 50th of 100 sizes: 1000; 90th: 20000; 99th: 1000000 (first size reaching the share)
    assert row["size_p50"] == pytest.approx(1000, rel=0.011)
    assert row["size_p90"] == pytest.approx(20_000, rel=0.011)
    assert row["size_p99"] == pytest.approx(1_000_000, rel=0.011)
    assert np.all(np.abs(bin_values(size_bins(np.array(sizes))) / np.array(sizes) - 1) < 0.011)


def test_sections_keep_the_top_k_and_one_other_row_with_ties_by_name() -> None:
    """Per report: the `section_limit` busiest sections, ties broken by name, the rest in (other)."""
    paths = ["/a"] * 3 + ["/c"] * 2 + ["/b"] * 2 + ["/d"] + ["/x"] * 5
    seconds = [T0] * 8 + [T0 + 10] * 5  # the /x hits are in the next report
    data = b"".join(clf_line(s, path=p) for s, p in zip(seconds, paths, strict=True))
    _, sections = merge([data], section_limit=2)
    assert sections.to_dict("records") == [
        {"bucket": T0, "section": "/a", "hits": 3},
        {"bucket": T0, "section": "/b", "hits": 2},  # /b before /c: same hits, name first
        {"bucket": T0, "section": OTHER, "hits": 3},  # /c 2 + /d 1
        {"bucket": T0 + 10, "section": "/x", "hits": 5},  # nothing left over: no (other) row
    ]


def test_rejected_lines_at_a_chunk_start_go_to_the_good_line_before_them() -> None:
    """Rejected lines opening a chunk, even a chunk of nothing else, go to the last good line before."""
    chunks = [
        clf_line(T0 + 1),
        GARBAGE * 2 + clf_line(T0 + 25),  # 2 -> report T0 + 10 (the line at T0 + 1)
        GARBAGE * 3,  # 3 -> report T0 + 30 (the line at T0 + 25)
        clf_line(T0 + 31) + GARBAGE,  # 1 -> report T0 + 40
    ]
    totals, _ = merge(chunks)
    assert totals["requests"].to_dict() == {T0 + 10: 1, T0 + 30: 1, T0 + 40: 1}
    assert totals["rejected"].to_dict() == {T0 + 10: 2, T0 + 30: 3, T0 + 40: 1}


def test_rejected_lines_before_any_good_line_go_to_the_first_good_line() -> None:
    """Rejected lines before any good line, even whole chunks of them, go to the first good line's report."""
    expected = {T0 + 50: 5, T0 + 60: 0}
    one_chunk = GARBAGE * 2 + GARBAGE * 3 + clf_line(T0 + 41) + clf_line(T0 + 55)
    for chunks in (
        [GARBAGE * 2, GARBAGE * 3, clf_line(T0 + 41) + clf_line(T0 + 55)],  # orphans in chunks of their own
        [GARBAGE * 2, GARBAGE * 3 + clf_line(T0 + 41) + clf_line(T0 + 55)],
        [one_chunk],
    ):
        totals, _ = merge(chunks)
        assert totals["rejected"].to_dict() == expected
        assert totals["requests"].to_dict() == {T0 + 50: 1, T0 + 60: 1}


def test_lines_older_than_the_hold_become_late_in_the_newest_report() -> None:
    """A line more than `hold` behind the newest is counted once, as late, in the newest report."""
    merger = BucketMerger(hold=30, close_every=1)
    assert merger.add(buckets_of(b"".join(clf_line(T0 + i, path="/early") for i in range(6)))) is None
    closed = merger.add(buckets_of(clf_line(T0 + 100, path="/new") * 2))
    # The newest bucket is T0 + 100: buckets before T0 + 70 are final and written out ...
    assert isinstance(closed, Closed)
    assert closed.totals["requests"].to_dict() == {T0: 1, T0 + 10: 5}
    # ... and forgotten: what the merger holds starts at the hold.
    assert min(part.buckets.min() for part in merger.totals) >= T0 + 70
    assert all(part.buckets.min() >= T0 + 70 for part in merger.sections if len(part))
    # A line for T0 + 3 (its report is gone) and a rejected line after it; one at T0 + 95 (in the
    # report of T0 + 100) is in time.
    assert (
        merger.add(buckets_of(clf_line(T0 + 3, path="/old") + GARBAGE + clf_line(T0 + 95, path="/new")))
        is None
    )
    final = merger.finish()
    assert final is not None
    totals = final.totals
    assert totals["requests"].to_dict() == {T0 + 100: 4}
    assert totals["late"].to_dict() == {T0 + 100: 1}
    assert totals["rejected"].to_dict() == {T0 + 100: 1}  # its good line's report was gone too
    sections = {(r["bucket"], r["section"]): r["hits"] for r in final.sections.frame().to_dict("records")}
    assert sections == {(T0 + 100, "/new"): 3, (T0 + 100, "/old"): 1}
    assert 6 + int(totals["requests"].sum()) == 10  # every good line once


# A line: (kind, second offset, section number, status, size); kind good / dash (no request) / garbage.
line_strategy = st.tuples(
    st.sampled_from(["good", "good", "good", "dash", "garbage"]),
    st.integers(0, 300),
    st.integers(0, 12),
    st.sampled_from([200, 301, 404, 500]),
    st.integers(0, 5000),
)


def render(line: tuple[str, int, int, int, int]) -> bytes:
    kind, offset, section, status, size = line
    if kind == "garbage":
        return GARBAGE
    if kind == "dash":
        return no_request(T0 + offset)
    return clf_line(T0 + offset, path=f"/s{section}/page", status=status, size=size)


def expected_reports(
    lines: list[tuple[str, int, int, int, int]],
) -> tuple[dict[int, Counter], dict[tuple[int, str], int]]:
    """Per bucket: requests, rejected (to the good line before, else the first), bytes; section hits."""
    reports: dict[int, Counter] = {}
    sections: Counter = Counter()
    last, leading = None, 0
    for kind, offset, section, _status, size in lines:
        if kind == "garbage":
            if last is None:
                leading += 1
            else:
                reports[last]["rejected"] += 1
            continue
        bucket = -(-(T0 + offset) // 10) * 10  # the report of (T - 10, T]
        report = reports.setdefault(bucket, Counter())
        report["requests"] += 1
        if kind == "good":
            report["bytes"] += size
            sections[(bucket, f"/s{section}")] += 1
        if last is None:
            report["rejected"] += leading
        last = bucket
    return reports, dict(sections)


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=6),
    hold=st.sampled_from([20, 3600]),
)
def test_any_chunking_gives_the_same_reports(
    lines: list[tuple[str, int, int, int, int]], cuts: list[int], hold: int
) -> None:
    """Lines cut into chunks anywhere give exactly the reports computed line by line."""
    lines = sorted(lines, key=lambda line: line[1]) if hold < 300 else lines  # a short hold: in time order
    rendered = [render(line) for line in lines]
    bounds = sorted({0, len(lines), *(min(c, len(lines)) for c in cuts)})
    chunks = [b"".join(rendered[a:b]) for a, b in itertools.pairwise(bounds)]
    totals, sections = merge(chunks, hold=hold)
    reports, expected_sections = expected_reports(lines)
    if not reports:  # garbage only: no time to file the lines under
        assert totals.empty
        return
    assert totals.index.tolist() == sorted(reports)
    assert totals.index.is_unique
    assert totals["requests"].tolist() == [reports[b]["requests"] for b in sorted(reports)]
    assert totals["rejected"].tolist() == [reports[b]["rejected"] for b in sorted(reports)]
    assert totals["bytes"].tolist() == [reports[b]["bytes"] for b in sorted(reports)]
    assert totals["late"].sum() == 0
    got_sections = {(r["bucket"], r["section"]): r["hits"] for r in sections.to_dict("records")}
    assert got_sections == expected_sections


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=12),
    close_every=st.integers(2, 5),
)
def test_closing_every_few_chunks_gives_the_reports_of_closing_after_each(
    lines: list[tuple[str, int, int, int, int]], cuts: list[int], close_every: int
) -> None:
    """Out of order with a short hold (so lines turn late): the reports, late counts
    included, do not depend on how often the merger sums what is final."""
    rendered = [render(line) for line in lines]
    bounds = sorted({0, len(lines), *(min(c, len(lines)) for c in cuts)})
    chunks = [b"".join(rendered[a:b]) for a, b in itertools.pairwise(bounds)]
    each, every_few = merge(chunks, hold=20, close_every=1), merge(chunks, hold=20, close_every=close_every)
    pd.testing.assert_frame_equal(each[0], every_few[0], check_exact=True)
    pd.testing.assert_frame_equal(each[1], every_few[1], check_exact=True)


# --- the backtest's way: sums straight from clf.requests, no frame ------------------------------


def assert_same_buckets(one: ChunkBuckets, other: ChunkBuckets) -> None:
    assert one.seconds.tolist() == other.seconds.tolist()
    assert one.hits.tolist() == other.hits.tolist()
    pd.testing.assert_frame_equal(one.totals.frame(), other.totals.frame(), check_exact=True)
    assert one.sections.as_dict() == other.sections.as_dict()
    assert one.sizes.as_dict() == other.sizes.as_dict()
    assert (one.leading_rejected, one.first_bucket, one.last_bucket) == (
        other.leading_rejected,
        other.first_bucket,
        other.last_bucket,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.sampled_from(["common", "combined"]))
def test_request_buckets_equal_the_sums_of_the_frame(data: bytes, fmt: str) -> None:
    """Good, hostile and rejected lines: the frame-free sums equal those of parse(core=True)."""
    assert_same_buckets(request_buckets(requests(data, fmt)), chunk_buckets(parse(data, fmt, core=True)))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        GARBAGE * 3,
        GARBAGE + b"".join(clf_line(T0 + i) for i in range(5)) + GARBAGE + no_request(T0 + 30) + GARBAGE,
    ],
    ids=["empty", "only-rejected", "mixed"],
)
def test_request_buckets_on_edge_batches(data: bytes) -> None:
    for fmt in ("common", "combined"):
        assert_same_buckets(request_buckets(requests(data, fmt)), chunk_buckets(parse(data, fmt, core=True)))


@pytest.mark.skipif(not SHARED_LOGS.exists(), reason=f"{SHARED_LOGS} is absent")
def test_request_buckets_on_the_real_logs() -> None:
    for path in sorted(SHARED_LOGS.glob("*.log*")):
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        for fmt in ("common", "combined"):
            expected = chunk_buckets(parse(data, fmt, core=True))
            assert_same_buckets(request_buckets(requests(data, fmt)), expected)
