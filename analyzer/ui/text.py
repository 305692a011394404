"""Log text made safe for a terminal: pure, no I/O.

A log line is whatever a client sent. Shown raw, an escape sequence in a path could move the
cursor, recolour, retitle or clear the operator's terminal, and a bidirectional override
could make a path read backwards; `printable` shows all of them as visible escapes, as the
CSVs write them (`core.text`).
"""

from __future__ import annotations

from analyzer.core.text import escaped

MAX_FIELD = 60


def printable(text: object, width: int = MAX_FIELD) -> str:
    """Control characters as `\\xNN`, cut to `width` characters."""
    shown = escaped(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"
