"""Shared fixtures: the real logs beside the repository, and small builders of log lines."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule, Transition
from analyzer.core.engine import Engine
from analyzer.formats.clf import parse

REPO = Path(__file__).resolve().parents[1]
SHARED_LOGS = REPO.parent / "shared" / "logs"
SAMPLE_LOG = REPO / "data" / "sample_logs" / "access.log"

# Subprocesses (`python -m analyzer`) run this checkout's package, wherever the editable install
# points: a second worktree of the repository tests its own code, not the install's.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

# No per-example deadline: a time limit is not what these tests assert, and a loaded machine
# (CI's neighbours, a parallel run) made examples fail on the clock alone (flaky, 252 ms > 200 ms).
settings.register_profile("analyzer", deadline=None)
settings.load_profile("analyzer")


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


LIVE_T0 = 1_764_300_000


@st.composite
def arriving_traffic(draw: st.DrawFn, rate_max: int = 8) -> tuple[list[int], list[float], list[float]]:
    """Event seconds in bursts and gaps, in arrival order (each within 3 s), and tick gaps."""
    seconds: list[int] = []
    t = LIVE_T0
    for _ in range(draw(st.integers(1, 6))):
        t += draw(st.integers(0, 40))  # a gap
        length = draw(st.integers(1, 20))
        rate = draw(st.integers(0, rate_max))
        seconds += [s for s in range(t, t + length) for _ in range(rate)]
        t += length
    if not seconds:
        seconds = [LIVE_T0]
    delays = draw(st.lists(st.floats(0, 3), min_size=len(seconds), max_size=len(seconds)))
    arrival = [s + d for s, d in zip(seconds, delays, strict=True)]
    order = np.argsort(arrival, kind="stable")  # lines appear in the log in arrival order
    gaps = draw(st.lists(st.floats(0.2, 15), min_size=1, max_size=40))
    return [seconds[i] for i in order], [arrival[i] for i in order], gaps


def run_live(
    seconds: list[int], arrivals: list[float], gaps: list[float], rule: AlertRule, lateness: int = 3
) -> tuple[list[Transition], Engine]:
    """Feed lines to an engine as they arrive, ticking a fake clock by `gaps` (cycled),
    until the horizon passes the last event second; the transitions found on the way."""
    engine = Engine(rule, lateness=lateness)
    now = float(LIVE_T0)
    engine.evaluate(now)
    live: list[Transition] = []
    fed, step, last = 0, 0, max(seconds)
    while engine.evaluated_to is None or engine.evaluated_to < last:
        now += gaps[step % len(gaps)]
        step += 1
        arrived = fed
        while arrived < len(seconds) and arrivals[arrived] <= now:
            arrived += 1
        if arrived > fed:
            engine.ingest(parse(lines_at(seconds[fed:arrived])))
            fed = arrived
        live += engine.evaluate(now)
    return live, engine


def mutate(draw: st.DrawFn, data: bytes, edits: int = 6) -> bytes:
    """`data` with up to `edits` random byte deletions, insertions and replacements."""
    mutable = bytearray(data)
    for _ in range(draw(st.integers(0, edits))):
        at = draw(st.integers(0, len(mutable)))
        chunk = draw(st.binary(min_size=1, max_size=4))
        kind = draw(st.sampled_from(["delete", "insert", "replace"]))
        if kind == "delete":
            del mutable[at : at + len(chunk)]
        elif kind == "insert":
            mutable[at:at] = chunk
        else:
            mutable[at : at + len(chunk)] = chunk
    return bytes(mutable)


# An IIS log whose layout has no sc-bytes: its requests have no size (n/a), not 0 B.
NO_BYTES_LOG = (
    b"#Fields: date time cs-method cs-uri-stem sc-status\n"
    b"2025-11-28 03:10:01 GET /a/x 200\n2025-11-28 03:10:02 GET /a/y 404\n"
)
