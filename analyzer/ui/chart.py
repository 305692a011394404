"""Requests per second over the window as a bar chart with the threshold line: pure.

Block characters give 8 levels a row. Each column is the mean rate of the seconds it covers
(the threshold is a mean rate too, so a column over the line is a stretch over it); a window
narrower than the chart gets wider bars. Bars over the threshold have their own style.
"""

from __future__ import annotations

import math

import numpy as np

from analyzer.ui.cells import Line, Span

BLOCKS = " ▁▂▃▄▅▆▇█"
LEVELS = len(BLOCKS) - 1


def number(value: float) -> str:
    """A rate in at most 5 characters: 7, 2.5, 38, 1.2k."""
    if value >= 1000:
        return f"{value / 1000:.1f}k" if value < 99_950 else f"{value / 1000:.0f}k"
    if value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def columns(per_second: np.ndarray, count: int) -> np.ndarray:
    """The mean rate of each of `count` runs of seconds (a second spread over several columns
    when there are fewer seconds than columns)."""
    values = np.asarray(per_second, dtype=np.float64)
    if len(values) == 0 or count <= 0:
        return np.zeros(max(count, 0))
    if len(values) <= count:  # each second over one or more whole columns, filling the width
        return values[(np.arange(count) * len(values)) // count]
    edges = (np.arange(count + 1) * len(values)) // count
    return np.add.reduceat(values, edges[:-1]) / np.diff(edges)


def chart(
    per_second: np.ndarray, threshold: float, width: int, height: int, window: int, end: str = ""
) -> list[Line]:
    """`height` rows of at most `width` cells: bars over an axis labelled with the scale and
    the seconds the bars cover (`end`: the last one, as the screen writes times)."""
    if height <= 0 or width <= 0:
        return []
    bar_rows = height - 1 if height >= 3 else height
    peak = float(np.max(per_second)) if len(per_second) else 0.0
    top = max(peak, threshold * 1.25, 1.0)
    labels = {bar_rows - 1: number(top), _threshold_row(threshold, top, bar_rows): number(threshold)}
    label_width = max(len(text) for text in labels.values()) if width >= 20 else 0
    values = columns(per_second, width - label_width - (1 if label_width else 0))
    eighths = np.ceil(values / top * bar_rows * LEVELS).astype(np.int64)
    over = values > threshold
    line_row = _threshold_row(threshold, top, bar_rows)
    lines: list[Line] = []
    for row in range(bar_rows - 1, -1, -1):  # top row first
        fill = np.clip(eighths - row * LEVELS, 0, LEVELS)
        spans: list[Span] = []
        if label_width:
            axis = "┤" if row in labels else "│"
            style = "threshold" if row == line_row else "axis"
            spans += [Span(labels.get(row, "").rjust(label_width) + axis, style)]
        spans += _bars(fill, over, row == line_row)
        lines.append(tuple(spans))
    if height >= 3:
        caption = f" req/s, {window} s to {end} " if end else f" req/s, last {window} s "
        corner = " " * label_width + ("└" if label_width else "") + "─"
        axis_line = corner + caption + "─" * max(0, width - len(corner) - len(caption))
        lines.append((Span(axis_line[:width], "axis"),))
    return lines


def _threshold_row(threshold: float, top: float, rows: int) -> int:
    """The row (from the bottom) the threshold line is drawn in."""
    return min(rows - 1, max(0, math.ceil(threshold / top * rows) - 1))


def _bars(fill: np.ndarray, over: np.ndarray, threshold_row: bool) -> list[Span]:
    """One row of bars as spans of one style each (runs of the same style merged)."""
    cells = np.array(list(BLOCKS))[fill]
    if threshold_row:
        cells = np.where(fill == 0, "─", cells)
    styles = np.where(over, "over", "bar")
    if threshold_row:
        styles = np.where(fill == 0, "threshold", styles)
    spans: list[Span] = []
    start = 0
    for at in range(1, len(cells) + 1):
        if at == len(cells) or styles[at] != styles[start]:
            spans.append(Span("".join(cells[start:at]), str(styles[start])))
            start = at
    return spans
