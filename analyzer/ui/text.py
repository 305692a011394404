"""Log text made safe for a terminal: pure, no I/O.

A log line is whatever a client sent. Shown raw, an escape sequence in a path could move the
cursor, recolour, retitle or clear the operator's terminal, and a bidirectional override
could make a path read backwards; `printable` shows all of them as visible escapes.
"""

from __future__ import annotations

import re

# C0/C1 controls (ESC starts every terminal escape sequence) and the bidirectional
# overrides that can make a path read backwards on screen.
_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")
MAX_FIELD = 60


def printable(text: object, width: int = MAX_FIELD) -> str:
    """Control characters as `\\xNN`, cut to `width` characters."""
    escaped = _CONTROL.sub(lambda match: _escape(match.group()), str(text))
    return escaped if len(escaped) <= width else escaped[: width - 1] + "…"


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
