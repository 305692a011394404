"""The columns the monitor keeps of each request, compact: integer seconds and dictionary codes.

A parsed frame has a categorical column per text field, with categories of its own; the
monitor keeps only what its statistics need, as small integer arrays whose codes index one
`Vocabulary` per field shared by every batch, so batches add up without merging strings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import repeat

import numpy as np
import pandas as pd

from analyzer.core.heavy import KEEP, OPEN, flood_cut
from analyzer.formats.columns import seconds_of

# The text columns the statistics count (a format without one has it all missing).
TEXT = ("section", "host", "method", "user_agent", "referer", "path")
# Those a flood of new values is cut from in each batch before the values are looked up
# (`heavy.flood_cut`): not sections, whose rows the section rules count exactly.
CUT = ("host", "user_agent", "referer", "path")


class Vocabulary:
    """The distinct values of one text column, each with a code that stays until compacted."""

    def __init__(self) -> None:
        self._code_of: dict[object, int] = {}
        self._values: list[object] = []
        self._index: pd.Index | None = pd.Index([], dtype=object)
        self.looked_at = 0  # its size when `window.forget_unused` last looked for unused values

    def __len__(self) -> int:
        return len(self._values)

    @property
    def values(self) -> pd.Index:
        """Value of each code (built once per change)."""
        if self._index is None:
            self._index = pd.Index(self._values, dtype=object)
        return self._index

    def codes(self, categories: pd.Index) -> np.ndarray:
        """The code of each category, new ones added: one hash lookup per distinct value."""
        wanted = categories.to_numpy(dtype=object)
        # The dict, not a pandas hash table of `values`: that would be built again after every
        # batch bringing a new value, a pass over the whole vocabulary (a flood: every batch).
        found = np.fromiter(map(self._code_of.get, wanted, repeat(-1)), np.int64, len(wanted))
        new = np.flatnonzero(found < 0)
        if len(new):
            start = len(self._values)
            found[new] = np.arange(start, start + len(new))
            added = wanted[new].tolist()
            self._values += added
            self._code_of.update(zip(added, range(start, start + len(new)), strict=True))
            self._index = None
        return found

    def compact(self, used: np.ndarray) -> np.ndarray:
        """Keep only the `used` codes; returns old code -> new code (-1: dropped)."""
        mapping = np.full(len(self._values) + 1, -1, np.int64)  # the extra slot maps -1 to -1
        mapping[used] = np.arange(len(used))
        self._values = [self._values[code] for code in used.tolist()]
        self._code_of = {value: code for code, value in enumerate(self._values)}
        self._index = None
        self.looked_at = len(used)
        return mapping


@dataclass
class Rows:
    """Requests as compact columns (codes -1: missing; duration NaN: none)."""

    seconds: np.ndarray  # int64 UTC epoch seconds
    section: np.ndarray  # int32 codes (-1 missing; heavy.DROPPED and under: cut from a flood)
    host: np.ndarray
    method: np.ndarray
    user_agent: np.ndarray
    referer: np.ndarray
    path: np.ndarray
    status: np.ndarray  # int16
    bytes: np.ndarray  # int64
    duration: np.ndarray  # float64 seconds

    def __len__(self) -> int:
        return len(self.seconds)

    @classmethod
    def empty(cls) -> Rows:
        return cls(*(np.zeros(0, dtype) for dtype in _DTYPES))

    @classmethod
    def concat(cls, parts: list[Rows]) -> Rows:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def take(self, mask: np.ndarray) -> Rows:
        """The rows where `mask` holds."""
        return Rows(*(getattr(self, f.name)[mask] for f in fields(self)))

    def remap(self, column: str, mapping: np.ndarray) -> None:
        """New codes for one text column after its vocabulary was compacted."""
        codes = getattr(self, column)
        setattr(self, column, np.where(codes >= 0, mapping[codes], codes).astype(np.int32))


_DTYPES = (np.int64, *(np.int32 for _ in TEXT), np.int16, np.int64, np.float64)


def compact(frame: pd.DataFrame, vocabularies: dict[str, Vocabulary]) -> Rows:
    """The compact columns of a request frame; a column the format lacks is all missing."""
    n = len(frame)
    seconds = seconds_of(frame)
    codes: dict[str, np.ndarray] = {}
    for name in TEXT:
        if name in frame and isinstance(frame[name].dtype, pd.CategoricalDtype) and n:
            values = frame[name].array
            categories, own = values.categories, None
            if name in CUT and len(categories) > OPEN * KEEP:  # a flood, maybe: cut it first
                own = flood_cut(seconds, values.codes.astype(np.int32))
            if own is None:  # nothing cut: every category is looked up
                codes[name] = np.append(vocabularies[name].codes(categories), -1)[values.codes].astype(
                    np.int32
                )
                continue
            wanted = np.zeros(len(categories), bool)
            wanted[own[own >= 0]] = True
            lookup = np.full(len(categories), -1, np.int64)
            lookup[wanted] = vocabularies[name].codes(categories[wanted])
            # Missing (-1) and dropped rows (heavy.DROPPED and under) keep their codes.
            codes[name] = np.where(own >= 0, lookup[np.maximum(own, 0)], own).astype(np.int32)
        else:
            codes[name] = np.full(n, -1, np.int32)
    duration = (
        frame["duration"].to_numpy(np.float64, na_value=np.nan) if "duration" in frame else np.full(n, np.nan)
    )
    return Rows(
        seconds=seconds,
        **codes,
        status=frame["status"].to_numpy().astype(np.int16, copy=False),
        bytes=frame["bytes"].to_numpy().astype(np.int64, copy=False),
        duration=np.asarray(duration, np.float64),
    )
