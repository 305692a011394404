"""W3C Extended (IIS): the real log, `#Fields:` layouts carried across batches, and any bytes."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.columns import COLUMNS, NO_SIZE, seconds_of
from analyzer.formats.parsers import ClfParser
from analyzer.formats.rejects import MAX_LINE_CHARS, MISSING_FIELDS, TOO_LONG
from analyzer.formats.text import split_lines
from analyzer.formats.w3c import W3cParser, is_w3c, last_fields_before, prime_layout
from tests.conftest import mutate, shared_log

IIS = "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z

LAYOUT_A = [
    "date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip",
    "cs(User-Agent)", "cs(Referer)", "sc-status", "sc-bytes", "time-taken",
]  # fmt: skip
LAYOUT_B = ["date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "cs-host"]
DEFAULTS = {
    "s-ip": "10.0.0.1",
    "cs-method": "GET",
    "cs-uri-stem": "/a/b",
    "cs-uri-query": "-",
    "s-port": "80",
    "cs-username": "-",
    "c-ip": "1.2.3.4",
    "cs(User-Agent)": "Mozilla/5.0+(X11)",
    "cs(Referer)": "-",
    "sc-status": "200",
    "sc-bytes": "512",
    "time-taken": "31",
    "cs-host": "www.example.com",
}


def fields_line(layout: list[str]) -> bytes:
    return ("#Fields: " + " ".join(layout) + "\n").encode()


def header(layout: list[str], second: int = T0) -> bytes:
    """The directive block IIS writes at each start: software, version, date, fields."""
    date = pd.Timestamp(second, unit="s").strftime("%Y-%m-%d %H:%M:%S")
    return (
        b"#Software: Microsoft Internet Information Services 8.5\n#Version: 1.0\n"
        + f"#Date: {date}\n".encode()
        + fields_line(layout)
    )


def row(layout: list[str], second: int, **values: str) -> bytes:
    """One data line of `layout` at UTC `second`; `values` by field name with `_` for `-`."""
    given_values = {name.replace("_", "-"): value for name, value in values.items()}
    stamp = pd.Timestamp(second, unit="s")
    cells = {"date": stamp.strftime("%Y-%m-%d"), "time": stamp.strftime("%H:%M:%S")}
    cells |= DEFAULTS | {k: v for k, v in given_values.items() if k not in ("ua", "ref")}
    if "ua" in given_values:
        cells["cs(User-Agent)"] = given_values["ua"]
    if "ref" in given_values:
        cells["cs(Referer)"] = given_values["ref"]
    return (" ".join(cells[name] for name in layout) + "\n").encode()


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with categoricals as plain objects, so frames of different batches compare."""
    kinds = {name: object for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    return frame.astype(kinds).reset_index(drop=True)


def assert_same_rows(frames: list[pd.DataFrame], whole: pd.DataFrame) -> None:
    """The batch frames, joined, are the whole frame (missing where a batch lacks a column)."""
    parts = [plain(frame) for frame in frames if len(frame)]
    if not parts:
        assert whole.empty
        return
    joined = pd.concat(parts, ignore_index=True).reindex(columns=list(whole.columns))
    pd.testing.assert_frame_equal(joined, plain(whole))


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def count_lines(data: bytes) -> int:
    return len(split_lines(data))


@functools.cache
def iis_bytes() -> bytes:
    return shared_log(IIS).read_bytes()


@functools.cache
def iis_whole() -> pd.DataFrame:
    return W3cParser().parse(iis_bytes()).frame


# --- the real IIS log ------------------------------------------------------------------------


def test_real_iis_log_counts_span_and_sections() -> None:
    """IIS log: 31,070 lines = 14,318 requests + 0 rejected + 16,752 directives; UTC span; top sections."""
    data = iis_bytes()
    assert is_w3c(data[:65536])
    parser = W3cParser()
    parsed = parser.parse(data)
    assert parsed.lines == 31_070 == count_lines(data)
    assert (len(parsed.frame), parsed.rejected, parsed.directives) == (14_318, 0, 16_752)
    assert len(parsed.frame) + parsed.rejected + parsed.directives == parsed.lines
    frame = parsed.frame
    assert frame["time"].min() == pd.Timestamp("2015-10-17T16:27:13Z")
    assert frame["time"].max() == pd.Timestamp("2016-10-18T01:09:02Z")
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["section"].value_counts().head(3).to_dict() == {"/": 4319, "/tools": 1679, "/images": 1676}
    assert parser.fields is not None and len(parser.fields) == 15
    standard = [name for name in COLUMNS if name in frame.columns]
    assert list(frame.columns) == [
        *standard,
        "cs_uri_query",
        "s_ip",
        "s_port",
        "sc_substatus",
        "sc_win32_status",
    ]
    assert "protocol" not in frame.columns  # this layout has no cs-version


def test_real_iis_log_fields_match_the_raw_lines() -> None:
    """Durations are time-taken in seconds, `+` in agents a space, `-` missing; statuses, hosts as written."""
    data = iis_bytes()
    cells = [line.split(b" ") for line in data.split(b"\n") if line and not line.startswith(b"#")]
    frame = iis_whole()
    assert len(cells) == len(frame)
    taken = np.array([int(cell[14]) for cell in cells]) / 1000
    np.testing.assert_allclose(frame["duration"].to_numpy(), taken)
    assert frame["duration"].iloc[0] == pytest.approx(0.698)  # first line: time-taken 698 ms
    agents = [None if cell[9] == b"-" else cell[9].decode().replace("+", " ") for cell in cells]
    assert [None if pd.isna(a) else a for a in frame["user_agent"]] == agents
    assert sum(b"+" in cell[9] for cell in cells) == 11_546  # so the rewrite is really exercised
    assert not frame["user_agent"].dropna().str.contains("+", regex=False).any()
    assert int(frame["referer"].isna().sum()) == sum(cell[10] == b"-" for cell in cells) == 14_318 - 5_973
    assert frame["user"].isna().all()  # cs-username is always `-`
    assert frame["status"].tolist() == [int(cell[11]) for cell in cells]
    assert int((frame["host"] == "::1").sum()) == 199
    assert "/arabic/الفيديو" in set(frame["path"].dropna())


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_real_iis_log_any_split_gives_the_same_frame(data: st.DataObject) -> None:
    """Cut the IIS log at any line boundaries and feed the pieces to one parser: the same frame."""
    lines = lines_of(iis_bytes())
    cuts = sorted(data.draw(st.sets(st.integers(0, len(lines)), max_size=6), label="cuts"))
    parser = W3cParser()
    parts = [parser.parse(b"".join(lines[a:b])) for a, b in itertools.pairwise([0, *cuts, len(lines)])]
    whole = iis_whole()
    assert sum(p.directives for p in parts) == 16_752
    assert sum(p.rejected for p in parts) == 0
    assert_same_rows([p.frame for p in parts], whole)


# --- layouts ---------------------------------------------------------------------------------


def test_fields_change_mid_batch() -> None:
    """A `#Fields:` change inside one batch: each line read with its layout, rows in line order."""
    data = (
        header(LAYOUT_A)
        + row(LAYOUT_A, T0, cs_uri_stem="/one/x", time_taken="250")
        + fields_line(LAYOUT_B)
        + row(LAYOUT_B, T0 + 1, cs_uri_stem="/two/x", sc_status="404", c_ip="::1")
        + fields_line(LAYOUT_A)
        + row(LAYOUT_A, T0 + 2, cs_uri_stem="/three/x", time_taken="5")
    )
    parser = W3cParser()
    parsed = parser.parse(data)
    assert (parsed.lines, len(parsed.frame), parsed.rejected, parsed.directives) == (9, 3, 0, 6)
    assert parsed.request_at().tolist() == [4, 6, 8]
    frame = parsed.frame
    assert seconds_of(frame).tolist() == [T0, T0 + 1, T0 + 2]
    assert frame["section"].tolist() == ["/one", "/two", "/three"]
    assert frame["status"].tolist() == [200, 404, 200]
    assert frame["host"].tolist() == ["1.2.3.4", "::1", "1.2.3.4"]
    assert frame["duration"].tolist()[0::2] == [0.25, 0.005] and np.isnan(frame["duration"].iloc[1])
    assert frame["bytes"].tolist() == [512, NO_SIZE, 512]  # layout B has no sc-bytes: no size, not 0
    assert frame["vhost"].isna().tolist() == [True, False, True]
    standard = [name for name in COLUMNS if name in frame.columns]
    assert list(frame.columns) == [*standard, "cs_uri_query", "s_ip", "s_port", "vhost"]
    for name in ("host", "path", "section", "vhost", "s_ip"):  # categoricals survive the merge
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    assert parser.fields == LAYOUT_A


def test_fields_change_mid_file_is_carried_across_batches() -> None:
    """The layout in force at a batch's end reads the next batch, until another `#Fields:` comes."""
    parser = W3cParser()
    first = parser.parse(header(LAYOUT_A) + row(LAYOUT_A, T0))
    assert parser.fields == LAYOUT_A
    second = parser.parse(
        row(LAYOUT_A, T0 + 1) + fields_line(LAYOUT_B) + row(LAYOUT_B, T0 + 2, sc_status="301")
    )
    assert parser.fields == LAYOUT_B
    third = parser.parse(row(LAYOUT_B, T0 + 3, sc_status="302"))
    fourth = parser.parse(row(LAYOUT_A, T0 + 4))  # the old layout's line no longer fits
    assert [len(p.frame) for p in (first, second, third, fourth)] == [1, 2, 1, 0]
    assert [p.directives for p in (first, second, third, fourth)] == [4, 1, 0, 0]
    assert fourth.rejects == [(MISSING_FIELDS, row(LAYOUT_A, T0 + 4).decode().rstrip("\n"))]
    assert second.frame["status"].tolist() == [200, 301]
    assert third.frame["status"].tolist() == [302]
    assert seconds_of(third.frame).tolist() == [T0 + 3]


def test_data_before_any_fields_is_rejected() -> None:
    """Data lines before the first `#Fields:` have no known columns: rejected, then the rest parses."""
    orphan = row(LAYOUT_A, T0)
    parsed = W3cParser().parse(orphan + b"#Software: IIS\n" + orphan + fields_line(LAYOUT_A) + orphan)
    assert (parsed.lines, len(parsed.frame), parsed.rejected, parsed.directives) == (5, 1, 2, 2)
    assert parsed.rejected_at.tolist() == [0, 2]
    assert [reason for reason, _ in parsed.rejects] == [MISSING_FIELDS, MISSING_FIELDS]
    fresh = W3cParser().parse(orphan * 3)  # a parser started mid-file without its layout
    assert (len(fresh.frame), fresh.rejected) == (0, 3)


@pytest.mark.parametrize(
    "line",
    [
        b"2026-01-01 00:00:00 1.2.3.4 GET /a/b 200\n",  # a field short
        b"2026-01-01 00:00:00 1.2.3.4 GET /a/b 200 www.example.com extra\n",  # a field more
        b"2026-01-01 00:00:00 1.2.3.4 GET  /a/b 200 www.example.com\n",  # a double space
        b"2026-01-01 00:00:00 1.2.3.4 GET /a/b 200 www.example.com \n",  # a trailing space
        b"2026-13-01 00:00:00 1.2.3.4 GET /a/b 200 www.example.com\n",  # month 13
        b"2026-01-01 24:00:61 1.2.3.4 GET /a/b 200 www.example.com\n",  # hour 24, second 61
        b"\n",
    ],
)
def test_lines_that_do_not_fit_the_layout_are_rejected(line: bytes) -> None:
    """A line with the wrong field count or an unreadable date/time is rejected; its neighbours parse."""
    good = row(LAYOUT_B, T0)
    parsed = W3cParser(list(LAYOUT_B)).parse(good + line + good)
    assert (parsed.lines, len(parsed.frame), parsed.rejected) == (3, 2, 1)
    assert parsed.rejects == [(MISSING_FIELDS, line.decode().rstrip("\n"))]


def test_a_line_over_the_limit_is_too_long_even_with_the_right_fields() -> None:
    """A data line of over 64 Ki characters is rejected as too long, whatever its fields."""
    long_line = row(LAYOUT_B, T0, cs_uri_stem="/" + "x" * MAX_LINE_CHARS)
    parsed = W3cParser(list(LAYOUT_B)).parse(row(LAYOUT_B, T0) + long_line)
    assert (len(parsed.frame), parsed.rejected) == (1, 1)
    assert parsed.rejects[0][0] == TOO_LONG


def test_crlf_endings_read_like_lf() -> None:
    """CRLF files give the same frame as LF ones: no `\\r` in the last field or in rejected lines."""
    lf = header(LAYOUT_A) + row(LAYOUT_A, T0, time_taken="120") + b"junk\n" + row(LAYOUT_A, T0 + 1)
    crlf = lf.replace(b"\n", b"\r\n")
    with_lf, with_crlf = W3cParser().parse(lf), W3cParser().parse(crlf)
    pd.testing.assert_frame_equal(plain(with_crlf.frame), plain(with_lf.frame))
    assert with_crlf.frame["duration"].tolist() == [0.12, 0.031]
    assert (with_crlf.rejected, with_crlf.directives) == (1, 4)
    assert with_crlf.rejects == [(MISSING_FIELDS, "junk")]
    parser = W3cParser()
    parser.parse(crlf)
    assert parser.fields == LAYOUT_A


def test_plus_in_agents_and_referers_is_a_space() -> None:
    """IIS writes `+` for spaces in cs(User-Agent) and cs(Referer): they are read back as spaces."""
    line = row(
        LAYOUT_A,
        T0,
        ua="Mozilla/5.0+(Windows+NT+10.0;+Win64)",
        ref="http://x.example/?q=a+b",
        cs_uri_stem="/c++/x",
    )
    frame = W3cParser(list(LAYOUT_A)).parse(line).frame
    assert frame["user_agent"].tolist() == ["Mozilla/5.0 (Windows NT 10.0; Win64)"]
    assert frame["referer"].tolist() == ["http://x.example/?q=a b"]
    assert frame["path"].tolist() == ["/c++/x"]  # only the agent and referer fields are rewritten


def test_dash_is_empty() -> None:
    """`-` is an empty field: missing text, 0 for status and bytes, no duration."""
    line = row(
        LAYOUT_A,
        T0,
        cs_username="-",
        cs_uri_query="-",
        ua="-",
        ref="-",
        sc_status="-",
        sc_bytes="-",
        time_taken="-",
    )
    frame = W3cParser(list(LAYOUT_A)).parse(line + row(LAYOUT_A, T0, sc_status="99999")).frame
    first = frame.iloc[0]
    for name in ("user", "user_agent", "referer", "cs_uri_query"):
        assert pd.isna(first[name]), name
    assert (first["status"], first["bytes"]) == (0, 0)
    assert np.isnan(first["duration"])
    assert frame["status"].iloc[1] == 0  # a status too big for int16 is unknown, not wrapped negative


def test_directive_lines_are_neither_requests_nor_rejected() -> None:
    """#Software/#Version/#Date/#Remark and other `#` lines are counted apart as directives."""
    data = (
        header(LAYOUT_B)
        + b"#Remark: restarted\n"
        + row(LAYOUT_B, T0)
        + b"#Start-Date: 2026-01-01 00:00:00\n"
        + b"nonsense\n"
        + row(LAYOUT_B, T0 + 1)
    )
    parsed = W3cParser().parse(data)
    assert parsed.directive_at.tolist() == [0, 1, 2, 3, 4, 6]
    assert parsed.rejected_at.tolist() == [7]
    assert parsed.request_at().tolist() == [5, 8]
    assert len(parsed.frame) + parsed.rejected + parsed.directives == parsed.lines == 9


def test_is_w3c_looks_at_the_first_lines() -> None:
    """is_w3c is true when one of the first five lines is a W3C directive."""
    assert is_w3c(header(LAYOUT_A))
    assert is_w3c(b"#Fields: date time\n")
    assert not is_w3c(b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5\n')
    assert not is_w3c(b"x\n" * 5 + b"#Fields: date time\n")
    assert not is_w3c(b"")


# --- starting mid-file -----------------------------------------------------------------------


def line_starts(data: bytes) -> list[int]:
    return [0, *(i + 1 for i, byte in enumerate(data) if byte == ord("\n"))]


def reference_layout(data: bytes, position: int) -> list[str] | None:
    """The last complete `#Fields:` line before `position`, found the slow, obvious way."""
    found = None
    for line in data[:position].split(b"\n")[:-1]:  # whole lines only
        if line.startswith(b"#Fields:"):
            found = line.decode().removeprefix("#Fields:").split()
    return found


MIXED_FILE = (
    row(LAYOUT_A, T0)  # data before any #Fields
    + header(LAYOUT_A)
    + b"".join(row(LAYOUT_A, T0 + k) for k in range(5))
    + header(LAYOUT_B, T0 + 5)
    + b"".join(row(LAYOUT_B, T0 + 5 + k) for k in range(5))
    + fields_line(["date", "time", "cs-uri-stem"])
    + b"2026-01-01 00:00:10 /last/x\r\n"
)


@pytest.fixture(scope="module")
def mixed_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("w3c") / "u_ex.log"
    path.write_bytes(MIXED_FILE)
    return str(path)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(line_starts(MIXED_FILE)), st.integers(1, 200))
def test_last_fields_before_finds_the_layout_in_force(mixed_path: str, position: int, block: int) -> None:
    """last_fields_before gives the last `#Fields:` before a line start, whatever the block size."""
    assert last_fields_before(mixed_path, position, block) == reference_layout(MIXED_FILE, position)


def test_last_fields_before_on_the_real_log() -> None:
    """In the IIS log: no layout before the first `#Fields:`, its 15 fields at any later line start."""
    path = str(shared_log(IIS))
    data = iis_bytes()
    first_data = data.index(b"\n2015") + 1
    assert last_fields_before(path, 0) is None
    assert last_fields_before(path, data.index(b"#Fields:")) is None
    expected = data[data.index(b"#Fields:") : first_data].decode().removeprefix("#Fields:").split()
    middle = data.index(b"\n", len(data) // 2) + 1
    for position in (first_data, middle, len(data)):
        assert last_fields_before(path, position) == expected


def test_prime_layout_gives_a_mid_file_parser_the_layout_in_force(mixed_path: str) -> None:
    """A parser primed at a line mid-file reads the rest as the whole-file parser reads it."""
    path = mixed_path
    whole = W3cParser().parse(MIXED_FILE)
    for position in line_starts(MIXED_FILE):
        parser = W3cParser()
        prime_layout(parser, path, position)
        assert parser.fields == reference_layout(MIXED_FILE, position)
        tail = parser.parse(MIXED_FILE[position:])
        later = seconds_of(whole.frame)[whole.request_at() >= count_lines(MIXED_FILE[:position])]
        assert seconds_of(tail.frame).tolist() == later.tolist()


def test_prime_layout_keeps_a_known_layout_and_ignores_other_parsers(mixed_path: str) -> None:
    """prime_layout does not replace a layout the parser has, and leaves non-W3C parsers alone."""
    path = mixed_path
    parser = W3cParser(["date", "time"])
    prime_layout(parser, path, len(MIXED_FILE))
    assert parser.fields == ["date", "time"]
    clf = ClfParser("combined")
    prime_layout(clf, path, len(MIXED_FILE))
    assert not hasattr(clf, "fields")
    fresh = W3cParser()
    prime_layout(fresh, path, -5)  # a position before the start is the start
    assert fresh.fields is None


# --- any bytes -------------------------------------------------------------------------------

PIECES = [
    header(LAYOUT_A),
    header(LAYOUT_B),
    fields_line(LAYOUT_B),
    row(LAYOUT_A, T0),
    row(LAYOUT_A, T0 + 1, ua="A+B", sc_status="503", time_taken="-"),
    row(LAYOUT_B, T0 + 2),
    row(LAYOUT_B, T0 + 3).replace(b"\n", b"\r\n"),
    b"#Fields:\n",
    b"#\n",
    b"\n",
    b"2026-01-01 00:00:00\n",
]


def check_conservation(data: bytes, parser: W3cParser | None = None) -> None:
    """parse never raises, and every line is a request, rejected or a directive."""
    parsed = (parser or W3cParser()).parse(data)
    assert parsed.lines == count_lines(data)
    assert len(parsed.frame) + parsed.rejected + parsed.directives == parsed.lines
    assert len(parsed.rejects) == parsed.rejected
    every_line = sorted([*parsed.request_at(), *parsed.rejected_at, *parsed.directive_at])
    assert every_line == list(range(parsed.lines))
    assert (parsed.frame["status"] >= 0).all()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, LAYOUT_A, LAYOUT_B]))
