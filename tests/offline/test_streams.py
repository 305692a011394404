"""Standard input as a log: read once, its head read ahead to tell the format and given back."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.offline import streams
from analyzer.offline.locations import InputError
from analyzer.offline.reader import read_chunks
from analyzer.offline.streams import StreamLog
from tests.conftest import lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


class Trickle:
    """A pipe whose writer is slow: every read hands over at most `step` bytes."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def read(self, size: int = -1) -> bytes:
        size = self.step if size < 0 else min(size, self.step)
        part, self.data = self.data[:size], self.data[size:]
        return part


@settings(max_examples=30, deadline=None)
@given(step=st.integers(1, 70_000), packed=st.booleans())
def test_a_stream_is_read_whole_once_its_head_given_back_in_front(step: int, packed: bool) -> None:
    """Standard input: the head read ahead to tell the format is neither lost nor read twice."""
    log = lines_at(range(T0, T0 + 900))  # over 64 KiB: the head is a part of it
    stream = StreamLog(Trickle(gzip.compress(log) if packed else log, step))  # type: ignore[arg-type]
    assert stream.open(head_only=True).read(1000) == log[:1000]
    assert b"".join(chunk.data for chunk in read_chunks(stream.open(), "-", 1 << 14)) == log


def test_a_stream_is_handed_out_whole_once_only() -> None:
    """A second reading would be the head alone: refused, so no line is counted twice."""
    log = lines_at(range(T0, T0 + 900))
    stream = StreamLog(Trickle(log, 5000))  # type: ignore[arg-type]
    assert stream.open().read() == log
    assert stream.open(head_only=True).read(100) == log[:100]  # looking is still fine
    with pytest.raises(InputError, match="standard input was read already"):
        stream.open()


def test_a_closed_standard_input_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    streams.standard_input.cache_clear()
    monkeypatch.setattr(streams.sys, "stdin", None)
    try:
        with pytest.raises(InputError, match=r"^-: standard input is closed$"):
            streams.standard_input()
    finally:
        streams.standard_input.cache_clear()
