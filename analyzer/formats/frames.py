"""Concatenating request frames: categorical columns stay categorical, missing columns are missing.

Shared by the W3C parser (layouts with different fields in one batch) and the live window
(batches of different files and formats), so it lives with the frame's columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

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
