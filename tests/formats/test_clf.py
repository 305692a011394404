"""The parser: real logs, edge lines, and properties that hold on any bytes."""

from __future__ import annotations

import gzip
import itertools
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.clf import COLUMNS, parse, requests, seconds_of
from analyzer.formats.parsers import detect_format
from analyzer.formats.text import split_lines
from tests.conftest import clf_line, mutate, shared_log

ELASTIC = "apache_combined_elastic-examples_2015-05-17_2015-05-20.log"
PHPMYADMIN = "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz"
NGINX = "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
W3C = "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log"

# Measured once and checked by hand: none of these files holds a line without a readable
# timestamp, so nothing is rejected. Garbage requests (TLS bytes, `"-"`, `""`, `quit`) are
# hits with a missing method; the unclosed user-agent quote in the elastic log is a hit.
EXPECTED = {
    ELASTIC: (10_000, 0),
    PHPMYADMIN: (28_939, 0),
    NGINX: (671, 0),
}

STAMP = "[10/Oct/2000:13:55:36 -0700]"
STAMP_UTC = pd.Timestamp("2000-10-10T20:55:36Z")


def read_log(name: str) -> bytes:
    """The bytes of a shared log, gunzipped when needed (skips when the logs are absent)."""
    path = shared_log(name)
    data = path.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def line_count(data: bytes) -> int:
    """Newline-terminated lines, plus a final fragment without its newline."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def lines_of(data: bytes) -> list[bytes]:
    """The lines of `data` split on newlines only, each keeping its newline (a final fragment has none)."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def rows(frame: pd.DataFrame) -> Counter[tuple[int, str | None, int, int]]:
    """The multiset of (second, section, status, bytes) of a frame."""
    sections = [None if pd.isna(s) else str(s) for s in frame["section"]]
    return Counter(
        zip(
            seconds_of(frame).tolist(),
            sections,
            frame["status"].astype(int).tolist(),
            frame["bytes"].astype(int).tolist(),
            strict=True,
        )
    )


# --- real logs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_log_parses_with_expected_rejections(name: str) -> None:
    """Each real Common/Combined log is detected as combined and parses with the known rejected count."""
    data = read_log(name)
    expected_lines, expected_rejected = EXPECTED[name]
    assert detect_format(data) == "combined"
    parsed = parse(data, "combined")
    assert parsed.lines == expected_lines == line_count(data)
    assert parsed.rejected == expected_rejected
    assert len(parsed.frame) + parsed.rejected == parsed.lines
    timed = name == NGINX  # its request times (`rt=` after the agent) are read
    assert list(parsed.frame.columns) == [name for name in COLUMNS if timed or name != "duration"]


def test_w3c_log_is_not_detected_as_common_or_combined() -> None:
    """The IIS W3C log matches neither Common nor Combined, so detection returns None."""
    assert detect_format(read_log(W3C)) is None


def test_elastic_log_content() -> None:
    """Elastic log: UTC time span, top sections, `-` bytes as 0, integer statuses, unclosed quote kept."""
    data = read_log(ELASTIC)
    frame = parse(data).frame
    assert frame["time"].min() == pd.Timestamp("2015-05-17T10:05:00Z")
    assert frame["time"].max() == pd.Timestamp("2015-05-20T21:05:59Z")
    top = frame["section"].value_counts().head(3)
    assert top.to_dict() == {"/presentations": 2305, "/blog": 1959, "/images": 1243}
    dash = np.array([re.search(rb'" \d{3} - ', line) is not None for line in lines_of(data)])
    assert dash.sum() == 669
    assert (frame["bytes"].to_numpy()[dash] == 0).all()
    assert (frame["bytes"].to_numpy()[~dash] > 0).all()
    assert pd.api.types.is_integer_dtype(frame["status"].dtype)
    counts = frame["status"].value_counts()
    assert (counts[200], counts[304], counts[404]) == (9126, 445, 213)
    unclosed = frame.iloc[8898]  # line 8899: user-agent quote never closed
    assert unclosed["path"] == "/scripts/grok-py-test/configlib.py"
    assert unclosed["status"] == 200
    assert pd.isna(unclosed["user_agent"])


