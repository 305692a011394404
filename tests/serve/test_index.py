from __future__ import annotations

import os
import time
from pathlib import Path

from analyzer.core.times import iso_utc
from analyzer.outputs.rows import STATS_FIELDS
from analyzer.serve.csvfiles import read_stats
from analyzer.serve.index import StatsIndex

T0 = 1_800_000_000


def row(second: int, requests: int, alert_on: int = 0) -> str:
    cells = dict.fromkeys(STATS_FIELDS, "0")
    cells.update(time=iso_utc(second), requests=str(requests), rate=f"{requests / 10:.3f}")
    cells.update(window_rate="1.000", alert_on=str(alert_on), top_section="/a")
    return ",".join(cells[name] for name in STATS_FIELDS) + "\n"


def write_stats(path: Path, reports: int, start: int = T0) -> None:
    with path.open("w") as handle:
        handle.write(",".join(STATS_FIELDS) + "\n")
        handle.writelines(row(start + 10 * n, n % 50, int(n == 7)) for n in range(reports))


def test_the_index_answers_as_the_csv_and_follows_appends(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 100)
    index = StatsIndex(path)
    assert index.query(T0 + 100, T0 + 300, 1000) == read_stats(path, T0 + 100, T0 + 300)
    with path.open("a") as handle:
        handle.write(row(T0 + 1000, 3))
    assert index.query(T0 + 1000, T0 + 1000, 10) == read_stats(path, T0 + 1000, T0 + 1000)


def test_many_reports_are_merged_into_buckets_keeping_the_alert(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 100)
    merged = StatsIndex(path).query(T0, T0 + 999, 10)
    assert len(merged) == 10
    assert sum(bucket[1] for bucket in merged) == sum(n % 50 for n in range(100))  # type: ignore[misc]
    assert [bucket[-1] for bucket in merged] == [1] + [0] * 9  # the one report with the alert on


def test_a_replaced_or_truncated_csv_is_indexed_anew(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 50)
    index = StatsIndex(path)
    index.catch_up()
    write_stats(path, 20, start=T0 + 5)  # rewritten under the index, in place and shorter
    assert index.query(0, 2**40, 1000) == read_stats(path, 0, 2**40)
    os.unlink(path)
    write_stats(path, 30)  # a new file (another inode)
    assert len(index.query(0, 2**40, 1000)) == 30
    index.close()
    assert len(StatsIndex(path).query(0, 2**40, 1000)) == 30  # kept on disk, reopened


def test_a_month_of_reports_queries_in_under_100_ms(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    reports = 259_200  # 30 days of 10 s reports
    write_stats(path, reports)
    index = StatsIndex(path)
    index.catch_up()  # what the server does at start, beside the monitor
    end = T0 + 10 * (reports - 1)
    for since in (end - 3600, end - 86_400, T0):
        started = time.perf_counter()
        found = index.query(since, end, 720)
        assert time.perf_counter() - started < 0.1
        assert 0 < len(found) <= 720
