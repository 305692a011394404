"""Parse Common and Combined access-log lines into the request frame.

Pure: bytes in, DataFrame out. What a line means is one RE2 pattern per format
(analyzer.formats.patterns), matched on each line on its own, so a broken quote can never
swallow its neighbour. Most lines never meet RE2: the fast path (analyzer.formats.fast, the
C kernel) finds their fields by a byte scan and vouches that the pattern would capture exactly
those; only the lines it cannot vouch for are matched by RE2 here, and both halves are merged in
line order. Where the kernel was not built every line is matched by RE2: the reference path.
The expensive string work (timestamps, request lines, sections) runs on distinct values only,
then is taken back by dictionary codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.formats import compiled
from analyzer.formats.columns import (
    COLUMNS,
    NO_TIME,
    build_frame,
    epoch_seconds,
    extract,
    field,
    integers,
    interleave,
    prefix_parts,
    request_parts,
    seconds_of,
    usable_time,
)
from analyzer.formats.compiled import split_requests
from analyzer.formats.encoded import Encoded, dictionary_of
from analyzer.formats.fast import vouch
from analyzer.formats.patterns import CORE_PATTERN, LINE_PATTERNS, TIME_FORMAT
from analyzer.formats.rejects import reasons, too_long
from analyzer.formats.sections import section_values
from analyzer.formats.text import line_array, line_ends, split_lines, utf8_text
from analyzer.formats.timing import request_times

__all__ = [
    "COLUMNS", "FORMATS", "Parsed", "Prepared", "Requests", "empty_frame", "finish",
    "parse", "prepare", "requests", "seconds_of", "split_lines",
]  # fmt: skip

FORMATS = ("common", "combined")
TIMED = re.compile(rb'[ "\t](?:rt|request_time)=')  # nginx request times after the agent
MAX_REJECT_SAMPLES = 5


@dataclass
class Parsed:
    """One batch of lines: the requests, and what could not be read."""

    frame: pd.DataFrame
    lines: int
    rejected: int
    reject_samples: list[str] = dataclass_field(default_factory=list)
    # Line numbers (0-based, in this batch) of the rejected lines: a backtest files each one
    # under the report of the good line before it.
    rejected_at: np.ndarray = dataclass_field(default_factory=lambda: np.zeros(0, np.int64))
    # Every rejected line (newline cut) with its reason, for --rejects and the report.
    rejects: list[tuple[str, str]] = dataclass_field(default_factory=list)
    # Line numbers of W3C `#Software`, `#Fields`... lines: neither requests nor rejected.
    directive_at: np.ndarray = dataclass_field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def directives(self) -> int:
        return len(self.directive_at)

    def request_at(self) -> np.ndarray:
        """Line numbers of the requests, in the order of the frame's rows."""
        other = np.concatenate([self.rejected_at, self.directive_at]).astype(np.int64)
        return np.delete(np.arange(self.lines), other)

    @property
    def reasons(self) -> dict[str, int]:
        """Rejected lines per reason."""
        counts: dict[str, int] = {}
        for reason, _ in self.rejects:
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def rejected_lines(lines: pa.Array, ok: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str]], list[str]]:
    """Where the rejected lines are, each with its reason, and the first few as samples."""
    at = np.flatnonzero(~ok)
    bad = lines.take(pa.array(at, pa.int64()))
    texts = [line.rstrip("\r\n") for line in bad.to_pylist()]
    found = list(zip(reasons(bad).tolist(), texts, strict=True))
    return at, found, texts[:MAX_REJECT_SAMPLES]


@dataclass(frozen=True)
class _Fields:
    """What one way of reading gave for the lines at `at` (text fields before any null_if)."""

    at: np.ndarray
    seconds: np.ndarray
    ok: np.ndarray
    status: np.ndarray
    size: np.ndarray
    text: dict[str, Encoded]
    duration: np.ndarray | None = None  # request times (NaN: none); None: no line has one


