"""The kernel's cuts of distinct values equal RE2's captures of the same patterns: requests
(method, path, protocol), sections, `host ident user` prefixes (host, user, vhost)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats import compiled
from analyzer.formats.encoded import Encoded, dictionary_of

# Pieces that meet every branch of the patterns: methods, targets with queries and fragments,
# schemes, ports, spaces in odd places, non-ASCII, controls.
PIECES = [
    "GET", "get", "M-_x", "1GET", "", " ", "  ", "/", "/a", "/a/b", "//x", "?q=1", "#f", "?", "#",
    "HTTP/1.1", "x", "http://h.example", "https://h:8/p/q", "a+b.c-d://h", "ab:c://", "://", "*",
    "é", "\t", "-", "vh.example:80", "h:", ":80", "h:8x", "1.2.3.4", "::1", "frank", "John Smith",
    '"', "\\", "[", "\x7f",
]  # fmt: skip
VALUES = st.lists(st.sampled_from(PIECES), max_size=6).map("".join) | st.lists(
    st.sampled_from(PIECES), max_size=4
).map(" ".join)


def both_ways(cut: Callable[[pa.Array], object], values: list[str]) -> tuple[object, object]:
    array = pa.array(values, pa.large_string())
    fast = cut(array)
    saved = compiled.KERNEL
    compiled.KERNEL = None
    try:
        slow = cut(array)
    finally:
        compiled.KERNEL = saved
    return fast, slow


def plain(found: object) -> object:
    if isinstance(found, dict):
        return {name: array.to_pylist() for name, array in found.items()}
    assert isinstance(found, pa.Array)
    return found.to_pylist()


@pytest.mark.skipif(compiled.KERNEL is None, reason="no kernel to compare (test_kernel fails for it)")
@settings(max_examples=250, deadline=None)
@given(st.lists(VALUES | st.text(max_size=12), max_size=12))
def test_every_cut_equals_the_pattern(values: list[str]) -> None:
    for cut in (compiled.split_requests, compiled.sections, compiled.split_prefixes):
        fast, slow = both_ways(cut, values)
        assert plain(fast) == plain(slow), cut.__name__


ENCODED_CUTS = [
    (compiled.request_fields, compiled.split_requests),
    (compiled.encoded_sections, compiled.sections),
    (compiled.prefix_fields, compiled.split_prefixes),
]


def decoded(found: dict[str, Encoded] | Encoded) -> object:
    """Codes and distinct values as lists, per field."""
    if isinstance(found, Encoded):
        return found.codes.tolist(), found.values.to_pylist()
    return {name: decoded(encoded) for name, encoded in found.items()}


@settings(max_examples=250, deadline=None)
@given(st.lists(VALUES | st.text(max_size=12) | st.none(), max_size=12))
def test_every_encoded_cut_is_the_cut_dictionary_encoded(values: list[str | None]) -> None:
    """Hashed where they lie by the kernel (only the distinct pieces cut out), or the RE2
    capture encoded without it: what dictionary_of gives for the strings, codes and values."""
    array = pa.array(values, pa.large_string())
    for encoded_cut, cut in ENCODED_CUTS:
        strings = cut(array)
        expected = (
            {name: dictionary_of(found) for name, found in strings.items()}
            if isinstance(strings, dict)
            else dictionary_of(strings)
        )
        fast, slow = both_ways(encoded_cut, values)
        assert decoded(fast) == decoded(slow) == decoded(expected), encoded_cut.__name__


@pytest.mark.parametrize(
    ("line", "method", "path", "protocol"),
    [
        ("GET /pages/create?x=1 HTTP/1.1", "GET", "/pages/create", "HTTP/1.1"),
        ("GET /a#frag", "GET", "/a", ""),
        ("GET /a b c", None, None, None),
        ("GET  /a", None, None, None),
        ("GET /a ", None, None, None),
        ("1GET /a", None, None, None),
    ],
)
def test_requests_are_cut_as_the_pattern_says(
    line: str, method: str | None, path: str | None, protocol: str | None
) -> None:
    found = plain(compiled.split_requests(pa.array([line])))
    assert found == {"method": [method], "path": [path], "protocol": [protocol]}


def test_sections_and_prefixes_are_cut_as_the_patterns_say() -> None:
    paths = ["/pages/create", "/", "http://my.site.com/pages/create", "x", "a1://h", "", None]
    assert plain(compiled.sections(pa.array(paths))) == [
        "/pages", "/", "http://my.site.com/pages", None, "a1://h", None, None,
    ]  # fmt: skip
    prefixes = ["1.2.3.4 - - ", "vh.example:80 1.2.3.4 - frank ", "h i  x", "h - ", "h:80 a b c", None]
    assert plain(compiled.split_prefixes(pa.array(prefixes))) == {
        "host": ["1.2.3.4", "1.2.3.4", "h", None, "a", None],
        "user": ["-", "frank", " x", None, "c", None],
        "vhost": [None, "vh.example:80", None, None, "h:80", None],
    }


# --- the hash of the kernel's dictionary encoding: keyed, so no one can aim at a slot -----------

KNOWN_KEY = bytes(range(16))  # a key the sender of the lines knows: what an unkeyed hash amounts to


@contextmanager
def hash_key(key: bytes) -> Iterator[None]:
    """The kernel's tables hashed under `key` instead of the process's own."""
    saved = compiled.HASH_KEY
    compiled.HASH_KEY = key
    try:
        yield
    finally:
        compiled.HASH_KEY = saved


def random_paths(count: int, seed: int) -> np.ndarray:
    """`count` paths of 16 bytes, `/p/` and 13 random letters and digits, as rows of a uint8 array."""
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", np.uint8)
    rows = np.empty((count, 16), np.uint8)
    rows[:, :3] = np.frombuffer(b"/p/", np.uint8)
    rows[:, 3:] = alphabet[np.random.default_rng(seed).integers(0, len(alphabet), (count, 13))]
    return rows


def hashes(rows: np.ndarray, key: bytes, sip: bool = False) -> np.ndarray:
    """The kernel's first hash of each row under `key` (with `sip`, the one after too many probes)."""
    assert compiled.KERNEL is not None
    starts = np.arange(len(rows), dtype=np.int64) * rows.shape[1]
    found = np.empty(len(rows), np.uint64)
    compiled.KERNEL.hash_ranges(rows.tobytes(), starts, starts + rows.shape[1], key, found, sip)
    return found


