"""sections.csv in the index: each report's top sections, and their sums per hour.

A period's hits per section are the hourly sums of the whole hours inside it plus the reports
of the partial hours at its two edges: 30 days read 720 hours of about ten rows each and at most
two hours of reports, not 2.6 million report rows, and the answer is exact to the report.
Each section's text is kept once (`section_names`); the rows hold its number.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd

from analyzer.serve.csvfiles import section_rows

ROLLUP = 3600  # seconds summed in one row of sections_rollup


def period_parts(since: int, until: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """`[since, until]` as the hours wholly inside it (`[first, end)`, maybe empty) and the
    spans of reports around them."""
    first = -(-since // ROLLUP) * ROLLUP
    end = (until + 1) // ROLLUP * ROLLUP
    if first >= end:
        return (0, 0), [(since, until)]
    return (first, end), [(since, first - 1), (end, until)]


class SectionsTable:
    csv_name = "sections.csv"
    names: tuple[str, ...] = ("sections", "section_names", "sections_rollup")

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            "CREATE TABLE IF NOT EXISTS section_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"
        )
        # Keyed by time, so a period's reports are one range of one B-tree (no second index to
        # keep up: the inserts take half the time); a section twice in one report adds up.
        db.execute(
            "CREATE TABLE IF NOT EXISTS sections (time INTEGER NOT NULL, section INTEGER NOT NULL, "
            "hits INTEGER NOT NULL, PRIMARY KEY (time, section)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS sections_rollup (bucket INTEGER NOT NULL, section INTEGER NOT NULL, "
            "hits INTEGER NOT NULL, PRIMARY KEY (bucket, section)) WITHOUT ROWID"
        )

    def clear(self, db: sqlite3.Connection) -> None:
        for name in self.names:
            db.execute(f"DELETE FROM {name}")

    def add(self, db: sqlite3.Connection, data: bytes, header: list[str]) -> int:
        found = section_rows(data, header)
        if not len(found):
            return 0
        codes, uniques = pd.factorize(found["section"])
        names = [str(name) for name in uniques]
        db.executemany("INSERT OR IGNORE INTO section_names (name) VALUES (?)", [(name,) for name in names])
        known = dict(
            db.execute(
                "SELECT name, id FROM section_names WHERE name IN (SELECT value FROM json_each(?))",
                (json.dumps(names),),
            ).fetchall()
        )
        ids = np.array([known[name] for name in names], np.int64)[codes]
        times, hits = found["time"].to_numpy(), found["hits"].to_numpy()
        db.executemany(
            "INSERT INTO sections VALUES (?, ?, ?) "
            "ON CONFLICT (time, section) DO UPDATE SET hits = hits + excluded.hits",
            zip(times.tolist(), ids.tolist(), hits.tolist(), strict=True),
        )
        hourly = (
            pd.DataFrame({"bucket": times // ROLLUP * ROLLUP, "section": ids, "hits": hits})
            .groupby(["bucket", "section"], sort=False)["hits"]
            .sum()
        )
        db.executemany(
            "INSERT INTO sections_rollup VALUES (?, ?, ?) "
            "ON CONFLICT (bucket, section) DO UPDATE SET hits = hits + excluded.hits",
            [(*key, hits) for key, hits in zip(hourly.index.tolist(), hourly.tolist(), strict=True)],
        )
        return len(found)

    @staticmethod
    def query(
        db: sqlite3.Connection, since: int, until: int, limit: int, skip: int
    ) -> tuple[list[tuple[str, int]], int, int]:
        """The hits per section in `[since, until]`, most first (ties by name), `limit` of them
        after the first `skip`; the number of sections, and the hits of all of them."""
        hours, spans = period_parts(since, until)
        chosen = " UNION ALL ".join(
            ["SELECT section, hits FROM sections_rollup WHERE bucket >= ? AND bucket < ?"]
            + ["SELECT section, hits FROM sections WHERE time BETWEEN ? AND ?"] * len(spans)
        )
        bounds = [*hours, *(edge for span in spans for edge in span)]
        summed = f"WITH summed AS (SELECT section, sum(hits) AS hits FROM ({chosen}) GROUP BY section) "
        found = db.execute(
            summed + "SELECT n.name, s.hits, count(*) OVER (), sum(s.hits) OVER () FROM summed s "
            "JOIN section_names n ON n.id = s.section ORDER BY s.hits DESC, n.name LIMIT ? OFFSET ?",
            (*bounds, limit, skip),
        ).fetchall()
        if found:
            return [(name, hits) for name, hits, _, _ in found], found[0][2], found[0][3]
        count, total = db.execute(summed + "SELECT count(*), sum(hits) FROM summed", bounds).fetchone()
        return [], count, total or 0
