"""The trimmed window: the requests of the last W + lateness seconds, and nothing older."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from analyzer.formats.clf import seconds_of
from analyzer.formats.columns import COLUMNS


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate request frames keeping categorical columns categorical.

    Plain `pd.concat` turns categoricals with different categories into object columns,
    which would cost memory in proportion to the window.
    """
    frames = [frame for frame in frames if len(frame)] or frames[:1]
    if len(frames) == 1:
        return frames[0]
    columns: dict[str, object] = {}
    for name in _all_columns(frames):
        parts = _column_parts(frames, name)
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            merged = union_categoricals([part.array for part in parts])
            # pandas infers `str` categories for the union; keep object so later unions match.
            # Categories no row uses any more (paths of a scan that left the window) are
            # dropped, so a flood of distinct values cannot grow the window's memory.
            columns[name] = pd.Categorical.from_codes(
                merged.codes, categories=pd.Index(merged.categories, dtype=object)
            ).remove_unused_categories()
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns)


def _all_columns(frames: list[pd.DataFrame]) -> list[str]:
    """Every column of any frame, standard ones first, then extras in name order.

    Frames can differ (a W3C `#Fields:` change, files of different formats): a column one
    frame lacks is missing in its rows.
    """
    names = {name for frame in frames for name in frame.columns}
    return [name for name in COLUMNS if name in names] + sorted(names - set(COLUMNS))


def _column_parts(frames: list[pd.DataFrame], name: str) -> list[pd.Series]:
    """Column `name` of each frame; all missing where a frame lacks it."""
    template = next(frame[name] for frame in frames if name in frame)
    categorical = isinstance(template.dtype, pd.CategoricalDtype)
    parts = []
    for frame in frames:
        if name in frame:
            parts.append(frame[name])
        elif categorical:
            empty = pd.Index([], dtype=object)
            parts.append(pd.Series(pd.Categorical.from_codes(np.full(len(frame), -1), categories=empty)))
        else:
            parts.append(pd.Series(np.full(len(frame), np.nan)))
    return parts


class Window:
    """Requests kept for the alert check and the 2-minute statistics.

    Batches are appended as they arrive and merged lazily, so a tick costs the size of its
    batch, not of the window.
    """

    def __init__(self, empty: pd.DataFrame) -> None:
        self._frames: list[pd.DataFrame] = [empty]

    def add(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self._frames.append(frame)

    def __len__(self) -> int:
        return sum(len(frame) for frame in self._frames)

    def seconds(self) -> np.ndarray:
        """The event second of every request held."""
        return np.concatenate([seconds_of(frame) for frame in self._frames])

    def trim(self, keep_after: int) -> None:
        """Forget requests at or before second `keep_after`."""
        kept = []
        for frame in self._frames:
            seconds = seconds_of(frame)
            if len(frame) == 0 or seconds.max() <= keep_after:
                continue
            kept.append(frame if seconds.min() > keep_after else frame[seconds > keep_after])
        self._frames = kept or [self._frames[0].iloc[:0]]

    def frame(self, after: int | None = None) -> pd.DataFrame:
        """All requests held (merged once, then reused), or those after second `after`."""
        merged = concat_frames(self._frames)
        self._frames = [merged]
        if after is None:
            return merged
        return merged[seconds_of(merged) > after]
