"""The C kernel's scan and dictionary encoding, field by field: the shape it vouches for, what it
checks per line equal to what the RE2 pattern's pieces and pandas say, the encoding equal to
pyarrow's, one thread or two (the whole parse is held to the RE2 reference in test_fast.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.formats import compiled, kernel
from analyzer.formats.columns import epoch_seconds
from analyzer.formats.encoded import dictionary_of
from analyzer.formats.patterns import TIME_FORMAT, WHOLE_PREFIX
from analyzer.formats.rejects import MAX_LINE_CHARS
from analyzer.formats.text import utf8_lines
from tests.conftest import clf_line
from tests.formats.test_compiled import VALUES
from tests.formats.test_fast import batches, in_two_threads, kernel_off

KERNEL = compiled.KERNEL
MAX_SIZE_DIGITS = 15  # kernel.h: longer sizes take the RE2 path


def test_the_kernel_is_built() -> None:
    """`pip install` compiles analyzer/formats/kernel_c (setup.py): without it every parse
    takes the RE2 reference path, several times slower (a C compiler and the Python headers
    are needed)."""
    assert KERNEL is not None


def lines_of(data: bytes) -> bytes:
    text = utf8_lines(data)
    return text if not text or text.endswith(b"\n") else text + b"\n"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.booleans(), st.sampled_from([MAX_LINE_CHARS, 60]))
def test_the_kernel_scans_every_field_where_the_bytes_say(data: bytes, tail: bool, limit: int) -> None:
    """Every line by its newline; a shaped line's fields where its bytes put them; in two
    halves by two threads, the same."""
    text = lines_of(data)
    head = kernel.scan(text, limit, tail)
    ends = [at for at, byte in enumerate(text) if byte == ord("\n")]
    assert head.ends.tolist() == ends
    assert head.starts.tolist() == ([0, *(at + 1 for at in ends[:-1])] if ends else [])
    for line in np.flatnonzero(head.shaped).tolist():
        bracket, request, request_end = (
            int(getattr(head, name)[line]) for name in ("bracket", "request", "request_end")
        )
        assert head.ends[line] - head.starts[line] <= limit
        assert text[bracket : bracket + 1] == b"[" and text[request - 3 : request] == b'] "'
        assert b'"' not in text[request:request_end] and text[request_end : request_end + 2] == b'" '
        status, size = text[request_end + 2 :].split(b" ", 2)[:2]
        assert int(status) == head.status[line] and len(status) == 3
        size = size[: int(head.size_end[line]) - request_end - 6]
        assert (size == b"-" and head.size[line] == 0) or int(size) == head.size[line]
        if tail and head.tailed[line]:
            referer, referer_end, agent_end = (
                int(getattr(head, name)[line]) for name in ("referer", "referer_end", "agent_end")
            )
            assert text[referer - 2 : referer] == b' "' and text[referer_end : referer_end + 3] == b'" "'
            assert text[agent_end : agent_end + 1] == b'"' and b'"' not in text[referer:referer_end]
    both = (
        np.flatnonzero(head.shaped[1:] & head.shaped[:-1]) + 1
    )  # where the time is compared with the line before's
    times = [text[at + 1 : at + 27] for at in head.bracket.tolist()]
    assert head.new_time[both].tolist() == [times[line] != times[line - 1] for line in both.tolist()]
    assert_checks_of_the_kernel(text, head, tail)
    with in_two_threads(True):  # the lines in two halves, each scanned by a thread
        halves = kernel.scan(text, limit, tail)
    for name, whole in vars(head).items():
        assert getattr(halves, name).tolist() == whole.tolist(), name


def test_the_scan_finds_the_fields_of_a_combined_line() -> None:
    line = clf_line(1_000_000_000, path="/a/b", status=404, size=1234)
    head = kernel.scan(line, 1000, tail=True)
    assert head.shaped.tolist() == [True] and head.tailed.tolist() == [True]
    assert line[head.bracket[0] : head.bracket[0] + 1] == b"["
    assert line[head.request[0] : head.request_end[0]] == b"GET /a/b HTTP/1.1"
    assert (int(head.status[0]), int(head.size[0])) == (404, 1234)
    assert line[head.size_end[0] : head.ends[0]] == b' "-" "test-agent"'
    assert line[head.referer_end[0] + 3 : head.agent_end[0]] == b"test-agent"


@pytest.mark.parametrize(
    ("size", "value", "shaped"),
    [("-", 0, True), ("0", 0, True), ("1" * MAX_SIZE_DIGITS, int("1" * MAX_SIZE_DIGITS), True),
     ("1" * (MAX_SIZE_DIGITS + 1), None, False), ("12345678", 12345678, True)],
)  # fmt: skip
def test_the_scan_reads_sizes(size: str, value: int | None, shaped: bool) -> None:
    head = kernel.scan(clf_line(1_000_000_000, size=size), 1000)
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
def test_the_scan_does_not_vouch_for_odd_shapes(change: tuple[bytes, bytes]) -> None:
    line = clf_line(1_000_000_000).replace(*change)
    assert kernel.scan(line, 1000).shaped.tolist() == [False]


def test_the_scan_leaves_lines_over_the_limit() -> None:
    line = clf_line(1_000_000_000)
    assert kernel.scan(line, len(line) - 2).shaped.tolist() == [False]
    assert kernel.scan(line, len(line) - 1).shaped.tolist() == [True]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from("ab [-\u00e9\t"), max_size=21), min_size=1, max_size=6))
def test_the_prefix_check_equals_the_pattern_on_words_of_any_length(words: list[str]) -> None:
    """Spaces at every offset of the 8-byte steps, words longer and shorter than a step."""
    rest = ' [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1\n'
    text = "".join(" ".join(words[:n]) + rest for n in range(1, 7)).encode()
    assert_checks_of_the_kernel(text, kernel.scan(text, MAX_LINE_CHARS), False)


def assert_checks_of_the_kernel(text: bytes, head: kernel.Head, tail: bool) -> None:
    """What the kernel checks per line (the prefix, backslashes in the tail, the time) equals
    what the RE2 pattern's pieces and pandas say of the same bytes."""
    buffer = pa.py_buffer(text)
    at = np.flatnonzero(head.shaped)
    prefixes = compiled.slices(buffer, head.starts[at], head.bracket[at])
    whole = pc.match_substring_regex(prefixes, WHOLE_PREFIX).to_numpy(zero_copy_only=False)
    assert head.whole_prefix[at].tolist() == whole.tolist()
    if tail:
        tailed = np.flatnonzero(head.shaped & head.tailed)
        fields = [
            (head.referer[tailed], head.referer_end[tailed]),
            (head.referer_end[tailed] + 3, head.agent_end[tailed]),
        ]
        plain = np.ones(len(tailed), bool)
        for starts, stops in fields:
            plain &= ~pc.match_substring(compiled.slices(buffer, starts, stops), "\\").to_numpy(
                zero_copy_only=False
            )
        assert head.plain_tail[tailed].tolist() == plain.tolist()
    read = np.flatnonzero(head.shaped & (head.seconds != kernel.UNREAD_TIME))
    stamps = compiled.slices(buffer, head.bracket[read] + 1, head.bracket[read] + 27)
    assert head.seconds[read].tolist() == epoch_seconds(stamps, TIME_FORMAT).tolist()


