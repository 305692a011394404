"""The fast path (the C kernel) equals the RE2 reference: same frame (columns, dtypes,
categories in order, rows) and the same rejects, on generated lines good and hostile and on
every real log. Without the kernel every parse is the reference (RE2's lines and cuts)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.formats import clf, compiled, kernel
from analyzer.formats.clf import Parsed, parse, requests
from analyzer.formats.fast import slices, vouch
from analyzer.formats.rejects import MAX_LINE_CHARS
from tests.conftest import SHARED_LOGS, clf_line, mutate

MODES = [("combined", False), ("combined", True), ("common", False), ("common", True)]
LEAN = frozenset({"section", "host", "method"})  # what the live monitor asks for


@contextmanager
def kernel_off() -> Iterator[None]:
    """Parse as a machine without the C kernel does: RE2's lines and cuts."""
    saved = compiled.KERNEL
    compiled.KERNEL = None
    try:
        yield
    finally:
        compiled.KERNEL = saved


@contextmanager
def in_two_threads(threaded: bool) -> Iterator[None]:
    """Every batch scanned and encoded by two threads (however small, however many cores), or
    by one."""
    saved = kernel.PARALLEL_ROWS, kernel.THREADS.count
    kernel.PARALLEL_ROWS, kernel.THREADS.count = (0, 2) if threaded else (1 << 62, saved[1])
    try:
        yield
    finally:
        kernel.PARALLEL_ROWS, kernel.THREADS.count = saved


def assert_same(data: bytes) -> None:
    """In every mode, on `data`: the reference (RE2 for every line and every cut, no kernel:
    what a machine without it parses by default) and the fast path (the kernel, in one thread
    and in two as a large batch is, however small this one; RE2 lines cut by the kernel) give
    the same frame and rejects."""
    for fmt, core in MODES:
        with kernel_off():
            slow = parse(data, fmt, core, fast=False)
            without_kernel = parse(data, fmt, core)
        with in_two_threads(True):
            threaded = parse(data, fmt, core)
        with in_two_threads(False):
            alone = parse(data, fmt, core)
        for fast in (alone, threaded, without_kernel, parse(data, fmt, core, fast=False)):
            assert_parsed_equal(fast, slow)
        if not core:  # asked for fewer columns, both ways: those columns, the same lines kept
            wanted = [
                name
                for name in slow.frame.columns
                if name in LEAN or name in ("time", "status", "bytes", "duration")
            ]
            with kernel_off():
                lean_without_kernel = parse(data, fmt, only=LEAN)
            lean_ways = (
                parse(data, fmt, only=LEAN),
                parse(data, fmt, only=LEAN, fast=False),
                lean_without_kernel,
            )
            for lean in lean_ways:
                pd.testing.assert_frame_equal(lean.frame, slow.frame[wanted], check_exact=True)
                assert (lean.rejected_at.tolist(), lean.rejects) == (slow.rejected_at.tolist(), slow.rejects)


def assert_parsed_equal(fast: Parsed, slow: Parsed) -> None:
    pd.testing.assert_frame_equal(fast.frame, slow.frame, check_exact=True)
    for name in fast.frame.columns:
        if isinstance(slow.frame[name].dtype, pd.CategoricalDtype):  # unordered dtypes compare as sets
            assert fast.frame[name].cat.categories.tolist() == slow.frame[name].cat.categories.tolist(), name
            assert fast.frame[name].cat.categories.dtype == slow.frame[name].cat.categories.dtype, name
    assert (fast.lines, fast.rejected) == (slow.lines, slow.rejected)
    assert fast.reject_samples == slow.reject_samples
    assert fast.rejected_at.tolist() == slow.rejected_at.tolist()
    assert fast.rejects == slow.rejects


# --- real logs -------------------------------------------------------------------------------


def real_logs() -> list[str]:
    return sorted(path.name for path in SHARED_LOGS.glob("*.log*")) if SHARED_LOGS.exists() else []


@pytest.mark.skipif(not real_logs(), reason=f"{SHARED_LOGS} is absent")
@pytest.mark.parametrize("name", real_logs())
def test_real_logs_parse_the_same_both_ways(name: str) -> None:
    """Every shared log (the W3C one too, as hostile input) gives the same result both ways."""
    data = (SHARED_LOGS / name).read_bytes()
    assert_same(gzip.decompress(data) if name.endswith(".gz") else data)


@pytest.mark.skipif(not real_logs(), reason=f"{SHARED_LOGS} is absent")
def test_real_combined_logs_are_mostly_vouched() -> None:
    """The fast path reads nearly every line of the real Combined logs itself."""
    for name in real_logs():
        if "combined" in name:
            data = (SHARED_LOGS / name).read_bytes()
            text = gzip.decompress(data) if name.endswith(".gz") else data
            vouched = vouch(text if text.endswith(b"\n") else text + b"\n", "combined", core=False)
            assert len(vouched.at) >= 0.95 * len(vouched.ends), name


# --- generated lines -------------------------------------------------------------------------

