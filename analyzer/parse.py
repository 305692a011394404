"""Parse Common and Combined access-log lines into the request frame.

Pure: bytes in, DataFrame out. Each line is matched on its own by one RE2 pattern
(pyarrow.compute, vectorised C++), so a broken quote can never swallow its neighbour,
and the expensive string work (timestamps, request lines, sections) runs on the unique
values only, then is taken back by dictionary codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.sections import sections_of

FORMATS = ("common", "combined")

# A quoted field: anything but a quote or backslash, or a backslash escape (Apache `\"`).
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_HEAD = (
    r"^(?P<host>[^ ]+) [^ ]+ (?P<user>[^ ]+) \[(?P<ts>[^\]]*)\] "
    + _QUOTED.replace("(", "(?P<request>", 1)
    + r" (?P<status>[0-9]{3}|-) (?P<bytes>[0-9]+|-)"
)
_TAIL = (
    "(?: " + _QUOTED.replace("(", "(?P<referer>", 1) + " " + _QUOTED.replace("(", "(?P<user_agent>", 1) + ")?"
)
LINE_PATTERNS = {"common": _HEAD, "combined": _HEAD + _TAIL}
# What a backtest needs (time, request, status, bytes): the same lines match, and with at
# most 4 groups RE2 uses its one-pass matcher (see _extract): keep it at 4.
CORE_PATTERN = _HEAD.replace("(?P<host>", "(?:").replace("(?P<user>", "(?:")
_STRICT_COMBINED = _HEAD + _TAIL.removesuffix("?")

# METHOD TARGET [PROTOCOL]; the path stops at the query string or fragment.
_REQUEST = r"^(?P<method>[A-Za-z][A-Za-z_-]*) (?P<path>[^?# ]+)(?:[?#][^ ]*)?(?: (?P<protocol>[^ ]+))?$"
_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
MAX_REJECT_SAMPLES = 5

COLUMNS = (
    "time",
    "host",
    "user",
    "method",
    "path",
    "section",
    "protocol",
    "status",
    "bytes",
    "referer",
    "user_agent",
)


@dataclass
class Parsed:
    """One batch of lines: the requests, and what could not be read."""

    frame: pd.DataFrame
    lines: int
    rejected: int
    reject_samples: list[str] = field(default_factory=list)
    # Line numbers (0-based, in this batch) of the rejected lines: a backtest files each one
    # under the report of the good line before it.
    rejected_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


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
    parts = _extract(lines, CORE_PATTERN if core else LINE_PATTERNS[fmt])
    seconds = _epoch_seconds(_field(parts, "ts"))
    # A time past year 9999 (a far-future stamp with a negative offset) has no ISO form.
    ok = parts.is_valid().to_numpy(zero_copy_only=False) & (seconds >= 0) & (seconds <= _LAST_SECOND)
    frame = _frame(parts, seconds, ok, fields="core" if core else fmt)
    rejected_at = np.flatnonzero(~ok)
    samples = [_strip_newline(lines[int(i)].as_py()) for i in rejected_at[:MAX_REJECT_SAMPLES]]
    return Parsed(frame, len(lines), len(rejected_at), samples, rejected_at)


_GROUP = re.compile(r"\(\?P<(\w+)>")
# RE2 extracts with its one-pass matcher (2-3x faster than BitState) only when the pattern has
# at most 4 capture groups (Prog::kMaxOnePassCapture = 5 counts the whole match as $0).
_ONE_PASS_GROUPS = 4


def _extract(lines: pa.Array, pattern: str) -> pa.StructArray:
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


_NO_TIME = np.iinfo(np.int64).min
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


def _field(parts: pa.Array, name: str) -> pa.Array:
    """A struct's child with the struct's own nulls (no match) carried into it."""
    return pc.struct_field(parts, name)


def _strip_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _epoch_seconds(timestamps: pa.Array) -> np.ndarray:
    """UTC epoch seconds of each `[10/Oct/2000:13:55:36 -0700]` value; _NO_TIME if unreadable."""
    encoded = pc.dictionary_encode(timestamps)
    uniques = pd.Series(encoded.dictionary.to_pandas(), dtype=object)
    parsed = pd.to_datetime(uniques, format=_TIME_FORMAT, utc=True, errors="coerce")
    unique_seconds = np.asarray(parsed.dt.as_unit("s").array.asi8, np.int64)  # type: ignore[attr-defined]
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    lookup = np.append(unique_seconds, _NO_TIME)  # code -1 (no match) -> _NO_TIME
    return np.asarray(lookup[codes], np.int64)


@dataclass(frozen=True)
class _Encoded:
    """A column as dictionary codes per row (-1: missing) and its distinct values."""

    codes: np.ndarray
    values: pa.Array

    def derive(self, per_value: pa.Array, null_if: tuple[str, ...] = ()) -> _Encoded:
        """A column computed once per distinct value (e.g. the method of each request)."""
        inner = _encode(per_value, null_if)
        return _Encoded(np.append(inner.codes, -1)[self.codes], inner.values)

    def categorical(self, keep: np.ndarray) -> pd.Categorical:
        categories = pd.Index(self.values.to_pandas(), dtype=object)
        return pd.Categorical.from_codes(self.codes[keep], categories=categories)


def _encode(values: pa.Array, null_if: tuple[str, ...] = ()) -> _Encoded:
    """Dictionary-encode; values in `null_if` become missing.

    RE2 yields "" for an optional group that did not take part (no protocol, no referer),
    so "" is listed wherever a field is optional.
    """
    encoded = pc.dictionary_encode(pc.cast(values, pa.large_string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if null_if:
        dropped = pc.is_in(encoded.dictionary, value_set=pa.array(null_if, pa.large_string()))
        drop = dropped.to_numpy(zero_copy_only=False)
        if drop.any():
            codes = np.append(np.where(drop, -1, np.arange(len(drop))), -1)[codes]
    return _Encoded(codes, encoded.dictionary)


def _integers(values: pa.Array, dtype: type) -> np.ndarray:
    """Digits as integers; `-` (no value), missing and numbers too long for int64 become 0."""
    values = values.fill_null("-")
    unusable = pc.or_(pc.equal(values, "-"), pc.greater(pc.utf8_length(values), 18))
    cleaned = pc.if_else(unusable, "0", values)
    return np.asarray(pc.cast(cleaned, pa.int64()).to_numpy(zero_copy_only=False), dtype)


def _frame(parts: pa.StructArray, seconds: np.ndarray, keep: np.ndarray, fields: str) -> pd.DataFrame:
    """The request frame of the rows in `keep`; string work runs once per distinct value."""
    request = _encode(_field(parts, "request"))
    split = pc.extract_regex(request.values, _REQUEST)
    path = request.derive(_field(split, "path")).categorical(keep)
    columns: dict[str, object] = {
        "time": pd.DatetimeIndex(seconds[keep].astype("datetime64[s]")).tz_localize("UTC"),
        "method": request.derive(_field(split, "method")).categorical(keep),
        "path": path,
        "section": sections_of(path),
        "protocol": request.derive(_field(split, "protocol"), ("",)).categorical(keep),
        "status": _integers(_field(parts, "status"), np.int16)[keep],
        "bytes": _integers(_field(parts, "bytes"), np.int64)[keep],
    }
    if fields != "core":
        columns["host"] = _encode(_field(parts, "host")).categorical(keep)
        columns["user"] = _encode(_field(parts, "user"), ("-",)).categorical(keep)
    if fields == "combined":
        columns["referer"] = _encode(_field(parts, "referer"), ("-", "")).categorical(keep)
        columns["user_agent"] = _encode(_field(parts, "user_agent"), ("-", "")).categorical(keep)
    return pd.DataFrame(columns)[[name for name in COLUMNS if name in columns]]


def seconds_of(frame: pd.DataFrame) -> np.ndarray:
    """The UTC epoch second of each request."""
    return np.asarray(frame["time"].array.asi8, np.int64)


_EMPTY = {fmt: parse(b"", fmt).frame for fmt in FORMATS}
