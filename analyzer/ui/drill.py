"""The drill-down page and the filtered report: pure, every log text escaped.

A section opens on its paths in the window (the window's busiest paths that begin with it:
heavy hitters, exact-ish), then, from the focus counted since it was opened (`core.focus`),
its hosts, status classes and user agents; a host on its sections, paths and agents; a
status class on its paths. A filter shows every panel, the chart and the summary from the
focus: `focused_report` puts its counts in the report's place.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analyzer.core.engine import Report
from analyzer.core.focus import Focused
from analyzer.core.stats import STATUS_CLASSES, Summary
from analyzer.ui.cells import Line, Span, clip, clip_line, pad
from analyzer.ui.display import Status
from analyzer.ui.lens import Lens
from analyzer.ui.text import printable
from analyzer.ui.words import Stamp

COLUMN = 15
UNLIMITED = 1 << 16


def focus_of(status: Status | None, lens: Lens) -> Focused | None:
    """The focus the monitor counted for this lens (None: none, or not yet this one's)."""
    focus = status.focus if status is not None else None
    return focus if focus is not None and lens.terms and focus.words == lens.words else None


def focused_report(report: Report | None, focused: Focused | None) -> Report | None:
    """The report with the focus's counts in place of the whole traffic's."""
    if report is None or focused is None:
        return report
    per_second = focused.per_second
    return replace(
        report, interval=focused.interval, window=focused.window, per_second=per_second, rises=focused.rises
    )


def lens_line(lens: Lens, focused: Focused | None, stamp: Stamp, width: int, text: str) -> Line:
    """The filter (or the prompt, or the error) and since when its counts run."""
    if lens.terms and lens.typed is None and not lens.error:
        text += (" · " if text else "") + (
            f"counted since {stamp(focused.since)}" if focused else "counted from the next second"
        )
    return (Span(clip(text, width), "warning" if lens.error else "heading"),)


def _rows(heading: str, series: pd.Series, total: int, width: int, top: int) -> list[Line]:
    name_width = max(1, width - COLUMN)
    lines: list[Line] = [(Span(pad(heading, name_width) + pad("hits share", COLUMN, right=True), "heading"),)]
    names, hits = series.index.tolist()[:top], series.to_numpy().tolist()[:top]
    for name, count in zip(names, hits, strict=True):
        share = f"{int(count):,} {int(count) / total:6.1%}" if total else f"{int(count):,}"
        lines.append(
            (Span(pad(printable(name, UNLIMITED), name_width)), Span(pad(share, COLUMN, right=True)))
        )
    if not names:
        lines.append((Span("(no requests)", "dim"),))
    return [*lines, ()]


def under(paths: pd.Series, section: str) -> pd.Series:
    """The paths of `section` among `paths` (a path begins with its section)."""
    text = pd.Series(paths.index.astype(str), dtype=object)
    prefix = section.rstrip("/") + "/"
    mine = (text == section) | (text.str.startswith(prefix) if section != "/" else False)
    return paths[np.asarray(mine, bool)]


def _classes(summary: Summary) -> pd.Series:
    return pd.Series({name: summary.status_counts[name] for name in STATUS_CLASSES}, dtype=np.int64)


def drill_lines(
    report: Report, focused: Focused | None, lens: Lens, width: int, top: int, stamp: Stamp
) -> list[Line]:
    """The page of the row opened: what the window knows of it, then what the focus counted."""
    assert lens.drill is not None
    kind, name = lens.drill
    since = f"since {stamp(focused.since)}" if focused else "from the next second"
    title = f"{kind} {printable(name, UNLIMITED)}: Esc back"
    lines: list[Line] = [(Span(clip(title, width), "tab"),)]
    whole = report.window
    if kind == "section" and not lens.filter:
        hits = int(_of(whole.sections, name))
        paths = under(whole.paths, name)
        lines += _rows(f"path, last {whole.seconds} s (busiest paths)", paths, hits, width, top)
    if kind == "status" and name in ("4xx", "5xx") and not lens.filter:
        paths = whole.paths_4xx if name == "4xx" else whole.paths_5xx
        lines += _rows(
            f"path answered {name}, last {whole.seconds} s", paths, whole.status_counts[name], width, top
        )
    if focused is None:
        lines.append((Span(clip(f"hosts, statuses and agents of it are counted {since}", width), "dim"),))
        return [clip_line(line, width) for line in lines]
    mine = focused.window
    tables: tuple[tuple[str, pd.Series], ...] = {
        "section": (
            ("client host", mine.hosts),
            ("status class", _classes(mine)),
            ("user agent", mine.agents),
        ),
        "host": (("section", mine.sections), ("path", mine.paths), ("user agent", mine.agents)),
        "status": (("path", mine.paths), ("section", mine.sections), ("client host", mine.hosts)),
    }[kind]
    if kind == "section" and lens.filter:
        tables = (("path", mine.paths), *tables)
    for heading, series in tables:
        lines += _rows(f"{heading}, {since}", series, mine.requests, width, top)
    return [clip_line(line, width) for line in lines]


def _of(series: pd.Series, name: str) -> int:
    found = series[series.index.astype(str) == name]
    return int(found.sum()) if len(found) else 0
