"""Building the request frame from extracted text fields, shared by every log format.

Each text field is dictionary-encoded once; everything derived from it (the method, path and
protocol of a request, the host of a `vhost host` prefix, a section) is computed once per
distinct value and taken back by codes, so string work does not grow with the rows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.compiled import encoded_sections, prefix_fields, request_fields
from analyzer.formats.encoded import Encoded

COLUMNS = (
    "time", "host", "user", "method", "path", "section", "protocol",
    "status", "bytes", "referer", "user_agent", "duration",
)  # fmt: skip
TARGET = r"^(?P<path>[^?# ]+)"
NO_TIME = np.iinfo(np.int64).min
NO_SIZE = -1  # `bytes` of a log whose lines carry no size (IIS without sc-bytes): shown n/a, not 0 B
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: later times have no ISO form


def field(parts: pa.Array, name: str) -> pa.Array:
    """A struct's child with the struct's own nulls (no match) carried into it."""
    return pc.struct_field(parts, name)


def interleave(parts: list[tuple[np.ndarray, Encoded]], rows: int) -> Encoded:
    """One column of `rows` rows from parts that each fill the rows listed with it (others
    missing), with the distinct values in order of first appearance over all rows: exactly
    what dictionary_of gives for the whole column."""
    filled = [(at, part) for at, part in parts if len(at) and (part.codes >= 0).any()]
    if len(filled) == 1:  # one part's own order is already the order over all rows
        at, part = filled[0]
        codes = np.full(rows, -1, np.int64)
        codes[at] = part.codes
        return Encoded(codes, part.values)
    values = pa.concat_arrays([pa.array([], pa.large_string()), *(part.values for _, part in filled)])
    unified = pc.dictionary_encode(values)
    lookup = unified.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.full(rows, -1, np.int64)
    first = 0
    for at, part in filled:
        codes[at] = np.append(lookup[first : first + len(part.values)], -1)[part.codes]
        first += len(part.values)
    used = np.flatnonzero(codes >= 0)
    ordered, distinct = pd.factorize(codes[used])  # codes in order of first appearance
    codes[used] = ordered
    return Encoded(codes, unified.dictionary.take(pa.array(distinct, pa.int64())))


def request_parts(request: Encoded, only: frozenset[str] | None = None) -> dict[str, Encoded]:
    """Method, path (no query) and protocol of each request line; garbage gives missing.
    The path is always there (the section is cut from it); the protocol only if in `only`."""
    split = request_fields(request.values)
    parts = {"method": request.derive(split["method"]), "path": request.derive(split["path"])}
    if only is None or "protocol" in only:
        parts["protocol"] = request.derive(split["protocol"], ("",))
    return parts


def prefix_parts(prefix: Encoded, only: frozenset[str] | None = None) -> dict[str, Encoded]:
    """Host, user and (Apache vhost_combined) vhost of each distinct `host ident user` prefix."""
    split = prefix_fields(prefix.values)
    parts = {"host": prefix.derive(split["host"])}
    if only is None or "user" in only:  # the live monitor's polls skip this (not counted)
        parts["user"] = prefix.derive(split["user"], ("-",))
    if (only is None or "vhost" in only) and (split["vhost"].codes >= 0).any():
        parts["vhost"] = prefix.derive(split["vhost"])
    return parts


def target_path(target: Encoded) -> Encoded:
    """The path of a request target with its query string and fragment cut."""
    return target.derive(field(pc.extract_regex(target.values, TARGET), "path"))


def integers(values: pa.Array, dtype: type, digits_only: bool = False) -> np.ndarray:
    """Digits as integers; `-` (no value), missing, non-digits and numbers too long (for
    int64, or for `dtype`: a W3C sc-status of 99999 is no int16) become 0.

    `digits_only`: the pattern already allowed only digits or `-` (cheaper: no regex pass).
    """
    values = pc.cast(values, pa.large_string()).fill_null("-")
    if digits_only:
        usable = pc.and_(pc.not_equal(values, "-"), pc.less_equal(pc.utf8_length(values), 18))
    else:
        usable = pc.match_substring_regex(values, r"^[0-9]{1,18}$")
    cleaned = pc.if_else(usable, values, "0")
    whole = np.asarray(pc.cast(cleaned, pa.int64()).to_numpy(zero_copy_only=False), np.int64)
    return np.where(whole <= np.iinfo(dtype).max, whole, 0).astype(dtype)


def numbers(values: pa.Array, scale: float = 1.0) -> np.ndarray:
    """Decimal numbers times `scale` (e.g. milliseconds to seconds); NaN where unreadable."""
    text = pc.cast(values, pa.large_string())
    readable = pc.match_substring_regex(text, r"^[0-9]{1,12}(?:\.[0-9]{1,9})?$")
    cleaned = pc.if_else(readable, text, pa.scalar(None, pa.large_string()))
    parsed = pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(parsed, np.float64) * scale


def epoch_seconds(timestamps: pa.Array, time_format: str) -> np.ndarray:
    """UTC epoch seconds of each timestamp (parsed once per distinct value); NO_TIME if unreadable."""
    encoded = pc.dictionary_encode(pc.cast(timestamps, pa.large_string()))
    unique_seconds = _few_seconds(encoded.dictionary, time_format)
    if unique_seconds is None:
        uniques = pd.Series(encoded.dictionary.to_pandas(), dtype=object)
        parsed = pd.to_datetime(uniques, format=time_format, utc=True, errors="coerce")
        unique_seconds = np.asarray(parsed.dt.as_unit("s").array.asi8, np.int64)  # type: ignore[attr-defined]
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    lookup = np.append(unique_seconds, NO_TIME)  # code -1 (no match) -> NO_TIME
    return np.asarray(lookup[codes], np.int64)


FEW_TIMES = 32
_PLAIN_OFFSET = re.compile(r"(?<![0-9:])[+-][0-9]{4}\Z")  # the offset both readers read alike


def _few_seconds(uniques: pa.Array, time_format: str) -> np.ndarray | None:
    """Seconds of a few distinct times by `datetime.strptime` (a live batch holds one or two:
    pandas's to_datetime costs 0.6 ms a call, this 15 us a value); None when there are many,
    or one it cannot read: pandas then reads them all, so the answer is always pandas's."""
    if len(uniques) > FEW_TIMES:
        return None
    found = []
    zoned = "%z" in time_format
    try:
        for text in uniques.to_pylist():
            if zoned and not _PLAIN_OFFSET.search(text):  # `Z`, `+00:00`, `+000020`: pandas decides
                return None
            when = datetime.strptime(text, time_format)
            found.append(int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()))
    except (ValueError, TypeError, OverflowError):  # a leap second pandas reads, garbage it rejects
        return None
    return np.array(found, np.int64)


