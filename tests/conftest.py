"""Shared fixtures: the real logs beside the repository, and small builders of log lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_LOGS = REPO.parent / "shared" / "logs"
SAMPLE_LOG = REPO / "data" / "sample_logs" / "access.log"


def shared_log(name: str) -> Path:
    """A real log from ../shared/logs, or skip: a clone outside the team does not have it."""
    path = SHARED_LOGS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the team's shared logs are beside the repository)")
    return path


def clf_line(
    second: int,
    path: str = "/pages/create",
    status: int = 200,
    size: int | str = 123,
    host: str = "10.0.0.1",
    method: str = "GET",
    offset: str = "+0000",
) -> bytes:
    """One Combined line for UTC epoch `second` (shown in the given offset's local time)."""
    sign = 1 if offset[0] == "+" else -1
    shift = sign * (int(offset[1:3]) * 3600 + int(offset[3:5]) * 60)
    local = datetime.fromtimestamp(second + shift, UTC).strftime("%d/%b/%Y:%H:%M:%S")
    return (
        f'{host} - - [{local} {offset}] "{method} {path} HTTP/1.1" {status} {size} "-" "test-agent"\n'
    ).encode()


def lines_at(seconds: list[int] | range) -> bytes:
    """One Combined line per listed second."""
    return b"".join(clf_line(second) for second in seconds)