def test_phpmyadmin_log_content() -> None:
    """phpMyAdmin log: time span, sections, 408 `"-"` hits, binary requests, `OPTIONS *`, `\\"` in UA."""
    frame = parse(read_log(PHPMYADMIN)).frame
    assert frame["time"].min() == pd.Timestamp("2019-02-25T07:01:40Z")
    assert frame["time"].max() == pd.Timestamp("2019-03-20T14:38:41Z")
    assert frame["section"].value_counts().head(2).to_dict() == {"/phpmyadmin": 21175, "/": 917}
    assert int((frame["status"] == 500).sum()) == 1356
    assert frame["method"].isna().sum() == 122  # `"-"`, TLS bytes, `\x03`, `Gh0st\xad`
    timeouts = frame[(frame["status"] == 408) & frame["method"].isna()]
    assert len(timeouts) == 4
    assert timeouts["path"].isna().all() and timeouts["section"].isna().all()
    options = frame[frame["host"] == "::1"]
    assert set(options["method"]) == {"OPTIONS"}
    assert set(options["path"]) == {"*"} and options["section"].isna().all()
    quoted = frame.iloc[20597]  # line 20598
    assert quoted["user_agent"] == '\\"nlpproject.info research\\"'
    assert quoted["status"] == 500


def test_nginx_log_content() -> None:
    """nginx log: +0300 converted to UTC, top sections, timing fields kept out of the user agent."""
    frame = parse(read_log(NGINX)).frame
    assert frame["time"].iloc[0] == pd.Timestamp("2019-08-14T01:12:10Z")  # 04:12:10 +0300
    assert frame["time"].min() == pd.Timestamp("2019-08-14T01:12:10Z")
    assert frame["time"].max() == pd.Timestamp("2019-08-14T21:25:46Z")
    assert frame["section"].value_counts().head(2).to_dict() == {"/": 161, "/wp-login.php": 120}
    assert not frame["user_agent"].dropna().str.contains("rt=").any()
    assert frame["method"].value_counts().to_dict() == {"GET": 500, "POST": 156, "HEAD": 3, "PROPFIND": 1}
    assert int((frame["bytes"] == 0).sum()) == 16
    # `rt=` after the agent is the request time; the last two lines, cut short in the agent,
    # are hits without one (the design's "parsed frame": a readable time is a request)
    assert frame["duration"].notna().tolist() == [True] * 669 + [False] * 2
    assert (frame["duration"].iloc[1], frame["duration"].max()) == (0.2, 3.559)


def test_real_log_streaming_equals_batch() -> None:
    """Parsing the nginx log in line-aligned chunks yields the same rows as parsing it whole."""
    data = read_log(NGINX)
    lines = lines_of(data)
    whole = parse(data)
    pieces = [parse(b"".join(lines[i : i + 97])) for i in range(0, len(lines), 97)]
    assert sum(p.rejected for p in pieces) == whole.rejected
    assert sum((rows(p.frame) for p in pieces), Counter()) == rows(whole.frame)


# --- edge lines ------------------------------------------------------------------------------


def ln(request: bytes, status: bytes = b"200", size: bytes = b"5", tail: bytes = b' "-" "UA"') -> bytes:
    """One Combined line at STAMP with the given raw request field."""
    return b"1.2.3.4 - - " + STAMP.encode() + b' "' + request + b'" ' + status + b" " + size + tail + b"\n"


