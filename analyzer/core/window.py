"""The trimmed window: the requests of the last W + lateness seconds, and nothing older."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.formats.columns import seconds_of
from analyzer.formats.frames import concat_frames


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
