"""nginx timing fields after Combined lines: found, and the --log-format that reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.formats.parsers import make_parser
from analyzer.formats.timing import COMBINED_FORMAT, timing_format
from tests.conftest import shared_log

LINE = '1.2.3.4 - - [14/Aug/2019:04:38:35 +0300] "GET /a/b HTTP/1.1" 200 1338 "-" "Mozilla/5.0 (X11)"'
REAL = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "logs"
    / "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
)


@pytest.mark.parametrize(
    ("tail", "layout"),
    [
        ('rt=0.200 uct="0.000" uht="0.200" urt="0.200"',
         'rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" '
         'urt="$upstream_response_time"'),
        (" rt=0.120 urt=0.118", " rt=$request_time urt=$upstream_response_time"),
        (" request_time=0.5 cs=HIT", " request_time=$request_time cs=$upstream_cache_status"),
        (' rt=0.1 trace="abc"', ' rt=$request_time trace="$trace"'),
    ],
)  # fmt: skip
def test_the_format_keeps_the_separators_and_quotes_and_names_the_variables(tail: str, layout: str) -> None:
    found = timing_format([LINE + tail])
    assert found == COMBINED_FORMAT + layout
    parsed = make_parser("custom", found).parse((LINE + tail + "\n").encode())
    assert parsed.rejected == 0 and parsed.frame["duration"].notna().all()


def test_no_request_time_field_no_format() -> None:
    assert timing_format([LINE]) is None
    assert timing_format([LINE + " urt=0.1"]) is None  # upstream time only: not the request's
    assert timing_format([]) is None


def test_the_layout_of_most_lines_wins() -> None:
    lines = [LINE + " rt=0.1"] * 3 + [LINE + " rt=0.1 urt=0.2"]
    assert timing_format(lines) == COMBINED_FORMAT + " rt=$request_time"


def test_the_real_nginx_log_with_timing_fields_reads_its_request_times() -> None:
    data = shared_log(REAL.name).read_bytes()  # skips, saying why, in a clone without ../shared
    found = timing_format(data.decode("utf-8", "replace").splitlines())
    assert found is not None
    parsed = make_parser("custom", found).parse(data)
    combined = make_parser("combined").parse(data)
    # two lines of the file are cut short (no closing quote, no timing fields): rejected, counted
    assert (len(parsed.frame), parsed.rejected, len(combined.frame)) == (669, 2, 671)
    assert parsed.frame["duration"].notna().all() and parsed.frame["duration"].max() > 0
