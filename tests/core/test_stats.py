"""Summary statistics: top counts, status classes, percentiles and the summary of a parsed frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.stats import OTHER, PERCENTILES, status_class_counts, summarize, top_counts
from analyzer.formats.clf import parse
from analyzer.formats.frames import concat_frames
from analyzer.formats.w3c import W3cParser
from tests.conftest import clf_line

T0 = 1_764_300_000


def small_frame() -> pd.DataFrame:
    """Twelve parsed requests with assorted paths, statuses, sizes (one `-`) and hosts."""
    specs: list[tuple[str, int, int | str, str, str]] = [
        ("/pages/a", 200, 100, "10.0.0.1", "GET"),
        ("/pages/b", 200, 250, "10.0.0.1", "GET"),
        ("/pages", 304, "-", "10.0.0.2", "GET"),
        ("/api/x?id=1", 500, 40, "10.0.0.3", "POST"),
        ("/api/y", 503, 10, "10.0.0.3", "POST"),
        ("/api/", 404, 999, "10.0.0.1", "GET"),
        ("/blog/1", 201, 5000, "10.0.0.4", "PUT"),
        ("/blog/2", 301, 0, "10.0.0.4", "GET"),
        ("/", 200, 7, "10.0.0.5", "HEAD"),
        ("/zeta/q", 418, 123_456, "10.0.0.5", "GET"),
        ("/alpha/q", 102, 3, "10.0.0.5", "GET"),
        ("/pages/c", 200, 60, "10.0.0.2", "GET"),
    ]
    data = b"".join(
        clf_line(T0 + i, path=p, status=s, size=b, host=h, method=m)
        for i, (p, s, b, h, m) in enumerate(specs)
    )
    parsed = parse(data)
    assert parsed.rejected == 0
    return parsed.frame


def test_top_counts_orders_by_hits_then_name() -> None:
    """top_counts sorts by hits descending, ties by name ascending."""
    values = pd.Series(["b", "a", "c", "b", "a", "d", "c", "e"])
    result = top_counts(values)
    assert list(result.items()) == [("a", 2), ("b", 2), ("c", 2), ("d", 1), ("e", 1)]
    assert result.dtype == np.int64


def test_top_counts_limit_adds_one_other_row_with_the_rest() -> None:
    """With a limit, the busiest `limit` entries are kept and one `(other)` row holds the rest."""
    values = pd.Series([*"aaaabbbccd", "e", "f"])
    result = top_counts(values, limit=2)
    assert list(result.items()) == [("a", 4), ("b", 3), (OTHER, 5)]
    assert int(result.sum()) == len(values)


def test_top_counts_limit_not_reached_has_no_other_row() -> None:
    """With no more distinct values than the limit, there is no `(other)` row."""
    result = top_counts(pd.Series(["x", "y", "x"]), limit=2)
    assert list(result.items()) == [("x", 2), ("y", 1)]


def test_top_counts_drops_missing_and_unused_categories() -> None:
    """Missing values and categories with no rows are left out of the counts."""
    values = pd.Series(pd.Categorical(["/a", None, "/a", "/b"], categories=["/a", "/b", "/never"]))
    assert list(top_counts(values).items()) == [("/a", 2), ("/b", 1)]
    assert top_counts(pd.Series([], dtype=object)).empty


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["/a", "/b", "/c", "/d", "/e", "/f", None]), max_size=60), st.integers(1, 8))
def test_top_counts_conserves_counts(values: list[str | None], limit: int) -> None:
    """Counts are conserved: the entries (with `(other)`) sum to the non-missing values, order is stable."""
    series = pd.Series(pd.Categorical(values))
    result = top_counts(series, limit)
    present = [v for v in values if v is not None]
    assert int(result.sum()) == len(present)
    assert len(result) <= limit + 1
    named = result.drop(OTHER, errors="ignore")
    assert (OTHER in result.index) == (len(set(present)) > limit)
    keys = [(-int(h), str(k)) for k, h in named.items()]
    assert keys == sorted(keys)
    for key, hits in named.items():
        assert hits == present.count(str(key))
    if OTHER in result.index:
        assert int(result[OTHER]) == len(present) - int(named.sum())
        assert max(present.count(v) for v in set(present) - set(named.index)) <= named.min()


def test_status_class_counts() -> None:
    """Statuses count in their class 2xx..5xx; 1xx, 0 and 6xx+ are in none."""
    status = np.array([100, 200, 204, 299, 301, 404, 418, 500, 599, 0, 600, 999], np.int16)
    assert status_class_counts(status) == {"2xx": 3, "3xx": 1, "4xx": 2, "5xx": 2}
    assert status_class_counts(np.array([], np.int16)) == {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}


def test_summarize_small_frame() -> None:
    """summarize counts requests, bytes, status classes, rate and the top sections/hosts/methods."""
    frame = small_frame()
    summary = summarize(frame, seconds=6, top=2, section_limit=3)
    assert summary.requests == 12
    assert summary.bytes == 100 + 250 + 40 + 10 + 999 + 5000 + 7 + 123_456 + 3 + 60
    assert summary.rate == 2.0
    assert summary.status_counts == {"2xx": 5, "3xx": 2, "4xx": 2, "5xx": 2}
    assert summary.error_rate == pytest.approx(2 / 12)
    assert summary.status_ratio("2xx") == pytest.approx(5 / 12)
    assert list(summary.sections.items()) == [("/pages", 4), ("/api", 3), ("/blog", 2), (OTHER, 3)]
    # hosts, agents, referrers and error paths name up to PANEL_ROWS (a tall screen's table)
    assert list(summary.hosts.items())[:2] == [("10.0.0.1", 3), ("10.0.0.5", 3)]
    assert summary.hosts.sum() == 12 and OTHER not in summary.hosts.index
    assert list(summary.methods.items()) == [("GET", 8), ("POST", 2), (OTHER, 2)]
    assert summary.agents.sum() + summary.paths_4xx.sum() + summary.paths_5xx.sum() >= 0


def test_summaries_name_agents_referrers_and_the_paths_of_4xx_and_5xx() -> None:
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([T0, T0, T0 + 1, T0 + 2], unit="s", utc=True),
            "host": ["a", "b", "a", "c"],
            "method": ["GET"] * 4,
            "path": ["/x", "/y", "/x", "/z"],
            "section": ["/x", "/y", "/x", "/z"],
            "status": np.array([404, 500, 404, 200], np.int16),
            "bytes": [1, 2, 3, 4],
            "referer": ["r1", "r1", "-", "r2"],
            "user_agent": ["curl/8", "Mozilla", "curl/8", "Mozilla"],
        }
    )
    for name in ("host", "method", "path", "section", "referer", "user_agent"):
        frame[name] = frame[name].astype("category")
    summary = summarize(frame, seconds=3)
    assert list(summary.agents.items()) == [("Mozilla", 2), ("curl/8", 2)]
    assert list(summary.referers.items()) == [("r1", 2), ("-", 1), ("r2", 1)]
    assert list(summary.paths_4xx.items()) == [("/x", 2)]
    assert list(summary.paths_5xx.items()) == [("/y", 1)]


def test_summarize_percentiles_are_nearest_rank_within_the_bins_error() -> None:
    """Size percentiles are the nearest-rank ones of the parsed byte counts (`-` counted as 0),
    read from the middle of their 1/32-octave bin."""
    from analyzer.core.tally import PERCENTILE_ERROR

    frame = small_frame()
    sizes = np.array([100, 250, 0, 40, 10, 999, 5000, 0, 7, 123_456, 3, 60])
    assert frame["bytes"].tolist() == sizes.tolist()
    summary = summarize(frame, seconds=10)
    expected = np.percentile(sizes, PERCENTILES, method="inverted_cdf")
    assert list(summary.size_percentiles) == list(PERCENTILES)
    for p, value in zip(PERCENTILES, expected, strict=True):
        assert abs(summary.size_percentiles[p] - value) <= PERCENTILE_ERROR * (value + 1)


def test_summarize_empty_frame() -> None:
    """An empty frame summarises to zeros: no rate, no errors, zero percentiles, no sections."""
    summary = summarize(parse(b"").frame, seconds=10)
    assert (summary.requests, summary.bytes, summary.rate, summary.error_rate) == (0, 0, 0.0, 0.0)
    assert summary.size_percentiles == {p: 0.0 for p in PERCENTILES}
    assert summary.status_counts == {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
    assert summary.sections.empty and summary.hosts.empty and summary.methods.empty


def test_summarize_zero_seconds_has_zero_rate() -> None:
    """A summary over zero seconds reports a rate of 0 rather than dividing by zero."""
    assert summarize(small_frame(), seconds=0).rate == 0.0


def test_summarize_skips_missing_sections() -> None:
    """Requests without a section (e.g. `"-"` 408) count as requests but not in any section."""
    line = b'1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "-" 408 - "-" "-"\n'
    frame = parse(clf_line(T0) + line).frame
    summary = summarize(frame, seconds=1)
    assert summary.requests == 2
    assert list(summary.sections.items()) == [("/pages", 1)]
    assert summary.status_counts["4xx"] == 1


def test_a_format_without_request_or_path_still_summarizes() -> None:
    """A custom format with no method or path gives empty section and method tables, not a crash."""
    from analyzer.formats.logformat import CustomParser, compile_format

    parser = CustomParser(compile_format("%h %t %>s %b %D"))
    frame = parser.parse(b"1.2.3.4 [10/Oct/2000:13:55:36 -0700] 200 12 1500\n").frame
    summary = summarize(frame, seconds=10)
    assert summary.requests == 1 and summary.sections.empty and summary.methods.empty
    assert summary.latency is not None
    assert list(summary.latency.values()) == pytest.approx([0.0015] * 3, rel=0.011)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["/a/x", "/b/y", "/c", "/d/e"]), st.integers(0, 10**7), st.integers(0, 5 * 10**6)
        ),
        min_size=1,
        max_size=80,
    )
)
def test_the_windows_summary_counts_like_the_rows_and_bins_percentiles_within_the_error(
    lines: list[tuple[str, int, int]],
) -> None:
    """Counts from the window equal a groupby of the rows; its percentiles (bin middles) are
    within 1.1% of the nearest-rank percentile of the exact values, sizes and durations alike."""
    from analyzer.core.compact import TEXT, Vocabulary, compact
    from analyzer.core.stats import PANEL_ROWS, summarize_counted, top_counts
    from analyzer.core.tally import PERCENTILE_ERROR
    from analyzer.core.window import Window
    from analyzer.formats.parsers import make_parser

    parser = make_parser(
        "auto", '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent $request_time'
    )
    stamp = "[29/Nov/2025:03:20:00 +0000]"
    data = b"".join(
        f'10.0.0.{i % 4} - - {stamp} "GET {p} HTTP/1.1" 200 {size} {micro / 1e6:.6f}\n'.encode()
        for i, (p, size, micro) in enumerate(lines)
    )
    frame = parser.parse(data).frame
    vocabularies = {name: Vocabulary() for name in TEXT}
    rows = compact(frame, vocabularies)
    window = Window(vocabularies)
    window.add(rows)
    binned = summarize_counted(window.counted(0, 2**62), 10, vocabularies, top=3, section_limit=2)
    assert (binned.requests, binned.bytes) == (len(frame), int(frame["bytes"].sum()))
    assert binned.sections.to_dict() == top_counts(frame["section"], 2).to_dict()
    assert binned.hosts.to_dict() == top_counts(frame["host"], PANEL_ROWS).to_dict()  # a tall screen's
    sizes = np.array([size for _, size, _ in lines])
    durations = np.array([micro / 1e6 for _, _, micro in lines])
    assert binned.latency is not None
    for p in PERCENTILES:
        size = np.percentile(sizes, p, method="inverted_cdf")
        assert abs(binned.size_percentiles[p] - size) <= PERCENTILE_ERROR * (size + 1)
        duration = np.percentile(durations, p, method="inverted_cdf")
        assert abs(binned.latency[p] - duration) <= PERCENTILE_ERROR * (duration + 1e-6) + 1e-12
    assert binned.section_latency is not None
    timed_sections = top_counts(frame["section"]).index[:3]
    assert list(binned.section_latency.index) == list(timed_sections)


def test_requests_without_a_size_leave_bytes_and_percentiles_alone() -> None:
    """NO_SIZE (a W3C layout without sc-bytes) is no size, not 0 B: summed and binned apart."""
    no_bytes = W3cParser().parse(
        b"#Fields: date time cs-method cs-uri-stem sc-status\n2025-11-28 03:10:01 GET /a/x 200\n"
    )
    alone = summarize(no_bytes.frame, 10)
    assert alone.requests == 1 and not alone.sized
    mixed = summarize(concat_frames([no_bytes.frame, parse(clf_line(1_764_299_402, size=1000)).frame]), 10)
    assert mixed.sized and mixed.bytes == 1000
    assert mixed.size_percentiles[50] == pytest.approx(1000, rel=0.011)  # its bin's middle
    assert summarize(parse(b"").frame, 10).sized  # no requests: nothing is missing