def parse(
    data: bytes,
    fmt: str = "combined",
    core: bool = False,
    *,
    fast: bool = True,
    only: frozenset[str] | None = None,
) -> Parsed:
    """Parse complete lines of a Common or Combined log; never raises on any bytes.

    With `core`, only time, method, path, section, protocol, status and bytes are read; with
    `only`, the frame has just those text columns (the live monitor counts three of them).
    `fast=False` matches every line with RE2: the reference the fast path is tested against,
    and the only path where the kernel was not built.
    """
    return finish(prepare(data, fmt, core, fast=fast, only=only))


@dataclass(frozen=True)
class Prepared:
    """A batch halfway through parse: its lines, and the fields of every line."""

    lines: pa.Array
    fields: _Fields
    fmt: str
    core: bool
    only: frozenset[str] | None


def prepare(
    data: bytes, fmt: str, core: bool, *, fast: bool = True, only: frozenset[str] | None = None
) -> Prepared:
    """The first half of parse: the byte scan and the encoding, mostly in the kernel with the
    GIL released (so another thread can meanwhile finish the batch before this one)."""
    lines, read = _read(data, fmt, core, fast, agent=_agent(fmt, core, only))
    return Prepared(lines, read, fmt, core, only)


def _agent(fmt: str, core: bool, only: frozenset[str] | None) -> bool:
    """Whether the referer and agent are wanted. The live monitor's lean parse wants neither,
    but still the Combined tail, for the request time after it."""
    return fmt == "combined" and not core and (only is None or bool({"referer", "user_agent"} & only))


def finish(prepared: Prepared) -> Parsed:
    """The second half of parse: fields cut per distinct value, the frame, the rejects."""
    read, only = prepared.fields, prepared.only
    columns = request_parts(read.text["request"], only)
    if not prepared.core:
        columns |= prefix_parts(read.text["prefix"], only)
    if _agent(prepared.fmt, prepared.core, only):
        columns["referer"] = read.text["referer"].without(("-", ""))
        columns["user_agent"] = read.text["user_agent"].without(("-", ""))
    whole = {"status": read.status, "bytes": read.size}
    if read.duration is not None and not np.isnan(read.duration[read.ok]).all():
        whole["duration"] = read.duration  # where a request of the batch has a request time
    frame = build_frame(read.seconds, read.ok, columns, whole, only)
    at, rejects, samples = rejected_lines(prepared.lines, read.ok)
    return Parsed(frame, len(prepared.lines), len(at), samples, at, rejects)


@dataclass(frozen=True)
class Requests:
    """What a backtest sums of a batch, without building the frame: per request, in line
    order, what parse(core=True)'s frame holds in `time` (as seconds), `status`, `bytes`
    and `section` (codes into the same categories); and which lines were rejected."""

    seconds: np.ndarray
    status: np.ndarray
    size: np.ndarray
    section: Encoded
    lines: int
    rejected_at: np.ndarray
    duration: np.ndarray | None = None  # request times after a Combined agent (NaN: none)


def requests(data: bytes, fmt: str = "combined") -> Requests:
    """The requests of complete Common or Combined lines, as parse(data, fmt) reads them: the
    section of each distinct request, and request times where the piece's head shows them
    (one log_format a log: the tail read, its referer and agent not cut)."""
    timed = fmt == "combined" and TIMED.search(data[:65536]) is not None
    lines, read = _read(data, fmt, not timed, True, sections=True, agent=False)
    ok, section = read.ok, read.text["section"]
    kept = Encoded(section.codes[ok], section.values)
    duration = read.duration[ok] if read.duration is not None else None
    return Requests(
        read.seconds[ok], read.status[ok], read.size[ok], kept, len(lines), np.flatnonzero(~ok), duration
    )


