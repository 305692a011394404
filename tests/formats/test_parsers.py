"""Choosing the parser: detection from a log's first lines, parsers by name, and each real log end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzer.formats.logformat import CustomParser, FormatError
from analyzer.formats.parsers import FORMAT_CHOICES, ClfParser, describe, detect, make_parser
from analyzer.formats.w3c import W3cParser
from analyzer.offline.reader import open_log
from tests.conftest import clf_line, shared_log

ELASTIC = "apache_combined_elastic-examples_2015-05-17_2015-05-20.log"
PHPMYADMIN = "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz"
NGINX = "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
IIS = "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log"
HEAD_BYTES = 64 << 10  # what the monitor and the doctor read to detect


def head_and_data(name: str) -> tuple[bytes, bytes]:
    """The first 64 KiB (as the monitor reads them, gunzipped) and the whole log."""
    with open_log(str(shared_log(name))) as handle:
        data = handle.read()
    return data[:HEAD_BYTES], data


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(ELASTIC, "combined"), (PHPMYADMIN, "combined"), (NGINX, "combined"), (IIS, "w3c")],
)
def test_detect_each_real_log(name: str, fmt: str) -> None:
    """Each real log's first lines are detected as its format (the gzip one once gunzipped)."""
    head, _ = head_and_data(name)
    assert detect(head) == fmt


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\n\n",
        b"hello\nworld\n",
        b"\x00\x01\x02\xff" * 100,
        b'{"ts": "2020-01-01T00:00:00Z", "path": "/"}\n' * 5,
        b"Jan  1 00:00:00 host sshd[1]: Accepted publickey\n" * 5,
    ],
)
def test_detect_garbage_is_none(head: bytes) -> None:
    """Text that is neither W3C nor Common/Combined is detected as None."""
    assert detect(head) is None


def test_detect_common_and_a_w3c_header_anywhere_in_the_first_lines() -> None:
    """Common lines give `common`; a W3C directive in the first five lines gives `w3c`."""
    common = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5\n' * 3
    assert detect(common) == "common"
    assert detect(clf_line(1_000_000_000) * 3) == "combined"
    assert detect(b"\n#Version: 1.0\n#Fields: date time cs-uri-stem\n") == "w3c"


@pytest.mark.parametrize("fmt", ["common", "combined"])
def test_make_parser_common_and_combined(fmt: str) -> None:
    """common and combined give stateless Common/Combined parsers of that name."""
    parser = make_parser(fmt)
    assert isinstance(parser, ClfParser)
    assert (parser.name, parser.stateful, describe(parser)) == (fmt, False, fmt)
    parsed = parser.parse(clf_line(1_000_000_000))
    assert (len(parsed.frame), parsed.rejected) == (1, 0)
    assert ("user_agent" in parsed.frame.columns) == (fmt == "combined")


def test_make_parser_w3c_is_fresh_and_stateful() -> None:
    """w3c gives a stateful parser with no layout yet, a new one per call (a layout is per file)."""
    first, second = make_parser("w3c"), make_parser("w3c")
    assert isinstance(first, W3cParser) and isinstance(second, W3cParser) and first is not second
    assert (first.name, first.stateful, first.fields, describe(first)) == ("w3c", True, None, "w3c")
    first.parse(b"#Fields: date time cs-uri-stem\n")
    assert second.fields is None


def test_make_parser_with_a_log_format_wins_over_the_name() -> None:
    """A --log-format string gives a custom parser whatever the format name; a bad one is a FormatError."""
    log_format = '$remote_addr [$time_local] "$request" $status'
    for fmt in FORMAT_CHOICES:
        parser = make_parser(fmt, log_format)
        assert isinstance(parser, CustomParser)
        assert describe(parser) == f"custom: {log_format}"
    with pytest.raises(FormatError):
        make_parser("auto", "$remote_addr only")


@pytest.mark.parametrize("fmt", ["auto", "json", "", "W3C"])
def test_make_parser_unknown_name_is_a_value_error(fmt: str) -> None:
    """A name that is not a format (auto must be resolved first) raises ValueError listing the choices."""
    with pytest.raises(ValueError, match="unknown format"):
        make_parser(fmt)


# Measured once on the shared logs and checked against the raw files (see tests/test_parse.py
# and tests/test_w3c.py for the independent checks): format, requests, rejected, directives,
# first and last UTC time, top 3 sections.
REAL_LOGS = [
    (
        ELASTIC,
        "combined",
        10_000,
        0,
        0,
        "2015-05-17T10:05:00Z",
        "2015-05-20T21:05:59Z",
        {"/presentations": 2305, "/blog": 1959, "/images": 1243},
    ),
    (
        PHPMYADMIN,
        "combined",
        28_939,
        0,
        0,
        "2019-02-25T07:01:40Z",
        "2019-03-20T14:38:41Z",
        {"/phpmyadmin": 21175, "/": 917, "/index.php": 631},
    ),
    (
        NGINX,
        "combined",
        671,
        0,
        0,
        "2019-08-14T01:12:10Z",
        "2019-08-14T21:25:46Z",
        {"/": 161, "/wp-login.php": 120, "/wp-content": 115},
    ),
    (
        IIS,
        "w3c",
        14_318,
        0,
        16_752,
        "2015-10-17T16:27:13Z",
        "2016-10-18T01:09:02Z",
        {"/": 4319, "/tools": 1679, "/images": 1676},
    ),
]


@pytest.mark.parametrize(
    ("name", "fmt", "requests", "rejected", "directives", "first", "last", "top"),
    REAL_LOGS,
    ids=[case[0].split("_")[0] + "-" + case[0].split("_")[2] for case in REAL_LOGS],
)
def test_real_log_through_detection(
    name: str,
    fmt: str,
    requests: int,
    rejected: int,
    directives: int,
    first: str,
    last: str,
    top: dict[str, int],
) -> None:
    """make_parser(detect(head)) on each real log: format, counts, time span and top 3 sections."""
    head, data = head_and_data(name)
    parser = make_parser(detect(head) or "combined")
    assert parser.name == fmt
    parsed = parser.parse(data)
    assert (len(parsed.frame), parsed.rejected, parsed.directives) == (requests, rejected, directives)
    assert parsed.lines == requests + rejected + directives == data.count(b"\n")
    frame = parsed.frame
    assert (frame["time"].min(), frame["time"].max()) == (pd.Timestamp(first), pd.Timestamp(last))
    assert frame["section"].value_counts().head(3).to_dict() == top
