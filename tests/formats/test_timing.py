"""nginx timing fields after Combined lines: the request time read by Combined itself, and for
`check`'s inference, the --log-format that reads them all."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analyzer.formats.clf import parse
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


# --- Combined reads the request time itself ---------------------------------------------------

NAN = float("nan")


@pytest.mark.parametrize(
    ("tail", "seconds"),
    [
        (' rt=0.123 uct="0.000" uht="0.001" urt="0.001"', 0.123),
        ('rt=0.200 uct="0.000"', 0.2),  # glued to the agent's quote, as the real log writes it
        (" request_time=1.5", 1.5),
        (' rt="0.250"', 0.25),
        (" urt=0.5 rt=0.1", 0.1),  # the upstream's time is not the request's
        (" rt=0.1 rt=0.2", 0.1),
        ("", NAN),
        (" urt=0.5", NAN),
        (" xrt=0.5", NAN),
        (" rt=-", NAN),
        (" rt=-1", NAN),
        (" rt=1e9", NAN),
        (" rt=.5", NAN),
        (" rt=99999999999999", NAN),  # 14 digits: no request takes 3 million years
        (' rt="0.1', NAN),
        (" rt=0.1\\", NAN),
        (' "x" rt=0.5', 0.5),
    ],
)
def test_combined_reads_the_request_time_after_the_agent(tail: str, seconds: float) -> None:
    """Both ways (the kernel's scan and the RE2 reference): the request time, or none; the line
    is a request either way."""
    data = (LINE + tail + "\n").encode()
    for fast in (True, False):
        parsed = make_parser("combined").parse(data) if fast else parse(data, "combined", fast=False)
        assert (len(parsed.frame), parsed.rejected) == (1, 0)
        found = parsed.frame["duration"].iloc[0] if "duration" in parsed.frame else NAN
        assert found == seconds or (math.isnan(found) and math.isnan(seconds)), (tail, fast)


def test_a_line_cut_short_in_its_agent_is_a_hit_without_a_request_time() -> None:
    cut = LINE[:-3] + "\n"  # the agent's quote never closes
    data = (LINE + " rt=0.5\n" + cut).encode()
    for fast in (True, False):
        frame = parse(data, "combined", fast=fast).frame
        assert (
            len(frame) == 2 and frame["duration"].tolist()[0] == 0.5 and math.isnan(frame["duration"].iloc[1])
        )


def test_the_agent_with_an_escaped_quote_hides_no_request_time() -> None:
    """`rt=` inside the agent (after an escaped quote) is the agent's text, not a field."""
    data = (LINE[:-1] + '\\" rt=0.5"\n').encode()
    for fast in (True, False):
        parsed = parse(data, "combined", fast=fast)
        assert len(parsed.frame) == 1 and "duration" not in parsed.frame


def test_a_batch_without_request_times_has_no_duration_column() -> None:
    """Plain Combined and Common lines: no column (the design: `duration` where the log has one)."""
    for fmt in ("combined", "common"):
        assert "duration" not in parse((LINE + "\n").encode(), fmt).frame
    assert "duration" not in parse((LINE + " rt=0.5\n").encode(), "common").frame
