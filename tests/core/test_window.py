"""The counted window: per-second counts equal one batch computation over all the rows."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.compact import TEXT, Vocabulary, compact
from analyzer.core.window import TRIM_SLACK, Window, forget_unused, scoped_name
from analyzer.formats.clf import parse
from analyzer.formats.columns import seconds_of
from analyzer.formats.frames import concat_frames
from tests.conftest import clf_line

T0 = 1_764_300_000


def batch(lines: list[tuple[int, str, int, int]]) -> pd.DataFrame:
    """A parsed frame of (second offset, path, status, size) lines."""
    data = b"".join(
        clf_line(T0 + s, path=p, status=st_, size=b, host=f"10.0.0.{s % 3}") for s, p, st_, b in lines
    )
    return parse(data).frame


def window_of(frames: list[pd.DataFrame]) -> Window:
    vocabularies = {name: Vocabulary() for name in TEXT}
    window = Window(vocabularies)
    for frame in frames:
        window.add(compact(frame, vocabularies))
    return window


PATHS = ["/a/1", "/a/2", "/b", "/c/x/y", "*"]
line = st.tuples(
    st.integers(0, 30), st.sampled_from(PATHS), st.sampled_from([200, 404, 503]), st.integers(0, 10**6)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(line, max_size=20), min_size=1, max_size=6), st.integers(0, 30), st.integers(0, 30))
def test_counts_over_any_range_equal_a_groupby_of_all_the_rows(
    batches: list[list[tuple[int, str, int, int]]], a: int, b: int
) -> None:
    """Streaming equals batch: the window's sums for seconds first..last, per section, host,
    method and status, equal pandas over the concatenation of every batch."""
    frames = [batch(lines) for lines in batches]
    window = window_of(frames)
    whole = concat_frames(frames)
    first, last = T0 + min(a, b), T0 + max(a, b)
    seconds = seconds_of(whole)
    inside = whole[(seconds >= first) & (seconds <= last)]
    counted = window.counted(first, last)
    assert counted.requests == len(inside)
    assert counted.bytes == int(inside["bytes"].sum())
    for name in ("section", "host", "method"):
        values = window.vocabularies[name].values
        got = {values[code]: int(n) for code, n in enumerate(counted.__dict__[name]) if n}
        expected = inside[name].value_counts().to_dict()
        assert got == {k: v for k, v in expected.items() if v}
    statuses = {code: int(n) for code, n in enumerate(counted.status) if n}
    assert statuses == inside["status"].value_counts().to_dict()
    per_second = window.per_second(first, last)
    assert per_second.sum() == len(inside) and len(per_second) == last - first + 1


def test_trim_forgets_seconds_at_or_before_the_cut_in_batches() -> None:
    """Trimming rewrites the arrays, so it waits until TRIM_SLACK seconds are past the cut."""
    window = window_of([batch([(offset, f"/s/{offset}", 200, 1)]) for offset in range(40)])
    window.trim(keep_after=T0 + TRIM_SLACK - 1)  # the oldest held second is not yet SLACK past the cut
    assert window.oldest() == T0
    window.trim(keep_after=T0 + 20)
    assert sorted(set(window.seconds().tolist())) == list(range(T0 + 21, T0 + 40))
    assert len(window) == 19
    assert window.counted(T0, T0 + 20).requests == 0


def test_a_window_holds_counts_not_rows() -> None:
    """100,000 requests over 3 seconds and 4 sections are a few dozen counts."""
    frames = [batch([(i % 3, f"/s{i % 4}/x", 200, i) for i in range(10_000)]) for _ in range(10)]
    window = window_of(frames)
    assert len(window) == 100_000
    assert len(window.heavy["section"]) <= 10 * 3 * 4
    assert len(window.counts["hits"]) <= 10 * 3


def test_a_populations_keys_are_counted_apart_and_survive_a_compaction() -> None:
    """An error rate's errors and a section's requests have their own heavy counts (their
    drivers are theirs); forgetting a scan's hosts renumbers the hosts, theirs too."""
    vocabularies = {name: Vocabulary() for name in TEXT}
    window = Window(vocabularies, ("/api",), ("errors_5xx", "section:/api"))
    scan = b"".join(clf_line(T0, host=f"10.1.{n // 256}.{n % 256}") for n in range(5000))
    failing = b"".join(clf_line(T0 + 30 + s, "/api/pay", 503, host="198.51.100.23") for s in range(3))
    window.add(compact(parse(scan + failing + clf_line(T0 + 31, "/api/list")).frame, vocabularies))
    window.trim(keep_after=T0 + TRIM_SLACK + 1)
    forget_unused(vocabularies, [window])
    assert len(vocabularies["host"]) < 5000  # the scan's hosts are forgotten

    def counted(name: str, column: str) -> dict[str, int]:
        counts = window.heavy[scoped_name(name, column)].by_key(T0, T0 + 40, len(vocabularies[column]))
        return {vocabularies[column].values[code]: int(n) for code, n in enumerate(counts) if n}

    assert counted("errors_5xx", "host") == {"198.51.100.23": 3}
    assert counted("errors_5xx", "section") == {"/api": 3}
    assert counted("section:/api", "path") == {"/api/pay": 3, "/api/list": 1}
    assert counted("section:/api", "host") == {"198.51.100.23": 3, "10.0.0.1": 1}
