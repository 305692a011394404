"""/api/...: JSON answers to the page and to scripts, from the live state and from --out.

Every bad parameter is a 400 with the reason; nothing a file holds makes a 500 (readers skip
what they cannot read). Times are accepted as epoch seconds or ISO 8601 with a zone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from analyzer.serve.csvfiles import epoch, read_alerts
from analyzer.serve.index import FIELDS, Index
from analyzer.serve.state import LiveState

MAX_PER_PAGE = 500
MAX_POINTS = 2000


class BadRequest(ValueError):
    """A parameter the API cannot use: 400, with this text."""


def moment(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    if not values or not values[-1]:
        return default
    text = values[-1]
    try:
        return int(text) if text.lstrip("-").isdigit() else epoch(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{name}: not a time (epoch seconds or ISO 8601 with a zone): {text[:40]!r}"
        ) from None


def number(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = params.get(name)
    if not values or not values[-1]:
        return default
    text = values[-1]
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(f"{name}: a whole number from {low} to {high}, got {text[:20]!r}")
    return int(text)


def paging(params: dict[str, list[str]]) -> tuple[int, int]:
    """`per_page` (default 20) and `page` (from 1)."""
    return number(params, "per_page", 20, 1, MAX_PER_PAGE), number(params, "page", 1, 1, 10**9)


def paged(total: int, page: int, per_page: int) -> dict[str, int]:
    """What every paged answer says of its pages."""
    pages = max(1, math.ceil(total / per_page))
    return {"total": total, "page": page, "per_page": per_page, "pages": pages}


class Api:
    def __init__(self, out: Path, state: LiveState, wall: Callable[[], float] = time.time) -> None:
        self.out = out
        self.state = state
        self.wall = wall
        self.index = Index(out)

    def answer(self, route: str, query: str) -> dict[str, object]:
        """The JSON of `/api/<route>?<query>`; KeyError: no such route; BadRequest: 400."""
        params = parse_qs(query, keep_blank_values=True, max_num_fields=20)
        if route == "report":
            with self.state.lock:
                report, status = self.state.report, self.state.status
            return {"report": report, "status": status, "rules": self.state.rules_json()}
        if route == "alerts":
            return self.alerts(params)
        if route == "stats":
            return self.stats(params)
        if route == "sections":
            return self.sections(params)
        raise KeyError(route)

    def alerts(self, params: dict[str, list[str]]) -> dict[str, object]:
        """The transitions in `[since, until]`, newest first, a page of them."""
        since = moment(params, "since", 0)
        until = moment(params, "until", 2**53)
        per_page, page = paging(params)
        chosen = [row for row in read_alerts(self.out / "alerts.csv") if since <= row["second"] <= until]  # type: ignore[operator]
        chosen.reverse()
        start = (page - 1) * per_page
        shown = chosen[start : start + per_page]
        with self.state.lock:
            remembered = self.state.drivers
        for row in shown:  # this run's alerts, in a file whose header has no drivers column
            row["drivers"] = row["drivers"] or remembered.get((row["second"], row["message"]), "")  # type: ignore[arg-type]
        return {"since": since, "until": until, **paged(len(chosen), page, per_page), "alerts": shown}

    def period(self, params: dict[str, list[str]]) -> tuple[int, int]:
        """`since` and `until`; by default the last hour."""
        until = moment(params, "until", math.floor(self.wall()))
        since = moment(params, "since", until - 3600)
        if since > until:
            raise BadRequest("since is after until")
        return since, until

    def stats(self, params: dict[str, list[str]]) -> dict[str, object]:
        """The 10 s reports of `[since, until]` (default: the last hour), at most `max_points`."""
        since, until = self.period(params)
        points = number(params, "max_points", 720, 1, MAX_POINTS)
        found = self.index.stats(since, until, points)
        return {"since": since, "until": until, "columns": list(FIELDS), "rows": [list(row) for row in found]}

    def sections(self, params: dict[str, list[str]]) -> dict[str, object]:
        """sections.csv's hits per section over `[since, until]` (default: the last hour), most
        first, a page of them, each with its share of the period's hits."""
        since, until = self.period(params)
        per_page, page = paging(params)
        found, count, hits = self.index.sections(since, until, per_page, (page - 1) * per_page)
        return {
            "since": since,
            "until": until,
            **paged(count, page, per_page),
            "hits": hits,
            "sections": [
                {
                    "section": name,
                    "hits": section_hits,
                    "share": round(section_hits / hits, 4) if hits else 0.0,
                }
                for name, section_hits in found
            ],
        }

    def close(self) -> None:
        self.index.close()
