"""Sections: what comes before the second `/` of a path.

`/pages/create` -> `/pages`, `/pages/` -> `/pages`, `/` -> `/`, and an absolute URL keeps its
scheme and host: `http://my.site.com/pages/create` -> `http://my.site.com/pages`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analyzer.formats.compiled import sections


def section_of(path: str | None) -> str | None:
    """The section of one path, or None when the path has none (`*`, empty, garbage)."""
    result = sections_of(pd.Categorical([path]))
    return None if bool(result.isna()[0]) else str(result[0])


def sections_of(paths: pd.Categorical) -> pd.Categorical:
    """Sections of many paths, computed once per distinct path."""
    categories = pa.array(list(paths.categories), pa.string())
    section_codes, sections = pd.factorize(pd.Series(section_values(categories).to_pandas(), dtype=object))
    # Map each row's path code to its section code; -1 (no path) stays missing.
    lookup = np.append(section_codes, -1)
    return pd.Categorical.from_codes(lookup[paths.codes], categories=pd.Index(sections, dtype=object))


def section_values(paths: pa.Array) -> pa.Array:
    """The section of each path (null where it has none), one pass over the array."""
    return sections(paths)
