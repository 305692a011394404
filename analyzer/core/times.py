"""Times as every output writes them: ISO 8601 UTC to the second (`2026-11-28T03:10:05Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(second: int) -> str:
    """`2026-11-28T03:10:05Z`: the CSVs' time format."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
