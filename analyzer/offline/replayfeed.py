"""A historical log handed to the monitor request by request as a replay's clock passes.

`ReplayFeed` reads a log (plain or gzip) in pieces ahead of the clock and hands each request
at its own second, in time order whatever the order of the lines (out of order by up to
`hold` seconds): so no line is late and the reports and transitions are the backtest's.
Rejected lines and directives are handed at the second of the request before each in the
file, as backtest files them: right after it in the batch (`interleaved`), one batch a read.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from analyzer.core.engine import FileStatus
from analyzer.follow.fileid import Position
from analyzer.formats.clf import Parsed
from analyzer.formats.columns import seconds_of
from analyzer.formats.frames import concat_frames
from analyzer.formats.parsers import describe, make_parser
from analyzer.formats.select import Selection
from analyzer.offline.reader import Piece, pieces

HOLD_SECONDS = 3600  # read this far ahead of the clock: lines out of order by less are on time


class ReplayFeed:
    """One historical log, handed to the monitor request by request as the replay clock passes."""

    ended = False  # the replay's clock says when it is over

    def __init__(
        self,
        path: str,
        fmt: str,
        log_format: str | None,
        now: Callable[[], float],
        hold: int = HOLD_SECONDS,
        chosen: Selection | None = None,
    ) -> None:
        self.path = path
        self.now = now
        self.parser = make_parser(fmt, log_format, chosen)
        self.hold = hold
        self._pieces: Iterator[Piece] | None = pieces(path)
        self._buffer = pd.DataFrame()  # requests read and not yet handed over, in time order
        self._seconds = np.zeros(0, np.int64)
        # Rejected lines and directives, each to be handed over at the second of the request
        # before it in the file (as backtest files them): a heap by second, then in file order.
        self._unplaced: list[tuple[int, int, Parsed]] = []
        self._filed = itertools.count()
        self._orphans: list[Parsed] = []  # those before the file's first request: handed with it
        self._last_good: int | None = None  # the second of the last request read, in file order
        self.newest: int | None = None  # the newest second read so far
        self.lines = self.rejected = 0
        self.last_seen: int | None = None

    @property
    def exhausted(self) -> bool:
        """Every line read and handed over."""
        return self.all_read and len(self._seconds) == 0 and not self._unplaced

    @property
    def all_read(self) -> bool:
        return self._pieces is None

    def waiting(self) -> int | None:
        """The oldest second read and not yet handed over."""
        return int(self._seconds[0]) if len(self._seconds) else None

    def ahead(self, lines: int) -> np.ndarray:
        """The seconds of the next `lines` requests read and not yet handed over, ascending."""
        return self._seconds[:lines]

    def read_ahead(self, until: int | None) -> None:
        """Read until the newest line read is past `until` (None: one piece with requests)."""
        self._fill(until)

    def read(self) -> list[Parsed]:
        """Everything due by now, as one batch: the requests of its seconds, and the other
        lines read, each after the requests up to its second."""
        second = math.floor(self.now())
        self._fill(second + self.hold)
        if self.all_read and self._orphans:  # a file without a request: its other lines now
            for others in self._orphans:
                self._file(second, others)
            self._orphans = []
        placed: list[tuple[int, Parsed]] = []
        while self._unplaced and self._unplaced[0][0] <= second:
            at, _, others = heapq.heappop(self._unplaced)
            placed.append((at, others))
        due = int(np.searchsorted(self._seconds, second, side="right"))
        if not due and not placed:
            return []
        frame = self._buffer.iloc[:due].reset_index(drop=True) if due else placed[0][1].frame
        seconds = self._seconds[:due]
        self._buffer, self._seconds = self._buffer.iloc[due:], self._seconds[due:]
        return [interleaved(frame, seconds, placed)]

    def _file(self, second: int, others: Parsed) -> None:
        heapq.heappush(self._unplaced, (second, next(self._filed), others))

    def _fill(self, until: int | None) -> None:
        """Read pieces until the newest line read is past `until` (None: at least one piece)."""
        read: list[pd.DataFrame] = []
        while self._pieces is not None:
            if (until is None and read) or (
                until is not None and self.newest is not None and self.newest > until
            ):
                break
            piece = next(self._pieces, None)
            if piece is None:
                self._pieces = None
                break
            data, dropped = piece.read_lines()
            parsed = self.parser.parse(data)
            seconds = seconds_of(parsed.frame)
            if parsed.rejected or parsed.directives or dropped:
                self._place(parsed, dropped, seconds)
            if len(seconds):
                self._last_good = int(seconds[-1])
                for others in self._orphans:
                    self._file(int(seconds[0]), others)
                self._orphans = []
                read.append(parsed.frame)
                self.newest = max(self.newest or 0, int(seconds.max()))
        if read:
            frame = concat_frames([self._buffer, *read] if len(self._buffer) else read)
            seconds = seconds_of(frame)
            order = np.argsort(seconds, kind="stable")  # time order; file order within a second
            self._buffer, self._seconds = frame.iloc[order].reset_index(drop=True), seconds[order]

    def _place(self, parsed: Parsed, dropped: int, seconds: np.ndarray) -> None:
        """File the piece's rejected lines and directives under the second of the request
        before each in the file (as backtest files them); over-long lines, whose place is not
        kept, with the request before the piece."""
        kinds = np.r_[
            np.zeros(len(parsed.rejected_at), np.int64), np.ones(len(parsed.directive_at), np.int64)
        ]
        at = np.r_[parsed.rejected_at, parsed.directive_at].astype(np.int64)
        fallback = (
            self._last_good if self._last_good is not None else (int(seconds[0]) if len(seconds) else None)
        )
        if len(seconds):
            before = np.searchsorted(parsed.request_at(), at) - 1
            placed = np.where(
                before >= 0, seconds[np.maximum(before, 0)], fallback if fallback is not None else 0
            )
        else:
            placed = np.full(len(at), fallback if fallback is not None else 0)
        rejects = iter(parsed.rejects)
        picks: dict[int, list[tuple[str, str]]] = {}
        directives: dict[int, int] = {}
        for second, kind in zip(placed.tolist(), kinds.tolist(), strict=True):
            if kind == 0:
                picks.setdefault(second, []).append(next(rejects))
            else:
                directives[second] = directives.get(second, 0) + 1
        if dropped:
            text = "(a line over the length limit, not kept)"
            picks.setdefault(-1, []).extend([("too long", text)] * dropped)  # -1: the fallback's
        for second in sorted(set(picks) | set(directives)):
            others = _others_of(parsed.frame.iloc[:0], picks.get(second, []), directives.get(second, 0))
            if fallback is None or (second == -1 and self._last_good is None and not len(seconds)):
                self._orphans.append(others)
            else:
                self._file(fallback if second == -1 else second, others)

    # What the monitor asks of a followed file.
    def count(self, parsed: Parsed) -> None:
        self.lines += len(parsed.frame) + parsed.rejected
        self.rejected += parsed.rejected
        if len(parsed.frame):
            self.last_seen = int(seconds_of(parsed.frame).max())

    def take_notices(self) -> list[str]:
        return []

    def status(self) -> FileStatus:
        doing = "replayed to its end" if self.exhausted else "replaying"
        return FileStatus(self.path, self.lines, self.rejected, self.last_seen, doing)

    def format_name(self) -> str:
        return describe(self.parser)

    def positions(self) -> list[Position]:
        return []

    @property
    def behind(self) -> bool:
        return False

    def close(self) -> None:
        self._pieces = None


def _others_of(empty: pd.DataFrame, rejects: list[tuple[str, str]], directives: int) -> Parsed:
    """Rejected lines and directives without requests, as one batch."""
    count = len(rejects)
    return Parsed(
        empty,
        count + directives,
        count,
        [text for _, text in rejects][:5],
        rejects=rejects,
        directive_at=np.arange(count, count + directives, dtype=np.int64),
    )


def interleaved(frame: pd.DataFrame, seconds: np.ndarray, placed: list[tuple[int, Parsed]]) -> Parsed:
    """The requests (`frame`, at `seconds`, in time order) and the batches of other lines
    `placed` (each at a second, ascending) as one batch, each of those after the requests up
    to its second: so the ledger files each rejected line and directive with the request
    before it, as it would have taken them batch by batch, in one ingest."""
    if not placed:
        return Parsed(frame, len(frame), 0)
    others = [batch for _, batch in placed]
    rows_before = np.searchsorted(seconds, [second for second, _ in placed], side="right")
    counts = np.array([batch.rejected for batch in others], np.int64)
    directives = np.array([batch.directives for batch in others], np.int64)
    sizes = counts + directives
    starts = rows_before + np.cumsum(sizes) - sizes  # the requests and other lines before each
    rejected_at = np.repeat(starts, counts) + _ranks(counts)
    directive_at = np.repeat(starts + counts, directives) + _ranks(directives)
    return Parsed(
        frame,
        len(frame) + int(sizes.sum()),
        int(counts.sum()),
        [sample for batch in others for sample in batch.reject_samples],
        rejected_at,
        [reject for batch in others for reject in batch.rejects],
        directive_at,
    )


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... counts[0] - 1, 0, 1, ... counts[1] - 1, ...: each item's place in its group."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
