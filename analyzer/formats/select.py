"""Which requests to count: `--only EXPR` / `--exclude EXPR`, and the known crawlers.

An expression is one or more terms separated by spaces, all of which a request must match:

- `/api` (anything starting with `/`): the path starts with it (`/api` also matches `/apis`;
  `/api/` only paths under `/api`); `section:/api`: the section is exactly `/api`;
- `host:203.0.113.7` the client host exactly, `host:10.0.0.0/8` a CIDR block (IPv4 or IPv6);
- `2xx` .. `5xx` a status class, `status:404` one status code;
- `agent:TEXT` the user agent contains TEXT (case-insensitive); `agent:bot` any known
  crawler or script (`BOTS`: the same list that marks bots on the screen).

A request is counted when it matches some `--only` (or there is none) and no `--exclude`.
Vectorised: each term is judged once per distinct value of its column (the columns are
categorical), then taken to the rows by their codes; never a Python loop per line.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from analyzer.formats.clf import Parsed

# Substrings (lower case) of the user agents of crawlers, monitors and scripts.
BOTS = (
    "bot", "crawl", "spider", "slurp", "googlebot", "bingbot", "yandex", "baidu", "duckduck",
    "facebookexternalhit", "semrush", "ahrefs", "petalbot", "bytespider", "gptbot", "claudebot",
    "python-requests", "python-urllib", "aiohttp", "httpx", "curl", "wget", "go-http-client",
    "okhttp", "java/", "libwww", "scrapy", "headlesschrome", "pingdom", "uptimerobot",
)  # fmt: skip
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class SelectError(ValueError):
    """An expression that does not parse (the message names the term)."""


@dataclass(frozen=True)
class Term:
    kind: str  # path, section, host, net, class, status, agent, bot
    value: str


@dataclass(frozen=True)
class Selection:
    """The requests counted: matching some `only` (or none given) and no `exclude`."""

    only: tuple[tuple[Term, ...], ...] = ()
    exclude: tuple[tuple[Term, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.only or self.exclude)

    def words(self) -> str:
        """How the header says it: `only host:10.0.0.0/8, without agent:bot`."""
        parts = [f"only {' or '.join(expression(t) for t in self.only)}"] if self.only else []
        parts += [f"without {' or '.join(expression(t) for t in self.exclude)}"] if self.exclude else []
        return ", ".join(parts)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """True for each row of `frame` that is counted."""
        keep = np.ones(len(frame), bool)
        if self.only:
            keep = np.zeros(len(frame), bool)
            for terms in self.only:
                keep |= matches(frame, terms)
        for terms in self.exclude:
            keep &= ~matches(frame, terms)
        return keep


def parse_expression(text: str) -> tuple[Term, ...]:
    """The terms of one expression (raises SelectError)."""
    terms = tuple(_term(word) for word in text.split())
    if not terms:
        raise SelectError("an empty filter expression")
    return terms


def expression(terms: tuple[Term, ...]) -> str:
    names = {"path": "", "class": "", "bot": "agent:", "net": "host:"}
    return " ".join(f"{names.get(t.kind, t.kind + ':')}{t.value}" for t in terms)


def selection(only: list[str] | None, exclude: list[str] | None) -> Selection:
    return Selection(
        tuple(parse_expression(text) for text in only or ()),
        tuple(parse_expression(text) for text in exclude or ()),
    )


EXPECTED = "expected /PATH, 2xx..5xx, host:, agent:, section: or status:"


def _term(word: str) -> Term:  # noqa: PLR0911 (one return per kind of term)
    kind, _, value = word.partition(":")
    if word.startswith("/"):
        return Term("path", word)
    if word.lower() in STATUS_CLASSES:
        return Term("class", word.lower())
    if not value:
        raise SelectError(f"filter term {word!r}: {EXPECTED}")
    if kind == "host":
        if "/" in value:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise SelectError(f"filter term {word!r}: not a CIDR block") from None
            return Term("net", value)
        return Term("host", value)
    if kind == "agent":
        return Term("bot", "bot") if value.lower() == "bot" else Term("agent", value.lower())
    if kind == "status" and value.isdigit():
        return Term("status", value)
    if kind in ("section", "path") and value.startswith("/"):
        return Term(kind, value)
    raise SelectError(f"filter term {word!r}: {EXPECTED}")


COLUMNS = {"path": "path", "section": "section", "host": "host", "net": "host", "agent": "user_agent"}


def matches(frame: pd.DataFrame, terms: tuple[Term, ...]) -> np.ndarray:
    """True for each row matching every term."""
    found = np.ones(len(frame), bool)
    for term in terms:
        if term.kind in ("class", "status"):
            status = frame["status"].to_numpy() if "status" in frame else np.zeros(len(frame), np.int64)
            status = np.asarray(status, np.int64)
            wanted = int(term.value[0]) if term.kind == "class" else int(term.value)
            found &= (status // 100 if term.kind == "class" else status) == wanted
            continue
        column = "user_agent" if term.kind == "bot" else COLUMNS[term.kind]
        if column not in frame:
            found &= False
            continue
        values = frame[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("category")
        categories = values.cat.categories.astype(str)
        codes = values.cat.codes.to_numpy()
        judged = np.append(_judge(term, categories), False)  # code -1 (missing): never matches
        found &= judged[codes]
    return found


def _judge(term: Term, values: pd.Index) -> np.ndarray:
    """The term over each distinct value of its column."""
    text = pd.Series(values, dtype=object).astype(str)
    if term.kind == "path":
        return text.str.startswith(term.value).to_numpy(bool)
    if term.kind in ("section", "host"):
        return (text == term.value).to_numpy(bool)
    if term.kind == "agent":
        return text.str.lower().str.contains(term.value, regex=False).to_numpy(bool)
    if term.kind == "bot":
        return is_bot(text.to_numpy(object))
    network = ipaddress.ip_network(term.value, strict=False)
    return np.fromiter((_in_network(host, network) for host in text), bool, len(text))


def is_bot(agents: np.ndarray) -> np.ndarray:
    """True for each agent text containing a known crawler's or script's substring."""
    lower = pd.Series(agents, dtype=object).astype(str).str.lower()
    found = np.zeros(len(lower), bool)
    for word in BOTS:
        found |= lower.str.contains(word, regex=False).to_numpy(bool)
    return found


@lru_cache(maxsize=65536)
def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _in_network(host: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    address = _address(host)
    return address is not None and address.version == network.version and address in network


def selected(parsed: Parsed, chosen: Selection) -> Parsed:
    """`parsed` without the requests `chosen` leaves out: they are skipped as if the log did
    not hold them (not requests, not rejected, not lines); rejected and directive lines stay,
    their line numbers moved up over the skipped lines."""
    if not chosen or len(parsed.frame) == 0:
        return parsed
    keep = chosen.mask(parsed.frame)
    if keep.all():
        return parsed
    dropped = parsed.request_at()[~keep]
    frame = parsed.frame[keep].reset_index(drop=True)
    rejected_at = (parsed.rejected_at - np.searchsorted(dropped, parsed.rejected_at)).astype(np.int64)
    directive_at = (parsed.directive_at - np.searchsorted(dropped, parsed.directive_at)).astype(np.int64)
    lines = parsed.lines - len(dropped)
    return replace(parsed, frame=frame, lines=lines, rejected_at=rejected_at, directive_at=directive_at)
