"""Which parser reads a log: chosen by name, by a custom format string, or detected.

Every parser has `name`, `stateful` (whether batches must be parsed in order, one parser
per file) and `parse(data, core=False) -> Parsed`.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.clf import FORMATS, Parsed, parse
from analyzer.formats.logformat import CustomParser, compile_format
from analyzer.formats.patterns import LINE_PATTERNS, STRICT_COMBINED
from analyzer.formats.select import Selection, selected
from analyzer.formats.text import split_lines
from analyzer.formats.w3c import W3cParser, is_w3c

FORMAT_CHOICES = ("auto", *FORMATS, "w3c")


class LineParser(Protocol):
    name: str
    stateful: bool

    def parse(self, data: bytes, core: bool = False) -> Parsed: ...


class ClfParser:
    """Common or Combined (Apache, nginx), extra trailing fields tolerated."""

    stateful = False

    def __init__(self, name: str, only: frozenset[str] | None = None) -> None:
        self.name = name
        self.only = only  # the text columns wanted (None: all)

    def parse(self, data: bytes, core: bool = False) -> Parsed:
        return parse(data, self.name, core, only=self.only)


def detect(head: bytes) -> str | None:
    """The format of a log from its first lines: w3c, combined, common, or None."""
    return "w3c" if is_w3c(head) else detect_format(head)


class SelectingParser:
    """A parser whose batches keep only the chosen requests (`select`); every column is
    parsed, as the filter reads hosts, paths and agents even where the counts do not."""

    def __init__(self, inner: LineParser, chosen: Selection) -> None:
        self.inner = inner
        self.chosen = chosen
        self.name = inner.name
        self.stateful = inner.stateful

    def parse(self, data: bytes, core: bool = False) -> Parsed:
        return selected(self.inner.parse(data), self.chosen)


def make_parser(fmt: str, log_format: str | None = None, chosen: Selection | None = None) -> LineParser:
    """A fresh parser for one file (raises logformat.FormatError for a bad format string);
    with a selection, its batches hold only the requests chosen."""
    parser = _parser(fmt, log_format)
    return SelectingParser(parser, chosen) if chosen else parser


def _parser(fmt: str, log_format: str | None) -> LineParser:
    if log_format:
        return CustomParser(compile_format(log_format))
    if fmt == "w3c":
        return W3cParser()
    if fmt in FORMATS:
        return ClfParser(fmt)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMAT_CHOICES)}")


def describe(parser: LineParser) -> str:
    """How the report header names the format."""
    if isinstance(parser, SelectingParser):
        return describe(parser.inner)
    if isinstance(parser, CustomParser):
        return f"custom: {parser.compiled.source}"
    return parser.name


def detect_format(data: bytes, sample_lines: int = 50) -> str | None:
    """The format most of the first lines match, or None when neither matches most."""
    head = b"\n".join(data.split(b"\n", sample_lines)[:sample_lines])
    lines = split_lines(head)
    lines = pc.filter(lines, pc.greater(pc.binary_length(lines), 1))
    if len(lines) == 0:
        return None
    common = _count_matches(lines, LINE_PATTERNS["common"])
    if common * 2 < len(lines):
        return None
    combined = _count_matches(lines, STRICT_COMBINED)
    return "combined" if combined * 2 >= common else "common"


def _count_matches(lines: pa.Array, pattern: str) -> int:
    return int(pc.sum(pc.cast(pc.match_substring_regex(lines, pattern), pa.int64())).as_py() or 0)