def _read(
    data: bytes, fmt: str, core: bool, fast: bool, sections: bool = False, agent: bool = True
) -> tuple[pa.Array, _Fields]:
    """The lines, and the fields of every line: by the fast path where it vouches, by RE2 for
    the rest, merged in line order. `sections`: each request's section, not the request;
    `agent`: the Combined referer and agent (the request time is read whenever the tail is)."""
    if fmt not in LINE_PATTERNS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    text, newlines = utf8_text(data)
    fast = fast and compiled.KERNEL is not None and bool(text)
    vouched = vouch(text, fmt, core, sections, newlines, agent) if fast else None
    lines = line_array(text, line_ends(text) if vouched is None else vouched.ends)
    parts = []
    rest = np.arange(len(lines))
    if vouched is not None:
        parts.append(_Fields(vouched.at, vouched.seconds, np.ones(len(vouched.at), bool),
                             vouched.status, vouched.size, vouched.text, vouched.duration))  # fmt: skip
        if len(vouched.at) == len(lines):  # the usual batch: every line vouched, nothing to merge
            return lines, _with_section(parts[0]) if sections else parts[0]
        rest = np.delete(rest, vouched.at)
    if len(rest) or not parts:
        taken = lines.take(pa.array(rest)) if vouched is not None else lines
        parts.append(_matched(taken, rest, fmt, core, agent))
    if sections:
        parts = [_with_section(part) for part in parts]
    seconds, ok, status, size = _placed(parts, len(lines))
    raw = {
        name: interleave([(part.at, part.text[name]) for part in parts], len(lines)) for name in parts[0].text
    }
    return lines, _Fields(rest, seconds, ok, status, size, raw, _placed_durations(parts, len(lines)))


def _with_section(part: _Fields) -> _Fields:
    """The part with each request's section in place of the request."""
    if "section" in part.text:
        return part
    request = part.text["request"]
    section = request.derive(section_values(split_requests(request.values)["path"]))
    return replace(part, text={"section": section})


def _matched(lines: pa.Array, at: np.ndarray, fmt: str, core: bool, agent: bool = True) -> _Fields:
    """The RE2 way: the line pattern matched on each line."""
    tailed = fmt == "combined" and not core
    pattern = CORE_PATTERN if core else LINE_PATTERNS[fmt]
    if tailed and not agent:  # the same lines match; two groups fewer to cut
        pattern = pattern.replace("(?P<referer>", "(?:").replace("(?P<user_agent>", "(?:")
    parts = extract(lines, pattern)
    seconds = epoch_seconds(field(parts, "ts"), TIME_FORMAT)
    ok = parts.is_valid().to_numpy(zero_copy_only=False) & usable_time(seconds) & ~too_long(lines)
    names = (
        ["request"] + ([] if core else ["prefix"]) + (["referer", "user_agent"] if tailed and agent else [])
    )
    return _Fields(
        at,
        seconds,
        ok,
        integers(field(parts, "status"), np.int16, digits_only=True),
        integers(field(parts, "bytes"), np.int64, digits_only=True),
        {name: dictionary_of(field(parts, name)) for name in names},
        request_times(field(parts, "rest")) if tailed else None,
    )


def _placed(parts: list[_Fields], rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seconds, ok, status and size of every line, each part's values at its lines."""
    seconds, ok = np.full(rows, NO_TIME, np.int64), np.zeros(rows, bool)
    status, size = np.zeros(rows, np.int16), np.zeros(rows, np.int64)
    for part in parts:
        seconds[part.at], ok[part.at], status[part.at], size[part.at] = (
            part.seconds,
            part.ok,
            part.status,
            part.size,
        )
    return seconds, ok, status, size


def _placed_durations(parts: list[_Fields], rows: int) -> np.ndarray | None:
    """The request time of every line, each part's at its lines; None where no part read one."""
    if all(part.duration is None for part in parts):
        return None
    duration = np.full(rows, np.nan)
    for part in parts:
        if part.duration is not None:
            duration[part.at] = part.duration
    return duration


def empty_frame(fmt: str = "combined") -> pd.DataFrame:
    """A frame with the request columns of `fmt` and no rows."""
    return _empty(fmt).copy()


@cache
def _empty(fmt: str) -> pd.DataFrame:
    return parse(b"", fmt).frame  # made when first asked for, not at import (a backtest never asks)