def colliding_paths(count: int, key: bytes, slots: int, window: int, sip: bool = False) -> np.ndarray:
    """`count` distinct paths whose hashes under `key` all fall in the first `window` slots of a
    table of `slots` (and so of every smaller one): linear probing makes them one cluster, each
    new path probing past all before it. Found as an attacker who knows the hash would: by
    hashing random paths and keeping those (1 in slots / window)."""
    found = np.zeros((0, 16), np.uint8)
    seed = 0
    while len(found) < count:
        rows = random_paths(1 << 18, seed)
        found = np.unique(np.concatenate([found, rows[hashes(rows, key, sip) % slots < window]]), axis=0)
        seed += 1
    return np.random.default_rng(0).permutation(found[:count])


def encoding_seconds(rows: np.ndarray) -> float:
    """The best of a few timings of encoding the paths (as the fast path encodes a field)."""
    data = pa.py_buffer(rows.tobytes())
    starts = np.arange(len(rows), dtype=np.int64) * rows.shape[1]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        compiled.encoded_slices(data, starts, starts + rows.shape[1])
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.skipif(compiled.KERNEL is None, reason="no kernel (test_kernel fails for it)")
def test_paths_chosen_to_collide_cost_no_more_than_any_paths() -> None:
    """4,000 paths that share a window of 128 slots of the 8,192-slot table under a known key
    (an unkeyed hash is such a key, known to all) would cost ~8M probes there, ~80x the time of
    random paths; the encoding sees the probes go over its budget and hashes them again by
    SipHash. Under the process's own key they are paths like any. Within 3x either way."""
    crafted = colliding_paths(4000, KNOWN_KEY, slots=8192, window=128)
    assert (hashes(crafted, KNOWN_KEY) % 8192 < 128).all()
    plain = random_paths(4000, seed=999)
    with hash_key(KNOWN_KEY):
        aimed = encoding_seconds(crafted) / encoding_seconds(plain)
    unaimed = encoding_seconds(crafted) / encoding_seconds(plain)
    assert aimed < 3, f"crafted paths cost {aimed:.1f}x random ones under the key they were made for"
    assert unaimed < 3, f"crafted paths cost {unaimed:.1f}x random ones under the process's key"


def test_the_hash_key_is_drawn_per_process() -> None:
    """16 bytes from os.urandom at import: another process has another key."""
    command = [sys.executable, "-c", "from analyzer.formats import compiled; print(compiled.HASH_KEY.hex())"]
    others = {
        subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip() for _ in range(2)
    }
    assert len(compiled.HASH_KEY) == 16
    assert len(others | {compiled.HASH_KEY.hex()}) == 3


@pytest.mark.skipif(compiled.KERNEL is None, reason="no kernel (test_kernel fails for it)")
@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.lists(VALUES | st.text(max_size=12) | st.none(), max_size=40))
def test_the_encoding_is_the_same_whatever_the_key(key: bytes, values: list[str | None]) -> None:
    """Codes by first appearance and the distinct values, as dictionary_of gives them, under any
    key: the known one, the process's, any other; also for values that collide under one."""
    array = pa.array(values, pa.large_string())
    expected = decoded(dictionary_of(array)), decoded(compiled.request_fields(array))
    for each in (key, KNOWN_KEY, compiled.HASH_KEY):
        with hash_key(each):
            assert (decoded(encoded_values(array)), decoded(compiled.request_fields(array))) == expected


