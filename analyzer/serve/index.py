"""An embedded SQLite index of stats.csv, so a period query over 30 days of reports is quick.

The CSV stays the record; the index is a cache of it, caught up before each query with the
rows appended since (a few lines: the monitor writes one row per report), and rebuilt from the
CSV when it is missing, damaged or stale (stats.csv replaced, truncated or rewritten: the
index keeps the file's identity and the bytes just before the offset it has read to).
Measured in docs/web.md: 259,200 rows (30 days of 10 s reports), a 24-hour query from the CSV
alone scans the whole file; from the index it reads only its rows.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import threading
from pathlib import Path

from analyzer.serve.csvfiles import STATS_COLUMNS, read_lines, rows, stats_record

INDEX_NAME = "stats-index.sqlite"
FIELDS = ("time", *STATS_COLUMNS)
COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)
SCHEMA = 2
# Reports merged by 10 minutes as they are indexed: a month's chart (buckets of an hour) reads
# 4,320 of these instead of 259,200 reports (250 ms -> a few ms). Its edges are to 10 minutes.
ROLLUP = 600
WITNESS = 64  # bytes before the offset read to: a file rewritten under the index differs there


def merging(name: str) -> str:
    """How a bucket of reports gives one column: counts add up, the alert and the window's
    average keep their peak (a chart must not hide an alert), other rates average."""
    if name in ("alert_on", "window_rate"):
        return "max"
    return "sum" if STATS_COLUMNS[name] is int else "avg"


def merged_columns() -> str:
    return ", ".join(f'{merging(name)}("{name}")' for name in STATS_COLUMNS)


class StatsIndex:
    def __init__(self, csv_path: Path, db_path: Path | None = None) -> None:
        self.csv_path = csv_path
        self.lock = threading.Lock()
        self.db = self._connect(db_path if db_path is not None else csv_path.with_name(INDEX_NAME))

    def _connect(self, path: Path) -> sqlite3.Connection:
        """The index file, or one in memory where it cannot be kept (a read-only directory)."""
        for target in (str(path), ":memory:"):
            try:
                db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")  # a cache: lost, it is rebuilt
                self._schema(db)
                return db
            except sqlite3.Error:
                continue
        raise RuntimeError("unreachable: an in-memory database always opens")

    @staticmethod
    def _schema(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA:
            db.execute("DROP TABLE IF EXISTS stats")
            db.execute("DROP TABLE IF EXISTS meta")
            db.execute("DROP TABLE IF EXISTS rollup")
        typed = ", ".join(f'"{n}" {"INTEGER" if k is int else "REAL"}' for n, k in STATS_COLUMNS.items())
        db.execute(f'CREATE TABLE IF NOT EXISTS stats ("time" INTEGER NOT NULL, {typed})')
        db.execute('CREATE INDEX IF NOT EXISTS stats_time ON stats ("time")')
        db.execute(f'CREATE TABLE IF NOT EXISTS rollup (bucket INTEGER PRIMARY KEY, "time" INTEGER, {typed})')
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(f"PRAGMA user_version={SCHEMA}")

    def _meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def catch_up(self) -> int:
        """Read the rows appended to stats.csv since the last call; returns how many."""
        with self.lock:
            try:
                info = os.stat(self.csv_path)
            except OSError:
                return 0
            meta = self._meta()
            identity = f"{info.st_dev}:{info.st_ino}"
            offset = int(meta.get("offset", 0))
            if meta.get("identity") != identity or info.st_size < offset or not self._same(meta, offset):
                self.db.execute("DELETE FROM stats")
                self.db.execute("DELETE FROM rollup")
                offset = 0
                meta = {}
            if info.st_size == offset:
                return 0
            try:
                lines, end = read_lines(self.csv_path, offset)
            except OSError:
                return 0
            header = meta.get("header")
            if header is None:
                if not lines:
                    return 0
                header, lines = lines[0], lines[1:]
            names = next(csv.reader([header]), [])
            records = [r for r in map(stats_record, rows(lines, names)) if r is not None]
            marks = ", ".join("?" * len(FIELDS))
            self.db.execute("BEGIN")
            self.db.executemany(f"INSERT INTO stats ({COLUMNS}) VALUES ({marks})", records)
            if records:
                self._roll_up(min(int(record[0]) for record in records))  # type: ignore[call-overload]
            witness = self._witness(end)
            for key, value in (("identity", identity), ("offset", str(end)), ("header", header),
                               ("witness", witness)):  # fmt: skip
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self.db.execute("COMMIT")
            return len(records)

    def _roll_up(self, since: int) -> None:
        """The rollup's buckets from the one holding `since` on, made anew from the reports."""
        first = since // ROLLUP * ROLLUP
        self.db.execute("DELETE FROM rollup WHERE bucket >= ?", (first,))
        self.db.execute(
            f'INSERT INTO rollup (bucket, {COLUMNS}) SELECT "time" / {ROLLUP} * {ROLLUP}, max("time"), '
            f'{merged_columns()} FROM stats WHERE "time" >= ? GROUP BY 1',
            (first,),
        )

    def _witness(self, offset: int) -> str:
        try:
            with open(self.csv_path, "rb") as handle:
                handle.seek(max(0, offset - WITNESS))
                return handle.read(min(offset, WITNESS)).hex()
        except OSError:
            return ""

    def _same(self, meta: dict[str, str], offset: int) -> bool:
        return offset == 0 or meta.get("witness") == self._witness(offset)

    def query(self, since: int, until: int, max_points: int) -> list[tuple[object, ...]]:
        """The reports in `[since, until]`, oldest first; more than `max_points` are merged into
        that many buckets of equal time (counts summed, rates averaged, the window's peak and the
        alert's state kept), so a month on a chart is a few hundred points, not 259,200."""
        self.catch_up()
        with self.lock:
            (count,) = self.db.execute(
                'SELECT count(*) FROM stats WHERE "time" BETWEEN ? AND ?', (since, until)
            ).fetchone()
            if count <= max_points:
                return self.db.execute(
                    f'SELECT {COLUMNS} FROM stats WHERE "time" BETWEEN ? AND ? ORDER BY "time"',
                    (since, until),
                ).fetchall()
            step = max(1, -(-(until - since + 1) // max_points))
            # Coarse buckets from the rollup (whole 10 minutes), finer ones from the reports.
            table, column = ("rollup", "bucket") if step >= ROLLUP else ("stats", '"time"')
            return self.db.execute(
                f'SELECT max("time"), {merged_columns()} FROM {table} WHERE {column} BETWEEN ? AND ? '
                f"GROUP BY ({column} - ?) / ? ORDER BY 1",
                (since, until, since, step),
            ).fetchall()

    def close(self) -> None:
        with self.lock:
            self.db.close()
