"""Log bytes as text: valid UTF-8 (other bytes escaped, as nginx writes them), cut into lines
that each end in a newline, as a zero-copy Arrow string array."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from analyzer.formats.kernel import Newlines, newlines_and_ascii


def split_lines(data: bytes) -> pa.Array:
    """Zero-copy Arrow string array of the lines in `data` (each keeps its newline).

    Bytes that are not UTF-8 are kept visible as `\\xNN` escapes, as nginx writes them.
    """
    text = utf8_lines(data)
    return line_array(text, line_ends(text))


def utf8_lines(data: bytes) -> bytes:
    """`data` as valid UTF-8 (other bytes as `\\xNN` escapes), ending in a newline unless empty."""
    return utf8_text(data)[0]


def utf8_text(data: bytes) -> tuple[bytes, Newlines | None]:
    """utf8_lines(data), and its newlines where they were counted on the way (the kernel counts
    them in the pass that finds whether the bytes are ASCII; None without the kernel)."""
    lines, ascii = newlines_and_ascii(data)
    if not ascii:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:  # the escapes hold no newline, but they move the middle
            data = data.decode("utf-8", "backslashreplace").encode("utf-8")
            lines = None if lines is None else newlines_and_ascii(data)[0]
    if data and not data.endswith(b"\n"):
        data += b"\n"  # a line start before it stays one: only the count grows
        lines = None if lines is None else lines._replace(total=lines.total + 1)
    return data, lines


def line_ends(data: bytes) -> np.ndarray:
    """The position of every newline in `data`."""
    return np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))


def line_array(text: bytes, ends: np.ndarray) -> pa.Array:
    offsets = np.zeros(len(ends) + 1, np.int64)
    offsets[1:] = ends + 1
    return pa.Array.from_buffers(
        pa.large_string(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )
