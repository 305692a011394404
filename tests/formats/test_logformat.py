"""Custom formats: nginx `log_format` and Apache `LogFormat` strings compiled to one pattern."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.clf import Parsed
from analyzer.formats.columns import COLUMNS, seconds_of
from analyzer.formats.logformat import CustomParser, FormatError, compile_format
from analyzer.formats.parsers import describe, make_parser
from analyzer.formats.rejects import UNCLOSED_QUOTE
from analyzer.formats.text import split_lines
from tests.conftest import mutate, shared_log

NGINX_LOG = "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
# The log_format that wrote the nginx log: timing fields glued to the user agent.
NGINX_TIMING = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
    '"$http_user_agent"rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" '
    'urt="$upstream_response_time"'
)
APACHE_D = r"%h %l %u %t \"%r\" %>s %b %D"
STAMP = "[10/Oct/2000:13:55:36 -0700]"
STAMP_UTC = pd.Timestamp("2000-10-10T20:55:36Z")


def parse_with(log_format: str, data: bytes) -> Parsed:
    return CustomParser(compile_format(log_format)).parse(data)


def count_lines(data: bytes) -> int:
    return len(split_lines(data))


# --- the real nginx timing log ---------------------------------------------------------------


def test_nginx_timing_log_with_its_log_format() -> None:
    """671 lines: 669 requests, the 2 cut-off last lines rejected as unclosed quote; same span as Combined."""
    data = shared_log(NGINX_LOG).read_bytes()
    parser = make_parser("combined", NGINX_TIMING)
    assert parser.name == "custom" and not parser.stateful
    assert describe(parser) == f"custom: {NGINX_TIMING}"
    parsed = parser.parse(data)
    assert (parsed.lines, len(parsed.frame), parsed.rejected) == (671, 669, 2)
    assert parsed.rejected_at.tolist() == [669, 670]  # the two lines with no timing fields
    assert parsed.reasons == {UNCLOSED_QUOTE: 2}
    frame = parsed.frame
    assert frame["time"].min() == pd.Timestamp("2019-08-14T01:12:10Z")  # 04:12:10 +0300
    assert frame["time"].max() == pd.Timestamp("2019-08-14T21:24:38Z")
    assert frame["section"].value_counts().head(2).to_dict() == {"/": 159, "/wp-login.php": 120}
    assert frame["method"].value_counts().to_dict() == {"GET": 498, "POST": 156, "HEAD": 3, "PROPFIND": 1}
    assert not frame["user_agent"].dropna().str.contains("rt=").any()


def test_nginx_timing_log_durations_and_extra_columns() -> None:
    """$request_time is the duration in seconds; the upstream times are kept as x_upstream_* columns."""
    data = shared_log(NGINX_LOG).read_bytes()
    frame = parse_with(NGINX_TIMING, data).frame
    extras = ["x_upstream_connect_time", "x_upstream_header_time", "x_upstream_response_time"]
    assert list(frame.columns) == [*COLUMNS, *extras]
    raw = data.decode().splitlines()[:669]
    times = [float(re.search(r'"rt=([0-9.]+) uct=', line)[1]) for line in raw]  # type: ignore[index]
    np.testing.assert_allclose(frame["duration"].to_numpy(), times)
    assert frame["duration"].max() == pytest.approx(3.559)
    for column, key in zip(extras, ("uct", "uht", "urt"), strict=True):
        written = [re.search(rf'{key}="([^"]*)"', line)[1] for line in raw]  # type: ignore[index]
        assert [None if pd.isna(v) else v for v in frame[column]] == [
            None if w == "-" else w for w in written
        ]
    assert int(frame["x_upstream_connect_time"].isna().sum()) == 315


# --- other strings ---------------------------------------------------------------------------


def test_apache_format_with_microsecond_duration() -> None:
    """Apache `%h %l %u %t \\"%r\\" %>s %b %D`: %D microseconds become seconds, `-` bytes 0, %u the user."""
    data = (
        f'1.2.3.4 - bob {STAMP} "GET /a/b?x=1 HTTP/1.1" 200 2326 1500\n'
        f'::1 - - {STAMP} "OPTIONS * HTTP/1.0" 200 - 250000\n'
        f'5.6.7.8 - - {STAMP} "-" 408 - -\n'
    ).encode()
    parsed = parse_with(APACHE_D, data)
    assert (parsed.lines, parsed.rejected) == (3, 0)
    frame = parsed.frame
    assert (frame["time"] == STAMP_UTC).all()
    assert frame["host"].tolist() == ["1.2.3.4", "::1", "5.6.7.8"]
    assert frame["user"].tolist()[0] == "bob" and frame["user"].iloc[1:].isna().all()
    assert frame["path"].tolist()[:2] == ["/a/b", "*"] and pd.isna(frame["path"].iloc[2])
    assert frame["section"].tolist()[0] == "/a"
    assert frame["status"].tolist() == [200, 200, 408]
    assert frame["bytes"].tolist() == [2326, 0, 0]
    assert frame["duration"].tolist()[:2] == pytest.approx([0.0015, 0.25])
    assert np.isnan(frame["duration"].iloc[2])
    assert "referer" not in frame.columns  # the string has no %{Referer}i


def test_apache_referer_agent_vhost_and_unknown_directives() -> None:
    """%{Referer}i and %{User-agent}i fill their columns; %v is the vhost; others become x_ columns."""
    log_format = r'%v %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i" %{X-Forwarded-For}i %T %%'
    line = f'www.example.com 1.2.3.4 - - {STAMP} "GET / HTTP/1.1" 200 10 "http://r/" "UA 1" 9.9.9.9 2 %\n'
    frame = parse_with(log_format, line.encode()).frame
    assert frame.iloc[0][["vhost", "referer", "user_agent"]].tolist() == [
        "www.example.com",
        "http://r/",
        "UA 1",
    ]
    assert frame["x_i_x_forwarded_for"].tolist() == ["9.9.9.9"]
    assert frame["duration"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("log_format", "line", "utc"),
    [
        (
            '$time_iso8601 $remote_addr "$request" $status',
            '2019-08-14T04:12:10+03:00 1.2.3.4 "GET /x/y HTTP/1.1" 200',
            "2019-08-14T01:12:10Z",
        ),
        (
            '$time_iso8601 $remote_addr "$request" $status',
            '2019-08-14T04:12:10-05:30 1.2.3.4 "GET /x/y HTTP/1.1" 200',
            "2019-08-14T09:42:10Z",
        ),
        ('$msec $remote_addr "$request" $status', '1565745130.999 1.2.3.4 "GET /x/y HTTP/1.1" 200', None),
        ('$msec $remote_addr "$request" $status', '1565745130 1.2.3.4 "GET /x/y HTTP/1.1" 200', None),
    ],
)
def test_iso8601_and_msec_times(log_format: str, line: str, utc: str | None) -> None:
    """$time_iso8601 applies its offset; $msec is epoch seconds (the fraction dropped)."""
    parsed = parse_with(log_format, (line + "\n").encode())
    assert (len(parsed.frame), parsed.rejected) == (1, 0)
    expected = pd.Timestamp(utc).value // 10**9 if utc else 1_565_745_130
    assert seconds_of(parsed.frame).tolist() == [expected]
    assert parsed.frame["section"].tolist() == ["/x"]


def test_unknown_variables_are_kept_as_extra_columns() -> None:
    """Variables the frame has no column for become x_ columns after the standard ones, `-` missing."""
    log_format = (
        '$remote_addr [$time_local] "$request" $status $upstream_addr ${ssl_protocol} "$http_x_real_ip"'
    )
    data = (
        f'1.2.3.4 {STAMP} "GET /a HTTP/1.1" 200 10.0.0.1:80 TLSv1.3 "9.9.9.9"\n'
        f'1.2.3.4 {STAMP} "GET /b HTTP/1.1" 200 - - "-"\n'
    ).encode()
    frame = parse_with(log_format, data).frame
    extras = ["x_http_x_real_ip", "x_ssl_protocol", "x_upstream_addr"]
    assert list(frame.columns)[-3:] == extras
    assert [name for name in frame.columns if name not in extras] == [n for n in COLUMNS if n in frame]
    assert frame.iloc[0][extras].tolist() == ["9.9.9.9", "TLSv1.3", "10.0.0.1:80"]
    assert frame.iloc[1][extras].isna().all()
    for name in extras:
        assert isinstance(frame[name].dtype, pd.CategoricalDtype)


def test_a_variable_used_twice_is_read_once() -> None:
    """A variable written twice fills its column from the first place; the second need only match."""
    log_format = '$remote_addr [$time_local] "$request" $status via $remote_addr'
    compiled = compile_format(log_format)
    assert compiled.groups.count("host") == 1
    data = f'1.2.3.4 {STAMP} "GET /a HTTP/1.1" 200 via 5.6.7.8\n'.encode()
    parsed = CustomParser(compiled).parse(data)
    assert parsed.frame["host"].tolist() == ["1.2.3.4"]
    assert parse_with(log_format, f'1.2.3.4 {STAMP} "GET /a HTTP/1.1" 200 via\n'.encode()).rejected == 1


def test_lines_that_do_not_match_are_rejected_alone() -> None:
    """A line that misses a field or has a bad time is rejected; its neighbours parse."""
    good = f'1.2.3.4 - - {STAMP} "GET /a HTTP/1.1" 200 5 1000\n'
    bad_time = good.replace("13:55:36", "13:99:36")
    no_bytes = good.replace(" 200 5 ", " 200 ")
    parsed = parse_with(APACHE_D, (good + bad_time + no_bytes + good).encode())
    assert (parsed.lines, len(parsed.frame), parsed.rejected) == (4, 2, 2)
    assert parsed.rejected_at.tolist() == [1, 2]
    assert [reason for reason, _ in parsed.rejects] == ["bad timestamp", "missing fields"]


@pytest.mark.parametrize(
    ("log_format", "message"),
    [
        ("plain text, no variables", "no \\$variable or %directive"),
        ("", "no \\$variable or %directive"),
        ('$remote_addr "$request" $status', "has no time"),
        (r"%h \"%r\" %>s", "has no time"),
        ("%h %{%Y-%m-%d}t", "only the default %t"),
    ],
)
def test_format_errors(log_format: str, message: str) -> None:
    """A string with no variables or no time is a FormatError saying why, also through make_parser."""
    with pytest.raises(FormatError, match=message):
        compile_format(log_format)
    if log_format:
        with pytest.raises(FormatError, match=message):
            make_parser("auto", log_format)


# --- any bytes -------------------------------------------------------------------------------

FORMATS = {
    "nginx-timing": (
        NGINX_TIMING,
        b'1.2.3.4 - - [14/Aug/2019:04:12:10 +0300] "GET / HTTP/1.1" 200 3698 "-" "UA"'
        b'rt=0.000 uct="-" uht="-" urt="-"\n',
    ),
    "apache-D": (APACHE_D, b'1.2.3.4 - bob [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 5 1500\n'),
    "iso": (
        '$time_iso8601 $remote_addr "$request" $status $foo',
        b'2019-08-14T04:12:10+03:00 1.2.3.4 "GET /x HTTP/1.1" 200 bar\n',
    ),
    "msec": ('$msec "$request" $status $request_time', b'1565745130.123 "GET /x HTTP/1.1" 200 0.5\n'),
}


@st.composite
def mutated(draw: st.DrawFn, line: bytes) -> bytes:
    """Copies of a valid line with random byte deletions, insertions and replacements."""
    return mutate(draw, line * draw(st.integers(1, 5)))


@st.composite
def format_and_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    log_format, line = FORMATS[draw(st.sampled_from(sorted(FORMATS)))]
    return log_format, draw(st.one_of(st.binary(max_size=300), mutated(line)))


@settings(max_examples=100, deadline=None)
@given(format_and_bytes())
def test_parsing_never_raises_and_counts_are_conserved(case: tuple[str, bytes]) -> None:
    """On arbitrary bytes and mutated valid lines: no exception, requests + rejected == lines."""
    log_format, data = case
    parsed = parse_with(log_format, data)
    assert parsed.lines == count_lines(data)
    assert len(parsed.frame) + parsed.rejected == parsed.lines
    assert len(parsed.rejects) == parsed.rejected
    assert (parsed.frame["status"] >= 0).all()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_sample_line_parses(name: str) -> None:
    """The valid line of each property-test format is one request, so the mutations start from good lines."""
    log_format, line = FORMATS[name]
    parsed = parse_with(log_format, line)
    assert (len(parsed.frame), parsed.rejected) == (1, 0)
