"""Write data/sample_logs/access.log: an hour of Combined traffic with two bursts, one alert.

    python benchmarks/make_sample_log.py [OUT]

Deterministic (seed 7; 2026-11-28 02:00:00Z to 03:00:00Z, UTC): ordinary traffic at 2.5 req/s
(`analyzer.generate.ORDINARY`), and on top of it

- a newsletter at 02:14 for 3 minutes: readers sent to /blog, /news and their assets, 6.5
  req/s more (about 9 req/s in all), so the 2-minute average peaks just under the default
  threshold (10 req/s) and no alert fires;
- a login flood at 02:38 for 4 minutes: six hosts of 203.0.113.0/24 hammering /wp-login.php,
  /login and /admin (mostly POST, 401/403/404/429/503, short error pages), 13.5 req/s more
  (about 16 in all): the alert fires and recovers. The overloaded server's writer cut a few
  of its lines short: they are rejected (unclosed quote, missing fields...), as a real log's
  would be.

Then it checks the file the way the alert contract reads it: hits per second (numpy over
`analyzer.parse`), the 120 s window sum, and the stretch where it exceeds 10 req/s * 120 s =
1200, which must be one run that falls back before the end, with the newsletter's peak
between 9 and 10 req/s. It prints the lines, the size and when the alert fires and recovers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from analyzer import parse
from analyzer.formats.clf import seconds_of
from analyzer.generate import ORDINARY, Mix, lines_for_second

OUT = Path(__file__).resolve().parent.parent / "data" / "sample_logs" / "access.log"
END = int(datetime(2026, 11, 28, 3, 0, 0, tzinfo=UTC).timestamp())
SECONDS = 3600
BASE_RATE = 2.5
SEED = 7
THRESHOLD, WINDOW = 10, 120  # the monitor's defaults
CUT_SHARE = 0.006  # of the flood's lines, cut short by the writer


@dataclass(frozen=True)
class Event:
    """`rate` req/s more, drawn from `mix`, from `start` seconds into the log for `duration`."""

    name: str
    start: int
    duration: int
    rate: float
    mix: Mix
    cut: float = 0.0  # share of its lines the writer cuts short

    def active(self, offset: int) -> bool:
        return self.start <= offset < self.start + self.duration


NEWSLETTER = Event(
    "newsletter",
    14 * 60,
    180,
    6.5,
    Mix(
        sections=("/blog", "/news", "/static", "/images"),
        section_weights=(0.45, 0.2, 0.2, 0.15),
        methods=("GET",),
        method_weights=(1.0,),
        statuses=(200, 304, 404),
        status_weights=(0.88, 0.1, 0.02),
        referers=("https://newsletter.example.com/2026-11-28",),
    ),
)
FLOOD = Event(
    "login flood",
    38 * 60,
    240,
    13.5,
    Mix(
        sections=("/wp-login.php", "/login", "/admin"),
        section_weights=(0.55, 0.3, 0.15),
        leaves=("",),
        hosts=tuple(f"203.0.113.{n}" for n in (7, 12, 19, 44, 45, 101)),
        methods=("POST", "GET"),
        method_weights=(0.8, 0.2),
        statuses=(401, 403, 404, 429, 503),
        status_weights=(0.4, 0.15, 0.2, 0.15, 0.1),
        agents=("python-requests/2.32.3", "Mozilla/5.0 zgrab/0.x"),
        referers=("-",),
        log_size=(6.2, 0.4),  # short error pages: about 500 bytes
    ),
    cut=CUT_SHARE,
)
EVENTS = (NEWSLETTER, FLOOD)


def iso(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cut_short(rng: np.random.Generator, data: bytes, share: float) -> tuple[bytes, int]:
    """Cut about `share` of the lines in `data` at a random byte before the request's end
    (what is left cannot pass for a shorter request), keeping their newline."""
    lines = data.splitlines(keepends=True)
    cut = np.flatnonzero(rng.random(len(lines)) < share)
    for i in cut:
        lines[i] = lines[i][: int(rng.integers(8, lines[i].index(b' HTTP/1.1"')))] + b"\n"
    return b"".join(lines), len(cut)


def traffic(rng: np.random.Generator) -> tuple[bytes, int]:
    """The whole log, second by second, and how many lines were cut short."""
    out, cut = [], 0
    for offset in range(SECONDS):
        second = END - SECONDS + offset
        out.append(lines_for_second(rng, int(rng.poisson(BASE_RATE)), second, ORDINARY))
        for event in EVENTS:
            if event.active(offset):
                extra = lines_for_second(rng, int(rng.poisson(event.rate)), second, event.mix)
                extra, damaged = cut_short(rng, extra, event.cut)
                out.append(extra)
                cut += damaged
    return b"".join(out), cut


def window_sums(data: bytes) -> tuple[int, int, int, np.ndarray]:
    """Lines, rejected, the first second and the 120 s window sum at every second."""
    parsed = parse(data)
    seconds = seconds_of(parsed.frame)
    first, last = int(seconds.min()), int(seconds.max())
    counts = np.bincount(seconds - first, minlength=last - first + 1)
    # window_hits(t): requests in (t - W, t]; the alert is on while it is > threshold * W.
    return parsed.lines, parsed.rejected, first, np.convolve(counts, np.ones(WINDOW, np.int64))[: len(counts)]


def check(data: bytes, cut: int) -> str:
    """What the log shows, or SystemExit when it does not tell the story it should."""
    lines, rejected, first, window = window_sums(data)
    if rejected != cut:
        raise SystemExit(f"{rejected} lines rejected, {cut} cut short")
    on = np.flatnonzero(window > THRESHOLD * WINDOW)
    if len(on) == 0 or on[-1] - on[0] + 1 != len(on) or on[-1] == len(window) - 1:
        raise SystemExit("the alert stretch is not one run that ends before the log does")
    start = END - SECONDS - first + NEWSLETTER.start
    newsletter_peak = window[start : start + NEWSLETTER.duration + WINDOW].max() / WINDOW
    if not 9 <= newsletter_peak <= THRESHOLD:
        raise SystemExit(f"the newsletter's peak average is {newsletter_peak:.2f} req/s, not just under 10")
    return (
        f"{lines} lines ({rejected} rejected), {len(data) / 1e6:.2f} MB, "
        f"{iso(END - SECONDS)} .. {iso(END - 1)}\n"
        f"newsletter from {iso(END - SECONDS + NEWSLETTER.start)}: peak average {newsletter_peak:.2f} req/s\n"
        f"login flood from {iso(END - SECONDS + FLOOD.start)}: the alert (> {THRESHOLD * WINDOW} hits in "
        f"{WINDOW} s) fires at {iso(first + int(on[0]))}, recovers at {iso(first + int(on[-1]) + 1)}; "
        f"peak {window.max() / WINDOW:.2f} req/s"
    )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    data, cut = traffic(np.random.default_rng(SEED))
    summary = check(data, cut)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"wrote {out}: {summary}")


if __name__ == "__main__":
    main()