def test_never_raises_on_arbitrary_bytes(data: bytes, layout: list[str] | None) -> None:
    """On arbitrary bytes, with or without a layout in force, lines = requests + rejected + directives."""
    check_conservation(data, W3cParser(list(layout) if layout else None))
    check_conservation(header(LAYOUT_A) + data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """W3C pieces with random byte deletions, insertions and replacements."""
    return mutate(draw, b"".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))))


@settings(max_examples=100, deadline=None)
@given(mutated())
def test_never_raises_on_mutated_w3c(data: bytes) -> None:
    """On mutated W3C text, lines = requests + rejected + directives."""
    check_conservation(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12), st.data())
def test_any_split_of_mixed_layouts_gives_the_same_frame(pieces: list[bytes], data: st.DataObject) -> None:
    """Layout changes, junk and directives cut at any line boundaries: the same rows and counts."""
    whole_bytes = b"".join(pieces)
    lines = lines_of(whole_bytes)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(lines)), max_size=5), label="cuts"))
    parser = W3cParser()
    parts = [parser.parse(b"".join(lines[a:b])) for a, b in itertools.pairwise([0, *cuts, len(lines)])]
    whole_parser = W3cParser()
    whole = whole_parser.parse(whole_bytes)
    assert parser.fields == whole_parser.fields
    assert sum(p.rejected for p in parts) == whole.rejected
    assert sum(p.directives for p in parts) == whole.directives
    assert_same_rows([p.frame for p in parts], whole.frame)