MISSING = None
EDGE_LINES = [
    # id, line, expected (method, path, section, protocol, status, bytes, user_agent)
    (
        "apache-escaped-quotes",
        ln(b'GET /a\\"b/c HTTP/1.1', tail=b' "-" "Mozilla \\"x\\" y"'),
        ("GET", '/a\\"b/c', '/a\\"b', "HTTP/1.1", 200, 5, 'Mozilla \\"x\\" y'),
    ),
    (
        "nginx-x22",
        ln(b"GET /a\\x22b/c HTTP/1.1", tail=b' "-" "UA\\x22q"'),
        ("GET", "/a\\x22b/c", "/a\\x22b", "HTTP/1.1", 200, 5, "UA\\x22q"),
    ),
    ("dash-request-408", ln(b"-", b"408", b"-"), (MISSING, MISSING, MISSING, MISSING, 408, 0, "UA")),
    ("tls-bytes", ln(b"\\x16\\x03\\x01", b"400", b"0"), (MISSING, MISSING, MISSING, MISSING, 400, 0, "UA")),
    ("empty-request", ln(b"", b"400", b"0"), (MISSING, MISSING, MISSING, MISSING, 400, 0, "UA")),
    ("http2-preface", ln(b"PRI * HTTP/2.0", b"400", b"0"), ("PRI", "*", MISSING, "HTTP/2.0", 400, 0, "UA")),
    ("http09-no-protocol", ln(b"GET /path"), ("GET", "/path", "/path", MISSING, 200, 5, "UA")),
    (
        "query-and-fragment",
        ln(b"GET /pages/x?q=/a/b#f HTTP/1.1"),
        ("GET", "/pages/x", "/pages", "HTTP/1.1", 200, 5, "UA"),
    ),
    (
        "absolute-url",
        ln(b"GET http://my.site.com/pages/create HTTP/1.1"),
        ("GET", "http://my.site.com/pages/create", "http://my.site.com/pages", "HTTP/1.1", 200, 5, "UA"),
    ),
    (
        "invalid-utf8",
        ln(b"GET /caf\xe9/x HTTP/1.1", tail=b' "-" "UA\xff"'),
        ("GET", "/caf\\xe9/x", "/caf\\xe9", "HTTP/1.1", 200, 5, "UA\\xff"),
    ),
    (
        "crlf",
        ln(b"GET /crlf/x HTTP/1.1")[:-1] + b"\r\n",
        ("GET", "/crlf/x", "/crlf", "HTTP/1.1", 200, 5, "UA"),
    ),
    (
        "no-final-newline",
        ln(b"GET /frag/x HTTP/1.1")[:-1],
        ("GET", "/frag/x", "/frag", "HTTP/1.1", 200, 5, "UA"),
    ),
    (
        "common-format-line",
        ln(b"GET /c/x HTTP/1.0", tail=b""),
        ("GET", "/c/x", "/c", "HTTP/1.0", 200, 5, MISSING),
    ),
]


def same(value: Any, expected: object) -> bool:
    """Equality that treats a missing value as equal to None."""
    return expected is None if pd.isna(value) else value == expected


@pytest.mark.parametrize(("line", "expected"), [c[1:] for c in EDGE_LINES], ids=[c[0] for c in EDGE_LINES])
def test_edge_line(line: bytes, expected: tuple[object, ...]) -> None:
    """Each odd-but-real line is one hit with the expected request fields, status, bytes and UA."""
    parsed = parse(line)
    assert (parsed.lines, parsed.rejected, len(parsed.frame)) == (1, 0, 1)
    row = parsed.frame.iloc[0]
    assert row["time"] == STAMP_UTC
    actual = tuple(row[c] for c in ("method", "path", "section", "protocol", "status", "bytes", "user_agent"))
    assert all(same(a, e) for a, e in zip(actual, expected, strict=True)), actual


@pytest.mark.parametrize(
    ("host", "offset", "utc"),
    [
        ("2001:db8::1", "-0700", "2000-10-10T20:55:36Z"),
        ("::1", "+0530", "2000-10-10T08:25:36Z"),
        ("10.0.0.1", "+0000", "2000-10-10T13:55:36Z"),
    ],
)
def test_ipv6_clients_and_offsets_convert_to_utc(host: str, offset: str, utc: str) -> None:
    """IPv6 clients are kept as the host and the line's offset is applied to give UTC."""
    line = f'{host} - frank [10/Oct/2000:13:55:36 {offset}] "GET /x/y HTTP/1.1" 200 7 "-" "-"\n'.encode()
    frame = parse(line).frame
    assert len(frame) == 1
    assert frame["host"].iloc[0] == host
    assert frame["user"].iloc[0] == "frank"
    assert frame["time"].iloc[0] == pd.Timestamp(utc)
    assert str(frame["time"].dt.tz) == "UTC"


def test_clf_line_offsets_round_trip() -> None:
    """A conftest line written in any offset parses back to the same UTC second."""
    second = 1_764_300_000
    for offset in ("-0700", "+0530", "+0000", "-0930"):
        assert seconds_of(parse(clf_line(second, offset=offset)).frame).tolist() == [second]


