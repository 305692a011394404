"""Realistic Combined traffic, written in real time, so anyone can watch the monitor work.

`lines_for_second` is pure (a random generator and a second in, bytes out); `generate` is the
shell that appends them to a file at the rate asked, with an injected clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

SECTIONS = (
    "/",
    "/pages",
    "/api",
    "/static",
    "/images",
    "/blog",
    "/search",
    "/login",
    "/account",
    "/cart",
    "/checkout",
    "/products",
    "/docs",
    "/help",
    "/news",
    "/about",
    "/feed",
    "/admin",
    "/wp-login.php",
    "/favicon.ico",
)
LEAVES = ("index", "create", "list", "view", "edit", "item", "logo.png", "app.js", "style.css", "42")
METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE")
METHOD_WEIGHTS = (0.82, 0.12, 0.03, 0.02, 0.01)
STATUSES = (200, 304, 301, 404, 403, 500, 502, 201)
STATUS_WEIGHTS = (0.78, 0.07, 0.03, 0.07, 0.01, 0.02, 0.01, 0.01)
AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "curl/8.5.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
REFERERS = ("-", "https://www.google.com/", "https://example.com/pages", "https://news.ycombinator.com/")
USERS = ("-",) * 18 + ("alice", "bob")


@dataclass(frozen=True)
class Burst:
    """From `start` seconds after the beginning, for `duration` seconds, `rate` req/s."""

    start: float
    duration: float
    rate: float

    @classmethod
    def parse(cls, text: str) -> Burst:
        """`START:DURATION:RATE`, e.g. `30:60:25`."""
        try:
            start, duration, rate = (float(part) for part in text.split(":"))
        except ValueError:
            raise ValueError(f"burst must be START:DURATION:RATE, got {text!r}") from None
        if start < 0 or duration <= 0 or rate < 0:
            raise ValueError(f"burst needs START >= 0, DURATION > 0, RATE >= 0, got {text!r}")
        return cls(start, duration, rate)


def rate_at(elapsed: float, base: float, bursts: tuple[Burst, ...]) -> float:
    """Requests per second asked for `elapsed` seconds after the start."""
    for burst in bursts:
        if burst.start <= elapsed < burst.start + burst.duration:
            return burst.rate
    return base


@dataclass(frozen=True)
class Mix:
    """Who sends the traffic and what it asks for; each weight tuple matches its values.

    The default is a site's ordinary traffic: Zipf-like sections, a long tail of 10.x.y.z
    clients. A narrower mix (a few hosts hammering a login page, a newsletter sending readers
    to the blog) is a burst with a cause, for an incident review to find.
    """

    sections: tuple[str, ...] = SECTIONS
    section_weights: tuple[float, ...] = ()  # empty: Zipf-like, the first section the busiest
    leaves: tuple[str, ...] = LEAVES  # the path under the section; "" asks for the section itself
    hosts: tuple[str, ...] = ()  # empty: a long tail of 10.x.y.z clients, a few of them busy
    methods: tuple[str, ...] = METHODS
    method_weights: tuple[float, ...] = METHOD_WEIGHTS
    statuses: tuple[int, ...] = STATUSES
    status_weights: tuple[float, ...] = STATUS_WEIGHTS
    agents: tuple[str, ...] = AGENTS
    referers: tuple[str, ...] = REFERERS
    log_size: tuple[float, float] = (8.0, 1.5)  # response bytes are log-normal: mean and sd of ln(bytes)

    def __post_init__(self) -> None:
        drawn = (self.sections, self.leaves, self.methods, self.statuses, self.agents, self.referers)
        if not all(drawn):
            raise ValueError("a mix needs at least one section, leaf, method, status, agent and referer")
        pairs = [(self.methods, self.method_weights), (self.statuses, self.status_weights)]
        if self.section_weights:
            pairs.append((self.sections, self.section_weights))
        if any(len(values) != len(weights) for values, weights in pairs):
            raise ValueError("a mix needs one weight per value")
        if any(min(weights) < 0 or sum(weights) <= 0 for _, weights in pairs):
            raise ValueError("a mix needs weights >= 0 and some weight > 0")


ORDINARY = Mix()


def _probabilities(weights: tuple[float, ...]) -> np.ndarray:
    array = np.asarray(weights, np.float64)
    return array / array.sum()


def lines_for_second(rng: np.random.Generator, count: int, second: int, mix: Mix = ORDINARY) -> bytes:
    """`count` Combined lines stamped with UTC epoch `second`, drawn from `mix`."""
    if count <= 0:
        return b""
    stamp = datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    # A few busy sections and a long tail, as real sites have (Zipf-like weights).
    section_weights = mix.section_weights or tuple(1.0 / np.arange(1, len(mix.sections) + 1) ** 1.1)
    sections = rng.choice(len(mix.sections), count, p=_probabilities(section_weights))
    leaves = rng.integers(0, len(mix.leaves), count)
    if mix.hosts:
        hosts = [mix.hosts[i] for i in rng.integers(0, len(mix.hosts), count)]
    else:
        tail = rng.zipf(1.3, count) % 5000
        hosts = [f"10.{h // 65536 % 256}.{h // 256 % 256}.{h % 256}" for h in tail]
    methods = rng.choice(len(mix.methods), count, p=_probabilities(mix.method_weights))
    statuses = rng.choice(len(mix.statuses), count, p=_probabilities(mix.status_weights))
    sizes = np.exp(rng.normal(*mix.log_size, count)).astype(np.int64)
    agents = rng.integers(0, len(mix.agents), count)
    referers = rng.integers(0, len(mix.referers), count)
    users = rng.integers(0, len(USERS), count)
    out = []
    for i in range(count):  # building text, not parsing: the rate is what a person asks for
        section, leaf = mix.sections[sections[i]], mix.leaves[leaves[i]]
        path = section if section == "/" or not leaf else f"{section}/{leaf}"
        out.append(
            f"{hosts[i]} - {USERS[users[i]]} [{stamp}] "
            f'"{mix.methods[methods[i]]} {path} HTTP/1.1" {mix.statuses[statuses[i]]} {sizes[i]} '
            f'"{mix.referers[referers[i]]}" "{mix.agents[agents[i]]}"\n'
        )
    return "".join(out).encode()


def generate(
    path: str,
    rate: float,
    duration: float | None,
    bursts: tuple[Burst, ...] = (),
    seed: int | None = None,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Append traffic to `path` second by second, in real time; returns the lines written."""
    rng = np.random.default_rng(seed)
    start = now()
    written = 0
    end = math.inf if duration is None else start + duration
    with open(path, "ab") as handle:
        second = math.floor(start)
        while second < end:
            # Only the part of this second inside [start, end) gets traffic, so a run that
            # starts or stops mid-second writes rate * duration lines on average.
            share = min(second + 1, end) - max(second, start)
            count = int(rng.poisson(rate_at(max(second, start) - start, rate, bursts) * share))
            handle.write(lines_for_second(rng, count, second))
            handle.flush()
            written += count
            second += 1
            sleep(max(0.0, min(second, end) - now()))
    return written


def backfill(
    path: str, rate: float, seconds: int, end: int, bursts: tuple[Burst, ...] = (), seed: int = 0
) -> int:
    """Write `seconds` seconds of traffic ending before `end` at once (for sample logs)."""
    rng = np.random.default_rng(seed)
    written = 0
    with open(path, "ab") as handle:
        for offset in range(seconds):
            count = int(rng.poisson(rate_at(offset, rate, bursts)))
            handle.write(lines_for_second(rng, count, end - seconds + offset))
            written += count
    return written
