"""Text measured and cut in terminal cells, and styled lines: pure, no I/O.

A terminal shows East Asian wide characters (and most emoji) in two cells and combining marks
in none, so `len` is not a width: a row measured with `len` can be wider than the terminal
and wrap. Everything the dashboard draws is a `Line` of `Span`s (text and a style name):
styles are data, never markup, so no text (a log's least of all) can turn into formatting.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

ELLIPSIS = "…"


@dataclass(frozen=True)
class Span:
    """A run of text in one style (a name the terminal maps to colours; "" is plain)."""

    text: str
    style: str = ""


Line = tuple[Span, ...]


@lru_cache(maxsize=65536)
def char_width(character: str) -> int:
    """Cells one character takes: 0 for combining and format characters, 2 for wide ones."""
    if unicodedata.combining(character) or unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def width(text: str) -> int:
    """Cells `text` takes on a terminal."""
    if text.isascii():
        return len(text)
    return sum(char_width(character) for character in text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` cells, ending in `…` when cut."""
    if width(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return _take(text, limit - 1) + ELLIPSIS


def clip_left(text: str, limit: int) -> str:
    """`text` cut from the left (a path's end tells files apart), starting with `…` when cut."""
    if width(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return ELLIPSIS + _take(text[::-1], limit - 1)[::-1]


def _take(text: str, limit: int) -> str:
    """The longest start of `text` that fits in `limit` cells (combining marks kept with their base)."""
    used = 0
    for at, character in enumerate(text):
        used += char_width(character)
        if used > limit:
            return text[:at]
    return text


def pad(text: str, size: int, right: bool = False) -> str:
    """`text` cut or padded with spaces to exactly `size` cells (right-aligned with `right`)."""
    text = clip(text, size)
    fill = " " * (size - width(text))
    return fill + text if right else text + fill


def fold(text: str, limit: int, indent: int = 2) -> list[str]:
    """`text` broken at spaces into rows of at most `limit` cells, later rows indented; a word
    longer than a row is cut into pieces. For messages that must be read whole."""
    if limit <= 0:
        return []
    prefix = " " * min(indent, limit - 1)
    rows: list[str] = []

    def room() -> int:
        return limit - (len(prefix) if rows else 0)

    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if width(candidate) <= room():
            current = candidate
            continue
        if current:
            rows.append(current)
        rest = word
        while width(rest) > room():
            head = _take(rest, room()) or rest[0]
            rows.append(clip(head, room()))
            rest = rest[len(head) :]
        current = rest
    if current or not rows:
        rows.append(current)
    return rows[:1] + [prefix + row for row in rows[1:]]


def line_width(line: Line) -> int:
    return sum(width(span.text) for span in line)


def plain(line: Line) -> str:
    """The text of a line, without its styles."""
    return "".join(span.text for span in line)


def clip_line(line: Line, limit: int) -> Line:
    """`line` cut to at most `limit` cells, its styles kept; `…` where it was cut."""
    if line_width(line) <= limit:
        return line
    kept: list[Span] = []
    room = limit - 1
    for span in line:
        size = width(span.text)
        if size <= room:
            kept.append(span)
            room -= size
            continue
        if room > 0:
            kept.append(Span(_take(span.text, room), span.style))
        break
    if limit > 0:
        kept.append(Span(ELLIPSIS, kept[-1].style if kept else ""))
    return tuple(kept)


def pad_line(line: Line, size: int) -> Line:
    """`line` cut or padded with spaces to exactly `size` cells."""
    line = clip_line(line, size)
    rest = size - line_width(line)
    return (*line, Span(" " * rest)) if rest > 0 else line


@dataclass(frozen=True)
class Piece:
    """A part of a line that may be shortened or left out when the line is too wide.

    `variants` run from the fullest to the shortest. The higher `keep` is, the sooner the
    piece is shortened and then left out; a `required` piece is only shortened."""

    variants: tuple[Line, ...]
    keep: int = 1
    required: bool = False


def fit(pieces: list[Piece], limit: int, separator: Span) -> Line:
    """The pieces joined by `separator` in at most `limit` cells: the least important one
    shortened, then left out (unless required), then the next, until the line fits; where
    even the required ones do not, the most important alone (else it is cut)."""
    chosen = [0] * len(pieces)
    dropped = [False] * len(pieces)

    def joined() -> Line:
        parts = [piece.variants[chosen[i]] for i, piece in enumerate(pieces) if not dropped[i]]
        out: list[Span] = []
        for number, part in enumerate(parts):
            if number:
                out.append(separator)
            out.extend(part)
        return tuple(out)

    order = sorted(range(len(pieces)), key=lambda i: -pieces[i].keep)
    line = joined()
    for i in order:
        if line_width(line) <= limit:
            break
        while chosen[i] + 1 < len(pieces[i].variants) and line_width(line) > limit:
            chosen[i] += 1
            line = joined()
        if line_width(line) > limit and not pieces[i].required:
            dropped[i] = True
            line = joined()
    # Too narrow even for the required pieces: the most important one stands alone (cut if need be).
    for i in order[:-1]:
        if line_width(line) <= limit:
            break
        dropped[i] = True
        line = joined()
    return clip_line(line, limit)


def wrap(
    fields: list[str], limit: int, separator: str = " ", indent: str = "  ", lead: str = ""
) -> list[str]:
    """`fields` joined by `separator` in rows of at most `limit` cells, broken between fields
    and never inside one (the first row starting with `lead`, later ones with `indent`): for
    append-only text, where a value cut in two across lines would be misread. A field wider
    than a row has a row of its own, whole."""
    rows: list[str] = []
    current = ""
    for field in fields:
        joined = f"{current}{separator}{field}" if current else lead + field
        if not current or width(joined) <= limit:
            current = joined
            continue
        rows.append(current.rstrip())
        current = indent + field.lstrip()
    if current or not rows:
        rows.append(current.rstrip())
    return rows
