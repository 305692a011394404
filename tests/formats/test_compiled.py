"""The kernel's cuts of distinct values equal RE2's captures of the same patterns: requests
(method, path, protocol), sections, `host ident user` prefixes (host, user, vhost)."""

from __future__ import annotations

from collections.abc import Callable

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
