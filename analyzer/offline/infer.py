"""The `--log-format` that reads a log most of whose lines the known formats reject.

A human finds it in a minute from the lines: where the `[time]` stands, how many fields come
before it, what follows the agent. This does the same: it counts the fields before the
timestamp and the quoted fields after the status, builds the server variants that fit (an
extra leading field, a virtual host or a server address, with or without a port; the
agent's quoted field, timing fields after it), parses a sample with each and keeps the one
that reads the most lines.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from analyzer.formats.logformat import FormatError
from analyzer.formats.parsers import make_parser
from analyzer.formats.timing import timing_format

_TIME = re.compile(r"\[\d{1,2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]")
CORE = '%h %l %u %t "%r" %>s %b'
AFTER = ('"%{Referer}i" "%{User-agent}i"', "")
# What an extra field before the client stands for, as servers write it.
LEADING = ("%v", "%v:%p", "%A")
SAMPLE_LINES = 2000


@dataclass(frozen=True)
class Inferred:
    """A format string and how many of the sample's lines it reads."""

    source: str
    read: int
    sample: int


def infer_format(head: bytes) -> Inferred | None:
    """The format that reads the most of `head`'s complete lines, if one reads more than half."""
    lines = head[: head.rfind(b"\n") + 1].split(b"\n")[:SAMPLE_LINES]
    data = b"\n".join(line for line in lines if line) + b"\n"
    text = data.decode("utf-8", "replace").splitlines()
    best: Inferred | None = None
    for source in candidates(text):
        try:
            read = len(make_parser("custom", source).parse(data).frame)
        except FormatError:
            continue
        if best is None or read > best.read:
            best = Inferred(source, read, len(text))
    return best if best is not None and best.read * 2 > len(text) else None


def candidates(lines: list[str]) -> list[str]:
    """Format strings that fit the shape of most lines, most likely first."""
    before = Counter(_fields_before_time(line) for line in lines)
    before.pop(None, None)
    found: list[str] = []
    for count, _ in before.most_common(2):
        extra = (count or 0) - 3  # Combined has the client, ident and user before the time
        leading = [""] if extra <= 0 else [f"{field} " for field in LEADING] + ["%{X-Forwarded-For}i "]
        for lead in leading:
            for after in AFTER:
                found.append(f"{lead}{CORE} {after}".rstrip())
    timing = timing_format(lines)
    if timing is not None:
        found.append(timing)
    return list(dict.fromkeys(found))


def _fields_before_time(line: str) -> int | None:
    """Space-separated fields before the `[time]` (an empty leading field counts too)."""
    found = _TIME.search(line)
    return None if found is None else len(line[: found.start()].split(" ")) - 1
