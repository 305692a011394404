"""Parse Common and Combined access-log lines into the request frame.

Pure: bytes in, DataFrame out. Each line is matched on its own by one RE2 pattern
(pyarrow.compute, vectorised C++), so a broken quote can never swallow its neighbour,
and the expensive string work (timestamps, request lines, sections) runs on the unique
values only, then is taken back by dictionary codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.columns import (
    COLUMNS,
    Encoded,
    build_frame,
    encode,
    epoch_seconds,
    field,
    integers,
    request_parts,
    seconds_of,
    usable_time,
)
from analyzer.formats.rejects import reasons, too_long

__all__ = [
    "COLUMNS", "FORMATS", "Parsed", "detect_format", "empty_frame", "parse", "seconds_of", "split_lines",
]  # fmt: skip

FORMATS = ("common", "combined")

# A quoted field: anything but a quote or backslash, or a backslash escape (Apache `\"`).
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
# `host ident user` (user may hold spaces), or `vhost:port host ident user`: at least three
# words before the `[` of the time; split once per distinct prefix (see _prefix_parts).
_PREFIX = r"[^ \[]+ [^ \[]+ [^ \[][^\[]*"
_HEAD = (
    rf"^(?P<prefix>{_PREFIX})\[(?P<ts>[^\]]*)\] "
    + _QUOTED.replace("(", "(?P<request>", 1)
    + r" (?P<status>[0-9]{3}|-) (?P<bytes>[0-9]+|-)"
)
_TAIL = (
    "(?: " + _QUOTED.replace("(", "(?P<referer>", 1) + " " + _QUOTED.replace("(", "(?P<user_agent>", 1) + ")?"
)
LINE_PATTERNS = {"common": _HEAD, "combined": _HEAD + _TAIL}
# What a backtest needs (time, request, status, bytes): the same lines match, and with at
# most 4 groups RE2 uses its one-pass matcher (see _extract): keep it at 4.
CORE_PATTERN = _HEAD.replace("(?P<prefix>", "(?:")
_STRICT_COMBINED = _HEAD + _TAIL.removesuffix("?")
_VHOST_PREFIX = r"^(?P<vhost>[^ :]+:[0-9]+) (?P<host>[^ ]+) [^ ]+ (?P<user>.+?) ?$"
_PLAIN_PREFIX = r"^(?P<host>[^ ]+) [^ ]+ (?P<user>.+?) ?$"
_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
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


def split_lines(data: bytes) -> pa.Array:
    """Zero-copy Arrow string array of the lines in `data` (each keeps its newline).

    Bytes that are not UTF-8 are kept visible as `\\xNN` escapes, as nginx writes them.
    """
    try:
        data.decode("utf-8")
        text = data
    except UnicodeDecodeError:
        text = data.decode("utf-8", "backslashreplace").encode("utf-8")
    if text and not text.endswith(b"\n"):
        text += b"\n"
    ends = np.flatnonzero(np.frombuffer(text, np.uint8) == 10) + 1
    offsets = np.zeros(len(ends) + 1, np.int64)
    offsets[1:] = ends
    return pa.Array.from_buffers(
        pa.large_string(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )


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
    combined = _count_matches(lines, _STRICT_COMBINED)
    return "combined" if combined * 2 >= common else "common"


def _count_matches(lines: pa.Array, pattern: str) -> int:
    return int(pc.sum(pc.cast(pc.match_substring_regex(lines, pattern), pa.int64())).as_py() or 0)


def parse(data: bytes, fmt: str = "combined", core: bool = False) -> Parsed:
    """Parse complete lines of a Common or Combined log; never raises on any bytes.

    With `core`, only time, method, path, section, protocol, status and bytes are read.
    """
    if fmt not in LINE_PATTERNS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    lines = split_lines(data)
    parts = extract(lines, CORE_PATTERN if core else LINE_PATTERNS[fmt])
    seconds = epoch_seconds(field(parts, "ts"), _TIME_FORMAT)
    ok = parts.is_valid().to_numpy(zero_copy_only=False) & usable_time(seconds) & ~too_long(lines)
    text = request_parts(encode(field(parts, "request")))
    if not core:
        text |= _prefix_parts(encode(field(parts, "prefix")))
    if fmt == "combined" and not core:
        text["referer"] = encode(field(parts, "referer"), ("-", ""))
        text["user_agent"] = encode(field(parts, "user_agent"), ("-", ""))
    whole = {
        "status": integers(field(parts, "status"), np.int16, digits_only=True),
        "bytes": integers(field(parts, "bytes"), np.int64, digits_only=True),
    }
    frame = build_frame(seconds, ok, text, whole)
    at, rejects, samples = rejected_lines(lines, ok)
    return Parsed(frame, len(lines), len(at), samples, at, rejects)


def _prefix_parts(prefix: Encoded) -> dict[str, Encoded]:
    """Host, user and (Apache vhost_combined) vhost of each distinct `host ident user` prefix."""
    vhost = pc.extract_regex(prefix.values, _VHOST_PREFIX)
    plain = pc.extract_regex(prefix.values, _PLAIN_PREFIX)
    has_vhost = vhost.is_valid()
    parts = {
        "host": prefix.derive(pc.if_else(has_vhost, field(vhost, "host"), field(plain, "host"))),
        "user": prefix.derive(pc.if_else(has_vhost, field(vhost, "user"), field(plain, "user")), ("-",)),
    }
    if pc.any(has_vhost).as_py():
        parts["vhost"] = prefix.derive(field(vhost, "vhost"))
    return parts


_GROUP = re.compile(r"\(\?P<(\w+)>")
# RE2 extracts with its one-pass matcher (2-3x faster than BitState) only when the pattern has
# at most 4 capture groups (Prog::kMaxOnePassCapture = 5 counts the whole match as $0).
_ONE_PASS_GROUPS = 4


def extract(lines: pa.Array, pattern: str) -> pa.StructArray:
    """`pc.extract_regex` in passes of at most 4 named groups each; every pass matches the
    whole pattern (the other groups made non-capturing), so all passes accept the same lines."""
    names = _GROUP.findall(pattern)
    if len(names) <= _ONE_PASS_GROUPS:
        return pc.extract_regex(lines, pattern)
    fields: dict[str, pa.Array] = {}
    matched = None
    for start in range(0, len(names), _ONE_PASS_GROUPS):
        keep = set(names[start : start + _ONE_PASS_GROUPS])
        only_keep = _GROUP.sub(lambda m, keep=keep: m[0] if m[1] in keep else "(?:", pattern)  # type: ignore[misc]
        part = pc.extract_regex(lines, only_keep)
        matched = part.is_valid()
        fields.update((name, part.field(name)) for name in keep)
    return pa.StructArray.from_arrays([fields[n] for n in names], names=names, mask=pc.invert(matched))


def empty_frame(fmt: str = "combined") -> pd.DataFrame:
    """A frame with the request columns of `fmt` and no rows."""
    return _EMPTY[fmt].copy()


_EMPTY = {fmt: parse(b"", fmt).frame for fmt in FORMATS}
