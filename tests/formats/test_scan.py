"""The byte scan: bitmaps of byte positions, 8-byte loads, SWAR digits, and line shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.scan import (
    MAX_SIZE_DIGITS,
    Bits,
    byte_at,
    digits_value,
    leading_digits,
    line_ends,
    load8,
    scan,
)
from tests.conftest import clf_line

SETTINGS = settings(max_examples=100, deadline=None)


@SETTINGS
@given(st.binary(max_size=700), st.sampled_from([ord("\n"), ord('"'), 0, 255]))
def test_bits_positions_are_every_position_of_the_byte(data: bytes, byte: int) -> None:
    buf = np.frombuffer(data, np.uint8)
    assert Bits(buf, byte).positions().tolist() == np.flatnonzero(buf == byte).tolist()


@SETTINGS
@given(st.binary(min_size=1, max_size=700), st.data())
def test_next_from_finds_the_first_position_at_or_after_start(data: bytes, draw: st.DataObject) -> None:
    buf = np.frombuffer(data, np.uint8)
    starts = np.array(draw.draw(st.lists(st.integers(0, len(data) + 5), min_size=1, max_size=20)))
    limits = np.array([draw.draw(st.integers(0, len(data) + 5)) for _ in starts])
    found = Bits(buf, ord('"')).next_from(starts, limits)
    where = np.flatnonzero(buf == ord('"'))
    for start, limit, got in zip(starts, limits, found, strict=True):
        ahead = where[(where >= start) & (where < limit)]
        assert got == (ahead[0] if len(ahead) else limit)


def test_next_from_looks_past_the_first_words() -> None:
    """A quote 1 KB after the start is found (beyond the words looked at for every line at once)."""
    data = b"x" * 1000 + b'"' + b"y" * 50
    found = Bits(np.frombuffer(data, np.uint8), ord('"')).next_from(np.array([3]), np.array([len(data)]))
    assert found.tolist() == [1000]


@SETTINGS
@given(st.binary(min_size=0, max_size=40), st.lists(st.integers(-3, 45), min_size=1, max_size=10))
def test_load8_reads_eight_bytes_little_endian_zero_past_the_end(data: bytes, at: list[int]) -> None:
    words = load8(data, np.array(at, np.int64))
    for position, word in zip(at, words, strict=True):
        start = max(position, 0)
        expected = (data[start : start + 8] + bytes(8))[:8]
        assert int(word) == int.from_bytes(expected, "little")


@pytest.mark.parametrize(
    ("text", "count", "value"),
    [(b"1234 abc", 4, 1234), (b"12345678", 8, 12345678), (b"-12", 0, 0), (b"007\n", 3, 7), (b"9", 1, 9)],
)
def test_leading_digits_and_their_value(text: bytes, count: int, value: int) -> None:
    words = load8(text, np.array([0]))
    assert leading_digits(words).tolist() == [count]
    assert digits_value(words, np.array([count])).tolist() == [value]


@SETTINGS
@given(st.binary(min_size=8, max_size=8))
def test_leading_digits_agree_with_bytes(data: bytes) -> None:
    words = load8(data, np.array([0]))
    count = next((i for i, b in enumerate(data) if not 48 <= b <= 57), 8)
    assert leading_digits(words).tolist() == [count]
    assert digits_value(words, np.array([count])).tolist() == [int(data[:count] or b"0")]
    assert byte_at(words, 3).tolist() == [data[3]]


def test_line_ends() -> None:
    assert line_ends(b"a\nbb\n\n").tolist() == [1, 4, 5]
    assert line_ends(b"").tolist() == []


def test_scan_finds_the_fields_of_a_combined_line() -> None:
    line = clf_line(1_000_000_000, path="/a/b", status=404, size=1234)
    head = scan(line, 1000)
    assert head.shaped.tolist() == [True]
    assert line[head.bracket[0] : head.bracket[0] + 1] == b"["
    assert line[head.request[0] : head.request_end[0]] == b"GET /a/b HTTP/1.1"
    assert (int(head.status[0]), int(head.size[0])) == (404, 1234)
    assert line[head.size_end[0] : head.ends[0]] == b' "-" "test-agent"'


@pytest.mark.parametrize(
    ("size", "value", "shaped"),
    [("-", 0, True), ("0", 0, True), ("1" * MAX_SIZE_DIGITS, int("1" * MAX_SIZE_DIGITS), True),
     ("1" * (MAX_SIZE_DIGITS + 1), None, False), ("12345678", 12345678, True)],
)  # fmt: skip
def test_scan_reads_sizes(size: str, value: int | None, shaped: bool) -> None:
    head = scan(clf_line(1_000_000_000, size=size), 1000)
    assert head.shaped.tolist() == [shaped]
    if shaped:
        assert head.size.tolist() == [value]


@pytest.mark.parametrize(
    "change",
    [
        (b" 200 ", b" - "),  # a status RE2 allows but the scan leaves to it
        (b" 200 ", b" 20 "),
        (b'HTTP/1.1"', b'HTTP/1.1\\"'),  # the request's quote is escaped
        (b"[", b"("),
        (b"] ", b"]"),
        (b" 123 ", b" x "),
    ],
)
def test_scan_does_not_vouch_for_odd_shapes(change: tuple[bytes, bytes]) -> None:
    line = clf_line(1_000_000_000).replace(*change)
    assert scan(line, 1000).shaped.tolist() == [False]


def test_scan_leaves_lines_over_the_limit() -> None:
    line = clf_line(1_000_000_000)
    assert scan(line, len(line) - 2).shaped.tolist() == [False]
    assert scan(line, len(line) - 1).shaped.tolist() == [True]


def test_scan_marks_where_the_time_changes_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """new_time is set on each line whose time bytes differ from the line before's, also at
    the first line of a block (compared with the last of the block before)."""
    monkeypatch.setattr("analyzer.formats.scan.BLOCK_LINES", 3)
    seconds = [5, 5, 5, 6, 6, 7, 7, 7, 5, 5]
    head = scan(b"".join(clf_line(1_000_000_000 + s) for s in seconds), 1000)
    assert head.new_time.tolist()[1:] == [a != b for a, b in zip(seconds[1:], seconds[:-1], strict=True)]
    assert head.shaped.all()


@SETTINGS
@given(st.binary(max_size=700), st.sampled_from([8, 64, 1 << 18]))
def test_bitmaps_made_together_in_blocks_equal_those_made_alone(data: bytes, block: int) -> None:
    """Bits.of (one pass in blocks of bytes, here as small as 8) gives each value's own bitmap."""
    buf = np.frombuffer(data, np.uint8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("analyzer.formats.scan.BITMAP_BLOCK", block)
        together = Bits.of(buf, (ord("\n"), ord('"')))
    for bits, byte in zip(together, (ord("\n"), ord('"')), strict=True):
        alone = Bits(buf, byte)
        assert bits.words.tolist() == alone.words.tolist()
        assert bits.positions().tolist() == np.flatnonzero(buf == byte).tolist()
