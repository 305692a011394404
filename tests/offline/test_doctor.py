"""The format doctor (`check`): a correct verdict on each real log, and its command line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from analyzer.formats.columns import seconds_of
from analyzer.formats.parsers import detect, make_parser
from analyzer.formats.rejects import MISSING_FIELDS, UNCLOSED_QUOTE
from analyzer.offline.doctor import diagnose, render_diagnosis
from analyzer.offline.reader import open_log
from tests.conftest import clf_line, shared_log

ELASTIC = "apache_combined_elastic-examples_2015-05-17_2015-05-20.log"
PHPMYADMIN = "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz"
NGINX = "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
IIS = "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log"
NGINX_TIMING = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
    '"$http_user_agent"rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" '
    'urt="$upstream_response_time"'
)
# Any control character but the report's own newlines.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

# name, format, lines, requests, rejected, directives, zones, first and last time as rendered
REAL_LOGS = [
    (
        ELASTIC,
        "combined",
        10_000,
        10_000,
        0,
        0,
        {"+0000": 10_000},
        "2015-05-17T10:05:00Z",
        "2015-05-20T21:05:59Z",
    ),
    (
        PHPMYADMIN,
        "combined",
        28_939,
        28_939,
        0,
        0,
        {"+0000": 28_939},
        "2019-02-25T07:01:40Z",
        "2019-03-20T14:38:41Z",
    ),
    (NGINX, "combined", 671, 671, 0, 0, {"+0300": 671}, "2019-08-14T01:12:10Z", "2019-08-14T21:25:46Z"),
    (
        IIS,
        "w3c",
        31_070,
        14_318,
        0,
        16_752,
        {"UTC (W3C)": 14_318},
        "2015-10-17T16:27:13Z",
        "2016-10-18T01:09:02Z",
    ),
]


def out_of_order(name: str) -> int:
    """Requests earlier than the one before, counted on the whole file parsed at once."""
    with open_log(str(shared_log(name))) as handle:
        data = handle.read()
    seconds = seconds_of(make_parser(detect(data[:65536]) or "combined").parse(data).frame)
    return int((np.diff(seconds) < 0).sum())


@pytest.mark.parametrize(
    ("name", "fmt", "lines", "requests", "rejected", "directives", "zones", "first", "last"),
    REAL_LOGS,
    ids=[case[0].split("_")[2] for case in REAL_LOGS],
)
def test_diagnose_each_real_log(
    name: str,
    fmt: str,
    lines: int,
    requests: int,
    rejected: int,
    directives: int,
    zones: dict[str, int],
    first: str,
    last: str,
) -> None:
    """Each real log: its format, counts, zones, span, out-of-order share and an OK verdict, rendered."""
    path = str(shared_log(name))
    found = diagnose(path, fmt)
    assert diagnose(path) == found  # detected as every command detects it
    assert found.fmt == fmt
    assert (found.lines, found.requests, found.rejected, found.directives) == (
        lines,
        requests,
        rejected,
        directives,
    )
    assert dict(found.zones) == zones
    assert found.out_of_order == out_of_order(name)
    assert found.verdict.startswith("OK")
    compressed = path.endswith(".gz")  # a compressed log is replayed, not followed
    verb = ["replay"] if compressed else []
    assert shlex.split(found.command) == ["python", "-m", "analyzer", *verb, path, "--format", fmt]
    text = render_diagnosis(found)
    assert text.startswith(path + "\n")
    assert f"  format:       {fmt}\n" in text
    assert f"  time span:    {first} to {last}\n" in text
    assert f"{requests:,} requests, {rejected:,} rejected" in text
    assert (f"{directives:,} directives" in text) == bool(directives)
    if compressed:
        assert "  verdict:      OK: backtest and replay read this compressed log" in text
        assert text.endswith(f"  to replay:    {found.command}\n")
    else:
        assert "  verdict:      OK: the monitor can follow this log\n" in text
        assert text.endswith(f"  to monitor:   {found.command}\n")
    assert RAW_CONTROL.search(text) is None


def test_elastic_log_is_half_out_of_order() -> None:
    """The elastic log's coarsened times put about half its requests before the one above them."""
    found = diagnose(str(shared_log(ELASTIC)))
    assert found.out_of_order == 4_915
    assert "out of order: 4,915 requests earlier than the one before (49.1%)" in render_diagnosis(found)
    assert "time zones:   +0000 (10,000)" in render_diagnosis(found)


