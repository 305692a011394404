"""Why a line was rejected: one reason per line, in a fixed order of precedence."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from analyzer.formats.clf import parse
from analyzer.formats.rejects import (
    BAD_TIMESTAMP,
    BINARY,
    MAX_LINE_CHARS,
    MISSING_FIELDS,
    REASONS,
    TOO_LONG,
    UNCLOSED_QUOTE,
    count_reasons,
    reasons,
)

STAMP = "[10/Oct/2000:13:55:36 -0700]"
GOOD = f'1.2.3.4 - - {STAMP} "GET /a/b HTTP/1.1" 200 5 "-" "UA"'


def reason_of(line: str) -> str:
    """The reason `reasons` gives one line."""
    (found,) = reasons(pa.array([line], pa.large_string())).tolist()
    return str(found)


REASON_TABLE = [
    # id, line, reason
    ("over-64Ki-chars", "a" * (MAX_LINE_CHARS + 1), TOO_LONG),
    ("64Ki-chars-is-not-too-long", "a" * MAX_LINE_CHARS, MISSING_FIELDS),
    ("over-64Ki-multibyte-chars", "é" * (MAX_LINE_CHARS + 1), TOO_LONG),
    ("nul-byte", "GET /\x00 HTTP/1.1", BINARY),
    ("tls-handshake-control-bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", BINARY),
    ("escape-sequence", "\x1b[2J hello", BINARY),
    ("del", "abc\x7fdef", BINARY),
    ("non-utf8-as-xNN-escape", "1.2.3.4 - - \\xe4\\xb8 garbage", BINARY),
    ("gh0st-request", '1.2.3.4 - - "Gh0st\\xad"', BINARY),
    ("unclosed-request-quote", f'1.2.3.4 - - {STAMP} "GET /never/closed HTTP/1.1', UNCLOSED_QUOTE),
    ("three-quotes", '"a" "b', UNCLOSED_QUOTE),
    ("minute-99", GOOD.replace("13:55:36", "13:99:36"), BAD_TIMESTAMP),
    ("february-31", GOOD.replace("10/Oct/2000", "31/Feb/2000"), BAD_TIMESTAMP),
    ("offset-9999", GOOD.replace("-0700", "+9999"), BAD_TIMESTAMP),
    ("iso-second-99", '[2019-08-14T04:12:99+03:00] "GET / HTTP/1.1" 200', BAD_TIMESTAMP),
    ("good-time-no-bytes", GOOD.replace(" 200 5 ", " 200 "), MISSING_FIELDS),
    ("good-time-no-request", f"1.2.3.4 - - {STAMP} 200 5", MISSING_FIELDS),
    ("good-iso-time-missing-rest", "[2019-08-14T04:12:10+03:00] 1.2.3.4", MISSING_FIELDS),
    ("plain-words", "hello world", MISSING_FIELDS),
    ("escaped-quote-is-not-unclosed", 'a \\" b', MISSING_FIELDS),
    ("tab-is-not-binary", "a\tb\tc", MISSING_FIELDS),
    ("empty-line", "", MISSING_FIELDS),
    ("blank-line", "   ", MISSING_FIELDS),
]


@pytest.mark.parametrize(("line", "reason"), [c[1:] for c in REASON_TABLE], ids=[c[0] for c in REASON_TABLE])
def test_reason_of_each_line(line: str, reason: str) -> None:
    """Each rejected line gets the reason that names what is wrong with it."""
    assert reason_of(line) == reason
    assert reason_of(line + "\r\n") == reason  # the line ending is not part of the line


PRECEDENCE = [
    # id, line, reason: the first of REASONS that applies wins
    ("too-long-beats-binary", "\x01" * (MAX_LINE_CHARS + 1), TOO_LONG),
    ("too-long-beats-unclosed-quote", '"' + "a" * MAX_LINE_CHARS, TOO_LONG),
    ("binary-beats-unclosed-quote", '"\x03 never closed', BINARY),
    ("binary-beats-bad-timestamp", "[10/Oct/2000:13:99:36 -0700] \\xff", BINARY),
    ("unclosed-quote-beats-bad-timestamp", '[10/Oct/2000:13:99:36 -0700] "GET /', UNCLOSED_QUOTE),
    ("bad-timestamp-beats-missing-fields", "1.2.3.4 [10/Oct/2000:13:99:36 -0700]", BAD_TIMESTAMP),
]


@pytest.mark.parametrize(("line", "reason"), [c[1:] for c in PRECEDENCE], ids=[c[0] for c in PRECEDENCE])
def test_reasons_follow_their_order_of_precedence(line: str, reason: str) -> None:
    """A line with several faults is filed under the first of them in REASONS order."""
    assert reason_of(line) == reason


def test_reasons_of_a_batch_keep_line_order() -> None:
    """reasons gives one reason per line, in line order, for the whole batch at once."""
    lines = [case[1] for case in REASON_TABLE]
    found = reasons(pa.array(lines, pa.large_string()))
    assert found.tolist() == [case[2] for case in REASON_TABLE]
    assert reasons(pa.array([], pa.large_string())).tolist() == []


def test_parse_files_raw_bytes_under_binary_garbage() -> None:
    """Bytes that are not UTF-8 reach the classifier as `\\xNN` escapes and read as binary garbage."""
    parsed = parse(b"\x16\x03\x01\xfe\xff garbage\n")
    assert parsed.reasons == {BINARY: 1}
    assert parsed.rejects == [(BINARY, "\x16\x03\x01\\xfe\\xff garbage")]


def test_count_reasons_in_reasons_order_without_zeros() -> None:
    """count_reasons counts each reason, lists them in REASONS order and leaves out absent ones."""
    found = np.array([MISSING_FIELDS, TOO_LONG, MISSING_FIELDS, UNCLOSED_QUOTE, MISSING_FIELDS], object)
    counts = count_reasons(found)
    assert counts == {TOO_LONG: 1, UNCLOSED_QUOTE: 1, MISSING_FIELDS: 3}
    assert list(counts) == [reason for reason in REASONS if reason in counts]
    assert count_reasons(np.zeros(0, object)) == {}


def test_three_megabyte_line_is_too_long_and_its_neighbours_parse() -> None:
    """A 3 MB line between two good lines is one `too long` rejection; both neighbours are requests."""
    giant = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /' + b"x" * (3 << 20) + b' HTTP/1.1" 200 5\n'
    data = GOOD.encode() + b"\n" + giant + GOOD.replace("/a/b", "/c/d").encode() + b"\n"
    parsed = parse(data)
    assert (parsed.lines, parsed.rejected, len(parsed.frame)) == (3, 1, 2)
    assert parsed.rejected_at.tolist() == [1]
    assert parsed.frame["section"].tolist() == ["/a", "/c"]
    ((reason, line),) = parsed.rejects
    assert reason == TOO_LONG
    assert line == giant.decode().rstrip("\n")  # kept whole for --rejects
