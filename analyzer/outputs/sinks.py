"""The output files under --out: append-only CSVs, one header line, each row flushed."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from analyzer.core.alerts import ALERT, BEFORE, CROSSED, RECOVERED, AlertRule, Transition, shown_rate
from analyzer.core.engine import Report
from analyzer.core.rules import rule_of_row
from analyzer.core.text import escaped
from analyzer.core.times import parse_iso_utc
from analyzer.follow.outdir import PRIVATE_MODE, OutputError, open_append
from analyzer.outputs.rows import (
    ALERT_FIELDS,
    SECTION_FIELDS,
    STATS_FIELDS,
    alert_row,
    section_rows,
    stats_row,
)

__all__ = ["CsvSink", "OutputError", "Outputs", "RejectSink", "read_history"]


def linked(fd: int) -> bool:
    """Whether the file still has a name (it was not deleted under the monitor)."""
    return os.fstat(fd).st_nlink > 0


def cells_text(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def write_whole(fd: int, data: bytes, path: Path) -> None:
    """`data` appended by one write(), so a row is whole or, on a full disk, torn only at the end
    of the file, where the next start finds it; any failure is one line and exit 2."""
    try:
        written = os.write(fd, data)
        while written < len(data):  # a signal cut it short: the rest at once, still at the end
            written += os.write(fd, data[written:])
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror}") from None


def set_aside_torn_row(fd: int, path: Path) -> str | None:
    """A last row without its newline (a full disk, a crash mid-write) is cut off and kept in
    `NAME.torn`, never glued to the next row; returns the warning to show."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return None
    start = max(0, size - (1 << 20))
    tail = os.pread(fd, size - start, start)
    cut = start + tail.rfind(b"\n") + 1 if b"\n" in tail else start
    torn = os.pread(fd, size - cut, cut)
    aside = path.with_name(path.name + ".torn")
    keep = open_append(aside)
    try:
        write_whole(keep, torn + b"\n", aside)
    finally:
        os.close(keep)
    os.ftruncate(fd, cut)
    return (
        f"{path}: a torn last row ({len(torn):,} bytes: a full disk or a crash mid-write) "
        f"set aside in {aside}"
    )


