"""Concatenating request frames keeps categorical columns categorical."""

from __future__ import annotations

import pandas as pd

from analyzer.formats.clf import parse
from analyzer.formats.frames import concat_frames
from tests.conftest import clf_line

T0 = 1_764_300_000


def batch(second: int, paths: list[str]) -> pd.DataFrame:
    """One parsed frame with a line per path, all at `second`."""
    return parse(b"".join(clf_line(second, path=path) for path in paths)).frame


def test_concat_keeps_categoricals_with_different_categories() -> None:
    """Frames with different categories concatenate into categorical columns, rows in order."""
    merged = concat_frames([batch(T0, ["/a/1"]), batch(T0 + 1, ["/b/2", "/a/1"])])
    assert isinstance(merged["path"].dtype, pd.CategoricalDtype)
    assert merged["path"].tolist() == ["/a/1", "/b/2", "/a/1"]
    assert merged["section"].tolist() == ["/a", "/b", "/a"]
