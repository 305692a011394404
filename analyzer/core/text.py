"""Log text made safe wherever it is shown or written: pure, no I/O.

A log line is whatever a client sent. Shown raw, an escape sequence in a path could move the
cursor, recolour, retitle or clear the operator's terminal (a `cat sections.csv` too), and a
bidirectional override could make a path read backwards; `escaped` writes all of them as
visible escapes (`\\x1b`, `\\u202e`). The screen (`ui.text`) and the CSVs use the same.
"""

from __future__ import annotations

import re

# C0/C1 controls (ESC starts every terminal escape sequence) and the bidirectional
# overrides that can make a path read backwards on screen.
CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")


def escaped(text: object) -> str:
    """Control characters as `\\xNN` (bidirectional overrides as `\\uNNNN`)."""
    return CONTROL.sub(lambda match: _escape(match.group()), str(text))


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