def usable_time(seconds: np.ndarray) -> np.ndarray:
    """Which times a request can have: readable, from 1970 to 9999."""
    return (seconds >= 0) & (seconds <= LAST_SECOND)


def build_frame(
    seconds: np.ndarray,
    keep: np.ndarray,
    text: dict[str, Encoded],
    whole: dict[str, np.ndarray],
    only: frozenset[str] | None = None,
) -> pd.DataFrame:
    """The frame of rows in `keep`: `text` columns become categoricals, `whole` are numeric.

    A `path` column brings its `section`; columns beyond the standard ones (a custom
    format's unknown variables) follow them, in name order. With `only`, just those text
    columns are built (a categorical costs ~0.2 ms however few its rows: most of a small batch).
    """
    columns: dict[str, object] = {
        "time": pd.DatetimeIndex(seconds[keep].astype("datetime64[s]")).tz_localize("UTC")
    }
    if "path" in text:  # once per distinct path, straight from the Arrow values
        text = {**text, "section": text["path"].derive(encoded_sections(text["path"].values))}
    for name, values in text.items():
        if only is None or name in only:
            columns[name] = values.categorical(keep)
    for name, array in whole.items():
        columns[name] = array[keep]
    extras = sorted(name for name in columns if name not in COLUMNS)
    order = [name for name in COLUMNS if name in columns] + extras  # built in order: no copy to reorder
    return pd.DataFrame({name: columns[name] for name in order}, copy=False)


def seconds_of(frame: pd.DataFrame) -> np.ndarray:
    """The UTC epoch second of each request."""
    return np.asarray(frame["time"].array.asi8, np.int64)


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
