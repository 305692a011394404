"""The output files under --out: append-only CSVs, one header line, each row flushed."""

from __future__ import annotations

import csv
import os
from fractions import Fraction
from pathlib import Path
from typing import IO

from analyzer.core.alerts import ALERT, BEFORE, CROSSED, RECOVERED, AlertRule, Transition
from analyzer.core.engine import Report
from analyzer.core.times import parse_iso_utc
from analyzer.outputs.rows import (
    ALERT_FIELDS,
    SECTION_FIELDS,
    STATS_FIELDS,
    alert_row,
    section_rows,
    stats_row,
)


class OutputError(Exception):
    """The outputs cannot be written any more: one line on stderr, exit status 2."""


def linked(handle: IO[str]) -> bool:
    """Whether the file still has a name (it was not deleted under the monitor)."""
    return os.fstat(handle.fileno()).st_nlink > 0


def header_of(path: Path) -> list[str]:
    """The column names of an existing CSV's header line (none if empty or unreadable)."""
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as handle:
            return next(csv.reader([handle.readline(1 << 16)]), [])
    except OSError:
        return []


class CsvSink:
    """Appends rows to one CSV; writes the header only when the file is new or empty.

    A file written by an older version has fewer columns: its rows keep the columns its
    header names (columns are only ever appended), so the file stays one table.
    """

    def __init__(self, path: Path, fields: tuple[str, ...]) -> None:
        self.path = path
        self.fields = fields
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._handle)
        self._keep: list[int] | None = None  # the indexes of the cells the file's header has
        if self._handle.tell() == 0:
            self.write(fields)
        else:
            header = header_of(path)
            if header and tuple(header) != fields and set(header) <= set(fields):
                self._keep = [fields.index(name) for name in header]

    def _cells(self, row: tuple[object, ...] | list[object]) -> tuple[object, ...] | list[object]:
        return row if self._keep is None else [row[index] for index in self._keep]

    def write(self, row: tuple[object, ...] | list[object]) -> None:
        self._writer.writerow(self._cells(row))
        self._handle.flush()

    def write_rows(self, rows: list[tuple[object, ...]]) -> None:
        """Rows written together (one report's), flushed once."""
        self._writer.writerows([self._cells(row) for row in rows])
        self._handle.flush()

    def linked(self) -> bool:
        return linked(self._handle)

    def close(self) -> None:
        self._handle.close()


class RejectSink:
    """`--rejects FILE`: every rejected line appended verbatim, after its reason and file.

    Lines are tab-separated (`reason<TAB>file<TAB>line`) and kept byte for byte as read
    (bytes that were not UTF-8 appear as `\\xNN`), so nothing the monitor could not read is lost.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115

    def linked(self) -> bool:
        return linked(self._handle)

    def write(self, source: str, rejects: list[tuple[str, str]]) -> None:
        self._handle.writelines(f"{reason}\t{source}\t{line}\n" for reason, line in rejects)
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


class Outputs:
    """alerts.csv, stats.csv and sections.csv under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open()

    def _open(self) -> None:
        self.alerts = CsvSink(self.directory / "alerts.csv", ALERT_FIELDS)
        self.stats = CsvSink(self.directory / "stats.csv", STATS_FIELDS)
        self.sections = CsvSink(self.directory / "sections.csv", SECTION_FIELDS)

    def reopen_if_gone(self) -> bool:
        """Write the CSVs anew if one (or the directory) was deleted under the monitor: rows
        written to a deleted file would be lost. Returns whether it had to."""
        if all(sink.linked() for sink in (self.alerts, self.stats, self.sections)):
            return False
        self.close()
        self._open()
        return True

    def transition(self, transition: Transition) -> None:
        self.alerts.write(alert_row(transition))

    def report(self, report: Report) -> None:
        self.stats.write(stats_row(report))
        self.sections.write_rows(section_rows(report))

    def stats_size(self) -> int:
        """stats.csv's size in bytes (rows are flushed as written): the checkpoint's witness.

        Of the open file, so a stats.csv deleted under the monitor is no crash.
        """
        return os.fstat(self.stats._handle.fileno()).st_size

    def close(self) -> None:
        for sink in (self.alerts, self.stats, self.sections):
            sink.close()


def same_rule(row: dict[str, str], rule: AlertRule) -> bool:
    """Whether an alerts.csv row is of `rule`: threshold and window exactly as recorded, and
    the recovery threshold where the row records one (older files do not)."""
    recovery = row.get("recovery")
    if recovery is not None and (Fraction(recovery) if recovery else None) != (
        Fraction(rule.recovery_text) if rule.recovery_text else None
    ):
        return False
    return Fraction(row["threshold"]) == Fraction(rule.threshold_text) and int(row["window_s"]) == rule.window


def read_history(path: Path, rule: AlertRule) -> list[Transition]:
    """Earlier transitions of this rule from alerts.csv (none if absent)."""
    if not os.path.exists(path):
        return []
    history = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                if row["kind"] in (ALERT, RECOVERED) and same_rule(row, rule):
                    hits = round(Fraction(row["hits"]) * rule.window)
                    onset = BEFORE if row.get("onset") == BEFORE else CROSSED
                    history.append(Transition(parse_iso_utc(row["time"]), row["kind"], hits, rule, onset))
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                continue  # a damaged row must not stop the monitor from starting
    return history
