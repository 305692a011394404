"""The line patterns: the pieces the fast path applies alone mean what they mean in the whole."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from analyzer.formats.patterns import LINE_PATTERNS, TAIL_ALONE, WHOLE_PREFIX

LINE = '1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5{tail}'


def extract(values: list[str], pattern: str) -> list[dict[str, str] | None]:
    return pc.extract_regex(pa.array(values, pa.large_string()), pattern).to_pylist()


@pytest.mark.parametrize(
    "tail",
    [' "-" "UA"', ' "r" "a\\"b"', "", ' "-"', ' "-" "open', ' "-" "UA"rt=0.1', ' "-" "UA\\', '  "-" "UA"'],
)
def test_tail_alone_captures_what_the_line_pattern_captures(tail: str) -> None:
    """Matched on what follows the size, the tail gives the line pattern's referer, agent and
    what follows the agent (the line pattern gives "" for all where its optional tail does not
    match)."""
    (whole,) = extract([LINE.format(tail=tail)], LINE_PATTERNS["combined"])
    (alone,) = extract([tail], TAIL_ALONE)
    assert whole is not None
    expected = {"referer": whole["referer"], "user_agent": whole["user_agent"], "rest": whole["rest"]}
    assert (alone or {"referer": "", "user_agent": "", "rest": ""}) == expected


@pytest.mark.parametrize(
    ("prefix", "three_words"),
    [("1.2.3.4 - - ", True), ("h - John Smith ", True), ("vh:80 h - u ", True), ("h - ", False),
     ("h  - u ", False), (" h - u ", False), ("h - [u ", False), ("h - u", True), ("", False)],
)  # fmt: skip
def test_whole_prefix_is_the_line_pattern_prefix(prefix: str, three_words: bool) -> None:
    matched = pc.match_substring_regex(pa.array([prefix]), WHOLE_PREFIX).to_pylist()
    line_matched = pc.match_substring_regex(pa.array([LINE.replace("1.2.3.4 - frank ", prefix)]),
                                            LINE_PATTERNS["common"]).to_pylist()  # fmt: skip
    assert matched == line_matched == [three_words]
