"""Write data/sample_logs/access.log: 6 minutes of Combined traffic whose burst alerts and recovers.

    python benchmarks/make_sample_log.py [OUT]

Reproducible (fixed seed and end time 2026-11-28T03:00:00Z): 4 req/s on average, with a
burst of 20 req/s from minute 1 for 90 s. Then it checks the file the way the alert contract
reads it: hits per second (numpy over analyzer.parse.parse), the 120 s window sum, and the
stretch where it exceeds 10 req/s * 120 s = 1200, which must be one contiguous run that falls
back before the end; it prints when the alert fires and recovers with the default settings.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from analyzer.formats.clf import parse, seconds_of
from analyzer.generate import Burst, backfill

OUT = Path(__file__).resolve().parent.parent / "data" / "sample_logs" / "access.log"
END = int(datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC).timestamp())
SECONDS = 360
BASE_RATE = 4.0
BURST = Burst(start=60, duration=90, rate=20)
SEED = 7
THRESHOLD, WINDOW = 10, 120  # the monitor's defaults


def iso(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_stretch(data: bytes) -> tuple[int, int, int, int]:
    """Lines, first second of the alert, first second after it, and the peak window sum."""
    parsed = parse(data)
    if parsed.rejected:
        raise SystemExit(f"{parsed.rejected} lines rejected: {parsed.reject_samples}")
    seconds = seconds_of(parsed.frame)
    first, last = int(seconds.min()), int(seconds.max())
    counts = np.bincount(seconds - first, minlength=last - first + 1)
    # window_hits(t): requests in (t - W, t]; the alert is on while it is > threshold * W.
    window = np.convolve(counts, np.ones(WINDOW, np.int64))[: len(counts)]
    on = np.flatnonzero(window > THRESHOLD * WINDOW)
    if len(on) == 0:
        raise SystemExit(f"no alert: the peak window sum is {window.max()}")
    if on[-1] - on[0] + 1 != len(on) or on[-1] == len(counts) - 1:
        raise SystemExit("the alert stretch is not one run that ends before the log does")
    return parsed.lines, first + int(on[0]), first + int(on[-1]) + 1, int(window.max())


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # backfill appends
    backfill(str(out), BASE_RATE, SECONDS, END, (BURST,), seed=SEED)
    data = out.read_bytes()
    lines, fired, recovered, peak = alert_stretch(data)
    print(f"wrote {out}: {lines} lines, {len(data) / 1e3:.0f} kB, {iso(END - SECONDS)} .. {iso(END - 1)}")
    print(f"burst {BURST.rate:g} req/s from {iso(END - SECONDS + int(BURST.start))} for {BURST.duration:g} s")
    print(
        f"alert (> {THRESHOLD * WINDOW} hits in {WINDOW} s) fires at {iso(fired)},"
        f" recovers at {iso(recovered)}; peak {peak} hits = {peak / WINDOW:.2f} req/s"
    )


if __name__ == "__main__":
    main()
