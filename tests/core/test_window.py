"""The trimmed window: trimming forgets, memory stays bounded."""

from __future__ import annotations

import pandas as pd

from analyzer.core.window import Window
from analyzer.formats.clf import empty_frame, parse
from tests.conftest import clf_line

T0 = 1_764_300_000


def batch(second: int, paths: list[str]) -> pd.DataFrame:
    """One parsed frame with a line per path, all at `second`."""
    return parse(b"".join(clf_line(second, path=path) for path in paths)).frame


def test_trim_forgets_seconds_at_or_before_the_cut() -> None:
    """Requests at or before `keep_after` leave the window; later ones stay."""
    window = Window(empty_frame())
    for offset in range(5):
        window.add(batch(T0 + offset, [f"/s/{offset}"]))
    window.trim(keep_after=T0 + 2)
    assert sorted(window.seconds().tolist()) == [T0 + 3, T0 + 4]
    assert window.frame(after=T0 + 3)["path"].tolist() == ["/s/4"]


def test_a_scan_of_random_paths_does_not_grow_the_categories() -> None:
    """Paths that left the window leave the merged frame's categories too."""
    window = Window(empty_frame())
    for offset in range(200):
        window.add(batch(T0 + offset, [f"/scan{offset}-{i}/x" for i in range(20)]))
        window.trim(keep_after=T0 + offset - 10)
        merged = window.frame()
    assert len(merged) == 10 * 20  # seconds offset-9 .. offset
    assert len(merged["path"].cat.categories) == len(merged)  # every path distinct, none stale
