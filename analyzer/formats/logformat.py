"""Custom formats from the server's own configuration, compiled once to one RE2 pattern.

    nginx:   '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time'
    Apache:  '%h %l %u %t \\"%r\\" %>s %b %D'

Known variables map to the frame's columns; any other variable is kept as an extra column
named after it, so nothing the server logged is thrown away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.clf import Parsed, extract, rejected_lines
from analyzer.formats.columns import (
    NO_SIZE,
    build_frame,
    epoch_seconds,
    field,
    integers,
    numbers,
    request_parts,
    target_path,
    usable_time,
)
from analyzer.formats.encoded import Encoded, encode
from analyzer.formats.rejects import too_long
from analyzer.formats.text import split_lines

QUOTED_TEXT = r'(?:[^"\\]|\\.)*'
WORD = r"[^ ]*"
# variable -> (column, pattern or None for the default of its place)
NGINX = {
    "remote_addr": ("host", r"[^ ]+"), "remote_user": ("user", None), "time_local": ("ts_clf", r"[^\]]+"),
    "time_iso8601": ("ts_iso", r"[0-9T:+-]+"), "msec": ("ts_msec", r"[0-9]+(?:\.[0-9]+)?"),
    "request": ("request", None), "status": ("status", r"[0-9]{3}|-"),
    "body_bytes_sent": ("bytes", r"[0-9]+|-"), "bytes_sent": ("bytes", r"[0-9]+|-"),
    "http_referer": ("referer", None), "http_user_agent": ("user_agent", None),
    "request_time": ("duration_s", r"[0-9.]+|-"), "host": ("vhost", None), "server_name": ("vhost", None),
    "request_method": ("method", None), "request_uri": ("target", None), "uri": ("target", None),
    "server_protocol": ("protocol", None),
}  # fmt: skip
APACHE = {
    "h": ("host", r"[^ ]+"), "a": ("host", r"[^ ]+"), "l": ("", r"[^ ]+"), "u": ("user", None),
    "t": ("ts_clf", r"\[[^\]]+\]"), "r": ("request", None), "s": ("status", r"[0-9]{3}|-"),
    "b": ("bytes", r"[0-9]+|-"), "B": ("bytes", r"[0-9]+"), "O": ("bytes", r"[0-9]+|-"),
    "D": ("duration_us", r"[0-9]+|-"), "T": ("duration_s", r"[0-9.]+|-"), "v": ("vhost", None),
    "V": ("vhost", None), "m": ("method", None), "U": ("target", None), "H": ("protocol", None),
    "i:referer": ("referer", None), "i:user-agent": ("user_agent", None),
}  # fmt: skip
_NGINX_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_APACHE_DIRECTIVE = re.compile(r"%[<>]?(?:\{([^}]*)\})?([a-zA-Z%])")
TIME_FORMATS = {"ts_clf": "%d/%b/%Y:%H:%M:%S %z", "ts_iso": "%Y-%m-%dT%H:%M:%S%z"}


class FormatError(ValueError):
    """A format string that cannot be used: says why in one line."""


@dataclass(frozen=True)
class CompiledFormat:
    """The RE2 pattern of a format string and the column each named group feeds."""

    source: str
    pattern: str

    @property
    def groups(self) -> list[str]:
        return re.findall(r"\(\?P<(\w+)>", self.pattern)


def compile_format(source: str) -> CompiledFormat:
    """Compile an nginx `log_format` or Apache `LogFormat` string (told apart by `$` or `%`)."""
    text = source.replace('\\"', '"')
    if "$" in text:
        pieces = _pieces(text, _NGINX_VARIABLE, lambda m: _nginx(m.group(1) or m.group(2)))
    elif "%" in text:
        pieces = _pieces(text, _APACHE_DIRECTIVE, lambda m: _apache(m.group(1), m.group(2)))
    else:
        raise FormatError(f"log format {source!r} has no $variable or %directive")
    seen: set[str] = set()
    parts = []
    for literal, meaning, quoted in pieces:
        parts.append(re.escape(literal))
        if meaning is None:  # the text after the last variable
            continue
        column, pattern = meaning
        pattern = pattern or (QUOTED_TEXT if quoted else WORD)
        named = column and column not in seen
        seen.add(column)
        parts.append(f"(?P<{column}>{pattern})" if named else f"(?:{pattern})")
    if not seen & {"ts_clf", "ts_iso", "ts_msec"}:
        raise FormatError(f"log format {source!r} has no time ($time_local, $time_iso8601, $msec or %t)")
    return CompiledFormat(source, "^" + "".join(parts))


def _pieces(
    text: str, token: re.Pattern[str], meaning: object
) -> list[tuple[str, tuple[str, str | None] | None, bool]]:
    """(literal before, (column, pattern), inside quotes) for each variable, in order."""
    pieces: list[tuple[str, tuple[str, str | None] | None, bool]] = []
    position = 0
    for match in token.finditer(text):
        literal = text[position : match.start()]
        quoted = text[: match.start()].count('"') % 2 == 1
        pieces.append((literal, meaning(match), quoted))  # type: ignore[operator]
        position = match.end()
    if text[position:]:
        pieces.append((text[position:], None, False))
    return pieces


def _nginx(name: str) -> tuple[str, str | None]:
    return NGINX.get(name, (_extra(name), None))


def _apache(argument: str | None, letter: str) -> tuple[str, str | None]:
    if letter == "%":
        return "", "%"
    key = f"{letter}:{argument.lower()}" if argument else letter
    if argument and letter == "t":
        raise FormatError(f"%{{{argument}}}t: only the default %t time format is supported")
    return APACHE.get(key, (_extra(f"{letter}_{argument}" if argument else letter), None))


def _extra(name: str) -> str:
    return "x_" + re.sub(r"\W+", "_", name).strip("_").lower()


class CustomParser:
    """Parses lines of one compiled format."""

    name = "custom"
    stateful = False

    def __init__(self, compiled: CompiledFormat) -> None:
        self.compiled = compiled

    def parse(self, data: bytes, core: bool = False) -> Parsed:
        lines = split_lines(data)
        parts = extract(lines, self.compiled.pattern)
        names = set(self.compiled.groups)
        seconds = _seconds(parts, names)
        ok = parts.is_valid().to_numpy(zero_copy_only=False) & usable_time(seconds) & ~too_long(lines)
        text: dict[str, Encoded] = {}
        whole: dict[str, np.ndarray] = {}
        if "request" in names:
            text |= request_parts(encode(field(parts, "request")))
        for name in sorted(names):
            values = field(parts, name)
            if name in (
                "host",
                "user",
                "referer",
                "user_agent",
                "vhost",
                "method",
                "protocol",
            ) or name.startswith("x_"):
                text[name] = encode(values, ("-", ""))
            elif name == "target":
                text["path"] = target_path(encode(values, ("-", "")))
            elif name in ("status", "bytes"):
                whole[name] = integers(values, np.int16 if name == "status" else np.int64)
            elif name.startswith("duration_"):
                whole["duration"] = numbers(values, 1e-6 if name == "duration_us" else 1.0)
        whole.setdefault("status", np.zeros(len(lines), np.int16))
        whole.setdefault("bytes", np.full(len(lines), NO_SIZE, np.int64))
        frame = build_frame(seconds, ok, text, whole)
        at, rejects, samples = rejected_lines(lines, ok)
        return Parsed(frame, len(lines), len(at), samples, at, rejects)


def _seconds(parts: pa.StructArray, names: set[str]) -> np.ndarray:
    if "ts_msec" in names:
        stamps = numbers(field(parts, "ts_msec"))
        return np.where(np.isnan(stamps), np.iinfo(np.int64).min, np.floor(np.nan_to_num(stamps))).astype(
            np.int64
        )
    name = "ts_clf" if "ts_clf" in names else "ts_iso"
    values = pc.utf8_trim(field(parts, name), characters="[]")
    return epoch_seconds(values, TIME_FORMATS[name])
