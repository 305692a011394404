"""Log bytes as UTF-8 text cut into lines."""

from __future__ import annotations

from contextlib import nullcontext

from hypothesis import given
from hypothesis import strategies as st

from analyzer.formats.text import split_lines, utf8_text
from tests.formats.test_fast import kernel_off


def test_split_lines_counts_final_fragment_as_a_line() -> None:
    """split_lines keeps each newline and turns a final fragment without one into a last line."""
    assert split_lines(b"a\nb").to_pylist() == ["a\n", "b\n"]
    assert split_lines(b"a\nb\n").to_pylist() == ["a\n", "b\n"]
    assert split_lines(b"").to_pylist() == []
    assert split_lines(b"\n").to_pylist() == ["\n"]
    assert split_lines(b"\xff\n").to_pylist() == ["\\xff\n"]


@given(st.binary(max_size=300), st.sampled_from([b"", b"\n", "\u00e9\n".encode(), b"\xff\n"]))
def test_utf8_text_is_valid_utf8_ending_in_a_newline_and_its_count_is_true(data: bytes, end: bytes) -> None:
    """With the kernel the newlines come counted (from the pass that tells ASCII), and the count
    is the text's, a newline added or bytes escaped; without it, none is counted."""
    for off in (False, True):
        with kernel_off() if off else nullcontext():
            text, lines = utf8_text(data + end)
        text.decode("utf-8")  # never raises
        assert text == b"" or text.endswith(b"\n")
        assert text == (data + end).decode("utf-8", "backslashreplace").encode() + (
            b"" if not data + end or (data + end).endswith(b"\n") else b"\n"
        )
        if off:
            assert lines is None
        else:  # the count, and a line start near the middle with the newlines before it
            assert lines is not None and lines.total == text.count(b"\n")
            assert lines.middle == 0 or text[lines.middle - 1 : lines.middle] == b"\n"
            assert lines.before_middle == text[: lines.middle].count(b"\n")