HOSTS = [
    "1.2.3.4",
    "10.0.0.1",
    "2001:db8::1",
    "::1",
    "host.example.com",
    "vh.example:80 1.2.3.4",
    "-",
    "",
    "a[b",
]
IDENTS = ["-", "ident", ""]
USERS = ["-", "frank", "John Smith", "ü", "-\t-", "", 'x"y', "[u]"]
STAMPS = [
    "10/Oct/2000:13:55:36 -0700", "01/Jan/1970:00:00:00 +0000", "01/Jan/1970:00:59:59 +0100",
    "31/Dec/9999:23:59:59 +0000", "31/Dec/9999:23:59:59 -0001", "29/Feb/2024:12:00:00 +0530",
    "29/Feb/2023:12:00:00 +0000", "31/Apr/2026:01:02:03 +0000", "10/oct/2000:13:55:36 -0700",
    "10/OCT/2000:13:55:36 -0700", "1/Oct/2000:13:55:36 -0700", "10/Oct/2000:24:00:00 +0000",
    "10/Oct/2000:13:60:00 +0000", "10/Oct/2000:13:55:60 +0000", "10/Oct/2000:13:55:36 +2400",
    "10/Oct/2000:13:55:36 +9999", "10/Oct/2000:13:55:36 +0060", "10/Oct/0000:13:55:36 +0000",
    "10/Oct/2000:13:55:36+0000 ", "10/Oct/2000:13:55:36 Z0000", "10/Oct/2000:13:55:36 -07:0",
    "10/Oct/2000:13:55]36 -0700", "10/Oct/2000 13:55:36 -0700", "", "xx",
]  # fmt: skip
REQUESTS = [
    "GET /pages/create HTTP/1.1", "GET / HTTP/1.0", "POST /api/v1/items?id=3 HTTP/2.0", "GET /path",
    "-", "", "\\x16\\x03\\x01", 'GET /a\\"b/c HTTP/1.1', "GET /a\\x22b HTTP/1.1", "PRI * HTTP/2.0",
    "OPTIONS * HTTP/1.1", "GET http://h.example/x/y HTTP/1.1", "GET /a b c", "get /x HTTP/1.1",
    "GET /ü/ø HTTP/1.1", "GET /x\\", "GET /[x] HTTP/1.1", "\x03\x04", "GET /a#frag HTTP/1.1",
    'GET /a\\" 200 5 "b', 'x\\\\" 200 5 "b', '" 200 5 "',  # an escaped (or not) quote that looks like the end
]  # fmt: skip
STATUSES = ["200", "404", "-", "20", "2000", "20x", "000"]
SIZES = [
    "5",
    "0",
    "-",
    "1234567",
    "12345678",
    "123456789012345",
    "1234567890123456",
    "9" * 19,
    "5x",
    "",
    "007",
]
TAILS = [
    ' "-" "UA"', ' "http://r/" "Mozilla/5.0 (X11)"', ' "-" "Mozilla \\"x\\" y"', ' "-" "UA\\x22q"',
    "", ' "-"', ' "-" "unclosed', ' "-" "UA"rt=0.000 uct="-"', ' "-" "UA" 0.001 "x"', '  "-" "UA"',
    ' "a" "b" "c"', ' "\\\\" "x"', ' "-""UA"', ' "-" "UA\\',
    # nginx timing fields after the agent: the request time read as the duration, or not
    ' "-" "UA" rt=0.123 uct="0.000" uht="0.001" urt="0.001"', ' "-" "UA"rt=0.200 uct="0.000"',
    ' "-" "UA" request_time=1.5', ' "-" "UA" rt="0.250"', ' "-" "UA" urt=0.5 rt=0.1',
    ' "-" "UA" rt=0.1 rt=0.2',
    # hostile tails: values nginx never writes, keys that only end in rt, quotes and escapes
    ' "-" "UA" rt=-', ' "-" "UA" rt=1e9', ' "-" "UA" rt=99999999999999', ' "-" "UA" rt=-1',
    ' "-" "UA" xrt=0.5', ' "-" "UA" rt="0.1', ' "-" "UA" rt=0.1"', ' "-" "UA" rt=0.1\\',
    ' "-" "UA" rt=0.1\t', ' "-" "UA" rt=\u0661', ' "-" "UA\\" rt=0.5"', ' "-" "UA rt=0.5"',
    ' "-" "UA" "x" rt=0.5', ' "-" "UA" rt=0.1 "', ' "-" "UA" RT=0.1', ' "-" "UA" rt=.5',
    ' "-" "UA" rt=5.', ' "-" "UA" rt=0.1234567890',
    # cut short in the agent, as the real nginx log's last two lines are: a hit without a time
    ' "-" "Mozilla/5.0 (Linux; Android 6.0.1) Safari/53', ' "-" "UA" rt=0.',
]  # fmt: skip
ENDINGS = ["\n", "\r\n", "\n\n"]