def encoded_values(array: pa.Array) -> Encoded:
    """The values of `array` encoded by the kernel, where they lie in its buffer (nulls missing)."""
    data, offsets, present = compiled._spans(array)
    rows = np.flatnonzero(present)
    there = compiled.encoded_slices(data, offsets[:-1][rows], offsets[1:][rows])
    codes = np.full(len(array), -1, np.int64)
    codes[rows] = there.codes
    return Encoded(codes, there.values)


@pytest.mark.skipif(compiled.KERNEL is None, reason="no kernel (test_kernel fails for it)")
@pytest.mark.parametrize("sip", [False, True])
def test_colliding_values_are_encoded_as_any_others(sip: bool) -> None:
    """Paths that share slots under the key in force are told apart by their bytes: those of
    the first hash (then hashed again, past the probe budget), and those of SipHash too."""
    crafted = colliding_paths(300, KNOWN_KEY, slots=1024, window=4, sip=sip)
    rows = np.concatenate([crafted, crafted[::-1], crafted[:50], random_paths(100, 7)])
    array = pa.array([row.tobytes().decode() for row in rows], pa.large_string())
    with hash_key(KNOWN_KEY):
        assert decoded(encoded_values(array)) == decoded(dictionary_of(array))


def sip_hash(key: bytes, message: bytes, rounds: int = 1, final_rounds: int = 3) -> int:
    """SipHash-c-d as its paper defines it (Aumasson and Bernstein, 2012)."""
    mask = (1 << 64) - 1

    def rotate(x: int, bits: int) -> int:
        return ((x << bits) | (x >> (64 - bits))) & mask

    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def sip_rounds(count: int) -> None:
        for _ in range(count):
            v0, v1, v2, v3 = v
            v0 = (v0 + v1) & mask
            v1 = rotate(v1, 13) ^ v0
            v0 = rotate(v0, 32)
            v2 = (v2 + v3) & mask
            v3 = rotate(v3, 16) ^ v2
            v0 = (v0 + v3) & mask
            v3 = rotate(v3, 21) ^ v0
            v2 = (v2 + v1) & mask
            v1 = rotate(v1, 17) ^ v2
            v2 = rotate(v2, 32)
            v[:] = [v0, v1, v2, v3]

    whole = len(message) // 8 * 8
    words = [int.from_bytes(message[at : at + 8], "little") for at in range(0, whole, 8)]
    for word in [*words, ((len(message) & 0xFF) << 56) | int.from_bytes(message[whole:], "little")]:
        v[3] ^= word
        sip_rounds(rounds)
        v[0] ^= word
    v[2] ^= 0xFF
    sip_rounds(final_rounds)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def test_the_reference_sip_hash_gives_the_papers_vector() -> None:
    """SipHash-2-4 of bytes 0..14 under the key of bytes 0..15 (the paper's Appendix A)."""
    assert sip_hash(bytes(range(16)), bytes(range(15)), 2, 4) == 0xA129CA6149BE45E5


@pytest.mark.skipif(compiled.KERNEL is None, reason="no kernel (test_kernel fails for it)")
@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.lists(st.binary(max_size=40), min_size=1, max_size=8))
def test_the_kernels_second_hash_is_sip_hash_1_3(key: bytes, values: list[bytes]) -> None:
    """Every length (each tail of 0 to 7 bytes), any key."""
    assert compiled.KERNEL is not None
    data = b"".join(values)
    stops = np.cumsum([len(value) for value in values]).astype(np.int64)
    starts = stops - np.array([len(value) for value in values], np.int64)
    found = np.empty(len(values), np.uint64)
    compiled.KERNEL.hash_ranges(data, starts, stops, key, found, True)
    assert found.tolist() == [sip_hash(key, value) for value in values]


def test_a_machine_without_the_kernel_is_told_once_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands call warn_if_no_kernel at start: one line on stderr where the kernel was not
    built (once a process), nothing where it was."""
    stderr = io.StringIO()
    monkeypatch.setattr(compiled, "_told", [])
    if compiled.KERNEL is not None:
        assert not compiled.warn_if_no_kernel(stderr)
        assert stderr.getvalue() == ""
    monkeypatch.setattr(compiled, "KERNEL", None)
    assert compiled.warn_if_no_kernel(stderr)
    assert not compiled.warn_if_no_kernel(stderr)
    assert stderr.getvalue() == compiled.NO_KERNEL + "\n"
    assert "RE2" in compiled.NO_KERNEL and "\n" not in compiled.NO_KERNEL