STAMPS = st.builds(
    lambda day, month, year, clock, sign, offset: f"{day}/{month}/{year}:{clock} {sign}{offset}",
    st.sampled_from(["01", "09", "28", "29", "30", "31", "00", "32", "1 ", "x1"]),
    st.sampled_from(["Jan", "Feb", "Apr", "Dec", "jan", "FEB", "Foo"]),
    st.sampled_from(["1970", "2000", "1900", "2024", "2023", "2100", "0001", "0000", "9999", "1969"]),
    st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:00", "00:00:0x"]),
    st.sampled_from(["+", "-", " ", "Z"]),
    st.sampled_from(["0000", "2359", "2400", "0060", "0530", "9999", "00:0"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STAMPS, min_size=1, max_size=8))
def test_the_kernel_reads_times_as_pandas_does_or_leaves_them(stamps: list[str]) -> None:
    """A time the kernel reads has pandas's value; any other it leaves (UNREAD_TIME)."""
    data = b"".join(clf_line(0).replace(b"01/Jan/1970:00:00:00 +0000", s.encode()) for s in stamps)
    head = kernel.scan(data, MAX_LINE_CHARS)
    expected = epoch_seconds(pa.array(stamps), TIME_FORMAT)
    read = (head.seconds != kernel.UNREAD_TIME) & head.shaped
    assert head.seconds[read].tolist() == expected[read].tolist()


def test_a_plain_time_is_read_by_the_kernel() -> None:
    data = clf_line(951_782_400, offset="+0530") + clf_line(951_782_401, offset="-2359")
    head = kernel.scan(data, MAX_LINE_CHARS)
    assert head.seconds.tolist() == [951_782_400, 951_782_401]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", "a", "ab", "a" * 40, "é", "abc" * 30, "b", "\0", "ba"]), max_size=60))
def test_encoded_ranges_equal_pyarrow_dictionary_encoding(values: list[str]) -> None:
    """Codes by first appearance and the distinct values in that order, as dictionary_of."""
    data = "|".join(values).encode()
    lengths = np.array([len(v.encode()) for v in values], np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)[: len(values)]
    ranges = {
        "whole": (starts, starts + lengths),
        "first byte": (starts, starts + np.minimum(lengths, 1)),
        "last byte": (starts + np.maximum(lengths - 1, 0), starts + lengths),
    }
    cut_inside = any(len(v.encode()) > 1 and not v.isascii() for v in values)
    for threaded in (False, True):  # fields split between two threads, as in a large batch
        with in_two_threads(threaded):
            fast = kernel.encoded_ranges(pa.py_buffer(data), ranges)
        for name, texts in (
            ("whole", values),
            ("first byte", [v.encode()[:1].decode("utf-8", "replace") for v in values]),
            ("last byte", [v.encode()[-1:].decode("utf-8", "replace") for v in values]),
        ):
            if name != "whole" and cut_inside:
                continue  # a cut inside a character is no string to compare with
            slow = dictionary_of(pa.array(texts, pa.large_string()))
            assert fast[name].codes.tolist() == slow.codes.tolist(), (name, threaded)
            assert fast[name].values.to_pylist() == slow.values.to_pylist(), (name, threaded)


def test_fields_are_split_into_two_groups_of_about_equal_work() -> None:
    """Heaviest first to the lighter group; one field, or one thread: no split."""
    starts = np.zeros(100, np.int64)
    bounds = [(starts, starts + length) for length in (30, 90, 20, 30)]  # request, agent, prefix, referer
    with in_two_threads(True):
        assert kernel._halves(bounds) == ([1, 2], [0, 3])
        assert kernel._halves(bounds[:1]) is None
        kernel.single_threaded()
        assert kernel._halves(bounds) is None


def test_a_failure_in_the_other_thread_is_raised_in_the_caller() -> None:
    data = b"abcdef"
    inside, outside = (np.array([0]), np.array([3])), (np.array([0]), np.array([99]))
    for ranges in ({"a": inside, "b": outside}, {"a": outside, "b": inside}):
        with in_two_threads(True), pytest.raises(ValueError, match="outside the data"):
            kernel.encoded_ranges(pa.py_buffer(data), ranges)


def test_encoding_many_distinct_values_grows_the_table() -> None:
    values = [f"/item/{i % 5000}" for i in range(20_000)]
    data = "".join(values).encode()
    lengths = np.array([len(v) for v in values], np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    found = kernel.encoded_ranges(pa.py_buffer(data), {"path": (starts, starts + lengths)})["path"]
    assert found.values.to_pylist() == values[:5000]
    assert found.codes.tolist() == [i % 5000 for i in range(20_000)]


def test_the_kernel_refuses_outputs_too_small_and_ranges_outside_the_data() -> None:
    assert KERNEL is not None
    data = clf_line(0) * 3
    with pytest.raises(ValueError, match="ints"):
        KERNEL.scan(data, 3, MAX_LINE_CHARS, False, np.empty(3, np.int64), np.empty(30, np.uint8))
    codes, firsts, start = np.empty(1, np.int64), np.empty(1, np.int64), np.array([0], np.int64)
    key = compiled.HASH_KEY
    with pytest.raises(ValueError, match="outside the data"):
        KERNEL.encode_ranges(data, 1, start, np.array([len(data) + 1], np.int64), codes, firsts, key)
    with pytest.raises(ValueError, match="the same rows"):
        KERNEL.encode_ranges(data, 1, start, np.zeros(0, np.int64), codes, firsts, key)
    with pytest.raises(ValueError, match="fields"):
        KERNEL.encode_ranges(data, 9, start, start, codes, firsts, key)
    for short in (b"", key[:15], key + b"x"):
        with pytest.raises(ValueError, match="key: 16 bytes"):
            KERNEL.encode_ranges(data, 1, start, start, codes, firsts, short)
        with pytest.raises(ValueError, match="key: 16 bytes"):
            KERNEL.hash_ranges(data, start, start, short, np.empty(1, np.uint64), False)
    with pytest.raises(ValueError, match="outside the data"):
        KERNEL.hash_ranges(
            data, start, np.array([len(data) + 1], np.int64), key, np.empty(1, np.uint64), True
        )
    with pytest.raises(ValueError, match="out"):
        KERNEL.hash_ranges(data, start, start, key, np.empty(0, np.uint64), False)
    with pytest.raises(ValueError, match="outside the data"):
        KERNEL.gather(data, start, np.array([len(data) + 1], np.int64), np.empty(2, np.int64))
    with pytest.raises(ValueError, match="offsets"):
        KERNEL.gather(data, start, start, np.empty(1, np.int64))
    with pytest.raises(ValueError, match="the same rows"):
        KERNEL.gather(data, start, np.zeros(0, np.int64), np.empty(2, np.int64))
    with pytest.raises(ValueError, match="outside the data"):
        KERNEL.split(0, data, np.array([0, len(data) + 5], np.int64), np.empty(3, np.int64))
    ints, flags = np.empty((12, 3), np.int64), np.empty((5, 3), np.uint8)
    for first_byte, first_line in ((len(data) + 1, 0), (-1, 0), (0, 4), (0, -1)):
        with pytest.raises(ValueError, match="first_byte inside the data"):
            KERNEL.scan(data, 3, MAX_LINE_CHARS, False, ints, flags, first_byte, first_line, 3)


@given(st.binary(max_size=400), st.integers(0, 9000), st.sampled_from([b"\n", b"a", b"\n\n\x7f"]))
def test_line_count_counts_newlines_and_tells_ascii(data: bytes, repeat: int, filler: bytes) -> None:
    """Any bytes, any alignment, runs of newlines long enough to overflow a byte-wide counter
    that is not summed in time (over 255 blocks of 16); and the newlines before the first line
    start at or after the middle byte."""
    assert KERNEL is not None
    for text in (data, filler * repeat + data, data + filler * repeat):
        middle = text.find(b"\n", len(text) // 2) + 1
        before = text[:middle].count(b"\n")
        assert KERNEL.line_count(text) == (text.count(b"\n"), text.isascii(), middle, before)


@given(st.binary(max_size=300), st.data())
def test_gather_joins_any_ranges_and_tells_where_each_begins(data: bytes, draw: st.DataObject) -> None:
    """Any ranges inside the data (in order, overlapping or not), empty ones included."""
    assert KERNEL is not None
    bounds = draw.draw(st.lists(st.tuples(st.integers(0, len(data)), st.integers(0, len(data))), max_size=20))
    starts = np.array([min(pair) for pair in bounds], np.int64)
    stops = np.array([max(pair) for pair in bounds], np.int64)
    offsets = np.empty(len(bounds) + 1, np.int64)
    joined = KERNEL.gather(data, starts, stops, offsets)
    pieces = [data[start:stop] for start, stop in zip(starts.tolist(), stops.tolist(), strict=True)]
    assert joined == b"".join(pieces)
    assert offsets.tolist() == np.cumsum([0] + [len(piece) for piece in pieces]).tolist()


@given(st.binary(max_size=200), st.integers(0, 300), st.sampled_from([b"", b"\0", b"\r", b"\r\n"]))
def test_holds_nul_or_cr_finds_either_anywhere(data: bytes, at: int, dirt: bytes) -> None:
    """In any 64-byte block or the tail after the last, with the kernel or without it."""
    text = (b"x" * at + dirt + data.replace(b"\0", b"").replace(b"\r", b""))[: at + 250]
    expected = b"\0" in text or b"\r" in text
    assert kernel.holds_nul_or_cr(text) == expected
    with kernel_off():
        assert kernel.holds_nul_or_cr(text) == expected


@pytest.mark.parametrize("built", [True, False])
def test_newlines_and_ascii_with_or_without_the_kernel(built: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the kernel the newlines are not counted (nothing scans then)."""
    if not built:
        monkeypatch.setattr(compiled, "KERNEL", None)
    data = b"a\n" * 5000 + "caf\u00e9\n".encode()
    counted = kernel.Newlines(5001, 5004, 2502) if built else None
    assert kernel.newlines_and_ascii(data) == (counted, False)
    counted = kernel.Newlines(5000, 5002, 2501) if built else None
    assert kernel.newlines_and_ascii(data[:-6]) == (counted, True)


@settings(max_examples=150, deadline=None)
@given(st.lists(VALUES, max_size=30))
def test_request_sections_equal_the_path_of_the_pattern_taken_to_its_section(requests: list[str]) -> None:
    """The section the kernel reads per line equals REQUEST's path through SECTION (RE2)."""
    data = "\x01".join(requests).encode()
    lengths = np.array([len(r.encode()) for r in requests], np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)[: len(requests)]
    fast = kernel.request_sections(pa.py_buffer(data), starts, starts + lengths)
    saved = compiled.KERNEL
    compiled.KERNEL = None
    try:
        paths = compiled.split_requests(pa.array(requests, pa.large_string()))["path"]
        slow = dictionary_of(compiled.sections(paths))
    finally:
        compiled.KERNEL = saved
    assert fast.codes.tolist() == slow.codes.tolist()
    assert fast.values.to_pylist() == slow.values.to_pylist()
