from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

import pytest

from analyzer.core.times import iso_utc
from analyzer.outputs.rows import SECTION_FIELDS
from analyzer.outputs.sinks import cells_text
from analyzer.serve.csvfiles import epoch
from analyzer.serve.index import Index
from analyzer.serve.sections_table import ROLLUP, period_parts
from tests.serve.conftest import T0, write_sections

HOUR0 = T0 // ROLLUP * ROLLUP  # T0 is on a whole hour: 2027-01-15T08:00:00Z
HOSTILE = ("/<img src=x onerror=alert(1)>", '/a,"b"', "/\u202eevil", "(other)")


def from_csv(path: Path, since: int, until: int) -> Counter[str]:
    """The reference: every row of the CSV read by the csv module, summed."""
    summed: Counter[str] = Counter()
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if since <= epoch(row["time"].replace("Z", "+00:00")) <= until:
                summed[row["section"]] += int(row["hits"])
    return summed


def test_a_period_is_its_whole_hours_and_the_reports_at_its_edges() -> None:
    assert period_parts(HOUR0 + 10, HOUR0 + 3 * ROLLUP + 20) == (
        (HOUR0 + ROLLUP, HOUR0 + 3 * ROLLUP),
        [(HOUR0 + 10, HOUR0 + ROLLUP - 1), (HOUR0 + 3 * ROLLUP, HOUR0 + 3 * ROLLUP + 20)],
    )
    assert period_parts(HOUR0, HOUR0 + ROLLUP - 1) == (
        (HOUR0, HOUR0 + ROLLUP),
        [(HOUR0, HOUR0 - 1), (HOUR0 + ROLLUP, HOUR0 + ROLLUP - 1)],
    )
    assert period_parts(HOUR0 + 5, HOUR0 + ROLLUP) == ((0, 0), [(HOUR0 + 5, HOUR0 + ROLLUP)])


@pytest.fixture(scope="module")
def six_hours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sections.csv of six hours and a bit, a report every 10 s, indexed once for the module."""
    directory = tmp_path_factory.mktemp("six-hours")
    write_sections(directory / "sections.csv", 6 * 360 + 7, sections=HOSTILE)
    index = Index(directory)
    index.catch_up()
    index.close()
    return directory


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (0, 2**40),  # all
        (HOUR0 + 1234, HOUR0 + 4 * ROLLUP + 17),  # whole hours and two edges
        (HOUR0 + ROLLUP, HOUR0 + 3 * ROLLUP - 1),  # whole hours only
        (HOUR0 + 600, HOUR0 + 900),  # inside one hour
        (HOUR0 + 10, HOUR0 + 10),  # one report
        (HOUR0 - 100, HOUR0 - 1),  # before the first report
    ],
)
def test_the_sums_are_those_of_the_csv(six_hours: Path, since: int, until: int) -> None:
    path = six_hours / "sections.csv"
    found, count, hits = Index(six_hours).sections(since, until, 100, 0)
    expected = from_csv(path, since, until)
    assert dict(found) == dict(expected)
    assert (count, hits) == (len(expected), sum(expected.values()))
    assert [name for name, _ in found] == sorted(expected, key=lambda name: (-expected[name], name))


def test_pages_go_most_first_ties_by_name(tmp_path: Path) -> None:
    rows = [(iso_utc(T0), name, hits) for name, hits in (("/b", 5), ("/a", 5), ("/c", 9), ("/d", 1))]
    rows.append((iso_utc(T0 + 10), "/d", 2))
    rows.append((iso_utc(T0 + 10), "/d", 3))  # the same section twice in a report adds up
    (tmp_path / "sections.csv").write_text(cells_text([SECTION_FIELDS, *rows]), newline="")
    index = Index(tmp_path)
    assert index.sections(T0, T0 + 10, 2, 0) == ([("/c", 9), ("/d", 6)], 4, 25)
    assert index.sections(T0, T0 + 10, 2, 2) == ([("/a", 5), ("/b", 5)], 4, 25)
    assert index.sections(T0, T0 + 10, 2, 4) == ([], 4, 25)


def test_appended_reports_are_added_to_their_hour(tmp_path: Path) -> None:
    path = tmp_path / "sections.csv"
    write_sections(path, 360)  # the hour from T0
    index = Index(tmp_path)
    before = dict(index.sections(T0, T0 + ROLLUP - 1, 10, 0)[0])
    with path.open("a", newline="") as handle:
        handle.write(cells_text([(iso_utc(T0 + 3595), "/a", 1000), (iso_utc(T0 + 3595), "/new", 1)]))
    after = dict(index.sections(T0, T0 + ROLLUP - 1, 10, 0)[0])
    assert after == {**before, "/a": before["/a"] + 1000, "/new": 1}


def test_a_month_queries_in_under_100_ms_reading_only_its_hours_and_edges(tmp_path: Path) -> None:
    """30 days of ten sections: the query reads the 720 hours' sums and the reports of the two
    edge hours, whatever the reports in between (here one an hour, so the test builds quickly;
    the full 259,200 reports are measured in docs/web.md)."""
    path = tmp_path / "sections.csv"
    names = (*(f"/s{k}" for k in range(9)), "(other)")
    rows = [(iso_utc(HOUR0 + 10 * n), name, 1) for n in range(360) for name in names]  # the first hour, full
    rows += [(iso_utc(HOUR0 + ROLLUP * h), name, 1) for h in range(1, 719) for name in names]
    rows += [(iso_utc(HOUR0 + 719 * ROLLUP + 10 * n), name, 1) for n in range(360) for name in names]
    path.write_text(cells_text([SECTION_FIELDS, *rows]), newline="")
    index = Index(tmp_path)
    index.catch_up()
    plan = " ".join(
        str(step[-1])
        for step in index.db.execute("EXPLAIN QUERY PLAN SELECT * FROM sections WHERE time BETWEEN 1 AND 2")
    )
    assert "SEARCH" in plan  # a range of the table's key, not a scan
    timings = []
    for since, until in ((HOUR0 + 5, HOUR0 + 720 * ROLLUP - 5), (HOUR0 + 719 * ROLLUP, HOUR0 + 720 * ROLLUP)):
        started = time.perf_counter()
        found, count, hits = index.sections(since, until, 10, 0)
        timings.append(time.perf_counter() - started)
        assert count == 10 and len(found) == 10
        assert hits == (359 + 718 + 360) * 10 if since == HOUR0 + 5 else hits == 3600
    assert max(timings) < 0.1, timings
