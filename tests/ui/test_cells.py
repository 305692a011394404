"""Cells: widths as a terminal counts them, cuts that never overflow, pieces fitted by priority."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.ui.cells import (
    ELLIPSIS,
    Piece,
    Span,
    clip,
    clip_left,
    clip_line,
    fit,
    fold,
    line_width,
    pad,
    pad_line,
    plain,
    width,
    wrap,
)
from tests.ui.conftest import cells

# Printable texts: what reaches these functions once log text is escaped.
TEXT = st.lists(
    st.sampled_from(list("ab /-.:") + list("日本語한") + ["e\u0301", "\U0001f600", "\u200b"])
).map("".join)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abc", 3), ("日本", 4), ("e\u0301", 1), ("\U0001f600", 2), ("a\u200bb", 2), ("한국어", 6), ("", 0)],
)
def test_width_counts_cells_not_characters(text: str, expected: int) -> None:
    """Wide characters take two cells, combining and zero-width ones none, as wcwidth says."""
    assert width(text) == expected == cells(text)


@given(TEXT)
def test_width_agrees_with_wcwidth(text: str) -> None:
    assert width(text) == cells(text)


@given(TEXT, st.integers(0, 40))
def test_clip_never_overflows_and_keeps_the_start(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert width(cut) <= limit
    if width(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(ELLIPSIS) or limit == 0
        assert text.startswith(cut.removesuffix(ELLIPSIS))


@given(TEXT, st.integers(0, 40))
def test_clip_left_keeps_the_end(text: str, limit: int) -> None:
    cut = clip_left(text, limit)
    assert width(cut) <= limit
    assert text.endswith(cut.removeprefix(ELLIPSIS)) or cut == ""


@given(TEXT, st.integers(0, 40), st.booleans())
def test_pad_is_exactly_the_size(text: str, size: int, right: bool) -> None:
    assert width(pad(text, size, right)) == size


@given(
    st.lists(st.sampled_from(["a", "bb", "日本", "word", "x" * 30]), max_size=12).map(" ".join),
    st.integers(1, 40),
)
def test_fold_keeps_every_word_within_the_width(text: str, limit: int) -> None:
    """Folded rows are within the width, and read together they are the whole text."""
    rows = fold(text, limit)
    assert rows and all(width(row) <= limit for row in rows)
    if limit < 4:  # no room for a wide character after the indent: only the width is promised
        return
    if all(width(word) <= limit - 2 for word in text.split(" ")):
        assert " ".join(row.strip() for row in rows).split() == text.split()
    else:  # long words are cut into pieces: the characters are all there, in order
        assert "".join(row.strip() for row in rows).replace(" ", "") == text.replace(" ", "")


def test_fold_indents_the_rows_after_the_first() -> None:
    message = "High traffic generated an alert - hits = 17.10, triggered at 2026-01-01T12:03:05+00:00"
    assert fold(message, 80) == [
        "High traffic generated an alert - hits = 17.10, triggered at",
        "  2026-01-01T12:03:05+00:00",
    ]
    assert fold(message, 100) == [message]


@given(st.lists(st.tuples(TEXT, st.sampled_from(["", "a", "b"])), max_size=5), st.integers(0, 30))
def test_lines_are_cut_and_padded_with_their_styles(spans: list[tuple[str, str]], limit: int) -> None:
    line = tuple(Span(text, style) for text, style in spans)
    cut = clip_line(line, limit)
    assert line_width(cut) <= limit
    assert line_width(pad_line(line, limit)) == limit
    if line_width(line) <= limit:
        assert cut == line
    else:
        assert plain(line).startswith(plain(cut).removesuffix(ELLIPSIS))


def test_fit_shortens_then_leaves_out_the_least_important_pieces() -> None:
    pieces = [
        Piece(((Span("STATE"),),), 0, required=True),
        Piece(((Span("average 17.10 of 10"),), (Span("17.1"),)), 2),
        Piece(((Span("files 3"),),), 5),
    ]
    separator = Span(" | ")
    assert plain(fit(pieces, 80, separator)) == "STATE | average 17.10 of 10 | files 3"
    assert plain(fit(pieces, 30, separator)) == "STATE | average 17.10 of 10"
    assert plain(fit(pieces, 15, separator)) == "STATE | 17.1"
    assert plain(fit(pieces, 5, separator)) == "STATE"
    assert plain(fit(pieces, 3, separator)) == "ST…"


@given(st.lists(st.tuples(TEXT, st.integers(0, 4)), min_size=1, max_size=6), st.integers(0, 60))
def test_fit_never_overflows_and_keeps_the_first_piece_when_it_fits(
    parts: list[tuple[str, int]], limit: int
) -> None:
    pieces = [Piece(((Span(text),),), keep, required=keep == 0) for text, keep in parts]
    line = fit(pieces, limit, Span(" "))
    assert line_width(line) <= limit
    kept = [text for text, keep in parts if keep == 0]
    if kept and width(" ".join(kept)) <= limit:
        assert all(text in plain(line) for text in kept)


def test_wrap_breaks_between_fields_never_inside_one() -> None:
    fields = ["10 s:", "1,234 requests,", "12.34 req/s,", "a-field-longer-than-any-row-of-twenty", "x"]
    rows = wrap(fields, 20, lead="> ")
    assert rows == [
        "> 10 s:",
        "  1,234 requests,",
        "  12.34 req/s,",
        "  a-field-longer-than-any-row-of-twenty",
        "  x",
    ]
    assert " ".join(" ".join(rows).split()) == "> " + " ".join(fields)  # every field whole, in order
    assert wrap(["a", "b"], 80, " | ") == ["a | b"] and wrap([], 10) == [""]


@given(
    st.lists(st.text(st.sampled_from("ab日,.-"), min_size=1, max_size=12), max_size=12), st.integers(1, 40)
)
def test_wrapped_rows_hold_every_field_whole_and_fit_unless_one_is_wider(
    fields: list[str], limit: int
) -> None:
    rows = wrap(fields, limit)
    assert all(width(row) <= limit or len(row.strip().split(" ")) == 1 for row in rows)
    assert [word for row in rows for word in row.split()] == fields