def test_unclosed_quote_does_not_eat_next_line() -> None:
    """A user agent whose quote never closes stays on its own line; the next line still parses."""
    data = ln(b"GET /a/1 HTTP/1.1", tail=b' "-" "Mozilla (broken') + ln(b"GET /b/2 HTTP/1.1")
    parsed = parse(data)
    assert (parsed.lines, parsed.rejected) == (2, 0)
    assert parsed.frame["section"].tolist() == ["/a", "/b"]
    assert pd.isna(parsed.frame["user_agent"].iloc[0])
    assert parsed.frame["user_agent"].iloc[1] == "UA"


def test_unclosed_request_quote_is_rejected_alone() -> None:
    """A line cut inside its request is rejected, kept as a sample, and its neighbours still parse."""
    cut = b"1.2.3.4 - - " + STAMP.encode() + b' "GET /never/closed HTTP/1.1\n'
    data = ln(b"GET /a/1 HTTP/1.1") + cut + ln(b"GET /b/2 HTTP/1.1")
    parsed = parse(data)
    assert (parsed.lines, parsed.rejected) == (3, 1)
    assert parsed.frame["section"].tolist() == ["/a", "/b"]
    assert parsed.reject_samples == [cut.decode().rstrip("\n")]


@pytest.mark.parametrize("data", [b"\n", b"\r\n", b"\n\n\n", b"   \n"])
def test_empty_lines_are_rejected(data: bytes) -> None:
    """Empty (or blank) lines are counted as rejected lines, never as hits."""
    parsed = parse(data)
    assert parsed.lines == data.count(b"\n")
    assert parsed.rejected == parsed.lines
    assert parsed.frame.empty


def test_rejected_samples_are_capped_and_stripped() -> None:
    """Only the first few rejected lines are kept as samples, without their line endings."""
    data = b"".join(f"junk {i}\r\n".encode() for i in range(20))
    parsed = parse(data)
    assert parsed.rejected == 20
    assert parsed.reject_samples == [f"junk {i}" for i in range(5)]


def test_empty_input_gives_empty_frame_with_all_columns() -> None:
    """No bytes in: no lines, nothing rejected, an empty frame with every column."""
    parsed = parse(b"")
    assert (parsed.lines, parsed.rejected) == (0, 0)
    assert list(parsed.frame.columns) == [name for name in COLUMNS if name != "duration"]
    assert parsed.frame.empty


def test_common_format_has_no_agent_columns() -> None:
    """The common format has no referer/user_agent columns and still reads Combined lines' heads."""
    frame = parse(clf_line(1_000_000_000), "common").frame
    assert "referer" not in frame.columns and "user_agent" not in frame.columns
    assert frame["section"].tolist() == ["/pages"]


def test_unknown_format_is_a_value_error() -> None:
    """Asking for an unknown format is a programming error and raises ValueError."""
    with pytest.raises(ValueError, match="unknown format"):
        parse(b"", "w3c")


def test_detect_format_common_combined_and_garbage() -> None:
    """detect_format tells Common from Combined and gives None for unparseable or empty input."""
    combined = b"".join(clf_line(1_000_000_000 + i) for i in range(10))
    common = b"".join(ln(b"GET / HTTP/1.0", tail=b"") for _ in range(10))
    assert detect_format(combined) == "combined"
    assert detect_format(common) == "common"
    assert detect_format(b"hello\nworld\n") is None
    assert detect_format(b"") is None


def test_huge_byte_count_does_not_raise() -> None:
    """A byte count too large for int64 is read as 0 instead of raising."""
    parsed = parse(ln(b"GET /a HTTP/1.1", size=b"99999999999999999999999"))
    assert (parsed.rejected, parsed.frame["bytes"].tolist()) == (0, [0])


def test_unreadable_timestamp_is_rejected() -> None:
    """A line whose timestamp cannot be read (bad date or offset) is rejected."""
    good = ln(b"GET /a HTTP/1.1")
    bad_date = good.replace(b"10/Oct/2000", b"31/Feb/2000")
    bad_offset = good.replace(b"-0700", b"+9999")
    parsed = parse(good + bad_date + bad_offset)
    assert (parsed.lines, parsed.rejected, len(parsed.frame)) == (3, 2, 1)


