"""An embedded SQLite index of what --out holds (stats.csv and sections.csv), so that a period
query over 30 days of reports is quick.

The CSVs stay the record; each one's tables are a cache of it, caught up before each query with
the rows appended since (a few lines: the monitor writes one report at a time), a chunk per
transaction, and rebuilt from the CSV when missing, damaged or stale (the CSV replaced,
truncated or rewritten: the index keeps each file's identity and the bytes just before the
offset it has read to). One file, one connection, one lock: a query waits at most for one
chunk of a build. Measured in docs/web.md.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from analyzer.serve.csvfiles import read_chunk
from analyzer.serve.sections_table import SectionsTable
from analyzer.serve.stats_table import FIELDS, StatsTable

INDEX_NAME = "stats-index.sqlite"
SCHEMA = 3
WITNESS = 64  # bytes before the offset read to: a file rewritten under the index differs there
CHUNK = 4 << 20  # bytes of CSV indexed per transaction (about 130,000 sections.csv rows, ~1 s)

__all__ = ["FIELDS", "Index"]


class Table(Protocol):
    """The tables that cache one CSV under --out."""

    csv_name: str
    names: tuple[str, ...]  # its tables in the database, dropped on a new schema

    def create(self, db: sqlite3.Connection) -> None: ...

    def clear(self, db: sqlite3.Connection) -> None: ...

    def add(self, db: sqlite3.Connection, data: bytes, header: list[str]) -> int:
        """Index the whole rows in `data` (CSV text, lines under `header`); how many."""
        ...


class Index:
    def __init__(self, directory: Path, db_path: Path | None = None, chunk: int = CHUNK) -> None:
        self.directory = directory
        self.chunk = chunk
        self.stats_table = StatsTable()
        self.sections_table = SectionsTable()
        self.tables: tuple[Table, ...] = (self.stats_table, self.sections_table)
        self.lock = threading.Lock()
        self.db = self._connect(db_path if db_path is not None else directory / INDEX_NAME)

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

    def _schema(self, db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            for name in ("meta", "rollup", *(name for table in self.tables for name in table.names)):
                db.execute(f'DROP TABLE IF EXISTS "{name}"')
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        for table in self.tables:
            table.create(db)
        db.execute(f"PRAGMA user_version={SCHEMA}")

    def catch_up(self) -> int:
        """Index the rows appended to each CSV since the last call; returns how many."""
        return sum(self._catch_up(table) for table in self.tables)

    def _catch_up(self, table: Table) -> int:
        added = 0
        while True:  # ends: each step reads further into the file, or says it is at its end
            with self.lock:
                rows, more = self._step(table)
            added += rows
            if not more:
                return added

    def _step(self, table: Table) -> tuple[int, bool]:
        """One chunk of `table`'s CSV indexed, in one transaction: (rows, more to read)."""
        path = self.directory / table.csv_name
        try:
            info = os.stat(path)
        except OSError:
            return 0, False
        key = table.csv_name + "."
        meta = {
            name.removeprefix(key): value
            for name, value in self.db.execute("SELECT key, value FROM meta").fetchall()
            if name.startswith(key)
        }
        identity = f"{info.st_dev}:{info.st_ino}"
        offset = int(meta.get("offset", 0))
        if meta.get("identity") != identity or info.st_size < offset or not self._same(path, meta, offset):
            self.db.execute("BEGIN")
            table.clear(self.db)
            self.db.execute("DELETE FROM meta WHERE key LIKE ?", (key + "%",))
            self.db.execute("COMMIT")
            offset, meta = 0, {}
        if info.st_size <= offset:
            return 0, False
        try:
            data, end = read_chunk(path, offset, self.chunk)
        except OSError:
            return 0, False
        header = meta.get("header")
        if header is None:
            if end == offset:
                return 0, False
            first = data.find(b"\n") + 1
            header, data = data[:first].decode("utf-8", "replace").rstrip("\r\n"), data[first:]
        self.db.execute("BEGIN")
        rows = table.add(self.db, data, next(csv.reader([header]), []))
        values = {
            "identity": identity,
            "offset": str(end),
            "header": header,
            "witness": self._witness(path, end),
        }
        self.db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(key + name, value) for name, value in values.items()],
        )
        self.db.execute("COMMIT")
        return rows, end < info.st_size and end > offset

    @staticmethod
    def _witness(path: Path, offset: int) -> str:
        try:
            with open(path, "rb") as handle:
                handle.seek(max(0, offset - WITNESS))
                return handle.read(min(offset, WITNESS)).hex()
        except OSError:
            return ""

    def _same(self, path: Path, meta: dict[str, str], offset: int) -> bool:
        return offset == 0 or meta.get("witness") == self._witness(path, offset)

    def stats(self, since: int, until: int, max_points: int) -> list[tuple[object, ...]]:
        """stats.csv's reports in `[since, until]`, at most `max_points` (see StatsTable.query)."""
        self._catch_up(self.stats_table)
        with self.lock:
            return self.stats_table.query(self.db, since, until, max_points)

    def sections(
        self, since: int, until: int, limit: int, skip: int
    ) -> tuple[list[tuple[str, int]], int, int]:
        """sections.csv's hits per section in `[since, until]` (see SectionsTable.query)."""
        self._catch_up(self.sections_table)
        with self.lock:
            return self.sections_table.query(self.db, since, until, limit, skip)

    def close(self) -> None:
        with self.lock:
            self.db.close()