@st.composite
def log_lines(draw: st.DrawFn) -> bytes:
    """A Combined-shaped line from parts good and bad: mostly a good context (prefix, time,
    status, size) around a request and a tail of any kind, so odd fields meet lines that
    could otherwise be vouched for."""

    def pick(values: list[str]) -> str:
        return draw(st.sampled_from(values[:2] if draw(st.integers(0, 2)) else values))

    prefix = f"{pick(HOSTS)} {pick(IDENTS)} {pick(USERS)} "
    if draw(st.integers(0, 9)) == 0:
        prefix = draw(st.text(max_size=12))
    request, tail = draw(st.sampled_from(REQUESTS)), draw(st.sampled_from(TAILS))
    line = f'{prefix}[{pick(STAMPS)}] "{request}" {pick(STATUSES)} {pick(SIZES)}{tail}{pick(ENDINGS)}'
    return line.encode()


@st.composite
def batches(draw: st.DrawFn) -> bytes:
    """Lines good and bad, some mutated byte by byte, some binary or truncated, in any order."""
    parts = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 9))
        if kind <= 4:
            parts.append(draw(log_lines()))
        elif kind <= 6:
            second = draw(st.integers(0, 2_000_000_000))
            offset = draw(st.sampled_from(["+0000", "-0700", "+0530", "-0930"]))
            parts.append(clf_line(second, offset=offset))
        elif kind == 7:
            parts.append(mutate(draw, draw(log_lines()), edits=4))
        elif kind == 8:
            parts.append(draw(st.binary(max_size=80)))
        else:
            line = draw(log_lines())
            parts.append(line[: draw(st.integers(0, len(line)))])
    return b"".join(parts)


# An example is several batches (one alone still comes up): a parse of 5 KB costs little more
# than one of 400 B, and assert_same parses 26 times, so fewer examples check as many lines.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batches(), min_size=1, max_size=12).map(b"".join))
def test_generated_lines_parse_the_same_both_ways(data: bytes) -> None:
    """Good, hostile, mutated, binary and truncated lines: the same frame and rejects both ways."""
    assert_same(data)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=8).map(b"\n".join))
def test_arbitrary_bytes_parse_the_same_both_ways(data: bytes) -> None:
    """Any bytes at all (one run of them, or several as lines): the same result both ways."""
    assert_same(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n",
        clf_line(1_000_000_000),
        clf_line(1_000_000_000)[:-1],  # no final newline
        b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /\xe9 HTTP/1.1" 200 5 "-" "\xff"\n',
        b"a" * (MAX_LINE_CHARS - 100) + clf_line(1)[1:],  # long but not too long
        b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /' + b"x" * MAX_LINE_CHARS + b' HTTP/1.1" 200 5\n',
        b"".join(clf_line(1_000_000_000 + (i * 7919) % 600) for i in range(300)),  # out of order
    ],
    ids=["empty", "newline", "one", "no-newline", "invalid-utf8", "long", "too-long", "out-of-order"],
)
def test_edge_inputs_parse_the_same_both_ways(data: bytes) -> None:
    assert_same(data)


def test_the_fast_path_reads_plain_lines_itself() -> None:
    """Ordinary Combined lines are all vouched for (the RE2 path is for the odd ones)."""
    data = b"".join(clf_line(1_000_000_000 + i, size=i * 37) for i in range(50))
    vouched = vouch(data, "combined", core=False)
    assert vouched.at.tolist() == list(range(50))
    assert vouched.size.tolist() == [i * 37 for i in range(50)]
    assert vouched.seconds.tolist() == [1_000_000_000 + i for i in range(50)]
    assert vouched.text["user_agent"].values.to_pylist() == ["test-agent"]


def test_odd_lines_are_left_to_re2() -> None:
    """An escaped quote in the request, a `-` status, a bad time: not vouched for, the rest is."""
    good = clf_line(1_000_000_000)
    odd = [
        good.replace(b"GET /pages/create", b'GET /a\\"b'),
        good.replace(b" 200 ", b" - "),
        good.replace(b"+0000", b"+9999"),
        good.replace(b"10.0.0.1 - -", b"10.0.0.1"),
    ]
    vouched = vouch(b"".join([good, *odd, good]), "combined", core=False)
    assert vouched.at.tolist() == [0, 5]


def test_slices_cut_ranges_of_a_buffer() -> None:
    import pyarrow as pa

    buffer = pa.py_buffer("hello w\u00f6rld, , fast path".encode())
    found = slices(buffer, np.array([0, 6, 14, 15, 16]), np.array([5, 12, 14, 15, 25]))
    assert found.to_pylist() == ["hello", "w\u00f6rld", "", "", "fast path"]
    assert found.type == pa.large_string() and found.null_count == 0
    assert slices(buffer, np.zeros(0, np.int64), np.zeros(0, np.int64)).to_pylist() == []


def test_without_the_kernel_the_fast_path_is_never_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where the kernel was not built parses every line the RE2 way: the fast path,
    which needs the kernel, is not called."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path was asked")

    monkeypatch.setattr(clf, "vouch", refuse)
    data = b"".join(clf_line(1_000_000_000 + i) for i in range(5)) + b"garbage\n"
    with kernel_off():
        for fmt, core in MODES:
            assert parse(data, fmt, core).lines == 6
            assert len(requests(data, fmt).seconds) == 5
