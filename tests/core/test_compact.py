"""Compact columns: codes shared across batches, missing columns missing, vocabularies compacted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.core.compact import TEXT, Rows, Vocabulary, compact
from analyzer.formats.clf import parse
from analyzer.formats.parsers import make_parser
from tests.conftest import clf_line

T0 = 1_764_300_000


def test_codes_are_shared_by_every_batch() -> None:
    vocabularies = {name: Vocabulary() for name in TEXT}
    first = compact(parse(clf_line(T0, "/a/x") + clf_line(T0, "/b/x")).frame, vocabularies)
    second = compact(parse(clf_line(T0 + 1, "/b/y") + clf_line(T0 + 1, "/c")).frame, vocabularies)
    sections = vocabularies["section"].values
    assert [sections[c] for c in first.section] == ["/a", "/b"]
    assert [sections[c] for c in second.section] == ["/b", "/c"]
    assert first.seconds.tolist() == [T0, T0] and second.status.dtype == np.int16
    merged = Rows.concat([first, second])
    assert len(merged) == 4 and merged.section.tolist() == [0, 1, 1, 2]


def test_a_garbage_request_has_no_section_and_a_format_without_method_none_at_all() -> None:
    vocabularies = {name: Vocabulary() for name in TEXT}
    line = b'1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "-" 408 - "-" "-"\n'
    rows = compact(parse(line).frame, vocabularies)
    assert rows.section.tolist() == [-1] and rows.method.tolist() == [-1] and rows.bytes.tolist() == [0]
    custom = make_parser("auto", "%h %t %>s %b %D").parse(
        b"1.2.3.4 [10/Oct/2000:13:55:36 -0700] 200 12 1500\n"
    )
    rows = compact(custom.frame, vocabularies)
    assert rows.method.tolist() == [-1] and rows.duration.tolist() == [0.0015]
    assert np.isnan(compact(parse(clf_line(T0)).frame, vocabularies).duration).all()


def test_compacting_a_vocabulary_keeps_the_used_codes_in_order() -> None:
    vocabulary = Vocabulary()
    codes = vocabulary.codes(pd.Index(["a", "b", "c", "d"], dtype=object))
    assert codes.tolist() == [0, 1, 2, 3]
    assert vocabulary.codes(pd.Index(["d", "e"], dtype=object)).tolist() == [3, 4]
    mapping = vocabulary.compact(np.array([1, 3]))
    assert list(vocabulary.values) == ["b", "d"]
    assert mapping[[0, 1, 2, 3, 4, -1]].tolist() == [-1, 0, -1, 1, -1, -1]
    rows = Rows.concat([Rows.empty(), Rows.empty()])
    rows.section = np.array([3, -1], np.int32)
    rows.remap("section", mapping)
    assert rows.section.tolist() == [1, -1]