class CsvSink:
    """Appends rows to one CSV; writes the header only when the file is new or empty.

    A file written by an older version has fewer columns: its rows keep the columns its
    header names (columns are only ever appended), so the file stays one table.
    """

    def __init__(self, path: Path, fields: tuple[str, ...]) -> None:
        self.path = path
        self.fields = fields
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = open_append(path)
        self.warning = set_aside_torn_row(self.fd, path)
        self._keep: list[int] | None = None  # the indexes of the cells the file's header has
        if os.fstat(self.fd).st_size == 0:
            self.write(fields)
        else:
            first_line = os.pread(self.fd, 1 << 16, 0).decode("utf-8", "replace").split("\n")[0]
            header = next(csv.reader([first_line]), [])
            if header and tuple(header) != fields and set(header) <= set(fields):
                self._keep = [fields.index(name) for name in header]

    def _cells(self, row: Sequence[object]) -> list[object]:
        cells = list(row) if self._keep is None else [row[index] for index in self._keep]
        # Log text is written escaped, as on screen: `cat sections.csv` must not retitle a terminal.
        return [escaped(cell) if isinstance(cell, str) else cell for cell in cells]

    def write(self, row: Sequence[object]) -> None:
        self.write_rows([row])

    def write_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """Rows written together (one report's), by one write()."""
        if rows:
            write_whole(self.fd, cells_text([self._cells(row) for row in rows]).encode(), self.path)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def linked(self) -> bool:
        return linked(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class RejectSink:
    """`--rejects FILE`: every rejected line appended verbatim, after its reason and file.

    Lines are tab-separated (`reason<TAB>file<TAB>line`) and kept byte for byte as read
    (bytes that were not UTF-8 appear as `\\xNN`), so nothing the monitor could not read is lost.
    Raw log lines: the file is 0600 (the log's own readers only).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = open_append(path, PRIVATE_MODE)

    def linked(self) -> bool:
        return linked(self.fd)

    def write(self, source: str, rejects: list[tuple[str, str]]) -> None:
        text = "".join(f"{reason}\t{source}\t{line}\n" for reason, line in rejects)
        write_whole(self.fd, text.encode("utf-8", "surrogateescape"), self.path)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


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
        """stats.csv's size in bytes (rows are written whole as they come): the checkpoint's
        witness. Of the open file, so a stats.csv deleted under the monitor is no crash."""
        return self.stats.size()

    def warnings(self) -> list[str]:
        """What opening the CSVs found: torn last rows set aside."""
        return [sink.warning for sink in (self.alerts, self.stats, self.sections) if sink.warning]

    def close(self) -> None:
        for sink in (self.alerts, self.stats, self.sections):
            sink.close()


def same_rule(row: dict[str, str], rule: AlertRule) -> bool:
    """Whether an alerts.csv row is of `rule`: threshold and window exactly as recorded, and
    the recovery threshold where the row records one (older files do not)."""
    if rule_of_row(row.get("rule"), row.get("message") or "") != rule.name:  # older files: by the message
        return False
    recovery = row.get("recovery")
    if recovery is not None and (Fraction(recovery) if recovery else None) != (
        Fraction(rule.recovery_text) if rule.recovery_text else None
    ):
        return False
    return Fraction(row["threshold"]) == Fraction(rule.threshold_text) and int(row["window_s"]) == rule.window


def hits_shown(shown: str, rule: AlertRule, kind: str) -> int:
    """Window hits that print as `shown` (the CSV keeps the printed average, 2 decimals, rounded
    up or down where it had to be): the restored message reads as the one written."""
    near = round(Fraction(shown) * rule.window)
    reach = rule.window // 100 + 2  # a hundredth of a req/s is window / 100 hits
    for hits in sorted(range(max(0, near - reach), near + reach + 1), key=lambda h: abs(h - near)):
        if shown_rate(hits, rule, kind) == shown:
            return hits
    return near


def read_histories(path: Path, rules: tuple[AlertRule, ...]) -> list[Transition]:
    """Earlier transitions of every rule, oldest first (at one second, the rules in order)."""
    return sorted((t for rule in rules for t in read_history(path, rule)), key=lambda t: t.second)


def read_history(path: Path, rule: AlertRule) -> list[Transition]:
    """Earlier transitions of this rule from alerts.csv (none if absent).

    Whatever the file holds (bytes that are not UTF-8, NULs, garbage rows, a field of
    megabytes, a link), every whole row of this rule is kept and nothing else stops a start:
    rows are read line by line (a message never holds a line break), each on its own.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return []  # absent (or a link, or unreadable: the sink says so when it opens it)
    with os.fdopen(fd, "rb") as handle:
        lines = handle.read().decode("utf-8", "replace").replace("\0", "").splitlines()
    if not lines:
        return []
    header = next(csv.reader([lines[0]]), [])
    history = []
    for line in lines[1:]:
        try:
            row = dict(zip(header, next(csv.reader([line])), strict=False))
            numbers = (row.get("hits", ""), row.get("threshold", ""), row.get("recovery") or "")
            if max(len(text) for text in numbers) > 40:
                continue  # no number of ours is this long (and `1e999999` would be slow to make)
            if row.get("kind") in (ALERT, RECOVERED) and same_rule(row, rule):
                onset = BEFORE if row.get("onset") == BEFORE else CROSSED
                if len(rule.series) > 1:  # a share (error rate): its message as written
                    text = row["message"]
                    history.append(
                        Transition(parse_iso_utc(row["time"]), row["kind"], 0, rule, onset, text=text)
                    )
                    continue
                hits = hits_shown(row["hits"], rule, row["kind"])
                history.append(Transition(parse_iso_utc(row["time"]), row["kind"], hits, rule, onset))
        except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError, csv.Error, StopIteration):
            continue  # a damaged row must not stop the monitor from starting
    return history
