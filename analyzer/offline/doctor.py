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
from analyzer.formats.clf import split_lines
from analyzer.formats.columns import seconds_of
from analyzer.formats.parsers import describe, detect, make_parser
from analyzer.formats.rejects import TOO_LONG
from analyzer.lines import MAX_LINE_BYTES
from analyzer.offline.reader import open_log, pieces
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

    @property
    def verdict(self) -> str:
        if self.requests == 0:
            return "NOT READABLE: no line parsed as a request; give --format or --log-format"
        share = self.rejected / self.lines if self.lines else 0.0
        if share > WARN_SHARE:
            return f"PARTLY READABLE: {share:.1%} of lines rejected; check the reasons below"
        return "OK: the monitor can follow this log"


def diagnose(path: str, fmt: str = "auto", log_format: str | None = None) -> Diagnosis:
    """Read the whole file once, in pieces, with the parser the monitor would use."""
    if fmt == "auto" and not log_format:
        with open_log(path) as handle:
            fmt = detect(handle.read(64 << 10)) or "combined"
    parser = make_parser(fmt, log_format)
    options = f"--log-format {shlex.quote(log_format)}" if log_format else f"--format {fmt}"
    found = Diagnosis(path, describe(parser), f"python -m analyzer {shlex.quote(path)} {options}")
    previous: int | None = None
    for piece in pieces(path):
        data, dropped = piece.read_lines()
        parsed = parser.parse(data)
        found.lines += parsed.lines + dropped
        found.requests += len(parsed.frame)
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
    return found


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
    for reason, count in found.reasons.most_common():
        lines.append(f"  rejected, {reason}: {count:,}, e.g. {printable(found.examples[reason], 100)}")
    lines += [f"  verdict:      {found.verdict}", f"  to monitor:   {found.command}"]
    return "\n".join(lines) + "\n"