# --- properties ------------------------------------------------------------------------------

VALID_LINES = [
    clf_line(1_764_300_000),
    clf_line(1_764_300_061, path="/api/v1/items?id=3", status=404, size="-", offset="-0700"),
    clf_line(1_500_000_000, path="http://h.example/x/y", host="2001:db8::2", offset="+0530"),
    ln(b'GET /a\\"b HTTP/1.1', tail=b' "http://r/" "Mozilla \\"q\\""'),
    ln(b"-", b"408", b"-"),
    ln(b"\\x16\\x03\\x01", b"400", b"0"),
    ln(b"PRI * HTTP/2.0", b"400", b"0"),
    ln(b"GET /path"),
]

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """Valid lines with random byte deletions, insertions and replacements."""
    lines = draw(st.lists(st.sampled_from(VALID_LINES), min_size=1, max_size=6))
    return mutate(draw, b"".join(lines), edits=8)


def check_conservation(data: bytes) -> None:
    """parse must not raise, and every line is either a hit or rejected."""
    parsed = parse(data)
    assert parsed.lines == line_count(data) == len(split_lines(data))
    assert len(parsed.frame) + parsed.rejected == parsed.lines
    assert list(parsed.frame.columns) == [name for name in COLUMNS if name != "duration"]
    assert len(parsed.reject_samples) == min(parsed.rejected, 5)


@PROPERTY_SETTINGS
@given(st.binary(max_size=400))
def test_parse_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    """On arbitrary bytes, parse never raises and hits + rejected equals the line count."""
    check_conservation(data)


@PROPERTY_SETTINGS
@given(mutated_lines())
def test_parse_never_raises_on_mutated_lines(data: bytes) -> None:
    """On randomly mutated valid lines, parse never raises and hits + rejected equals the line count."""
    check_conservation(data)
    parse(data, "common")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(VALID_LINES), mutated_lines()), min_size=1, max_size=8),
    st.data(),
)
def test_streaming_equals_batch(pieces: list[bytes], data: st.DataObject) -> None:
    """Parsing line-aligned chunks gives the same multiset of rows and rejections as parsing it whole."""
    whole = b"".join(pieces)
    lines = lines_of(whole)
    # Cut only between lines (after a newline): a cut mid-line would change the lines themselves.
    cuts = sorted(data.draw(st.sets(st.integers(0, len(lines)), max_size=4)))
    bounds = [0, *cuts, len(lines)]
    chunks = [b"".join(lines[a:b]) for a, b in itertools.pairwise(bounds)]
    batch = parse(whole)
    parts = [parse(chunk) for chunk in chunks]
    assert sum(p.lines for p in parts) == batch.lines
    assert sum(p.rejected for p in parts) == batch.rejected
    assert sum((rows(p.frame) for p in parts), Counter()) == rows(batch.frame)


def test_requests_hold_what_the_core_frame_holds() -> None:
    """clf.requests (the backtest's reading, no frame) gives the core frame's time, status,
    bytes and sections, and the same rejected lines."""
    data = (
        clf_line(1_000_000_000, path="/a/b", size="-")
        + b"garbage\n"
        + clf_line(1_000_000_005, path="/c", status=404, size=77)
        + b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x\\"y HTTP/1.1" 500 5 "-" "UA"\n'  # RE2's
        + clf_line(999_999_990, path="/a/z")
    )
    for fmt in ("common", "combined"):
        found, parsed = requests(data, fmt), parse(data, fmt, core=True)
        frame = parsed.frame
        assert found.seconds.tolist() == seconds_of(frame).tolist()
        assert found.status.tolist() == frame["status"].tolist()
        assert found.size.tolist() == frame["bytes"].tolist()
        sections = [None if code < 0 else found.section.values[code].as_py() for code in found.section.codes]
        assert sections == [None if pd.isna(s) else s for s in frame["section"]]
        assert found.section.values.to_pylist() == list(frame["section"].cat.categories)
        assert (found.lines, found.rejected_at.tolist()) == (parsed.lines, parsed.rejected_at.tolist())
