"""The chart: the window's seconds as columns of mean rates, bars over the threshold marked."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analyzer.ui.cells import line_width, plain
from analyzer.ui.chart import BLOCKS, chart, columns, number
from tests.ui.conftest import line_cells


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (7, "7"), (2.5, "2.5"), (37.6, "38"), (1234, "1.2k"), (250_000, "250k")]
)
def test_numbers_are_short(value: float, text: str) -> None:
    assert number(value) == text


@given(arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 1000)), st.integers(1, 200))
def test_columns_keep_the_mean_rate(per_second: np.ndarray, count: int) -> None:
    """Each column is a mean over whole seconds: averaged back, the columns give the window's rate."""
    values = columns(per_second, count)
    assert len(values) == count
    assert values.min() >= per_second.min() and values.max() <= per_second.max()
    if len(per_second) >= count:
        edges = (np.arange(count + 1) * len(per_second)) // count
        assert np.isclose((values * np.diff(edges)).sum(), per_second.sum())


def test_a_second_over_the_threshold_is_a_marked_bar_above_the_line() -> None:
    per_second = np.array([1] * 5 + [30] * 5)  # 10 s: quiet, then a burst over the threshold of 10
    rows = chart(per_second, 10, 40, 6, 10, "08:00:09")
    assert len(rows) == 6 and all(line_width(row) <= 40 for row in rows)
    texts = [plain(row) for row in rows]
    assert texts[0].startswith("30┤") and "req/s, 10 s to 08:00:09 ─" in texts[-1]  # what the bars cover
    line = next(row for row in rows if plain(row).startswith("10┤"))
    assert any(span.style == "threshold" and "─" in span.text for span in line)
    over = [span for row in rows for span in row if span.style == "over"]
    assert over and all(set(span.text) <= set(BLOCKS) for span in over)
    assert "█" * 10 in texts[0]  # the burst reaches the top row, over the right half
    quiet_top = texts[0][3:][:10]
    assert quiet_top.strip() == ""  # the quiet seconds do not


def test_no_traffic_draws_only_the_threshold_line() -> None:
    rows = chart(np.zeros(120, np.int64), 10, 80, 5, 120)
    bars = "".join(plain(row)[3:] for row in rows[:-1])
    assert set(bars) <= {" ", "─"} and "─" in bars


@given(
    arrays(np.int64, st.integers(0, 200), elements=st.integers(0, 10**6)),
    st.floats(0.01, 1e5),
    st.integers(0, 200),
    st.integers(0, 15),
)
def test_the_chart_fits_its_box(per_second: np.ndarray, threshold: float, width: int, height: int) -> None:
    rows = chart(per_second, threshold, width, height, len(per_second))
    assert len(rows) == (height if width > 0 else 0)
    assert all(line_cells(row) <= width for row in rows)
