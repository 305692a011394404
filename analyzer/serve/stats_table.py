"""stats.csv in the index: one row per report, and a 10-minute rollup for long periods.

Measured in docs/web.md: 259,200 rows (30 days of 10 s reports), a 24-hour query from the CSV
alone scans the whole file; from the index it reads only its rows.
"""

from __future__ import annotations

import sqlite3

from analyzer.serve.csvfiles import STATS_COLUMNS, rows, stats_record, text_lines

FIELDS = ("time", *STATS_COLUMNS)
COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)
# Reports merged by 10 minutes as they are indexed: a month's chart (buckets of an hour) reads
# 4,320 of these instead of 259,200 reports (250 ms -> a few ms). Its edges are to 10 minutes.
ROLLUP = 600


def merging(name: str) -> str:
    """How a bucket of reports gives one column: counts add up, the alert and the window's
    average keep their peak (a chart must not hide an alert), other rates average."""
    if name in ("alert_on", "window_rate"):
        return "max"
    return "sum" if STATS_COLUMNS[name] is int else "avg"


def merged_columns() -> str:
    return ", ".join(f'{merging(name)}("{name}")' for name in STATS_COLUMNS)


class StatsTable:
    csv_name = "stats.csv"
    names: tuple[str, ...] = ("stats", "stats_rollup")

    def create(self, db: sqlite3.Connection) -> None:
        typed = ", ".join(f'"{n}" {"INTEGER" if k is int else "REAL"}' for n, k in STATS_COLUMNS.items())
        db.execute(f'CREATE TABLE IF NOT EXISTS stats ("time" INTEGER NOT NULL, {typed})')
        db.execute('CREATE INDEX IF NOT EXISTS stats_time ON stats ("time")')
        db.execute(
            f'CREATE TABLE IF NOT EXISTS stats_rollup (bucket INTEGER PRIMARY KEY, "time" INTEGER, {typed})'
        )

    def clear(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM stats")
        db.execute("DELETE FROM stats_rollup")

    def add(self, db: sqlite3.Connection, data: bytes, header: list[str]) -> int:
        records = [r for r in map(stats_record, rows(text_lines(data), header)) if r is not None]
        marks = ", ".join("?" * len(FIELDS))
        db.executemany(f"INSERT INTO stats ({COLUMNS}) VALUES ({marks})", records)
        if records:
            self._roll_up(db, min(int(record[0]) for record in records))  # type: ignore[call-overload]
        return len(records)

    @staticmethod
    def _roll_up(db: sqlite3.Connection, since: int) -> None:
        """The rollup's buckets from the one holding `since` on, made anew from the reports."""
        first = since // ROLLUP * ROLLUP
        db.execute("DELETE FROM stats_rollup WHERE bucket >= ?", (first,))
        db.execute(
            f'INSERT INTO stats_rollup (bucket, {COLUMNS}) SELECT "time" / {ROLLUP} * {ROLLUP}, max("time"), '
            f'{merged_columns()} FROM stats WHERE "time" >= ? GROUP BY 1',
            (first,),
        )

    @staticmethod
    def query(db: sqlite3.Connection, since: int, until: int, max_points: int) -> list[tuple[object, ...]]:
        """The reports in `[since, until]`, oldest first; more than `max_points` are merged into
        that many buckets of equal time (counts summed, rates averaged, the window's peak and the
        alert's state kept), so a month on a chart is a few hundred points, not 259,200."""
        (count,) = db.execute(
            'SELECT count(*) FROM stats WHERE "time" BETWEEN ? AND ?', (since, until)
        ).fetchone()
        if count <= max_points:
            return db.execute(
                f'SELECT {COLUMNS} FROM stats WHERE "time" BETWEEN ? AND ? ORDER BY "time"', (since, until)
            ).fetchall()
        step = max(1, -(-(until - since + 1) // max_points))
        # Coarse buckets from the rollup (whole 10 minutes), finer ones from the reports.
        table, column = ("stats_rollup", "bucket") if step >= ROLLUP else ("stats", '"time"')
        return db.execute(
            f'SELECT max("time"), {merged_columns()} FROM {table} WHERE {column} BETWEEN ? AND ? '
            f"GROUP BY ({column} - ?) / ? ORDER BY 1",
            (since, until, since, step),
        ).fetchall()
