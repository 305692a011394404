"""Sections: what comes before the second `/` of a path (scheme and host kept for absolute URLs)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.sections import section_of, sections_of

_SCHEME_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/pages/create", "/pages"),
        ("/pages", "/pages"),
        ("/pages/", "/pages"),
        ("/", "/"),
        ("//double", "/"),
        ("/a/b/c/d", "/a"),
        ("http://my.site.com/pages/create", "http://my.site.com/pages"),
        ("https://my.site.com:8443/pages", "https://my.site.com:8443/pages"),
        ("http://my.site.com", "http://my.site.com"),
        ("http://my.site.com/", "http://my.site.com/"),
    ],
)
def test_section_of_paths(path: str, section: str) -> None:
    """section_of keeps everything up to the second `/` (after scheme://host for absolute URLs)."""
    assert section_of(path) == section


@pytest.mark.parametrize("path", ["*", "", None, "pages/create", "003.003\\n", "54.252.131.155:443", "?q=1"])
def test_paths_without_section(path: str | None) -> None:
    """`*`, empty, None and paths not starting with `/` or a scheme have no section."""
    assert section_of(path) is None


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/pages?next=/a/b", "/pages"),
        ("/pages#frag/x", "/pages"),
        ("/?q=/x/y", "/"),
        ("/pages/create?x=1", "/pages"),
        ("http://h.example?x=/a/b", "http://h.example"),
        ("http://h.example/p?x=/a/b", "http://h.example/p"),
        ("http://h.example#/a/b", "http://h.example"),
    ],
)
def test_query_strings_and_fragments_never_enter_a_section(path: str, section: str) -> None:
    """A `?` or `#` ends the section even before the second `/`."""
    assert section_of(path) == section


def test_sections_of_maps_each_row_and_keeps_missing() -> None:
    """sections_of gives one section per row, repeated paths share it, missing paths stay missing."""
    raw: list[object] = ["/a/1", "/b", None, "/a/2", "*", "/a/1", "http://h/x/y"]
    paths = pd.Categorical(raw)
    result = sections_of(paths)
    assert isinstance(result, pd.Categorical)
    assert len(result) == len(paths)
    values = [None if pd.isna(v) else v for v in result]
    assert values == ["/a", "/b", None, "/a", None, "/a", "http://h/x"]
    assert sorted(result.categories) == ["/a", "/b", "http://h/x"]


def test_sections_of_empty() -> None:
    """No paths in, no sections out."""
    assert len(sections_of(pd.Categorical(list[object]()))) == 0


def test_sections_of_unused_categories_do_not_leak() -> None:
    """Paths only present as unused categories do not change the rows' sections."""
    rows: list[object] = ["/x/1"]
    paths = pd.Categorical(rows, categories=["/x/1", "/unused/2"])
    assert list(sections_of(paths)) == ["/x"]


paths = st.one_of(
    st.text(alphabet="/abc?#:.", max_size=20),
    st.text(max_size=30),
    st.builds(lambda rest: "/" + rest, st.text(max_size=30)),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "ftp", "svn+ssh"]),
        st.text(alphabet="abc.-:@0123456789", max_size=10),
        st.text(alphabet="/abc?#=&", max_size=15),
    ),
)


@settings(max_examples=200, deadline=None)
@given(paths)
def test_section_is_prefix_with_at_most_one_slash_after_host(path: str) -> None:
    """A section is a prefix of its path, holds no `?`/`#`, and has one `/` at most after scheme://host."""
    section = section_of(path)
    if section is None:
        return
    assert path.startswith(section)
    assert "?" not in section and "#" not in section
    scheme_host = _SCHEME_HOST.match(section)
    rest = section[scheme_host.end() :] if scheme_host else section
    if scheme_host is None:
        assert rest.startswith("/")
    assert rest.count("/") <= 1
    assert section_of(section) == section  # a section is its own section


@settings(max_examples=200, deadline=None)
@given(st.lists(paths, max_size=12))
def test_sections_of_agrees_with_section_of(values: list[str]) -> None:
    """The vectorised sections_of gives, row by row, what section_of gives for each path."""
    result = sections_of(pd.Categorical(list[object](values)))
    assert [None if pd.isna(v) else v for v in result] == [section_of(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc", min_size=1, max_size=5), st.text(max_size=20))
def test_slash_paths_always_have_a_section(first: str, rest: str) -> None:
    """Every path starting with `/` has a section, cut at the next `/`, `?` or `#`."""
    path = f"/{first}/{rest}"
    assert section_of(path) == f"/{first}"
