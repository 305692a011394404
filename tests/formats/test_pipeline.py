"""Batches parsed in turn, the next prepared in a thread while this one is finished: exactly
what parsing each batch on its own gives, in order, holding at most one batch ahead."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.formats import kernel, pipeline
from analyzer.formats.clf import Parsed
from analyzer.formats.parsers import ClfParser, make_parser
from analyzer.formats.pipeline import parsed_in_turn
from tests.conftest import clf_line
from tests.formats.test_fast import batches, in_two_threads
from tests.formats.test_w3c import fields_line, header, row


def assert_same_parse(found: Parsed, expected: Parsed) -> None:
    pd.testing.assert_frame_equal(found.frame, expected.frame)
    assert (found.lines, found.rejected, found.rejects) == (
        expected.lines,
        expected.rejected,
        expected.rejects,
    )
    assert found.rejected_at.tolist() == expected.rejected_at.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batches(), max_size=5), st.sampled_from(["common", "combined"]), st.booleans(), st.booleans())
def test_batches_parsed_in_turn_are_each_batch_parsed_alone(
    datas: list[bytes], fmt: str, core: bool, threaded: bool
) -> None:
    """Good, hostile and binary lines; the caller's own parses split across two threads or not."""
    with in_two_threads(threaded):
        found = list(parsed_in_turn(ClfParser(fmt), enumerate(datas), lambda batch: batch[1], core))
        assert [batch for batch, _ in found] == list(enumerate(datas))
        for (_, data), parsed in found:
            assert_same_parse(parsed, ClfParser(fmt).parse(data, core))


def test_on_one_core_no_thread_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second thread would only take turns with this one: batches are parsed as they come."""
    monkeypatch.setattr(pipeline, "CORES", 1)
    monkeypatch.setattr(pipeline, "ThreadPoolExecutor", None)  # used: a TypeError
    data = [clf_line(0), clf_line(1) + b"garbage\n"]
    for (_, parsed), batch in zip(parsed_in_turn(ClfParser("combined"), data, bytes), data, strict=True):
        assert_same_parse(parsed, ClfParser("combined").parse(batch))


def test_the_columns_asked_for_are_the_ones_built() -> None:
    parser = ClfParser("combined", only=frozenset({"section", "status"}))
    data = b"".join(clf_line(second) for second in range(50))
    ((_, parsed),) = parsed_in_turn(parser, [data], lambda batch: batch)
    assert_same_parse(parsed, parser.parse(data))


def test_a_stateful_format_is_parsed_one_batch_at_a_time_by_the_one_parser() -> None:
    """A W3C layout given in one batch holds for the next: the same parser reads them in order."""
    layout = ["date", "time", "cs-method", "cs-uri-stem", "sc-status"]
    first = header(layout) + fields_line(layout) + row(layout, 0)
    second = row(layout, 1) + row(layout, 2)
    found = [parsed for _, parsed in parsed_in_turn(make_parser("w3c"), [first, second], lambda batch: batch)]
    reference = make_parser("w3c")
    for parsed, data in zip(found, [first, second], strict=True):
        assert_same_parse(parsed, reference.parse(data))
    assert len(found[1].frame) == 2


def test_one_batch_is_taken_ahead_and_no_more() -> None:
    taken: list[int] = []

    def counted() -> Iterator[bytes]:
        for index in range(5):
            taken.append(index)
            yield clf_line(index)

    for handed, (data, parsed) in enumerate(parsed_in_turn(ClfParser("combined"), counted(), lambda b: b)):
        assert len(taken) == min(handed + 2, 5)
        assert parsed.lines == 1 and data == clf_line(handed)


def test_the_preparing_thread_is_single_threaded_and_the_caller_keeps_its_setting() -> None:
    """The kernel's thread setting is per thread: the pipeline's own does not leak to the caller."""
    before = kernel.THREADS.count
    kernel.THREADS.count = 2
    try:
        list(parsed_in_turn(ClfParser("common"), [clf_line(0)] * 3, lambda batch: batch))
        assert kernel.THREADS.count == 2
    finally:
        kernel.THREADS.count = before


def test_a_failure_while_preparing_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        list(parsed_in_turn(ClfParser("bogus"), [clf_line(0)], lambda batch: batch))


def test_no_batches_no_parses() -> None:
    assert list(parsed_in_turn(ClfParser("combined"), [], lambda batch: batch)) == []
