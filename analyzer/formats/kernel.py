"""The fast path's scan and dictionary encoding: compiled where the C kernel was built, numpy
otherwise (the same results; the differential tests hold both to the RE2 path).

The kernel (analyzer/formats/kernel_c/, built by `pip install`) walks each line once; numpy
needs dozens of whole-array passes for the same fields, 3-4x the time. A machine without
a C compiler installs the package all the same and parses with numpy
(analyzer.formats.compiled.KERNEL is None there).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from analyzer.formats import compiled
from analyzer.formats import scan as numpy_scan
from analyzer.formats.columns import Encoded, dictionary_of
from analyzer.formats.compiled import slices
from analyzer.formats.scan import Head

UNREAD_TIME = np.iinfo(np.int64).min + 1  # Head.seconds of a time the kernel leaves to pandas
_INT_ROWS = ("starts", "ends", "bracket", "request", "request_end", "status", "size", "size_end",
             "referer", "referer_end", "agent_end", "seconds")  # fmt: skip
_FLAG_ROWS = ("shaped", "new_time", "tailed", "whole_prefix", "plain_tail")
_TAIL = ("tailed", "referer", "referer_end", "agent_end", "plain_tail")


def newlines_and_ascii(data: bytes) -> tuple[int | None, bool]:
    """The newlines in `data` (None without the kernel: numpy's scan does not need them) and
    whether its bytes are all ASCII: one pass over the bytes for both where the kernel was built."""
    if compiled.KERNEL is None:
        return None, data.isascii()
    lines, ascii = compiled.KERNEL.line_count(data)
    return lines, ascii


def scan(data: bytes, max_line_bytes: int, tail: bool = False, lines: int | None = None) -> Head:
    """analyzer.formats.scan.scan, by the kernel where it was built; `lines`: the newlines in
    `data`, if already counted."""
    _kernel = compiled.KERNEL
    if _kernel is None:
        return numpy_scan.scan(data, max_line_bytes, tail)
    if lines is None:
        lines = _kernel.line_count(data)[0]
    ints = np.empty((len(_INT_ROWS), lines), np.int64)
    flags = np.empty((len(_FLAG_ROWS), lines), np.uint8)
    _kernel.scan(data, lines, max_line_bytes, tail, ints, flags)
    fields: dict[str, np.ndarray] = dict(zip(_INT_ROWS, ints, strict=True))
    fields |= {name: row.view(bool) for name, row in zip(_FLAG_ROWS, flags, strict=True)}
    fields["status"] = fields["status"].astype(np.int16)
    if not tail:
        fields |= {name: np.zeros(0, fields[name].dtype) for name in _TAIL}
    return Head(**fields)


def encoded_ranges(buffer: pa.Buffer, ranges: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Encoded]:
    """Each field's strings buffer[starts[i]:stops[i]] dictionary-encoded (as columns.dictionary_of
    of them: codes by first appearance). The kernel hashes the ranges in place, in one call for
    all the fields, and only the distinct values are cut out."""
    if compiled.KERNEL is None:
        return {name: dictionary_of(slices(buffer, *bounds)) for name, bounds in ranges.items()}
    starts = np.stack([bounds[0] for bounds in ranges.values()]).astype(np.int64)
    stops = np.stack([bounds[1] for bounds in ranges.values()]).astype(np.int64)
    codes, firsts = np.empty_like(starts), np.empty_like(starts)
    distinct = compiled.KERNEL.encode_ranges(buffer, len(ranges), starts, stops, codes, firsts)
    found = {}
    for field, name in enumerate(ranges):
        first = firsts[field, : distinct[field]]  # ascending rows: ranges in buffer order, as slices needs
        found[name] = Encoded(codes[field], slices(buffer, starts[field, first], stops[field, first]))
    return found


def request_sections(buffer: pa.Buffer, starts: np.ndarray, stops: np.ndarray) -> Encoded:
    """The section of each request buffer[starts[i]:stops[i]] (missing where none), codes by
    first appearance: what the path of columns.REQUEST gives through sections.section_values,
    read per line by the kernel, so that no request is encoded (the backtest's question)."""
    assert compiled.KERNEL is not None
    starts, stops = np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(stops, np.int64)
    cut = np.empty((2, len(starts)), np.int64)
    compiled.KERNEL.sections(buffer, starts, stops, cut)
    present = np.flatnonzero(cut[1] >= 0)
    found = encoded_ranges(buffer, {"section": (cut[0][present], cut[1][present])})["section"]
    codes = np.full(len(starts), -1, np.int64)
    codes[present] = found.codes
    return Encoded(codes, found.values)
