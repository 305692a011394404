"""Log text on a terminal: control characters are escaped, long text is cut."""

from __future__ import annotations

import re

import pytest

from analyzer.ui.text import printable

EVIL_PATH = "/\x1b]0;pwned\x07"
# Any control character except the report's own newlines.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        (EVIL_PATH, "/\\x1b]0;pwned\\x07"),
        ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),
        ("tab\tnew\nline\r", "tab\\x09new\\x0aline\\x0d"),
        ("/plain/path?x=1", "/plain/path?x=1"),
        ("café ✓", "café ✓"),
        (None, "None"),
        (404, "404"),
    ],
)
def test_printable_escapes_control_characters(text: object, shown: str) -> None:
    """printable shows every C0/C1 control character and DEL as `\\xNN` and leaves the rest alone."""
    assert printable(text) == shown
    assert RAW_CONTROL.search(printable(text)) is None


def test_printable_cuts_to_width_with_ellipsis() -> None:
    """Text longer than the width is cut to exactly `width` characters ending in an ellipsis."""
    assert printable("a" * 10, 10) == "a" * 10
    assert printable("a" * 11, 10) == "a" * 9 + "…"
    assert len(printable("\x1b" * 50, 20)) == 20
    assert len(printable("x" * 500)) == 60
