"""Every control and bidirectional override a log can carry is written as a visible escape."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.core.text import CONTROL, escaped


def test_escapes_are_visible_and_the_rest_is_kept() -> None:
    assert escaped("/a\x1b]0;pwned\x07/\u202eb\u00e9") == "/a\\x1b]0;pwned\\x07/\\u202eb\u00e9"
    assert escaped(200) == "200"


@given(st.text())
def test_no_control_survives(text: str) -> None:
    assert CONTROL.search(escaped(text)) is None
