"""The outputs' time format: ISO 8601 UTC to the second, both ways."""

from __future__ import annotations

import pytest

from analyzer.core.times import iso_utc, parse_iso_utc


@pytest.mark.parametrize(
    ("second", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_764_299_405, "2025-11-28T03:10:05Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ],
)
def test_iso_utc_round_trips(second: int, text: str) -> None:
    assert iso_utc(second) == text
    assert parse_iso_utc(text) == second


def test_parse_iso_utc_refuses_other_shapes() -> None:
    with pytest.raises(ValueError):
        parse_iso_utc("2025-11-28 03:10:05")