def test_iis_log_zone_is_utc_by_the_standard() -> None:
    """A W3C log has no offsets: every request is UTC by the standard, and the report says so."""
    text = render_diagnosis(diagnose(str(shared_log(IIS))))
    assert "time zones:   UTC (W3C) (14,318)" in text
    assert "lines:        31,070: 14,318 requests, 0 rejected, 16,752 directives" in text


def test_nginx_log_with_its_log_format() -> None:
    """With its real log_format the nginx log has 2 cut-off lines: shown by reason, still OK (0.3%)."""
    path = str(shared_log(NGINX))
    found = diagnose(path, log_format=NGINX_TIMING)
    assert found.fmt == f"custom: {NGINX_TIMING}"
    assert (found.lines, found.requests, found.rejected) == (671, 669, 2)
    assert dict(found.reasons) == {UNCLOSED_QUOTE: 2}
    assert found.examples[UNCLOSED_QUOTE].startswith('66.249.64.204 - - [15/Aug/2019:00:25:46 +0300] "GET /')
    assert found.verdict.startswith("OK")
    assert shlex.split(found.command)[-2:] == ["--log-format", NGINX_TIMING]
    text = render_diagnosis(found)
    assert "  rejected, unclosed quote: 2, e.g. 66.249.64.204 - - [15/Aug/2019:00:25:46 +0300]" in text
    assert "2019-08-14T01:12:10Z to 2019-08-14T21:24:38Z" in text


def test_nginx_timing_fields_are_read_by_combined_as_every_command_reads_them() -> None:
    """Detected as Combined, which reads rt= after the agent as the request time: check counts
    what the monitor, replay and backtest count (the two lines cut short in their agent are
    requests without a request time) and names no --log-format."""
    path = str(shared_log(NGINX))
    found = diagnose(path)
    assert found.fmt == "combined" and found.timed == 669
    assert shlex.split(found.command)[-2:] == ["--format", "combined"]
    assert (found.requests, found.rejected) == (671, 0)
    assert "  request time: 669 of 671 requests carry one" in render_diagnosis(found)
    assert diagnose(str(shared_log(ELASTIC))).timed == 0
    assert "request time" not in render_diagnosis(diagnose(str(shared_log(ELASTIC))))


def test_a_url_is_diagnosed_as_the_file_it_names() -> None:
    path = shared_log(ELASTIC)
    by_url = diagnose(f"file://{path}")
    assert (by_url.lines, by_url.requests, by_url.fmt) == (10_000, 10_000, "combined")


def test_a_non_log_file_is_not_readable(tmp_path: Path) -> None:
    """A file of prose parses to no request: NOT READABLE, with what its lines were rejected for."""
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\n\nNothing to see here.\n")
    found = diagnose(str(path))
    assert (found.lines, found.requests, found.rejected) == (3, 0, 3)
    assert found.verdict.startswith("NOT READABLE")
    assert dict(found.reasons) == {MISSING_FIELDS: 3}
    text = render_diagnosis(found)
    assert "  verdict:      NOT READABLE" in text
    assert "  time span:    -\n" in text


def test_over_one_percent_rejected_is_partly_readable(tmp_path: Path) -> None:
    """2 bad lines in 100 (over 1%): PARTLY READABLE, the share shown; offsets of every line counted."""
    path = tmp_path / "access.log"
    good = [clf_line(1_000_000_000 + k, offset="-0700" if k % 2 else "+0530") for k in range(98)]
    path.write_bytes(b"".join(good) + b"junk\n" + b"garbage \x1b]0;pwned\x07\n")
    found = diagnose(str(path))
    assert (found.requests, found.rejected) == (98, 2)
    assert found.verdict == "PARTLY READABLE: 2.0% of lines rejected; check the reasons below"
    assert dict(found.zones) == {"-0700": 49, "+0530": 49}
    assert found.out_of_order == 0
    text = render_diagnosis(found)
    assert RAW_CONTROL.search(text) is None  # the escape sequence of the bad line is shown escaped
    assert "\\x1b]0;pwned\\x07" in text
