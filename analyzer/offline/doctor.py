"""`python -m analyzer check FILE...`: the format doctor.

For each file: the format found, lines, requests, rejected by reason with an example of
each, directives, the time span, the share of lines out of time order, the time zones seen,
a verdict, and the command line to monitor it.
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc

from analyzer.core.times import iso_utc
from analyzer.formats.columns import seconds_of
from analyzer.formats.errorlog import error_log_of
from analyzer.formats.parsers import LineParser, describe, detect, make_parser
from analyzer.formats.pipeline import parsed_in_turn
from analyzer.formats.rejects import TOO_LONG
from analyzer.formats.text import split_lines
from analyzer.lines import MAX_LINE_BYTES
from analyzer.offline.infer import SAMPLE_LINES, Inferred, infer_format
from analyzer.offline.locations import open_file
from analyzer.offline.reader import GZIP_MAGIC, InputError, open_log, pieces
from analyzer.offline.streams import HEAD_BYTES
from analyzer.ui.text import printable

# The offset of a Common/Combined time (`... -0700]`) or an ISO 8601 one (`...+03:00`).
_ZONE = (
    r"(?:\[[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9:]{8} |T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)"
    r"(?P<zone>[+-][0-9]{2}:?[0-9]{2}|Z)"
)
WARN_SHARE = 0.01


@dataclass
class Diagnosis:
    """What `check` found in one file."""

    path: str
    fmt: str
    command: str
    lines: int = 0
    requests: int = 0
    rejected: int = 0
    directives: int = 0
    first: int | None = None
    last: int | None = None
    out_of_order: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    zones: Counter[str] = field(default_factory=Counter)
    compressed: bool = False  # backtest and replay read it; the monitor follows plain files
    problem: str | None = None  # what stopped the reading (a gzip cut short)
    error_log: str | None = None  # the server whose error log this is
    timed: int = 0  # requests with a request time (nginx rt= after the agent, W3C time-taken...)
    inferred: Inferred | None = None  # a --log-format that reads more of the lines, found from them
    sample_read: int = 0  # of the inferred format's sample, the lines the format used read

    @property
    def readable(self) -> bool:
        """Whether a command can read it as a log (an empty one is a log with no lines yet)."""
        return self.problem is None and (self.requests > 0 or self.lines == 0)

    @property
    def verdict(self) -> str:
        share = self.rejected / self.lines if self.lines else 0.0
        unreadable = (
            self.problem
            or (self.error_log and f"an {self.error_log} error log, not an access log")
            or (
                self.lines
                and not self.requests
                and "no line parsed as a request; give --format or --log-format"
            )
        )
        if unreadable:
            return f"NOT READABLE: {unreadable}"
        if self.lines == 0:
            return "EMPTY: no lines yet; the monitor can follow it (its format is told from its first lines)"
        if share > WARN_SHARE:
            return f"PARTLY READABLE: {share:.1%} of lines rejected; check the reasons below"
        if self.compressed:
            return "OK: backtest and replay read this compressed log (the monitor follows plain logs)"
        return "OK: the monitor can follow this log"


def diagnose(path: str, fmt: str = "auto", log_format: str | None = None) -> Diagnosis:
    """Read the whole file once, in pieces, with the parser the monitor, replay and backtest
    use: the format detected as they detect it (parsers.detect on the first 64 KiB), so the
    counts are theirs."""
    with open_log(path) as handle:
        head = handle.read(HEAD_BYTES)
    detecting = fmt == "auto" and not log_format
    if detecting:
        fmt = detect(head) or "combined"
    parser = make_parser(fmt, log_format)
    options = f"--log-format {shlex.quote(log_format)}" if log_format else f"--format {fmt}"
    compressed = is_compressed(path)
    command = "replay " if compressed else ""
    found = Diagnosis(path, describe(parser), f"python -m analyzer {command}{shlex.quote(path)} {options}")
    found.compressed = compressed
    try:
        _read_all(path, parser, fmt, found)
    except InputError as error:  # found mid-way: a gzip cut short
        found.problem = str(error).removeprefix(f"{path}: ")
    if found.requests == 0 and found.rejected:
        found.error_log = error_log_of([line.encode() for line in found.examples.values()])
    if detecting and not found.error_log and found.rejected > WARN_SHARE * found.lines:
        _infer(head, parser, found)
    return found


def _infer(head: bytes, parser: LineParser, found: Diagnosis) -> None:
    """Most lines rejected: the format the lines suggest, if it reads more of them."""
    inferred = infer_format(head)
    if inferred is None:
        return
    lines = head[: head.rfind(b"\n") + 1].split(b"\n")[:SAMPLE_LINES]
    read = len(parser.parse(b"\n".join(line for line in lines if line) + b"\n").frame)
    if inferred.read > read:
        found.inferred, found.sample_read = inferred, read
        options = f"--log-format {shlex.quote(inferred.source)}"
        command = "replay " if found.compressed else ""
        found.command = f"python -m analyzer {command}{shlex.quote(found.path)} {options}"


def is_compressed(path: str) -> bool:
    with open_file(path) as handle:  # a path or a URL
        return handle.read(2) == GZIP_MAGIC


def _read_all(path: str, parser: LineParser, fmt: str, found: Diagnosis) -> None:
    previous: int | None = None
    reads = (piece.read_lines() for piece in pieces(path))
    for (data, dropped), parsed in parsed_in_turn(parser, reads, lambda read: read[0]):
        found.lines += parsed.lines + dropped
        found.requests += len(parsed.frame)
        if "duration" in parsed.frame:
            found.timed += int(parsed.frame["duration"].notna().sum())
        found.rejected += parsed.rejected + dropped
        if dropped:
            found.reasons[TOO_LONG] += dropped
            found.examples.setdefault(TOO_LONG, f"(a line over {MAX_LINE_BYTES:,} bytes, not kept)")
        found.directives += parsed.directives
        for reason, line in parsed.rejects:
            found.reasons[reason] += 1
            found.examples.setdefault(reason, line)
        seconds = seconds_of(parsed.frame)
        if len(seconds):
            chained = seconds if previous is None else np.r_[previous, seconds]
            found.out_of_order += int((np.diff(chained) < 0).sum())
            previous = int(seconds[-1])
            found.first = int(seconds.min()) if found.first is None else min(found.first, int(seconds.min()))
            found.last = int(seconds.max()) if found.last is None else max(found.last, int(seconds.max()))
        found.zones.update(_zones(data) if fmt != "w3c" else {"UTC (W3C)": len(seconds)})


def _zones(data: bytes) -> dict[str, int]:
    zones = pc.struct_field(pc.extract_regex(split_lines(data), _ZONE), "zone").drop_null()
    counts = pc.value_counts(zones)
    return {str(item["values"]): int(item["counts"]) for item in counts.to_pylist()} if len(zones) else {}


def render_diagnosis(found: Diagnosis) -> str:
    """The doctor's answer for one file, as text for the terminal."""
    span = (
        f"{iso_utc(found.first)} to {iso_utc(found.last)}"
        if found.first is not None and found.last is not None
        else "-"
    )
    share = found.out_of_order / found.requests if found.requests else 0.0
    zones = ", ".join(f"{zone} ({count:,})" for zone, count in found.zones.most_common(8)) or "-"
    lines = [
        f"{printable(found.path, 200)}",
        f"  format:       {printable(found.fmt, 200)}",
        f"  lines:        {found.lines:,}: {found.requests:,} requests, {found.rejected:,} rejected"
        + (f", {found.directives:,} directives" if found.directives else ""),
        f"  time span:    {span}",
        f"  out of order: {found.out_of_order:,} requests earlier than the one before ({share:.1%})",
        f"  time zones:   {zones}",
    ]
    if found.timed:
        lines.append(
            f"  request time: {found.timed:,} of {found.requests:,} requests carry one "
            "(the monitor and replay report their latency percentiles)"
        )
    if found.inferred:
        inferred = found.inferred
        lines.append(
            f"  found:        --log-format {shlex.quote(inferred.source)} reads {inferred.read:,} of the "
            f"first {inferred.sample:,} lines ({found.fmt} reads {found.sample_read:,}): "
            "the command below uses it"
        )
    for reason, count in found.reasons.most_common():
        lines.append(f"  rejected, {reason}: {count:,}, e.g. {printable(found.examples[reason], 100)}")
    lines += [f"  verdict:      {found.verdict}"]
    if found.readable:
        label = "to replay:   " if found.compressed else "to monitor:  "
        lines.append(f"  {label} {printable(found.command, 1 << 12)}")
    return "\n".join(lines) + "\n"
