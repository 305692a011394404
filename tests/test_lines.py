"""Cutting bytes into complete lines: fragments held back, CR/CRLF endings, NULs, over-long lines."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from analyzer.formats.kernel import holds_nul_or_cr
from analyzer.lines import LineSplitter, clean, last_line_end


def feed_all(splitter: LineSplitter, pieces: list[bytes]) -> bytes:
    return b"".join(splitter.feed(piece) for piece in pieces)


def test_a_fragment_waits_for_its_newline() -> None:
    """Bytes without a terminator are held, however many reads they take, then given whole."""
    splitter = LineSplitter()
    assert splitter.feed(b"GET /a") == b""
    assert splitter.feed(b" HTTP/1.1") == b""
    assert splitter.feed(b" 200\nnext") == b"GET /a HTTP/1.1 200\n"
    assert splitter.partial == b"next"


def test_crlf_and_cr_endings_become_newlines() -> None:
    """CRLF, CR-only and LF endings each end one line, even when CRLF is split across reads."""
    splitter = LineSplitter()
    assert splitter.feed(b"a\r\nb\rc\nd\r") == b"a\nb\nc\nd\n"
    assert splitter.after_cr
    assert splitter.feed(b"\ne\r") == b"e\n", "the LF of a split CRLF is not an empty line"
    assert splitter.feed(b"\n") == b""
    assert not splitter.after_cr
    assert splitter.feed(b"\nf\n") == b"\nf\n", "a LF after a completed CRLF is an empty line"


def test_nul_bytes_never_come_out() -> None:
    """A sparse hole of NULs before a line is dropped and the line itself kept."""
    splitter = LineSplitter()
    assert splitter.feed(b"\0" * 5000 + b"real line\n\0\0") == b"real line\n"
    assert splitter.nul_bytes == 5002
    assert splitter.feed(b"\0\0tail\n") == b"tail\n"


def test_an_over_long_line_is_dropped_as_it_arrives_and_counted_once() -> None:
    """A line over the limit is never held whole: dropped piece by piece, counted at its end."""
    splitter = LineSplitter(max_line_bytes=100)
    assert splitter.feed(b"before\n" + b"x" * 60) == b"before\n"
    for _ in range(50):
        assert splitter.feed(b"x" * 60) == b""
        assert len(splitter.partial) <= 100
    assert splitter.dropped == 0
    assert splitter.feed(b"x\nafter\n") == b"after\n"
    assert splitter.dropped == 1


def test_over_long_lines_inside_one_read_are_cut_out() -> None:
    """Complete over-long lines within one read are removed; their neighbours stay intact."""
    splitter = LineSplitter(max_line_bytes=10)
    data = b"ok1\n" + b"y" * 11 + b"\nok2\n" + b"z" * 500 + b"\nexactly10!\n"
    assert splitter.feed(data) == b"ok1\nok2\nexactly10!\n"
    assert splitter.dropped == 2


def test_reset_forgets_the_unfinished_line() -> None:
    """After reset an old fragment cannot join the next line."""
    splitter = LineSplitter()
    splitter.feed(b"old fragm")
    splitter.reset()
    assert splitter.feed(b"new\n") == b"new\n"


def test_clean_and_last_line_end() -> None:
    """clean() gives whole normalised lines; last_line_end finds the last LF or CR."""
    assert clean(b"a\r\n\0b\rpartial") == b"a\nb\n"
    assert last_line_end(b"a\nb\rc") == 4
    assert last_line_end(b"abc") == 0


@given(
    st.lists(
        st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"").replace(b"\0", b"")),
        max_size=20,
    ),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_any_split_gives_the_same_lines(lines: list[bytes], ending: bytes, cuts: list[int]) -> None:
    """However the stream is split into reads, the same lines come out, each once and whole."""
    stream = b"".join(line + ending for line in lines)
    points = sorted({min(cut, len(stream)) for cut in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(points)]
    splitter = LineSplitter(max_line_bytes=25)
    out = feed_all(splitter, pieces)
    kept = [line for line in lines if len(line) <= 25]
    assert out == b"".join(line + b"\n" for line in kept)
    assert splitter.dropped == len(lines) - len(kept)


@given(
    st.lists(
        st.binary(max_size=40) | st.sampled_from([b"\r", b"\n", b"\r\n", b"\0", b"a\r", b"\rb\0"]),
        max_size=12,
    )
)
def test_a_splitter_told_of_dirt_by_another_check_cuts_the_same_lines(pieces: list[bytes]) -> None:
    """An injected check (the parser kernel's one pass) changes nothing but the speed: the
    same lines, NULs and dropped lines as the two searches; one that calls every read dirty
    (the careful way always) as well."""
    expected = LineSplitter(max_line_bytes=20)
    lines = feed_all(expected, pieces)
    for dirty in (holds_nul_or_cr, lambda data: True):
        other = LineSplitter(20, dirty)
        assert feed_all(other, pieces) == lines
        assert (other.nul_bytes, other.dropped, other.partial) == (
            expected.nul_bytes,
            expected.dropped,
            expected.partial,
        )
