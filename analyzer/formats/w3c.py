"""W3C Extended logs (IIS and others): the `#Fields:` directive names the columns.

A directive can appear anywhere (IIS repeats its header block at every restart), so the
parser keeps the layout in force from one batch to the next. Data lines are split on spaces
(W3C fields hold no spaces: IIS writes `+` for them) and every line of one layout is handled
at once. Directive lines are neither requests nor rejected: they are counted apart.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.clf import Parsed, rejected_lines
from analyzer.formats.columns import (
    NO_SIZE,
    build_frame,
    epoch_seconds,
    integers,
    numbers,
    target_path,
    usable_time,
)
from analyzer.formats.encoded import Encoded, encode
from analyzer.formats.frames import concat_frames
from analyzer.formats.rejects import too_long
from analyzer.formats.text import split_lines

DIRECTIVE_PREFIXES = (
    "#Software:",
    "#Version:",
    "#Date:",
    "#Fields:",
    "#Start-Date:",
    "#End-Date:",
    "#Remark:",
)
# W3C field name -> frame column (text columns; numbers and time are handled apart).
TEXT_FIELDS = {
    "c-ip": "host",
    "cs-username": "user",
    "cs-method": "method",
    "cs-version": "protocol",
    "cs(User-Agent)": "user_agent",
    "cs(Referer)": "referer",
    "cs-host": "vhost",
}
MISSING = ("-", "")


def is_w3c(head: bytes) -> bool:
    """Whether the first lines of a log are W3C directives."""
    return any(
        line.startswith(prefix.encode()) for line in head.splitlines()[:5] for prefix in DIRECTIVE_PREFIXES
    )


def extra_name(field_name: str) -> str:
    """A W3C field the frame has no column for, as a column name: `s-ip` -> `s_ip`."""
    return re.sub(r"[^0-9A-Za-z]+", "_", field_name).strip("_").lower()


class W3cParser:
    """Parses W3C Extended batches, carrying the `#Fields:` layout across batches."""

    name = "w3c"
    stateful = True

    def __init__(self, fields: list[str] | None = None) -> None:
        self.fields = fields

    def parse(self, data: bytes, core: bool = False) -> Parsed:
        lines = split_lines(data)
        text = pc.utf8_rtrim(lines, characters="\r\n")
        directive = pc.starts_with(text, "#").to_numpy(zero_copy_only=False)
        layouts, layout_of_line = self._layouts(text, directive)
        ok = np.zeros(len(lines), bool)
        frames, positions = [], []
        data_lines = ~directive & ~too_long(lines)
        for number, fields in enumerate(layouts):
            at = np.flatnonzero((layout_of_line == number) & data_lines)
            if fields is None or len(at) == 0:
                continue  # data before any #Fields: its columns are unknown, so rejected
            frame, good = _parse_layout(text.take(pa.array(at)), fields)
            ok[at[good]] = True
            frames.append(frame)
            positions.append(at[good])
        at, rejects, samples = rejected_lines(lines, ok | directive)
        return Parsed(
            _in_line_order(frames, positions),
            len(lines),
            len(at),
            samples,
            at,
            rejects,
            directive_at=np.flatnonzero(directive),
        )

    def _layouts(self, text: pa.Array, directive: np.ndarray) -> tuple[list[list[str] | None], np.ndarray]:
        """The distinct layouts (index 0: the one carried in) and the layout of each line.

        IIS repeats the same `#Fields:` at every restart; equal layouts share one index, so
        each distinct layout is parsed once per batch however often it is repeated.
        """
        fields_at = np.flatnonzero(
            directive & pc.starts_with(text, "#Fields:").to_numpy(zero_copy_only=False)
        )
        layouts: list[list[str] | None] = [self.fields]
        index_of: dict[tuple[str, ...], int] = {}
        if self.fields is not None:
            index_of[tuple(self.fields)] = 0
        numbers = [0]
        for position in fields_at:
            fields = str(text[int(position)].as_py()).removeprefix("#Fields:").split()
            if tuple(fields) not in index_of:
                index_of[tuple(fields)] = len(layouts)
                layouts.append(fields)
            numbers.append(index_of[tuple(fields)])
            self.fields = fields
        segment = np.searchsorted(fields_at, np.arange(len(text)), side="right")
        return layouts, np.asarray(numbers)[segment]


def _parse_layout(rows: pa.Array, fields: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Frame of the rows that have exactly the layout's fields and a usable time."""
    tokens = pc.split_pattern(rows, " ")
    good = pc.list_value_length(tokens).to_numpy(zero_copy_only=False) == len(fields)
    kept = tokens.filter(pa.array(good))
    flat = kept.flatten()
    starts = np.asarray(kept.offsets.to_numpy()[:-1], np.int64)

    def column(name: str) -> pa.Array:
        return flat.take(pa.array(starts + fields.index(name)))

    seconds = _seconds(column, fields, len(kept))
    usable = usable_time(seconds)
    text: dict[str, Encoded] = {}
    whole: dict[str, np.ndarray] = {}
    for name in fields:
        if name in TEXT_FIELDS:
            values = column(name)
            if name in ("cs(User-Agent)", "cs(Referer)"):
                values = pc.replace_substring(values, "+", " ")
            text[TEXT_FIELDS[name]] = encode(values, MISSING)
        elif name == "cs-uri-stem":
            text["path"] = target_path(encode(column(name), MISSING))
        elif name == "sc-status":
            whole["status"] = integers(column(name), np.int16)
        elif name == "sc-bytes":
            whole["bytes"] = integers(column(name), np.int64)
        elif name == "time-taken":
            whole["duration"] = numbers(column(name), scale=0.001)  # IIS: milliseconds
        elif name not in ("date", "time"):
            text[extra_name(name)] = encode(column(name), MISSING)
    whole.setdefault("status", np.zeros(len(kept), np.int16))
    whole.setdefault("bytes", np.full(len(kept), NO_SIZE, np.int64))
    frame = build_frame(seconds, usable, text, whole)
    return frame, np.flatnonzero(good)[usable]


