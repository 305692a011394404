"""Which parser reads a log: chosen by name, by a custom format string, or detected.

Every parser has `name`, `stateful` (whether batches must be parsed in order, one parser
per file) and `parse(data, core=False) -> Parsed`.
"""

from __future__ import annotations

from typing import Protocol

from analyzer.formats.clf import FORMATS, Parsed, detect_format, parse
from analyzer.formats.logformat import CustomParser, compile_format
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


def make_parser(fmt: str, log_format: str | None = None) -> LineParser:
    """A fresh parser for one file (raises logformat.FormatError for a bad format string)."""
    if log_format:
        return CustomParser(compile_format(log_format))
    if fmt == "w3c":
        return W3cParser()
    if fmt in FORMATS:
        return ClfParser(fmt)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMAT_CHOICES)}")


def describe(parser: LineParser) -> str:
    """How the report header names the format."""
    if isinstance(parser, CustomParser):
        return f"custom: {parser.compiled.source}"
    return parser.name
