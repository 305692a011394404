"""Write a large, realistic synthetic Combined access log, fast (vectorised with Arrow).

    python benchmarks/make_log.py [OUT] --lines 1000000 [--seed 1] [--rate 140] [--start EPOCH] [--lean]

OUT defaults to benchmarks/data/combined-<lines>.log (git-ignored). One million lines take
a couple of seconds. The traffic: ~5,000 client hosts (Zipf-like), ~40 sections and a long
tail of ~30,000 paths (some with query strings), mixed methods, protocols, statuses, log-normal
sizes (`-` for 304), ~2,000 referers, ~30 user agents, a few garbage requests (`"-"` and TLS
bytes, answered 400). Timestamps follow a slowly varying Poisson rate with a few bursts, for
hours; about 2% of lines are stamped a few seconds earlier than their neighbours, as servers
stamp the request's start but write the line when it ends. About 218 bytes per line; with
--lean (API clients: no referer, short agents) about 110, near the 126 of the first benchmarks.
--start puts the first line at another second, so several files make one longer log.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DATA = Path(__file__).resolve().parent / "data"
START = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp())
CHUNK_LINES = 500_000

SECTIONS = (
    "/",
    "/api",
    "/static",
    "/images",
    "/pages",
    "/products",
    "/search",
    "/blog",
    "/account",
    "/cart",
    "/checkout",
    "/docs",
    "/help",
    "/news",
    "/login",
    "/logout",
    "/feed",
    "/about",
    "/assets",
    "/media",
    "/video",
    "/category",
    "/tags",
    "/users",
    "/orders",
    "/admin",
    "/wp-login.php",
    "/wp-admin",
    "/favicon.ico",
    "/robots.txt",
    "/sitemap.xml",
    "/graphql",
    "/health",
    "/metrics",
    "/download",
    "/support",
    "/careers",
    "/press",
    "/legal",
    "/.env",
)
WORDS = (
    "index",
    "list",
    "view",
    "edit",
    "create",
    "delete",
    "item",
    "detail",
    "summary",
    "report",
    "settings",
    "profile",
    "history",
    "compare",
    "reviews",
    "popular",
    "latest",
    "archive",
    "overview",
    "pricing",
    "gift-cards",
    "winter-sale",
    "returns",
    "shipping",
    "faq",
    "contact",
)
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
    " Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "curl/8.5.0",
    "curl/7.81.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "Prometheus/2.53.0",
    "kube-probe/1.30",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "-",
)
METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH")
METHOD_P = (0.84, 0.10, 0.025, 0.015, 0.008, 0.008, 0.004)
PROTOCOLS = ("HTTP/1.1", "HTTP/2.0", "HTTP/1.0")
PROTOCOL_P = (0.62, 0.36, 0.02)
STATUSES = (200, 304, 301, 302, 404, 403, 401, 400, 500, 502, 503, 201, 204, 206, 499)
STATUS_P = (0.74, 0.07, 0.02, 0.03, 0.06, 0.01, 0.01, 0.005, 0.01, 0.005, 0.003, 0.01, 0.01, 0.004, 0.004)
GARBAGE = ("-", r"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03")
LEAN_AGENTS = ("curl/8.5.0", "Go-http-client/1.1", "okhttp/4.12.0", "kube-probe/1.30", "-")


def zipf_p(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


def vocabulary(rng: np.random.Generator) -> dict[str, pa.Array]:
    """The distinct values each field draws from (with Zipf-like popularity by position)."""
    hosts = rng.choice(1 << 24, 5000, replace=False)
    host_text = [
        f"{a}.{b}.{c}.{d}"
        for a, b, c, d in zip(
            rng.integers(1, 224, 5000), hosts >> 16, (hosts >> 8) & 255, hosts & 255, strict=True
        )
    ]
    for i in rng.choice(5000, 150, replace=False):  # some IPv6 clients
        host_text[i] = f"2001:db8:{rng.integers(1 << 16):x}::{rng.integers(1 << 16):x}"
    section_of_path = rng.choice(len(SECTIONS), 30_000, p=zipf_p(len(SECTIONS), 1.0))
    paths = []
    for n, s in enumerate(section_of_path):
        section, word, number = SECTIONS[s], WORDS[n % len(WORDS)], int(rng.integers(1, 200_000))
        match n % 7:
            case 0 | 1:
                path = f"{section}/{number}"
            case 2:
                path = f"{section}/{word}"
            case 3:
                path = f"{section}/{word}/{number}?page={number % 20}&sort=price"
            case 4:
                path = f"{section}/{word}-{number}.html"
            case 5:
                path = f"{section}/js/{word}.{number:06x}.js"
            case _:
                path = f"{section}/{word}?q={WORDS[number % len(WORDS)]}+{number}&src=nl"
        if section == "/":  # the home page, sometimes with campaign tags
            path = "/" if n % 3 else f"/?ref={word}"
        paths.append(path)
    referers = (
        ["-"] * 4
        + [
            "https://www.google.com/",
            "https://www.bing.com/",
            "https://duckduckgo.com/",
            "https://t.co/Xb3kq9",
            "android-app://com.google.android.gm/",
        ]
        + [f"https://www.example.com{p}" for p in paths[:2000]]
    )
    users = ["-"] * 1200 + [f"user{i:03d}" for i in range(40)]  # ~97% anonymous
    return {
        "host": pa.array(host_text),
        "path": pa.array(paths),
        "referer": pa.array(referers),
        "agent": pa.array(AGENTS),
        "user": pa.array(users),
    }


def event_seconds(rng: np.random.Generator, lines: int, rate: float, start: int) -> np.ndarray:
    """One timestamp per line, in file order: a varying Poisson rate, bursts, a few late stamps."""
    span = int(lines / rate * 1.5) + 600
    t = np.arange(span)
    profile = rate * (1 + 0.35 * np.sin(2 * np.pi * t / 7200) + 0.1 * np.sin(2 * np.pi * t / 600))
    for burst in rng.integers(0, max(1, int(lines / rate)), 3):  # a few 3-minute surges
        profile[burst : burst + 180] *= 3
    counts = rng.poisson(profile)
    seconds = np.repeat(t, counts)[:lines]
    if len(seconds) < lines:  # pragma: no cover - the span above has a 50% margin
        raise RuntimeError("not enough seconds drawn")
    late = rng.random(lines) < 0.02
    seconds[late] -= rng.geometric(0.3, int(late.sum()))
    return seconds + start


def stamps(seconds: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Strftime each distinct second once; index of each line's second into those strings."""
    first = int(seconds.min())
    text = [
        datetime.fromtimestamp(s, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        for s in range(first, int(seconds.max()) + 1)
    ]
    return pa.array(text), seconds - first


def chunk_text(
    rng: np.random.Generator, vocab: dict[str, pa.Array], stamp_text: pa.Array, stamp_index: np.ndarray
) -> pa.Array:
    """The lines (each with its newline) of one chunk, as an Arrow string array."""
    n = len(stamp_index)

    def pick(name: str, s: float) -> pa.Array:
        return vocab[name].take(rng.choice(len(vocab[name]), n, p=zipf_p(len(vocab[name]), s)))

    def draw(values: tuple[str, ...], p: tuple[float, ...]) -> pa.Array:
        return pa.array(values).take(rng.choice(len(values), n, p=np.array(p) / sum(p)))

    status = np.array(STATUSES)[rng.choice(len(STATUSES), n, p=np.array(STATUS_P) / sum(STATUS_P))]
    method = draw(METHODS, METHOD_P)
    request = pc.binary_join_element_wise(method, pick("path", 1.05), draw(PROTOCOLS, PROTOCOL_P), " ")
    garbage = rng.random(n) < 0.0003
    request = pc.if_else(pa.array(garbage), draw(GARBAGE, (0.7, 0.3)), request)
    status[garbage] = 400
    sizes = np.exp(rng.normal(8.5, 1.8, n)).astype(np.int64)
    sizes[(status == 204) | (status == 304) | np.asarray(pc.equal(method, "HEAD"))] = 0
    size_text = pc.if_else(pa.array(status == 304), "-", pc.cast(pa.array(sizes), pa.string()))
    pieces = [
        pick("host", 0.9),
        " - ",
        pick("user", 0.0),
        " [",
        stamp_text.take(pa.array(stamp_index)),
        '] "',
        request,
        '" ',
        pc.cast(pa.array(status), pa.string()),
        " ",
        size_text,
        ' "',
        pick("referer", 1.0),
        '" "',
        pick("agent", 0.8),
        '"\n',
    ]
    return pc.binary_join_element_wise(*pieces, "")


def write_log(
    out: Path, lines: int, seed: int = 1, rate: float = 140.0, start: int = START, lean: bool = False
) -> int:
    """Write `lines` lines to `out` (replacing it); returns the bytes written."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    if lean:
        vocab |= {"referer": pa.array(["-"]), "agent": pa.array(LEAN_AGENTS)}
    stamp_text, stamp_index = stamps(event_seconds(rng, lines, rate, start))
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(out, "wb") as handle:
        for begin in range(0, lines, CHUNK_LINES):
            text = chunk_text(rng, vocab, stamp_text, stamp_index[begin : begin + CHUNK_LINES])
            offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
            data = memoryview(text.buffers()[2])[offsets[0] : offsets[-1]]
            written += handle.write(data)
    return written


def default_path(lines: int) -> Path:
    return DATA / f"combined-{lines}.log"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="default: benchmarks/data/combined-LINES.log")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=140.0, help="average requests per second (default 140)")
    parser.add_argument("--start", type=int, default=START, help="UTC epoch second of the first line")
    parser.add_argument("--lean", action="store_true", help="no referer, short agents (~110 B/line)")
    args = parser.parse_args()
    out = args.out or default_path(args.lines)
    started = time.perf_counter()
    size = write_log(out, args.lines, args.seed, args.rate, args.start, args.lean)
    took = time.perf_counter() - started
    print(
        f"wrote {args.lines:,} lines, {size / 1e6:.1f} MB ({size / args.lines:.0f} B/line) to {out}"
        f" in {took:.2f} s"
    )


if __name__ == "__main__":
    main()