def _seconds(column: object, fields: list[str], count: int) -> np.ndarray:
    """Epoch seconds from `date` + `time` (UTC, as W3C says); no date field: unreadable."""
    if "date" not in fields or "time" not in fields:
        return np.full(count, np.iinfo(np.int64).min)
    stamps = pc.binary_join_element_wise(column("date"), column("time"), pa.scalar(" ", pa.large_string()))  # type: ignore[operator]
    return epoch_seconds(stamps, "%Y-%m-%d %H:%M:%S")


def _in_line_order(frames: list[pd.DataFrame], positions: list[np.ndarray]) -> pd.DataFrame:
    """One frame of all layouts, rows in the order of their lines."""
    if not frames:
        empty: dict[str, np.ndarray] = {"status": np.zeros(0, np.int16), "bytes": np.zeros(0, np.int64)}
        return build_frame(np.zeros(0, np.int64), np.zeros(0, bool), {}, empty)
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    frame = concat_frames(frames)  # layouts with different fields: missing where a layout lacks one
    order = np.argsort(np.concatenate(positions), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def last_fields_before(path: str, position: int, block: int = 1 << 16) -> list[str] | None:
    """The `#Fields:` layout in force at byte `position` of a file (searching backwards)."""
    with open(path, "rb") as handle:
        end = position
        carry = b""
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + carry
            found = data.rfind(b"\n#Fields:")
            if found >= 0 or (start == 0 and data.startswith(b"#Fields:")):
                line = data[found + 1 :] if found >= 0 else data
                return line.split(b"\n", 1)[0].decode("utf-8", "replace").removeprefix("#Fields:").split()
            carry = data[: data.find(b"\n") + 1] if b"\n" in data else data  # a line cut at the block edge
            end = start
    return None


def prime_layout(parser: object, path: str, position: int) -> None:
    """Give a W3C parser that starts mid-file the layout in force there (others need none)."""
    if isinstance(parser, W3cParser) and parser.fields is None:
        parser.fields = last_fields_before(path, max(0, position))
