from __future__ import annotations

import time
from pathlib import Path

from analyzer.serve.csvfiles import read_stats
from analyzer.serve.index import Index
from tests.serve.conftest import T0, row, write_stats


def test_the_index_answers_as_the_csv_and_follows_appends(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 100)
    index = Index(tmp_path)
    assert index.stats(T0 + 100, T0 + 300, 1000) == read_stats(path, T0 + 100, T0 + 300)
    with path.open("a") as handle:
        handle.write(row(T0 + 1000, 3))
    assert index.stats(T0 + 1000, T0 + 1000, 10) == read_stats(path, T0 + 1000, T0 + 1000)


def test_a_logged_line_separator_does_not_split_a_row(tmp_path: Path) -> None:
    """U+2028 in a top section is not escaped in the CSV; the row stays one row."""
    path = tmp_path / "stats.csv"
    write_stats(path, 3)
    with path.open("a") as handle:
        handle.write(row(T0 + 100, 4).replace(",/a,", ",/a\u2028b,"))
    assert [found[0] for found in Index(tmp_path).stats(0, 2**40, 10)] == [T0, T0 + 10, T0 + 20, T0 + 100]


def test_many_reports_are_merged_into_buckets_keeping_the_alert(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 100)
    merged = Index(tmp_path).stats(T0, T0 + 999, 10)
    assert len(merged) == 10
    assert sum(bucket[1] for bucket in merged) == sum(n % 50 for n in range(100))  # type: ignore[misc]
    assert [bucket[-1] for bucket in merged] == [1] + [0] * 9  # the one report with the alert on


def test_a_month_of_reports_queries_in_under_100_ms(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    reports = 259_200  # 30 days of 10 s reports
    write_stats(path, reports)
    index = Index(tmp_path)
    index.catch_up()  # what the server does at start, beside the monitor
    end = T0 + 10 * (reports - 1)
    for since in (end - 3600, end - 86_400, T0):
        started = time.perf_counter()
        found = index.stats(since, end, 720)
        assert time.perf_counter() - started < 0.1
        assert 0 < len(found) <= 720
