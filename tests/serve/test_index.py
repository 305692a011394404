from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from analyzer.serve.csvfiles import read_stats
from analyzer.serve.index import INDEX_NAME, Index
from tests.serve.conftest import T0, write_sections, write_stats


def test_a_small_chunk_indexes_the_same_rows_a_transaction_at_a_time(tmp_path: Path) -> None:
    write_stats(tmp_path / "stats.csv", 40)
    write_sections(tmp_path / "sections.csv", 40)
    whole = Index(tmp_path, tmp_path / "whole.sqlite")
    chunked = Index(tmp_path, tmp_path / "chunked.sqlite", chunk=300)  # a few rows a chunk
    assert whole.catch_up() == chunked.catch_up() == 40 + 120
    assert whole.stats(0, 2**40, 100) == chunked.stats(0, 2**40, 100)
    assert whole.sections(0, 2**40, 10, 0) == chunked.sections(0, 2**40, 10, 0)


def test_a_line_longer_than_a_chunk_is_stepped_over(tmp_path: Path) -> None:
    write_stats(tmp_path / "stats.csv", 2)
    with (tmp_path / "stats.csv").open("a") as handle:
        handle.write("x" * 1000 + "\n")
    write_stats(tmp_path / "more.csv", 3, start=T0 + 100)
    with (tmp_path / "stats.csv").open("a") as handle:
        handle.write((tmp_path / "more.csv").read_text().split("\n", 1)[1])
    index = Index(tmp_path, chunk=400)
    assert [row[0] for row in index.stats(0, 2**40, 100)] == [T0, T0 + 10, T0 + 100, T0 + 110, T0 + 120]


def test_a_replaced_or_truncated_csv_is_indexed_anew(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    write_stats(path, 50)
    write_sections(tmp_path / "sections.csv", 50)
    index = Index(tmp_path)
    index.catch_up()
    write_stats(path, 20, start=T0 + 5)  # rewritten under the index, in place and shorter
    assert index.stats(0, 2**40, 1000) == read_stats(path, 0, 2**40)
    assert index.sections(0, 2**40, 10, 0)[1:] == (3, sum(n % 7 * 3 + 3 for n in range(50)))  # untouched
    os.unlink(path)
    write_stats(path, 30)  # a new file (another inode)
    assert len(index.stats(0, 2**40, 1000)) == 30
    index.close()
    assert len(Index(tmp_path).stats(0, 2**40, 1000)) == 30  # kept on disk, reopened


def test_an_index_of_another_schema_is_rebuilt(tmp_path: Path) -> None:
    write_stats(tmp_path / "stats.csv", 5)
    old = sqlite3.connect(tmp_path / INDEX_NAME)
    old.execute("CREATE TABLE stats (time INTEGER)")  # version 0, another shape
    old.execute("INSERT INTO stats VALUES (1)")
    old.commit()
    old.close()
    assert len(Index(tmp_path).stats(0, 2**40, 100)) == 5


def test_no_csv_yet_is_no_row(tmp_path: Path) -> None:
    index = Index(tmp_path)
    assert index.catch_up() == 0
    assert index.stats(0, 2**40, 10) == [] and index.sections(0, 2**40, 10, 0) == ([], 0, 0)
